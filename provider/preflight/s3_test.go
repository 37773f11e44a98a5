package preflight

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/byobkit/byob/address"
	"github.com/byobkit/byob/internal/testenv"
	"github.com/google/go-cmp/cmp"
)

// versitygw v1.8.0 answers these for the settings it does not implement.
const (
	vgwNotImplemented = "(NotImplemented: A header you provided implies functionality that is not implemented.); check this setting by hand"
	vgwRegion         = testenv.S3Region
)

func checkS3Client(srv testenv.S3Server) *s3.Client {
	return srv.Client()
}

// newCheckS3Bucket creates an empty bucket with a random name, removed with
// every version in it when the test ends.
func newCheckS3Bucket(t *testing.T, c *s3.Client) string {
	t.Helper()
	var r [5]byte
	rand.Read(r[:])
	name := "byob-check-" + hex.EncodeToString(r[:])
	ctx := context.Background()
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
		t.Fatalf("create bucket: %v", err)
	}
	t.Cleanup(func() {
		for _, v := range checkS3Versions(t, c, name) {
			c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(name), Key: aws.String(v.key), VersionId: v.id})
		}
		if _, err := c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String(name)}); err != nil {
			t.Errorf("delete bucket: %v", err)
		}
	})
	return name
}

type checkS3Ver struct {
	key string
	id  *string
}

// checkS3Versions lists every object version and delete marker in the bucket.
func checkS3Versions(t *testing.T, c *s3.Client, bucket string) []checkS3Ver {
	t.Helper()
	out, err := c.ListObjectVersions(context.Background(), &s3.ListObjectVersionsInput{Bucket: aws.String(bucket)})
	if err != nil {
		t.Fatalf("list versions: %v", err)
	}
	var vs []checkS3Ver
	for _, v := range out.Versions {
		vs = append(vs, checkS3Ver{aws.ToString(v.Key), v.VersionId})
	}
	for _, m := range out.DeleteMarkers {
		vs = append(vs, checkS3Ver{aws.ToString(m.Key), m.VersionId})
	}
	return vs
}

func checkS3Address(srv testenv.S3Server, bucket, path, region string) *address.Address {
	return &address.Address{Provider: address.S3, Endpoint: srv.Endpoint, Bucket: bucket, Path: path, Region: region,
		AccessKey: srv.AccessKey, Secret: srv.SecretKey}
}

func checkPutCORS(rules ...types.CORSRule) func(context.Context, *s3.Client, string) error {
	return func(ctx context.Context, c *s3.Client, b string) error {
		_, err := c.PutBucketCors(ctx, &s3.PutBucketCorsInput{Bucket: aws.String(b), CORSConfiguration: &types.CORSConfiguration{CORSRules: rules}})
		return err
	}
}

func checkPutVersioning(s types.BucketVersioningStatus) func(context.Context, *s3.Client, string) error {
	return func(ctx context.Context, c *s3.Client, b string) error {
		_, err := c.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: aws.String(b), VersioningConfiguration: &types.VersioningConfiguration{Status: s}})
		return err
	}
}

var checkProductS3CORS = types.CORSRule{
	AllowedOrigins: []string{"*"}, AllowedMethods: []string{"GET", "HEAD", "PUT"}, AllowedHeaders: []string{"*"},
	ExposeHeaders: []string{"ETag"}, MaxAgeSeconds: aws.Int32(3000),
}

