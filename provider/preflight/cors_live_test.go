package preflight

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/service"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/byobkit/byob/address"
	"github.com/byobkit/byob/internal/testenv"
)

// The CORS check's verdict against what the real servers do: for each rule
// set, Check's CORS finding, and the server's answer to the preflight a
// browser sends before a PUT through one of byob's URLs.

// corsSite is the web origin the browser preflights come from.
const corsSite = "https://wandb.example.com"

// browserPreflight sends the OPTIONS request a browser sends before a PUT
// to objectURL from corsSite, asking for headers, and returns the status.
func browserPreflight(t *testing.T, objectURL string, headers []string) *http.Response {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), http.MethodOptions, objectURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Origin", corsSite)
	req.Header.Set("Access-Control-Request-Method", http.MethodPut)
	req.Header.Set("Access-Control-Request-Headers", strings.Join(headers, ","))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("preflight: %v", err)
	}
	resp.Body.Close()
	return resp
}

// putHeaders returns the request headers byob's PUT URLs make a browser
// send to the flavor's bucket, and checks them against want, so that the
// preflights below ask for no less than the check verifies.
func putHeaders(t *testing.T, p address.Provider, f address.Flavor, want []string) []string {
	t.Helper()
	for _, n := range corsNeeds(f, corsDialects[p], false) {
		if n.Method == http.MethodPut {
			if !slices.Equal(n.Headers, want) {
				t.Fatalf("PUT headers = %q, want %q", n.Headers, want)
			}
			return n.Headers
		}
	}
	t.Fatal("no PUT among the needs")
	return nil
}

// corsLiveCase is one rule set, what Check says of it and what the server
// answers the PUT preflight with.
type corsLiveCase[R any] struct {
	name      string
	rules     R
	origin    string // Options.Origin
	severity  Severity
	saw       string // the CORS finding's Saw
	preflight int    // the server's status for the browser's preflight
}

func TestCORSVerdictMatchesVersitygw(t *testing.T) {
	srv := testenv.S3(t)
	c := checkS3Client(srv)
	headers := putHeaders(t, address.S3, address.FlavorS3Compatible, []string{"content-type", "content-md5"})
	rule := func(origin string, allowed ...string) types.CORSRule {
		return types.CORSRule{AllowedOrigins: []string{origin}, AllowedMethods: []string{"GET", "HEAD", "PUT"}, AllowedHeaders: allowed,
			ExposeHeaders: []string{"ETag"}, MaxAgeSeconds: aws.Int32(3000)}
	}
	const ok = "GET, HEAD, PUT allowed from origin * (PUT with content-type, content-md5); ETag exposed; max age 3000 s"
	tests := []corsLiveCase[[]types.CORSRule]{
		{"the documented policy, AllowedHeaders *", []types.CORSRule{checkProductS3CORS}, "*", SeverityOK, ok, http.StatusOK},
		{"a rule without content-md5", []types.CORSRule{rule("*", "content-type")}, "*", SeverityError,
			"1 CORS rule: PUT from origin *: AllowedHeaders lacks content-md5", http.StatusForbidden},
		{"a rule without content-type", []types.CORSRule{rule("*", "content-md5")}, "*", SeverityError,
			"1 CORS rule: PUT from origin *: AllowedHeaders lacks content-type", http.StatusForbidden},
		{"header names in another case", []types.CORSRule{rule("*", "Content-Type", "CONTENT-MD5")}, "*", SeverityOK, ok, http.StatusOK},
		{"a prefix wildcard covering both", []types.CORSRule{rule("*", "content-*")}, "*", SeverityOK, ok, http.StatusOK},
		{"a prefix wildcard for other headers", []types.CORSRule{rule("*", "x-amz-*", "content-type")}, "*", SeverityError,
			"1 CORS rule: PUT from origin *: AllowedHeaders lacks content-md5", http.StatusForbidden},
		{"two rules that together cover the headers, neither alone", []types.CORSRule{rule("*", "content-type"), rule("*", "content-md5")}, "*", SeverityError,
			"2 CORS rules: PUT from origin *: no one rule's AllowedHeaders covers content-type, content-md5 (rule #1 lacks content-md5; rule #2 lacks content-type), and a preflight is matched against one rule",
			http.StatusForbidden},
		{"the server's own origin", []types.CORSRule{rule(corsSite, "*")}, corsSite, SeverityOK,
			"GET, HEAD, PUT allowed from origin " + corsSite + " (PUT with content-type, content-md5); ETag exposed; max age 3000 s", http.StatusOK},
		{"another origin", []types.CORSRule{rule("https://other.example.com", "*")}, corsSite, SeverityError,
			"1 CORS rule: GET, HEAD, PUT not allowed from origin " + corsSite, http.StatusForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			b := newCheckS3Bucket(t, c)
			if _, err := c.PutBucketCors(ctx, &s3.PutBucketCorsInput{Bucket: aws.String(b), CORSConfiguration: &types.CORSConfiguration{CORSRules: tt.rules}}); err != nil {
				t.Fatalf("put CORS: %v", err)
			}
			r, err := Check(ctx, checkS3Address(srv, b, "team", vgwRegion), Options{Origin: tt.origin})
			if err != nil {
				t.Fatalf("Check: %v", err)
			}
			f, _ := r.Finding(CheckCORS)
			if f.Severity != tt.severity || f.Saw != tt.saw {
				t.Errorf("CORS finding: %v %q\nwant:        %v %q", f.Severity, f.Saw, tt.severity, tt.saw)
			}
			resp := browserPreflight(t, "http://"+srv.Endpoint+"/"+b+"/team/file.bin", headers)
			if resp.StatusCode != tt.preflight {
				t.Errorf("versitygw answers the preflight %d, want %d", resp.StatusCode, tt.preflight)
			}
			if resp.StatusCode == http.StatusOK && resp.Header.Get("Access-Control-Allow-Origin") == "" {
				t.Errorf("a passed preflight without Access-Control-Allow-Origin: %v", resp.Header)
			}
		})
	}
}

