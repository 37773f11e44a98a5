package sigv4

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/byobkit/byob/internal/testenv"
)

// The end-to-end tests send the native signer's URLs with a plain
// net/http client to versitygw, which verifies SigV4 as S3 does; the
// refusals and their codes are those listed in REFERENCE.md.

// newE2EBucket creates an empty bucket with a random name on the server,
// emptied (aborting any multipart upload) and removed when the test ends.
func newE2EBucket(t *testing.T, srv testenv.S3Server) string {
	t.Helper()
	var b [5]byte
	_, _ = rand.Read(b[:])
	name := "byob-sigv4-" + hex.EncodeToString(b[:])
	c := srv.Client()
	ctx := context.Background()
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
		t.Fatalf("create bucket: %v", err)
	}
	t.Cleanup(func() {
		if ups, err := c.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: aws.String(name)}); err == nil {
			for _, u := range ups.Uploads {
				_, _ = c.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: aws.String(name), Key: u.Key, UploadId: u.UploadId})
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

type e2e struct {
	t      *testing.T
	srv    testenv.S3Server
	signer *Signer
	bucket string
}

func newE2E(t *testing.T) *e2e {
	srv := testenv.S3(t)
	s, err := NewSigner(srv.AccessKey, srv.SecretKey, "")
	if err != nil {
		t.Fatal(err)
	}
	return &e2e{t: t, srv: srv, signer: s, bucket: newE2EBucket(t, srv)}
}

// request is a path-style request on the server for key, signed now.
func (e *e2e) request(op Op, key string) Request {
	return Request{
		Op: op, Scheme: "http", Host: e.srv.Endpoint, Bucket: e.bucket, Key: key, PathStyle: true,
		Region: testenv.S3Region, Time: time.Now(), Expires: time.Hour,
	}
}

func (e *e2e) presign(r Request) string {
	e.t.Helper()
	u, err := e.signer.Presign(&r)
	if err != nil {
		e.t.Fatalf("Presign: %v", err)
	}
	return u
}

type reply struct {
	status int
	code   string // the S3 error code, if any
	header http.Header
	body   []byte
}

// send makes a plain HTTP request; header values are set as given, and
// an empty one is left out.
func send(t *testing.T, method, u string, header map[string]string, body []byte) reply {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), method, u, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		if v != "" {
			req.Header.Set(k, v)
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		// Not err itself: a *url.Error quotes the signed URL.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		t.Fatalf("%s %s: %v", method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	var e struct{ Code string }
	_ = xml.Unmarshal(b, &e)
	return reply{resp.StatusCode, e.Code, resp.Header, b}
}

func md5b64(b []byte) string {
	s := md5.Sum(b)
	return base64.StdEncoding.EncodeToString(s[:])
}

// setQuery returns u with one query parameter replaced (or added, or
// removed when value is nil), keeping the raw encoding of the others.
func setQuery(t *testing.T, u, name string, value *string) string {
	t.Helper()
	base, query, _ := strings.Cut(u, "?")
	var parts []string
	found := false
	for _, p := range strings.Split(query, "&") {
		k, _, _ := strings.Cut(p, "=")
		if k == name {
			found = true
			if value == nil {
				continue
			}
			p = k + "=" + url.QueryEscape(*value)
		}
		parts = append(parts, p)
	}
	if !found && value != nil {
		parts = append(parts, name+"="+url.QueryEscape(*value))
	}
	return base + "?" + strings.Join(parts, "&")
}

func ptr(s string) *string { return &s }

