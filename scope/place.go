package scope

import (
	"strings"

	"github.com/byobkit/byob/address"
)

// place is where a location's data lives: a bucket's identity and the root
// prefix inside it. Two locations can only overlap in the same bucket.
type place struct {
	bucket string // address.BucketID: service, account and bucket; never credentials
	root   string // "" = the whole bucket; else "a/b", no '/' at either end
}

// placeOf computes an address's place from its canonical identity
// (address.BucketID), so that one bucket spelled two ways (a default port,
// an endpoint that is the provider's own, a host in another case, IPv6 in
// long form, any AWS endpoint of one partition) is one bucket. What the
// identity cannot know is two DNS names for one server: those are two
// buckets here.
func placeOf(a *address.Address) place {
	if a.Provider == address.File {
		// The file system is one bucket and the directory is the root, so
		// that file:///data and file:///data/team nest.
		return place{bucket: a.BucketID(), root: strings.Trim(a.Bucket, "/")}
	}
	return place{bucket: a.BucketID(), root: strings.Trim(a.Path, "/")}
}

// locationKey identifies a location without its credentials: the key of
// the registry's open buckets. Two addresses with one key are one location
// (address.SameLocation), which the overlap rule lets only one team have.
func locationKey(a *address.Address) string {
	p := placeOf(a)
	return p.bucket + "/" + p.root
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
