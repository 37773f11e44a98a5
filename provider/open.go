package provider

import (
	"context"
	"errors"

	"github.com/byobkit/byob/address"
	"gocloud.dev/blob"
	"gocloud.dev/gcerrors"
)

// opener opens the bucket an address names, unrooted.
type opener func(ctx context.Context, a *address.Address, o Options) (*blob.Bucket, error)

// openers has one entry per provider. mem is rooted by openMem itself.
var openers = map[address.Provider]opener{
	address.S3:        openS3,
	address.CoreWeave: openS3,
	address.GCS:       openGCS,
	address.Azure:     openAzure,
	address.File:      openFile,
}

// ErrNoBucket is the kind of the *Error Open returns for an address that
// names no bucket: nil, or a bare scheme such as "cw://", which only a
// supported-stores list may hold.
var ErrNoBucket = errors.New("the address names no bucket")

// ErrUnsupported is the kind of the *Error Open returns for a provider it
// cannot open.
var ErrUnsupported = errors.New("unsupported provider")

// Open returns the bucket a names, rooted at its sub-path: the keys the
// caller uses are relative to a.Path, and nothing done through the bucket
// reaches outside it. The driver is built from the address alone: its
// credentials, endpoint, region and the provider's quirks (see Quirks).
// Only an address without credentials uses the server's ambient identity,
// and the only other input is opts (see Options).
//
// Open does no network I/O, except that an ambient Google identity may probe
// the GCE metadata server once per process; errors in the bucket's
// configuration show up on first use or through the preflight check.
//
// Errors are *Error values, except a region that cannot be resolved, which
// is the *address.Error from address.Address.ResolveRegion.
func Open(ctx context.Context, a *address.Address, opts ...Option) (*blob.Bucket, error) {
	if a == nil || a.IsBare() || a.Bucket == "" {
		p := address.Provider("")
		if a != nil {
			p = a.Provider
		}
		return nil, &Error{Op: OpOpen, Provider: p, Code: gcerrors.InvalidArgument, Err: ErrNoBucket}
	}
	o := Collect(opts...)
	if a.Provider == address.Mem {
		return openMem(a.Bucket, prefix(a)), nil
	}
	open, ok := openers[a.Provider]
	if !ok {
		return nil, &Error{Op: OpOpen, Provider: a.Provider, Bucket: a.Bucket, Code: gcerrors.InvalidArgument, Err: ErrUnsupported}
	}
	b, err := open(ctx, a, o)
	if err != nil {
		return nil, err
	}
	if p := prefix(a); p != "" {
		b = blob.PrefixedBucket(b, p)
	}
	return b, nil
}

// prefix is the key prefix of a's sub-path: "<path>/", or "" for the whole
// bucket.
func prefix(a *address.Address) string {
	if a.Path == "" {
		return ""
	}
	return a.Path + "/"
}
