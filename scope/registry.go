package scope

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/byobkit/byob/address"
	"github.com/byobkit/byob/provider"
)

// OpenFunc opens the bucket an address names, as a handle whose bucket is
// rooted at its sub-path (keys passed to it are relative to the sub-path).
// ProviderOpen adapts provider.Open; provider.NewHandle wraps a bucket
// opened some other way.
type OpenFunc func(ctx context.Context, a *address.Address) (*provider.Handle, error)

// CheckFunc checks that a bucket is reachable and usable. An error blocks the
// team's creation (or a rotation of its credentials); warnings do not and are
// handed back to the caller. Neither may contain a secret. ProviderCheck
// adapts preflight.Check.
type CheckFunc func(ctx context.Context, a *address.Address) (warnings []string, err error)

// Config configures a Registry. It prints redacted under every fmt verb,
// log/slog and encoding/json.
type Config struct {
	// Deployment selects the availability matrix's row.
	Deployment Deployment
	// Instance is the instance's bucket. It is required except for
	// MultiTenant, which has none (and so refuses teams without a bucket).
	Instance *address.Address
	// SupportedStores is the instance's supported-stores list
	// (GORILLA_SUPPORTED_FILE_STORES, parsed by address.ParseList). Every
	// team bucket must match an entry. An empty list restricts nothing
	// beyond the availability matrix, except for SelfManaged, whose team
	// buckets must be listed (see AnyStore).
	SupportedStores []*address.Address
	// AnyStore lets a SelfManaged instance with an empty SupportedStores
	// accept any team bucket the availability matrix allows. The product
	// requires self-managed team buckets to be listed, so this is for
	// tests and for deployments that deliberately want no list. It may not
	// be combined with a list.
	AnyStore bool
	// Store keeps the team records.
	Store Store
	// Open opens buckets; Check checks a team bucket before its creation
	// and new credentials before they replace the old ones.
	Open  OpenFunc
	Check CheckFunc
}

// String describes the configuration, redacted.
func (c Config) String() string {
	var b strings.Builder
	b.WriteString("scope.Config{Deployment: ")
	b.WriteString(string(c.Deployment))
	b.WriteString(", Instance: ")
	if c.Instance == nil {
		b.WriteString("none")
	} else {
		b.WriteString(c.Instance.String())
	}
	b.WriteString(", SupportedStores: [")
	for i, a := range c.SupportedStores {
		if i > 0 {
			b.WriteByte(' ')
		}
		if a == nil {
			b.WriteString("nil")
		} else {
			b.WriteString(a.String())
		}
	}
	b.WriteString("]")
	if c.AnyStore {
		b.WriteString(", AnyStore: true")
	}
	if c.Store != nil {
		fmt.Fprintf(&b, ", Store: %T", c.Store) // the type only: a Store's records hold keys
	}
	b.WriteString("}")
	return b.String()
}

// GoString is String, so that %#v prints no key.
func (c Config) GoString() string { return c.String() }

// Format prints String under every verb.
func (c Config) Format(f fmt.State, _ rune) { fmt.Fprint(f, c.String()) }

// LogValue makes log/slog print String.
func (c Config) LogValue() slog.Value { return slog.StringValue(c.String()) }

// MarshalJSON encodes String.
func (c Config) MarshalJSON() ([]byte, error) { return json.Marshal(c.String()) }

// Registry is the registry of team storage: it creates teams with their
// storage, resolves a team's Location on the request path, replaces
// credentials when they rotate, and decides access. It is safe for
// concurrent use. Close it to close the buckets. It prints redacted.
type Registry struct {
	cfg      Config    // Instance and SupportedStores without credentials
	instance *Location // nil when the deployment has no instance bucket

	// teams holds the resolved teams (name → *Location). The request path
	// reads it without writing shared memory, as a lock's reader count
	// would: a sync.Map hit writes nothing. (A map copied on each insert
	// reads as fast, but costs O(teams) per new team: 5000 first look-ups
	// took 460 ms against 1.3 ms.) Written only under mu.
	teams sync.Map

	mu      sync.Mutex
	closed  bool
	buckets map[string]*Location // by location identity, never by credentials: one open bucket per location
	// opening holds the opens in flight and the rotations under way, by
	// location identity: while a rotation holds a location, no Open of it
	// starts, so none can open it with keys read before the rotation.
	opening map[string]*openCall
}