func TestCheckS3Versitygw(t *testing.T) {
	srv := testenv.S3(t)
	c := checkS3Client(srv)
	endpointURL := "http://" + srv.Endpoint
	corsFix := func(b string, replacing bool) string {
		s := "aws s3api put-bucket-cors --bucket " + b + " --endpoint-url " + endpointURL +
			` --cors-configuration '{"CORSRules":[{"AllowedHeaders":["*"],"AllowedMethods":["GET","HEAD","PUT"],"AllowedOrigins":["*"],"ExposeHeaders":["ETag"],"MaxAgeSeconds":3000}]}'`
		if replacing {
			s += "\n(this replaces the bucket's CORS rules: add any other rule you still need to the list)"
		}
		return s
	}
	versioningFix := func(b string) string {
		return "aws s3api put-bucket-versioning --bucket " + b + " --endpoint-url " + endpointURL + " --versioning-configuration Status=Enabled"
	}
	// The findings of a well-configured bucket under the sub-path "team";
	// cases replace the ones they change.
	good := func(b string) []Finding {
		return []Finding{
			{Check: CheckReachable, Saw: `listed bucket "` + b + `" under "team/"`},
			{Check: CheckReadWrite, Saw: `wrote, read back and deleted "team/.byob-check/<random>"; nothing left behind`},
			{Check: CheckCORS, Saw: "GET, HEAD, PUT allowed from origin * (PUT with content-type, content-md5); ETag exposed; max age 3000 s"},
			{Check: CheckVersioning, Saw: "versioning is enabled"},
			{Check: CheckEncryption, Saw: "not required: no KMS key named"},
			{Check: CheckLifecycle, Severity: SeverityWarning, CouldNotCheck: true, Saw: "the store does not implement GetBucketLifecycleConfiguration " + vgwNotImplemented},
			{Check: CheckRegion, Saw: "the bucket is in us-east-1, as the address says"},
			{Check: CheckTransport, Saw: "plain HTTP, but only to this machine (" + srv.Endpoint + ")"},
		}
	}
	skipped := couldNotCheck("", "skipped: the bucket is not reachable (see reachable)", "", "")
	type setup = func(context.Context, *s3.Client, string) error
	tests := []struct {
		name   string
		setup  []setup
		region string
		opts   Options
		want   func(b string) []Finding
		worst  Severity
	}{
		{"good configuration: only lifecycle, which versitygw lacks, is unknown",
			[]setup{checkPutCORS(checkProductS3CORS), checkPutVersioning(types.BucketVersioningStatusEnabled)}, vgwRegion, Options{},
			good, SeverityWarning},
		{"CORS missing is an error with the policy to apply",
			[]setup{checkPutVersioning(types.BucketVersioningStatusEnabled)}, vgwRegion, Options{},
			func(b string) []Finding {
				f := good(b)
				f[2] = Finding{Check: CheckCORS, Severity: SeverityError, Saw: "no CORS rules", Fix: corsFix(b, false)}
				return f
			}, SeverityError},
		{"CORS without PUT is an error",
			[]setup{checkPutCORS(types.CORSRule{AllowedOrigins: []string{"*"}, AllowedMethods: []string{"GET", "HEAD"}, ExposeHeaders: []string{"ETag"}, MaxAgeSeconds: aws.Int32(3000)}),
				checkPutVersioning(types.BucketVersioningStatusEnabled)}, vgwRegion, Options{},
			func(b string) []Finding {
				f := good(b)
				f[2] = Finding{Check: CheckCORS, Severity: SeverityError, Saw: "1 CORS rule: PUT not allowed from origin *", Fix: corsFix(b, true)}
				return f
			}, SeverityError},
		{"CORS not exposing ETag is an error",
			[]setup{checkPutCORS(types.CORSRule{AllowedOrigins: []string{"*"}, AllowedMethods: []string{"GET", "HEAD", "PUT"}, AllowedHeaders: []string{"*"}, MaxAgeSeconds: aws.Int32(3000)}),
				checkPutVersioning(types.BucketVersioningStatusEnabled)}, vgwRegion, Options{},
			func(b string) []Finding {
				f := good(b)
				f[2] = Finding{Check: CheckCORS, Severity: SeverityError, Saw: "1 CORS rule: ETag not exposed to GET, HEAD, PUT", Fix: corsFix(b, true)}
				return f
			}, SeverityError},
		{"versioning never enabled is a warning",
			[]setup{checkPutCORS(checkProductS3CORS)}, vgwRegion, Options{},
			func(b string) []Finding {
				f := good(b)
				f[3] = Finding{Check: CheckVersioning, Severity: SeverityWarning, Fix: versioningFix(b),
					Saw: "versioning has never been enabled; garbage collection needs it as a safety net before it can be turned on"}
				return f
			}, SeverityWarning},
		{"versioning suspended is an error when garbage collection is on",
			[]setup{checkPutCORS(checkProductS3CORS), checkPutVersioning(types.BucketVersioningStatusEnabled), checkPutVersioning(types.BucketVersioningStatusSuspended)}, vgwRegion, Options{GCEnabled: true},
			func(b string) []Finding {
				f := good(b)
				f[3] = Finding{Check: CheckVersioning, Severity: SeverityError, Fix: versioningFix(b),
					Saw: "versioning is suspended; garbage collection is on and relies on it to undo a wrong delete"}
				return f
			}, SeverityError},
		{"a named KMS key cannot be checked: versitygw has no bucket encryption",
			[]setup{checkPutCORS(checkProductS3CORS), checkPutVersioning(types.BucketVersioningStatusEnabled)}, vgwRegion, Options{KMSKeyID: "alias/byob"},
			func(b string) []Finding {
				f := good(b)
				f[4] = Finding{Check: CheckEncryption, Severity: SeverityWarning, CouldNotCheck: true, Saw: "the store does not implement GetBucketEncryption " + vgwNotImplemented}
				return f
			}, SeverityWarning},
		{"region mismatch: the bucket is unreachable and the region check says why",
			[]setup{checkPutCORS(checkProductS3CORS)}, "eu-west-1", Options{},
			func(b string) []Finding {
				f := good(b)
				f[0] = Finding{Check: CheckReachable, Severity: SeverityError, Fix: "check the endpoint, the network path to it, and the region",
					Saw: `cannot list bucket "` + b + `" under "team/": AuthorizationHeaderMalformed: The authorization header is malformed; the region "eu-west-1" is wrong; expecting "us-east-1"`}
				for i := 1; i <= 5; i++ {
					f[i] = skipped
					f[i].Check = checkTable[i-1].name
				}
				f[6] = Finding{Check: CheckRegion, Severity: SeverityError,
					Saw: "the server expects requests signed for region us-east-1, but requests are signed for eu-west-1",
					Fix: "set the region in the address: s3://REDACTED:REDACTED@" + srv.Endpoint + "/" + b + "/team?region=us-east-1"}
				return f
			}, SeverityError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			b := newCheckS3Bucket(t, c)
			for _, s := range tt.setup {
				if err := s(ctx, c, b); err != nil {
					t.Fatalf("setup: %v", err)
				}
			}
			r, err := Check(ctx, checkS3Address(srv, b, "team", tt.region), tt.opts)
			if err != nil {
				t.Fatalf("Check: %v", err)
			}
			if d := cmp.Diff(tt.want(b), checkNormalize(r.Findings)); d != "" {
				t.Errorf("findings (-want +got):\n%s", d)
			}
			if r.Worst() != tt.worst {
				t.Errorf("Worst = %v, want %v", r.Worst(), tt.worst)
			}
			if vs := checkS3Versions(t, c, b); len(vs) != 0 {
				t.Errorf("the check left %d objects or versions behind: %+v", len(vs), vs)
			}
			if strings.Contains(r.String(), srv.SecretKey) {
				t.Errorf("report contains the secret key")
			}
		})
	}
}

