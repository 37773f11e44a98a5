package scope_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/byobkit/byob/address"
	"github.com/byobkit/byob/provider"
	"github.com/byobkit/byob/scope"
	"gocloud.dev/blob"
	"gocloud.dev/blob/memblob"
)

// fakeCloud stands in for the provider package: every address, of any
// provider, is served from memory, one memblob per bucket identity, so
// that two addresses of one bucket see the same objects. It counts opens
// and checks, and fails the check of buckets named in broken.
type fakeCloud struct {
	// native makes open use provider.Open for addresses with keys to a
	// cloud, so that handles have real clients whose credentials can be
	// rotated (provider.NewHandle's cannot). Such a bucket is not in
	// memory: its operations would reach the network.
	native  bool
	mu      sync.Mutex
	roots   map[string]*blob.Bucket // by provider/endpoint/bucket
	opens   map[string]int          // by redacted address
	checks  int
	checked []string               // the checked addresses, redacted
	onCheck func(*address.Address) // called by each check, when set
	broken  map[string]error       // bucket name -> check error
	warning map[string][]string    // bucket name -> check warnings
}

func newFakeCloud() *fakeCloud {
	return &fakeCloud{roots: map[string]*blob.Bucket{}, opens: map[string]int{},
		broken: map[string]error{}, warning: map[string][]string{}}
}

// view returns a bucket over the shared memory of one bucket, rooted at
// prefix. blob.PrefixedBucket marks its argument closed but keeps sharing
// the driver, so each view is a fresh wrapper over the same objects (the
// shared-view test below fails if gocloud changes that).
func (c *fakeCloud) view(id, prefix string) *blob.Bucket {
	c.mu.Lock()
	defer c.mu.Unlock()
	root, ok := c.roots[id]
	if !ok {
		root = memblob.OpenBucket(nil)
		c.roots[id] = root
	}
	return blob.PrefixedBucket(root, prefix)
}

func bucketID(a *address.Address) string {
	return string(a.Provider) + "|" + a.Host() + "|" + a.Account + "|" + a.Bucket
}

func (c *fakeCloud) open(ctx context.Context, a *address.Address) (*provider.Handle, error) {
	c.mu.Lock()
	c.opens[a.String()]++
	c.mu.Unlock()
	if c.native && a.HasCredentials() {
		return provider.Open(ctx, a) // no network I/O: S3 and Azure clients connect lazily
	}
	prefix := ""
	if a.Path != "" {
		prefix = a.Path + "/"
	}
	return provider.NewHandle(a, c.view(bucketID(a), prefix)), nil
}

