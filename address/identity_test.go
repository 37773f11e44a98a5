package address_test

import (
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/byobkit/byob/address"
)

func mustParse(t *testing.T, s string) *address.Address {
	t.Helper()
	a, err := address.Parse(s)
	if err != nil {
		t.Fatalf("Parse(%q): %v", s, err)
	}
	return a
}

// Parse spells what it safely can one way, so that the printed form of an
// address is canonical, and the canonical form parses to itself.
func TestParseCanonicalForm(t *testing.T) {
	tests := []struct {
		name, in, want string // want: URL()
	}{
		{"host name lowercased and its trailing dot dropped",
			"s3://ak:sk@MinIO.Example.:9000/bkt?region=r1", "s3://ak:sk@minio.example:9000/bkt?region=r1"},
		{"default port :80 dropped over http",
			"s3://ak:sk@minio.example:80/bkt?region=r1", "s3://ak:sk@minio.example/bkt?region=r1"},
		{"default port :443 dropped over https",
			"s3://ak:sk@minio.example:443/bkt?region=r1&tls=true", "s3://ak:sk@minio.example/bkt?region=r1&tls=true"},
		{"port 443 over plain http is not a default and stays",
			"s3://ak:sk@minio.example:443/bkt?region=r1", "s3://ak:sk@minio.example:443/bkt?region=r1"},
		{"IPv6 address in its short form",
			"s3://ak:sk@[FD00:0:0:0:0:0:0:1]:9000/bkt?region=r1", "s3://ak:sk@[fd00::1]:9000/bkt?region=r1"},
		{"IPv6 address with the default port",
			"s3://ak:sk@[fd00::1]:80/bkt?region=r1", "s3://ak:sk@[fd00::1]/bkt?region=r1"},
		{"without credentials the port says the host is an endpoint",
			"s3://minio.example:80/bkt?region=r1", "s3://minio.example:80/bkt?region=r1"},
		{"AWS endpoint with :443 and a trailing dot",
			"s3://ak:sk@s3.eu-west-1.amazonaws.com.:443/bkt", "s3://ak:sk@s3.eu-west-1.amazonaws.com/bkt?region=eu-west-1"},
		{"AWS endpoint with a trailing dot, no credentials",
			"s3://s3.eu-west-1.amazonaws.com./bkt", "s3://s3.eu-west-1.amazonaws.com/bkt?region=eu-west-1"},
		{"CoreWeave short form with the default port",
			"cw://bkt.cwobject.com:443/sub", "cw://cwobject.com/bkt/sub?tls=true"},
		{"GCS endpoint that is Google's own is left out",
			"gs://bkt?endpoint=https://storage.googleapis.com", "gs://bkt"},
		{"GCS endpoint that is Google's own, with port and dot",
			"gs://bkt?endpoint=https://Storage.GoogleAPIs.com.:443/", "gs://bkt"},
		{"GCS over plain http to Google keeps the endpoint (TLS differs)",
			"gs://bkt?endpoint=http://storage.googleapis.com", "gs://bkt?endpoint=http://storage.googleapis.com"},
		{"GCS emulator with the default port",
			"gs://bkt?endpoint=http://127.0.0.1:80", "gs://bkt?endpoint=http://127.0.0.1"},
		{"Azure endpoint that is the account's own is left out",
			"az://acct1/cont?endpoint=https://acct1.blob.core.windows.net", "az://acct1/cont"},
		{"Azure endpoint that is the default host is left out",
			"az://acct1/cont?endpoint=https://blob.core.windows.net", "az://acct1/cont"},
		{"Azure emulator endpoint in IPv6",
			"az://devstoreaccount1/cont?endpoint=http://[0:0:0:0:0:0:0:1]:10000", "az://devstoreaccount1/cont?endpoint=http://[::1]:10000"},
		{"'@' in a sub-path is written %40",
			"s3://bkt/a%40b", "s3://bkt/a%40b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := mustParse(t, tt.in)
			if got := a.URL(); got != tt.want {
				t.Errorf("URL() = %q, want %q", got, tt.want)
			}
			again := mustParse(t, a.URL())
			if *again != *a {
				t.Errorf("round trip changed the address: %#v", again)
			}
			if err := a.Validate(); err != nil {
				t.Errorf("Validate() = %v", err)
			}
		})
	}
}