func TestCheckS3VersitygwFailures(t *testing.T) {
	srv := testenv.S3(t)
	c := checkS3Client(srv)
	b := newCheckS3Bucket(t, c)
	ctx := context.Background()

	t.Run("missing bucket", func(t *testing.T) {
		r, err := Check(ctx, checkS3Address(srv, b+"-missing", "", vgwRegion), Options{})
		if err != nil {
			t.Fatal(err)
		}
		f, _ := r.Finding(CheckReachable)
		want := Finding{Check: CheckReachable, Severity: SeverityError, Fix: "create it, or correct the bucket name in the address",
			Saw: `bucket "` + b + `-missing" does not exist (NoSuchBucket: The specified bucket does not exist.)`}
		if d := cmp.Diff(want, f); d != "" {
			t.Errorf("reachable (-want +got):\n%s", d)
		}
	})

	t.Run("wrong secret: denied, every check still reports, no secret printed", func(t *testing.T) {
		a := checkS3Address(srv, b, "team", vgwRegion)
		a.Secret = "wrong/" + srv.SecretKey
		r, err := Check(ctx, a, Options{})
		if err != nil {
			t.Fatal(err)
		}
		f, _ := r.Finding(CheckReachable)
		if f.Severity != SeverityError || f.Permission != "s3:ListBucket" || !strings.HasPrefix(f.Saw, `access denied listing bucket "`+b+`" under "team/"`) {
			t.Errorf("reachable = %+v", f)
		}
		f, _ = r.Finding(CheckCORS)
		if !f.CouldNotCheck || f.Permission != "s3:GetBucketCORS" {
			t.Errorf("cors = %+v; want could not check, naming s3:GetBucketCORS", f)
		}
		if text := r.String(); strings.Contains(text, a.Secret) || strings.Contains(text, srv.SecretKey) {
			t.Errorf("report contains a secret:\n%s", text)
		}
		if vs := checkS3Versions(t, c, b); len(vs) != 0 {
			t.Errorf("the check left %+v behind", vs)
		}
	})
}

