package gc

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/byobkit/byob/internal/faultblob"
)

// Batches in flight: Run claims batch after batch, in order, while the
// deletes of earlier ones go on. These tests hold deletes back with
// hooks until a later batch has been claimed, and check that the journal
// still leads every delete, and that a journal failure stops every
// request not yet sent.

// unblock is how long a hook waits for the step it expects before it
// gives up and lets the run go on: not a measure of speed, only what
// turns a run that never overlaps (the step never comes) into a failed
// test instead of a hung one.
const unblock = 20 * time.Second

// await waits for ch to close, or unblock; it reports whether ch closed.
func await(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	case <-time.After(unblock):
		return false
	}
}

// watchedJournal is a journal that decodes each record as it is written
// and tells onRecord (under its lock): which batches are open (intent
// written, no outcome yet) and which keys a written intent names. With
// failOutcome > 0 it refuses the outcome record of that batch, and every
// write after it, as a full disk does.
type watchedJournal struct {
	mu          sync.Mutex
	buf         bytes.Buffer
	failOutcome int
	failing     bool
	open        map[int]bool
	intended    map[string]bool
	maxOpen     int
	onRecord    func(rec JournalRecord) // called with mu held
}

func newWatchedJournal() *watchedJournal {
	return &watchedJournal{open: map[int]bool{}, intended: map[string]bool{}}
}

func (j *watchedJournal) Write(p []byte) (int, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.failing {
		return 0, errors.New("no space left on device")
	}
	var rec JournalRecord
	if err := json.Unmarshal(bytes.TrimSpace(p), &rec); err != nil {
		return 0, errors.New("a write that is not one whole record: " + err.Error())
	}
	if rec.Rec == RecOutcome && rec.Batch == j.failOutcome {
		j.failing = true
		return 0, errors.New("no space left on device")
	}
	switch rec.Rec {
	case RecIntent:
		j.open[rec.Batch] = true
		j.maxOpen = max(j.maxOpen, len(j.open))
		for _, o := range rec.Objects {
			j.intended[o.Key] = true
		}
	case RecOutcome:
		delete(j.open, rec.Batch)
	}
	if j.onRecord != nil {
		j.onRecord(rec)
	}
	return j.buf.Write(p)
}

// Sync is a no-op: every write is durable here.
func (j *watchedJournal) Sync() error { return nil }

// openBatches is how many batches have an intent and no outcome.
func (j *watchedJournal) openBatches() int {
	j.mu.Lock()
	defer j.mu.Unlock()
	return len(j.open)
}

// isIntended reports whether a written intent names key.
func (j *watchedJournal) isIntended(key string) bool {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.intended[key]
}

// watchedClaims is a source that calls onClaim before each claim, with
// its number (1, 2, …).
type watchedClaims struct {
	Source
	mu      sync.Mutex
	n       int
	onClaim func(n int)
}

func (s *watchedClaims) Claim(ctx context.Context, keys []string) ([]string, error) {
	s.mu.Lock()
	s.n++
	n := s.n
	s.mu.Unlock()
	s.onClaim(n)
	return s.Source.Claim(ctx, keys)
}