// Azurite's CORS rules are account-wide: the cases run one after another,
// and checkAzuriteService restores the account's properties afterwards.
func TestCORSVerdictMatchesAzurite(t *testing.T) {
	srv := testenv.Azurite(t)
	svc := testenv.AzuriteService(t, srv)
	ctr := newCheckAzuriteContainer(t, svc)
	name := ctr.URL()[strings.LastIndexByte(ctr.URL(), '/')+1:]
	headers := putHeaders(t, address.Azure, address.FlavorAzure, []string{"content-type", "content-md5", "x-ms-blob-type"})
	rule := func(origins, methods, allowed string) *service.CORSRule {
		return &service.CORSRule{AllowedOrigins: to.Ptr(origins), AllowedMethods: to.Ptr(methods), AllowedHeaders: to.Ptr(allowed),
			ExposedHeaders: to.Ptr("ETag"), MaxAgeInSeconds: to.Ptr(int32(3000))}
	}
	const ok = "GET, HEAD, PUT allowed from origin * (PUT with content-type, content-md5, x-ms-blob-type); ETag exposed; max age 3000 s"
	tests := []corsLiveCase[[]*service.CORSRule]{
		{"the documented policy, AllowedHeaders *", []*service.CORSRule{rule("*", "GET,HEAD,PUT", "*")}, "*", SeverityOK, ok, http.StatusOK},
		{"a rule without content-md5", []*service.CORSRule{rule("*", "GET,HEAD,PUT", "content-type,x-ms-blob-type")}, "*", SeverityError,
			"1 CORS rule: PUT from origin *: AllowedHeaders lacks content-md5", http.StatusForbidden},
		{"a rule without x-ms-blob-type", []*service.CORSRule{rule("*", "GET,HEAD,PUT", "content-type,content-md5")}, "*", SeverityError,
			"1 CORS rule: PUT from origin *: AllowedHeaders lacks x-ms-blob-type", http.StatusForbidden},
		{"header names in another case", []*service.CORSRule{rule("*", "GET,HEAD,PUT", "Content-Type,CONTENT-MD5,X-Ms-Blob-Type")}, "*", SeverityOK, ok, http.StatusOK},
		{"a prefix x-ms-* covering x-ms-blob-type", []*service.CORSRule{rule("*", "GET,HEAD,PUT", "content-type,content-md5,x-ms-*")}, "*", SeverityOK, ok, http.StatusOK},
		{"two rules that together cover the headers, neither alone",
			[]*service.CORSRule{rule("*", "GET,HEAD,PUT", "content-type,content-md5"), rule("*", "GET,HEAD,PUT", "x-ms-blob-type")}, "*", SeverityError,
			"2 CORS rules: PUT from origin *: no one rule's AllowedHeaders covers content-type, content-md5, x-ms-blob-type (rule #1 lacks x-ms-blob-type; rule #2 lacks content-type, content-md5), and a preflight is matched against one rule",
			http.StatusForbidden},
		{"methods in lower case: Azurite folds them", []*service.CORSRule{rule("*", "get,head,put", "*")}, "*", SeverityOK, ok, http.StatusOK},
		{"the server's own origin", []*service.CORSRule{rule(corsSite, "GET,HEAD,PUT", "*")}, corsSite, SeverityOK,
			"GET, HEAD, PUT allowed from origin " + corsSite + " (PUT with content-type, content-md5, x-ms-blob-type); ETag exposed; max age 3000 s", http.StatusOK},
		{"another origin", []*service.CORSRule{rule("https://other.example.com", "GET,HEAD,PUT", "*")}, corsSite, SeverityError,
			"1 CORS rule: GET, HEAD, PUT not allowed from origin " + corsSite, http.StatusForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			if _, err := svc.SetProperties(ctx, &service.SetPropertiesOptions{CORS: tt.rules}); err != nil {
				t.Fatalf("set CORS: %v", err)
			}
			r, err := Check(ctx, checkAzuriteAddress(t, srv, name, "team"), Options{Origin: tt.origin})
			if err != nil {
				t.Fatalf("Check: %v", err)
			}
			f, _ := r.Finding(CheckCORS)
			if f.Severity != tt.severity || f.Saw != tt.saw {
				t.Errorf("CORS finding: %v %q\nwant:        %v %q", f.Severity, f.Saw, tt.severity, tt.saw)
			}
			resp := browserPreflight(t, ctr.URL()+"/team/file.bin", headers)
			if resp.StatusCode != tt.preflight {
				t.Errorf("Azurite answers the preflight %d, want %d", resp.StatusCode, tt.preflight)
			}
			if resp.StatusCode == http.StatusOK && resp.Header.Get("Access-Control-Allow-Origin") == "" {
				t.Errorf("a passed preflight without Access-Control-Allow-Origin: %v", resp.Header)
			}
		})
	}
}