// zoneGroupProxy puts versitygw behind a reverse proxy that answers every
// GetBucketLocation with "default", as S3-compatible servers that name
// their zone group do, and returns the proxy's host:port. Everything else
// passes through untouched, and requests are forwarded as they came, Host
// header included, so that versitygw still verifies their signatures.
// rewrites counts the answers the proxy replaced.
func zoneGroupProxy(t *testing.T, srv testenv.S3Server) (endpoint string, rewrites *atomic.Int64) {
	t.Helper()
	rewrites = new(atomic.Int64)
	target := &url.URL{Scheme: "http", Host: srv.Endpoint}
	const answer = `<?xml version="1.0" encoding="UTF-8"?>` + "\n" +
		`<LocationConstraint xmlns="http://s3.amazonaws.com/doc/2006-03-01/">default</LocationConstraint>`
	rp := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(target)
			r.Out.Host = r.In.Host // the host the request was signed for
		},
		ModifyResponse: func(resp *http.Response) error {
			req := resp.Request
			if req.Method != http.MethodGet || !req.URL.Query().Has("location") || resp.StatusCode != http.StatusOK {
				return nil
			}
			resp.Body.Close()
			resp.Body = io.NopCloser(strings.NewReader(answer))
			resp.ContentLength = int64(len(answer))
			resp.Header.Set("Content-Length", strconv.Itoa(len(answer)))
			rewrites.Add(1)
			return nil
		},
	}
	ps := httptest.NewServer(rp)
	t.Cleanup(ps.Close)
	return strings.TrimPrefix(ps.URL, "http://"), rewrites
}

// Issue #7, defect 11: a server that names its zone group ("default") in
// GetBucketLocation, and takes the address's region all the same, has a
// region that works: the signed probe just proved it.
func TestCheckS3ZoneGroupRegionIsOK(t *testing.T) {
	srv := testenv.S3(t)
	c := checkS3Client(srv)
	b := newCheckS3Bucket(t, c)
	proxy, rewrites := zoneGroupProxy(t, srv)
	a := checkS3Address(srv, b, "team", vgwRegion)
	a.Endpoint = proxy
	r, err := Check(context.Background(), a, Options{})
	if err != nil {
		t.Fatalf("Check: %v", err)
	}
	if rewrites.Load() == 0 {
		t.Fatal("the proxy answered no GetBucketLocation: the test proves nothing")
	}
	if f, _ := r.Finding(CheckReadWrite); f.Severity != SeverityOK {
		t.Fatalf("the signed probe through the proxy failed: %+v", f)
	}
	want := Finding{Check: CheckRegion, Saw: `the server names the bucket's region "default", but requests signed for us-east-1 work (read-write-delete passed), and this server does not require the bucket's region`}
	got, _ := r.Finding(CheckRegion)
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("region (-want +got):\n%s", d)
	}
	if strings.Contains(r.String(), srv.SecretKey) {
		t.Errorf("report contains the secret key")
	}
}
