package gc

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"iter"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// scenario fills e with a small history: v1 (a, b) deleted while v2
// still reuses a; v3 (d) deleted; v4 (e) uploading; an orphan f; and a run
// file outside the data prefix. b, d and f are garbage.
func scenario(e *runEnv) (garbage, kept []string) {
	e.t.Helper()
	a, b, c, d, ee, f := pfx+"1/v1/a", pfx+"1/v1/b", pfx+"1/v2/c", pfx+"2/v3/d", pfx+"2/v4/e", pfx+"3/orphan/f"
	e.upload("v1", a, b)
	e.must(e.server.Commit("v1"))
	e.upload("v2", c)
	e.must(e.server.Reuse("v2", a), e.server.Commit("v2"), e.server.Delete("v1"))
	e.upload("v3", d)
	e.must(e.server.Commit("v3"), e.server.Delete("v3"))
	e.upload("v4", ee)
	e.write(f, "ent/proj/run1/files/x")
	return sorted(b, d, f), sorted(a, c, ee, "ent/proj/run1/files/x")
}

// racingSource deduplicates a new version against key just before the
// first claim: the race the claim closes.
type racingSource struct {
	*MemServer
	key   string
	fired bool
}

func (s *racingSource) Claim(ctx context.Context, keys []string) ([]string, error) {
	if !s.fired {
		s.fired = true
		if err := s.Reuse("late", s.key); err != nil {
			return nil, err
		}
	}
	return s.MemServer.Claim(ctx, keys)
}

func TestRunCollectsWhatNoLiveVersionNames(t *testing.T) {
	for _, env := range envs {
		t.Run(env.name, func(t *testing.T) {
			e := env.new(t)
			garbage, kept := scenario(e)
			before := e.keys()
			src := &racingSource{MemServer: e.server, key: pfx + "2/v3/d"} // d becomes live between sweep and claim
			rep, err := Run(context.Background(), e.loc, src, e.opts())
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
			gone := without(garbage, pfx+"2/v3/d")
			if got, want := e.keys(), without(before, gone...); !slices.Equal(got, want) {
				t.Fatalf("bucket after the run: %q, want %q", got, want)
			}
			for _, k := range kept {
				if !slices.Contains(e.keys(), k) {
					t.Errorf("%q was deleted", k)
				}
			}
			want := Report{Scanned: 6, Live: 3, Candidates: 3, KeptOnClaim: 1, Deleted: 2, BytesReclaimed: int64(len(gone[0]) + len(gone[1]))}
			if rep.Scanned != want.Scanned || rep.Live != want.Live || rep.Candidates != want.Candidates || rep.KeptOnClaim != want.KeptOnClaim ||
				rep.Deleted != want.Deleted || rep.BytesReclaimed != want.BytesReclaimed || rep.Failed != 0 || rep.AlreadyGone != 0 || rep.TooYoung != 0 {
				t.Errorf("report %+v, want counts %+v", *rep, want)
			}
			if rep.Mode != ModeNone || rep.RunID == "" || rep.DryRun || len(rep.Errors) != 0 || rep.Requests != 2 {
				t.Errorf("report mode %q run %q dry %v errors %v requests %d", rep.Mode, rep.RunID, rep.DryRun, rep.Errors, rep.Requests)
			}
			for _, k := range gone {
				if !e.server.Claimed(k) {
					t.Errorf("%q deleted without being claimed", k)
				}
			}
			recs := e.records()
			if got := recKinds(recs); !slices.Equal(got, []string{RecStart, RecIntent, RecOutcome, RecEnd}) {
				t.Fatalf("journal records %q", got)
			}
			st, in, out, end := recs[0], recs[1], recs[2], recs[3]
			if st.Purpose != PurposeGC || st.DataPrefix != pfx || st.Shard != "0/1" || st.MinAge != "48h0m0s" || st.Mode != ModeNone || st.Run != rep.RunID {
				t.Errorf("start record %+v", st)
			}
			var inKeys []string
			for _, o := range in.Objects {
				inKeys = append(inKeys, o.Key)
				if o.Size != int64(len(o.Key)) || o.ModTime.IsZero() {
					t.Errorf("intent object %+v: size or time missing", o)
				}
			}
			if in.Reason != ReasonUnreferenced || in.Batch != 1 || !slices.Equal(inKeys, gone) || !slices.Equal(in.Kept, []string{pfx + "2/v3/d"}) {
				t.Errorf("intent record %+v", in)
			}
			if out.Batch != 1 || !slices.Equal(out.Deleted, gone) || len(out.Gone)+len(out.Failed) != 0 {
				t.Errorf("outcome record %+v", out)
			}
			if end.Report == nil || end.Report.Deleted != 2 || end.Error != "" {
				t.Errorf("end record %+v", end)
			}
		})
	}
}

