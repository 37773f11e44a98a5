package gc

import (
	"bytes"
	"context"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"
	"time"
)

var journalTime = time.Date(2026, 12, 1, 11, 22, 33, 123456789, time.UTC)

func fixedNow() time.Time { return journalTime }

// syncBuffer is a journal that counts its syncs and records how many
// bytes were durable at each.
type syncBuffer struct {
	bytes.Buffer
	syncedAt []int
}

func (s *syncBuffer) Sync() error { s.syncedAt = append(s.syncedAt, s.Len()); return nil }

// failWriter fails every write from the nth (from 1) on.
type failWriter struct {
	bytes.Buffer
	n, writes int
}

func (f *failWriter) Write(p []byte) (int, error) {
	f.writes++
	if f.writes >= f.n {
		return 0, errors.New("disk full")
	}
	return f.Buffer.Write(p)
}

func sampleRecords() []JournalRecord {
	mt := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	return []JournalRecord{
		{Rec: RecStart, Location: "s3://bucket/team", DataPrefix: pfx, Shard: "0/1", MinAge: "48h0m0s", Mode: ModeVersions, Purpose: PurposeGC},
		{Rec: RecIntent, Batch: 1, Reason: ReasonUnreferenced,
			Objects: []JournalObject{{Key: pfx + "1/a/x", Size: 3, ModTime: mt}}, Kept: []string{pfx + "1/a/y"}},
		{Rec: RecOutcome, Batch: 1, Deleted: []string{pfx + "1/a/x"},
			Failed: []JournalFailure{{Key: pfx + "1/a/z", Kind: "PermissionDenied", Error: "access denied"}}},
		{Rec: RecEnd, Report: &JournalSummary{Scanned: 3, Deleted: 1, Errors: map[string]int64{"PermissionDenied": 1}, Duration: "1s"}},
	}
}

// readAllRecords drains ReadJournal: the records, and the errors met.
func readAllRecords(t *testing.T, r io.Reader) ([]JournalRecord, []error) {
	t.Helper()
	var recs []JournalRecord
	var errs []error
	for rec, err := range ReadJournal(r) {
		if err != nil {
			errs = append(errs, err)
			continue
		}
		recs = append(recs, rec)
	}
	return recs, errs
}

func TestJournalRoundTrip(t *testing.T) {
	var buf syncBuffer
	j := newJournalWriter(&buf, "20261201T112233Z-9f3a", fixedNow)
	want := sampleRecords()
	for _, rec := range want {
		if err := j.write(context.Background(), rec, true); err != nil {
			t.Fatal(err)
		}
	}
	recs, errs := readAllRecords(t, bytes.NewReader(buf.Bytes()))
	if len(errs) > 0 {
		t.Fatalf("errors: %v", errs)
	}
	if len(recs) != len(want) {
		t.Fatalf("read %d records, want %d", len(recs), len(want))
	}
	for i, r := range recs {
		if r.V != JournalVersion || r.Run != "20261201T112233Z-9f3a" || !r.Time.Equal(journalTime) || r.Rec != want[i].Rec {
			t.Errorf("record %d header = %d %q %v %q", i, r.V, r.Run, r.Time, r.Rec)
		}
	}
	if got := recs[1].Objects[0]; got.Key != pfx+"1/a/x" || got.Size != 3 {
		t.Errorf("intent object = %+v", got)
	}
	if got := recs[2].Failed[0]; got.Kind != "PermissionDenied" {
		t.Errorf("outcome failure = %+v", got)
	}
	if recs[3].Report.Errors["PermissionDenied"] != 1 {
		t.Errorf("end report = %+v", recs[3].Report)
	}
	// One line per record, each synced whole: the Nth sync covers exactly
	// the first N lines (after the run's opening empty line).
	lines := strings.SplitAfter(buf.String(), "\n")
	if lines[0] != "\n" {
		t.Fatalf("a run's first line is %q, want the empty separator", lines[0])
	}
	at := 1
	for i, s := range buf.syncedAt {
		at += len(lines[i+1])
		if s != at {
			t.Fatalf("sync %d at byte %d, want %d (the end of line %d)", i, s, at, i+1)
		}
	}
	if !strings.Contains(lines[1], `"time":"2026-12-01T11:22:33.123456789Z"`) {
		t.Errorf("time not RFC 3339 with nanoseconds: %s", lines[1])
	}
}

func TestJournalSyncOnlyWhenAsked(t *testing.T) {
	var buf syncBuffer
	j := newJournalWriter(&buf, "r", fixedNow)
	_ = j.write(context.Background(), JournalRecord{Rec: RecOutcome, Batch: 1}, false)
	_ = j.write(context.Background(), JournalRecord{Rec: RecIntent, Batch: 2}, true)
	if len(buf.syncedAt) != 1 {
		t.Fatalf("synced %d times, want once", len(buf.syncedAt))
	}
}

func TestJournalWriteErrorIsSticky(t *testing.T) {
	w := &failWriter{n: 2}
	j := newJournalWriter(w, "r", fixedNow)
	ctx := context.Background()
	if err := j.write(ctx, JournalRecord{Rec: RecStart}, true); err != nil {
		t.Fatal(err)
	}
	err := j.write(ctx, JournalRecord{Rec: RecIntent, Batch: 1}, true)
	wantKind(t, err, ErrJournal)
	w.n = 100 // the disk recovers: the writer still refuses
	wantKind(t, j.write(ctx, JournalRecord{Rec: RecOutcome, Batch: 1}, true), ErrJournal)
	if w.writes != 2 {
		t.Fatalf("%d writes reached the file, want 2 (none after the failure)", w.writes)
	}
}

type failSync struct{ bytes.Buffer }

