package address_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/byobkit/byob/address"
	"github.com/byobkit/byob/internal/testsecret"
	"github.com/google/go-cmp/cmp"
)

var (
	keyOnce sync.Once
	testPEM string
)

// pemKey returns a freshly generated PKCS#8 PEM RSA private key, the shape
// of a service account's private_key.
func pemKey(t testing.TB) string {
	keyOnce.Do(func() { _, testPEM = testsecret.RSAKey(t) })
	return testPEM
}

const azKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="

func TestParseValid(t *testing.T) {
	pemText := pemKey(t)
	encPEM := url.QueryEscape(pemText)
	tests := []struct {
		name string
		in   string
		want address.Address
	}{
		{"AWS regional endpoint, region derived and confirmed",
			"s3://AKIA:se%2Fcret@s3.eu-central-1.amazonaws.com/bkt/team/a?region=eu-central-1",
			address.Address{Provider: "s3", Endpoint: "s3.eu-central-1.amazonaws.com", Bucket: "bkt", Path: "team/a", Region: "eu-central-1", TLS: true, AccessKey: "AKIA", Secret: "se/cret"}},
		{"AWS region derived from the endpoint when omitted",
			"s3://AKIA:sk@s3.us-west-2.amazonaws.com/bkt",
			address.Address{Provider: "s3", Endpoint: "s3.us-west-2.amazonaws.com", Bucket: "bkt", Region: "us-west-2", TLS: true, AccessKey: "AKIA", Secret: "sk"}},
		{"AWS legacy dash endpoint",
			"s3://AKIA:sk@s3-eu-west-1.amazonaws.com/bkt",
			address.Address{Provider: "s3", Endpoint: "s3-eu-west-1.amazonaws.com", Bucket: "bkt", Region: "eu-west-1", TLS: true, AccessKey: "AKIA", Secret: "sk"}},
		{"AWS global endpoint leaves the region to the caller",
			"s3://AKIA:sk@s3.amazonaws.com/bkt",
			address.Address{Provider: "s3", Endpoint: "s3.amazonaws.com", Bucket: "bkt", TLS: true, AccessKey: "AKIA", Secret: "sk"}},
		{"AWS ambient identity",
			"s3://my-bucket",
			address.Address{Provider: "s3", Bucket: "my-bucket", TLS: true}},
		{"AWS ambient identity with sub-path and region",
			"s3://my-bucket/team/x/?region=us-east-1",
			address.Address{Provider: "s3", Bucket: "my-bucket", Path: "team/x", Region: "us-east-1", TLS: true}},
		{"AWS tls=true is accepted and implied",
			"s3://AKIA:sk@s3.us-east-1.amazonaws.com/bkt?tls=true",
			address.Address{Provider: "s3", Endpoint: "s3.us-east-1.amazonaws.com", Bucket: "bkt", Region: "us-east-1", TLS: true, AccessKey: "AKIA", Secret: "sk"}},
		{"MinIO from the operator's vectors, plain HTTP",
			"s3://minio:minio123@minio.local:9000/my-bucket/team/prefix?region=us-east-1",
			address.Address{Provider: "s3", Endpoint: "minio.local:9000", Bucket: "my-bucket", Path: "team/prefix", Region: "us-east-1", AccessKey: "minio", Secret: "minio123"}},
		{"S3-compatible with TLS, the default port dropped",
			"s3://access:secret@s3.example.com:443/my-bucket?region=auto&tls=true",
			address.Address{Provider: "s3", Endpoint: "s3.example.com", Bucket: "my-bucket", Region: "auto", TLS: true, AccessKey: "access", Secret: "secret"}},
		{"S3-compatible by IP, host lowercased, '+' and '=' survive",
			"s3://ak:a+b=c@127.0.0.1:7070/bkt?region=us-east-1&tls=false",
			address.Address{Provider: "s3", Endpoint: "127.0.0.1:7070", Bucket: "bkt", Region: "us-east-1", AccessKey: "ak", Secret: "a+b=c"}},
		{"S3-compatible by IPv6",
			"s3://ak:sk@[::1]:9000/bkt?region=us-east-1",
			address.Address{Provider: "s3", Endpoint: "[::1]:9000", Bucket: "bkt", Region: "us-east-1", AccessKey: "ak", Secret: "sk"}},
		{"S3-compatible, ambient identity, endpoint with port",
			"s3://minio.local:9000/bkt?region=us-east-1",
			address.Address{Provider: "s3", Endpoint: "minio.local:9000", Bucket: "bkt", Region: "us-east-1"}},
		{"secret with an unencoded ':' is split at the first ':'",
			"s3://ak:s:k@host.example:9000/bkt?region=r1",
			address.Address{Provider: "s3", Endpoint: "host.example:9000", Bucket: "bkt", Region: "r1", AccessKey: "ak", Secret: "s:k"}},
		{"CoreWeave cwobject.com",
			"cw://ak:sk@cwobject.com/bkt/runs?region=US-EAST-04A&tls=true",
			address.Address{Provider: "cw", Endpoint: "cwobject.com", Bucket: "bkt", Path: "runs", Region: "US-EAST-04A", TLS: true, AccessKey: "ak", Secret: "sk"}},
		{"CoreWeave LOTA is plain HTTP",
			"cw://ak:sk@cwlota.com/bkt?region=US-EAST-04A",
			address.Address{Provider: "cw", Endpoint: "cwlota.com", Bucket: "bkt", Region: "US-EAST-04A", AccessKey: "ak", Secret: "sk"}},
		{"CoreWeave documentation short form is normalized",
			"cw://bkt.cwobject.com",
			address.Address{Provider: "cw", Endpoint: "cwobject.com", Bucket: "bkt", TLS: true}},
		{"CoreWeave short form with keys and sub-path",
			"cw://ak:sk@bkt.cwobject.com/sub?region=US-EAST-04A",
			address.Address{Provider: "cw", Endpoint: "cwobject.com", Bucket: "bkt", Path: "sub", Region: "US-EAST-04A", TLS: true, AccessKey: "ak", Secret: "sk"}},
		{"s3:// to a CoreWeave endpoint keeps CoreWeave's rules",
			"s3://ak:sk@cwobject.com/bkt?region=US-EAST-04A&tls=true",
			address.Address{Provider: "s3", Endpoint: "cwobject.com", Bucket: "bkt", Region: "US-EAST-04A", TLS: true, AccessKey: "ak", Secret: "sk"}},
		{"GCS with service account",
			"gs://sa%40project.iam.gserviceaccount.com:" + encPEM + "@my-gcs-bucket/sub/prefix",
			address.Address{Provider: "gs", Bucket: "my-gcs-bucket", Path: "sub/prefix", TLS: true, AccessKey: "sa@project.iam.gserviceaccount.com", Secret: pemText}},
		{"GCS key with JSON-style \\n escapes",
			"gs://sa%40p.iam.gserviceaccount.com:" + url.QueryEscape(strings.ReplaceAll(pemText, "\n", `\n`)) + "@bkt",
			address.Address{Provider: "gs", Bucket: "bkt", TLS: true, AccessKey: "sa@p.iam.gserviceaccount.com", Secret: pemText}},
		{"GCS key encoded with %20 for spaces",
			"gs://sa%40p.iam.gserviceaccount.com:" + strings.ReplaceAll(url.QueryEscape(pemText), "+", "%20") + "@bkt",
			address.Address{Provider: "gs", Bucket: "bkt", TLS: true, AccessKey: "sa@p.iam.gserviceaccount.com", Secret: pemText}},
		{"GCS ambient identity",
			"gs://my_gcs.bucket",
			address.Address{Provider: "gs", Bucket: "my_gcs.bucket", TLS: true}},
		{"GCS emulator endpoint",
			"gs://bkt?endpoint=http://127.0.0.1:4443",
			address.Address{Provider: "gs", Bucket: "bkt", Endpoint: "127.0.0.1:4443"}},
		{"Azure with account key",
			"az://:" + url.QueryEscape(azKey) + "@mystorageaccount/mycontainer",
			address.Address{Provider: "az", Account: "mystorageaccount", Bucket: "mycontainer", TLS: true, Secret: azKey}},
		{"Azure key with unencoded '+' and '='",
			"az://:accountke+y=@mystorageaccount/mycontainer",
			address.Address{Provider: "az", Account: "mystorageaccount", Bucket: "mycontainer", TLS: true, Secret: "accountke+y="}},
		{"Azure ambient identity with sub-path",
			"az://mystorageaccount/mycontainer/team/prefix",
			address.Address{Provider: "az", Account: "mystorageaccount", Bucket: "mycontainer", Path: "team/prefix", TLS: true}},
		{"Azure emulator endpoint",
			"az://:" + url.QueryEscape(azKey) + "@devstoreaccount1/cont?endpoint=http://127.0.0.1:10000",
			address.Address{Provider: "az", Account: "devstoreaccount1", Bucket: "cont", Endpoint: "127.0.0.1:10000", Secret: azKey}},
		{"file directory",
			"file:///var/lib/byob/",
			address.Address{Provider: "file", Bucket: "/var/lib/byob"}},
		{"file with localhost",
			"file://localhost/tmp/x%20y",
			address.Address{Provider: "file", Bucket: "/tmp/x y"}},
		{"mem with sub-path",
			"mem://instance/team-a",
			address.Address{Provider: "mem", Bucket: "instance", Path: "team-a"}},
		{"scheme is case-insensitive and white space trimmed",
			"  S3://my-bucket\n",
			address.Address{Provider: "s3", Bucket: "my-bucket", TLS: true}},
		{"encoded path segment",
			"mem://m/a%20b/c",
			address.Address{Provider: "mem", Bucket: "m", Path: "a b/c"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := address.Parse(tt.in)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if diff := cmp.Diff(tt.want, *got); diff != "" {
				t.Errorf("Parse mismatch (-want +got):\n%s", diff)
			}
			again, err := address.Parse(got.URL())
			if err != nil {
				t.Fatalf("Parse(URL()) = %v", err)
			}
			if diff := cmp.Diff(*got, *again); diff != "" {
				t.Errorf("round trip mismatch (-first +second):\n%s", diff)
			}
			if err := got.Validate(); err != nil {
				t.Errorf("Validate() of a parsed address = %v", err)
			}
			if got.Secret != "" && strings.Contains(got.String(), got.Secret) {
				t.Errorf("String() contains the secret")
			}
		})
	}
}

