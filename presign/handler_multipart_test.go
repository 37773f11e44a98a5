package presign

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// uploadPart PUTs part n of upload id of key through a signed URL binding
// its MD5 and returns the response.
func (e *env) uploadPart(t testing.TB, key, id string, n int, data []byte) response {
	t.Helper()
	r, err := e.signer.SignUploadPart(key, id, n, LocalOptions{Expires: e.clock.Now().Add(time.Hour), ContentMD5: md5b64(data)})
	if err != nil {
		t.Fatal(err)
	}
	return e.send(t, r, data, nil)
}

// completeUpload POSTs the part list (number, ETag pairs) for upload id.
func (e *env) completeUpload(t testing.TB, key, id string, parts ...string) response {
	t.Helper()
	r, err := e.signer.SignCompleteUpload(key, id, LocalOptions{Expires: e.clock.Now().Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	b.WriteString("<CompleteMultipartUpload>")
	for i := 0; i+1 < len(parts); i += 2 {
		b.WriteString("<Part><PartNumber>" + parts[i] + "</PartNumber><ETag>" + parts[i+1] + "</ETag></Part>")
	}
	b.WriteString("</CompleteMultipartUpload>")
	return e.send(t, r, []byte(b.String()), nil)
}

// multipartETag is S3's ETag of a completed upload.
func multipartETag(parts ...[]byte) string {
	all := md5.New()
	for _, p := range parts {
		s := md5.Sum(p)
		all.Write(s[:])
	}
	return `"` + hex.EncodeToString(all.Sum(nil)) + "-" + strconv.Itoa(len(parts)) + `"`
}

// TestHandlerMultipartEndToEnd: start, parts (out of order, one
// re-uploaded), complete: the object is the parts in order, with the
// start's content type and S3's multipart ETag on completion and on later
// reads; the parts were never in the bucket's listing and are gone from
// staging afterwards.
func TestHandlerMultipartEndToEnd(t *testing.T) {
	for _, kind := range embedded {
		t.Run(kind, func(t *testing.T) {
			e := newEnv(t, kind)
			p1 := bytes.Repeat([]byte("1"), 300<<10)
			p2 := bytes.Repeat([]byte("2"), 200<<10)
			p3 := []byte("the last part")
			id := e.startUpload(t, "big/file.bin", "application/x-tar")
			for _, p := range []struct {
				n    int
				data []byte
			}{{3, p3}, {1, []byte("a first try")}, {2, p2}, {1, p1}} {
				res := e.uploadPart(t, "big/file.bin", id, p.n, p.data)
				if res.status != 200 || res.header.Get("ETag") != md5etag(p.data) {
					t.Fatalf("part %d: %d %s ETag %q", p.n, res.status, res.body, res.header.Get("ETag"))
				}
			}
			if got := e.objects(t); len(got) != 0 {
				t.Fatalf("staged parts show in the bucket's listing: %q", keysOf(got))
			}
			ups, err := e.handler.Uploads(context.Background())
			if err != nil || len(ups) != 1 || ups[0].ID != id || ups[0].Key != "big/file.bin" || !ups[0].Initiated.Equal(t0) {
				t.Fatalf("Uploads: %+v, %v", ups, err)
			}
			res := e.completeUpload(t, "big/file.bin", id, "1", md5etag(p1), "2", md5etag(p2), "3", md5etag(p3))
			want := multipartETag(p1, p2, p3)
			var out completeResult
			if res.status != 200 || xmlUnmarshal(res.body, &out) != nil || out.ETag != want || out.Key != "big/file.bin" || res.header.Get("ETag") != want {
				t.Fatalf("complete: %d %s; want ETag %s", res.status, res.body, want)
			}
			whole := string(p1) + string(p2) + string(p3)
			if got := e.objects(t); len(got) != 1 || got["big/file.bin"] != whole {
				t.Fatalf("the bucket holds %q", keysOf(got))
			}
			head := e.send(t, e.sign(t, "big/file.bin", LocalOptions{Method: "HEAD"}), nil, nil)
			if head.header.Get("ETag") != want || head.header.Get("Content-Type") != "application/x-tar" || head.header.Get("Content-Length") != strconv.Itoa(len(whole)) {
				t.Fatalf("HEAD after completion: %v", head.header)
			}
			if staged := listAll(t, e.staging); len(staged) != 0 {
				t.Fatalf("staging still holds %q", keysOf(staged))
			}
			if ups, err := e.handler.Uploads(context.Background()); err != nil || len(ups) != 0 {
				t.Fatalf("Uploads after completion: %+v, %v", ups, err)
			}
			if res := e.completeUpload(t, "big/file.bin", id, "1", md5etag(p1)); res.status != 404 || res.code() != "NoSuchUpload" {
				t.Fatalf("completing again: %d %s", res.status, res.body)
			}
			t.Run("a later single PUT replaces the multipart ETag", func(t *testing.T) {
				data := []byte("small")
				if res := e.send(t, e.sign(t, "big/file.bin", LocalOptions{Method: "PUT"}), data, nil); res.status != 200 {
					t.Fatalf("PUT: %d %s", res.status, res.body)
				}
				if got := e.send(t, e.sign(t, "big/file.bin", LocalOptions{Method: "HEAD"}), nil, nil).header.Get("ETag"); got != md5etag(data) {
					t.Fatalf("ETag %s; want %s", got, md5etag(data))
				}
			})
		})
	}
}

// TestHandlerMultipartRefusals: a completion that lists parts that were not
// uploaded, with other ETags or out of order, or a part or completion for
// another key's upload, is refused and writes nothing; the upload can
// still be completed afterwards.
func TestHandlerMultipartRefusals(t *testing.T) {
	for _, kind := range embedded {
		t.Run(kind, func(t *testing.T) {
			e := newEnv(t, kind)
			p1, p2 := []byte("part one"), []byte("part two")
			id := e.startUpload(t, "k", "")
			e.uploadPart(t, "k", id, 1, p1)
			e.uploadPart(t, "k", id, 2, p2)
			otherID := e.startUpload(t, "other", "")
			for _, tc := range []struct {
				name   string
				res    func() response
				status int
				code   string
			}{
				{"a part that was not uploaded", func() response {
					return e.completeUpload(t, "k", id, "1", md5etag(p1), "3", md5etag(p2))
				}, 400, "InvalidPart"},
				{"another part's ETag", func() response { return e.completeUpload(t, "k", id, "1", md5etag(p2), "2", md5etag(p2)) }, 400, "InvalidPart"},
				{"parts out of order", func() response { return e.completeUpload(t, "k", id, "2", md5etag(p2), "1", md5etag(p1)) }, 400, "InvalidPartOrder"},
				{"a part listed twice", func() response { return e.completeUpload(t, "k", id, "1", md5etag(p1), "1", md5etag(p1)) }, 400, "InvalidPartOrder"},
				{"part number 0", func() response { return e.completeUpload(t, "k", id, "0", md5etag(p1)) }, 400, "InvalidPartOrder"},
				{"no parts", func() response { return e.completeUpload(t, "k", id) }, 400, "MalformedXML"},
				{"a body that is not XML", func() response {
					r, _ := e.signer.SignCompleteUpload("k", id, LocalOptions{Expires: t0.Add(time.Hour)})
					return e.send(t, r, []byte("{}"), nil)
				}, 400, "MalformedXML"},
				{"a body over 2 MiB", func() response {
					r, _ := e.signer.SignCompleteUpload("k", id, LocalOptions{Expires: t0.Add(time.Hour)})
					return e.send(t, r, append([]byte("<CompleteMultipartUpload><!--"), bytes.Repeat([]byte("x"), maxCompleteBody)...), nil)
				}, 400, "MalformedXML"},
				{"a completion for another key's upload", func() response {
					return e.completeUpload(t, "other", id, "1", md5etag(p1))
				}, 404, "NoSuchUpload"},
				{"a part for another key's upload", func() response { return e.uploadPart(t, "k", otherID, 1, p1) }, 404, "NoSuchUpload"},
				{"a part for an upload never started", func() response {
					return e.uploadPart(t, "k", "00000000000000000000000000000000", 1, p1)
				}, 404, "NoSuchUpload"},
				{"an abort of another key's upload", func() response {
					r, _ := e.signer.SignAbortUpload("k", otherID, LocalOptions{Expires: t0.Add(time.Hour)})
					return e.send(t, r, nil, nil)
				}, 404, "NoSuchUpload"},
				{"a part whose body does not match its MD5", func() response {
					r, _ := e.signer.SignUploadPart("k", id, 3, LocalOptions{Expires: t0.Add(time.Hour), ContentMD5: md5b64(p1)})
					return e.send(t, r, p2, nil)
				}, 400, "BadDigest"},
			} {
				t.Run(tc.name, func(t *testing.T) {
					res := tc.res()
					if res.status != tc.status || res.code() != tc.code {
						t.Fatalf("got %d %s; want %d %s", res.status, res.body, tc.status, tc.code)
					}
					if got := e.objects(t); len(got) != 0 {
						t.Fatalf("a refused request wrote %q", keysOf(got))
					}
					if staged := listAll(t, e.staging); len(staged) != 4 {
						t.Fatalf("staging holds %q; want two records and two parts", keysOf(staged))
					}
				})
			}
			if res := e.completeUpload(t, "k", id, "1", md5etag(p1), "2", md5etag(p2)); res.status != 200 {
				t.Fatalf("completing after the refusals: %d %s", res.status, res.body)
			}
			if got := e.objects(t)["k"]; got != "part onepart two" {
				t.Fatalf("the object is %q", got)
			}
		})
	}
}

// TestHandlerMultipartAbort: a signed abort removes the upload and its
// parts (204); the upload is then gone for parts, completion and a second
// abort, and nothing reached the bucket.
func TestHandlerMultipartAbort(t *testing.T) {
	for _, kind := range embedded {
		t.Run(kind, func(t *testing.T) {
			e := newEnv(t, kind)
			id := e.startUpload(t, "k", "")
			e.uploadPart(t, "k", id, 1, []byte("one"))
			e.uploadPart(t, "k", id, 2, []byte("two"))
			abort, err := e.signer.SignAbortUpload("k", id, LocalOptions{Expires: t0.Add(time.Hour)})
			if err != nil {
				t.Fatal(err)
			}
			if res := e.send(t, abort, nil, nil); res.status != http.StatusNoContent {
				t.Fatalf("abort: %d %s", res.status, res.body)
			}
			if staged := listAll(t, e.staging); len(staged) != 0 {
				t.Fatalf("staging holds %q after the abort", keysOf(staged))
			}
			for name, res := range map[string]response{
				"a second abort": e.send(t, abort, nil, nil),
				"a part":         e.uploadPart(t, "k", id, 3, []byte("three")),
				"a completion":   e.completeUpload(t, "k", id, "1", md5etag([]byte("one"))),
			} {
				if res.status != 404 || res.code() != "NoSuchUpload" {
					t.Errorf("%s after the abort: %d %s", name, res.status, res.body)
				}
			}
			if got := e.objects(t); len(got) != 0 {
				t.Fatalf("the bucket holds %q", keysOf(got))
			}
		})
	}
}

// TestHandlerStaleUploads: Uploads lists uploads in progress oldest first
// (with the one whose record was lost dated by its newest part), and
// AbortUpload removes each, as a collector does; an unknown or malformed
// id is refused.
func TestHandlerStaleUploads(t *testing.T) {
	for _, kind := range embedded {
		t.Run(kind, func(t *testing.T) {
			ctx := context.Background()
			e := newEnv(t, kind)
			old := e.startUpload(t, "old", "")
			e.uploadPart(t, "old", old, 1, []byte("x"))
			e.clock.Add(48 * time.Hour)
			recent := e.startUpload(t, "recent", "")
			e.clock.Add(time.Hour)
			orphan := e.startUpload(t, "orphan", "")
			e.uploadPart(t, "orphan", orphan, 1, []byte("y"))
			if err := e.staging.Delete(ctx, recordKey(orphan)); err != nil { // as an interrupted removal leaves it
				t.Fatal(err)
			}
			if err := e.staging.WriteAll(ctx, "not-an-upload/x", []byte("z"), nil); err != nil {
				t.Fatal(err)
			}
			ups, err := e.handler.Uploads(ctx)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, u := range ups {
				got = append(got, u.ID+"="+u.Key)
			}
			// The orphan is dated by its part's modification time (the real
			// clock, after t0), so it sorts last.
			if want := []string{old + "=old", recent + "=recent", orphan + "="}; fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("Uploads: %v; want %v", got, want)
			}
			if !ups[0].Initiated.Equal(t0) || ups[2].Initiated.IsZero() {
				t.Fatalf("initiation times: %v", ups)
			}
			for _, u := range ups {
				if err := e.handler.AbortUpload(ctx, u.ID); err != nil {
					t.Fatalf("AbortUpload(%s): %v", u.ID, err)
				}
			}
			if staged := keysOf(listAll(t, e.staging)); fmt.Sprint(staged) != "[not-an-upload/x]" {
				t.Fatalf("staging holds %q", staged)
			}
			if err := e.handler.AbortUpload(ctx, old); !isKind(err, ErrNoSuchUpload, "id") {
				t.Fatalf("aborting twice: %v; want ErrNoSuchUpload", err)
			}
			if err := e.handler.AbortUpload(ctx, "../not-an-upload"); !isKind(err, ErrLocalOption, "id") {
				t.Fatalf("a malformed id: %v; want ErrLocalOption", err)
			}
		})
	}
}

// TestHandlerWithoutStaging: with no staging bucket, multipart requests
// are 501 NotImplemented, Uploads lists none and AbortUpload finds none.
func TestHandlerWithoutStaging(t *testing.T) {
	e := newEnv(t, "mem", noStaging())
	r, err := e.signer.SignCreateUpload("k", LocalOptions{Expires: t0.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if res := e.send(t, r, nil, nil); res.status != http.StatusNotImplemented || !strings.Contains(res.message(), "Staging") {
		t.Fatalf("start: %d %s", res.status, res.body)
	}
	if ups, err := e.handler.Uploads(context.Background()); err != nil || ups != nil {
		t.Fatalf("Uploads: %v, %v", ups, err)
	}
	if err := e.handler.AbortUpload(context.Background(), "0123456789abcdef0123456789abcdef"); !errors.Is(err, ErrNoSuchUpload) {
		t.Fatalf("AbortUpload: %v", err)
	}
}