// An Azure endpoint in Azure's own domain that names another account would
// send requests to that account's storage.
func TestParseAzureEndpointOfAnotherAccount(t *testing.T) {
	_, err := address.Parse("az://acct1/cont?endpoint=https://acct2.blob.core.windows.net")
	var e *address.Error
	if !errors.As(err, &e) || !errors.Is(err, address.ErrConflict) || e.Field != address.FieldEndpoint {
		t.Fatalf("err = %v; want ErrConflict on the endpoint", err)
	}
}

// Defect 8 (issue #7): the same bucket spelled two ways must be one bucket,
// else two teams can be given one prefix and one's collector deletes the
// other's files. Different services must stay different.
func TestServiceIdentity(t *testing.T) {
	tests := []struct {
		name string
		a, b string
		same bool // same ServiceID and BucketID
	}{
		// The four cases of the issue.
		{"GCS: Google's endpoint spelled out is no endpoint",
			"gs://bkt/teams/a", "gs://bkt?endpoint=https://storage.googleapis.com", true},
		{"host beside host:80 over http",
			"s3://ak:sk@minio.example/bkt?region=r1", "s3://ak:sk@minio.example:80/bkt?region=r1", true},
		{"host beside host:443 over https",
			"s3://ak:sk@minio.example/bkt?region=r1&tls=true", "s3://ak:sk@minio.example:443/bkt?region=r1&tls=true", true},
		{"IPv6 in short and long form",
			"s3://ak:sk@[fd00::1]:9000/bkt?region=r1", "s3://ak:sk@[fd00:0:0:0:0:0:0:1]:9000/bkt?region=r1", true},
		{"host names differing only in case",
			"s3://ak:sk@minio.example:9000/bkt?region=r1", "s3://ak:sk@MINIO.Example:9000/bkt?region=r1", true},
		{"host names differing only in a trailing dot",
			"s3://ak:sk@minio.example:9000/bkt?region=r1", "s3://ak:sk@minio.example.:9000/bkt?region=r1", true},
		// One service however it is reached.
		{"credentials do not matter",
			"s3://ak1:sk1@minio.example:9000/bkt?region=r1", "s3://minio.example:9000/bkt?region=r1", true},
		{"AWS regional and global endpoints and none are one service",
			"s3://ak:sk@s3.eu-west-1.amazonaws.com/bkt", "s3://bkt", true},
		{"AWS dual-stack and FIPS endpoints",
			"s3://ak:sk@s3.dualstack.us-east-1.amazonaws.com/bkt", "s3://ak:sk@s3-fips.us-east-1.amazonaws.com/bkt", true},
		{"CoreWeave cwobject.com and cwlota.com are one service",
			"cw://ak:sk@cwobject.com/bkt?region=US-EAST-04A&tls=true", "cw://bkt.cwlota.com", true},
		{"CoreWeave coreweave.com is the same service",
			"cw://ak:sk@cwobject.com/bkt?region=US-EAST-04A&tls=true", "s3://ak:sk@object.coreweave.com/bkt?region=US-EAST-04A&tls=true", true},
		{"Azure: the account's endpoint spelled out is no endpoint",
			"az://acct1/cont", "az://acct1/cont?endpoint=https://acct1.blob.core.windows.net", true},
		// Different services or buckets.
		{"http and https to one host differ",
			"s3://ak:sk@minio.example/bkt?region=r1", "s3://ak:sk@minio.example/bkt?region=r1&tls=true", false},
		{"two ports of one host differ",
			"s3://ak:sk@minio.example:9000/bkt?region=r1", "s3://ak:sk@minio.example:9001/bkt?region=r1", false},
		{"two Azure accounts differ",
			"az://acct1/cont", "az://acct2/cont", false},
		{"AWS China is another partition",
			"s3://ak:sk@s3.cn-north-1.amazonaws.com.cn/bkt", "s3://bkt", false},
		{"AWS GovCloud is another partition",
			"s3://bkt?region=us-gov-west-1", "s3://bkt?region=us-east-1", false},
		{"AWS and an S3-compatible store with one bucket name differ",
			"s3://bkt", "s3://ak:sk@minio.example:9000/bkt?region=r1", false},
		{"GCS and its emulator differ",
			"gs://bkt", "gs://bkt?endpoint=http://127.0.0.1:4443", false},
		{"two buckets of one service differ",
			"s3://bkt-a", "s3://bkt-b", false},
		{"two mem buckets differ",
			"mem://a", "mem://b", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, b := mustParse(t, tt.a), mustParse(t, tt.b)
			if got := a.BucketID() == b.BucketID(); got != tt.same {
				t.Errorf("BucketID %q vs %q: same = %v, want %v", a.BucketID(), b.BucketID(), got, tt.same)
			}
			if tt.same && a.ServiceID() != b.ServiceID() {
				t.Errorf("ServiceID %q vs %q differ", a.ServiceID(), b.ServiceID())
			}
			for _, x := range []*address.Address{a, b} {
				if x.HasCredentials() && strings.Contains(x.BucketID(), x.Secret) {
					t.Errorf("BucketID %q holds the secret", x.BucketID())
				}
			}
		})
	}
}