func (failSync) Sync() error { return errors.New("fsync: input/output error") }

func TestJournalSyncErrorIsAWriteError(t *testing.T) {
	j := newJournalWriter(&failSync{}, "r", fixedNow)
	wantKind(t, j.write(context.Background(), JournalRecord{Rec: RecStart}, true), ErrJournal)
	wantKind(t, j.write(context.Background(), JournalRecord{Rec: RecEnd}, false), ErrJournal)
}

// journalOf writes records of run as the writer does.
func journalOf(t *testing.T, run string, recs ...JournalRecord) string {
	t.Helper()
	var buf bytes.Buffer
	j := newJournalWriter(&buf, run, fixedNow)
	for _, r := range recs {
		if err := j.write(context.Background(), r, false); err != nil {
			t.Fatal(err)
		}
	}
	return buf.String()
}

func TestReadJournal(t *testing.T) {
	full := journalOf(t, "r1", sampleRecords()...)
	second := journalOf(t, "r2", sampleRecords()[:2]...)
	torn := full[:len(full)-20] // the end record, cut mid-write
	tornMid := full[:strings.Index(full, `"rec":"outcome"`)+5]
	tests := []struct {
		name      string
		in        string
		wantRecs  []string // run/rec of each record read
		wantKinds []error  // kinds of the errors met, in order
	}{
		{"whole journal", full, []string{"r1/start", "r1/intent", "r1/outcome", "r1/end"}, nil},
		{"two runs appended", full + second, []string{"r1/start", "r1/intent", "r1/outcome", "r1/end", "r2/start", "r2/intent"}, nil},
		{"torn last line is reported, not fatal", torn, []string{"r1/start", "r1/intent", "r1/outcome"}, []error{ErrTornRecord}},
		{"torn line of a crashed run before the next run's records", tornMid + second,
			[]string{"r1/start", "r1/intent", "r2/start", "r2/intent"}, []error{ErrTornRecord}},
		{"torn last line ending in NUL bytes", full + "{\"v\":1,\x00\x00\x00", []string{"r1/start", "r1/intent", "r1/outcome", "r1/end"}, []error{ErrTornRecord}},
		{"corrupt line in the middle is reported and reading goes on",
			strings.Replace(full, `{"v":1,"rec":"outcome"`, `{"v":1,"rec":"outcome",,`, 1),
			[]string{"r1/start", "r1/intent", "r1/end"}, []error{ErrJournal}},
		{"a record of another version is refused",
			strings.Replace(full, `{"v":1,"rec":"intent"`, `{"v":2,"rec":"intent"`, 1),
			[]string{"r1/start", "r1/outcome", "r1/end"}, []error{ErrJournal}},
		{"an unknown record kind is refused",
			strings.Replace(full, `"rec":"end"`, `"rec":"finish"`, 1),
			[]string{"r1/start", "r1/intent", "r1/outcome"}, []error{ErrJournal}},
		{"a record without a run is refused",
			strings.Replace(full, `"run":"r1","time":"2026-12-01T11:22:33.123456789Z","location"`, `"run":"","time":"2026-12-01T11:22:33.123456789Z","location"`, 1),
			[]string{"r1/intent", "r1/outcome", "r1/end"}, []error{ErrJournal}},
		{"CRLF line ends are read", strings.ReplaceAll(full, "\n", "\r\n"), []string{"r1/start", "r1/intent", "r1/outcome", "r1/end"}, nil},
		{"empty journal", "", nil, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			recs, errs := readAllRecords(t, strings.NewReader(tc.in))
			var got []string
			for _, r := range recs {
				got = append(got, r.Run+"/"+r.Rec)
			}
			if !slices.Equal(got, tc.wantRecs) {
				t.Errorf("records %q, want %q", got, tc.wantRecs)
			}
			if len(errs) != len(tc.wantKinds) {
				t.Fatalf("errors %v, want kinds %v", errs, tc.wantKinds)
			}
			for i, k := range tc.wantKinds {
				wantKind(t, errs[i], k)
			}
		})
	}
}

type errReader struct{ data io.Reader }

func (e *errReader) Read(p []byte) (int, error) {
	n, err := e.data.Read(p)
	if err == io.EOF {
		return n, errors.New("connection reset")
	}
	return n, err
}

func TestReadJournalReaderErrorComesLast(t *testing.T) {
	full := journalOf(t, "r1", sampleRecords()...)
	recs, errs := readAllRecords(t, &errReader{strings.NewReader(full)})
	if len(recs) != 4 || len(errs) != 1 {
		t.Fatalf("read %d records and errors %v, want 4 and one error", len(recs), errs)
	}
	wantKind(t, errs[0], ErrJournal)
}

func TestReadJournalStopsWhenTheCallerDoes(t *testing.T) {
	full := journalOf(t, "r1", sampleRecords()...)
	n := 0
	for range ReadJournal(strings.NewReader(full)) {
		n++
		break
	}
	if n != 1 {
		t.Fatalf("yielded %d times after break", n)
	}
}

func TestReadJournalLongRecords(t *testing.T) {
	objs := make([]JournalObject, 2000)
	for i := range objs {
		objs[i] = JournalObject{Key: pfx + strings.Repeat("k", 200), Size: int64(i)}
	}
	in := journalOf(t, "r", JournalRecord{Rec: RecIntent, Batch: 1, Reason: ReasonUnreferenced, Objects: objs})
	recs, errs := readAllRecords(t, strings.NewReader(in))
	if len(errs) != 0 || len(recs) != 1 || len(recs[0].Objects) != len(objs) || recs[0].Objects[1999].Size != 1999 {
		t.Fatalf("read %d records (errors %v) from a %d-byte line", len(recs), errs, len(in))
	}
}
