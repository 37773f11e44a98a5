package scope

import (
	"context"
	"errors"

	"github.com/byobkit/byob/address"
)

// Instance returns the instance's location, or an error of kind
// ErrNotAvailable when the deployment has none.
func (r *Registry) Instance() (*Location, error) {
	if r.instance == nil {
		return nil, &Error{Op: "resolve location", Kind: ErrNotAvailable,
			Detail: string(r.cfg.Deployment) + " deployments have no instance bucket"}
	}
	return r.instance, nil
}

// Location resolves the location of team's files: its team bucket, or the
// instance's for a team created without one. After the first call for a
// team it is a look-up in a sync.Map, which writes no shared memory on a
// hit and so scales with cores: storage never changes (credentials do,
// but they switch inside the location's bucket), so the result is cached
// for the registry's life. An unknown team is an error of kind ErrNotFound.
func (r *Registry) Location(ctx context.Context, team string) (*Location, error) {
	if l, ok := r.teams.Load(team); ok {
		return l.(*Location), nil
	}
	return r.resolve(ctx, team)
}

// resolve is Location's slow path: read the store, open or share the bucket.
func (r *Registry) resolve(ctx context.Context, team string) (*Location, error) {
	const op = "resolve location"
	if err := checkTeamName(team); err != nil {
		return nil, withOp(err, op, "")
	}
	if err := r.checkOpen(op, team); err != nil {
		return nil, err
	}
	rec, err := r.record(ctx, op, team)
	if err != nil {
		return nil, err
	}
	var l *Location
	if rec.Storage == nil {
		if l, err = r.Instance(); err != nil {
			return nil, withOp(err, op, team)
		}
	} else {
		// Rules are checked at creation, but a store is shared: refuse a
		// record that another configuration (or a hand edit) let overlap
		// this instance's bucket, rather than serve two views of one prefix.
		if r.instance != nil {
			if err := overlapError(team, rec.Storage, "instance", r.cfg.Instance); err != nil {
				return nil, withOp(err, op, team)
			}
		}
		key := locationKey(rec.Storage)
		// The leader of the open reads the record again: a rotation may
		// have replaced the credentials since the read above, and the
		// bucket must not open (and be cached) with the old ones.
		load := func(ctx context.Context) (*address.Address, error) {
			again, err := r.record(ctx, op, team)
			if err != nil {
				return nil, err
			}
			if again.Storage == nil || locationKey(again.Storage) != key {
				return nil, &Error{Op: op, Team: team, Kind: ErrStore,
					Detail: "the team's stored storage changed while it was being resolved, which no registry does"}
			}
			return again.address(), nil
		}
		if l, err = r.open(ctx, Team, team, key, load); err != nil {
			return nil, err
		}
		if l.team != team {
			// Two records name one location, which the overlap rule never
			// lets CreateTeam write: never hand one team another's files.
			return nil, &Error{Op: op, Team: team, Kind: ErrOverlap,
				Detail: "the store's record names the location of team " + quote(l.team) + ", " + rec.Storage.String(),
				Fix:    "restore the team's record: two teams cannot share a location"}
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return nil, closedError(op, team)
	}
	cached, _ := r.teams.LoadOrStore(team, l) // under r.mu: never after Close
	return cached.(*Location), nil
}

// record reads team's record from the store and checks its shape.
func (r *Registry) record(ctx context.Context, op, team string) (Record, error) {
	rec, err := r.cfg.Store.Get(ctx, team)
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			return Record{}, withOp(notFoundError(team), op, team)
		}
		return Record{}, storeFailure(op, team, err)
	}
	if rec.Storage != nil && rec.Storage.HasCredentials() {
		return Record{}, &Error{Op: op, Team: team, Kind: ErrStore,
			Detail: "the store's record holds credentials inside Record.Storage",
			Fix:    "keep a record's credentials in Record.Credentials and its Storage without them (the Store must return what the registry gave it)"}
	}
	return rec, nil
}

