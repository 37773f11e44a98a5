package scope

import (
	"context"
	"errors"
	"slices"
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
// team's creation; warnings do not and are handed back to the caller. Neither
// may contain a secret. ProviderCheck adapts preflight.Check.
type CheckFunc func(ctx context.Context, a *address.Address) (warnings []string, err error)

// Config configures a Registry.
type Config struct {
	// Deployment selects the availability matrix's row.
	Deployment Deployment
	// Instance is the instance's bucket. It is required except for
	// MultiTenant, which has none (and so refuses teams without a bucket).
	Instance *address.Address
	// SupportedStores is the instance's supported-stores list
	// (GORILLA_SUPPORTED_FILE_STORES, parsed by address.ParseList). Every
	// team bucket must match an entry; an empty list restricts nothing
	// beyond the availability matrix.
	SupportedStores []*address.Address
	// Store keeps the team records.
	Store Store
	// Open opens buckets; Check checks a team bucket before its creation.
	Open  OpenFunc
	Check CheckFunc
}

// Registry is the registry of team storage: it creates teams with their
// storage, resolves a team's Location on the request path, and decides
// access. It is safe for concurrent use. Close it to close the buckets.
type Registry struct {
	cfg      Config
	instance *Location // nil when the deployment has no instance bucket

	mu      sync.RWMutex
	closed  bool
	teams   map[string]*Location // resolved teams: storage is immutable, so never stale
	buckets map[string]*Location // locations by a.URL(): one open bucket per distinct address
	opening map[string]*openCall // opens in flight, by a.URL()
}

// New checks cfg, checks that no stored team overlaps the instance's bucket
// (the instance address may have been changed since), and opens the
// instance's bucket. It does not run Check on the instance bucket: that is
// the operator's job at deployment time.
func New(ctx context.Context, cfg Config) (*Registry, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	cfg.SupportedStores = cloneAddresses(cfg.SupportedStores)
	r := &Registry{cfg: cfg, teams: map[string]*Location{}, buckets: map[string]*Location{}, opening: map[string]*openCall{}}
	if cfg.Instance == nil {
		return r, nil
	}
	inst := *cfg.Instance
	r.cfg.Instance = &inst
	recs, err := cfg.Store.List(ctx)
	if err != nil {
		return nil, storeFailure("open registry", "", err)
	}
	for _, rec := range recs {
		if rec.Storage != nil {
			if err := overlapError(rec.Team, rec.Storage, "instance", &inst); err != nil {
				err.Op = "open registry"
				err.Fix = "the instance address must not overlap the buckets of existing teams: restore the instance address it had when they were created"
				return nil, err
			}
		}
	}
	l, err := r.open(ctx, Instance, "", &inst)
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
	if c.Instance != nil && c.Instance.IsBare() {
		return bad("Config.Instance names no bucket", "set it to the instance bucket's full address")
	}
	if slices.Contains(c.SupportedStores, nil) {
		return bad("Config.SupportedStores holds a nil address", "build the list with address.ParseList")
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

func cloneAddresses(list []*address.Address) []*address.Address {
	out := make([]*address.Address, len(list))
	for i, a := range list {
		c := *a
		out[i] = &c
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
	var errs []error
	for _, l := range r.buckets {
		errs = append(errs, l.handle.Close())
	}
	r.teams, r.buckets = nil, nil
	return errors.Join(errs...)
}

func (r *Registry) checkOpen(op, team string) error {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if r.closed {
		return closedError(op, team)
	}
	return nil
}
