package batchdelete_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/byobkit/byob/internal/batchdelete"
	"github.com/byobkit/byob/provider"
	"gocloud.dev/gcerrors"
)

// fast is the options of tests that retry: pauses of a millisecond.
var fast = batchdelete.Options{Backoff: time.Millisecond, MaxBackoff: 4 * time.Millisecond}

// TestS3DeleteVersitygw deletes real objects on versitygw and counts the
// DeleteObjects requests through a recording transport.
func TestS3DeleteVersitygw(t *testing.T) {
	for _, tc := range []struct {
		name         string
		existing     int // objects written first, keys k00000...
		missing      int // keys that never existed, after them
		wantRequests int
	}{
		{"2500 objects take 3 requests of at most 1000 keys", 2500, 0, 3},
		{"1000 keys fit one request", 0, 1000, 1},
		{"keys that never existed read as deleted, as S3 answers both alike", 0, 5, 1},
		{"existing and missing keys share a request", 3, 3, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, _ := s3Address(t, "team/a")
			rec := &faults{match: isDeleteObjects}
			h := mustOpen(t, a, provider.WithHTTPClient(rec.client()))
			keys := keysN("k", tc.existing+tc.missing)
			put(t, h, keys[:tc.existing])
			// A neighbour outside the prefix, with a key that matches one
			// of ours: it must survive.
			root := *a
			root.Path = ""
			outside := mustOpen(t, &root)
			put(t, outside, []string{"team/b/k00000"})

			res, err := mustNew(t, h, batchdelete.Options{}).Delete(t.Context(), keys)
			if err != nil {
				t.Fatalf("Delete: %v", err)
			}
			if got := tally(res); got[batchdelete.Deleted] != len(keys) {
				t.Fatalf("statuses %v, want all %d deleted; first: %+v", got, len(keys), res[0])
			}
			if got := rec.count(); got != tc.wantRequests {
				t.Errorf("DeleteObjects requests = %d, want %d", got, tc.wantRequests)
			}
			for i, body := range rec.allBodies() {
				if n := bytes.Count(body, []byte("<Object>")); n > 1000 {
					t.Errorf("request %d carries %d keys, more than 1000", i, n)
				}
				if bytes.Contains(body, []byte("VersionId")) {
					t.Errorf("request %d names a version id, which would make the delete permanent: %.200s", i, body)
				}
				if !bytes.Contains(body, []byte("<Quiet>true</Quiet>")) {
					t.Errorf("request %d is not in quiet mode: %.200s", i, body)
				}
			}
			if left := listAll(t, h); len(left) != 0 {
				t.Errorf("%d objects left under the prefix, first %q", len(left), left[0])
			}
			if !exists(t, outside, "team/b/k00000") {
				t.Errorf("the object outside the prefix was deleted")
			}
		})
	}
}

// listAll lists every key under the handle's prefix.
func listAll(t testing.TB, h *provider.Handle) []string {
	t.Helper()
	var keys []string
	it := h.Bucket().List(nil)
	for {
		o, err := it.Next(context.Background())
		if err != nil {
			if err == io.EOF {
				return keys
			}
			t.Fatalf("List: %v", err)
		}
		keys = append(keys, o.Key)
	}
}

// replaceDeleted turns the <Deleted> entry of full key into rep.
func replaceDeleted(body []byte, key, rep string) []byte {
	return bytes.Replace(body, []byte("<Deleted><Key>"+key+"</Key></Deleted>"), []byte(rep), 1)
}

func keyError(key, code, msg string) string {
	return "<Error><Key>" + key + "</Key><Code>" + code + "</Code><Message>" + msg + "</Message></Error>"
}

type want struct {
	status   batchdelete.Status
	code     gcerrors.ErrorCode // of Err; OK for none
	attempts int
}

