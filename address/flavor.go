package address

// Flavor is the kind of service an address points at, finer than Provider:
// AWS S3 and an S3-compatible store share the "s3" scheme but differ in
// addressing style, TLS and region rules, and CoreWeave's two endpoints differ
// in TLS. Every rule that depends on the kind of service is kept as data in
// one table (flavorRules), not spread through the code.
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

// Rules are the address-level rules of one flavor.
type Rules struct {
	Style       Style
	TLS         TLSRule
	Region      RegionRule
	DefaultHost string // endpoint used when the address names none
	// EndpointParam: the flavor accepts ?endpoint=scheme://host[:port]
	// (sovereign clouds, emulators).
	EndpointParam bool
}

var flavorRules = map[Flavor]Rules{
	FlavorAWS:           {Style: StyleVirtualHosted, TLS: TLSAlways, Region: RegionOrCaller, DefaultHost: "s3.amazonaws.com"},
	FlavorS3Compatible:  {Style: StylePath, TLS: TLSOptIn, Region: RegionRequired},
	FlavorCoreWeave:     {Style: StyleVirtualHosted, TLS: TLSRequired, Region: RegionWithCredentials, DefaultHost: "cwobject.com"},
	FlavorCoreWeaveLOTA: {Style: StyleVirtualHosted, TLS: TLSForbidden, Region: RegionWithCredentials},
	FlavorGCS:           {Style: StylePath, TLS: TLSFromEndpoint, Region: RegionNone, DefaultHost: "storage.googleapis.com", EndpointParam: true},
	FlavorAzure:         {Style: StyleVirtualHosted, TLS: TLSFromEndpoint, Region: RegionNone, DefaultHost: "blob.core.windows.net", EndpointParam: true},
	FlavorFile:          {Style: StyleNone, TLS: TLSNone, Region: RegionNone},
	FlavorMem:           {Style: StyleNone, TLS: TLSNone, Region: RegionNone},
}

// Rules returns the flavor's rules.
func (f Flavor) Rules() Rules { return flavorRules[f] }

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

// isCoreWeave reports whether a flavor is one of CoreWeave's.
func (f Flavor) isCoreWeave() bool { return f == FlavorCoreWeave || f == FlavorCoreWeaveLOTA }