// TestRunKeepsSeveralBatchesInFlight: with four deletes in flight and a
// key per batch, every delete is held back until the third claim. That
// claim must come while the first two batches are journalled and not
// yet done: two batches in flight, and never more than the parallelism.
// Each delete follows its intent record, the journal is whole, and the
// report counts exactly what the outcomes say.
func TestRunKeepsSeveralBatchesInFlight(t *testing.T) {
	f := newFixture(t, faultblob.Options{})
	j := newWatchedJournal()
	third := make(chan struct{})
	var mu sync.Mutex
	openAtThird := -1
	var early []string // keys deleted before their intent
	src := &watchedClaims{Source: f.srv, onClaim: func(n int) {
		if n == 3 {
			mu.Lock()
			openAtThird = j.openBatches()
			mu.Unlock()
			close(third)
		}
	}}
	f.onCall = func(op faultblob.Op, key string) {
		if op != faultblob.OpDelete {
			return
		}
		if !j.isIntended(key) {
			mu.Lock()
			early = append(early, key)
			mu.Unlock()
		}
		await(third)
	}
	o := f.runOptions(nil, false, t.TempDir())
	o.Journal, o.Batch, o.Parallelism = j, 1, 4
	r, err := Run(t.Context(), f.loc, src, o)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if openAtThird < 2 {
		t.Errorf("the third claim came with %d batches in flight, want 2: batches do not overlap", openAtThird)
	}
	if j.maxOpen > o.Parallelism {
		t.Errorf("%d batches were in flight at once, more than the %d deletes that may be", j.maxOpen, o.Parallelism)
	}
	if len(early) > 0 {
		t.Errorf("deleted before their intent record was written: %q", early)
	}
	if r.Deleted != int64(len(f.garbage)) || r.Failed != 0 || r.AlreadyGone != 0 || len(r.Errors) != 0 {
		t.Errorf("report: %d deleted, %d failed, %d gone, errors %v; want %d deleted and nothing else",
			r.Deleted, r.Failed, r.AlreadyGone, r.Errors, len(f.garbage))
	}
	intents, outs := journalled(t, j.buf.Bytes(), false)
	slices.Sort(intents[r.RunID])
	if out := outs[r.RunID]; !slices.Equal(intents[r.RunID], f.garbage) || len(out.Deleted) != len(f.garbage) {
		t.Errorf("the journal's intents name %q and its outcomes %d deleted; want every garbage key, deleted", intents[r.RunID], len(out.Deleted))
	}
	if left := f.left(t); len(left) > 0 {
		t.Errorf("garbage left: %q", left)
	}
	f.check(t, false)
}

// gateLog is a log sink that closes failed at the run's message that its
// journal failed: the run logs it once it has stopped every request not
// yet sent.
type gateLog struct {
	once   sync.Once
	failed chan struct{}
}

func (g *gateLog) Write(p []byte) (int, error) {
	if bytes.Contains(p, []byte("the journal failed")) {
		g.once.Do(func() { close(g.failed) })
	}
	return len(p), nil
}

// TestRunSendsNoDeleteOnceTheJournalFailed: two batches in flight (in
// ModeTrash, where a batch copies its objects before it deletes them);
// the first batch's copies wait for the second's intent, the second's
// copies for the journal to refuse the first batch's outcome. From the
// failure on, no delete may be sent: the second batch, journalled but
// not yet deleting, deletes nothing, no later batch is claimed, and Run
// returns the journal's error with the second batch's keys failed.
func TestRunSendsNoDeleteOnceTheJournalFailed(t *testing.T) {
	f := newFixture(t, faultblob.Options{})
	first, second := f.garbage[:2], f.garbage[2:4]
	j := newWatchedJournal()
	j.failOutcome = 1
	intent2 := make(chan struct{})
	j.onRecord = func(rec JournalRecord) {
		if rec.Rec == RecIntent && rec.Batch == 2 {
			close(intent2)
		}
	}
	g := &gateLog{failed: make(chan struct{})}
	var mu sync.Mutex
	var overlapped bool
	var late []string // keys a delete was sent for after the failure
	f.onCall = func(op faultblob.Op, key string) {
		switch {
		case op == faultblob.OpCopy && key == first[0]:
			ok := await(intent2)
			mu.Lock()
			overlapped = ok
			mu.Unlock()
		case op == faultblob.OpCopy && slices.Contains(second, key):
			await(g.failed)
		case op == faultblob.OpDelete:
			select {
			case <-g.failed:
				mu.Lock()
				late = append(late, key)
				mu.Unlock()
			default:
			}
		}
	}
	claims := 0
	src := &watchedClaims{Source: f.srv, onClaim: func(n int) { claims = n }}
	o := f.runOptions(nil, true, t.TempDir())
	o.Journal, o.Batch, o.Parallelism = j, 2, 2
	o.Logger = slog.New(slog.NewTextHandler(g, nil))
	r, err := Run(t.Context(), f.loc, src, o)
	mu.Lock()
	defer mu.Unlock()
	if !overlapped {
		t.Fatal("the second batch's intent never came while the first was copying: batches do not overlap, the test proves nothing")
	}
	if !errors.Is(err, ErrJournal) {
		t.Errorf("Run: %v, want an ErrJournal error", err)
	}
	if len(late) > 0 {
		t.Errorf("deletes sent after the journal failed: %q", late)
	}
	left := f.left(t)
	for _, k := range f.garbage[2:] {
		if !slices.Contains(left, k) {
			t.Errorf("%s, of a batch whose deletes had not started when the journal failed, was deleted", k)
		}
	}
	if claims != 2 {
		t.Errorf("%d claims, want 2: no batch after the failure may be claimed", claims)
	}
	if r.Deleted != int64(len(first)) || r.Failed != int64(len(second)) || r.Errors["Journal"] != 1 {
		t.Errorf("report: %d deleted, %d failed, errors %v; want %d deleted (the first batch), %d failed, Journal 1",
			r.Deleted, r.Failed, r.Errors, len(first), len(second))
	}
	intents, _ := journalled(t, j.buf.Bytes(), false)
	for _, k := range first {
		if !slices.Contains(intents[r.RunID], k) {
			t.Errorf("%s was deleted, and no intent names it", k)
		}
	}
	f.check(t, true)
}

