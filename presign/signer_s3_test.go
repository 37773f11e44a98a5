package presign

import (
	"bytes"
	"context"
	"encoding/xml"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/byobkit/byob/internal/testenv"
)

// s3Env is a fresh bucket on versitygw, opened through a registry.
func s3Env(t *testing.T, opts ...Option) (*Signer, testenv.S3Server, string) {
	t.Helper()
	srv := testenv.S3(t)
	c := srv.Client()
	bkt := randomName("byob-presign-")
	ctx := context.Background()
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bkt)}); err != nil {
		t.Fatalf("create bucket: %v", err)
	}
	t.Cleanup(func() {
		if ups, err := c.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: aws.String(bkt)}); err == nil {
			for _, u := range ups.Uploads {
				_, _ = c.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: aws.String(bkt), Key: u.Key, UploadId: u.UploadId})
			}
		}
		if objs, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(bkt)}); err == nil {
			for _, o := range objs.Contents {
				_, _ = c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bkt), Key: o.Key})
			}
		}
		_, _ = c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String(bkt)})
	})
	reg := testRegistry(t, "s3://"+url.QueryEscape(srv.AccessKey)+":"+url.QueryEscape(srv.SecretKey)+"@"+srv.Endpoint+"/"+bkt+"/inst?region="+testenv.S3Region)
	return New(reg, opts...), srv, bkt
}

func mustSign(t *testing.T, s *Signer, key string, o Options) Request {
	t.Helper()
	r, err := s.Sign(context.Background(), anyone, "kappa", key, o)
	if err != nil {
		t.Fatalf("Sign(%q, %+v): %v", key, o, err)
	}
	return r
}

// TestS3EndToEnd: on versitygw, which verifies SigV4 as S3 does, the
// Signer's GET, HEAD and PUT work, and every change REFERENCE.md lists
// is refused.
func TestS3EndToEnd(t *testing.T) {
	s, srv, bkt := s3Env(t)
	body := []byte("hello, presigned world")
	key := "runs/a b+c/file.txt"
	put := mustSign(t, s, key, Options{Method: http.MethodPut, ContentType: "text/plain", ContentMD5: md5Of(body), User: "alice"})
	if got := put.Header.Get("Content-Md5"); got != md5Of(body) {
		t.Fatalf("PUT header Content-MD5 = %q", got)
	}
	if rep := send(t, put, body, nil); rep.status != 200 || rep.header.Get("ETag") == "" {
		t.Fatalf("PUT: %d %s (ETag %q)", rep.status, rep.body, rep.header.Get("ETag"))
	}
	// It landed under the location's prefix.
	if _, err := srv.Client().HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: aws.String(bkt), Key: aws.String("inst/" + key)}); err != nil {
		t.Fatalf("object not under the prefix: %v", err)
	}
	get := mustSign(t, s, key, Options{Method: http.MethodGet, User: "alice", ResponseContentDisposition: "attachment", ResponseContentType: "application/x-test"})
	if rep := send(t, get, nil, nil); rep.status != 200 || rep.body != string(body) || rep.header.Get("Content-Type") != "application/x-test" {
		t.Fatalf("GET: %d %q %v", rep.status, rep.body, rep.header)
	}
	head := mustSign(t, s, key, Options{Method: http.MethodHead})
	if rep := send(t, head, nil, nil); rep.status != 200 {
		t.Fatalf("HEAD: %d", rep.status)
	}

	past := New(s.reg, WithClock(func() time.Time { return time.Now().Add(-2 * time.Hour) }))
	expired, err := past.Sign(context.Background(), anyone, "kappa", key, Options{Method: http.MethodGet})
	if err != nil {
		t.Fatal(err)
	}
	other := []byte("another body")
	refusals := []struct {
		name string
		r    Request
		body []byte
		edit func(*http.Request)
		code int
	}{
		{"tampered signature", get, nil, tamper("X-Amz-Signature"), 403},
		{"expired URL", expired, nil, nil, 403},
		{"different key", get, nil, withPath("file.txt", "other.txt"), 403},
		{"different method", get, nil, withMethod(http.MethodDelete), 403},
		{"HEAD with the GET URL", get, nil, withMethod(http.MethodHead), 403},
		{"PUT with another Content-MD5", put, other, withHeader("Content-MD5", md5Of(other)), 403},
		{"PUT with another content type", put, body, withHeader("Content-Type", "text/html"), 403},
		{"PUT with the signed MD5 and another body", put, other, nil, 400},
		{"changed X-User", get, nil, withQuery("X-User", "mallory", false), 403},
		{"removed X-User", get, nil, withQuery("X-User", "", true), 403},
		{"changed response override", get, nil, withQuery("response-content-type", "text/html", false), 403},
	}
	for _, c := range refusals {
		t.Run(c.name, func(t *testing.T) {
			if rep := send(t, c.r, c.body, c.edit); rep.status != c.code {
				t.Errorf("got %d %s, want %d", rep.status, rep.body, c.code)
			}
		})
	}
	// Nothing a refused PUT sent replaced the object.
	if rep := send(t, mustSign(t, s, key, Options{Method: http.MethodGet}), nil, nil); rep.body != string(body) {
		t.Errorf("object changed by a refused request: %q", rep.body)
	}
}