// failingSource breaks the live stream or the claim.
type failingSource struct {
	*MemServer
	live     iter.Seq2[string, error] // replaces the stream, if set
	claimErr error
}

func (s *failingSource) Live(ctx context.Context, sh Shard) iter.Seq2[string, error] {
	if s.live != nil {
		return s.live
	}
	return s.MemServer.Live(ctx, sh)
}

func (s *failingSource) Claim(ctx context.Context, keys []string) ([]string, error) {
	if s.claimErr != nil {
		return nil, s.claimErr
	}
	return s.MemServer.Claim(ctx, keys)
}

// TestRunRefusals: every refusal has its exact kind, deletes nothing and
// claims nothing.
func TestRunRefusals(t *testing.T) {
	tests := []struct {
		name    string
		change  func(e *runEnv, o *Options) Source
		want    error
		journal bool // the refusal comes after the start record
	}{
		{"MinAge below an hour without Force", func(e *runEnv, o *Options) Source { o.Force, o.MinAge = false, 30*time.Minute; return e.server }, ErrInvalid, false},
		{"MinAge below the PUT expiry plus skew even with Force", func(e *runEnv, o *Options) Source { o.MinAge = 2 * time.Hour; return e.server }, ErrInvalid, false},
		{"MinAge just below the PUT expiry plus skew", func(e *runEnv, o *Options) Source {
			o.MinAge = DefaultUploadExpiry + DefaultClockSkew - time.Second
			return e.server
		}, ErrInvalid, false},
		{"a shorter PUT expiry still needs the skew", func(e *runEnv, o *Options) Source {
			o.MinAge, o.UploadExpiry, o.ClockSkew = 61*time.Minute, time.Hour, 2*time.Minute
			return e.server
		}, ErrInvalid, false},
		{"negative MinAge", func(e *runEnv, o *Options) Source { o.MinAge = -time.Hour; return e.server }, ErrInvalid, false},
		{"negative clock skew", func(e *runEnv, o *Options) Source { o.ClockSkew = -time.Minute; return e.server }, ErrInvalid, false},
		{"no journal", func(e *runEnv, o *Options) Source { o.Journal = nil; return e.server }, ErrInvalid, false},
		{"trash inside the data prefix", func(e *runEnv, o *Options) Source { o.Trash = pfx + "trash/"; return e.server }, ErrInvalid, false},
		{"data prefix inside the trash", func(e *runEnv, o *Options) Source { o.Trash, o.DataPrefix = "w/", "w/artifacts/"; return e.server }, ErrInvalid, false},
		{"trash without a trailing slash", func(e *runEnv, o *Options) Source { o.Trash = "trash"; return e.server }, ErrInvalid, false},
		{"data prefix without a trailing slash", func(e *runEnv, o *Options) Source { o.DataPrefix = "wandb_artifacts"; return e.server }, ErrInvalid, false},
		{"invalid shard", func(e *runEnv, o *Options) Source { o.Shard = Shard{Index: 3, Count: 3}; return e.server }, ErrInvalid, false},
		{"run id that is not a plain name", func(e *runEnv, o *Options) Source { o.RunID = "../x"; return e.server }, ErrInvalid, false},
		{"negative batch", func(e *runEnv, o *Options) Source { o.Batch = -1; return e.server }, ErrInvalid, false},
		{"nil source", func(e *runEnv, o *Options) Source { return nil }, ErrInvalid, false},
		{"bucket without versions, no trash, not forced", func(e *runEnv, o *Options) Source { o.Force = false; return e.server }, ErrUnrecoverable, false},
		{"live stream out of order", func(e *runEnv, o *Options) Source {
			return &failingSource{MemServer: e.server, live: liveOf(pfx+"2/v4/e", pfx+"1/v2/c")}
		}, ErrLiveOrder, true},
		{"live stream fails at its end", func(e *runEnv, o *Options) Source {
			return &failingSource{MemServer: e.server, live: liveFail([]string{pfx + "1/v1/a"}, 1, errors.New("database gone"))}
		}, ErrSource, true},
		{"live key outside the data prefix", func(e *runEnv, o *Options) Source {
			return &failingSource{MemServer: e.server, live: liveOf("artifacts/1")}
		}, ErrOutOfRange, true},
		{"claim fails", func(e *runEnv, o *Options) Source {
			return &failingSource{MemServer: e.server, claimErr: errors.New("transaction aborted")}
		}, ErrSource, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := memEnv(t)
			garbage, _ := scenario(e)
			before := e.keys()
			o := e.opts()
			src := tc.change(e, &o)
			rep, err := Run(context.Background(), e.loc, src, o)
			wantKind(t, err, tc.want)
			if rep == nil {
				t.Fatal("nil report")
			}
			if got := e.keys(); !slices.Equal(got, before) {
				t.Fatalf("bucket changed: %q, was %q", got, before)
			}
			for _, k := range garbage {
				if e.server.Claimed(k) {
					t.Errorf("%q claimed by a refused run", k)
				}
			}
			if rep.Deleted != 0 {
				t.Errorf("report says %d deleted", rep.Deleted)
			}
			if !tc.journal {
				if e.journal.Len() != 0 {
					t.Errorf("journal written: %q", e.journal.String())
				}
				return
			}
			recs := e.records()
			if got := recKinds(recs); !slices.Equal(got, []string{RecStart, RecEnd}) || recs[1].Error == "" {
				t.Errorf("journal %q, want start and an end with the error", got)
			}
			if rep.Errors[kindName(err)] != 1 {
				t.Errorf("report errors %v, want the run's error counted", rep.Errors)
			}
		})
	}
}

