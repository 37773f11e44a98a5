package scope

import (
	"context"

	"github.com/byobkit/byob/address"
)

// CreateTeam records a new team and its storage: storage is the team's own
// bucket, or nil for the instance's. It applies the rules in this order and
// stops at the first that refuses, with an *Error of that kind; nothing is
// written then:
//
//  0. ErrInvalid: the team name is valid, and storage names a bucket in
//     the form address.Parse gives (address.Address.Validate, for an
//     Address built by hand);
//  1. ErrNotAvailable: the availability matrix offers the storage for the
//     deployment at team level (nil storage: the deployment has an instance
//     bucket);
//  2. ErrNotSupportedStore: the bucket matches the supported-stores list
//     (a self-managed instance needs a list, unless Config.AnyStore);
//  3. ErrUnusable: Config.Check finds no error (its warnings are returned);
//  4. ErrOverlap: the location's data does not overlap the instance's or
//     another team's (see the package documentation);
//  5. ErrExists: the team does not exist yet; ErrImmutable instead when it
//     exists with other storage, which cannot be changed.
//
// Rules 4 and 5 run inside Store.Create, atomically with the insertion, so
// two servers creating teams at once cannot both pass them. The record
// keeps the storage and its credentials apart (see Record).
func (r *Registry) CreateTeam(ctx context.Context, team string, storage *address.Address) (warnings []string, err error) {
	const op = "create team"
	if err := checkTeamName(team); err != nil {
		return nil, withOp(err, op, "")
	}
	if err := r.checkOpen(op, team); err != nil {
		return nil, err
	}
	rec := Record{Team: team}
	if storage != nil {
		if storage.IsBare() {
			return nil, &Error{Op: op, Team: team, Kind: ErrInvalid, Detail: "the storage address names no bucket",
				Fix: "give the team bucket's full address, or nil for the instance's bucket"}
		}
		if err := storage.Validate(); err != nil {
			return nil, invalidAddress(op, team, "the storage address", err)
		}
		full := *storage
		rec.Storage, rec.Credentials = full.WithoutCredentials(), full.Credentials()
		if warnings, err = r.checkBucket(ctx, team, &full); err != nil {
			return nil, err
		}
	} else if r.instance == nil {
		return nil, &Error{Op: op, Team: team, Kind: ErrNotAvailable,
			Detail: string(r.cfg.Deployment) + " deployments have no instance bucket for teams created without one",
			Fix:    "give the team its own bucket"}
	}
	err = r.cfg.Store.Create(ctx, rec, func(existing []Record) error { return r.validate(rec, existing) })
	if err != nil {
		return nil, storeFailure(op, team, err)
	}
	return warnings, nil
}

// checkBucket applies rules 1 to 3 to a team bucket.
func (r *Registry) checkBucket(ctx context.Context, team string, a *address.Address) ([]string, error) {
	const op = "create team"
	if err := Available(r.cfg.Deployment, Team, a.Flavor()); err != nil {
		return nil, withOp(err, op, team)
	}
	if err := r.checkSupported(a); err != nil {
		return nil, withOp(err, op, team)
	}
	warnings, err := r.cfg.Check(ctx, a)
	if err != nil {
		return nil, &Error{Op: op, Team: team, Kind: ErrUnusable,
			Detail: "the check of " + a.String() + " failed", Cause: err,
			Fix: "fix the bucket's settings or permissions (run the operator's bucket check), then create the team again"}
	}
	return warnings, nil
}

// validate applies rules 4 and 5 against the store's current records.
func (r *Registry) validate(rec Record, existing []Record) error {
	if rec.Storage != nil {
		if r.instance != nil {
			if err := overlapError(rec.Team, rec.Storage, "instance", r.cfg.Instance); err != nil {
				return err
			}
		}
		for _, o := range existing {
			if o.Team == rec.Team || o.Storage == nil {
				continue // a team's own record is rule 5's business
			}
			if err := overlapError(rec.Team, rec.Storage, "team "+quote(o.Team), o.Storage); err != nil {
				return err
			}
		}
	}
	for _, o := range existing {
		if o.Team != rec.Team {
			continue
		}
		switch {
		case !sameStorage(o.Storage, rec.Storage):
			return immutableError(rec.Team, o.Storage)
		case o.Credentials != rec.Credentials:
			return existsError(rec.Team, "with other credentials: to replace them, use RotateCredentials")
		}
		return existsError(rec.Team, "")
	}
	return nil
}

// overlapError reports whether team's storage a would share data with
// other's location b: in the same bucket, the two data prefixes must neither
// coincide nor nest.
func overlapError(team string, a *address.Address, other string, b *address.Address) *Error {
	p, q := placeOf(a), placeOf(b)
	rel := p.relation(q)
	if rel == "" {
		return nil
	}
	c := &Conflict{Address: a.String(), Prefix: p.prefix(), Other: other,
		OtherAddress: b.String(), OtherPrefix: q.prefix(), Relation: rel}
	if other == "instance" {
		other = "the instance"
	}
	return &Error{Op: "create team", Team: team, Kind: ErrOverlap, Overlap: c,
		Detail: "its data prefix " + describePrefix(c.Prefix) + " in " + c.Address + " would be " + rel + " " +
			other + "'s data prefix " + describePrefix(c.OtherPrefix) + " in " + c.OtherAddress +
			": each location owns everything under its prefix (its garbage collection and listings cover it all)",
		Fix: "give the team a sub-path beside, not inside or around, the other location's (e.g. <bucket>/teams/<team> with the instance at <bucket>/instance), or another bucket"}
}

// invalidAddress refuses an address that address.Address.Validate refuses
// (its errors quote no value).
func invalidAddress(op, team, what string, err error) error {
	return &Error{Op: op, Team: team, Kind: ErrInvalid, Detail: what + " is not valid", Cause: err,
		Fix: "build it with address.Parse, or correct the field the cause names"}
}

func describePrefix(p string) string {
	if p == "" {
		return `"" (the whole bucket)`
	}
	return quote(p)
}

// sameStorage reports whether two records' storage is one location (nil:
// the instance's), whatever the credentials.
func sameStorage(a, b *address.Address) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.SameLocation(b)
}

func immutableError(team string, current *address.Address) error {
	where := "the instance's bucket"
	if current != nil {
		where = current.String()
	}
	return &Error{Op: "create team", Team: team, Kind: ErrImmutable,
		Detail: "the team exists and its storage (" + where + ") cannot be changed after creation",
		Fix:    "keep the team's storage (only its credentials can be replaced, with RotateCredentials); to use another bucket, create a new team with it and move the members"}
}
