package sigv4

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"testing"

	"github.com/byobkit/byob/internal/testsecret"
)

// secretWindows returns every 8-byte window of each secret, the unit an
// attacker needs to find one in a log.
func secretWindows(secrets ...string) []string {
	var w []string
	for _, s := range secrets {
		if len(s) < testsecret.WindowLen {
			w = append(w, s)
		}
	}
	for _, win := range testsecret.Windows(secrets...) {
		b := []byte(win)
		// as text, and as fmt renders bytes: decimal lists and hex
		w = append(w, win, strings.Trim(fmt.Sprint(b), "[]"), fmt.Sprintf("%x", b), fmt.Sprintf("% x", b), fmt.Sprintf("%X", b))
	}
	return w
}

func assertNoSecret(t *testing.T, what, out string, windows []string) {
	t.Helper()
	for _, w := range windows {
		if strings.Contains(out, w) {
			t.Errorf("%s leaks secret bytes %q: %s", what, w, out)
			return
		}
	}
}

// TestSignerPrintsNoSecret prints a Signer that has signed (so its key
// cache is full) every way byob's code could: fmt verbs on the pointer, on
// a copy of the value and nested in a struct, log/slog text and JSON,
// encoding/json; and the errors of every refused request. None may carry a
// window of the secret key, the session token, a derived signing key or a
// signature.
func TestSignerPrintsNoSecret(t *testing.T) {
	c := tokenCreds
	s, err := NewSigner(c.ak, c.sk, c.token)
	if err != nil {
		t.Fatal(err)
	}
	r := baseRequest()
	signed, err := s.Presign(&r)
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(signed)
	sig := u.Query().Get("X-Amz-Signature")
	k := s.st.keys[0].Load()
	for i := 1; k == nil && i < len(s.st.keys); i++ {
		k = s.st.keys[i].Load()
	}
	if k == nil || sig == "" {
		t.Fatal("no cached key or signature to look for")
	}
	derived := deriveForTest(c.sk, "20250304", r.Region)
	windows := secretWindows(c.sk, c.token, url.QueryEscape(c.token), sig, hex.EncodeToString(derived), string(derived),
		string(k.inner), string(k.outer), hex.EncodeToString(k.inner[len(k.inner)-40:]))

	// What a caller can hold: the pointer, a copy, either in exported
	// and unexported fields (fmt calls no method on the latter).
	value := *s
	holder := struct {
		Signer *Signer
		Value  Signer
		inner  *Signer
		copy   Signer
	}{s, value, s, value}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d"} {
		for name, arg := range map[string]any{"pointer": s, "value": value, "holder": holder, "holder pointer": &holder, "[]any": []any{s, value}} {
			assertNoSecret(t, "fmt "+verb+" of the "+name, fmt.Sprintf(verb, arg), windows)
		}
	}
	var logs bytes.Buffer
	for _, h := range []slog.Handler{slog.NewTextHandler(&logs, nil), slog.NewJSONHandler(&logs, nil)} {
		slog.New(h).Info("signer", "signer", s, "value", value, "holder", holder)
	}
	assertNoSecret(t, "log/slog", logs.String(), windows)
	for name, arg := range map[string]any{"pointer": s, "value": value, "holder": holder} {
		j, err := json.Marshal(arg)
		if err != nil {
			t.Errorf("encoding/json of the %s: %v", name, err)
		}
		assertNoSecret(t, "encoding/json of the "+name, string(j), windows)
	}

	// Errors, including for requests whose fields carry the secrets.
	for _, edit := range []func(*Request){
		func(r *Request) { r.Host = c.sk },
		func(r *Request) { r.Bucket = c.sk },
		func(r *Request) { r.Region = c.sk },
		func(r *Request) { r.Expires = 0 },
		func(r *Request) { r.Op = PutObject; r.ContentMD5 = c.token },
		func(r *Request) { r.Op = PutObject; r.ContentType = c.token + "\n" },
		func(r *Request) { r.Op = UploadPart; r.UploadID = c.token },
		func(r *Request) { r.Query = []Param{{c.token, c.sk}} },
		func(r *Request) { r.Query = []Param{{"X-User", c.sk}, {"X-User", c.token}} },
	} {
		r := baseRequest()
		edit(&r)
		_, err := s.Presign(&r)
		if err == nil {
			t.Fatalf("request %+v was signed; the test needs a refused one", r)
		}
		assertNoSecret(t, "error", err.Error(), windows)
		assertNoSecret(t, "error %+v", fmt.Sprintf("%+v", err), windows)
	}
	_, err = NewSigner("", c.sk, c.token)
	assertNoSecret(t, "NewSigner error", fmt.Sprintf("%v %+v", err, err), windows)
}

// deriveForTest is the SigV4 key derivation written out, to know the
// bytes a leak would show.
func deriveForTest(secret, date, region string) []byte {
	k := hmacSHA256([]byte("AWS4"+secret), []byte(date))
	k = hmacSHA256(k, []byte(region))
	k = hmacSHA256(k, []byte("s3"))
	return hmacSHA256(k, []byte("aws4_request"))
}