// TestRunOptionErrorsNameTheField: each refusal of an option says which
// field and what to do.
func TestRunOptionErrorsNameTheField(t *testing.T) {
	e := memEnv(t)
	for _, tc := range []struct {
		o     Options
		field string
	}{
		{Options{Journal: e.journal, MinAge: time.Minute}, "Options.MinAge"},
		{Options{Journal: e.journal, MinAge: 2 * time.Hour, Force: true}, "Options.UploadExpiry"},
		{Options{}, "Options.Journal"},
		{Options{Journal: e.journal, Trash: pfx}, "Options.Trash"},
		{Options{Journal: e.journal, RunID: "a b"}, "Options.RunID"},
		{Options{Journal: e.journal}, "Options.Force"}, // mem keeps no versions
		{Options{Journal: e.journal}, "Options.Trash"},
	} {
		_, err := Run(context.Background(), e.loc, e.server, tc.o)
		var ge *Error
		if !errors.As(err, &ge) || !strings.Contains(ge.Detail+ge.Fix, tc.field) || ge.Fix == "" {
			t.Errorf("options %+v: error %v does not name %s with a fix", tc.o, err, tc.field)
		}
	}
}

func TestRunKeepsTheYoungAndSkipsEscapedKeys(t *testing.T) {
	e := fileEnv(t)
	now := time.Now()
	e.now = now
	old, young, edge := pfx+"1/old", pfx+"1/young", pfx+"1/edge"
	escaped := []string{pfx + "1/per%cent", pfx + "1/hash#", pfx + "1/q?", pfx + "1/dq\"", pfx + "1/__0x41__", pfx + "1/back\\slash"}
	e.write(append([]string{old, young, edge}, escaped...)...)
	e.age(old, now.Add(-DefaultMinAge-time.Second))
	e.age(young, now.Add(-DefaultMinAge+time.Second))
	e.age(edge, now.Add(-DefaultMinAge)) // exactly MinAge old: kept
	// (fileblob stores "__0x41__" escaped on disk: the escaped keys keep
	// their fresh times; Skipped counts them before their age is looked at.)
	rep, err := Run(context.Background(), e.loc, e.server, e.opts())
	if err != nil {
		t.Fatal(err)
	}
	if rep.TooYoung != 2 || rep.Skipped != int64(len(escaped)) || rep.Deleted != 1 || rep.Candidates != int64(3+len(escaped)) {
		t.Errorf("report %+v", *rep)
	}
	if got, want := e.keys(), without(sorted(append([]string{old, young, edge}, escaped...)...), old); !slices.Equal(got, want) {
		t.Errorf("bucket %q, want %q", got, want)
	}
}

