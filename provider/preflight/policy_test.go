package preflight_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/byobkit/byob/address"
	"github.com/byobkit/byob/provider/preflight"
)

func mustParse(t *testing.T, s string) *address.Address {
	t.Helper()
	a, err := address.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// The documented policy passes the check's own evaluation on every
// provider, for any origin and for a specific one.
func TestCORSDocumentPassesTheCheck(t *testing.T) {
	for _, addr := range []string{"s3://bkt", "cw://cwobject.com/bkt?tls=true", "gs://bkt", "az://acct/ctr"} {
		for _, origin := range []string{"*", "https://app.example.com"} {
			t.Run(addr+" from "+origin, func(t *testing.T) {
				a := mustParse(t, addr)
				doc, err := preflight.CORSDocument(a, origin)
				if err != nil {
					t.Fatal(err)
				}
				js, err := json.Marshal(doc)
				if err != nil {
					t.Fatal(err)
				}
				if err := preflight.CheckCORSDocument(a, js, origin); err != nil {
					t.Fatalf("%v\n%s", err, js)
				}
			})
		}
	}
}

// A document the check would flag is an ErrCORSPolicy that names the fault.
func TestCheckCORSDocumentRefuses(t *testing.T) {
	tests := []struct {
		name, addr, doc, origin, want string
	}{
		{"S3 AllowedHeaders without content-md5", "s3://bkt",
			`{"CORSRules":[{"AllowedOrigins":["*"],"AllowedMethods":["GET","HEAD","PUT"],"AllowedHeaders":["content-type"],"ExposeHeaders":["ETag"],"MaxAgeSeconds":3000}]}`,
			"*", "lacks content-md5"},
		{"S3 without ETag exposed", "s3://bkt",
			`{"CORSRules":[{"AllowedOrigins":["*"],"AllowedMethods":["GET","HEAD","PUT"],"AllowedHeaders":["*"],"MaxAgeSeconds":3000}]}`,
			"*", "ETag not exposed"},
		{"S3 another origin", "s3://bkt",
			`{"CORSRules":[{"AllowedOrigins":["https://a.example"],"AllowedMethods":["GET","HEAD","PUT"],"AllowedHeaders":["*"],"ExposeHeaders":["ETag"],"MaxAgeSeconds":3000}]}`,
			"https://b.example", "not allowed from origin"},
		{"S3 no max age", "s3://bkt",
			`{"CORSRules":[{"AllowedOrigins":["*"],"AllowedMethods":["GET","HEAD","PUT"],"AllowedHeaders":["*"],"ExposeHeaders":["ETag"]}]}`,
			"*", "no max age"},
		{"S3 misspelt field", "s3://bkt",
			`{"CORSRules":[{"AllowedOrigin":["*"],"AllowedMethods":["GET","HEAD","PUT"],"AllowedHeaders":["*"],"ExposeHeaders":["ETag"],"MaxAgeSeconds":3000}]}`,
			"*", "unknown field"},
		{"GCS wildcard responseHeader is not proven", "gs://bkt",
			`[{"origin":["*"],"method":["GET","HEAD","PUT"],"responseHeader":["*"],"maxAgeSeconds":3000}]`,
			"*", "lacks content-type"},
		{"Azure without x-ms-blob-type", "az://acct/ctr",
			`{"corsRules":[{"allowedOrigins":["*"],"allowedMethods":["GET","HEAD","PUT"],"allowedHeaders":["content-type","content-md5"],"exposedHeaders":["ETag"],"maxAgeInSeconds":3000}]}`,
			"*", "lacks x-ms-blob-type"},
		{"no rules", "s3://bkt", `{"CORSRules":[]}`, "*", "no CORS rules"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := preflight.CheckCORSDocument(mustParse(t, tt.addr), []byte(tt.doc), tt.origin)
			if !errors.Is(err, preflight.ErrCORSPolicy) {
				t.Fatalf("err = %v, want ErrCORSPolicy", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want it to say %q", err, tt.want)
			}
		})
	}
}

// The Azure command carries the same rule as the document.
func TestAzureCORSCommand(t *testing.T) {
	got := preflight.AzureCORSCommand(mustParse(t, "az://acct/ctr"), "*")
	want := "az storage cors add --services b --account-name acct --origins '*' --methods GET HEAD PUT --allowed-headers '*' --exposed-headers ETag --max-age 3000"
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}
