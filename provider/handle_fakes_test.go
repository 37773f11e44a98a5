package provider_test

import (
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/byobkit/byob/address"
	"github.com/byobkit/byob/provider"
)

// openHandle opens a and closes the handle when the test ends.
func openHandle(t *testing.T, a *address.Address, opts ...provider.Option) *provider.Handle {
	t.Helper()
	h, err := provider.Open(t.Context(), a, opts...)
	if err != nil {
		t.Fatalf("Open(%v): %v", a, err)
	}
	t.Cleanup(func() { _ = h.Close() })
	return h
}

// routes is an HTTP transport that answers every request in-process, by
// host name, with the test's own handlers: the cloud endpoints the SDKs
// call (token services, metadata server, IAM, storage) never see the
// request, and nothing leaves the machine. Hosts without a handler go to
// pass, when set (a local test server), and are otherwise refused and
// reported.
type routes struct {
	t        *testing.T
	handlers map[string]http.Handler
	pass     http.RoundTripper

	mu        sync.Mutex
	unrouted  []string
	requested map[string]int
}

func newRoutes(t *testing.T, handlers map[string]http.Handler) *routes {
	return &routes{t: t, handlers: handlers, requested: map[string]int{}}
}

// client returns an *http.Client on the routes.
func (r *routes) client() *http.Client { return &http.Client{Transport: r} }

// RoundTrip implements http.RoundTripper.
func (r *routes) RoundTrip(req *http.Request) (*http.Response, error) {
	host := req.URL.Hostname()
	r.mu.Lock()
	r.requested[host]++
	r.mu.Unlock()
	h, ok := r.handlers[host]
	if !ok {
		if r.pass != nil {
			return r.pass.RoundTrip(req)
		}
		r.mu.Lock()
		r.unrouted = append(r.unrouted, host)
		r.mu.Unlock()
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, &unroutedError{host: host}
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if req.Body != nil {
		req.Body.Close()
	}
	resp := rec.Result()
	resp.Request = req
	return resp, nil
}

// count returns how many requests went to host.
func (r *routes) count(host string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.requested[host]
}

// checkAllRouted fails the test if a request went to a host without a
// handler.
func (r *routes) checkAllRouted() {
	r.t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.unrouted) > 0 {
		r.t.Errorf("requests to hosts the test does not serve: %v", r.unrouted)
	}
}

type unroutedError struct{ host string }

func (e *unroutedError) Error() string { return "test transport: no route to " + e.host }
