package batchdelete

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"cloud.google.com/go/auth"
	"github.com/byobkit/byob/address"
	"github.com/byobkit/byob/internal/testsecret"
	"github.com/byobkit/byob/provider"
	"gocloud.dev/gcerrors"
)

// bearer is the access token the tests hand the XML client.
const bearer = "ya29.c.b0AXv0zTOQkq3GmW8aY1sBt5JpL0dQz9xE4fRrWnM2hVkUe7iC6oNpXyZ"

// tokenDeleter opens srv's bucket as an emulator address and returns its
// Deleter, whose XML API client sends the token token returns.
func tokenDeleter(t *testing.T, srv *httptest.Server, token func(h *provider.Handle) (string, error)) *Deleter {
	t.Helper()
	a, err := address.Parse("gs://b-secret/pre?endpoint=" + url.QueryEscape(srv.URL))
	if err != nil {
		t.Fatal(err)
	}
	h, err := provider.Open(t.Context(), a)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	d, err := New(h, Options{})
	if err != nil {
		t.Fatal(err)
	}
	b := d.b.(*gcsBackend)
	x, err := b.xmlClient()
	if err != nil {
		t.Fatal(err)
	}
	if x.token != nil {
		t.Fatal("an emulator address got a token source")
	}
	x.token = func(context.Context) (string, error) { return token(h) }
	if again, _ := b.xmlClient(); again != x {
		t.Fatal("the XML client was made again with the credentials unchanged")
	}
	return d
}

// printed is every printed form of the uploads and the error.
func printed(ups []Upload, err error) []string {
	var outs []string
	for _, v := range []string{"%v", "%+v", "%#v", "%s", "%q"} {
		outs = append(outs, fmt.Sprintf(v, ups), fmt.Sprintf(v, err))
	}
	for _, e := range testsecret.Chain(err) {
		outs = append(outs, e.Error(), fmt.Sprintf("%#v", e))
	}
	for _, u := range ups {
		for _, e := range testsecret.Chain(u.Err) {
			outs = append(outs, e.Error(), fmt.Sprintf("%#v", e))
		}
	}
	j, _ := json.Marshal(ups)
	var sb strings.Builder
	slog.New(slog.NewTextHandler(&sb, nil)).Info("x", "uploads", ups, "err", err)
	slog.New(slog.NewJSONHandler(&sb, nil)).Info("x", "uploads", ups, "err", err)
	return append(outs, string(j), sb.String())
}

// TestGCSXMLTokenNeverPrinted: the access token goes in the Authorization
// header of every XML API request, and whatever the service echoes of it
// (in an error's Code, Message or a broken listing) no 8-byte window of it
// reaches the uploads' or the error's printed forms.
func TestGCSXMLTokenNeverPrinted(t *testing.T) {
	old := "2020-01-01T00:00:00Z"
	echo := func(r *http.Request) string {
		a := r.Header.Get("Authorization")
		return `<?xml version='1.0' encoding='UTF-8'?><Error><Code>` + strings.TrimPrefix(a, "Bearer ") + `</Code><Message>you sent ` + a +
			` (` + url.QueryEscape(a) + `)</Message><Details>` + a + `</Details></Error>`
	}
	for _, tc := range []struct {
		name  string
		serve func(w http.ResponseWriter, r *http.Request)
	}{
		{"the listing refused, echoing the token", func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusUnauthorized)
			w.Write([]byte(echo(r)))
		}},
		{"a listing that echoes the token in a body that does not parse", func(w http.ResponseWriter, r *http.Request) {
			w.Write([]byte("<ListMultipartUploadsResult>" + r.Header.Get("Authorization") + "<"))
		}},
		{"an abort refused, echoing the token", func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodGet {
				w.Write([]byte(`<ListMultipartUploadsResult><Upload><Key>pre/a</Key><UploadId>u1</UploadId><Initiated>` + old + `</Initiated></Upload></ListMultipartUploadsResult>`))
				return
			}
			w.WriteHeader(http.StatusForbidden)
			w.Write([]byte(echo(r)))
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var mu sync.Mutex
			var auths []string
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				auths = append(auths, r.Header.Get("Authorization"))
				mu.Unlock()
				tc.serve(w, r)
			}))
			defer srv.Close()
			ups, err := tokenDeleter(t, srv, func(*provider.Handle) (string, error) { return bearer, nil }).AbortStaleUploads(t.Context(), time.Now())
			failed := err != nil
			for _, u := range ups {
				failed = failed || u.Status == Failed
			}
			if !failed {
				t.Fatalf("= %+v, %v; want a failure: the fault did not hit", ups, err)
			}
			for _, a := range auths {
				if a != "Bearer "+bearer {
					t.Errorf("Authorization %q, want the bearer token", a)
				}
			}
			set := testsecret.NewSet(testsecret.Spellings(bearer)...)
			for _, o := range printed(ups, err) {
				if w := set.Find(o); w != "" {
					t.Errorf("output holds a window %q of the token: %.300s", w, o)
				}
			}
		})
	}
}