// TestS3MultipartEndToEnd: a full multipart upload through presigned
// Create, UploadPart (Content-MD5 signed) and Complete, two parts of 5 MiB
// and more; a part URL with a changed part number or upload id is refused.
func TestS3MultipartEndToEnd(t *testing.T) {
	s, _, _ := s3Env(t)
	key := "big/model.bin"
	create := mustSign(t, s, key, Options{Op: OpCreateUpload, ContentType: "application/octet-stream"})
	rep := send(t, create, nil, nil)
	var init struct{ UploadId string }
	if rep.status != 200 || xml.Unmarshal([]byte(rep.body), &init) != nil || init.UploadId == "" {
		t.Fatalf("create: %d %s", rep.status, rep.body)
	}
	parts := [][]byte{bytes.Repeat([]byte("a"), MinPartSize), []byte("the last part")}
	var list strings.Builder
	list.WriteString("<CompleteMultipartUpload>")
	for i, p := range parts {
		pr := mustSign(t, s, key, Options{Op: OpUploadPart, UploadID: init.UploadId, PartNumber: i + 1, ContentMD5: md5Of(p)})
		if i == 0 {
			// A small part of its own: the server resets a connection
			// whose large body it refuses before reading.
			small := []byte("x")
			pr := mustSign(t, s, key, Options{Op: OpUploadPart, UploadID: init.UploadId, PartNumber: 1, ContentMD5: md5Of(small)})
			p := small
			for _, c := range []struct {
				name string
				edit func(*http.Request)
			}{{"changed part number", withQuery("partNumber", "2", false)}, {"changed upload id", withQuery("uploadId", init.UploadId+"x", false)}} {
				if rep := send(t, pr, p, c.edit); rep.status != 403 {
					t.Errorf("%s: got %d, want 403", c.name, rep.status)
				}
			}
		}
		rep := send(t, pr, p, nil)
		if rep.status != 200 || rep.header.Get("ETag") == "" {
			t.Fatalf("part %d: %d %s", i+1, rep.status, rep.body)
		}
		list.WriteString("<Part><PartNumber>" + strconv.Itoa(i+1) + "</PartNumber><ETag>" + rep.header.Get("ETag") + "</ETag></Part>")
	}
	list.WriteString("</CompleteMultipartUpload>")
	done := mustSign(t, s, key, Options{Op: OpCompleteUpload, UploadID: init.UploadId})
	if rep := send(t, done, []byte(list.String()), nil); rep.status != 200 || !strings.Contains(rep.body, "-2") {
		t.Fatalf("complete: %d %s", rep.status, rep.body)
	}
	get := send(t, mustSign(t, s, key, Options{Method: http.MethodGet}), nil, nil)
	if get.status != 200 || len(get.body) != MinPartSize+len(parts[1]) {
		t.Fatalf("GET after complete: %d, %d bytes", get.status, len(get.body))
	}
	// Abort on a second upload.
	rep = send(t, create, nil, nil)
	if xml.Unmarshal([]byte(rep.body), &init) != nil {
		t.Fatal(rep.body)
	}
	if rep := send(t, mustSign(t, s, key, Options{Op: OpAbortUpload, UploadID: init.UploadId}), nil, nil); rep.status != 204 {
		t.Fatalf("abort: %d %s", rep.status, rep.body)
	}
}