func TestE2EPutGetHead(t *testing.T) {
	e := newE2E(t)
	const key = "dir/a file+name%~ü#?.bin"
	body := []byte("hello, byob: the native signer's URL works on a real server\n")
	put := e.request(PutObject, key)
	put.ContentType = "application/x-byob"
	put.ContentMD5 = md5b64(body)
	put.Query = []Param{{"X-User", "alice@example.com"}}
	putURL := e.presign(put)
	headers := map[string]string{"Content-Type": put.ContentType, "Content-MD5": put.ContentMD5}

	rep := send(t, "PUT", putURL, headers, body)
	if rep.status != 200 {
		t.Fatalf("presigned PUT: %d %s %s", rep.status, rep.code, rep.body)
	}
	sum := md5.Sum(body)
	if etag := rep.header.Get("ETag"); strings.Trim(etag, `"`) != hex.EncodeToString(sum[:]) {
		t.Errorf("PUT ETag %q, want the body's MD5 %x", etag, sum)
	}

	get := e.request(GetObject, key)
	get.Query = []Param{{"X-User", "alice@example.com"}}
	rep = send(t, "GET", e.presign(get), nil, nil)
	if rep.status != 200 || !bytes.Equal(rep.body, body) {
		t.Fatalf("presigned GET: %d %s, body %q", rep.status, rep.code, rep.body)
	}
	if ct := rep.header.Get("Content-Type"); ct != put.ContentType {
		t.Errorf("GET Content-Type %q, want the signed PUT's %q", ct, put.ContentType)
	}

	head := e.request(HeadObject, key)
	rep = send(t, "HEAD", e.presign(head), nil, nil)
	if rep.status != 200 || rep.header.Get("Content-Length") != fmt.Sprint(len(body)) {
		t.Errorf("presigned HEAD: %d, Content-Length %q", rep.status, rep.header.Get("Content-Length"))
	}

	over := e.request(GetObject, key)
	over.ResponseContentType = "text/plain; charset=utf-8"
	over.ResponseContentDisposition = `attachment; filename="a b.txt"`
	rep = send(t, "GET", e.presign(over), nil, nil)
	if rep.status != 200 || rep.header.Get("Content-Type") != over.ResponseContentType || rep.header.Get("Content-Disposition") != over.ResponseContentDisposition {
		t.Errorf("GET with overrides: %d, Content-Type %q, Content-Disposition %q", rep.status, rep.header.Get("Content-Type"), rep.header.Get("Content-Disposition"))
	}
}