func TestEscapeSafe(t *testing.T) {
	for _, tc := range []struct {
		key  string
		safe bool
	}{
		{pfx + "626357751/1/7e8ff39b55a1a62101758a6dc7a69f70", true},
		{pfx + "a b/c-d_e.f~g+h=i@j:k,l;m!n'o(p)q*r&s$t", true},
		{pfx + "é/ü", true},
		{pfx + "a\x00b", false}, {pfx + "a\nb", false}, {pfx + "a\x7fb", false}, {pfx + "a\x1fb", false},
		{pfx + "\xff", false},
		{pfx + "a/../b", false}, {pfx + "../b", false}, {pfx + "a..b/c", true},
		{pfx + "a__0x2F__b", false}, {pfx + "dir/", false},
		{pfx + "#", false}, {pfx + "%", false}, {pfx + "?", false}, {pfx + "\\", false}, {pfx + "\"", false},
	} {
		if got := escapeSafe(tc.key); got != tc.safe {
			t.Errorf("escapeSafe(%q) = %v, want %v", tc.key, got, tc.safe)
		}
	}
}

func TestRunDryRun(t *testing.T) {
	for _, tc := range []struct {
		name     string
		source   func(e *runEnv) Source
		wantKept int64
	}{
		{"a Checker source reports what the claim would keep", func(e *runEnv) Source {
			// The sweep sees d unreferenced; a new version reuses it before
			// the check.
			return &failingSource{MemServer: e.server, live: liveOf(pfx+"1/v1/a", pfx+"1/v2/c", pfx+"2/v4/e")}
		}, 1},
		{"a source without Check reports it as unknown", func(e *runEnv) Source {
			return NewSetSource(pfx, []string{pfx + "1/v1/a", pfx + "1/v2/c", pfx + "2/v4/e"})
		}, -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := memEnv(t)
			garbage, _ := scenario(e)
			before := e.keys()
			src := tc.source(e)
			e.must(e.server.Reuse("late", pfx+"2/v3/d"))
			o := e.opts()
			o.DryRun, o.Journal, o.Force = true, nil, false // a dry run needs neither
			rep, err := Run(context.Background(), e.loc, src, o)
			if err != nil {
				t.Fatal(err)
			}
			if got := e.keys(); !slices.Equal(got, before) {
				t.Fatalf("dry run changed the bucket: %q, was %q", got, before)
			}
			for _, k := range garbage {
				if e.server.Claimed(k) {
					t.Errorf("dry run claimed %q", k)
				}
			}
			if !rep.DryRun || rep.Candidates != 3 || rep.KeptOnClaim != tc.wantKept || rep.Mode != ModeNone {
				t.Errorf("report %+v", *rep)
			}
			if wantDeleted := 3 - max(tc.wantKept, 0); rep.Deleted != wantDeleted || rep.BytesReclaimed == 0 {
				t.Errorf("dry run would delete %d (%d bytes), want %d", rep.Deleted, rep.BytesReclaimed, wantDeleted)
			}
		})
	}
}

func TestRunDryRunJournalHasNoIntent(t *testing.T) {
	e := memEnv(t)
	scenario(e)
	o := e.opts()
	o.DryRun = true
	if _, err := Run(context.Background(), e.loc, e.server, o); err != nil {
		t.Fatal(err)
	}
	recs := e.records()
	if got := recKinds(recs); !slices.Equal(got, []string{RecStart, RecEnd}) || !recs[0].DryRun {
		t.Fatalf("dry run journal %q (dryRun %v): a restore must find no intent in it", got, recs[0].DryRun)
	}
}

