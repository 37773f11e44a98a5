package undelete_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/byobkit/byob/internal/testenv"
	"github.com/byobkit/byob/internal/undelete"
	"github.com/byobkit/byob/provider"
	"github.com/fsouza/fake-gcs-server/fakestorage"
	"gocloud.dev/gcerrors"
)

// TestGCSFakeVersioningRestoresByteForByte deletes files on a
// fake-gcs-server bucket with object versioning, through batchdelete, and
// restores them: the newest noncurrent generation is copied back, byte
// for byte; a file uploaded again and a file never deleted are Present
// and untouched; a key that never existed is Lost. A second restore finds
// everything Present.
//
// fake-gcs-server (v1.56.1) keeps noncurrent generations with their
// deletion time, and copies from a generation, but ignores the copy's
// ifGenerationMatch=0 precondition, and implements neither soft delete
// nor objects.restore: those are tested on recorded answers
// (TestGCSRecorded).
func TestGCSFakeVersioningRestoresByteForByte(t *testing.T) {
	srv, _ := testenv.FakeGCS(t)
	bucket := testenv.UniqueName(t, "byob-ud")
	srv.CreateBucketWithOpts(fakestorage.CreateBucketOpts{Name: bucket, VersioningEnabled: true})
	h := mustOpen(t, mustParse(t, "gs://"+bucket+"/team/a?endpoint="+url.QueryEscape(srv.URL())))
	ctx := context.Background()

	bodies := map[string][]byte{}
	var deleted []string
	for i := range 12 {
		k := fmt.Sprintf("wandb_artifacts/1/id%d/%032x", i, i)
		bodies[k] = randomBody(t, []int{0, 1, 1000, 70_000}[i%4])
		write(t, h, k, bodies[k])
		deleted = append(deleted, k)
	}
	bodies["never-deleted"] = randomBody(t, 10)
	write(t, h, "never-deleted", bodies["never-deleted"])
	write(t, h, "uploaded-again", []byte("old"))
	deleted = append(deleted, "uploaded-again")
	since := time.Now()
	deleteAll(t, h, deleted)
	bodies["uploaded-again"] = []byte("new bytes after the delete")
	write(t, h, "uploaded-again", bodies["uploaded-again"])

	objs := undelete.Keys(append(deleted, "never-deleted", "never-existed")...)
	objs[0].Size = int64(len(bodies[objs[0].Key])) // a known size that matches
	want := map[string]undelete.Status{"never-deleted": undelete.Present, "uploaded-again": undelete.Present, "never-existed": undelete.Lost}
	for round := range 2 {
		res, err := mustNew(t, h).Restore(ctx, since, objs)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range res {
			w, ok := want[r.Key]
			switch {
			case !ok && round == 0:
				w = undelete.Restored
			case !ok:
				w = undelete.Present
			}
			if r.Status != w || r.Err != nil {
				t.Errorf("round %d: %q: %v (%s, %v), want %v", round, r.Key, r.Status, r.Reason, r.Err, w)
			}
		}
	}
	for k, want := range bodies {
		if got := read(t, h, k); !bytes.Equal(got, want) {
			t.Errorf("%q: %d bytes back, want the %d bytes written", k, len(got), len(want))
		}
	}

	// A deletion before the run started is not the run's.
	write(t, h, "old-delete", []byte("x"))
	deleteAll(t, h, []string{"old-delete"})
	res, err := mustNew(t, h).Restore(ctx, time.Now().Add(time.Hour), undelete.Keys("old-delete"))
	if err != nil || res[0].Status != undelete.Lost || read(t, h, "old-delete") != nil {
		t.Errorf("a delete before the run: %v (%s), %v; want Lost and nothing written", res[0].Status, res[0].Reason, err)
	}
}

// gcsAnswer scripts the JSON API answers of a recorded GCS bucket.
type gcsAnswer struct {
	versions    []map[string]any // items of objects.list?versions=true
	soft        []map[string]any // items of objects.list?softDeleted=true
	listStatus  int              // nonzero: every listing gets this error status
	softStatus  int              // nonzero: the soft-deleted listing gets this status
	softMessage string
	write       int // status of rewriteTo or restore; 0: 200
}

