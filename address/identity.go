package address

import "strings"

// ServiceID names the storage service the address reaches: the name space
// its bucket names live in. It never contains credentials, and never the
// bucket (see BucketID). Two addresses with one ServiceID reach the same
// buckets, however they spell the endpoint:
//
//   - host names compare in lowercase and without a trailing '.', a default
//     port (:80 for http, :443 for https) is dropped, and an IPv6 address is
//     compared in its short form ([fd00::1]:9000 == [fd00:0:0:0:0:0:0:1]:9000);
//   - every AWS endpoint (regional, dual-stack, FIPS, or none) is one
//     service per partition: "aws", "aws-cn", "aws-us-gov";
//   - cwobject.com, cwlota.com and coreweave.com are one service, "coreweave";
//   - gs:// with endpoint=https://storage.googleapis.com is "gcs", as gs://
//     without an endpoint is; az:// with endpoint=https://<account>.blob.core.windows.net
//     is "azure-blob", as az:// without one is;
//   - any other endpoint (S3-compatible stores, emulators, sovereign clouds)
//     is a service of its own, named by flavor, scheme and canonical
//     host[:port], as in "s3-compatible http://minio.local:9000": http and
//     https, or two ports of one host, are different services;
//   - file:// is "file" and mem:// is "mem".
//
// What it cannot know: two DNS names for one server (a CNAME, a name and its
// IP address, localhost and 127.0.0.1, a proxy in front of a store) give two
// ServiceIDs, since only a request could tell they are one. And an AWS
// address with neither an endpoint nor a region takes its region, hence its
// partition, from the caller at run time (AWS_REGION): it is counted as
// "aws". It returns "" for an address of no known provider.
func (a *Address) ServiceID() string {
	f := a.Flavor()
	r := f.rules()
	if f == "" {
		return ""
	}
	if r.anyEndpoint {
		if f == FlavorAWS {
			return awsPartition(a, r.service)
		}
		return r.service
	}
	host := canonicalHostport(a.Endpoint, a.TLS)
	if r.service != "" && (a.Endpoint == "" || ownHost(f, host, a.Account)) {
		return r.service
	}
	return string(f) + " " + a.scheme() + "://" + host
}

// BucketID names the bucket the address reaches: ServiceID, then the Azure
// storage account, then the bucket (container), joined by '/', as in
// "aws/my-bucket" or "azure-blob/acct/cont". Like ServiceID it holds no
// credentials and cannot know that two DNS names are one server.
//
// For file:// the whole file system is one bucket: BucketID is the constant
// "file", and the directory (Bucket) plays the part of the sub-path, so that
// file:///data and file:///data/team nest. Compare file:// locations by
// their directories; SameLocation does.
func (a *Address) BucketID() string {
	if a.Provider == File {
		return "file"
	}
	id := a.ServiceID() + "/"
	if a.Provider == Azure {
		id += a.Account + "/"
	}
	return id + a.Bucket
}

// SameLocation reports whether a and b name the same data: the same bucket
// (BucketID) and the same sub-path (for file://, the same directory).
// Credentials are ignored: one location read with two keys is one location.
// The provider need not match where two schemes reach one service (s3:// and
// cw:// to cwobject.com). A nil address is the same only as another nil.
func (a *Address) SameLocation(b *Address) bool {
	if a == nil || b == nil {
		return a == b
	}
	if a.BucketID() != b.BucketID() || strings.Trim(a.Path, "/") != strings.Trim(b.Path, "/") {
		return false
	}
	return a.Provider != File || strings.TrimRight(a.Bucket, "/") == strings.TrimRight(b.Bucket, "/")
}

// awsPartitions: bucket names are unique within an AWS partition, whatever
// the endpoint. A partition is known by its endpoints' domain or by its
// regions' prefix; anything else is the commercial partition.
var awsPartitions = []struct{ id, domain, regionPrefix string }{
	{"aws-cn", "amazonaws.com.cn", "cn-"},
	{"aws-us-gov", "", "us-gov-"},
}

func awsPartition(a *Address, commercial string) string {
	h := bareHost(a.Endpoint)
	for _, p := range awsPartitions {
		if p.domain != "" && inDomain(h, p.domain) || strings.HasPrefix(a.Region, p.regionPrefix) {
			return p.id
		}
	}
	return commercial
}

// ownHost reports whether a canonical host[:port] is the flavor's own
// default endpoint (for Azure also the account's own host name), so that
// spelling it out names the same service as leaving it out.
func ownHost(f Flavor, hostport, account string) bool {
	def := f.rules().DefaultHost
	return def != "" && (hostport == def || account != "" && hostport == account+"."+def)
}

// canonicalFixes say, per field, how Parse spells it.
var canonicalFixes = map[Field]string{
	FieldScheme:    "set Provider to one of the Provider constants",
	FieldEndpoint:  "spell the endpoint as Parse does: a lowercase host without a trailing '.', no :80 (http) or :443 (https), an IPv6 address in its short form, none for the provider's own endpoint; or build the Address with Parse",
	FieldBucket:    "write the bucket as Parse does (file://: a clean absolute directory without a trailing '/'); or build the Address with Parse",
	FieldAccount:   "leave Account empty except in az:// addresses",
	FieldPath:      "write the sub-path without '/' at either end, or leave it empty for file://",
	FieldRegion:    "set Region as Parse does: for AWS the region the endpoint names, none for gs://, az://, file:// and mem://",
	FieldTLS:       "set TLS as the provider requires: true for AWS, cwobject.com, GCS and Azure unless endpoint= names http://; false for cwlota.com, file:// and mem://",
	FieldAccessKey: "set the access key as Parse does: none for az://, file:// and mem://; or build the Address with Parse",
	FieldSecret:    "set the secret as Parse does (a GCS private key with real newlines, none for file:// and mem://); or build the Address with Parse",
}

// Validate applies Parse's rules to an Address that may have been built by
// hand: it returns nil when Parse(a.URL()) gives back exactly *a, the
// error Parse gives when it refuses, and otherwise an *Error of kind
// ErrInvalid naming the first field that is not in the form Parse gives
// (say an endpoint in upper case, or with its default port). Like Parse's,
// its errors quote no value. An address Parse returned always validates.
func (a *Address) Validate() error {
	if a == nil {
		return newErr(ErrMissing, FieldScheme, "there is no address", "build the Address with Parse")
	}
	b, err := Parse(a.URL())
	if err != nil {
		return err
	}
	for _, d := range []struct {
		field Field
		same  bool
	}{
		{FieldScheme, a.Provider == b.Provider},
		{FieldEndpoint, a.Endpoint == b.Endpoint},
		{FieldAccount, a.Account == b.Account},
		{FieldBucket, a.Bucket == b.Bucket},
		{FieldPath, a.Path == b.Path},
		{FieldRegion, a.Region == b.Region},
		{FieldTLS, a.TLS == b.TLS},
		{FieldAccessKey, a.AccessKey == b.AccessKey},
		{FieldSecret, a.Secret == b.Secret},
	} {
		if !d.same {
			return newErr(ErrInvalid, d.field, "the "+string(d.field)+" is not in the form Parse gives", canonicalFixes[d.field])
		}
	}
	return nil
}