func TestServiceIDNames(t *testing.T) {
	tests := []struct{ in, service, bucket string }{
		{"s3://bkt", "aws", "aws/bkt"},
		{"s3://ak:sk@s3.cn-north-1.amazonaws.com.cn/bkt", "aws-cn", "aws-cn/bkt"},
		{"s3://ak:sk@minio.example:9000/bkt?region=r1", "s3-compatible http://minio.example:9000", "s3-compatible http://minio.example:9000/bkt"},
		{"cw://bkt.cwobject.com", "coreweave", "coreweave/bkt"},
		{"gs://bkt/x", "gcs", "gcs/bkt"},
		{"gs://bkt?endpoint=http://127.0.0.1:4443", "gcs http://127.0.0.1:4443", "gcs http://127.0.0.1:4443/bkt"},
		{"az://acct1/cont/x", "azure-blob", "azure-blob/acct1/cont"},
		{"az://devstoreaccount1/cont?endpoint=http://127.0.0.1:10000", "azure-blob http://127.0.0.1:10000", "azure-blob http://127.0.0.1:10000/devstoreaccount1/cont"},
		{"file:///data/team", "file", "file"},
		{"mem://m/x", "mem", "mem/m"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			a := mustParse(t, tt.in)
			if a.ServiceID() != tt.service || a.BucketID() != tt.bucket {
				t.Errorf("ServiceID, BucketID = %q, %q; want %q, %q", a.ServiceID(), a.BucketID(), tt.service, tt.bucket)
			}
		})
	}
}

// ServiceID canonicalises by itself, so a hand-built address that Validate
// would refuse still names its service the one way.
func TestServiceIDOfHandBuiltAddress(t *testing.T) {
	built := address.Address{Provider: address.S3, Endpoint: "MinIO.Example.:80", Bucket: "bkt", Region: "r1", AccessKey: "ak", Secret: "sk"}
	parsed := mustParse(t, "s3://ak:sk@minio.example/bkt?region=r1")
	if built.ServiceID() != parsed.ServiceID() || built.BucketID() != parsed.BucketID() {
		t.Errorf("hand-built %q, parsed %q", built.BucketID(), parsed.BucketID())
	}
	v6 := address.Address{Provider: address.GCS, Endpoint: "[FD00:0:0::1]:443", Bucket: "bkt", TLS: true}
	if got, want := v6.ServiceID(), "gcs https://[fd00::1]"; got != want {
		t.Errorf("ServiceID = %q, want %q", got, want)
	}
}

func TestSameLocation(t *testing.T) {
	tests := []struct {
		name string
		a, b string
		same bool
	}{
		{"credentials are ignored", "s3://ak:sk@minio.example:9000/bkt/t?region=r1", "s3://minio.example:9000/bkt/t?region=r1", true},
		{"rotated keys", "s3://ak1:sk1@minio.example:9000/bkt/t?region=r1", "s3://ak2:sk2@minio.example:9000/bkt/t?region=r1", true},
		{"two spellings of one endpoint", "gs://bkt/teams/a", "gs://bkt/teams/a?endpoint=https://storage.googleapis.com", true},
		{"s3:// and cw:// to CoreWeave", "s3://ak:sk@cwobject.com/bkt/t?region=US-EAST-04A&tls=true", "cw://ak:sk@cwobject.com/bkt/t?region=US-EAST-04A&tls=true", true},
		{"another sub-path", "gs://bkt/teams/a", "gs://bkt/teams/b", false},
		{"a sub-path inside is not the same", "gs://bkt/teams", "gs://bkt/teams/a", false},
		{"one file directory", "file:///data/team", "file:///data/team/", true},
		{"two file directories", "file:///data/team", "file:///data", false},
		{"file and mem", "file:///m", "mem://m", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, b := mustParse(t, tt.a), mustParse(t, tt.b)
			if a.SameLocation(b) != tt.same || b.SameLocation(a) != tt.same {
				t.Errorf("SameLocation = %v, want %v", a.SameLocation(b), tt.same)
			}
		})
	}
	var none *address.Address
	if none.SameLocation(mustParse(t, "mem://m")) || !none.SameLocation(nil) {
		t.Error("nil addresses")
	}
}

