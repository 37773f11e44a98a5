package presign

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/byobkit/byob/address"
	"github.com/byobkit/byob/provider"
	"github.com/byobkit/byob/scope"
)

// Signer signs requests for the locations of a scope.Registry: S3,
// CoreWeave and S3-compatible stores with SigV4 (internal/sigv4), GCS with
// V4 (internal/gcsv4), Azure with a service SAS (internal/azsas), file://
// and mem:// with byob's local protocol (LocalSigner). It is safe for
// concurrent use and does no I/O of its own beyond what a handle's
// credentials need (an ambient identity's refresh, IAM signBlob, a user
// delegation key).
//
// It keeps, per location, the native signer for the location's current
// credentials, and compares them on every call: when the credentials
// rotate (scope.Registry.RotateCredentials) the next URL is signed with the
// new ones. Nothing it keeps is keyed by a secret.
type Signer struct {
	reg    *scope.Registry
	now    func() time.Time
	local  func(loc *scope.Location) (baseURL string, keys *LocalKeys, err error)
	azDel  AzureDelegationFunc
	window time.Duration
	cache  *reuseCache
	gen    atomic.Uint64 // credentials generations, shared by every location
	states sync.Map      // *provider.Handle -> *locState
}

// Option configures a Signer.
type Option func(*Signer)

// WithClock sets the clock URLs are signed and checked by; nil means
// time.Now. For tests.
func WithClock(now func() time.Time) Option { return func(s *Signer) { s.now = now } }

// WithLocal configures the embedded buckets (file://, mem://): for each
// such location, f returns the base URL its Handler is reached at and the
// keys it verifies with (see LocalConfig). Without it, local locations are
// ErrUnsupported.
func WithLocal(f func(loc *scope.Location) (baseURL string, keys *LocalKeys, err error)) Option {
	return func(s *Signer) { s.local = f }
}

// WithLocalBase is WithLocal for a server with one Handler base URL and
// one set of keys for every local location.
func WithLocalBase(baseURL string, keys *LocalKeys) Option {
	return WithLocal(func(*scope.Location) (string, *LocalKeys, error) { return baseURL, keys, nil })
}

// New returns a Signer for reg's locations.
func New(reg *scope.Registry, opts ...Option) *Signer {
	s := &Signer{reg: reg}
	for _, o := range opts {
		if o != nil {
			o(s)
		}
	}
	if s.now == nil {
		s.now = time.Now
	}
	return s
}

// String describes the Signer; it holds credentials only inside its
// native signers, which print redacted.
func (s *Signer) String() string {
	return fmt.Sprintf("presign.Signer(reuse window %v)", s.window)
}

// GoString is String.
func (s *Signer) GoString() string { return s.String() }

// Format prints String under every verb.
func (s *Signer) Format(f fmt.State, _ rune) { fmt.Fprint(f, s.String()) }

// LogValue makes log/slog print String.
func (s *Signer) LogValue() slog.Value { return slog.StringValue(s.String()) }

// Sign authorises user for team's location (scope.Registry.Authorize:
// read for GET and HEAD, write for PUT and every multipart step), then
// signs o for key there. A refusal is scope's error, unchanged
// (scope.ErrAccessDenied, scope.ErrKey, scope.ErrNotFound...), and nothing
// is signed.
func (s *Signer) Sign(ctx context.Context, user scope.User, team, key string, o Options) (Request, error) {
	acc := scope.Write
	if o.Op == OpObject && (o.Method == http.MethodGet || o.Method == http.MethodHead) {
		acc = scope.Read
	}
	loc, err := s.reg.Authorize(ctx, user, team, key, acc)
	if err != nil {
		return Request{}, err
	}
	m, d, err := o.validate()
	if err != nil {
		return Request{}, err
	}
	// Authorize has run the location's CheckKey: not twice per URL.
	return s.signChecked(ctx, loc, key, &o, m, d)
}

// SignLocation signs o for key, relative to loc, for a caller that has
// authorised the user already. The key still goes through loc's CheckKey.
func (s *Signer) SignLocation(ctx context.Context, loc *scope.Location, key string, o Options) (Request, error) {
	m, d, err := o.validate()
	if err != nil {
		return Request{}, err
	}
	// FullKey's check, once for the backends too; the concatenation is
	// left to the backends that need it (see s3Signer.signS3).
	if err := loc.CheckKey(key); err != nil {
		return Request{}, err
	}
	return s.signChecked(ctx, loc, key, &o, m, d)
}

