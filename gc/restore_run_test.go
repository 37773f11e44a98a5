package gc

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/byobkit/byob/internal/testenv"
	"github.com/byobkit/byob/internal/testsecret"
	"github.com/byobkit/byob/provider"
	"github.com/fsouza/fake-gcs-server/fakestorage"
)

// TestRestoreUndoesRun collects with Run, then restores from the run's
// journal: every deleted file comes back byte for byte, a file uploaded
// again after the run is Present and keeps its new bytes, the files the
// run kept are untouched, and a second restore finds everything Present.
// On mem:// the run moves the files into a trash; on versitygw
// (versioning Enabled) it leaves delete markers; on fake GCS (object
// versioning) noncurrent generations.
//
// The runs' clock is set past every object's age (the objects were just
// written), so the journal's start time is ahead of the bucket's clock:
// on versitygw the restore is told so with ClockSkew, and without it
// finds the run's delete markers older than the run, and brings nothing
// back (the guard against undoing deletes the run did not make).
func TestRestoreUndoesRun(t *testing.T) {
	ahead := DefaultMinAge + time.Hour // runEnv's clock, ahead of the bucket's
	for _, tc := range []struct {
		name        string
		env         func(t *testing.T) *runEnv
		trash       string
		mode        Mode
		skipUploads bool // GCS: batchdelete does not list its multipart uploads
	}{
		{"mem:// with a trash", memEnv, "byob-trash/", ModeTrash, false},
		{"versioned versitygw", func(t *testing.T) *runEnv {
			srv := testenv.S3(t)
			return &runEnv{t: t, loc: openLocation(t, s3URL(srv, s3Bucket(t, srv, types.BucketVersioningStatusEnabled))),
				server: NewMemServer(pfx), journal: &syncBuffer{}, now: time.Now().Add(ahead)}
		}, "", ModeVersions, false},
		{"fake GCS with object versioning", func(t *testing.T) *runEnv {
			fake, _ := testenv.FakeGCS(t)
			bucket := uniqueBucket(t)
			fake.CreateBucketWithOpts(fakestorage.CreateBucketOpts{Name: bucket, VersioningEnabled: true})
			return &runEnv{t: t, loc: openLocation(t, "gs://"+bucket+"/team?endpoint="+url.QueryEscape(fake.URL())),
				server: NewMemServer(pfx), journal: &syncBuffer{}, now: time.Now().Add(ahead)}
		}, "", ModeVersions, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			e := tc.env(t)
			garbage, kept := scenario(e)
			bodies := map[string][]byte{}
			for i, k := range append(slices.Clone(garbage), kept...) {
				bodies[k] = make([]byte, 100+i*3000)
				if _, err := rand.Read(bodies[k]); err != nil {
					t.Fatal(err)
				}
				if err := e.loc.Bucket().WriteAll(ctx, k, bodies[k], nil); err != nil {
					t.Fatal(err)
				}
			}
			opts := e.opts()
			opts.Trash, opts.Force, opts.SkipUploads = tc.trash, false, tc.skipUploads
			rep, err := Run(ctx, e.loc, e.server, opts)
			if err != nil || rep.Mode != tc.mode || rep.Deleted != int64(len(garbage)) {
				t.Fatalf("Run: mode %s, deleted %d of %d, %v", rep.Mode, rep.Deleted, len(garbage), err)
			}
			again := garbage[0]
			bodies[again] = []byte("uploaded again after the run")
			if err := e.loc.Bucket().WriteAll(ctx, again, bodies[again], nil); err != nil {
				t.Fatal(err)
			}
			journal := e.journal.Bytes()

			if tc.mode == ModeVersions {
				rep, err := Restore(ctx, e.loc, bytes.NewReader(journal), RestoreOptions{})
				if !errors.Is(err, ErrRestore) || rep.Lost != int64(len(garbage)-1) || rep.Restored != 0 {
					t.Fatalf("Restore with the run's clock %v ahead and the default ClockSkew: %+v, %v; want every deleted key Lost", ahead, rep, err)
				}
				if !strings.Contains(strings.Join(rep.FirstLost, "\n"), "before the run started") {
					t.Errorf("lost for another reason: %q", rep.FirstLost)
				}
			}
			ro := RestoreOptions{ClockSkew: ahead + time.Hour}
			for round := range 2 {
				rep, err := Restore(ctx, e.loc, bytes.NewReader(journal), ro)
				if err != nil {
					t.Fatalf("round %d: Restore: %v (lost %q)", round, err, rep.FirstLost)
				}
				want := rsCounts{restored: int64(len(garbage) - 1), present: 1}
				if round == 1 {
					want = rsCounts{present: int64(len(garbage))}
				}
				rsCheck(t, rep, want)
			}
			for k, want := range bodies {
				if got := rsGet(t, e.loc, k); !bytes.Equal(got, want) {
					t.Errorf("%q: %d bytes, want the %d bytes it had", k, len(got), len(want))
				}
			}
			if tc.trash != "" {
				var left []string
				for _, k := range bucketKeys(t, e.loc.Bucket()) {
					if strings.HasPrefix(k, tc.trash) {
						left = append(left, k)
					}
				}
				if len(left) != 1 || !strings.HasSuffix(left[0], "/"+again) {
					t.Errorf("trash after the restore: %q, want only the copy of %q, which was uploaded again", left, again)
				}
			}
		})
	}
}

