package presign

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/byobkit/byob/address"
	"github.com/byobkit/byob/scope"
	"gocloud.dev/blob/memblob"
)

// testRegistry opens a registry whose instance bucket is raw, with no
// bucket check (the tests' servers are known good).
func testRegistry(t testing.TB, raw string) *scope.Registry {
	t.Helper()
	a, err := address.Parse(raw)
	if err != nil {
		t.Fatalf("parse address: %v", err)
	}
	reg, err := scope.New(context.Background(), scope.Config{Deployment: deploymentFor(a), Instance: a, Store: scope.NewMemStore(),
		Open: scope.ProviderOpen(), Check: func(context.Context, *address.Address) ([]string, error) { return nil, nil }})
	if err != nil {
		t.Fatalf("registry: %v", err)
	}
	t.Cleanup(func() { _ = reg.Close() })
	if _, err := reg.CreateTeam(context.Background(), "kappa", nil); err != nil {
		t.Fatalf("create team: %v", err)
	}
	return reg
}

// anyone is a user of the instance in no team; kappa, the team on the
// instance bucket, is the one the tests sign for.
var anyone = scope.User{ID: "u-anyone"}

func randomName(prefix string) string {
	var b [5]byte
	_, _ = rand.Read(b[:])
	return prefix + hex.EncodeToString(b[:])
}

func md5Of(b []byte) string { s := md5.Sum(b); return base64.StdEncoding.EncodeToString(s[:]) }

// reply is what a storage service answered.
type reply struct {
	status int
	header http.Header
	body   string
}

// send sends r as a client would, with body and r's headers, after edit
// (which may change the request to test a refusal).
func send(t testing.TB, r Request, body []byte, edit func(*http.Request)) reply {
	t.Helper()
	req, err := http.NewRequest(r.Method, r.URL, bytes.NewReader(body))
	if err != nil {
		t.Fatalf("request %v: %v", r, err)
	}
	for k, v := range r.Header {
		req.Header[k] = append([]string(nil), v...)
	}
	if body == nil {
		req.Body, req.ContentLength = http.NoBody, 0
	}
	if edit != nil {
		edit(req)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		// net/http's error quotes the URL, signature included.
		t.Fatalf("send %v: %s", r, strings.ReplaceAll(err.Error(), req.URL.String(), RedactURL(req.URL.String())))
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return reply{resp.StatusCode, resp.Header, string(b)}
}

// withQuery returns an edit replacing (or, with del, removing) one query
// parameter of the URL as sent.
func withQuery(name, value string, del bool) func(*http.Request) {
	return func(r *http.Request) {
		q := r.URL.Query()
		if del {
			q.Del(name)
		} else {
			q.Set(name, value)
		}
		r.URL.RawQuery = q.Encode()
	}
}

// tamper flips the last character of a query parameter's value.
func tamper(name string) func(*http.Request) {
	return func(r *http.Request) {
		q := r.URL.Query()
		v := q.Get(name)
		last := byte('0')
		if v[len(v)-1] == '0' {
			last = '1'
		}
		q.Set(name, v[:len(v)-1]+string(last))
		r.URL.RawQuery = q.Encode()
	}
}

// withPath replaces the object key at the end of the URL's path.
func withPath(from, to string) func(*http.Request) {
	return func(r *http.Request) {
		r.URL.Path = strings.Replace(r.URL.Path, from, to, 1)
		r.URL.RawPath = ""
	}
}

func withMethod(m string) func(*http.Request) { return func(r *http.Request) { r.Method = m } }

func withHeader(k, v string) func(*http.Request) { return func(r *http.Request) { r.Header.Set(k, v) } }

// localServer serves reg's instance location with a Handler sharing the
// signer's keys and clock, and returns the Signer for it.
func localServer(t testing.TB, raw string, now func() time.Time, opts ...Option) (*Signer, *scope.Registry) {
	t.Helper()
	reg := testRegistry(t, raw)
	loc, err := reg.Instance()
	if err != nil {
		t.Fatal(err)
	}
	keys := NewLocalKeys()
	srv := httptest.NewUnstartedServer(nil)
	base := "http://" + srv.Listener.Addr().String()
	h, err := NewHandler(LocalConfig{Location: loc, BaseURL: base, Keys: keys, Now: now}, HandlerOptions{Staging: memblob.OpenBucket(nil)})
	if err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = h
	srv.Start()
	t.Cleanup(srv.Close)
	return New(reg, append([]Option{WithClock(now), WithLocalBase(base, keys)}, opts...)...), reg
}

var _ = url.QueryEscape

// deploymentFor is the deployment that offers a at instance level.
func deploymentFor(a *address.Address) scope.Deployment {
	if a.Provider == address.File || a.Provider == address.Mem {
		return scope.Testing
	}
	return scope.Dedicated
}

func isErrKind(err, kind error) bool { return err != nil && errors.Is(err, kind) }
