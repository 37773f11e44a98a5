package gc

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/byobkit/byob/internal/batchdelete"
	"github.com/byobkit/byob/internal/testenv"
	"github.com/byobkit/byob/scope"
	"gocloud.dev/gcerrors"
)

// rsMem returns a fresh mem:// location rooted at "team".
func rsMem(t *testing.T) *scope.Location {
	t.Helper()
	return openLocation(t, "mem://restore-"+randomName(t)+"/team")
}

// rsRun is one run of a journal written for a test, as Run writes it.
type rsRun struct {
	id      string
	start   JournalRecord // Rec and the run fields are filled in
	batches []rsBatch
}

type rsBatch struct {
	objs    []JournalObject
	uploads []JournalUpload // an intent of stale uploads instead
	outcome *JournalRecord  // nil: the run died before it (an intent without an outcome)
}

// rsJournal writes runs with the journal writer Run uses.
func rsJournal(t testing.TB, runs ...rsRun) []byte {
	t.Helper()
	var buf bytes.Buffer
	ctx := context.Background()
	for _, r := range runs {
		j := newJournalWriter(&buf, r.id, time.Now)
		st := r.start
		st.Rec = RecStart
		if err := j.write(ctx, st, true); err != nil {
			t.Fatal(err)
		}
		for i, b := range r.batches {
			intent := JournalRecord{Rec: RecIntent, Batch: i + 1, Reason: ReasonUnreferenced, Objects: b.objs}
			if b.uploads != nil {
				intent.Reason, intent.Uploads = ReasonStaleUpload, b.uploads
			}
			if err := j.write(ctx, intent, true); err != nil {
				t.Fatal(err)
			}
			if b.outcome != nil {
				o := *b.outcome
				o.Rec, o.Batch = RecOutcome, i+1
				if err := j.write(ctx, o, true); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	return buf.Bytes()
}

func rsPut(t testing.TB, loc *scope.Location, key string, body []byte) {
	t.Helper()
	if err := loc.Bucket().WriteAll(context.Background(), key, body, nil); err != nil {
		t.Fatal(err)
	}
}

// rsGet returns key's body, nil if it does not exist.
func rsGet(t testing.TB, loc *scope.Location, key string) []byte {
	t.Helper()
	b, err := loc.Bucket().ReadAll(context.Background(), key)
	if gcerrors.Code(err) == gcerrors.NotFound {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	return b
}

type rsCounts struct{ restored, present, lost, failed int64 }

func rsCheck(t testing.TB, rep *RestoreReport, want rsCounts) {
	t.Helper()
	if got := (rsCounts{rep.Restored, rep.Present, rep.Lost, rep.Failed}); got != want {
		t.Errorf("restored/present/lost/failed = %+v, want %+v (lost: %q, errors: %v)", got, want, rep.FirstLost, rep.FirstErrors)
	}
}

// TestRestoreTrash undoes a trash-mode run on mem://: each key comes back
// from Trash+run+"/"+key byte for byte and its trash copy goes; a key
// uploaded again is Present and keeps its new bytes and its trash copy; a
// key whose trash copy is missing is Lost; an intent without an outcome
// is restored too; a key the run found gone is left alone. A second
// restore finds every key Present.
func TestRestoreTrash(t *testing.T) {
	loc := rsMem(t)
	ctx := context.Background()
	const run, trash = "20261201T112233Z-9f3a", "byob-trash/"
	body := func(k string) []byte { return []byte("bytes of " + k) }
	obj := func(k string) JournalObject { return JournalObject{Key: pfx + k, Size: int64(len(body(k)))} }
	for _, k := range []string{"a", "b", "c", "e"} {
		rsPut(t, loc, trash+run+"/"+pfx+k, body(k)) // what the run moved aside
	}
	rsPut(t, loc, pfx+"c", []byte("uploaded again after the run"))
	j := rsJournal(t, rsRun{id: run, start: JournalRecord{Location: loc.Handle().Location().String(), DataPrefix: pfx, Mode: ModeTrash, Trash: trash, Purpose: PurposeGC},
		batches: []rsBatch{
			{objs: []JournalObject{obj("a"), obj("b"), obj("c"), obj("d"), obj("f")},
				outcome: &JournalRecord{Deleted: []string{pfx + "a", pfx + "b", pfx + "c", pfx + "d"}, Gone: []string{pfx + "f"}}},
			{objs: []JournalObject{obj("e")}}, // killed before its outcome
		}})

	rep, err := Restore(ctx, loc, bytes.NewReader(j), RestoreOptions{})
	if !errors.Is(err, ErrRestore) {
		t.Errorf("Restore: %v, want ErrRestore (d is lost)", err)
	}
	rsCheck(t, rep, rsCounts{restored: 3, present: 1, lost: 1})
	if rep.Keys != 5 || rep.AlreadyGone != 1 || len(rep.Runs) != 1 || rep.Runs[0] != run {
		t.Errorf("Keys %d, AlreadyGone %d, Runs %q; want 5, 1, [%s]", rep.Keys, rep.AlreadyGone, rep.Runs, run)
	}
	for _, k := range []string{"a", "b", "e"} {
		if got := rsGet(t, loc, pfx+k); !bytes.Equal(got, body(k)) {
			t.Errorf("%s: %q back, want %q", k, got, body(k))
		}
		if rsGet(t, loc, trash+run+"/"+pfx+k) != nil {
			t.Errorf("%s: the trash copy is still there after the restore", k)
		}
	}
	if got := rsGet(t, loc, pfx+"c"); string(got) != "uploaded again after the run" {
		t.Errorf("c: %q, want the bytes uploaded after the run, untouched", got)
	}
	if rsGet(t, loc, trash+run+"/"+pfx+"c") == nil {
		t.Error("c: the trash copy of a key that exists again was deleted; it is the only copy of the old bytes")
	}
	if rsGet(t, loc, pfx+"f") != nil || rsGet(t, loc, pfx+"d") != nil {
		t.Error("a key was created that the trash had no copy of")
	}

	rep, err = Restore(ctx, loc, bytes.NewReader(j), RestoreOptions{})
	if !errors.Is(err, ErrRestore) {
		t.Errorf("second Restore: %v, want ErrRestore (d is still lost)", err)
	}
	rsCheck(t, rep, rsCounts{present: 4, lost: 1})
}

// TestRestoreRefuses: what Restore refuses, before it restores anything.
func TestRestoreRefuses(t *testing.T) {
	const trash = "byob-trash/"
	for _, tc := range []struct {
		name string
		runs func(here string) []rsRun
		opts RestoreOptions
		want error
	}{
		{"a run on a bucket that kept nothing cannot be undone, and the other runs wait", func(here string) []rsRun {
			return []rsRun{
				{id: "r1", start: JournalRecord{Location: here, Mode: ModeTrash, Trash: trash}, batches: []rsBatch{{objs: []JournalObject{{Key: pfx + "k", Size: 1}}}}},
				{id: "r2", start: JournalRecord{Location: here, Mode: ModeNone}, batches: []rsBatch{{objs: []JournalObject{{Key: pfx + "x", Size: 1}}}}},
			}
		}, RestoreOptions{}, ErrUnrecoverable},
		{"a journal of another location", func(string) []rsRun {
			return []rsRun{{id: "r1", start: JournalRecord{Location: "mem://other/team", Mode: ModeTrash, Trash: trash},
				batches: []rsBatch{{objs: []JournalObject{{Key: pfx + "k", Size: 1}}}}}}
		}, RestoreOptions{}, ErrInvalid},
		{"a run that is not in the journal", func(here string) []rsRun {
			return []rsRun{{id: "r1", start: JournalRecord{Location: here, Mode: ModeTrash, Trash: trash},
				batches: []rsBatch{{objs: []JournalObject{{Key: pfx + "k", Size: 1}}}}}}
		}, RestoreOptions{Run: "r9"}, ErrInvalid},
		{"a mode this byob does not know", func(here string) []rsRun {
			return []rsRun{{id: "r1", start: JournalRecord{Location: here, Mode: "tape"}}}
		}, RestoreOptions{}, ErrJournal},
	} {
		t.Run(tc.name, func(t *testing.T) {
			loc := rsMem(t)
			rsPut(t, loc, trash+"r1/"+pfx+"k", []byte("1"))
			j := rsJournal(t, tc.runs(loc.Handle().Location().String())...)
			rep, err := Restore(context.Background(), loc, bytes.NewReader(j), tc.opts)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Restore: %v, want %v", err, tc.want)
			}
			if rep == nil {
				t.Fatal("no report")
			}
			rsCheck(t, rep, rsCounts{})
			if rsGet(t, loc, pfx+"k") != nil || rsGet(t, loc, trash+"r1/"+pfx+"k") == nil {
				t.Error("something was restored")
			}
		})
	}
}

// TestRestoreJournalLines: a torn last record is harmless; another bad
// line is an error, and the keys of the good lines are restored anyway.
// Only the chosen run is restored, and a dry run is skipped.
func TestRestoreJournalLines(t *testing.T) {
	const trash = "byob-trash/"
	for _, tc := range []struct {
		name      string
		edit      func(j []byte) []byte
		opts      RestoreOptions
		want      error
		restored  []string
		untouched []string
		errKind   string
	}{
		{"a torn last record is reported, not an error", func(j []byte) []byte { return append(j, `{"v":1,"rec":"inte`...) },
			RestoreOptions{}, nil, []string{"a", "b"}, nil, "TornRecord"},
		{"a bad line in the middle is an error, and the rest is restored", func(j []byte) []byte {
			lines := bytes.SplitAfter(j, []byte("\n"))
			bad := [][]byte{[]byte(`{"v":7,"rec":"intent","run":"r1"}` + "\n")}
			return bytes.Join(append(lines[:3:3], append(bad, lines[3:]...)...), nil) // after r1's intent
		}, RestoreOptions{}, ErrJournal, []string{"a", "b"}, nil, "Journal"},
		{"RestoreOptions.Run restores that run only", nil, RestoreOptions{Run: "r2"}, nil, []string{"b"}, []string{"a"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			loc := rsMem(t)
			here := loc.Handle().Location().String()
			for _, r := range []string{"r1", "r2", "dry"} {
				rsPut(t, loc, trash+r+"/"+pfx+map[string]string{"r1": "a", "r2": "b", "dry": "c"}[r], []byte(r))
			}
			run := func(id, key string, dry bool) rsRun {
				return rsRun{id: id, start: JournalRecord{Location: here, Mode: ModeTrash, Trash: trash, DryRun: dry},
					batches: []rsBatch{{objs: []JournalObject{{Key: pfx + key, Size: int64(len(id))}}}}}
			}
			j := rsJournal(t, run("r1", "a", false), run("dry", "c", true), run("r2", "b", false))
			if tc.edit != nil {
				j = tc.edit(j)
			}
			rep, err := Restore(context.Background(), loc, bytes.NewReader(j), tc.opts)
			if !errors.Is(err, tc.want) || tc.want == nil && err != nil {
				t.Fatalf("Restore: %v, want %v", err, tc.want)
			}
			rsCheck(t, rep, rsCounts{restored: int64(len(tc.restored))})
			for _, k := range tc.restored {
				if rsGet(t, loc, pfx+k) == nil {
					t.Errorf("%s not restored", k)
				}
			}
			for _, k := range append(tc.untouched, "c") {
				if rsGet(t, loc, pfx+k) != nil {
					t.Errorf("%s restored, but its run was not chosen or was a dry run", k)
				}
			}
			if tc.errKind != "" && rep.Errors[tc.errKind] != 1 {
				t.Errorf("Errors = %v, want one %s", rep.Errors, tc.errKind)
			}
		})
	}
}

// rsVersionedS3 is a fresh versitygw bucket with versioning Enabled, as
// a location rooted at "team".
func rsVersionedS3(t *testing.T) *scope.Location {
	t.Helper()
	srv := testenv.S3(t)
	return openLocation(t, srv.Address(srv.NewBucket(t, "byob-gcr", true), "team"))
}

// rsDelete deletes keys through batchdelete, as Run does.
func rsDelete(t testing.TB, loc *scope.Location, keys ...string) {
	t.Helper()
	d, err := batchdelete.New(loc.Handle(), batchdelete.Options{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := d.Delete(context.Background(), keys)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res {
		if !r.Done() {
			t.Fatalf("delete %q: %v", r.Key, r.Err)
		}
	}
}

// TestRestoreVersionedS3 undoes two runs on a versioned versitygw bucket
// from their journal: every file comes back byte for byte. Run 2 deleted
// again a key that was uploaded again after run 1: the restore takes the
// runs newest first, so the newer bytes come back (oldest first, run 1
// would find a version of another size above its marker, and lose it).
func TestRestoreVersionedS3(t *testing.T) {
	loc := rsVersionedS3(t)
	ctx := context.Background()
	here := loc.Handle().Location().String()
	bodies := map[string][]byte{}
	var objs1 []JournalObject
	for i := range 12 {
		k := fmt.Sprintf("%s1/id%d/%032x", pfx, i, i)
		bodies[k] = make([]byte, i*999)
		if _, err := rand.Read(bodies[k]); err != nil {
			t.Fatal(err)
		}
		rsPut(t, loc, k, bodies[k])
		objs1 = append(objs1, JournalObject{Key: k, Size: int64(len(bodies[k]))})
	}
	again := pfx + "again"
	rsPut(t, loc, again, []byte("v1"))
	objs1 = append(objs1, JournalObject{Key: again, Size: 2})

	start1 := JournalRecord{Location: here, DataPrefix: pfx, Mode: ModeVersions, Purpose: PurposeGC}
	var keys1 []string
	for _, o := range objs1 {
		keys1 = append(keys1, o.Key)
	}
	j1 := rsJournal(t, rsRun{id: "r1", start: start1, batches: []rsBatch{{objs: objs1, outcome: &JournalRecord{Deleted: keys1}}}})
	rsDelete(t, loc, keys1...)
	bodies[again] = []byte("version two, longer")
	rsPut(t, loc, again, bodies[again])
	j2 := rsJournal(t, rsRun{id: "r2", start: start1, batches: []rsBatch{{objs: []JournalObject{{Key: again, Size: int64(len(bodies[again]))}}}}})
	rsDelete(t, loc, again)

	rep, err := Restore(ctx, loc, bytes.NewReader(append(j1, j2...)), RestoreOptions{})
	if err != nil {
		t.Fatalf("Restore: %v (lost %q)", err, rep.FirstLost)
	}
	rsCheck(t, rep, rsCounts{restored: int64(len(objs1)), present: 1})
	if len(rep.Runs) != 2 || rep.Runs[0] != "r2" {
		t.Errorf("runs restored in the order %q, want newest first", rep.Runs)
	}
	for k, want := range bodies {
		if got := rsGet(t, loc, k); !bytes.Equal(got, want) {
			t.Errorf("%q: %d bytes back, want the %d bytes deleted", k, len(got), len(want))
		}
	}
	rep, err = Restore(ctx, loc, bytes.NewReader(append(j1, j2...)), RestoreOptions{})
	if err != nil {
		t.Fatalf("second Restore: %v", err)
	}
	rsCheck(t, rep, rsCounts{present: int64(len(objs1)) + 1})
}

// TestRestoreStopsWithTheContext: a restore whose context has ended says
// it stopped (ErrStopped, with the context's error), not that keys failed
// on their own, and restores nothing.
func TestRestoreStopsWithTheContext(t *testing.T) {
	loc := rsMem(t)
	const trash = "byob-trash/"
	rsPut(t, loc, trash+"r1/"+pfx+"k", []byte("1"))
	j := rsJournal(t, rsRun{id: "r1", start: JournalRecord{Location: loc.Handle().Location().String(), Mode: ModeTrash, Trash: trash},
		batches: []rsBatch{{objs: []JournalObject{{Key: pfx + "k", Size: 1}}}}})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	rep, err := Restore(ctx, loc, bytes.NewReader(j), RestoreOptions{})
	if !errors.Is(err, ErrStopped) || !errors.Is(err, context.Canceled) {
		t.Fatalf("Restore: %v, want ErrStopped and context.Canceled", err)
	}
	if rep.Restored != 0 || rsGet(t, loc, pfx+"k") != nil {
		t.Errorf("restored %d after the context ended", rep.Restored)
	}
}

// TestRestoreUploadOutcomesSayNothingOfObjects: a stale upload under the
// same key as a deleted object, whose abort found it gone, does not make
// the object "already gone": the object is restored, and the upload is
// counted as not restorable.
func TestRestoreUploadOutcomesSayNothingOfObjects(t *testing.T) {
	loc := rsMem(t)
	const trash, k = "byob-trash/", pfx + "1/a"
	rsPut(t, loc, trashKey(trash, "r1", k), []byte("a"))
	j := rsJournal(t, rsRun{id: "r1", start: JournalRecord{Location: loc.Handle().Location().String(), Mode: ModeTrash, Trash: trash},
		batches: []rsBatch{
			{objs: []JournalObject{{Key: k, Size: 1}}, outcome: &JournalRecord{Deleted: []string{k}}},
			{uploads: []JournalUpload{{Key: k, UploadID: "u1"}}, outcome: &JournalRecord{Gone: []string{k}}},
		}})
	rep, err := Restore(context.Background(), loc, bytes.NewReader(j), RestoreOptions{})
	if err != nil {
		t.Fatal(err)
	}
	rsCheck(t, rep, rsCounts{restored: 1})
	if rep.AlreadyGone != 0 || rep.UploadsNotRestorable != 1 || rsGet(t, loc, k) == nil {
		t.Errorf("AlreadyGone %d, UploadsNotRestorable %d, restored %v; want 0, 1, true", rep.AlreadyGone, rep.UploadsNotRestorable, rsGet(t, loc, k) != nil)
	}
}

// TestRestoreReportJSON: the report encodes its counts and its errors as
// text (an error value would encode as {}).
func TestRestoreReportJSON(t *testing.T) {
	rep := RestoreReport{Runs: []string{"r1"}, Keys: 3, Restored: 1, Present: 1, Lost: 1, FirstLost: []string{`"k": gone`},
		Errors: map[string]int64{"PermissionDenied": 1}, FirstErrors: []error{errors.New("refused")}, Duration: 1500 * time.Millisecond}
	js, err := json.Marshal(&rep)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"runs":["r1"]`, `"restored":1`, `"lost":1`, `"firstLost":["\"k\": gone"]`, `"errors":{"PermissionDenied":1}`,
		`"firstErrors":["refused"]`, `"duration":"1.5s"`} {
		if !strings.Contains(string(js), want) {
			t.Errorf("JSON %s lacks %s", js, want)
		}
	}
}
