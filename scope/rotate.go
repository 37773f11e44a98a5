package scope

import (
	"context"
	"errors"

	"github.com/byobkit/byob/address"
)

// RotateCredentials replaces the credentials of team's own bucket with the
// ones in storage, which must name exactly the team's location: the same
// provider, service, account, bucket and sub-path (only the keys differ;
// the same keys again are fine). It applies the rules in this order and
// stops at the first that refuses, with an *Error of that kind; nothing is
// written then and the old keys stay in use:
//
//  1. ErrInvalid: storage is a full address with credentials in the form
//     address.Parse gives (address.Address.Validate), and the team uses
//     keys of its own (not the server's ambient identity);
//  2. ErrNotFound: the team exists;
//  3. ErrNoTeamBucket: the team has a bucket of its own (a team on the
//     instance's bucket has no credentials of its own: see
//     RotateInstanceCredentials);
//  4. ErrImmutable: storage names the team's location;
//  5. ErrUnusable: Config.Check, run on the team's location with the new
//     keys, finds no error (its warnings are returned);
//  6. ErrInvalid: the open bucket can switch to the new keys (same kind;
//     for GCS, the same service account).
//
// Then the team's open bucket, if this registry has opened it, switches to
// them atomically, and the store replaces the record's credentials
// (Store.SetCredentials, which checks the location again inside its lock);
// if the store refuses or fails, the bucket switches back (ErrStore, or the
// store's refusal). Requests signed after RotateCredentials returns use the
// new keys, and Location.Address shows them. A registry in another process on the same store keeps the keys it
// opened the bucket with until it is restarted or RotateCredentials is
// called on it too (with the same keys: it rewrites them, which is fine).
func (r *Registry) RotateCredentials(ctx context.Context, team string, storage *address.Address) (warnings []string, err error) {
	const op = "rotate credentials"
	if err := checkTeamName(team); err != nil {
		return nil, withOp(err, op, "")
	}
	if err := r.checkOpen(op, team); err != nil {
		return nil, err
	}
	if err := checkNewCredentials(op, team, storage); err != nil {
		return nil, err
	}
	rec, err := r.record(ctx, op, team)
	if err != nil {
		return nil, err
	}
	if rec.Storage == nil {
		return nil, &Error{Op: op, Team: team, Kind: ErrNoTeamBucket,
			Detail: "the team uses the instance's bucket, whose credentials are the instance's",
			Fix:    "rotate the instance's credentials with RotateInstanceCredentials"}
	}
	if err := rotationTarget(op, team, rec.Storage, rec.Credentials, storage); err != nil {
		return nil, err
	}
	c := storage.Credentials()
	full := rec.Storage.WithCredentials(c) // the stored spelling, with the new keys
	if warnings, err = r.checkCredentials(ctx, op, team, full); err != nil {
		return nil, err
	}
	l, release, err := r.hold(ctx, op, team, locationKey(rec.Storage))
	if err != nil {
		return nil, err
	}
	defer release()
	undo, err := switchCredentials(ctx, op, team, l, c)
	if err != nil {
		return nil, err
	}
	err = r.cfg.Store.SetCredentials(ctx, team, c, func(cur Record) error {
		if cur.Storage == nil || !cur.Storage.SameLocation(rec.Storage) {
			return withOp(immutableError(team, cur.Storage), op, team) // changed by hand since: refuse
		}
		return nil
	})
	if err != nil {
		err = storeFailure(op, team, err)
		if uerr := undo(); uerr != nil {
			return nil, errors.Join(err, uerr)
		}
		return nil, err
	}
	return warnings, nil
}

