package address

import (
	"crypto/tls"
	"slices"
)

// Flavor is the kind of service an address points at, finer than Provider:
// AWS S3 and an S3-compatible store share the "s3" scheme but differ in
// addressing style, TLS and region rules, and CoreWeave's two endpoints differ
// in TLS. Every fact that depends on the kind of service is kept as data in
// one table, read with Flavor.Rules, not spread through the code.
type Flavor string

// The flavors byob knows.
const (
	FlavorAWS           Flavor = "aws-s3"
	FlavorS3Compatible  Flavor = "s3-compatible"
	FlavorCoreWeave     Flavor = "coreweave"      // cwobject.com, HTTPS with TLS 1.3
	FlavorCoreWeaveLOTA Flavor = "coreweave-lota" // cwlota.com, plain HTTP inside CoreWeave
	FlavorGCS           Flavor = "gcs"
	FlavorAzure         Flavor = "azure-blob"
	FlavorFile          Flavor = "file"
	FlavorMem           Flavor = "mem"
)

// Style is how a bucket is named in request URLs.
type Style string

// Addressing styles.
const (
	// StylePath puts the bucket in the URL path: https://host/bucket/key.
	StylePath Style = "path"
	// StyleVirtualHosted puts the bucket in the host: https://bucket.host/key.
	StyleVirtualHosted Style = "virtual-hosted"
	// StyleNone: the provider has no such notion (file, mem).
	StyleNone Style = "none"
)

// TLSRule says what an address may say about TLS.
type TLSRule int

// TLS rules.
const (
	// TLSOptIn: plain HTTP unless the address says tls=true.
	TLSOptIn TLSRule = iota
	// TLSAlways: always HTTPS; tls=true is accepted and dropped, tls=false refused.
	TLSAlways
	// TLSRequired: always HTTPS, and the address must say tls=true.
	TLSRequired
	// TLSForbidden: always plain HTTP; tls=true is refused.
	TLSForbidden
	// TLSFromEndpoint: HTTPS unless an endpoint= parameter names http://.
	TLSFromEndpoint
	// TLSNone: no network (file, mem).
	TLSNone
)

// RegionRule says when an address must carry ?region=.
type RegionRule int

// Region rules.
const (
	// RegionNone: the provider has no region in its address; ?region= is refused.
	RegionNone RegionRule = iota
	// RegionRequired: ?region= is mandatory.
	RegionRequired
	// RegionOrCaller: the region may come from the endpoint's name or, failing
	// that, from the caller (e.g. AWS_REGION): see Address.ResolveRegion.
	RegionOrCaller
	// RegionWithCredentials: mandatory when the address carries credentials;
	// an address using the server's ambient identity may leave it to the caller.
	RegionWithCredentials
)

// Rules are every per-flavor fact byob knows, as plain data: one record
// per flavor (as rclone keeps one per provider), so that address, provider
// and scope derive their behaviour from it rather than from tables or `if`
// chains of their own. A new kind of store is one row in flavorRules.
type Rules struct {
	Style       Style
	TLS         TLSRule
	Region      RegionRule
	DefaultHost string // endpoint used when the address names none
	// EndpointParam: the flavor accepts ?endpoint=scheme://host[:port]
	// (sovereign clouds, emulators).
	EndpointParam bool

	// Family is the flavor's column in the availability matrix and its
	// family in a supported-stores list: CoreWeave LOTA is CoreWeave, every
	// other flavor is its own.
	Family Flavor
	// RegionStrict: a request signed for a wrong region fails (AWS). An
	// S3-compatible server may answer GetBucketLocation with a zone-group
	// name such as "default" and accept any region, so a signed probe that
	// succeeds is the proof there.
	RegionStrict bool
	// Keys are the flavor's object-key limits.
	Keys KeyLimits
	// BatchDelete is how many keys one native batch delete takes (S3
	// DeleteObjects 1000, Azure Blob Batch 256, GCS batch 100); 0: the
	// flavor has no batch API.
	BatchDelete int
	// PutHeaders are headers a presigned PUT must carry.
	PutHeaders []Header
	// UserParam is the query parameter that carries the requester's
	// identity in presigned URLs; "": none.
	UserParam string
	// ListSorted: listings come back in byte order, so a merge-join
	// against them is sound. gocloud v0.47.0's fileblob lists "a/b" before
	// "a b".
	ListSorted bool
	// LegacyChecksums: the S3 SDK computes and validates its integrity
	// checksums only "when required". Stores that predate the CRC checksums
	// AWS added in 2025 (most S3-compatible servers, CoreWeave) reject or
	// mangle uploads that carry them.
	LegacyChecksums bool
	// MinTLS is the lowest TLS version to offer (tls.VersionTLS13 for
	// cwobject.com); 0 leaves the SDK's default.
	MinTLS uint16
	// SDKEndpoint: when the address names no endpoint, let the SDK derive
	// it from the region (AWS: partitions, FIPS, dual-stack) rather than
	// pointing it at Address.EndpointURL.
	SDKEndpoint bool

	// service is the ServiceID of the flavor's own service; "" when each
	// endpoint is a service of its own (S3-compatible stores).
	service string
	// anyEndpoint: every endpoint of the flavor reaches that service (AWS
	// and CoreWeave are told by their host names); else only none or
	// DefaultHost does, and any other endpoint is a service of its own.
	anyEndpoint bool
	bucket      bucketRules // bucket (container) naming rules; zero: none
}