// gcsItem is an object resource as the JSON API writes it (int64 fields
// as strings).
func gcsItem(name string, gen, size int64, field string, t time.Time) map[string]any {
	m := map[string]any{"kind": "storage#object", "bucket": "bkt", "name": name,
		"generation": fmt.Sprint(gen), "size": fmt.Sprint(size), "updated": "2026-12-01T10:00:00.000Z"}
	if field != "" {
		m[field] = t.UTC().Format(time.RFC3339Nano)
	}
	return m
}

func gcsError(w http.ResponseWriter, status int, reason, msg string) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{"code": status, "message": msg,
		"errors": []any{map[string]any{"domain": "global", "reason": reason, "message": msg}}}})
}

// recordedGCS serves a's answers as the GCS JSON API does, and records
// the requests (method and URL).
func recordedGCS(t *testing.T, a gcsAnswer) (*provider.Handle, func() []string) {
	t.Helper()
	var mu sync.Mutex
	var reqs []string
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		mu.Lock()
		reqs = append(reqs, r.Method+" "+r.URL.EscapedPath()+"?"+r.URL.RawQuery)
		mu.Unlock()
		q := r.URL.Query()
		switch {
		case r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/o"):
			items := a.versions
			if q.Get("softDeleted") == "true" {
				items = a.soft
				if a.softStatus != 0 {
					gcsError(w, a.softStatus, "invalid", a.softMessage)
					return
				}
			}
			if a.listStatus != 0 {
				gcsError(w, a.listStatus, "forbidden", "sa@p.iam.gserviceaccount.com does not have storage.objects.list access to the Google Cloud Storage bucket.")
				return
			}
			w.Header().Set("Content-Type", "application/json; charset=UTF-8")
			json.NewEncoder(w).Encode(map[string]any{"kind": "storage#objects", "items": items})
		case r.Method == http.MethodPost && (strings.Contains(r.URL.Path, "/rewriteTo/") || strings.HasSuffix(r.URL.Path, "/restore")):
			if a.write == http.StatusPreconditionFailed {
				gcsError(w, a.write, "conditionNotMet", "At least one of the pre-conditions you specified did not hold.")
				return
			}
			if a.write != 0 {
				gcsError(w, a.write, "forbidden", "Access denied.")
				return
			}
			obj := gcsItem("team/k", 99, 5, "", time.Time{})
			w.Header().Set("Content-Type", "application/json; charset=UTF-8")
			if strings.HasSuffix(r.URL.Path, "/restore") {
				json.NewEncoder(w).Encode(obj)
				return
			}
			json.NewEncoder(w).Encode(map[string]any{"kind": "storage#rewriteResponse", "done": true,
				"totalBytesRewritten": "5", "objectSize": "5", "resource": obj})
		default:
			gcsError(w, http.StatusNotImplemented, "notImplemented", "not recorded: "+r.Method+" "+r.URL.Path)
		}
	}))
	t.Cleanup(s.Close)
	h := mustOpen(t, mustParse(t, "gs://bkt/team?endpoint="+url.QueryEscape(s.URL)))
	return h, func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), reqs...)
	}
}