// RotateInstanceCredentials replaces the credentials of the instance's
// bucket with the ones in storage, which must name exactly the instance's
// location, after the same checks as RotateCredentials (ErrNotAvailable for
// a deployment without an instance bucket). The instance's address is
// configuration, not a store record: the registry switches its open bucket,
// and the operator updates the configured address so that the next start
// uses the new keys.
func (r *Registry) RotateInstanceCredentials(ctx context.Context, storage *address.Address) (warnings []string, err error) {
	const op = "rotate instance credentials"
	if err := r.checkOpen(op, ""); err != nil {
		return nil, err
	}
	if r.instance == nil {
		return nil, &Error{Op: op, Kind: ErrNotAvailable, Detail: string(r.cfg.Deployment) + " deployments have no instance bucket"}
	}
	if err := checkNewCredentials(op, "", storage); err != nil {
		return nil, err
	}
	current := r.instance.handle.Address()
	if err := rotationTarget(op, "", r.cfg.Instance, current.Credentials(), storage); err != nil {
		return nil, err
	}
	c := storage.Credentials()
	if warnings, err = r.checkCredentials(ctx, op, "", r.cfg.Instance.WithCredentials(c)); err != nil {
		return nil, err
	}
	l, release, err := r.hold(ctx, op, "", locationKey(r.cfg.Instance))
	if err != nil {
		return nil, err
	}
	defer release()
	if _, err := switchCredentials(ctx, op, "", l, c); err != nil {
		return nil, err
	}
	return warnings, nil
}

// checkNewCredentials applies rule 1's first half: storage is a full
// address with keys.
func checkNewCredentials(op, team string, storage *address.Address) error {
	switch {
	case storage == nil || storage.IsBare():
		return &Error{Op: op, Team: team, Kind: ErrInvalid, Detail: "the address names no bucket",
			Fix: "give the bucket's full address with the new credentials"}
	case storage.Credentials().IsZero():
		return &Error{Op: op, Team: team, Kind: ErrInvalid, Detail: "the address carries no credentials",
			Fix: "give the bucket's full address with the new credentials"}
	}
	if err := storage.Validate(); err != nil {
		return invalidAddress(op, team, "the address with the new credentials", err)
	}
	return nil
}

// rotationTarget applies rule 1's second half and rule 4: the location has
// keys to replace, and storage names it.
func rotationTarget(op, team string, current *address.Address, creds address.Credentials, storage *address.Address) error {
	whose := "the instance's bucket"
	if team != "" {
		whose = "the team's bucket"
	}
	if creds.IsZero() {
		return &Error{Op: op, Team: team, Kind: ErrInvalid,
			Detail: whose + " is reached with the server's own identity, not keys: there are no keys to replace",
			Fix:    "change the identity's permissions instead; keys cannot replace the server's identity"}
	}
	if !current.SameLocation(storage) {
		return &Error{Op: op, Team: team, Kind: ErrImmutable,
			Detail: storage.WithoutCredentials().String() + " is not " + whose + " (" + current.String() +
				"): only the credentials can change, never the provider, service, account, bucket or sub-path",
			Fix: "give " + whose + "'s own address with the new keys; to use another bucket, create a new team with it and move the members"}
	}
	return nil
}

// checkCredentials applies rule 5: the bucket check passes with the new keys.
func (r *Registry) checkCredentials(ctx context.Context, op, team string, full *address.Address) ([]string, error) {
	warnings, err := r.cfg.Check(ctx, full)
	if err != nil {
		return nil, &Error{Op: op, Team: team, Kind: ErrUnusable,
			Detail: "the check of " + full.String() + " with the new credentials failed; the old ones stay in use", Cause: err,
			Fix: "give keys that can use the bucket (run the operator's bucket check with them), then rotate again"}
	}
	return warnings, nil
}

// switchCredentials applies rule 6: the open location l (nil: not open in
// this registry) switches to c. undo switches it back to the keys it had.
func switchCredentials(ctx context.Context, op, team string, l *Location, c address.Credentials) (undo func() error, err error) {
	if l == nil {
		return func() error { return nil }, nil
	}
	was := l.handle.Address()
	old := was.Credentials()
	if err := l.handle.SetCredentials(ctx, c); err != nil {
		kind := ErrInvalid
		if isContextError(err) {
			kind = ErrUnusable
		}
		return nil, &Error{Op: op, Team: team, Kind: kind, Cause: err,
			Detail: "the open bucket cannot switch to the new credentials; the old ones stay in use",
			Fix:    "give keys of the same kind as the old ones (for GCS, of the same service account)"}
	}
	return func() error {
		if err := l.handle.SetCredentials(context.WithoutCancel(ctx), old); err != nil {
			return &Error{Op: op, Team: team, Kind: ErrStore, Cause: err,
				Detail: "the store kept the old credentials, but the open bucket could not switch back to them"}
		}
		return nil
	}, nil
}