// KeyLimits are one flavor's object-key limits, as data.
type KeyLimits struct {
	MaxBytes      int    // longest full key (location prefix + key) in bytes; 0: none
	MaxChars      int    // longest full key in characters; 0: none
	MaxSegment    int    // longest '/'-separated segment in bytes; 0: none
	MaxLast       int    // longest last segment in bytes; 0: MaxSegment
	MaxSegments   int    // most segments in the full key; 0: none
	NoTrailingDot bool   // a segment must not end with '.'
	BadSuffix     string // a key must not end with it (the provider reserves it); "": none
}

// Header is one HTTP header.
type Header struct{ Name, Value string }

var s3KeyLimits = KeyLimits{MaxBytes: 1024}

// flavorRules is the table: one record per flavor, one fact per line.
var flavorRules = map[Flavor]Rules{
	FlavorAWS: {
		Style:        StyleVirtualHosted,
		TLS:          TLSAlways,
		Region:       RegionOrCaller,
		DefaultHost:  "s3.amazonaws.com",
		Family:       FlavorAWS,
		RegionStrict: true,
		Keys:         s3KeyLimits,
		BatchDelete:  1000,
		UserParam:    "X-User",
		ListSorted:   true,
		SDKEndpoint:  true,
		service:      "aws",
		anyEndpoint:  true,
		bucket:       s3BucketRules,
	},
	FlavorS3Compatible: {
		Style:           StylePath,
		TLS:             TLSOptIn,
		Region:          RegionRequired,
		Family:          FlavorS3Compatible,
		Keys:            s3KeyLimits,
		BatchDelete:     1000,
		UserParam:       "X-User",
		ListSorted:      true,
		LegacyChecksums: true,
		bucket:          s3BucketRules,
	},
	FlavorCoreWeave: {
		Style:           StyleVirtualHosted,
		TLS:             TLSRequired,
		Region:          RegionWithCredentials,
		DefaultHost:     "cwobject.com",
		Family:          FlavorCoreWeave,
		Keys:            s3KeyLimits,
		BatchDelete:     1000,
		UserParam:       "X-User",
		ListSorted:      true,
		LegacyChecksums: true,
		MinTLS:          tls.VersionTLS13,
		service:         "coreweave",
		anyEndpoint:     true,
		bucket:          coreWeaveBucketRules,
	},
	FlavorCoreWeaveLOTA: {
		Style:           StyleVirtualHosted,
		TLS:             TLSForbidden,
		Region:          RegionWithCredentials,
		Family:          FlavorCoreWeave,
		Keys:            s3KeyLimits,
		BatchDelete:     1000,
		UserParam:       "X-User",
		ListSorted:      true,
		LegacyChecksums: true,
		service:         "coreweave",
		anyEndpoint:     true,
		bucket:          coreWeaveBucketRules,
	},
	FlavorGCS: {
		Style:         StylePath,
		TLS:           TLSFromEndpoint,
		Region:        RegionNone,
		DefaultHost:   "storage.googleapis.com",
		EndpointParam: true,
		Family:        FlavorGCS,
		Keys:          KeyLimits{MaxBytes: 1024},
		BatchDelete:   100,
		UserParam:     "X-User",
		ListSorted:    true,
		service:       "gcs",
		bucket:        gcsBucketRules,
	},
	FlavorAzure: {
		Style:         StyleVirtualHosted,
		TLS:           TLSFromEndpoint,
		Region:        RegionNone,
		DefaultHost:   "blob.core.windows.net",
		EndpointParam: true,
		Family:        FlavorAzure,
		// Azure counts characters, allows at most 254 segments, and URL
		// normalisation drops a trailing '.', so "a." and "a" would be one blob.
		Keys:        KeyLimits{MaxChars: 1024, MaxSegments: 254, NoTrailingDot: true},
		BatchDelete: 256,
		PutHeaders:  []Header{{Name: "x-ms-blob-type", Value: "BlockBlob"}},
		UserParam:   "scid",
		ListSorted:  true,
		service:     "azure-blob",
		bucket:      azureBucketRules,
	},
	FlavorFile: {
		Style:  StyleNone,
		TLS:    TLSNone,
		Region: RegionNone,
		Family: FlavorFile,
		// The full path (directory + '/' + key) must fit PATH_MAX; a segment
		// NAME_MAX; fileblob keeps attributes in "<name>.attrs" beside each file.
		Keys: KeyLimits{MaxBytes: 4095, MaxSegment: 255, MaxLast: 255 - len(".attrs"), BadSuffix: ".attrs"},
		// gocloud v0.47.0 lists "a/b" before "a b".
		ListSorted:  false,
		service:     "file",
		anyEndpoint: true,
	},
	FlavorMem: {
		Style:  StyleNone,
		TLS:    TLSNone,
		Region: RegionNone,
		Family: FlavorMem,
		// mem:// has no limits of its own: it takes the clouds', so that tests
		// catch keys a real bucket would refuse.
		Keys:        s3KeyLimits,
		ListSorted:  true,
		service:     "mem",
		anyEndpoint: true,
	},
}