func TestParseInvalid(t *testing.T) {
	pemText := pemKey(t)
	tests := []struct {
		name  string
		in    string
		field address.Field
		kind  error
	}{
		{"empty", "", address.FieldScheme, address.ErrSyntax},
		{"no scheme", "my-bucket", address.FieldScheme, address.ErrSyntax},
		{"https scheme", "https://s3.amazonaws.com/bkt", address.FieldScheme, address.ErrScheme},
		{"s3a scheme", "s3a://bkt", address.FieldScheme, address.ErrScheme},
		{"bare scheme outside a list", "cw://", address.FieldBucket, address.ErrMissing},
		{"secret with unencoded slash", "s3://AKIA:qwzx/vbnm@s3.amazonaws.com/bkt?region=us-east-1", address.FieldSecret, address.ErrSyntax},
		{"azure key with unencoded slash", "az://:abc/def==@acct/cont", address.FieldSecret, address.ErrSyntax},
		{"secret with unencoded question mark", "s3://ak:s?k@host:9000/bkt?region=r", address.FieldSecret, address.ErrSyntax},
		{"bad percent escape in secret", "s3://ak:s%zz@host:9000/bkt?region=r", address.FieldSecret, address.ErrSyntax},
		{"documented typo: ? instead of &", "s3://ak:sk@minio:9000/bkt?region=us-east-1?tls=true", address.FieldQuery, address.ErrSyntax},
		{"fragment", "s3://ak:sk@minio:9000/bkt#x", address.FieldQuery, address.ErrSyntax},
		{"unknown parameter", "s3://ak:sk@minio:9000/bkt?region=r&regoin=r", address.FieldQuery, address.ErrUnknownParameter},
		{"kms in the address", "s3://bkt?kms=arn", address.FieldQuery, address.ErrUnknownParameter},
		{"duplicate parameter", "s3://ak:sk@minio:9000/bkt?region=a&region=b", address.FieldRegion, address.ErrConflict},
		{"empty region", "s3://ak:sk@minio:9000/bkt?region=", address.FieldRegion, address.ErrMissing},
		{"empty parameter", "s3://ak:sk@minio:9000/bkt?region=r&&tls=true", address.FieldQuery, address.ErrSyntax},
		{"S3-compatible without region", "s3://ak:sk@minio.local:9000/bkt", address.FieldRegion, address.ErrMissing},
		{"AWS region conflicts with endpoint", "s3://ak:sk@s3.eu-west-1.amazonaws.com/bkt?region=us-east-1", address.FieldRegion, address.ErrConflict},
		{"AWS region in upper case", "s3://bkt?region=US-EAST-1", address.FieldRegion, address.ErrInvalid},
		{"AWS tls=false", "s3://bkt?tls=false", address.FieldTLS, address.ErrConflict},
		{"tls not a boolean", "s3://ak:sk@minio:9000/bkt?region=r&tls=yes", address.FieldTLS, address.ErrInvalid},
		{"CoreWeave without region", "cw://ak:sk@cwobject.com/bkt?tls=true", address.FieldRegion, address.ErrMissing},
		{"cwobject.com without tls=true", "cw://ak:sk@cwobject.com/bkt?region=US-EAST-04A", address.FieldTLS, address.ErrMissing},
		{"cwlota.com with tls=true", "cw://ak:sk@cwlota.com/bkt?region=US-EAST-04A&tls=true", address.FieldTLS, address.ErrConflict},
		{"CoreWeave bucket with underscore", "cw://ak:sk@cwobject.com/my_bkt?region=US-EAST-04A&tls=true", address.FieldBucket, address.ErrInvalid},
		{"CoreWeave bucket starting cw-", "cw://ak:sk@cwobject.com/cw-bkt?region=US-EAST-04A&tls=true", address.FieldBucket, address.ErrInvalid},
		{"CoreWeave bucket starting vip-", "cw://ak:sk@cwobject.com/vip-bkt?region=US-EAST-04A&tls=true", address.FieldBucket, address.ErrInvalid},
		{"cw:// to a non-CoreWeave endpoint", "cw://ak:sk@minio:9000/bkt?region=r", address.FieldEndpoint, address.ErrInvalid},
		{"cw:// without endpoint", "cw://bkt", address.FieldEndpoint, address.ErrMissing},
		{"keys but no bucket", "s3://ak:sk@minio:9000?region=r", address.FieldBucket, address.ErrMissing},
		{"empty access key", "s3://:sk@minio:9000/bkt?region=r", address.FieldAccessKey, address.ErrMissing},
		{"empty secret key", "s3://ak:@minio:9000/bkt?region=r", address.FieldSecret, address.ErrMissing},
		{"S3 bucket upper case", "s3://MyBucket", address.FieldBucket, address.ErrInvalid},
		{"S3 bucket too short", "s3://ab", address.FieldBucket, address.ErrInvalid},
		{"S3 bucket with underscore", "s3://ak:sk@minio:9000/my_bkt?region=r", address.FieldBucket, address.ErrInvalid},
		{"S3 bucket like an IP", "s3://ak:sk@minio:9000/192.168.1.1?region=r", address.FieldBucket, address.ErrInvalid},
		{"S3 bucket reserved suffix", "s3://bkt-s3alias", address.FieldBucket, address.ErrInvalid},
		{"S3 bucket double dot", "s3://my..bkt", address.FieldBucket, address.ErrInvalid},
		{"S3 bucket ends with dash", "s3://bkt-", address.FieldBucket, address.ErrInvalid},
		{"endpoint with scheme", "s3://ak:sk@https://minio/bkt?region=r", address.FieldEndpoint, address.ErrSyntax},
		{"endpoint port not a number", "s3://ak:sk@minio:http/bkt?region=r", address.FieldEndpoint, address.ErrInvalid},
		{"endpoint port out of range", "s3://ak:sk@minio:70000/bkt?region=r", address.FieldEndpoint, address.ErrInvalid},
		{"endpoint param on s3", "s3://bkt?endpoint=http://x:1", address.FieldEndpoint, address.ErrUnknownParameter},
		{"sub-path with ..", "s3://bkt/a/../b", address.FieldPath, address.ErrInvalid},
		{"sub-path with empty segment", "s3://bkt/a//b", address.FieldPath, address.ErrInvalid},
		{"sub-path with encoded slash", "s3://bkt/a%2Fb", address.FieldPath, address.ErrInvalid},
		{"sub-path with backslash", `mem://m/a\b`, address.FieldPath, address.ErrInvalid},
		{"sub-path with encoded control character", "mem://m/a%00b", address.FieldPath, address.ErrInvalid},
		{"sub-path invalid UTF-8", "mem://m/a%ffb", address.FieldPath, address.ErrInvalid},
		{"control character in the address", "s3://bkt/a\x01", address.FieldScheme, address.ErrSyntax},
		{"GCS key not PEM", "gs://sa%40p.iam.gserviceaccount.com:notakey@bkt", address.FieldSecret, address.ErrInvalid},
		{"GCS PEM that is not a private key", "gs://sa%40p.iam.gserviceaccount.com:" + url.QueryEscape(strings.ReplaceAll(pemText, "PRIVATE KEY", "CERTIFICATE")) + "@bkt", address.FieldSecret, address.ErrInvalid},
		{"GCS user not an e-mail", "gs://someone:" + url.QueryEscape(pemText) + "@bkt", address.FieldAccessKey, address.ErrInvalid},
		{"GCS e-mail without key", "gs://sa%40p.iam.gserviceaccount.com:@bkt", address.FieldSecret, address.ErrMissing},
		{"GCS unencoded key spills into host", "gs://sa@p.iam.gserviceaccount.com:keytext/more@bkt", address.FieldSecret, address.ErrSyntax},
		{"GCS bucket with goog prefix", "gs://google-bkt", address.FieldBucket, address.ErrInvalid},
		{"GCS region", "gs://bkt?region=us", address.FieldRegion, address.ErrUnknownParameter},
		{"GCS tls parameter", "gs://bkt?tls=true", address.FieldTLS, address.ErrUnknownParameter},
		{"GCS endpoint without scheme", "gs://bkt?endpoint=127.0.0.1:4443", address.FieldEndpoint, address.ErrInvalid},
		{"Azure user name", "az://acct:" + url.QueryEscape(azKey) + "@mystorageaccount/cont", address.FieldAccessKey, address.ErrInvalid},
		{"Azure key without colon", "az://abc@mystorageaccount/cont", address.FieldSecret, address.ErrSyntax},
		{"Azure key not base64", "az://:not-base64!@mystorageaccount/cont", address.FieldSecret, address.ErrInvalid},
		{"Azure full host name", "az://mystorageaccount.blob.core.windows.net/c1", address.FieldAccount, address.ErrInvalid},
		{"Azure account upper case", "az://MyAccount/c1", address.FieldAccount, address.ErrInvalid},
		{"Azure without container", "az://mystorageaccount", address.FieldBucket, address.ErrMissing},
		{"Azure container double dash", "az://mystorageaccount/a--b", address.FieldBucket, address.ErrInvalid},
		{"Azure container with dot", "az://mystorageaccount/a.b", address.FieldBucket, address.ErrInvalid},
		{"Azure endpoint with path", "az://devstoreaccount1/cont?endpoint=http://127.0.0.1:10000/devstoreaccount1", address.FieldEndpoint, address.ErrInvalid},
		{"file relative", "file://var/lib", address.FieldBucket, address.ErrInvalid},
		{"file root", "file:///", address.FieldBucket, address.ErrInvalid},
		{"file with ..", "file:///var/../etc", address.FieldBucket, address.ErrInvalid},
		{"file with query", "file:///var/x?tls=true", address.FieldQuery, address.ErrUnknownParameter},
		{"mem with credentials", "mem://ak:sk@m", address.FieldSecret, address.ErrInvalid},
		{"mem with parameters", "mem://m?region=r", address.FieldQuery, address.ErrUnknownParameter},
		{"mem name with bad characters", "mem://a+b", address.FieldBucket, address.ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := address.Parse(tt.in)
			if err == nil {
				t.Fatalf("Parse succeeded: %v", a)
			}
			if a != nil {
				t.Errorf("Parse returned an address with its error")
			}
			var e *address.Error
			if !errors.As(err, &e) {
				t.Fatalf("error is %T, want *address.Error: %v", err, err)
			}
			if e.Field != tt.field || !errors.Is(err, tt.kind) {
				t.Errorf("error = %v (field %q, kind %v); want field %q, kind %v", err, e.Field, e.Kind, tt.field, tt.kind)
			}
			if e.Fix == "" {
				t.Errorf("error has no fix: %v", err)
			}
			for _, secret := range []string{"qwzx", "vbnm", "abc/def", "s?k", "notakey", "not-base64", "keytext", azKey[:12]} {
				if strings.Contains(tt.in, secret) && strings.Contains(err.Error(), secret) {
					t.Errorf("error quotes the secret %q: %v", secret, err)
				}
			}
		})
	}
}