// TestRunWritesTheJournalAhead fails the journal at each write in turn:
// every object the run deleted is in an intent record the journal holds
// whole, and nothing is deleted after the failure.
func TestRunWritesTheJournalAhead(t *testing.T) {
	for _, par := range []int{1, 0} {
		for _, sync := range []bool{false, true} {
			for n := 1; n <= 8; n++ {
				name := "write " + string(rune('0'+n))
				if sync {
					name = "sync of " + name
				}
				if par == 1 {
					name += ", one batch at a time"
				}
				t.Run(name, func(t *testing.T) {
					e := memEnv(t)
					var garbage []string
					for i := range 9 {
						garbage = append(garbage, pfx+"9/"+string(rune('a'+i)))
					}
					e.write(garbage...)
					before := e.keys()
					w := &failingJournal{failAt: n, syncs: sync}
					o := e.opts()
					o.Journal, o.Batch, o.Parallelism = w, 3, par // three batches: start, 3×(intent, outcome), end = 8 writes
					rep, err := Run(context.Background(), e.loc, e.server, o)
					wantKind(t, err, ErrJournal)
					recs, _ := readAllRecords(t, bytes.NewReader(w.durable()))
					ahead := intended(recs)
					deleted := without(before, e.keys()...)
					for _, k := range deleted {
						if !ahead[k] {
							t.Errorf("%q deleted without a durable intent record", k)
						}
					}
					// After the failed write nothing more goes. One batch at a
					// time, at most the batch whose outcome failed was deleted.
					// With batches in flight (the default), the intents of
					// later ones may precede it: then what was deleted is
					// within the durable intents (above), and
					// TestRunSendsNoDeleteOnceTheJournalFailed checks that
					// nothing starts after the failure.
					if max := 3 * ((n - 1) / 2); par == 1 && len(deleted) > max {
						t.Errorf("%d deleted, want at most %d once write %d failed", len(deleted), max, n)
					}
					if rep.Deleted != int64(len(deleted)) {
						t.Errorf("report says %d deleted, the bucket %d", rep.Deleted, len(deleted))
					}
				})
			}
		}
	}
}

// failingJournal fails its failAt-th write (or, with syncs, the sync
// after it) and every one after.
type failingJournal struct {
	buf     bytes.Buffer
	synced  int // bytes durable
	writes  int
	failAt  int
	syncs   bool
	failing bool
}

func (f *failingJournal) Write(p []byte) (int, error) {
	if f.failing {
		return 0, errors.New("no space left on device")
	}
	f.writes++
	if f.writes == f.failAt && !f.syncs {
		f.failing = true
		f.buf.Write(p[:len(p)/2]) // torn
		return len(p) / 2, errors.New("no space left on device")
	}
	return f.buf.Write(p)
}

func (f *failingJournal) Sync() error {
	if f.failing || f.syncs && f.writes == f.failAt {
		f.failing = true
		return errors.New("fsync: input/output error")
	}
	f.synced = f.buf.Len()
	return nil
}

// durable is what a crash would leave: the synced bytes.
func (f *failingJournal) durable() []byte { return f.buf.Bytes()[:f.synced] }

// cancelingSource cancels the run's context after its nth claim
// returns: a crash between a claim and its delete.
type cancelingSource struct {
	*MemServer
	n      int
	cancel context.CancelFunc
}

func (s *cancelingSource) Claim(ctx context.Context, keys []string) ([]string, error) {
	kept, err := s.MemServer.Claim(ctx, keys)
	if s.n--; s.n == 0 {
		s.cancel()
	}
	return kept, err
}

func TestRunResumesAfterACrash(t *testing.T) {
	for _, env := range envs {
		for _, crash := range []string{"context ends between a claim and its delete", "journal fails on an outcome"} {
			t.Run(env.name+"/"+crash, func(t *testing.T) {
				e := env.new(t)
				garbage, kept := scenario(e)
				for i := range 7 {
					k := pfx + "5/x" + string(rune('a'+i))
					e.write(k)
					garbage = append(garbage, k)
				}
				o := e.opts()
				o.Batch = 3
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				var src Source = e.server
				if crash == "journal fails on an outcome" {
					o.Journal = &failingJournal{failAt: 3}
				} else {
					src = &cancelingSource{MemServer: e.server, n: 2, cancel: cancel}
				}
				first, err := Run(ctx, e.loc, src, o)
				if err == nil {
					t.Fatal("the crashed run returned no error")
				}
				if first.Deleted == int64(len(garbage)) {
					t.Fatalf("the crash came too late: everything was deleted")
				}
				o = e.opts()
				second, err := Run(context.Background(), e.loc, e.server, o)
				if err != nil {
					t.Fatalf("second run: %v", err)
				}
				if got, want := e.keys(), kept; !slices.Equal(got, want) {
					t.Fatalf("after two runs: %q, want %q", got, want)
				}
				if first.Deleted+second.Deleted+second.AlreadyGone < int64(len(garbage)) {
					t.Errorf("deleted %d then %d (+%d gone) of %d", first.Deleted, second.Deleted, second.AlreadyGone, len(garbage))
				}
			})
		}
	}
}

