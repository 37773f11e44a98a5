package presign

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// FuzzHandlerVerify mutates the request-target of a signed GET: the
// handler never panics, and whatever it accepts is the very request that
// was signed (same key, operation and parameters), however it is written.
func FuzzHandlerVerify(f *testing.F) {
	e := newEnv(f, "mem")
	signed := e.sign(f, "a/b c", LocalOptions{Method: "GET", User: "alice@example.com", ResponseContentType: "text/plain"})
	target := strings.TrimPrefix(signed.URL, e.base)
	want, herr := e.handler.verify(fuzzRequest(target))
	if herr != nil {
		f.Fatal(herr.message)
	}
	f.Add(target)
	f.Add(strings.Replace(target, "%20", "+", 1))
	f.Add(strings.Replace(target, "/a/", "/a/../", 1))
	f.Add(strings.Replace(target, "alice%40", "alice@", 1))
	f.Add(strings.Replace(target, "X-User", "x-user", 1))
	f.Add("/a/b%20c?" + paramSignature + "=" + queryValue(signed.URL, paramSignature))
	f.Fuzz(func(t *testing.T, target string) {
		r := fuzzRequest(target)
		if r == nil {
			return
		}
		got, herr := e.handler.verify(r)
		if herr != nil {
			return
		}
		if got.key != want.key || got.op != want.op || got.p != want.p {
			t.Fatalf("accepted %q as %+v; only %+v was signed", target, *got, *want)
		}
	})
}

// fuzzRequest is a GET with request-target target, as a server reads it;
// nil for a target no server would hand a handler.
func fuzzRequest(target string) *http.Request {
	u, err := url.ParseRequestURI(target)
	if err != nil {
		return nil
	}
	return &http.Request{Method: http.MethodGet, URL: u, RequestURI: target, Header: http.Header{}}
}
