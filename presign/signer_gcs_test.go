package presign

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/byobkit/byob/internal/testenv"
	"github.com/fsouza/fake-gcs-server/fakestorage"
)

var (
	gcsKeyOnce sync.Once
	gcsKeyPEM  string
)

// testGCSKey is one RSA-2048 service-account key for every GCS test.
func testGCSKey(t testing.TB) string {
	gcsKeyOnce.Do(func() {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		der, err := x509.MarshalPKCS8PrivateKey(k)
		if err != nil {
			panic(err)
		}
		gcsKeyPEM = string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
	})
	return gcsKeyPEM
}

const gcsEmail = "byob-presign@proj.iam.gserviceaccount.com"

func gcsEnv(t *testing.T, opts ...Option) (*Signer, *fakestorage.Server, string) {
	t.Helper()
	srv, _ := testenv.FakeGCS(t)
	bkt := randomName("byob-presign-")
	srv.CreateBucketWithOpts(fakestorage.CreateBucketOpts{Name: bkt})
	reg := testRegistry(t, "gs://"+url.QueryEscape(gcsEmail)+":"+url.QueryEscape(testGCSKey(t))+"@"+bkt+"/inst?endpoint="+url.QueryEscape(srv.URL()))
	return New(reg, opts...), srv, bkt
}

// TestGCSEndToEnd: against fake-gcs-server, single-request GET, HEAD and
// PUT through the Signer's V4 URLs reach the right object with the signed
// headers. The emulator verifies no signature (and its PUT returns no
// ETag), so this shows addressing, not that GCS accepts the signature:
// that is gcsv4's byte identity with storage.SignedURL. The XML multipart
// URLs are checked by their form only (TestGCSMultipartURLs).
func TestGCSEndToEnd(t *testing.T) {
	s, srv, bkt := gcsEnv(t)
	body := []byte("hello, gcs")
	key := "runs/a b/file.txt"
	put := mustSign(t, s, key, Options{Method: http.MethodPut, ContentType: "text/plain", ContentMD5: md5Of(body), User: "alice"})
	u, _ := url.Parse(put.URL)
	if q := u.Query(); q.Get("X-User") != "alice" || !strings.Contains(q.Get("X-Goog-SignedHeaders"), "content-md5") || q.Get("X-Goog-Algorithm") != "GOOG4-RSA-SHA256" {
		t.Fatalf("PUT URL lacks the signed user or headers: %v", put)
	}
	if rep := send(t, put, body, nil); rep.status != 200 {
		t.Fatalf("PUT: %d %s", rep.status, rep.body)
	}
	obj, err := srv.GetObject(bkt, "inst/"+key)
	if err != nil || string(obj.Content) != string(body) {
		t.Fatalf("object after PUT: %v %q", err, obj.Content)
	}
	get := mustSign(t, s, key, Options{Method: http.MethodGet})
	if rep := send(t, get, nil, nil); rep.status != 200 || rep.body != string(body) {
		t.Fatalf("GET: %d %q", rep.status, rep.body)
	}
	if rep := send(t, mustSign(t, s, key, Options{Method: http.MethodHead}), nil, nil); rep.status != 200 {
		t.Fatalf("HEAD: %d", rep.status)
	}
}

// TestGCSMultipartURLs: the XML multipart API's URLs carry the method
// and the query each step needs, signed. No local server implements the
// API, so this is tested by URL form only.
func TestGCSMultipartURLs(t *testing.T) {
	s, _, _ := gcsEnv(t)
	for _, c := range []struct {
		o      Options
		method string
		query  map[string]string
	}{
		{Options{Op: OpCreateUpload, ContentType: "application/octet-stream"}, "POST", map[string]string{"uploads": ""}},
		{Options{Op: OpUploadPart, UploadID: "up1", PartNumber: 7, ContentMD5: md5Of([]byte("p"))}, "PUT", map[string]string{"partNumber": "7", "uploadId": "up1"}},
		{Options{Op: OpCompleteUpload, UploadID: "up1"}, "POST", map[string]string{"uploadId": "up1"}},
		{Options{Op: OpAbortUpload, UploadID: "up1"}, "DELETE", map[string]string{"uploadId": "up1"}},
	} {
		r := mustSign(t, s, "big/model.bin", c.o)
		u, _ := url.Parse(r.URL)
		q := u.Query()
		if r.Method != c.method || !strings.HasSuffix(u.Path, "/inst/big/model.bin") {
			t.Errorf("%v: %s %s", c.o.Op, r.Method, u.Path)
		}
		for k, v := range c.query {
			if !q.Has(k) || q.Get(k) != v {
				t.Errorf("%v: query %s = %q, want %q", c.o.Op, k, q.Get(k), v)
			}
		}
	}
}
