package azsas_test

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/byobkit/byob/internal/azsas"

	"github.com/byobkit/byob/internal/testsecret"
)

// leaks reports an 8-byte window of any secret found in out.
func leaks(out string, secrets ...string) (string, bool) {
	w := testsecret.Find(out, secrets...)
	return w, w != ""
}

// secretForms are the spellings under which a key could show: its base64
// text, its raw bytes, and their hex.
func secretForms(t *testing.T, b64 string) []string {
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		t.Fatal(err)
	}
	return []string{b64, string(raw), hex.EncodeToString(raw), fmt.Sprintf("%v", raw), fmt.Sprintf("%x", raw)}
}

// No printer shows a key, whichever type holds it and however deep: fmt
// with every verb, by pointer and by value inside the caller's exported and
// unexported fields, log/slog text and JSON, and encoding/json.
func TestKeysNeverPrint(t *testing.T) {
	key, err := azsas.NewSharedKey(testAccount, testKey)
	if err != nil {
		t.Fatal(err)
	}
	udk := ourUDK(t, testAccount, defaultUDK())
	// Use the pools, so that their HMAC states exist when printed.
	v := azsas.Values{Container: "ctr", Blob: "b", Permissions: "r", Expiry: now}
	if _, err := key.Sign(&v); err != nil {
		t.Fatal(err)
	}
	if _, err := azsas.SignUserDelegation(udk, &v); err != nil {
		t.Fatal(err)
	}
	type holder struct {
		Exported *azsas.SharedKey
		byValue  azsas.SharedKey
		udk      *azsas.UserDelegationKey
		UDKValue azsas.UserDelegationKey
		list     []*azsas.SharedKey
		m        map[string]any
	}
	h := holder{Exported: key, byValue: *key, udk: udk, UDKValue: *udk, list: []*azsas.SharedKey{key}, m: map[string]any{"k": key, "u": udk}}
	secrets := append(secretForms(t, testKey), secretForms(t, testUDKey)...)

	var outs []string
	for _, x := range []any{key, *key, udk, *udk, h, &h, []any{key, udk}} {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%T"} {
			outs = append(outs, fmt.Sprintf(verb, x))
		}
		outs = append(outs, fmt.Sprint(x), fmt.Sprintln(x))
		j, err := json.Marshal(x)
		if err != nil {
			t.Fatalf("json.Marshal(%T): %v", x, err)
		}
		outs = append(outs, string(j))
		for _, mk := range []func(*bytes.Buffer) slog.Handler{
			func(b *bytes.Buffer) slog.Handler { return slog.NewTextHandler(b, nil) },
			func(b *bytes.Buffer) slog.Handler { return slog.NewJSONHandler(b, nil) },
		} {
			var b bytes.Buffer
			slog.New(mk(&b)).Info("key", "k", x)
			outs = append(outs, b.String())
		}
	}
	for _, out := range outs {
		if w, ok := leaks(out, secrets...); ok {
			t.Fatalf("a printer shows the 8 bytes %q of a key:\n%s", w, out)
		}
	}
	if s := key.String(); !strings.Contains(s, azsas.Redacted) || !strings.Contains(s, testAccount) {
		t.Fatalf("String() = %q, want the account and %s", s, azsas.Redacted)
	}
}

// Keys that are almost right, and so look most like the real one, give
// errors without any part of them.
func TestKeyErrorsDoNotQuoteTheKey(t *testing.T) {
	bad := []string{
		strings.TrimRight(testKey, "="),
		testKey[:40] + "!" + testKey[41:],
		strings.ReplaceAll(testKey, "/", "%2F"),
		strings.ReplaceAll(testKey, "/", " "),
		testKey + "A",
		" " + testKey,
	}
	for _, k := range bad {
		_, err := azsas.NewSharedKey(testAccount, k)
		if err == nil {
			t.Fatalf("a malformed key was accepted")
		}
		if w, ok := leaks(err.Error()+fmt.Sprintf("%+v %#v", err, err), append(secretForms(t, testKey), k)...); ok {
			t.Fatalf("NewSharedKey's error shows %q: %v", w, err)
		}
	}
}