// Validate holds a hand-built Address to Parse's rules: a field Parse would
// spell otherwise is named, and nothing is quoted.
func TestValidate(t *testing.T) {
	const secret = "wJalrXUtnFEMIK7MDENG"
	minio := address.Address{Provider: address.S3, Endpoint: "minio.example:9000", Bucket: "bkt", Path: "team", Region: "r1", AccessKey: "AKIAEXAMPLE", Secret: secret}
	with := func(f func(a *address.Address)) *address.Address {
		a := minio
		f(&a)
		return &a
	}
	tests := []struct {
		name  string
		a     *address.Address
		kind  error
		field address.Field
	}{
		{"a canonical address", &minio, nil, ""},
		{"an ambient GCS address", &address.Address{Provider: address.GCS, Bucket: "bkt", TLS: true}, nil, ""},
		{"no address", nil, address.ErrMissing, address.FieldScheme},
		{"endpoint in upper case", with(func(a *address.Address) { a.Endpoint = "MINIO.example:9000" }), address.ErrInvalid, address.FieldEndpoint},
		{"endpoint with a trailing dot", with(func(a *address.Address) { a.Endpoint = "minio.example.:9000" }), address.ErrInvalid, address.FieldEndpoint},
		{"endpoint with its default port", with(func(a *address.Address) { a.Endpoint = "minio.example:80" }), address.ErrInvalid, address.FieldEndpoint},
		{"endpoint in long IPv6 form", with(func(a *address.Address) { a.Endpoint = "[fd00:0:0:0:0:0:0:1]:9000" }), address.ErrInvalid, address.FieldEndpoint},
		{"sub-path with a trailing '/'", with(func(a *address.Address) { a.Path = "team/" }), address.ErrInvalid, address.FieldPath},
		{"account on an s3:// address", with(func(a *address.Address) { a.Account = "acct1" }), address.ErrInvalid, address.FieldAccount},
		{"unknown provider", with(func(a *address.Address) { a.Provider = "ftp" }), address.ErrScheme, address.FieldScheme},
		{"bad bucket name", with(func(a *address.Address) { a.Bucket = "Bkt" }), address.ErrInvalid, address.FieldBucket},
		{"no region", with(func(a *address.Address) { a.Region = "" }), address.ErrMissing, address.FieldRegion},
		{"secret without access key", with(func(a *address.Address) { a.AccessKey = "" }), address.ErrMissing, address.FieldAccessKey},
		{"GCS without TLS to Google", &address.Address{Provider: address.GCS, Bucket: "bkt"}, address.ErrInvalid, address.FieldTLS},
		{"GCS with Google's endpoint spelled out", &address.Address{Provider: address.GCS, Bucket: "bkt", Endpoint: "storage.googleapis.com", TLS: true}, address.ErrInvalid, address.FieldEndpoint},
		{"region on mem://", &address.Address{Provider: address.Mem, Bucket: "m", Region: "r1"}, address.ErrInvalid, address.FieldRegion},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.a.Validate()
			if tt.kind == nil {
				if err != nil {
					t.Fatalf("Validate() = %v", err)
				}
				return
			}
			var e *address.Error
			if !errors.As(err, &e) || !errors.Is(err, tt.kind) || e.Field != tt.field {
				t.Fatalf("Validate() = %v; want kind %v on %q", err, tt.kind, tt.field)
			}
			if e.Fix == "" {
				t.Errorf("no fix: %v", err)
			}
			for _, s := range []string{secret, "AKIAEXAMPLE", url.QueryEscape(secret), "MINIO", "fd00", "team/"} {
				if strings.Contains(err.Error(), s) {
					t.Errorf("error quotes %q: %v", s, err)
				}
			}
		})
	}
}
