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
// team it is a map look-up: storage never changes, so the result is cached
// for the registry's life. An unknown team is an error of kind ErrNotFound.
func (r *Registry) Location(ctx context.Context, team string) (*Location, error) {
	r.mu.RLock()
	l := r.teams[team]
	r.mu.RUnlock()
	if l != nil {
		return l, nil
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
	rec, err := r.cfg.Store.Get(ctx, team)
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			return nil, withOp(notFoundError(team), op, team)
		}
		return nil, storeFailure(op, team, err)
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
		if l, err = r.open(ctx, Team, team, rec.Storage); err != nil {
			return nil, err
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return nil, closedError(op, team)
	}
	r.teams[team] = l
	return l, nil
}

// open returns the location for a, sharing the bucket of an address already
// open. Concurrent first look-ups of one address wait for a single Open
// rather than racing: opening a cloud bucket may mean fetching credentials,
// and "one open bucket per address" is a promise callers count on.
func (r *Registry) open(ctx context.Context, s Scope, team string, a *address.Address) (*Location, error) {
	const op = "open bucket"
	url := a.URL()
	for {
		r.mu.Lock()
		if r.closed {
			r.mu.Unlock()
			return nil, closedError(op, team)
		}
		if l := r.buckets[url]; l != nil {
			r.mu.Unlock()
			return l, nil
		}
		if c := r.opening[url]; c != nil {
			r.mu.Unlock()
			select {
			case <-c.done:
			case <-ctx.Done():
				return nil, &Error{Op: op, Team: team, Kind: ErrUnusable,
					Detail: "gave up waiting for " + a.String() + " to open", Cause: ctx.Err()}
			}
			switch {
			case c.err == nil:
				return c.l, nil
			case isContextError(c.err) && ctx.Err() == nil:
				// The opener's own context ended its attempt: no reason
				// to fail a caller whose context is still live.
				continue
			}
			return nil, c.err
		}
		c := &openCall{done: make(chan struct{})}
		r.opening[url] = c
		r.mu.Unlock()

		c.l, c.err = r.openOnce(ctx, op, s, team, url, a)
		r.mu.Lock()
		delete(r.opening, url)
		r.mu.Unlock()
		close(c.done)
		return c.l, c.err
	}
}

// openCall is one Open in flight, shared by every caller that wants the
// same address meanwhile.
type openCall struct {
	done chan struct{} // closed when l or err is set
	l    *Location
	err  error
}

// openOnce opens a's bucket and records its location.
func (r *Registry) openOnce(ctx context.Context, op string, s Scope, team, url string, a *address.Address) (*Location, error) {
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
	r.buckets[url] = l
	return l, nil
}

func isContextError(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

// Authorize is what a pre-signer consults before signing: it resolves team's
// location, checks that u may use it for acc, and checks key. It returns the
// location to sign against.
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