// TestS3Faults injects faults between the Deleter and versitygw: per-key
// errors written into real answers, and whole answers or transport
// failures instead of them. Keys are k0, k1, k2 under "pre/"; faults hit
// k1 where they name a key.
func TestS3Faults(t *testing.T) {
	const k1 = "pre/k1"
	deleted := func(attempts int) want { return want{batchdelete.Deleted, gcerrors.OK, attempts} }
	for _, tc := range []struct {
		name         string
		opts         batchdelete.Options
		fail         func(n int, r *http.Request) error
		answer       func(n int, r *http.Request, body []byte) *http.Response
		rewrite      func(n int, r *http.Request, body []byte) []byte
		want         [3]want
		wantRequests int
		wantLeft     []string // keys still there afterwards
	}{
		{
			name: "AccessDenied for one key is Failed PermissionDenied and never retried",
			rewrite: func(_ int, _ *http.Request, b []byte) []byte {
				return replaceDeleted(b, k1, keyError(k1, "AccessDenied", "Access Denied"))
			},
			want:         [3]want{deleted(1), {batchdelete.Failed, gcerrors.PermissionDenied, 1}, deleted(1)},
			wantRequests: 1,
		},
		{
			name: "InvalidAccessKeyId for one key is a refusal of the credential, PermissionDenied",
			rewrite: func(_ int, _ *http.Request, b []byte) []byte {
				return replaceDeleted(b, k1, keyError(k1, "InvalidAccessKeyId", "nope"))
			},
			want:         [3]want{deleted(1), {batchdelete.Failed, gcerrors.PermissionDenied, 1}, deleted(1)},
			wantRequests: 1,
		},
		{
			name: "SlowDown for one key sends that key again, alone",
			rewrite: func(n int, _ *http.Request, b []byte) []byte {
				if n > 0 {
					return b
				}
				return replaceDeleted(b, k1, keyError(k1, "SlowDown", "Please reduce your request rate."))
			},
			want:         [3]want{deleted(1), deleted(2), deleted(1)},
			wantRequests: 2,
		},
		{
			name: "InternalError for one key is retried",
			rewrite: func(n int, _ *http.Request, b []byte) []byte {
				if n > 1 {
					return b
				}
				return replaceDeleted(b, k1, keyError(k1, "InternalError", "We encountered an internal error."))
			},
			want:         [3]want{deleted(1), deleted(3), deleted(1)},
			wantRequests: 3,
		},
		{
			name: "NoSuchKey for one key is already gone",
			rewrite: func(_ int, _ *http.Request, b []byte) []byte {
				return replaceDeleted(b, k1, keyError(k1, "NoSuchKey", "The specified key does not exist."))
			},
			want:         [3]want{deleted(1), {batchdelete.Gone, gcerrors.OK, 1}, deleted(1)},
			wantRequests: 1,
		},
		{
			name: "an unknown per-key code is Failed Unknown and not retried",
			rewrite: func(_ int, _ *http.Request, b []byte) []byte {
				return replaceDeleted(b, k1, keyError(k1, "InvalidObjectState", "archived"))
			},
			want:         [3]want{deleted(1), {batchdelete.Failed, gcerrors.Unknown, 1}, deleted(1)},
			wantRequests: 1,
		},
		{
			name: "an error for a key not sent leaves every other key unknown",
			rewrite: func(_ int, _ *http.Request, b []byte) []byte {
				return replaceDeleted(b, k1, keyError("pre/not-sent", "AccessDenied", "Access Denied"))
			},
			want: [3]want{{batchdelete.Failed, gcerrors.Unknown, 1}, {batchdelete.Failed, gcerrors.Unknown, 1},
				{batchdelete.Failed, gcerrors.Unknown, 1}},
			wantRequests: 1,
		},
		{
			name: "a whole answer of 503 SlowDown twice is retried, then every key is deleted",
			answer: func(n int, _ *http.Request, _ []byte) *http.Response {
				if n < 2 {
					return s3Error(http.StatusServiceUnavailable, "SlowDown", "Please reduce your request rate.")
				}
				return nil
			},
			want:         [3]want{deleted(3), deleted(3), deleted(3)},
			wantRequests: 3,
		},
		{
			name:   "a 429 answer is throttling too",
			answer: firstN(1, func() *http.Response { return s3Error(http.StatusTooManyRequests, "TooManyRequests", "slow down") }),
			want:   [3]want{deleted(2), deleted(2), deleted(2)}, wantRequests: 2,
		},
		{
			name:   "a 500 InternalError answer is retried",
			answer: firstN(1, func() *http.Response { return s3Error(http.StatusInternalServerError, "InternalError", "oops") }),
			want:   [3]want{deleted(2), deleted(2), deleted(2)}, wantRequests: 2,
		},
		{
			name: "a whole answer of 403 AccessDenied fails every key once, none deleted",
			answer: func(int, *http.Request, []byte) *http.Response {
				return s3Error(http.StatusForbidden, "AccessDenied", "Access Denied")
			},
			want: [3]want{{batchdelete.Failed, gcerrors.PermissionDenied, 1}, {batchdelete.Failed, gcerrors.PermissionDenied, 1},
				{batchdelete.Failed, gcerrors.PermissionDenied, 1}},
			wantRequests: 1,
			wantLeft:     []string{"k0", "k1", "k2"},
		},
		{
			name: "throttled past MaxAttempts is Failed ResourceExhausted",
			opts: batchdelete.Options{MaxAttempts: 3},
			answer: func(int, *http.Request, []byte) *http.Response {
				return s3Error(http.StatusServiceUnavailable, "SlowDown", "Please reduce your request rate.")
			},
			want: [3]want{{batchdelete.Failed, gcerrors.ResourceExhausted, 3}, {batchdelete.Failed, gcerrors.ResourceExhausted, 3},
				{batchdelete.Failed, gcerrors.ResourceExhausted, 3}},
			wantRequests: 3,
			wantLeft:     []string{"k0", "k1", "k2"},
		},
		{
			name: "a connection reset before any answer is retried",
			fail: func(n int, _ *http.Request) error {
				if n == 0 {
					return syscall.ECONNRESET
				}
				return nil
			},
			want:         [3]want{deleted(2), deleted(2), deleted(2)},
			wantRequests: 2,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, _ := s3Address(t, "pre")
			f := &faults{match: isDeleteObjects, fail: tc.fail, answer: tc.answer, rewrite: tc.rewrite}
			h := mustOpen(t, a, provider.WithHTTPClient(f.client()))
			keys := []string{"k0", "k1", "k2"}
			put(t, h, keys)
			o := tc.opts
			o.Backoff, o.MaxBackoff = fast.Backoff, fast.MaxBackoff
			d := mustNew(t, h, o)
			res, err := d.Delete(t.Context(), keys)
			if err != nil {
				t.Fatalf("Delete: %v", err)
			}
			for i, r := range res {
				checkResult(t, r, tc.want[i])
			}
			if got := f.count(); got != tc.wantRequests {
				t.Errorf("requests = %d, want %d", got, tc.wantRequests)
			}
			if got := d.Stats().Requests; got != int64(tc.wantRequests) {
				t.Errorf("Stats().Requests = %d, want %d", got, tc.wantRequests)
			}
			var left []string
			for _, k := range keys {
				if exists(t, h, k) {
					left = append(left, k)
				}
			}
			if !slices.Equal(left, tc.wantLeft) {
				t.Errorf("left %q, want %q", left, tc.wantLeft)
			}
		})
	}
}

