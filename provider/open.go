package provider

import (
	"context"
	"errors"

	"github.com/byobkit/byob/address"
	"gocloud.dev/blob"
	"gocloud.dev/gcerrors"
)

// opener opens the bucket an address names, unrooted, and fills in the
// handle's provider-specific parts (native clients, signing credentials).
type opener func(ctx context.Context, a *address.Address, o Options, h *Handle) (*blob.Bucket, error)

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

// Open opens the bucket a names and returns its Handle. The handle's
// bucket is rooted at a's sub-path: the keys the caller uses are relative
// to a.Path, and nothing done through the bucket reaches outside it. The
// driver is built from the address alone: its credentials, endpoint,
// region and the provider's quirks (see address.Rules). Only an address
// without credentials uses the server's ambient identity, and the only
// other input is opts (see Options).
//
// Open does no network I/O, except that an ambient Google identity may probe
// the GCE metadata server once per process; errors in the bucket's
// configuration show up on first use or through the preflight check.
//
// Errors are *Error values, except a region that cannot be resolved, which
// is the *address.Error from address.Address.ResolveRegion.
func Open(ctx context.Context, a *address.Address, opts ...Option) (*Handle, error) {
	if a == nil || a.IsBare() || a.Bucket == "" {
		p := address.Provider("")
		if a != nil {
			p = a.Provider
		}
		return nil, &Error{Op: OpOpen, Provider: p, Code: gcerrors.InvalidArgument, Err: ErrNoBucket}
	}
	o := Collect(opts...)
	h := &Handle{loc: *a.WithoutCredentials(), source: CredentialSourceOf(a), endpoint: endpointOf(a)}
	if h.source == CredentialsAddress {
		c := a.Credentials()
		h.creds.Store(&c)
	}
	var b *blob.Bucket
	if a.Provider == address.Mem {
		b = openMem(a.Bucket)
	} else {
		open, ok := openers[a.Provider]
		if !ok {
			return nil, &Error{Op: OpOpen, Provider: a.Provider, Bucket: a.Bucket, Code: gcerrors.InvalidArgument, Err: ErrUnsupported}
		}
		var err error
		if b, err = open(ctx, a, o, h); err != nil {
			return nil, err
		}
	}
	b = wrapBucket(a, h.Address, b, a.Provider == address.Azure)
	if p := prefix(a); p != "" {
		b = blob.PrefixedBucket(b, p)
	}
	h.bucket = b
	return h, nil
}

// CredentialSourceOf says where Open takes a's credentials from, without
// opening it: Handle.CredentialSource says the same of an opened bucket.
// CredentialsNone means no request carries a credential (file://, mem://,
// a GCS emulator reached over plain HTTP without keys); nil is
// CredentialsNone.
func CredentialSourceOf(a *address.Address) CredentialSource {
	switch {
	case a == nil || a.Provider == address.File || a.Provider == address.Mem:
		return CredentialsNone
	case a.HasCredentials():
		return CredentialsAddress
	case a.Provider == address.GCS && gcsEmulator(a):
		return CredentialsNone
	}
	return CredentialsAmbient
}

// endpointOf is the service base URL a handle reports: the address's, or
// "" for a flavor reached without a network (file, mem).
func endpointOf(a *address.Address) string {
	if a.Flavor().Rules().TLS == address.TLSNone {
		return ""
	}
	return a.EndpointURL()
}

// prefix is the key prefix of a's sub-path: "<path>/", or "" for the whole
// bucket.
func prefix(a *address.Address) string {
	if a.Path == "" {
		return ""
	}
	return a.Path + "/"
}

// NewHandle returns a Handle over a bucket the caller opened itself
// (another gocloud driver, a test's fake), already rooted at a's sub-path.
// It has a's location and flavor but no native clients nor signing
// credentials: the methods that need them report ErrNoSigner or return
// nil. Closing the handle closes b.
func NewHandle(a *address.Address, b *blob.Bucket) *Handle {
	h := &Handle{loc: *a.WithoutCredentials(), source: CredentialSourceOf(a), endpoint: endpointOf(a), bucket: b}
	if h.source == CredentialsAddress {
		c := a.Credentials()
		h.creds.Store(&c)
	}
	h.region = a.Region
	// The caller's bucket is rooted already: wrap it as it is, so its
	// errors are scrubbed and classified like those of Open's buckets.
	h.bucket = wrapBucket(a, h.Address, b, false)
	return h
}