func TestParseList(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string // URL() of each entry
	}{
		{"empty", "", []string{}},
		{"bare CoreWeave", "cw://", []string{"cw://"}},
		{"commas and white space", " s3://bkt-a ,\n gs://bkt-b\tcw:// ,, az://acct1/cont",
			[]string{"s3://bkt-a", "gs://bkt-b", "cw://", "az://acct1/cont"}},
		{"encoded comma inside a key", "s3://ak:a%2Cb@minio:9000/bkt?region=r,cw://",
			[]string{"s3://ak:a%2Cb@minio:9000/bkt?region=r", "cw://"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := address.ParseList(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			urls := []string{}
			for _, a := range got {
				urls = append(urls, a.URL())
			}
			if diff := cmp.Diff(tt.want, urls); diff != "" {
				t.Errorf("ParseList mismatch (-want +got):\n%s", diff)
			}
			if len(got) == 1 && got[0].IsBare() != (tt.in == "cw://") {
				t.Errorf("IsBare() = %v", got[0].IsBare())
			}
			// A bare entry names its provider's own service: cw:// is
			// CoreWeave, not AWS.
			if len(got) == 1 && tt.in == "cw://" && (got[0].Flavor() != address.FlavorCoreWeave || got[0].ServiceID() != "coreweave") {
				t.Errorf("bare cw:// is flavor %s, service %q; want coreweave", got[0].Flavor(), got[0].ServiceID())
			}
		})
	}
}