// TestGCSRecorded restores against recorded answers of the GCS JSON API:
// the precondition that keeps an object uploaded meanwhile, soft delete
// and objects.restore, and refusals, which fake-gcs-server cannot show.
func TestGCSRecorded(t *testing.T) {
	since := time.Date(2026, 12, 1, 11, 0, 0, 0, time.UTC)
	after, before := since.Add(time.Minute), since.Add(-time.Hour)
	for _, tc := range []struct {
		name    string
		answer  gcsAnswer
		size    int64
		want    undelete.Status
		code    gcerrors.ErrorCode
		version string
		request []string // parts of requests that must have been sent
		never   string   // a request that must not have been sent
	}{
		{name: "the newest noncurrent generation is copied back only if no live generation exists",
			answer: gcsAnswer{versions: []map[string]any{gcsItem("team/k", 7, 5, "timeDeleted", after), gcsItem("team/k", 3, 4, "timeDeleted", after)}},
			size:   5, want: undelete.Restored, version: "7",
			request: []string{"POST /storage/v1/b/bkt/o/team%2Fk/rewriteTo/b/bkt/o/team%2Fk?", "sourceGeneration=7"}, never: "softDeleted"},
		{name: "an upload between the listing and the copy wins (412): Present",
			answer: gcsAnswer{versions: []map[string]any{gcsItem("team/k", 7, 5, "timeDeleted", after)}, write: http.StatusPreconditionFailed},
			size:   -1, want: undelete.Present},
		{name: "a live generation is Present, nothing is written",
			answer: gcsAnswer{versions: []map[string]any{gcsItem("team/k", 8, 5, "", time.Time{}), gcsItem("team/k", 7, 5, "timeDeleted", after)}},
			size:   -1, want: undelete.Present, never: "POST"},
		{name: "only longer names are listed: Lost",
			answer: gcsAnswer{versions: []map[string]any{gcsItem("team/k2", 7, 5, "timeDeleted", after)}, soft: []map[string]any{gcsItem("team/k/x", 1, 1, "softDeleteTime", after)}},
			size:   -1, want: undelete.Lost, never: "POST"},
		{name: "the newest soft-deleted generation is restored only if no live generation exists",
			answer: gcsAnswer{soft: []map[string]any{gcsItem("team/k", 5, 5, "softDeleteTime", after), gcsItem("team/k", 9, 5, "softDeleteTime", after)}},
			size:   -1, want: undelete.Restored, version: "9",
			request: []string{"POST /storage/v1/b/bkt/o/team%2Fk/restore?", "&generation=9&"}},
		{name: "a restore refused by its precondition (412) is Present",
			answer: gcsAnswer{soft: []map[string]any{gcsItem("team/k", 9, 5, "softDeleteTime", after)}, write: http.StatusPreconditionFailed},
			size:   -1, want: undelete.Present},
		{name: "a soft delete before the run started is not the run's",
			answer: gcsAnswer{soft: []map[string]any{gcsItem("team/k", 9, 5, "softDeleteTime", before)}},
			size:   -1, want: undelete.Lost, never: "POST"},
		{name: "a noncurrent generation made before the run started is not the run's",
			answer: gcsAnswer{versions: []map[string]any{gcsItem("team/k", 7, 5, "timeDeleted", before)}},
			size:   -1, want: undelete.Lost, never: "POST"},
		{name: "a generation of another size is not the object deleted",
			answer: gcsAnswer{versions: []map[string]any{gcsItem("team/k", 7, 4, "timeDeleted", after)}},
			size:   5, want: undelete.Lost, never: "POST"},
		{name: "a bucket without soft delete, and no versions: Lost",
			answer: gcsAnswer{softStatus: http.StatusBadRequest, softMessage: "Bucket does not have soft deletion enabled"},
			size:   -1, want: undelete.Lost},
		{name: "another 400 on the soft-deleted listing is Failed",
			answer: gcsAnswer{softStatus: http.StatusBadRequest, softMessage: "Invalid argument."},
			size:   -1, want: undelete.Failed, code: gcerrors.InvalidArgument},
		{name: "a refused listing (403) is Failed PermissionDenied, never Lost",
			answer: gcsAnswer{listStatus: http.StatusForbidden},
			size:   -1, want: undelete.Failed, code: gcerrors.PermissionDenied, never: "POST"},
		{name: "a refused copy (403) is Failed PermissionDenied",
			answer: gcsAnswer{versions: []map[string]any{gcsItem("team/k", 7, 5, "timeDeleted", after)}, write: http.StatusForbidden},
			size:   -1, want: undelete.Failed, code: gcerrors.PermissionDenied},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, reqs := recordedGCS(t, tc.answer)
			res, err := mustNew(t, h).Restore(context.Background(), since, []undelete.Object{{Key: "k", Size: tc.size}})
			if err != nil {
				t.Fatal(err)
			}
			r := res[0]
			if r.Status != tc.want || provider.Code(r.Err) != tc.code || r.Version != tc.version {
				t.Errorf("Restore: %v version %q (%s, %v), want %v version %q code %v", r.Status, r.Version, r.Reason, r.Err, tc.want, tc.version, tc.code)
			}
			all := strings.Join(reqs(), "\n")
			for _, line := range reqs() {
				if strings.HasPrefix(line, "POST") && !strings.Contains(line, "ifGenerationMatch=0") {
					t.Errorf("a write without ifGenerationMatch=0: %s", line)
				}
			}
			for _, part := range tc.request {
				if !strings.Contains(all, part) {
					t.Errorf("no request with %q among\n%s", part, all)
				}
			}
			if tc.never != "" && strings.Contains(all, tc.never) {
				t.Errorf("a request %q was sent:\n%s", tc.never, all)
			}
		})
	}
}