// TestGCSXMLTokenErrors: a token endpoint's refusal is quoted by status
// only (its body may echo the signed assertion), classified, and no XML
// API request is sent without a token.
func TestGCSXMLTokenErrors(t *testing.T) {
	// Not shaped like a JWT, which provider.Scrub would catch anyway.
	const assertion = "sa-assertion-Qm9vdHN0cmFwLXNlY3JldC1ieXRlcw"
	for _, tc := range []struct {
		name string
		err  error
		want gcerrors.ErrorCode
	}{
		{"a 400 that echoes the assertion is PermissionDenied", &auth.Error{Response: &http.Response{StatusCode: 400}, Body: []byte(`{"error":"invalid_grant","assertion":"` + assertion + `"}`)}, gcerrors.PermissionDenied},
		{"a 503 of the token endpoint is Internal", &auth.Error{Response: &http.Response{StatusCode: 503}, Body: []byte(assertion)}, gcerrors.Internal},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var sent atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { sent.Add(1) }))
			defer srv.Close()
			d := tokenDeleter(t, srv, func(h *provider.Handle) (string, error) { return "", tokenErr(h, tc.err) })
			ups, err := d.AbortStaleUploads(t.Context(), time.Now())
			if provider.Code(err) != tc.want || ups != nil {
				t.Fatalf("= %+v, %v; want a %v error", ups, err, tc.want)
			}
			if n := sent.Load(); n != 0 {
				t.Errorf("%d requests sent without a token", n)
			}
			set := testsecret.NewSet(testsecret.Spellings(assertion)...)
			for _, o := range printed(ups, err) {
				if w := set.Find(o); w != "" {
					t.Errorf("output holds a window %q of the assertion: %.300s", w, o)
				}
			}
		})
	}
}

// TestGCSXMLClientFollowsRotation: a handle with a service-account key
// gets an XML client with a token source; the client is kept while the
// key stays, and made again with the new key after SetCredentials, so
// that an abort after a rotation does not authenticate with the old key.
// (No token is fetched: that needs Google's token endpoint.)
func TestGCSXMLClientFollowsRotation(t *testing.T) {
	const email = "gc@project.iam.gserviceaccount.com"
	_, pem1 := testsecret.RSAKey(t)
	_, pem2 := testsecret.RSAKey(t)
	a, err := address.Parse("gs://" + url.QueryEscape(email) + ":" + url.QueryEscape(pem1) + "@b-rotate/pre?endpoint=" + url.QueryEscape("https://127.0.0.1:1"))
	if err != nil {
		t.Fatal(err)
	}
	h, err := provider.Open(t.Context(), a)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	d, err := New(h, Options{})
	if err != nil {
		t.Fatal(err)
	}
	b := d.b.(*gcsBackend)
	x1, err := b.xmlClient()
	if err != nil || x1.token == nil || x1.base != "https://127.0.0.1:1" {
		t.Fatalf("xmlClient = %+v, %v; want a client of the endpoint with a token source", x1, err)
	}
	if again, _ := b.xmlClient(); again != x1 {
		t.Error("the client was made again with the key unchanged: one token exchange per request")
	}
	if err := h.SetCredentials(t.Context(), address.Credentials{AccessKey: email, Secret: pem2}); err != nil {
		t.Fatal(err)
	}
	if x2, err := b.xmlClient(); err != nil || x2 == x1 || x2.token == nil {
		t.Errorf("after SetCredentials xmlClient = %p, %v; want a new client (the old one is %p)", x2, err, x1)
	}
}