// randParallelism is Options.Parallelism of the randomized tests' runs:
// 1, one delete and so one batch at a time, keeps a seed's history
// replayable; TestRandomizedCollectionWithBatchesInFlight raises it.
var randParallelism = 1

// TestRandomizedCollectionWithBatchesInFlight is TestRandomizedCollection
// with four deletes in flight, so several batches at once (batches of 1
// to 3 keys): clients' steps, nested runs and faults interleave with
// claims of later batches while earlier ones delete. The invariants are
// the same; a seed's history is not exactly replayable, as goroutines
// order the hooks. The seeds are a fifth of the sequential test's.
func TestRandomizedCollectionWithBatchesInFlight(t *testing.T) {
	randParallelism = 4
	defer func() { randParallelism = 1 }()
	first, n := seedRange(t)
	n = max(1, n/5)
	for _, s := range servers {
		if !s.keeps {
			continue
		}
		t.Run(s.name, func(t *testing.T) {
			var all tally
			var overlaps int
			spool := t.TempDir()
			for seed := first; seed < first+n; seed++ {
				w := play(t.Context(), t, seed, s.new(), spool, &all)
				if len(w.broken) > 0 {
					t.Fatalf("seed %d: %s\n\thistory:\n\t%s", seed, w.broken[0], w.history())
				}
				overlaps += overlapping(w.journal.Bytes())
			}
			t.Logf("%d runs (%d failed under faults): %d deleted, %d kept on claim; %d intents written while an earlier batch was open",
				all.runs, all.failedRuns, all.deleted, all.keptClaim, overlaps)
			if (all.deleted == 0 || overlaps == 0) && n >= 20 {
				t.Errorf("over %d seeds, %d files deleted, %d batches overlapped: the test exercises nothing", n, all.deleted, overlaps)
			}
		})
	}
}

// overlapping counts the intent records of a journal written while an
// earlier batch of the same run had no outcome yet.
func overlapping(journal []byte) int {
	open := map[string]map[int]bool{}
	n := 0
	for rec, err := range ReadJournal(bytes.NewReader(journal)) {
		if err != nil {
			continue
		}
		if open[rec.Run] == nil {
			open[rec.Run] = map[int]bool{}
		}
		switch rec.Rec {
		case RecIntent:
			if len(open[rec.Run]) > 0 {
				n++
			}
			open[rec.Run][rec.Batch] = true
		case RecOutcome:
			delete(open[rec.Run], rec.Batch)
		}
	}
	return n
}

// faultParallelism is Options.Parallelism of the fault tests' runs: 1
// keeps a crash point deterministic; the tests below raise it.
var faultParallelism = 1

// TestRunUnderRandomFaultsWithBatchesInFlight is TestRunUnderRandomFaults
// with four deletes in flight: two batches of 5 at once. Faults, crashes
// and the resumed runs land while batches overlap; the invariants are the
// same.
func TestRunUnderRandomFaultsWithBatchesInFlight(t *testing.T) {
	faultParallelism = 4
	defer func() { faultParallelism = 1 }()
	TestRunUnderRandomFaults(t)
}

// TestRunDeletesNothingTheSourceCannotVouchForWithBatchesInFlight is
// TestRunDeletesNothingTheSourceCannotVouchFor with batches in flight: a
// failed claim still deletes nothing of its batch, and the batches before
// it finish.
func TestRunDeletesNothingTheSourceCannotVouchForWithBatchesInFlight(t *testing.T) {
	faultParallelism = 4
	defer func() { faultParallelism = 1 }()
	TestRunDeletesNothingTheSourceCannotVouchFor(t)
}
