package address_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/byobkit/byob/address"
)

// Defect 1 (issue #7): an unencoded '@' after the host could belong to the
// credentials, so where the address splits is ambiguous. Parse refuses it
// rather than guess, and its error quotes no part of the input.
func TestParseAtAfterHostIsAmbiguous(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		secrets []string // parts of the input the error must not quote
	}{
		{"the issue's input: '@' inside the secret",
			"s3://minioadmin:Adm1n@corp/2024/q1@minio.local:9000/bkt?region=us-east-1",
			[]string{"minioadmin", "Adm1n", "corp", "2024", "q1@minio"}},
		{"'@' in the query",
			"s3://ak:sk@minio.local:9000/bkt?region=us-east-1&note=a@b",
			[]string{"note", "a@b"}},
		{"'@' in the query of an address without credentials",
			"s3://my-bucket?region=us@east-1",
			[]string{"us@east"}},
		{"'@' in the sub-path of an address with credentials",
			"s3://ak:sk@minio.local:9000/bkt/team@home?region=us-east-1",
			[]string{"team@home"}},
		{"'@' in the sub-path of an address without credentials",
			"s3://my-bucket/team@home",
			[]string{"team@home"}},
		{"access key containing '/'",
			"s3://AKIA/XAMPLE:wJalrXUtnFEMI@minio.local:9000/bkt?region=us-east-1",
			[]string{"AKIA", "XAMPLE", "wJalrXUtnFEMI"}},
		{"secret with '/' and '@' on CoreWeave",
			"cw://ak:se/cr@et@cwobject.com/bkt?region=US-EAST-04A&tls=true",
			[]string{"se/cr", "cr@et"}},
		{"GCS e-mail written with '@' and a key with '/'",
			"gs://sa@p.iam.gserviceaccount.com:ke/yt@ext@bkt",
			[]string{"ke/yt", "yt@ext"}},
		{"Azure key with '/' and '@'",
			"az://:abc/de@f==@acct1/cont",
			[]string{"abc/de", "de@f"}},
		{"mem sub-path with '@'",
			"mem://m/a@b",
			[]string{"a@b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := address.Parse(tt.in)
			if err == nil {
				t.Fatalf("Parse succeeded: %v (endpoint %q, bucket %q, path %q)", a, a.Endpoint, a.Bucket, a.Path)
			}
			var e *address.Error
			if !errors.As(err, &e) || !errors.Is(err, address.ErrSyntax) || e.Field != address.FieldSecret {
				t.Fatalf("err = %v; want ErrSyntax on the secret", err)
			}
			if !strings.Contains(e.Fix, "%40") {
				t.Errorf("fix %q does not say to write '@' as %%40", e.Fix)
			}
			for _, s := range tt.secrets {
				if strings.Contains(err.Error(), s) {
					t.Errorf("error quotes %q from the input: %v", s, err)
				}
			}
		})
	}
}

// Several '@' inside the authority are not ambiguous: a host cannot contain
// '@', so the last one ends the credentials.
func TestParseAtInsideCredentials(t *testing.T) {
	tests := []struct {
		name       string
		in         string
		ak, secret string
		endpoint   string
	}{
		{"'@' in the secret", "s3://minioadmin:Adm1n@corp@minio.local:9000/bkt?region=us-east-1", "minioadmin", "Adm1n@corp", "minio.local:9000"},
		{"'@' in both keys", "s3://a@k:s@k@minio.local:9000/bkt?region=us-east-1", "a@k", "s@k", "minio.local:9000"},
		{"'@' written as %40", "s3://ak:s%40k@minio.local:9000/bkt?region=us-east-1", "ak", "s@k", "minio.local:9000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := address.Parse(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if a.AccessKey != tt.ak || a.Secret != tt.secret || a.Endpoint != tt.endpoint || a.Bucket != "bkt" {
				t.Errorf("got key %q secret %q endpoint %q bucket %q", a.AccessKey, a.Secret, a.Endpoint, a.Bucket)
			}
			again, err := address.Parse(a.URL())
			if err != nil || *again != *a {
				t.Errorf("round trip through %q: %v, %v", a.String(), again, err)
			}
		})
	}
}