// TestE2ERefused changes one thing in a valid request each, and requires
// the server's refusal.
func TestE2ERefused(t *testing.T) {
	e := newE2E(t)
	const key = "refusals/object"
	body := []byte("the bytes the PUT URL is signed for")
	other := []byte("other bytes of another digest")
	seed := e.request(PutObject, key)
	if rep := send(t, "PUT", e.presign(seed), nil, body); rep.status != 200 {
		t.Fatalf("seeding PUT: %d %s", rep.status, rep.code)
	}

	put := e.request(PutObject, key)
	put.ContentType = "application/octet-stream"
	put.ContentMD5 = md5b64(body)
	put.Query = []Param{{"X-User", "alice"}}
	putURL := e.presign(put)
	putHeaders := map[string]string{"Content-Type": put.ContentType, "Content-MD5": put.ContentMD5}
	get := e.request(GetObject, key)
	get.Query = []Param{{"X-User", "alice"}}
	getURL := e.presign(get)

	tampered := []byte(getURL)
	if tampered[len(tampered)-1] == '0' {
		tampered[len(tampered)-1] = '1'
	} else {
		tampered[len(tampered)-1] = '0'
	}
	expired := e.request(GetObject, key)
	expired.Time = time.Now().Add(-time.Minute)
	expired.Expires = time.Second
	wrongSecret, _ := NewSigner(e.srv.AccessKey, e.srv.SecretKey+"x", "")
	wrongSecretURL, _ := wrongSecret.Presign(&get)
	unknownKey, _ := NewSigner("byob-no-such-access-key", e.srv.SecretKey, "")
	unknownKeyURL, _ := unknownKey.Presign(&get)
	noUser := get
	noUser.Query = nil

	for _, tc := range []struct {
		name, method, url string
		header            map[string]string
		body              []byte
		status            int
		code              string
	}{
		{"a tampered signature", "GET", string(tampered), nil, nil, 403, "SignatureDoesNotMatch"},
		{"an expired URL", "GET", e.presign(expired), nil, nil, 403, "AccessDenied"},
		{"another key", "GET", strings.Replace(getURL, "/refusals/object?", "/refusals/other?", 1), nil, nil, 403, "SignatureDoesNotMatch"},
		{"another method: GET on a PUT URL", "GET", putURL, nil, nil, 403, "SignatureDoesNotMatch"},
		{"another method: DELETE on a GET URL", "DELETE", getURL, nil, nil, 403, "SignatureDoesNotMatch"},
		{"an edited expiry", "GET", setQuery(t, getURL, "X-Amz-Expires", ptr("7200")), nil, nil, 403, "SignatureDoesNotMatch"},
		{"a wrong secret", "GET", wrongSecretURL, nil, nil, 403, "SignatureDoesNotMatch"},
		{"an unknown access key", "GET", unknownKeyURL, nil, nil, 404, "XAdminUserNotFound"},
		{"a PUT with another Content-MD5", "PUT", putURL, map[string]string{"Content-Type": put.ContentType, "Content-MD5": md5b64(other)}, other, 403, "SignatureDoesNotMatch"},
		{"a PUT with another content type", "PUT", putURL, map[string]string{"Content-Type": "text/html", "Content-MD5": put.ContentMD5}, body, 403, "SignatureDoesNotMatch"},
		{"a PUT without its signed Content-MD5", "PUT", putURL, map[string]string{"Content-Type": put.ContentType}, body, 403, "SignatureDoesNotMatch"},
		{"a PUT whose body does not match the signed MD5", "PUT", putURL, putHeaders, other, 400, "BadDigest"},
		{"a changed X-User", "GET", setQuery(t, getURL, "X-User", ptr("mallory")), nil, nil, 403, "SignatureDoesNotMatch"},
		{"a removed X-User", "GET", setQuery(t, getURL, "X-User", nil), nil, nil, 403, "SignatureDoesNotMatch"},
		{"an X-User added after signing", "GET", setQuery(t, e.presign(noUser), "X-User", ptr("mallory")), nil, nil, 403, "SignatureDoesNotMatch"},
		{"a PUT URL with a changed X-User", "PUT", setQuery(t, putURL, "X-User", ptr("mallory")), putHeaders, body, 403, "SignatureDoesNotMatch"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rep := send(t, tc.method, tc.url, tc.header, tc.body)
			if rep.status != tc.status || rep.code != tc.code {
				t.Errorf("got %d %s, want %d %s: %s", rep.status, rep.code, tc.status, tc.code, rep.body)
			}
		})
	}

	// None of the refused PUTs replaced the object.
	rep := send(t, "GET", getURL, nil, nil)
	if rep.status != 200 || !bytes.Equal(rep.body, body) {
		t.Errorf("after the refusals the object is %d %q, want the seeded bytes", rep.status, rep.body)
	}
	// And the valid URLs still work, so the refusals were for the change.
	if rep := send(t, "PUT", putURL, putHeaders, body); rep.status != 200 {
		t.Errorf("the unchanged PUT URL: %d %s", rep.status, rep.code)
	}
}

type completeXML struct {
	XMLName xml.Name `xml:"CompleteMultipartUpload"`
	Parts   []struct {
		PartNumber int
		ETag       string
	} `xml:"Part"`
}

