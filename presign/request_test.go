package presign

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/byobkit/byob/internal/testsecret"
)

func TestRedactURL(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"sigv4 signature, credential and token",
			"https://b.s3.amazonaws.com/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAEXAMPLE%2F20260101%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Security-Token=tok&X-Amz-Signature=abc123&x-id=GetObject",
			"https://b.s3.amazonaws.com/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=REDACTED&X-Amz-Security-Token=REDACTED&X-Amz-Signature=REDACTED&x-id=GetObject"},
		{"gcs v4", "https://storage.googleapis.com/b/k?X-Goog-Credential=sa%40p.iam.gserviceaccount.com%2F20260101&X-Goog-Signature=00ff",
			"https://storage.googleapis.com/b/k?X-Goog-Credential=REDACTED&X-Goog-Signature=REDACTED"},
		{"azure sas", "https://a.blob.core.windows.net/c/k?se=2026-01-01&sig=AbC%2B%3D&skoid=oid&sktid=tid&sp=r&sv=2025",
			"https://a.blob.core.windows.net/c/k?se=2026-01-01&sig=REDACTED&skoid=REDACTED&sktid=REDACTED&sp=r&sv=2025"},
		{"parameter names in any case", "http://h/k?x-amz-signature=s&SIG=t", "http://h/k?x-amz-signature=REDACTED&SIG=REDACTED"},
		{"percent-encoded parameter name", "http://h/k?X%2DAmz%2DSignature=s", "http://h/k?X%2DAmz%2DSignature=REDACTED"},
		{"no query", "http://h/k", "http://h/k"},
		{"userinfo drops the whole URL", "http://ak:sk@h/k?x=1", "REDACTED"},
		{"unparsable parameter name hides the query", "http://h/k?%zz=1&sig=s", "http://h/k?REDACTED"},
		{"local signature", "http://127.0.0.1:1/b/k?byob-expires=1&byob-signature=deadbeef", "http://127.0.0.1:1/b/k?byob-expires=1&byob-signature=REDACTED"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := RedactURL(tc.in); got != tc.want {
				t.Errorf("RedactURL(%q)\n got %q\nwant %q", tc.in, got, tc.want)
			}
		})
	}
}

// TestRequestPrintsNoSignature: every way a Request can be printed hides
// every 8-byte window of its signature and token.
func TestRequestPrintsNoSignature(t *testing.T) {
	const sig, token = "5f2c9a7e1b3d4c6f8a0e2d4b6c8e0a2f4d6b8c0e2a4f6d8b0c2e4a6f8d0b2c4e", "IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQ"
	r := Request{
		Method:  http.MethodPut,
		URL:     "https://b.s3.amazonaws.com/k?X-Amz-Security-Token=" + token + "&X-Amz-Signature=" + sig,
		Header:  http.Header{"Content-Md5": {"1B2M2Y8AsgTpgAmY7PhCfg=="}},
		Expires: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC),
	}
	var outs []string
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q"} {
		outs = append(outs, fmt.Sprintf(verb, r), fmt.Sprintf(verb, &r), fmt.Sprintf(verb, []Request{r}))
	}
	j, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	outs = append(outs, string(j))
	for _, mk := range []func(*bytes.Buffer) slog.Handler{
		func(b *bytes.Buffer) slog.Handler { return slog.NewTextHandler(b, nil) },
		func(b *bytes.Buffer) slog.Handler { return slog.NewJSONHandler(b, nil) },
	} {
		var buf bytes.Buffer
		slog.New(mk(&buf)).Info("signed", "req", r)
		outs = append(outs, buf.String())
	}
	for _, out := range outs {
		if w := testsecret.Find(out, sig, token); w != "" {
			t.Fatalf("output shows %q of a secret: %s", w, out)
		}
		if !strings.Contains(out, "REDACTED") {
			t.Errorf("output does not say what it hid: %s", out)
		}
	}
}
