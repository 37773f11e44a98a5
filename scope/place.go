package scope

import (
	"strings"

	"github.com/byobkit/byob/address"
)

// place is where a location's data lives: a bucket's identity and the root
// prefix inside it. Two locations can only overlap in the same bucket.
type place struct {
	bucket string // provider, endpoint, account and bucket; never credentials
	root   string // "" = the whole bucket; else "a/b", no '/' at either end
}

// locationKey identifies a location without its credentials: the key of
// the registry's open buckets. TEMPORARY: the redacted canonical address,
// until address.BucketID lands.
func locationKey(a *address.Address) string { return a.WithoutCredentials().String() }

// sameLocation reports whether a and b name one location: the same
// provider, service, account, bucket and sub-path, whatever the
// credentials. TEMPORARY: the canonical addresses without credentials must
// be equal, until address.SameLocation lands.
func sameLocation(a, b *address.Address) bool {
	return a.WithoutCredentials().URL() == b.WithoutCredentials().URL()
}

// placeOf computes an address's place. The identity errs towards "same
// bucket": a false match refuses a safe topology with a clear error, a missed
// match could let two locations share data.
func placeOf(a *address.Address) place {
	if a.Flavor() == address.FlavorFile {
		// The file system is one bucket and the directory is the root, so
		// that file:///data and file:///data/team nest.
		return place{bucket: "file", root: strings.Trim(a.Bucket, "/")}
	}
	return place{bucket: endpointID(a) + " " + a.Account + " " + a.Bucket, root: a.Path}
}

// endpointID names the service an address reaches, without credentials.
func endpointID(a *address.Address) string {
	switch f := a.Flavor(); f {
	case address.FlavorAWS:
		// Bucket names are unique within an AWS partition, whatever the
		// endpoint (regional, dual-stack, FIPS) or the lack of one.
		if strings.HasSuffix(strings.ToLower(a.Endpoint), ".amazonaws.com.cn") {
			return "s3 aws-cn"
		}
		return "s3 aws"
	case address.FlavorCoreWeave, address.FlavorCoreWeaveLOTA:
		return "coreweave" // cwobject.com and cwlota.com reach the same buckets
	case address.FlavorGCS:
		return "gs " + strings.ToLower(a.Endpoint) // "" = Google's own service
	case address.FlavorFile, address.FlavorMem:
		return string(f)
	default:
		return string(f) + " " + strings.ToLower(a.Host())
	}
}

// prefix is the key prefix the place's data lives under in its bucket.
func (p place) prefix() string {
	if p.root == "" {
		return ""
	}
	return p.root + "/"
}

// relation says how q's data lies relative to p's in the same bucket: ""
// when they cannot overlap.
func (p place) relation(q place) string {
	switch {
	case p.bucket != q.bucket:
		return ""
	case p.root == q.root:
		return "the same prefix as"
	case within(p.root, q.root):
		return "inside"
	case within(q.root, p.root):
		return "around"
	}
	return ""
}

// within reports whether root lies strictly inside outer.
func within(root, outer string) bool {
	return outer == "" && root != "" || strings.HasPrefix(root, outer+"/")
}