// firstN answers the first n requests with mk().
func firstN(n int, mk func() *http.Response) func(int, *http.Request, []byte) *http.Response {
	return func(i int, _ *http.Request, _ []byte) *http.Response {
		if i < n {
			return mk()
		}
		return nil
	}
}

// checkResult compares a Result with what the case wants: its status, its
// error's code (through provider.Code and errors.Is on the gcerrors
// value) and its attempts.
func checkResult(t *testing.T, r batchdelete.Result, w want) {
	t.Helper()
	if r.Status != w.status || r.Attempts != w.attempts {
		t.Errorf("%q: %v after %d attempts (err %v), want %v after %d", r.Key, r.Status, r.Attempts, r.Err, w.status, w.attempts)
	}
	if w.code == gcerrors.OK {
		if r.Err != nil {
			t.Errorf("%q: err %v, want none", r.Key, r.Err)
		}
		return
	}
	if got := provider.Code(r.Err); got != w.code {
		t.Errorf("%q: code %v (%v), want %v", r.Key, got, r.Err, w.code)
	}
	if got := gcerrors.Code(r.Err); got != gcerrors.Unknown && got != w.code {
		t.Errorf("%q: gcerrors.Code = %v, want %v", r.Key, got, w.code)
	}
	var pe *provider.Error
	if !errors.As(r.Err, &pe) {
		t.Errorf("%q: err %T is not a *provider.Error", r.Key, r.Err)
	}
}