// signChecked is SignLocation once key has passed loc's CheckKey and o
// its validate, which returned the method m and the lifetime d.
func (s *Signer) signChecked(ctx context.Context, loc *scope.Location, key string, o *Options, m string, d time.Duration) (Request, error) {
	st, err := s.state(loc)
	if err != nil {
		return Request{}, err
	}
	c, err := st.impl.current(ctx)
	if err != nil {
		return Request{}, err
	}
	now := s.now()
	t := now
	if s.window > 0 {
		t = now.Truncate(s.window)
	}
	exp := t.Add(d)
	if !c.expires.IsZero() && c.expires.Before(exp) {
		exp = c.expires
		if exp.Sub(now) < time.Second {
			return Request{}, &Error{Op: "sign", Field: "credentials", Kind: ErrCredentials,
				Problem: "the temporary credentials expire now", Fix: "retry once the credentials are refreshed"}
		}
	}
	if s.cache == nil {
		// Returned as it is: the results stay in registers, where a copy
		// through a local Request would store them to the stack and load
		// them back (a stall on the hot path).
		return s.signFor(ctx, st, c, loc, key, o, m, t, exp)
	}
	if r, ok := s.cache.get(st, key, o, t, c.gen, now); ok {
		return r, nil
	}
	r, err := s.signFor(ctx, st, c, loc, key, o, m, t, exp)
	if err != nil {
		return Request{}, err
	}
	s.cache.put(st, key, o, t, c.gen, r)
	return r, nil
}

// signFor signs with the location's backend: S3's directly (see
// s3Signer.signS3), the others through locSigner.
func (s *Signer) signFor(ctx context.Context, st *locState, c creds, loc *scope.Location, key string, o *Options, m string, t, exp time.Time) (Request, error) {
	if b, ok := st.impl.(*s3Signer); ok {
		return b.signS3(c, loc.Prefix(), key, o, m, t, exp)
	}
	return st.impl.sign(ctx, c, key, loc.Prefix()+key, *o, m, t, exp)
}

// Binds reports what loc's signatures bind, so that a caller knows what it
// must check itself after an upload (see the package documentation).
func (s *Signer) Binds(ctx context.Context, loc *scope.Location) (Binds, error) {
	st, err := s.state(loc)
	if err != nil {
		return Binds{}, err
	}
	return st.impl.binds(ctx)
}

// locState is what the Signer keeps for one location.
type locState struct {
	impl locSigner
}

// creds is one generation of a location's signing credentials.
type creds struct {
	gen     uint64    // changes whenever the credentials do
	expires time.Time // when temporary credentials lapse; zero: never
	impl    any       // the backend's native signer for them
}

// locSigner signs for one location with one kind of native signer.
type locSigner interface {
	// current returns the location's current credentials, building a new
	// native signer when they changed.
	current(ctx context.Context) (creds, error)
	// sign signs o for key (full: with the location's prefix, checked
	// already), at time t, to expire at exp. o comes by value: a pointer
	// through the interface would move every caller's Options to the heap.
	sign(ctx context.Context, c creds, key, full string, o Options, method string, t, exp time.Time) (Request, error)
	binds(ctx context.Context) (Binds, error)
}

// backends builds a location's signer from its provider: the one switch
// over kinds of store, each a row.
var backends = map[address.Provider]func(s *Signer, loc *scope.Location) (locSigner, error){
	address.S3:        newS3Signer,
	address.CoreWeave: newS3Signer,
	address.GCS:       newGCSSigner,
	address.Azure:     newAzureSigner,
	address.File:      newLocalBackend,
	address.Mem:       newLocalBackend,
}

func (s *Signer) state(loc *scope.Location) (*locState, error) {
	h := loc.Handle()
	if v, ok := s.states.Load(h); ok {
		return v.(*locState), nil
	}
	mk := backends[h.Location().Provider]
	if mk == nil {
		return nil, &Error{Op: "sign", Field: "location", Kind: ErrUnsupported, Problem: "no signer for provider " + string(h.Location().Provider)}
	}
	impl, err := mk(s, loc)
	if err != nil {
		return nil, err
	}
	v, _ := s.states.LoadOrStore(h, &locState{impl: impl})
	return v.(*locState), nil
}

// header builds a Request's headers from name/value pairs, skipping
// empty values; nil when there are none.
func header(kv ...string) http.Header {
	var h http.Header
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == "" {
			continue
		}
		if h == nil {
			h = make(http.Header, 3)
		}
		h[http.CanonicalHeaderKey(kv[i])] = []string{kv[i+1]}
	}
	return h
}

// handleOf is a shortcut for the provider handle of loc.
func handleOf(loc *scope.Location) *provider.Handle { return loc.Handle() }
