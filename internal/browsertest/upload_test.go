package browsertest

import (
	"context"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/bloberror"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/service"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/byobkit/byob/internal/testenv"
	"github.com/byobkit/byob/presign"
	"github.com/byobkit/byob/provider/preflight"
)

// bodySize is the file the page uploads: large enough for a body that
// spans several network reads, small enough to be quick.
const bodySize = 256 << 10

// corsCase is one bucket CORS set-up and what the browser must see.
type corsCase[R any] struct {
	name   string
	rules  R    // nil: no CORS policy at all
	upload bool // the browser's upload and download succeed
	saw    string
}

// expectUploaded asserts a successful browser round trip of body.
func expectUploaded(t *testing.T, out outcome, wantETag string) {
	t.Helper()
	if out.Put.Error != "" || out.Put.Status/100 != 2 {
		t.Fatalf("PUT: status %d, error %q; want 2xx", out.Put.Status, out.Put.Error)
	}
	if out.Put.ETag == "" {
		t.Errorf("the page could not read the ETag (not exposed?)")
	} else if wantETag != "" && out.Put.ETag != wantETag {
		t.Errorf("ETag read by the page = %s, want %s", out.Put.ETag, wantETag)
	}
	if out.Get == nil || out.Get.Error != "" || out.Get.Status != 200 || out.Get.Length != bodySize || !out.Get.Same {
		t.Errorf("GET: %+v; want 200 with the uploaded bytes", out.Get)
	}
}

// expectBlocked asserts that fetch rejected the PUT and that the browser
// logged a CORS failure for it.
func expectBlocked(t *testing.T, p *page, logFrom int, out outcome) {
	t.Helper()
	if out.Put.Error == "" || !strings.Contains(out.Put.Error, "Failed to fetch") {
		t.Fatalf("PUT: status %d, error %q; want fetch to reject it (CORS)", out.Put.Status, out.Put.Error)
	}
	if !waitLog(p, logFrom, "blocked by CORS policy") {
		t.Errorf("the browser logged no CORS failure; its log: %q", p.logSince(logFrom))
	}
}

// waitLog reports whether the page logs a message containing s, waiting for
// it up to the step timeout (the log event may trail fetch's rejection).
func waitLog(p *page, from int, s string) bool {
	ctx, cancel := context.WithTimeout(context.Background(), stepTimeout)
	defer cancel()
	for {
		if slices.ContainsFunc(p.logSince(from), func(m string) bool { return strings.Contains(m, s) }) {
			return true
		}
		select {
		case <-ctx.Done():
			return false
		case <-afterPoll():
		}
	}
}

// expectCORSError asserts that preflight.Check, asked about the page's
// origin, reports the CORS error the browser hit, with a fix.
func expectCORSError(t *testing.T, r *preflight.Report, saw, fixCmd string) preflight.Finding {
	t.Helper()
	f, ok := r.Finding(preflight.CheckCORS)
	if !ok {
		t.Fatalf("no CORS finding in %v", r)
	}
	if f.Severity != preflight.SeverityError || f.Saw != saw {
		t.Errorf("CORS finding: %v %q\nwant:        %v %q", f.Severity, f.Saw, preflight.SeverityError, saw)
	}
	if !strings.Contains(f.Fix, fixCmd) {
		t.Errorf("CORS fix %q does not run %q", f.Fix, fixCmd)
	}
	return f
}

var documentedS3 = types.CORSRule{
	AllowedOrigins: []string{"*"}, AllowedMethods: []string{"GET", "HEAD", "PUT"}, AllowedHeaders: []string{"*"},
	ExposeHeaders: []string{"ETag"}, MaxAgeSeconds: aws.Int32(3000),
}

