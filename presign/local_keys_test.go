package presign

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"
)

// secretForms are the ways a key could leak: raw, and in each encoding
// something might print it with.
func secretForms(b []byte) []string {
	return []string{string(b), base64.RawURLEncoding.EncodeToString(b), base64.StdEncoding.EncodeToString(b),
		hex.EncodeToString(b), fmt.Sprint(b), fmt.Sprintf("%#v", b)}
}

func keySecrets(k *LocalKeys) []string {
	p := k.pair()
	out := secretForms(p.current.secret)
	if p.previous != nil {
		out = append(out, secretForms(p.previous.secret)...)
	}
	return out
}

func TestNewLocalKeysAreFreshAndLongEnough(t *testing.T) {
	a, b := NewLocalKeys(), NewLocalKeys()
	if len(a.pair().current.secret) < LocalKeyMinBytes {
		t.Fatalf("a fresh key has %d bytes", len(a.pair().current.secret))
	}
	if bytes.Equal(a.pair().current.secret, b.pair().current.secret) {
		t.Fatal("two fresh keys are equal")
	}
	if a.pair().previous != nil {
		t.Fatal("fresh keys have a previous key")
	}
}

func TestLocalKeysRotateAndRoundTrip(t *testing.T) {
	k := NewLocalKeys()
	first := k.pair().current.secret
	k.Rotate()
	if !bytes.Equal(k.pair().previous.secret, first) || bytes.Equal(k.pair().current.secret, first) {
		t.Fatal("Rotate did not move the current key to previous")
	}
	back, err := ParseLocalKeys(k.EncodeSecret() + "\n") // as read from a file
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(back.pair().current.secret, k.pair().current.secret) || !bytes.Equal(back.pair().previous.secret, first) {
		t.Fatal("EncodeSecret and ParseLocalKeys do not round-trip both keys")
	}
	k.Rotate()
	if bytes.Equal(k.pair().previous.secret, first) || bytes.Equal(k.pair().current.secret, first) {
		t.Fatal("a second rotation kept the first key")
	}
}

// TestParseLocalKeysRefusals: stored keys that are not in the form, or
// too short or long, are ErrLocalConfig, and the error shows no part of
// what it was given.
func TestParseLocalKeysRefusals(t *testing.T) {
	short := base64.RawURLEncoding.EncodeToString(repeatByte('s', LocalKeyMinBytes-1))
	good := base64.RawURLEncoding.EncodeToString([]byte("0123456789abcdefghijklmnopqrstuv"))
	long := base64.RawURLEncoding.EncodeToString(repeatByte('l', LocalKeyMaxBytes+1))
	for _, tc := range []struct{ name, in string }{
		{"empty", ""},
		{"no key", localKeysEncoding},
		{"another form", "byob-local-keys-v2:" + good},
		{"raw key without the form", good},
		{"padded base64", localKeysEncoding + ":" + base64.URLEncoding.EncodeToString([]byte("0123456789abcdefghijklmnopqrstuv")) + "="},
		{"standard base64 alphabet", localKeysEncoding + ":" + strings.ReplaceAll(good, "_", "/") + "+/"},
		{"a key of 31 bytes", localKeysEncoding + ":" + short},
		{"a previous key of 31 bytes", localKeysEncoding + ":" + good + ":" + short},
		{"a key over 1 KiB", localKeysEncoding + ":" + long},
		{"three keys", localKeysEncoding + ":" + good + ":" + good + ":" + good},
		{"empty previous", localKeysEncoding + ":" + good + ":"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k, err := ParseLocalKeys(tc.in)
			if !isKind(err, ErrLocalConfig, "keys") || k != nil {
				t.Fatalf("got %v, %v; want an ErrLocalConfig for keys", k, err)
			}
			assertNoWindow(t, "the error", err.Error(), good, short)
		})
	}
}

// holder hides keys as deep as a caller might: exported and unexported
// fields, slices and maps.
type holder struct {
	Keys   *LocalKeys
	keys   *LocalKeys
	Many   []*LocalKeys
	ByName map[string]*LocalKeys
	Signer *LocalSigner
	h      *Handler
}

// TestLocalKeysNeverPrint: keys, and signers and handlers holding them,
// print no 8-byte window of any key under every verb, log/slog (text and
// JSON), encoding/json and errors.
func TestLocalKeysNeverPrint(t *testing.T) {
	e := newEnv(t, "mem")
	e.keys.Rotate()
	k := e.keys
	hd := holder{Keys: k, keys: k, Many: []*LocalKeys{k}, ByName: map[string]*LocalKeys{"a": k}, Signer: e.signer, h: e.handler}
	var outs []string
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d"} {
		for _, v := range []any{k, hd, &hd, e.signer, e.handler, []any{k}} {
			outs = append(outs, fmt.Sprintf(verb, v))
		}
	}
	outs = append(outs, k.String(), k.GoString(), fmt.Sprint(k), errors.New(fmt.Sprint(k)).Error())
	for _, v := range []any{k, hd, struct{ K *LocalKeys }{k}, map[string]*LocalKeys{"a": k}} {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		outs = append(outs, string(b))
	}
	for _, mk := range []func(*bytes.Buffer) slog.Handler{
		func(b *bytes.Buffer) slog.Handler { return slog.NewTextHandler(b, nil) },
		func(b *bytes.Buffer) slog.Handler { return slog.NewJSONHandler(b, nil) },
	} {
		var buf bytes.Buffer
		slog.New(mk(&buf)).Info("keys", "keys", k, "holder", hd, "signer", e.signer, "handler", e.handler)
		outs = append(outs, buf.String())
	}
	for _, out := range outs {
		assertNoWindow(t, "output", out, keySecrets(k)...)
	}
	if !strings.Contains(fmt.Sprint(k), "REDACTED") {
		t.Error("the keys' String does not say what it hides")
	}
	if r, err := e.signer.Sign("k", LocalOptions{Method: "GET", Expires: t0.Add(time.Hour)}); err != nil || strings.Contains(fmt.Sprint(r), queryValue(r.URL, paramSignature)) {
		t.Errorf("a signed request prints its signature (%v): %v", err, r)
	}
}