// TestS3AIMD: while versitygw's stand-in answers 503 SlowDown, the limit
// on requests in flight halves, once per window, down to 1; once the
// answers are clean it climbs back, one per window, to the full
// parallelism.
func TestS3AIMD(t *testing.T) {
	a, _ := s3Address(t, "pre")
	f := &faults{match: isDeleteObjects, answer: firstN(6, func() *http.Response {
		return s3Error(http.StatusServiceUnavailable, "SlowDown", "Please reduce your request rate.")
	})}
	h := mustOpen(t, a, provider.WithHTTPClient(f.client()))
	var mu sync.Mutex
	var trace []int
	o := fast
	o.Parallelism = 4
	o.OnParallelism = func(n int) { mu.Lock(); trace = append(trace, n); mu.Unlock() }
	d := mustNew(t, h, o)
	// Keys that never existed: S3 deletes them alike, and 12 requests need
	// no 12,000 uploads.
	keys := keysN("k", 12*1000)
	res, err := d.Delete(t.Context(), keys)
	if err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if got := tally(res); got[batchdelete.Deleted] != len(keys) {
		t.Fatalf("statuses %v, want all deleted", got)
	}
	// 4 throttled at limit 4 halve it once; the 2 sent at limit 2 halve it
	// once more; then +1 per window of clean answers.
	if want := []int{2, 1, 2, 3, 4}; !slices.Equal(trace, want) {
		t.Errorf("parallelism went %v, want %v", trace, want)
	}
	st := d.Stats()
	if st.Throttled != 6 || st.Requests != 18 || st.LowestParallelism != 1 || st.Parallelism != 4 {
		t.Errorf("Stats = %+v, want 6 throttled of 18 requests, lowest 1, back at 4", st)
	}
	if got := f.count(); got != 18 {
		t.Errorf("requests sent = %d, want 18 (12 batches, 6 of them twice)", got)
	}
}

// TestS3ContentMD5: S3-compatible stores get Content-MD5 on DeleteObjects
// besides the SDK's CRC32, as stores that predate the CRC checksums
// require it. versitygw itself refuses a DeleteObjects with neither.
func TestS3ContentMD5(t *testing.T) {
	t.Run("every DeleteObjects carries Content-MD5", func(t *testing.T) {
		a, _ := s3Address(t, "pre")
		var mu sync.Mutex
		var md5s []string
		f := &faults{match: isDeleteObjects, fail: func(_ int, r *http.Request) error {
			mu.Lock()
			md5s = append(md5s, r.Header.Get("Content-Md5"))
			mu.Unlock()
			return nil
		}}
		h := mustOpen(t, a, provider.WithHTTPClient(f.client()))
		if _, err := mustNew(t, h, batchdelete.Options{}).Delete(t.Context(), keysN("k", 1500)); err != nil {
			t.Fatal(err)
		}
		if len(md5s) != 2 || slices.Contains(md5s, "") {
			t.Errorf("Content-MD5 of the requests: %q, want two set", md5s)
		}
	})
	t.Run("versitygw refuses DeleteObjects without Content-MD5 or a checksum", func(t *testing.T) {
		a, srv := s3Address(t, "")
		strip := func(st *middleware.Stack) error {
			return st.Finalize.Insert(middleware.FinalizeMiddlewareFunc("strip", func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
				r := in.Request.(*smithyhttp.Request)
				for k := range r.Header {
					if strings.Contains(strings.ToLower(k), "checksum") || strings.EqualFold(k, "Content-Md5") {
						r.Header.Del(k)
					}
				}
				return next.HandleFinalize(ctx, in)
			}), "Signing", middleware.Before)
		}
		_, err := srv.Client().DeleteObjects(t.Context(), &s3.DeleteObjectsInput{
			Bucket: aws.String(a.Bucket),
			Delete: &types.Delete{Objects: []types.ObjectIdentifier{{Key: aws.String("x")}}},
		}, func(o *s3.Options) { o.APIOptions = append(o.APIOptions, strip) })
		var ae smithy.APIError
		if !errors.As(err, &ae) || ae.ErrorCode() != "InvalidRequest" {
			t.Errorf("DeleteObjects without checksum: %v, want InvalidRequest", err)
		}
	})
}