// TestBrowserUploadVersitygw: on versitygw, a page on another origin
// uploads through byob's presigned PUT and reads the file back with the
// documented CORS policy; with no policy, or one whose AllowedHeaders
// lacks content-md5, the browser blocks the upload, nothing is written,
// preflight.Check reports that error, and its fix makes the upload work.
func TestBrowserUploadVersitygw(t *testing.T) {
	srv := testenv.S3(t)
	c := srv.Client()
	p := openPage(t)
	tests := []corsCase[[]types.CORSRule]{
		{name: "the documented policy", rules: []types.CORSRule{documentedS3}, upload: true},
		{name: "no CORS policy", saw: "no CORS rules"},
		{name: "AllowedHeaders lacks content-md5", rules: []types.CORSRule{{AllowedOrigins: []string{"*"}, AllowedMethods: []string{"GET", "HEAD", "PUT"},
			AllowedHeaders: []string{"content-type"}, ExposeHeaders: []string{"ETag"}, MaxAgeSeconds: aws.Int32(3000)}},
			saw: "1 CORS rule: PUT from origin " + "@origin" + ": AllowedHeaders lacks content-md5"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			bkt := newS3Bucket(t, c)
			if tt.rules != nil {
				if _, err := c.PutBucketCors(ctx, &s3.PutBucketCorsInput{Bucket: aws.String(bkt), CORSConfiguration: &types.CORSConfiguration{CORSRules: tt.rules}}); err != nil {
					t.Fatalf("put CORS: %v", err)
				}
			}
			reg, addr := registry(t, "s3://"+escapeSecret(srv.AccessKey)+":"+escapeSecret(srv.SecretKey)+"@"+srv.Endpoint+"/"+bkt+"/inst?region="+testenv.S3Region)
			s := presign.New(reg)
			body, sum := payload(t, bodySize)
			key := "browser/upload.bin"
			put, get := signPair(t, s, key, sum)
			from := p.logLen()
			out := p.upload(t, spec{Name: "versitygw: " + tt.name, Put: fromRequest(put), Get: fromRequest(get), Body: b64(body)})
			if tt.upload {
				expectUploaded(t, out, md5ETag(body))
				return
			}
			expectBlocked(t, p, from, out)
			if _, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bkt), Key: aws.String("inst/" + key)}); err == nil {
				t.Errorf("a blocked upload wrote the object")
			}
			r, err := preflight.Check(ctx, addr, preflight.Options{Origin: p.origin})
			if err != nil {
				t.Fatalf("preflight.Check: %v", err)
			}
			f := expectCORSError(t, r, strings.ReplaceAll(tt.saw, "@origin", p.origin), "put-bucket-cors")

			// The fix's policy, applied as it stands, lets the same
			// upload through.
			m := regexp.MustCompile(`--cors-configuration '(\{.*\})'`).FindStringSubmatch(f.Fix)
			if m == nil {
				t.Fatalf("no --cors-configuration in the fix %q", f.Fix)
			}
			var fix types.CORSConfiguration
			if err := jsonUnmarshal(m[1], &fix); err != nil {
				t.Fatalf("the fix's policy: %v", err)
			}
			if _, err := c.PutBucketCors(ctx, &s3.PutBucketCorsInput{Bucket: aws.String(bkt), CORSConfiguration: &fix}); err != nil {
				t.Fatalf("apply the fix: %v", err)
			}
			put, get = signPair(t, s, "browser/after-fix.bin", sum)
			expectUploaded(t, p.upload(t, spec{Name: "versitygw: " + tt.name + ", fixed", Put: fromRequest(put), Get: fromRequest(get), Body: b64(body)}), md5ETag(body))
		})
	}
	p.screenshot(t, "browser-upload-versitygw")
}

// newS3Bucket creates an empty bucket, removed with every version in it
// when the test ends.
func newS3Bucket(t *testing.T, c *s3.Client) string {
	t.Helper()
	name := randomName("byob-browser-")
	ctx := context.Background()
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
		t.Fatalf("create bucket: %v", err)
	}
	t.Cleanup(func() {
		if vs, err := c.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: aws.String(name)}); err == nil {
			for _, v := range vs.Versions {
				_, _ = c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(name), Key: v.Key, VersionId: v.VersionId})
			}
			for _, v := range vs.DeleteMarkers {
				_, _ = c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(name), Key: v.Key, VersionId: v.VersionId})
			}
		}
		if objs, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(name)}); err == nil {
			for _, o := range objs.Contents {
				_, _ = c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(name), Key: o.Key})
			}
		}
		if _, err := c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String(name)}); err != nil {
			t.Errorf("delete bucket: %v", err)
		}
	})
	return name
}