func TestRunTrashMovesObjectsAside(t *testing.T) {
	e := memEnv(t)
	garbage, kept := scenario(e)
	o := e.opts()
	o.Force, o.Trash, o.RunID = false, "byob-trash/", "run-1"
	rep, err := Run(context.Background(), e.loc, e.server, o)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Mode != ModeTrash || rep.Deleted != int64(len(garbage)) {
		t.Fatalf("report %+v", *rep)
	}
	var want []string
	for _, k := range garbage {
		want = append(want, "byob-trash/run-1/"+k)
	}
	if got := e.keys(); !slices.Equal(got, sorted(append(want, kept...)...)) {
		t.Fatalf("bucket %q, want the kept files and the trash %q", got, want)
	}
	for _, k := range garbage {
		data, err := e.loc.Bucket().ReadAll(context.Background(), "byob-trash/run-1/"+k)
		if err != nil || string(data) != k {
			t.Errorf("trash copy of %q: %q, %v", k, data, err)
		}
	}
	if st := e.records()[0]; st.Mode != ModeTrash || st.Trash != "byob-trash/" {
		t.Errorf("start record %+v", st)
	}
	// A second run does not sweep the trash.
	rep, err = Run(context.Background(), e.loc, e.server, o)
	if err != nil || rep.Scanned != int64(len(kept)-1) || rep.Deleted != 0 {
		t.Fatalf("second run: %+v, %v", *rep, err)
	}
}

func TestRunShardsTogetherCollectEverything(t *testing.T) {
	for _, env := range envs {
		t.Run(env.name, func(t *testing.T) {
			e := env.new(t)
			garbage, kept := scenario(e)
			for _, c := range "0123456789abcxyz~ " {
				k := pfx + string(c) + "/g"
				e.write(k)
				garbage = append(garbage, k)
			}
			var deleted, scanned int64
			for i := range 3 {
				o := e.opts()
				o.Shard = Shard{Index: i, Count: 3}
				rep, err := Run(context.Background(), e.loc, e.server, o)
				if err != nil {
					t.Fatalf("shard %d: %v", i, err)
				}
				deleted += rep.Deleted
				scanned += rep.Scanned
			}
			if deleted != int64(len(garbage)) || scanned != int64(len(garbage)+len(kept)-1) {
				t.Errorf("the shards scanned %d and deleted %d, want %d and %d", scanned, deleted, len(garbage)+len(kept)-1, len(garbage))
			}
			if got := e.keys(); !slices.Equal(got, kept) {
				t.Errorf("bucket %q, want %q", got, kept)
			}
		})
	}
}

func TestRunProgress(t *testing.T) {
	e := memEnv(t)
	garbage, _ := scenario(e)
	var got []Progress
	o := e.opts()
	o.Progress = func(p Progress) { got = append(got, p) }
	if _, err := Run(context.Background(), e.loc, e.server, o); err != nil {
		t.Fatal(err)
	}
	var phases []Phase
	for _, p := range got {
		if len(phases) == 0 || phases[len(phases)-1] != p.Phase {
			phases = append(phases, p.Phase)
		}
	}
	if !slices.Equal(phases, []Phase{PhaseCheck, PhaseSweep, PhaseDelete, PhaseUploads, PhaseDone}) {
		t.Errorf("phases %q", phases)
	}
	last := got[len(got)-1]
	if last.Scanned != 6 || last.Candidates != 3 || last.Deleted != int64(len(garbage)) || last.Bytes == 0 {
		t.Errorf("last progress %+v", last)
	}
}

func TestRunLogs(t *testing.T) {
	e := memEnv(t)
	scenario(e)
	var buf bytes.Buffer
	o := e.opts()
	o.Logger = slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	rep, err := Run(context.Background(), e.loc, e.server, o)
	if err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range [][]string{
		{`"msg":"byob gc: run started"`, `"run":"` + rep.RunID + `"`, `"mode":"none"`},
		{`"msg":"byob gc: swept"`, `"candidates":3`},
		{`"msg":"byob gc: batch done"`, `"deleted":3`},
		{`"msg":"byob gc: run done"`, `"deleted":3`},
	} {
		if !hasLine(out, want...) {
			t.Errorf("no log line with %q in:\n%s", want, out)
		}
	}
}