// TestS3Cancel: a context cancelled while the second of three requests is
// under way stops the run: the first batch is deleted, the second is
// Failed Canceled (its outcome unknown), the third never sent.
func TestS3Cancel(t *testing.T) {
	a, _ := s3Address(t, "pre")
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	f := &faults{match: isDeleteObjects, fail: func(n int, r *http.Request) error {
		if n != 1 {
			return nil
		}
		cancel()
		<-r.Context().Done()
		return r.Context().Err()
	}}
	h := mustOpen(t, a, provider.WithHTTPClient(f.client()))
	d := mustNew(t, h, batchdelete.Options{Parallelism: 1})
	keys := keysN("k", 2500)
	res, err := d.Delete(ctx, keys)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Delete: %v, want context.Canceled", err)
	}
	for i, r := range res {
		var w batchdelete.Status
		switch {
		case i < 1000:
			w = batchdelete.Deleted
		case i < 2000:
			w = batchdelete.Failed
			if provider.Code(r.Err) != gcerrors.Canceled {
				t.Fatalf("%q: err %v, want Canceled", r.Key, r.Err)
			}
		default:
			w = batchdelete.NotSent
			if !errors.Is(r.Err, context.Canceled) {
				t.Fatalf("%q: err %v, want context.Canceled", r.Key, r.Err)
			}
		}
		if r.Status != w {
			t.Fatalf("%q: %v, want %v", r.Key, r.Status, w)
		}
	}
	if got := f.count(); got != 2 {
		t.Errorf("requests = %d, want 2", got)
	}
}

// TestS3KeysXMLCannotCarry: a DeleteObjects body is XML, and the SDK
// writes a character XML cannot carry as U+FFFD, which names another key.
// Each case writes the key and the twin the mangling would name (natively:
// the names are the service's), deletes the key, and checks that the key
// is gone and the twin is not.
func TestS3KeysXMLCannotCarry(t *testing.T) {
	for _, tc := range []struct{ name, key, twin string }{
		{"a control character", "a\x01b", "a\uFFFDb"},
		{"invalid UTF-8", "a\xffb", "a\uFFFDb"},
		{"a carriage return, which XML parsers turn into a line feed", "a\rb", "a\nb"},
		{"a tab, escaped by the SDK", "a\tb", "a b"},
		{"a key U+FFFD itself", "a\uFFFDb", "a\x01b"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, srv := s3Address(t, "pre")
			c := srv.Client()
			for _, k := range []string{tc.key, tc.twin} {
				if _, err := c.PutObject(t.Context(), &s3.PutObjectInput{Bucket: aws.String(a.Bucket), Key: aws.String("pre/" + k), Body: bytes.NewReader(nil)}); err != nil {
					t.Fatalf("PutObject(%q): %v", k, err)
				}
			}
			h := mustOpen(t, a)
			res, err := mustNew(t, h, batchdelete.Options{}).Delete(t.Context(), []string{tc.key, "other"})
			if err != nil || res[0].Status != batchdelete.Deleted {
				t.Fatalf("Delete: %+v, %v", res, err)
			}
			has := func(k string) bool {
				_, err := c.HeadObject(t.Context(), &s3.HeadObjectInput{Bucket: aws.String(a.Bucket), Key: aws.String("pre/" + k)})
				return err == nil
			}
			if has(tc.key) {
				t.Errorf("%q is still there", tc.key)
			}
			if !has(tc.twin) {
				t.Errorf("%q, which was not asked for, was deleted", tc.twin)
			}
		})
	}
}
