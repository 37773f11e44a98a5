package presign

import (
	"context"
	"net/http"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/byobkit/byob/scope"
)

// fakeBackend stands for a provider whose credentials the test controls:
// a generation and an expiry, as temporary AWS credentials have.
type fakeBackend struct {
	gen     atomic.Uint64
	expires time.Time
	signs   atomic.Int64
}

func (f *fakeBackend) current(context.Context) (creds, error) {
	return creds{gen: f.gen.Load(), expires: f.expires}, nil
}

func (f *fakeBackend) sign(_ context.Context, c creds, key, _ string, o Options, m string, t, exp time.Time) (Request, error) {
	n := f.signs.Add(1)
	return Request{Method: m, URL: "https://fake/" + key + "?n=" + strconv.FormatInt(n, 10), Expires: exp,
		Header: header("Content-Type", o.ContentType)}, nil
}

func (f *fakeBackend) binds(context.Context) (Binds, error) { return Binds{}, nil }

// withFake makes s sign for reg's instance location with f.
func withFake(t *testing.T, s *Signer, reg *scope.Registry, f *fakeBackend) {
	loc, err := reg.Instance()
	if err != nil {
		t.Fatal(err)
	}
	s.states.Store(loc.Handle(), &locState{impl: f})
}

// TestReuseWindow: within a window the same request gets the same URL
// without signing again; another key, option or user, the next window,
// or new credentials sign anew; an entry never outlives its expiry.
func TestReuseWindow(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 5, 1, 10, 0, 30, 0, time.UTC)}
	s, reg := localServer(t, "mem://"+randomName("presign-")+"/inst", clock.Now, WithReuseWindow(time.Minute, 64))
	f := &fakeBackend{}
	withFake(t, s, reg, f)
	get := Options{Method: http.MethodGet, User: "alice"}
	first := mustSign(t, s, "f", get)
	if first.Expires != time.Date(2026, 5, 1, 11, 0, 0, 0, time.UTC) {
		t.Errorf("signed at the window's start: expires %v", first.Expires)
	}
	clock.Add(20 * time.Second)
	if again := mustSign(t, s, "f", get); again.URL != first.URL || f.signs.Load() != 1 {
		t.Fatalf("same request in the window signed again: %v vs %v (%d signs)", again, first, f.signs.Load())
	}
	for name, o := range map[string]Options{"another user": {Method: http.MethodGet, User: "bob"},
		"another method": {Method: http.MethodHead, User: "alice"}} {
		if r := mustSign(t, s, "f", o); r.URL == first.URL {
			t.Errorf("%s reused the URL", name)
		}
	}
	if r := mustSign(t, s, "g", get); r.URL == first.URL {
		t.Errorf("another key reused the URL")
	}
	f.gen.Add(1) // a rotation
	rotated := mustSign(t, s, "f", get)
	if rotated.URL == first.URL {
		t.Fatalf("an entry outlived a credentials rotation")
	}
	clock.Add(time.Minute)
	if r := mustSign(t, s, "f", get); r.URL == rotated.URL {
		t.Errorf("the next window reused the URL")
	}
	// A header map handed out is the caller's own.
	put := Options{Method: http.MethodPut, ContentType: "text/plain"}
	r1 := mustSign(t, s, "f", put)
	r1.Header.Set("Content-Type", "changed")
	if r2 := mustSign(t, s, "f", put); r2.Header.Get("Content-Type") != "text/plain" {
		t.Errorf("a caller's change to Header reached the cache: %v", r2.Header)
	}
}

// TestReuseWindowBounded: the cache never holds more than its bound.
func TestReuseWindowBounded(t *testing.T) {
	clock := &fakeClock{t: time.Now()}
	s, reg := localServer(t, "mem://"+randomName("presign-")+"/inst", clock.Now, WithReuseWindow(time.Minute, 32))
	withFake(t, s, reg, &fakeBackend{})
	for i := range 1000 {
		mustSign(t, s, "k"+strconv.Itoa(i), Options{Method: http.MethodGet})
	}
	n := 0
	for i := range s.cache.shards {
		n += len(s.cache.shards[i].m)
	}
	if limit := reuseShards * s.cache.perShard; n > limit {
		t.Errorf("cache holds %d entries, bound %d", n, limit)
	}
}

// TestTemporaryCredentialsCapExpiry: with credentials that expire before
// the requested lifetime, the URL expires with them and Request.Expires
// says so; credentials that expire now are ErrCredentials.
func TestTemporaryCredentialsCapExpiry(t *testing.T) {
	now := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	s, reg := localServer(t, "mem://"+randomName("presign-")+"/inst", func() time.Time { return now })
	f := &fakeBackend{expires: now.Add(20 * time.Minute)}
	withFake(t, s, reg, f)
	if r := mustSign(t, s, "f", Options{Method: http.MethodGet}); !r.Expires.Equal(f.expires) {
		t.Errorf("expires %v, want the credentials' %v", r.Expires, f.expires)
	}
	if r := mustSign(t, s, "f", Options{Method: http.MethodGet, Expires: 5 * time.Minute}); !r.Expires.Equal(now.Add(5 * time.Minute)) {
		t.Errorf("a shorter lifetime was not kept: %v", r.Expires)
	}
	f.expires = now
	if _, err := s.Sign(context.Background(), anyone, "kappa", "f", Options{Method: http.MethodGet}); !isErrKind(err, ErrCredentials) {
		t.Errorf("credentials expiring now: %v, want ErrCredentials", err)
	}
}