func TestMemServerCheckRecordsNothing(t *testing.T) {
	s := NewMemServer(pfx)
	_ = s.Upload("v", pfx+"a")
	kept, err := s.Check(context.Background(), []string{pfx + "a", pfx + "b"})
	if err != nil || !slices.Equal(kept, []string{pfx + "a"}) {
		t.Fatalf("Check = %q, %v", kept, err)
	}
	if s.Claimed(pfx + "b") {
		t.Fatal("Check claimed a key")
	}
	if err := s.Upload("w", pfx+"b"); err != nil {
		t.Fatalf("upload after Check: %v", err)
	}
}

// TestRunAppendsToAJournalFile: two runs append to one file, synced,
// also when the second opens it without O_APPEND; the reader finds both,
// whole.
func TestRunAppendsToAJournalFile(t *testing.T) {
	e := memEnv(t)
	scenario(e)
	path := filepath.Join(t.TempDir(), "gc.jsonl")
	var ids []string
	for i := range 2 {
		flags := os.O_APPEND | os.O_CREATE | os.O_WRONLY
		if i == 1 {
			flags = os.O_CREATE | os.O_WRONLY // without O_APPEND: the first run must survive
		}
		f, err := os.OpenFile(path, flags, 0o600)
		if err != nil {
			t.Fatal(err)
		}
		o := e.opts()
		o.Journal = f
		rep, err := Run(context.Background(), e.loc, e.server, o)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, rep.RunID)
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, errs := readAllRecords(t, f)
	if len(errs) != 0 {
		t.Fatalf("journal errors: %v", errs)
	}
	var starts []string
	for _, r := range recs {
		if r.Rec == RecStart {
			starts = append(starts, r.Run)
		}
	}
	if !slices.Equal(starts, ids) || ids[0] == ids[1] {
		t.Errorf("runs in the journal %q, want %q (distinct)", starts, ids)
	}
}

func TestReportJSON(t *testing.T) {
	rep := Report{RunID: "r", Mode: ModeVersions, Deleted: 3, Errors: map[string]int64{"PermissionDenied": 1},
		FirstErrors: []error{&Error{Op: "run", Kind: ErrDelete, Detail: "1 failed"}}, Duration: 1500 * time.Millisecond}
	js, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"runId":"r"`, `"mode":"versions"`, `"deleted":3`, `"errors":{"PermissionDenied":1}`,
		`"firstErrors":["byob gc: run: deletes failed: 1 failed"]`, `"duration":"1.5s"`} {
		if !strings.Contains(string(js), want) {
			t.Errorf("%s lacks %s", js, want)
		}
	}
}

// TestRunStoppedDuringTheSweepDeletesNothing: a context that ends while
// the run lists stops it before any claim or delete.
func TestRunStoppedDuringTheSweepDeletesNothing(t *testing.T) {
	for _, env := range envs {
		t.Run(env.name, func(t *testing.T) {
			e := env.new(t)
			garbage, _ := scenario(e)
			before := e.keys()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			o := e.opts()
			o.Progress = func(p Progress) {
				if p.Phase == PhaseSweep {
					cancel()
				}
			}
			rep, err := Run(ctx, e.loc, e.server, o)
			wantKind(t, err, ErrStopped)
			if !errors.Is(err, context.Canceled) {
				t.Errorf("error %v does not say the context was canceled", err)
			}
			if got := e.keys(); !slices.Equal(got, before) || rep.Deleted != 0 {
				t.Fatalf("bucket %q, was %q", got, before)
			}
			for _, k := range garbage {
				if e.server.Claimed(k) {
					t.Errorf("%q claimed", k)
				}
			}
			recs := e.records()
			if got := recKinds(recs); !slices.Equal(got, []string{RecStart, RecEnd}) {
				t.Errorf("journal %q: the end record is written even though the context ended", got)
			}
		})
	}
}

// TestRunKeepsWhatItCouldNotTrash: a copy into the trash that fails
// leaves the object where it was, counted as failed.
func TestRunKeepsWhatItCouldNotTrash(t *testing.T) {
	e := fileEnv(t)
	garbage, _ := scenario(e)
	e.write("byob-trash/r1") // a file where the run's trash folder must go
	before := e.keys()
	o := e.opts()
	o.Force, o.Trash, o.RunID = false, "byob-trash/", "r1"
	rep, err := Run(context.Background(), e.loc, e.server, o)
	wantKind(t, err, ErrDelete)
	if rep.Failed != int64(len(garbage)) || rep.Deleted != 0 {
		t.Errorf("report %+v", *rep)
	}
	if got := e.keys(); !slices.Equal(got, before) {
		t.Errorf("bucket %q, was %q", got, before)
	}
}