// New checks cfg, checks that no stored team overlaps the instance's bucket
// (the instance address may have been changed since), and opens the
// instance's bucket. It does not run Check on the instance bucket: that is
// the operator's job at deployment time.
func New(ctx context.Context, cfg Config) (*Registry, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	full := cfg.Instance
	cfg.Instance = withoutCredentials(cfg.Instance)
	cfg.SupportedStores = cloneAddresses(cfg.SupportedStores) // credentials are not compared: drop them
	r := &Registry{cfg: cfg, buckets: map[string]*Location{}, opening: map[string]*openCall{}}
	if full == nil {
		return r, nil
	}
	recs, err := cfg.Store.List(ctx)
	if err != nil {
		return nil, storeFailure("open registry", "", err)
	}
	for _, rec := range recs {
		if rec.Storage != nil {
			if err := overlapError(rec.Team, rec.Storage, "instance", r.cfg.Instance); err != nil {
				err.Op = "open registry"
				err.Fix = "the instance address must not overlap the buckets of existing teams: restore the instance address it had when they were created"
				return nil, err
			}
		}
	}
	l, err := r.open(ctx, Instance, "", locationKey(full), func(context.Context) (*address.Address, error) { return full, nil })
	if err != nil {
		return nil, err
	}
	r.instance = l
	return r, nil
}

func (c *Config) check() error {
	bad := func(detail, fix string) error {
		return &Error{Op: "open registry", Kind: ErrInvalid, Detail: detail, Fix: fix}
	}
	switch {
	case c.Store == nil:
		return bad("Config.Store is nil", "set it to scope.NewMemStore(), a FileStore or the server's own Store")
	case c.Open == nil || c.Check == nil:
		return bad("Config.Open or Config.Check is nil", "set them, e.g. to scope.ProviderOpen() and scope.ProviderCheck(preflight.Options{})")
	case c.Deployment == MultiTenant && c.Instance != nil:
		return bad("a multi-tenant deployment has no instance bucket", "leave Config.Instance nil")
	case c.Deployment != MultiTenant && c.Instance == nil:
		if _, ok := availability[c.Deployment]; ok {
			return bad(string(c.Deployment)+" deployments need an instance bucket", "set Config.Instance")
		}
	}
	if c.AnyStore && len(c.SupportedStores) > 0 {
		return bad("Config.AnyStore allows every store, but Config.SupportedStores lists some",
			"set one of them: the list, or AnyStore for no list")
	}
	if c.Instance != nil && c.Instance.IsBare() {
		return bad("Config.Instance names no bucket", "set it to the instance bucket's full address")
	}
	if c.Instance != nil {
		if err := c.Instance.Validate(); err != nil {
			return invalidAddress("open registry", "", "Config.Instance", err)
		}
	}
	if slices.Contains(c.SupportedStores, nil) {
		return bad("Config.SupportedStores holds a nil address", "build the list with address.ParseList")
	}
	for i, a := range c.SupportedStores {
		if err := a.Validate(); err != nil && !a.IsBare() {
			return invalidAddress("open registry", "", "entry "+strconv.Itoa(i+1)+" of Config.SupportedStores", err)
		}
	}
	if c.Deployment == MultiTenant {
		return Available(c.Deployment, Team, address.FlavorAWS) // checks the deployment is known
	}
	if err := Available(c.Deployment, Instance, flavorOf(c.Instance)); err != nil {
		err.(*Error).Op = "open registry"
		return err
	}
	return nil
}

func flavorOf(a *address.Address) address.Flavor {
	if a == nil {
		return ""
	}
	return a.Flavor()
}

func withoutCredentials(a *address.Address) *address.Address {
	if a == nil {
		return nil
	}
	return a.WithoutCredentials()
}

func cloneAddresses(list []*address.Address) []*address.Address {
	out := make([]*address.Address, len(list))
	for i, a := range list {
		out[i] = a.WithoutCredentials()
	}
	return out
}

// Close closes every bucket the registry opened. Locations resolved before
// stay valid as values, but their buckets are closed.
func (r *Registry) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return nil
	}
	r.closed = true
	r.teams.Clear() // look-ups now miss, and the slow path reports ErrClosed
	var errs []error
	for _, l := range r.buckets {
		errs = append(errs, l.handle.Close())
	}
	r.buckets = nil
	return errors.Join(errs...)
}

func (r *Registry) checkOpen(op, team string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return closedError(op, team)
	}
	return nil
}

// String describes the registry, redacted: its deployment and instance
// bucket (never the teams' addresses).
func (r *Registry) String() string {
	inst := "none"
	if r.cfg.Instance != nil {
		inst = r.cfg.Instance.String()
	}
	return "scope.Registry(" + string(r.cfg.Deployment) + ", instance " + inst + ")"
}

// GoString is String, so that %#v prints no key.
func (r *Registry) GoString() string { return r.String() }

// Format prints String under every verb.
func (r *Registry) Format(f fmt.State, _ rune) { fmt.Fprint(f, r.String()) }

// LogValue makes log/slog print String.
func (r *Registry) LogValue() slog.Value { return slog.StringValue(r.String()) }

// MarshalJSON encodes String.
func (r *Registry) MarshalJSON() ([]byte, error) { return json.Marshal(r.String()) }
