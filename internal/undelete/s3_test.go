package undelete_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/byobkit/byob/internal/testenv"
	"github.com/byobkit/byob/internal/undelete"
	"github.com/byobkit/byob/provider"
	"gocloud.dev/gcerrors"
)

// s3Versions lists the data version ids and delete marker ids of exactly
// key (full name in the bucket).
func s3Versions(t testing.TB, bucket, key string) (data, markers []string) {
	t.Helper()
	out, err := testenv.S3(t).Client().ListObjectVersions(context.Background(),
		&s3.ListObjectVersionsInput{Bucket: aws.String(bucket), Prefix: aws.String(key)})
	if err != nil {
		t.Fatalf("ListObjectVersions: %v", err)
	}
	for _, v := range out.Versions {
		if aws.ToString(v.Key) == key {
			data = append(data, aws.ToString(v.VersionId))
		}
	}
	for _, m := range out.DeleteMarkers {
		if aws.ToString(m.Key) == key {
			markers = append(markers, aws.ToString(m.VersionId))
		}
	}
	return data, markers
}

// TestS3VersitygwRestoresByteForByte deletes files on a versioned
// versitygw bucket through batchdelete, as a gc run does, and restores
// them: every file comes back byte for byte, a file uploaded again after
// the delete and a file never deleted are Present and untouched, and the
// only versioned deletes sent name delete markers. A second restore finds
// everything Present.
func TestS3VersitygwRestoresByteForByte(t *testing.T) {
	a, bucket := versionedS3(t, "team/a")
	rec := &recorder{}
	h := mustOpen(t, a, provider.WithHTTPClient(rec.client()))
	ctx := context.Background()

	const n = 24
	bodies := map[string][]byte{}
	var deleted []string
	for i := range n {
		k := fmt.Sprintf("wandb_artifacts/1/id%d/%032x", i, i)
		size := []int{0, 1, 1000, 70_000, 1 << 20}[i%5]
		bodies[k] = randomBody(t, size)
		write(t, h, k, bodies[k])
		deleted = append(deleted, k)
	}
	bodies["never-deleted"] = randomBody(t, 300)
	write(t, h, "never-deleted", bodies["never-deleted"])
	write(t, h, "uploaded-again", []byte("old content"))
	deleted = append(deleted, "uploaded-again")

	since := time.Now()
	deleteAll(t, h, deleted)
	bodies["uploaded-again"] = []byte("new content, after the delete")
	write(t, h, "uploaded-again", bodies["uploaded-again"])
	for _, k := range deleted[:n] {
		if read(t, h, k) != nil {
			t.Fatalf("%q still readable after the delete", k)
		}
	}
	markers := map[string]bool{}
	dataBefore := map[string][]string{}
	for _, k := range append(deleted, "never-deleted") {
		d, m := s3Versions(t, bucket, "team/a/"+k)
		dataBefore[k] = d
		for _, id := range m {
			markers[id] = true
		}
	}

	objs := undelete.Keys(append(deleted, "never-deleted", "never-existed")...)
	want := map[string]undelete.Status{"never-deleted": undelete.Present, "uploaded-again": undelete.Present, "never-existed": undelete.Lost}
	for round := range 2 {
		res, err := mustNew(t, h).Restore(ctx, since, objs)
		if err != nil {
			t.Fatalf("round %d: Restore: %v", round, err)
		}
		for _, r := range res {
			w, ok := want[r.Key]
			switch {
			case !ok && round == 0:
				w = undelete.Restored
			case !ok:
				w = undelete.Present // restoring twice changes nothing
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
	for k, before := range dataBefore {
		after, _ := s3Versions(t, bucket, "team/a/"+k)
		if strings.Join(after, ",") != strings.Join(before, ",") {
			t.Errorf("%q: data versions %q after the restore, %q before: a data version was touched", k, after, before)
		}
	}
	versioned := 0
	for _, r := range rec.all() {
		id := r.url.Query().Get("versionId")
		if r.method != http.MethodDelete || id == "" {
			continue
		}
		versioned++
		if !markers[id] {
			t.Errorf("DELETE %s names version %q, which is not a delete marker", r.url.Path, id)
		}
	}
	if versioned != n {
		t.Errorf("%d versioned deletes sent, want one per deleted file (%d)", versioned, n)
	}
}

// TestS3VersitygwCases: what a restore does in each state a key can be in.
func TestS3VersitygwCases(t *testing.T) {
	body := []byte("the artifact's bytes")
	for _, tc := range []struct {
		name    string
		deletes int                   // deletes through batchdelete after the write
		since   func() time.Time      // the run's start
		size    int64                 // Object.Size
		open    func(a string) string // edits the address the restore opens with
		want    undelete.Status
		code    gcerrors.ErrorCode
		back    bool // the body is readable afterwards
		markers int  // delete markers left on the key
	}{
		{name: "one delete marker is removed", deletes: 1, size: int64(len(body)), want: undelete.Restored, back: true},
		{name: "two delete markers (a delete sent again) are both removed", deletes: 2, size: -1, want: undelete.Restored, back: true},
		{name: "a delete before the run started is not the run's: Lost, the marker stays", deletes: 1, size: -1,
			since: func() time.Time { return time.Now().Add(time.Hour) }, want: undelete.Lost, markers: 1},
		{name: "a version of another size than the deleted object is not brought back", deletes: 1, size: 3,
			want: undelete.Lost, markers: 1},
		{name: "a key that was never deleted is Present", size: -1, want: undelete.Present, back: true},
		{name: "a permission refusal is Failed, never Lost, and changes nothing", deletes: 1, size: -1,
			open: func(a string) string { return strings.Replace(a, "@", "x@", 1) }, // a wrong secret
			want: undelete.Failed, code: gcerrors.PermissionDenied, markers: 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, bucket := versionedS3(t, "p")
			h := mustOpen(t, a)
			since := time.Now()
			write(t, h, "k", body)
			for range tc.deletes {
				deleteAll(t, h, []string{"k"})
			}
			if _, m := s3Versions(t, bucket, "p/k"); len(m) != tc.deletes {
				t.Fatalf("%d delete markers before the restore, want one per delete (%d)", len(m), tc.deletes)
			}
			if tc.since != nil {
				since = tc.since()
			}
			rh := h
			if tc.open != nil {
				rh = mustOpen(t, mustParse(t, tc.open(a.URL())))
			}
			res, err := mustNew(t, rh).Restore(context.Background(), since, []undelete.Object{{Key: "k", Size: tc.size}})
			if err != nil {
				t.Fatal(err)
			}
			r := res[0]
			if r.Status != tc.want || provider.Code(r.Err) != tc.code {
				t.Errorf("Restore: %v (%s, %v), want %v with code %v", r.Status, r.Reason, r.Err, tc.want, tc.code)
			}
			if tc.code != gcerrors.OK {
				var pe *provider.Error
				if !errorsAs(r.Err, &pe) {
					t.Errorf("Err %T is not a *provider.Error", r.Err)
				}
			}
			got := read(t, h, "k")
			if tc.back != (got != nil) || got != nil && !bytes.Equal(got, body) {
				t.Errorf("after the restore the key reads %q, want back=%v", got, tc.back)
			}
			data, markers := s3Versions(t, bucket, "p/k")
			if len(data) != 1 || len(markers) != tc.markers {
				t.Errorf("versions left: %d data, %d markers; want 1 data, %d markers", len(data), len(markers), tc.markers)
			}
		})
	}
}