// TestRestoreHidesWhatAServerEchoes restores through a server that
// refuses with an answer quoting the request's Authorization header and
// the keys: the keys are Failed PermissionDenied (never Lost), and no
// 8-byte window of the keys or of a signature is in the report, its
// errors, the error or the log, under any printer.
func TestRestoreHidesWhatAServerEchoes(t *testing.T) {
	for _, tc := range []struct {
		name  string
		match func(r *http.Request) bool
	}{
		{"the version listing is refused", func(r *http.Request) bool { return r.Method == http.MethodGet && r.URL.Query().Has("versions") }},
		{"the delete of the marker is refused", func(r *http.Request) bool {
			return r.Method == http.MethodDelete && r.URL.Query().Has("versionId")
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := testenv.S3(t)
			bucket := s3Bucket(t, srv, types.BucketVersioningStatusEnabled)
			ctx := context.Background()
			plain := openLocation(t, s3URL(srv, bucket))
			keys := []string{pfx + "1/a", pfx + "1/b"}
			var objs []JournalObject
			for _, k := range keys {
				rsPut(t, plain, k, []byte(k))
				objs = append(objs, JournalObject{Key: k, Size: int64(len(k))})
			}
			rsDelete(t, plain, keys...)
			j := rsJournal(t, rsRun{id: "r1", start: JournalRecord{Location: plain.Handle().Location().String(), Mode: ModeVersions},
				batches: []rsBatch{{objs: objs}}})

			sig := regexp.MustCompile(`Signature=([0-9a-f]+)`)
			var (
				mu   sync.Mutex // Restore sends requests from several goroutines
				seen []string
			)
			echo := answering{func(r *http.Request) *http.Response {
				if !tc.match(r) {
					return nil
				}
				auth := r.Header.Get("Authorization")
				if m := sig.FindStringSubmatch(auth); m != nil {
					mu.Lock()
					seen = append(seen, m[1])
					mu.Unlock()
				}
				return httpAnswer(http.StatusForbidden, "application/xml", `<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>denied for `+
					auth+" secret "+srv.SecretKey+" key "+srv.AccessKey+`</Message></Error>`)
			}}
			loc := openLocation(t, s3URL(srv, bucket), provider.WithHTTPClient(&http.Client{Transport: echo}))
			var log bytes.Buffer
			logger := slog.New(slog.NewTextHandler(&log, &slog.HandlerOptions{Level: slog.LevelDebug}))
			jlogger := slog.New(slog.NewJSONHandler(&log, &slog.HandlerOptions{Level: slog.LevelDebug}))
			rep, err := Restore(ctx, loc, bytes.NewReader(j), RestoreOptions{Logger: logger})
			if !errors.Is(err, ErrRestore) || rep.Failed != 2 || rep.Lost != 0 || rep.Errors["PermissionDenied"] != 2 {
				t.Fatalf("Restore: %+v, %v; want both keys Failed PermissionDenied", rep, err)
			}
			if len(seen) == 0 {
				t.Fatal("no signed request was refused: the test proves nothing")
			}
			js, jerr := json.Marshal(rep)
			if jerr != nil {
				t.Fatal(jerr)
			}
			jlogger.Info("report", "report", rep, "err", err, "errors", rep.FirstErrors)
			out := []string{log.String(), string(js), fmt.Sprintf("%v %+v %#v %s %q", rep, rep, rep, rep.FirstErrors, rep.FirstErrors),
				fmt.Sprintf("%v %+v %#v %s %q", err, err, err, err, err)}
			for _, e := range rep.FirstErrors {
				out = append(out, fmt.Sprintf("%v %+v %#v", e, e, e))
				for _, c := range testsecret.Chain(e) {
					out = append(out, fmt.Sprintf("%v %#v", c, c))
				}
			}
			secrets := testsecret.NewSet(testsecret.Spellings(append(seen, srv.AccessKey, srv.SecretKey)...)...)
			if w := secrets.Find(strings.Join(out, "\n")); w != "" {
				t.Errorf("a restore's output holds a secret window %q", w)
			}
			if rsGet(t, plain, keys[0]) != nil {
				t.Error("a key was restored through a server that refused")
			}
		})
	}
}