func TestParseListErrorNamesEntry(t *testing.T) {
	_, err := address.ParseList("s3://bkt-a, s3://ak:qwzx/vbnm@minio:9000/b?region=r")
	var e *address.Error
	if !errors.As(err, &e) || e.Entry != 2 || e.Field != address.FieldSecret {
		t.Fatalf("err = %v, want entry 2 secret error", err)
	}
	if !strings.Contains(err.Error(), "entry 2") || strings.Contains(err.Error(), "qwzx") {
		t.Errorf("error text = %q", err)
	}
}

func TestResolution(t *testing.T) {
	tests := []struct {
		in                   string
		flavor               address.Flavor
		style                address.Style
		endpointURL          string
		fallback, wantRegion string
		regionErr            bool
	}{
		{"s3://AKIA:sk@s3.eu-central-1.amazonaws.com/bkt", address.FlavorAWS, address.StyleVirtualHosted, "https://s3.eu-central-1.amazonaws.com", "", "eu-central-1", false},
		{"s3://bkt", address.FlavorAWS, address.StyleVirtualHosted, "https://s3.amazonaws.com", "us-west-1", "us-west-1", false},
		{"s3://bkt?region=ap-south-1", address.FlavorAWS, address.StyleVirtualHosted, "https://s3.ap-south-1.amazonaws.com", "us-west-1", "ap-south-1", false},
		{"s3://bkt", address.FlavorAWS, address.StyleVirtualHosted, "https://s3.amazonaws.com", "", "", true},
		{"s3://ak:sk@minio:9000/bkt?region=us-east-1", address.FlavorS3Compatible, address.StylePath, "http://minio:9000", "", "us-east-1", false},
		{"s3://ak:sk@minio:9000/bkt?region=us-east-1&tls=true", address.FlavorS3Compatible, address.StylePath, "https://minio:9000", "", "us-east-1", false},
		{"cw://ak:sk@cwobject.com/bkt?region=US-EAST-04A&tls=true", address.FlavorCoreWeave, address.StyleVirtualHosted, "https://cwobject.com", "", "US-EAST-04A", false},
		{"cw://bkt.cwlota.com", address.FlavorCoreWeaveLOTA, address.StyleVirtualHosted, "http://cwlota.com", "US-EAST-04A", "US-EAST-04A", false},
		{"gs://bkt", address.FlavorGCS, address.StylePath, "https://storage.googleapis.com", "", "", false},
		{"gs://bkt?endpoint=http://127.0.0.1:4443", address.FlavorGCS, address.StylePath, "http://127.0.0.1:4443", "", "", false},
		{"az://acct1/cont", address.FlavorAzure, address.StyleVirtualHosted, "https://acct1.blob.core.windows.net", "", "", false},
		{"az://devstoreaccount1/cont?endpoint=http://127.0.0.1:10000", address.FlavorAzure, address.StylePath, "http://127.0.0.1:10000/devstoreaccount1", "", "", false},
		{"az://acct1/cont?endpoint=https://blob.core.chinacloudapi.cn", address.FlavorAzure, address.StyleVirtualHosted, "https://blob.core.chinacloudapi.cn", "", "", false},
		{"file:///tmp/x", address.FlavorFile, address.StyleNone, "file:///tmp/x", "", "", false},
		{"mem://m", address.FlavorMem, address.StyleNone, "mem://m", "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			a, err := address.Parse(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if a.Flavor() != tt.flavor || a.Style() != tt.style || a.EndpointURL() != tt.endpointURL {
				t.Errorf("flavor, style, URL = %s, %s, %s; want %s, %s, %s", a.Flavor(), a.Style(), a.EndpointURL(), tt.flavor, tt.style, tt.endpointURL)
			}
			r, err := a.ResolveRegion(tt.fallback)
			if (err != nil) != tt.regionErr || r != tt.wantRegion {
				t.Errorf("ResolveRegion(%q) = %q, %v", tt.fallback, r, err)
			}
			if err != nil && !errors.Is(err, address.ErrMissing) {
				t.Errorf("ResolveRegion error kind: %v", err)
			}
		})
	}
}