func (c *fakeCloud) check(_ context.Context, a *address.Address) ([]string, error) {
	if c.onCheck != nil {
		c.onCheck(a)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.checks++
	c.checked = append(c.checked, a.String())
	if err := c.broken[a.Bucket]; err != nil {
		return nil, err
	}
	return c.warning[a.Bucket], nil
}

func (c *fakeCloud) counts() (checks, opens int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, n := range c.opens {
		opens += n
	}
	return c.checks, opens
}

// readRaw reads a key from the whole bucket (not the location's view).
func (c *fakeCloud) readRaw(t *testing.T, a *address.Address, key string) string {
	t.Helper()
	b := c.view(bucketID(a), "")
	defer b.Close()
	data, err := b.ReadAll(context.Background(), key)
	if err != nil {
		t.Fatalf("read %s in the raw bucket: %v", key, err)
	}
	return string(data)
}

func mustParse(t testing.TB, s string) *address.Address {
	t.Helper()
	a, err := address.Parse(s)
	if err != nil {
		t.Fatalf("parse %q: %v", s, err)
	}
	return a
}

// env is a registry over a fake cloud and a memory store.
type env struct {
	reg   *scope.Registry
	cloud *fakeCloud
	store scope.Store
}

// envOption changes a test registry's configuration or its fake cloud.
type envOption func(*scope.Config, *fakeCloud)

func withSupported(t testing.TB, list string) envOption {
	stores, err := address.ParseList(list)
	if err != nil {
		t.Fatalf("ParseList(%q): %v", list, err)
	}
	return func(c *scope.Config, _ *fakeCloud) { c.SupportedStores = stores }
}

func withStore(s scope.Store) envOption { return func(c *scope.Config, _ *fakeCloud) { c.Store = s } }

// withAnyStore lets a self-managed instance without a supported-stores
// list accept any team bucket.
func withAnyStore() envOption { return func(c *scope.Config, _ *fakeCloud) { c.AnyStore = true } }

// withNative makes the fake cloud open keyed cloud addresses with
// provider.Open (see fakeCloud.native).
func withNative() envOption { return func(_ *scope.Config, f *fakeCloud) { f.native = true } }

func newEnv(t testing.TB, d scope.Deployment, instance string, opts ...envOption) *env {
	t.Helper()
	e := &env{cloud: newFakeCloud()}
	cfg := scope.Config{Deployment: d, Store: scope.NewMemStore(), Open: e.cloud.open, Check: e.cloud.check}
	if instance != "" {
		cfg.Instance = mustParse(t, instance)
	}
	for _, o := range opts {
		o(&cfg, e.cloud)
	}
	e.store = cfg.Store
	reg, err := scope.New(context.Background(), cfg)
	if err != nil {
		t.Fatalf("scope.New: %v", err)
	}
	t.Cleanup(func() { _ = reg.Close() })
	e.reg = reg
	return e
}

func (e *env) create(t testing.TB, team, storage string) {
	t.Helper()
	var a *address.Address
	if storage != "" {
		a = mustParse(t, storage)
	}
	if _, err := e.reg.CreateTeam(context.Background(), team, a); err != nil {
		t.Fatalf("CreateTeam(%s, %s): %v", team, storage, err)
	}
}

func (e *env) location(t testing.TB, team string) *scope.Location {
	t.Helper()
	l, err := e.reg.Location(context.Background(), team)
	if err != nil {
		t.Fatalf("Location(%s): %v", team, err)
	}
	return l
}

// teams returns the stored records as "team=storage credentials" lines,
// with the secrets.
func (e *env) teams(t testing.TB) []string {
	t.Helper()
	recs, err := e.store.List(context.Background())
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	var out []string
	for _, r := range recs {
		s := r.Team + "="
		if r.Storage != nil {
			s += r.Storage.URL() + " " + r.Credentials.AccessKey + ":" + r.Credentials.Secret
		}
		out = append(out, s)
	}
	return out
}

// wantKind checks err's kind and that it is a *scope.Error.
func wantKind(t testing.TB, err, kind error) *scope.Error {
	t.Helper()
	var e *scope.Error
	if !errors.Is(err, kind) || !errors.As(err, &e) {
		t.Fatalf("error = %v, want a *scope.Error of kind %v", err, kind)
	}
	return e
}

// noSecret fails when text contains one of the secrets.
func noSecret(t testing.TB, text string, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		if strings.Contains(text, s) {
			t.Fatalf("text contains a secret: %s", text)
		}
	}
}

func withOpen(open scope.OpenFunc) envOption {
	return func(c *scope.Config, _ *fakeCloud) { c.Open = open }
}

// withGate holds the opens of bucket only behind a gate, stored in *g.
func withGate(g **gatedOpen, only string) envOption {
	return func(c *scope.Config, f *fakeCloud) {
		*g = newGatedOpen(only, f.open)
		c.Open = (*g).open
	}
}

// gatedOpen wraps an opener so that each call for the bucket named only
// announces itself on entered and then waits for release (or for its
// context to end). Other buckets open at once.
type gatedOpen struct {
	only    string
	next    scope.OpenFunc
	entered chan string
	release chan struct{}
}

func newGatedOpen(only string, next scope.OpenFunc) *gatedOpen {
	return &gatedOpen{only: only, next: next, entered: make(chan string, 64), release: make(chan struct{})}
}

func (g *gatedOpen) open(ctx context.Context, a *address.Address) (*provider.Handle, error) {
	if a.Bucket != g.only {
		return g.next(ctx, a)
	}
	g.entered <- a.Bucket
	select {
	case <-g.release:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return g.next(ctx, a)
}