// allFlavors lists the table's flavors in the order Flavors returns them.
var allFlavors = []Flavor{FlavorAWS, FlavorS3Compatible, FlavorCoreWeave, FlavorCoreWeaveLOTA, FlavorGCS, FlavorAzure, FlavorFile, FlavorMem}

// Flavors returns every flavor byob knows, in a fixed order, so that other
// packages can derive tables (and print them) from the Rules.
func Flavors() []Flavor { return slices.Clone(allFlavors) }

// Rules returns the flavor's record; the zero Rules for an unknown flavor.
// The record is a copy: changing it changes nothing.
func (f Flavor) Rules() Rules {
	r := flavorRules[f]
	r.PutHeaders = slices.Clone(r.PutHeaders)
	return r
}

// rules returns the flavor's record without copying its slices, for this
// package's own reads.
func (f Flavor) rules() Rules { return flavorRules[f] }

// endpointFlavors maps S3-protocol endpoint host suffixes to flavors. Any
// other host is an S3-compatible store (path style), which is what the
// product's deployment tooling does too.
var endpointFlavors = []struct {
	suffix string
	flavor Flavor
}{
	{"amazonaws.com", FlavorAWS},
	{"amazonaws.com.cn", FlavorAWS},
	{"cwobject.com", FlavorCoreWeave},
	{"cwlota.com", FlavorCoreWeaveLOTA},
	{"coreweave.com", FlavorCoreWeave},
}

// s3Flavor returns the flavor of an S3-protocol endpoint host[:port] ("" =
// AWS default). Neither the port nor the case of the name matters.
func s3Flavor(host string) Flavor {
	if host == "" {
		return FlavorAWS
	}
	h := bareHost(host)
	for _, e := range endpointFlavors {
		if inDomain(h, e.suffix) {
			return e.flavor
		}
	}
	return FlavorS3Compatible
}