// open returns the location for the address load returns, sharing the
// bucket of a location already open. key identifies the location without
// credentials. Concurrent first look-ups of one location wait for a single
// Open rather than racing: opening a cloud bucket may mean fetching
// credentials, and "one open bucket per location" is a promise callers
// count on. load runs only in the caller that opens.
func (r *Registry) open(ctx context.Context, s Scope, team, key string, load func(context.Context) (*address.Address, error)) (*Location, error) {
	const op = "open bucket"
	for {
		r.mu.Lock()
		if r.closed {
			r.mu.Unlock()
			return nil, closedError(op, team)
		}
		if l := r.buckets[key]; l != nil {
			r.mu.Unlock()
			return l, nil
		}
		if c := r.opening[key]; c != nil {
			r.mu.Unlock()
			select {
			case <-c.done:
			case <-ctx.Done():
				return nil, waitError(op, team, ctx.Err())
			}
			switch {
			case c.err == nil && c.l != nil:
				return c.l, nil
			case c.err == nil:
				// A rotation held the location and opened nothing:
				// look again.
				continue
			case isContextError(c.err) && ctx.Err() == nil:
				// The opener's own context ended its attempt: no reason
				// to fail a caller whose context is still live.
				continue
			}
			return nil, c.err
		}
		c := &openCall{done: make(chan struct{})}
		r.opening[key] = c
		r.mu.Unlock()

		c.l, c.err = r.openOnce(ctx, op, s, team, key, load)
		r.mu.Lock()
		delete(r.opening, key)
		r.mu.Unlock()
		close(c.done)
		return c.l, c.err
	}
}

// openCall is one Open in flight (or one rotation holding its location),
// shared by every caller that wants the same location meanwhile.
type openCall struct {
	done chan struct{} // closed when l or err is set
	l    *Location     // nil with a nil err: nothing was opened
	err  error
}

// openOnce opens the bucket and records its location.
func (r *Registry) openOnce(ctx context.Context, op string, s Scope, team, key string, load func(context.Context) (*address.Address, error)) (*Location, error) {
	a, err := load(ctx)
	if err != nil {
		return nil, err
	}
	h, err := r.cfg.Open(ctx, a)
	if err != nil {
		return nil, &Error{Op: op, Team: team, Kind: ErrUnusable,
			Detail: "cannot open " + a.String(), Cause: err}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		_ = h.Close()
		return nil, closedError(op, team)
	}
	l := newLocation(s, team, a, h)
	r.buckets[key] = l
	return l, nil
}

// hold makes the caller the only one using the location key: it waits for
// an Open in flight, then keeps new opens of key waiting until release.
// It returns the location if it is open (nil if not).
func (r *Registry) hold(ctx context.Context, op, team, key string) (l *Location, release func(), err error) {
	for {
		r.mu.Lock()
		if r.closed {
			r.mu.Unlock()
			return nil, nil, closedError(op, team)
		}
		c := r.opening[key]
		if c == nil {
			c = &openCall{done: make(chan struct{})}
			r.opening[key] = c
			l = r.buckets[key]
			r.mu.Unlock()
			return l, func() {
				r.mu.Lock()
				delete(r.opening, key)
				r.mu.Unlock()
				close(c.done) // l and err stay nil: waiters look again
			}, nil
		}
		r.mu.Unlock()
		select {
		case <-c.done:
		case <-ctx.Done():
			return nil, nil, waitError(op, team, ctx.Err())
		}
	}
}

// waitError reports a caller whose context ended while another opened the
// bucket (or rotated its credentials).
func waitError(op, team string, cause error) error {
	return &Error{Op: op, Team: team, Kind: ErrUnusable, Detail: "gave up waiting for the bucket to open", Cause: cause}
}

func isContextError(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

// Authorize is what a pre-signer consults before signing: it resolves team's
// location, checks that u may use it for acc, and checks key. It returns the
// location to sign against. On a cached team it writes no shared memory and
// does not allocate.
func (r *Registry) Authorize(ctx context.Context, u User, team, key string, acc Access) (*Location, error) {
	l, err := r.Location(ctx, team)
	if err != nil {
		return nil, err
	}
	if err := l.Allow(u, acc); err != nil {
		return nil, err
	}
	if err := l.CheckKey(key); err != nil {
		return nil, err
	}
	return l, nil
}