// TestBrowserUploadAzurite: the same on Azurite, whose CORS rules are the
// blob service's, account-wide: the cases run one after another under
// testenv.LockAzuriteService, and the account's properties are restored.
func TestBrowserUploadAzurite(t *testing.T) {
	srv := testenv.Azurite(t)
	svc := testenv.AzuriteService(t, srv)
	ctr := randomName("byob-browser-")
	cc := svc.NewContainerClient(ctr)
	if _, err := cc.Create(context.Background(), nil); err != nil && !bloberror.HasCode(err, bloberror.ContainerAlreadyExists) {
		t.Fatalf("create container: %v", err)
	}
	t.Cleanup(func() { _, _ = cc.Delete(context.Background(), nil) })
	p := openPage(t)
	rule := func(allowed string) *service.CORSRule {
		return &service.CORSRule{AllowedOrigins: to.Ptr("*"), AllowedMethods: to.Ptr("GET,HEAD,PUT"), AllowedHeaders: to.Ptr(allowed),
			ExposedHeaders: to.Ptr("ETag"), MaxAgeInSeconds: to.Ptr(int32(3000))}
	}
	tests := []corsCase[[]*service.CORSRule]{
		{name: "the documented policy", rules: []*service.CORSRule{rule("*")}, upload: true},
		{name: "no CORS policy", rules: []*service.CORSRule{}, saw: "no CORS rules"},
		{name: "AllowedHeaders lacks content-md5", rules: []*service.CORSRule{rule("content-type,x-ms-blob-type")},
			saw: "1 CORS rule: PUT from origin @origin: AllowedHeaders lacks content-md5"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			if _, err := svc.SetProperties(ctx, &service.SetPropertiesOptions{CORS: tt.rules}); err != nil {
				t.Fatalf("set CORS: %v", err)
			}
			reg, addr := registry(t, "az://:"+escapeSecret(srv.Key)+"@"+srv.Account+"/"+ctr+"/inst?endpoint="+escapeSecret(srv.Endpoint))
			s := presign.New(reg)
			body, sum := payload(t, bodySize)
			key := "browser/" + randomName("upload-") + ".bin" // a URL of its own: no cached preflight
			put, get := signPair(t, s, key, sum)
			from := p.logLen()
			out := p.upload(t, spec{Name: "Azurite: " + tt.name, Put: fromRequest(put), Get: fromRequest(get), Body: b64(body)})
			blob := cc.NewBlobClient("inst/" + key)
			if tt.upload {
				props, err := blob.GetProperties(ctx, nil)
				if err != nil {
					t.Fatalf("the uploaded blob: %v", err)
				}
				expectUploaded(t, out, string(*props.ETag))
				return
			}
			expectBlocked(t, p, from, out)
			if _, err := blob.GetProperties(ctx, nil); !bloberror.HasCode(err, bloberror.BlobNotFound) {
				t.Errorf("after a blocked upload the blob is there, or cannot be read: %v", err)
			}
			r, err := preflight.Check(ctx, addr, preflight.Options{Origin: p.origin})
			if err != nil {
				t.Fatalf("preflight.Check: %v", err)
			}
			expectCORSError(t, r, strings.ReplaceAll(tt.saw, "@origin", p.origin), "az storage cors add")
		})
	}
	p.screenshot(t, "browser-upload-azurite")
}

// TestBrowserUploadLocalHandler: byob's own signed-URL handler over a
// file:// bucket, on a third loopback origin (presign.Handler used
// directly; 'byob serve' wraps the same handler): the browser uploads,
// reads the ETag and downloads; a PUT through a tampered URL is refused
// with a 403 the page can read, and leaves the file as it was; a tampered
// GET URL gets a 403 too.
func TestBrowserUploadLocalHandler(t *testing.T) {
	reg, _ := registry(t, "file://"+t.TempDir()+"/bucket")
	loc, err := reg.Instance()
	if err != nil {
		t.Fatal(err)
	}
	keys := presign.NewLocalKeys()
	hs := httptest.NewUnstartedServer(nil)
	base := "http://" + hs.Listener.Addr().String()
	h, err := presign.NewHandler(presign.LocalConfig{Location: loc, BaseURL: base, Keys: keys}, presign.HandlerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	hs.Config.Handler = h
	hs.Start()
	t.Cleanup(hs.Close)
	s := presign.New(reg, presign.WithLocalBase(base, keys))
	p := openPage(t)

	body, sum := payload(t, bodySize)
	key := "browser/upload.bin"
	put, get := signPair(t, s, key, sum)
	t.Run("upload and download", func(t *testing.T) {
		out := p.upload(t, spec{Name: "byob handler: upload", Put: fromRequest(put), Get: fromRequest(get), Body: b64(body)})
		expectUploaded(t, out, md5ETag(body))
	})
	t.Run("a PUT through a tampered URL is refused and changes nothing", func(t *testing.T) {
		other, otherSum := payload(t, bodySize)
		put, _ := signPair(t, s, key, otherSum)
		bad := fromRequest(put)
		bad.URL = tamperParam(t, bad.URL, "byob-signature")
		out := p.upload(t, spec{Name: "byob handler: tampered PUT", Put: bad, Get: fromRequest(get), Body: b64(other), Want: b64(body)})
		if out.Put.Error != "" || out.Put.Status != 403 {
			t.Errorf("tampered PUT: status %d, error %q; want a 403 the page can read", out.Put.Status, out.Put.Error)
		}
		if out.Get == nil || out.Get.Status != 200 || !out.Get.Same {
			t.Errorf("GET after the refused PUT: %+v; want the first upload's bytes", out.Get)
		}
	})
	t.Run("a tampered GET URL is refused", func(t *testing.T) {
		bad := fromRequest(get)
		bad.URL = tamperParam(t, bad.URL, "byob-signature")
		out := p.upload(t, spec{Name: "byob handler: tampered GET", Put: fromRequest(put), Get: bad, Body: b64(body)})
		if out.Get == nil || out.Get.Error != "" || out.Get.Status != 403 {
			t.Errorf("tampered GET: %+v; want a 403 the page can read", out.Get)
		}
	})
	p.screenshot(t, "browser-upload")
}
