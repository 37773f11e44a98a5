package batchdelete_test

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/byobkit/byob/internal/batchdelete"
	"github.com/byobkit/byob/provider"
	"gocloud.dev/gcerrors"
)

// isGCSDelete selects JSON API object deletes.
func isGCSDelete(r *http.Request) bool { return r.Method == http.MethodDelete }

// gcsObject is the object a GCS delete names, as sent (escaped).
func gcsObject(r *http.Request) string {
	_, o, _ := strings.Cut(r.URL.EscapedPath(), "/o/")
	return o
}

func gcsError(status int, reason, msg string) *http.Response {
	return response(status, "application/json; charset=UTF-8",
		`{"error":{"code":`+strconv.Itoa(status)+`,"message":"`+msg+`","errors":[{"message":"`+msg+`","domain":"global","reason":"`+reason+`"}]}}`)
}

// TestGCSFakeServer deletes real objects on fake-gcs-server, one request
// per key, at most 100 in flight.
func TestGCSFakeServer(t *testing.T) {
	for _, tc := range []struct {
		name              string
		existing, missing int
	}{
		{"150 objects, one request each, at most 100 at once", 150, 0},
		{"an object that does not exist is already gone (a real 404)", 0, 2},
		{"existing and missing objects together", 2, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, _ := gcsAddress(t, "team/a")
			rec := &faults{match: isGCSDelete}
			h := mustOpen(t, a, provider.WithHTTPClient(rec.client()))
			keys := keysN("k", tc.existing+tc.missing)
			put(t, h, keys[:tc.existing])
			res, err := mustNew(t, h, batchdelete.Options{}).Delete(t.Context(), keys)
			if err != nil {
				t.Fatalf("Delete: %v", err)
			}
			for i, r := range res {
				w := want{batchdelete.Deleted, gcerrors.OK, 1}
				if i >= tc.existing {
					w.status = batchdelete.Gone
				}
				checkResult(t, r, w)
			}
			if got := rec.count(); got != len(keys) {
				t.Errorf("delete requests = %d, want %d", got, len(keys))
			}
			if p := rec.peak(); p > 100 {
				t.Errorf("%d deletes in flight at once, more than 100", p)
			}
			if left := listAll(t, h); len(left) != 0 {
				t.Errorf("%d objects left, first %q", len(left), left[0])
			}
		})
	}
}

// TestGCSFaults injects answers for k1's delete in front of
// fake-gcs-server (which cannot refuse anything itself).
func TestGCSFaults(t *testing.T) {
	const k1 = "pre%2Fk1"
	on := func(times int, mk func() *http.Response) func(int, *http.Request, []byte) *http.Response {
		seen := 0
		return func(_ int, r *http.Request, _ []byte) *http.Response {
			if gcsObject(r) != k1 || (times > 0 && seen >= times) {
				return nil
			}
			seen++
			return mk()
		}
	}
	deleted := func(n int) want { return want{batchdelete.Deleted, gcerrors.OK, n} }
	for _, tc := range []struct {
		name     string
		answer   func(int, *http.Request, []byte) *http.Response
		fail     func(int, *http.Request) error
		want     [3]want
		wantLeft bool // k1 still there
	}{
		{
			// gcsblob reports every GCS 403 as NotFound: read as gone, the
			// collector would record a delete that never happened.
			name: "a 403 is Failed PermissionDenied, never already gone",
			answer: on(0, func() *http.Response {
				return gcsError(http.StatusForbidden, "forbidden", "sa@p.iam.gserviceaccount.com does not have storage.objects.delete access")
			}),
			want:     [3]want{deleted(1), {batchdelete.Failed, gcerrors.PermissionDenied, 1}, deleted(1)},
			wantLeft: true,
		},
		{
			name:   "a 401 is Failed PermissionDenied",
			answer: on(0, func() *http.Response { return gcsError(http.StatusUnauthorized, "required", "Login Required") }),
			want:   [3]want{deleted(1), {batchdelete.Failed, gcerrors.PermissionDenied, 1}, deleted(1)}, wantLeft: true,
		},
		{
			name:   "a 404 is already gone",
			answer: on(0, func() *http.Response { return gcsError(http.StatusNotFound, "notFound", "No such object: b/pre/k1") }),
			want:   [3]want{deleted(1), {batchdelete.Gone, gcerrors.OK, 1}, deleted(1)}, wantLeft: true,
		},
		{
			name:   "a 429 is throttling: sent again, then deleted",
			answer: on(2, func() *http.Response { return gcsError(http.StatusTooManyRequests, "rateLimitExceeded", "slow down") }),
			want:   [3]want{deleted(1), deleted(3), deleted(1)},
		},
		{
			name:   "a 503 is sent again",
			answer: on(1, func() *http.Response { return gcsError(http.StatusServiceUnavailable, "backendError", "try again") }),
			want:   [3]want{deleted(1), deleted(2), deleted(1)},
		},
		{
			name: "a connection reset is sent again",
			fail: func() func(int, *http.Request) error {
				done := false
				return func(_ int, r *http.Request) error {
					if gcsObject(r) == k1 && !done {
						done = true
						return syscall.ECONNRESET
					}
					return nil
				}
			}(),
			want: [3]want{deleted(1), deleted(2), deleted(1)},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, _ := gcsAddress(t, "pre")
			f := &faults{match: isGCSDelete, answer: tc.answer, fail: tc.fail}
			h := mustOpen(t, a, provider.WithHTTPClient(f.client()))
			keys := []string{"k0", "k1", "k2"}
			put(t, h, keys)
			o := fast
			o.Parallelism = 1 // the injectors count k1's requests without a lock
			res, err := mustNew(t, h, o).Delete(context.Background(), keys)
			if err != nil {
				t.Fatalf("Delete: %v", err)
			}
			for i, r := range res {
				checkResult(t, r, tc.want[i])
			}
			if got := exists(t, h, "k1"); got != tc.wantLeft {
				t.Errorf("k1 exists = %v, want %v", got, tc.wantLeft)
			}
		})
	}
}