// Every way an Address can be printed hides the secret.
func TestNoSecretInOutput(t *testing.T) {
	a, err := address.Parse("s3://AKIAEXAMPLEKEY:topsecretvalue%2Fxyz@minio:9000/bkt?region=r")
	if err != nil {
		t.Fatal(err)
	}
	var logBuf strings.Builder
	slog.New(slog.NewTextHandler(&logBuf, nil)).Info("opened", "addr", a, "value", *a)
	js, err := json.Marshal(struct{ A *address.Address }{a})
	if err != nil {
		t.Fatal(err)
	}
	outputs := map[string]string{
		"String":   a.String(),
		"%v ptr":   fmt.Sprintf("%v", a),
		"%v value": fmt.Sprintf("%v", *a),
		"%+v":      fmt.Sprintf("%+v", *a),
		"%#v":      fmt.Sprintf("%#v", *a),
		"%#v ptr":  fmt.Sprintf("%#v", a),
		"%d":       fmt.Sprintf("%d", *a),
		"%x":       fmt.Sprintf("%x", *a),
		"%q":       fmt.Sprintf("%q", *a),
		"slog":     logBuf.String(),
		"json":     string(js),
	}
	for name, out := range outputs {
		for _, secret := range []string{"topsecretvalue", "AKIAEXAMPLEKEY"} {
			if strings.Contains(out, secret) {
				t.Errorf("%s output contains %q: %s", name, secret, out)
			}
		}
	}
	if want := "s3://REDACTED:REDACTED@minio:9000/bkt?region=r"; a.String() != want {
		t.Errorf("String() = %q, want %q", a.String(), want)
	}
}