// TestE2EMultipart runs a whole multipart upload through pre-signed URLs:
// Create, two UploadParts (the first of 5 MiB, S3's minimum for any part
// but the last) with Content-MD5 signed, Complete with the part list; and
// shows that a part URL with another part number or upload id is refused,
// and that Abort ends an upload.
func TestE2EMultipart(t *testing.T) {
	e := newE2E(t)
	const key = "multipart/big file.bin"
	create := e.request(CreateMultipartUpload, key)
	create.ContentType = "application/x-parquet"
	create.Query = []Param{{"X-User", "alice"}}
	rep := send(t, "POST", e.presign(create), map[string]string{"Content-Type": create.ContentType}, nil)
	var created struct{ UploadId string }
	if err := xml.Unmarshal(rep.body, &created); rep.status != 200 || err != nil || created.UploadId == "" {
		t.Fatalf("presigned CreateMultipartUpload: %d %s %v %s", rep.status, rep.code, err, rep.body)
	}

	parts := [][]byte{bytes.Repeat([]byte("byob-part-one\n"), 5<<20/14+1), []byte("the last part may be small\n")}
	var complete completeXML
	whole := md5.New()
	for i, p := range parts {
		up := e.request(UploadPart, key)
		up.PartNumber, up.UploadID, up.ContentMD5 = i+1, created.UploadId, md5b64(p)
		up.Query = []Param{{"X-User", "alice"}}
		u := e.presign(up)
		h := map[string]string{"Content-MD5": up.ContentMD5}
		if i == 0 {
			// The refusals first, while the part is not yet uploaded, with
			// a URL signed for a small body: a server that refuses a 5 MiB
			// body early may reset the connection before the client reads
			// its answer.
			small := []byte("small part")
			sp := up
			sp.ContentMD5 = md5b64(small)
			su := e.presign(sp)
			sh := map[string]string{"Content-MD5": sp.ContentMD5}
			for name, bad := range map[string]string{
				"a changed partNumber": setQuery(t, su, "partNumber", ptr("2")),
				"a changed uploadId":   setQuery(t, su, "uploadId", ptr(created.UploadId+"x")),
			} {
				if rep := send(t, "PUT", bad, sh, small); rep.status != 403 || rep.code != "SignatureDoesNotMatch" {
					t.Errorf("part URL with %s: %d %s, want 403 SignatureDoesNotMatch", name, rep.status, rep.code)
				}
			}
		}
		rep := send(t, "PUT", u, h, p)
		etag := rep.header.Get("ETag")
		if rep.status != 200 || etag == "" {
			t.Fatalf("presigned UploadPart %d: %d %s, ETag %q", i+1, rep.status, rep.code, etag)
		}
		complete.Parts = append(complete.Parts, struct {
			PartNumber int
			ETag       string
		}{i + 1, etag})
		whole.Write(p)
	}

	list, err := xml.Marshal(complete)
	if err != nil {
		t.Fatal(err)
	}
	done := e.request(CompleteMultipartUpload, key)
	done.UploadID = created.UploadId
	done.Query = []Param{{"X-User", "alice"}}
	rep = send(t, "POST", e.presign(done), nil, list)
	var completed struct{ ETag string }
	if err := xml.Unmarshal(rep.body, &completed); rep.status != 200 || err != nil || !strings.HasSuffix(strings.Trim(completed.ETag, `"`), "-2") {
		t.Fatalf("presigned CompleteMultipartUpload: %d %s %v %s", rep.status, rep.code, err, rep.body)
	}

	rep = send(t, "GET", e.presign(e.request(GetObject, key)), nil, nil)
	if got := md5.Sum(rep.body); rep.status != 200 || !bytes.Equal(got[:], whole.Sum(nil)) {
		t.Errorf("GET of the completed object: %d, %d bytes, MD5 differs from the parts'", rep.status, len(rep.body))
	}
	if ct := rep.header.Get("Content-Type"); ct != create.ContentType {
		t.Errorf("completed object's Content-Type %q, want the signed Create's %q", ct, create.ContentType)
	}

	// Abort ends another upload; a part for it is then refused.
	rep = send(t, "POST", e.presign(e.request(CreateMultipartUpload, "multipart/aborted")), nil, nil)
	var second struct{ UploadId string }
	if err := xml.Unmarshal(rep.body, &second); err != nil || second.UploadId == "" {
		t.Fatalf("second CreateMultipartUpload: %d %s %s", rep.status, rep.code, rep.body)
	}
	abort := e.request(AbortMultipartUpload, "multipart/aborted")
	abort.UploadID = second.UploadId
	if rep := send(t, "DELETE", e.presign(abort), nil, nil); rep.status != 204 {
		t.Fatalf("presigned AbortMultipartUpload: %d %s %s", rep.status, rep.code, rep.body)
	}
	late := e.request(UploadPart, "multipart/aborted")
	late.PartNumber, late.UploadID = 1, second.UploadId
	if rep := send(t, "PUT", e.presign(late), nil, []byte("late")); rep.status != 404 || rep.code != "NoSuchUpload" {
		t.Errorf("UploadPart after Abort: %d %s, want 404 NoSuchUpload", rep.status, rep.code)
	}
}
