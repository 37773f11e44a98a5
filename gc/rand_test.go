package gc

import (
	"bytes"
	"context"
	"flag"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/byobkit/byob/address"
	"github.com/byobkit/byob/internal/faultblob"
	"github.com/byobkit/byob/provider"
	"github.com/byobkit/byob/scope"
)

// The randomized tests of the collector: clients upload, deduplicate,
// commit and delete versions while gc.Run collects, their steps
// interleaved at every call the run makes (each bucket request, each live
// key read, before each claim and between a claim and its deletes). After
// every step, every file a committed version names must be in the bucket;
// after the clients stop and the grace period passes, a run must leave no
// garbage. Against servers that break the claim contract, the same test
// must find a lost file: that is what shows it can fail.

var gcSeeds = flag.Int("gc.seeds", 0, "seeds per server model in the randomized gc tests (0: "+strconv.Itoa(defaultSeeds)+", or $BYOB_GC_SEEDS)")

var gcSeed = flag.Int64("gc.seed", -1, "replay one seed of the randomized gc tests, logging its history")

// defaultSeeds keeps the tests to a few seconds (-gc.seeds=20000 for a
// long run); -short divides it by 10.
const defaultSeeds = 500

// seedRange is the seeds each model runs: 0 to n-1, or the one -gc.seed
// names.
func seedRange(t *testing.T) (first, n uint64) {
	if *gcSeed >= 0 {
		return uint64(*gcSeed), 1
	}
	return 0, uint64(seeds(t))
}

// catchRange is seedRange for the tests that must catch a broken model:
// -short does not shorten it, as they stop at the first catch.
func catchRange(t *testing.T) (first, n uint64) {
	if *gcSeed >= 0 || !testing.Short() || *gcSeeds > 0 {
		return seedRange(t)
	}
	return 0, defaultSeeds
}

// seeds is how many seeds each model runs.
func seeds(t *testing.T) int {
	n := defaultSeeds
	if v, err := strconv.Atoi(os.Getenv("BYOB_GC_SEEDS")); err == nil && v > 0 {
		n = v
	}
	if *gcSeeds > 0 {
		n = *gcSeeds
	}
	if testing.Short() && *gcSeeds == 0 {
		n /= 10
	}
	t.Logf("%d seeds", n)
	return n
}

// location opens a location over the world's fault bucket.
func (w *world) location(tb testing.TB) *scope.Location {
	tb.Helper()
	a, err := address.Parse("mem://gc-rand")
	if err != nil {
		tb.Fatal(err)
	}
	reg, err := scope.New(context.Background(), scope.Config{Deployment: scope.Testing, Instance: a, Store: scope.NewMemStore(),
		Open: func(_ context.Context, a *address.Address) (*provider.Handle, error) {
			return provider.NewHandle(a, w.fb.Open()), nil
		},
		Check: func(context.Context, *address.Address) ([]string, error) { return nil, nil }})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { reg.Close() })
	loc, err := reg.Instance()
	if err != nil {
		tb.Fatal(err)
	}
	return loc
}

// tally sums what the runs of many seeds did, to show the test is not
// vacuous: files deleted, kept as too young and kept on claim, and races
// the claim closed.
type tally struct {
	mu                                 sync.Mutex
	runs, deleted, tooYoung, keptClaim int64
	failedRuns                         int64 // runs that ended with an error (a fault)
	steps                              map[string]int
}

func (t *tally) add(w *world, r *Report) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.steps == nil {
		t.steps = map[string]int{}
	}
	if r != nil {
		t.runs++
		if len(r.Errors) > 0 {
			t.failedRuns++
		}
		t.deleted += r.Deleted
		t.tooYoung += r.TooYoung
		t.keptClaim += r.KeptOnClaim
	}
	if w != nil {
		for k, n := range w.counts {
			t.steps[k] += n
		}
	}
}

// history is the tail of a world's log, for a failure's message; all of
// it when one seed is replayed (-gc.seed).
func (w *world) history() string {
	log := w.log
	if len(log) > 80 && *gcSeed < 0 {
		log = log[len(log)-80:]
	}
	return strings.Join(log, "\n\t")
}

// runSpec is one collector run of the model.
type runSpec struct {
	nested  bool // another run ran inside this one
	shard   Shard
	dry     bool // a dry run: nothing deleted, nothing claimed
	writers bool // the clients' steps are interleaved with the run's calls
	batch   int
}

// randomSpec draws a run: the whole keyspace, or one time in four a
// shard of 2 or 3 (a sharded listing costs a request per first byte), a
// dry run one time in eight, batches of 1 to 3 keys (so that a run claims
// many times).
func (w *world) randomSpec(writers bool) runSpec {
	n := 1
	if w.rng.IntN(4) == 0 {
		n = 2 + w.rng.IntN(2)
	}
	return runSpec{shard: Shard{Index: w.rng.IntN(n), Count: n}, dry: w.rng.IntN(8) == 0, writers: writers, batch: 1 + w.rng.IntN(3)}
}

// options are a run's options in the model: the model's margins on its
// clock, Force (the grace period is below MinMinAge, and mem keeps no
// versions), the world's journal, and one delete at a time (unless
// randParallelism says otherwise).
func (w *world) options(spec runSpec) Options {
	o := Options{MinAge: w.minAge, UploadExpiry: modelExpiry, ClockSkew: modelSkew, Force: true, Shard: spec.shard, DryRun: spec.dry,
		Journal: journalHook{w}, Batch: spec.batch, Parallelism: randParallelism, SpoolDir: w.spool, Now: w.clock.Now, SkipUploads: true, Trash: w.trash}
	return o
}

// journalHook is the world's journal, with client steps before each
// record: between an intent and its deletes, an outcome and the next
// claim.
type journalHook struct{ w *world }

func (j journalHook) Write(p []byte) (int, error) {
	j.w.interleave(context.Background())
	j.w.mu.Lock()
	defer j.w.mu.Unlock()
	return j.w.journal.Write(p)
}

// collect runs the collector once. It may run inside another run's hook
// (a second collector, interleaved with the first).
func (w *world) collect(ctx context.Context, spec runSpec) *Report {
	w.mu.Lock()
	o := w.options(spec)
	outer := w.writers
	w.writers = spec.writers
	w.active = append(w.active, &spec)
	w.logf("collector runs (shard %s, batch %d, dry %v, inside another %v)", spec.shard, spec.batch, spec.dry, len(w.active) > 1)
	w.mu.Unlock()
	r, err := Run(ctx, w.loc, claimHook{w: w, src: w.srv, spec: &spec}, o)
	w.mu.Lock()
	defer w.mu.Unlock()
	w.writers = outer
	w.active = slices.DeleteFunc(w.active, func(s *runSpec) bool { return s == &spec })
	switch {
	case err != nil && len(w.fb.Injected()) == 0:
		w.fail("Run, with no fault injected: %v", err)
	case err != nil && len(r.Errors) == 0:
		w.fail("Run: %v, and its report counts no error", err)
	case err != nil:
		w.logf("collector fails: %v", err)
	}
	w.logf("collector ends: %d deleted, %d too young, %d kept on claim", r.Deleted, r.TooYoung, r.KeptOnClaim)
	if !spec.dry {
		w.checkOutcomes(r)
	}
	w.checkLive(ctx)
	return r
}

// checkOutcomes checks that the journal's outcome records of run r say
// what its report counts: deleted, already gone, failed.
func (w *world) checkOutcomes(r *Report) {
	var deleted, gone, failed int64
	for rec, err := range ReadJournal(bytes.NewReader(w.journal.Bytes())) {
		if err != nil {
			w.fail("journal: %v", err)
			return
		}
		if rec.Run == r.RunID && rec.Rec == RecOutcome {
			deleted, gone, failed = deleted+int64(len(rec.Deleted)), gone+int64(len(rec.Gone)), failed+int64(len(rec.Failed))
		}
	}
	if deleted != r.Deleted || gone != r.AlreadyGone || failed != r.Failed {
		w.fail("run %s: the journal's outcomes say %d deleted, %d gone, %d failed; its report %d, %d, %d",
			r.RunID, deleted, gone, failed, r.Deleted, r.AlreadyGone, r.Failed)
	}
}

// play runs one seed's history against srv: steps, with collector runs
// among them; then the clients stop, time passes, and a last run must
// leave no garbage. It returns the world, whose broken lists what the
// invariants found.
func play(ctx context.Context, tb testing.TB, seed uint64, srv modelServer, spool string, all *tally) *world {
	return playWith(ctx, tb, seed, srv, spool, all, 0, 0)
}

// playWith is play with versions that commit at the soonest after and
// at the latest within their first upload (0: the world's defaults).
func playWith(ctx context.Context, tb testing.TB, seed uint64, srv modelServer, spool string, all *tally, after, within time.Duration) *world {
	fo := faultblob.Options{Seed: seed}
	if seed%3 == 2 {
		// Every third seed, the store refuses some deletes and copies, and
		// fails a listing now and then (none of them is retried, so the
		// seeds stay fast).
		fo.Rules = []faultblob.Rule{
			{Op: faultblob.OpDelete, Kind: faultblob.Denied, Rate: 0.1},
			{Op: faultblob.OpDelete, Kind: faultblob.DisguisedDenied, Rate: 0.1},
			{Op: faultblob.OpCopy, Kind: faultblob.Denied, Rate: 0.1},
			{Op: faultblob.OpList, Kind: faultblob.Denied, Rate: 0.05},
		}
	}
	w := newWorld(seed, srv, fo)
	if within > 0 {
		w.commitWithin = within
	}
	w.commitAfter = after
	w.loc = w.location(tb)
	w.spool = spool
	if seed%2 == 1 {
		w.trash = faultTrash
	}
	w.onRun = func(r *Report) { all.add(nil, r) }
	const steps = 60
	for range steps {
		w.mu.Lock()
		run := w.rng.IntN(8) == 0
		var spec runSpec
		if run {
			spec = w.randomSpec(true)
		}
		w.mu.Unlock()
		if run {
			all.add(nil, w.collect(ctx, spec))
		} else {
			w.step(ctx)
		}
		if len(w.broken) > 0 {
			return w
		}
	}
	w.quiesce(ctx)
	w.fb.Heal()
	// The clients have stopped: the shards of one count, run one after
	// the other, must leave no garbage.
	w.mu.Lock()
	count := 1 + w.rng.IntN(2)
	w.mu.Unlock()
	for i := range count {
		all.add(nil, w.collect(ctx, runSpec{shard: Shard{Index: i, Count: count}, batch: 2}))
	}
	all.add(w, nil)
	if g := w.garbage(ctx); len(g) > 0 {
		w.fail("after the clients stopped and the grace period passed, a finished run left garbage: %q", g)
	}
	w.checkJournal(ctx, w.trash)
	return w
}

func TestRandomizedCollection(t *testing.T) {
	first, n := seedRange(t)
	for i, s := range servers {
		if !s.keeps {
			continue
		}
		n := n
		if i > 0 && n > 1 {
			n = max(1, n/5) // the other correct models are secondary: fewer seeds
		}
		t.Run(s.name, func(t *testing.T) {
			var all tally
			spool := t.TempDir()
			for seed := first; seed < first+n; seed++ {
				w := play(t.Context(), t, seed, s.new(), spool, &all)
				if len(w.broken) > 0 {
					t.Fatalf("seed %d: %s\n\thistory (replay with -gc.seed=%d):\n\t%s", seed, w.broken[0], seed, w.history())
				}
				if n == 1 {
					t.Logf("seed %d:\n\t%s", seed, strings.Join(w.log, "\n\t"))
				}
			}
			t.Logf("%d runs (%d failed under faults): %d deleted, %d too young, %d kept on claim; steps %v",
				all.runs, all.failedRuns, all.deleted, all.tooYoung, all.keptClaim, all.steps)
			// The history must have exercised what the test is about.
			for what, got := range map[string]int64{
				"files deleted": all.deleted, "files kept as too young": all.tooYoung, "files kept on claim": all.keptClaim,
				"runs failed under faults":             all.failedRuns,
				"deduplications refused as claimed":    int64(all.steps["reuse refused as claimed"]),
				"deduplications of unreferenced files": int64(all.steps["reuse of an unreferenced key"]),
			} {
				if got == 0 && n >= 100 {
					t.Errorf("no %s over %d seeds: the model does not exercise them", what, n)
				}
			}
		})
	}
}

// TestRandomizedCollectionCatchesBrokenServers: against a server that
// breaks the claim contract, the randomized test finds a lost file within
// the seed budget. A test that cannot fail proves nothing.
func TestRandomizedCollectionCatchesBrokenServers(t *testing.T) {
	first, n := catchRange(t)
	for _, s := range servers {
		if s.keeps {
			continue
		}
		t.Run(s.name, func(t *testing.T) {
			spool := t.TempDir()
			var all tally
			for seed := first; seed < first+n; seed++ {
				w := play(t.Context(), t, seed, s.new(), spool, &all)
				if len(w.broken) > 0 {
					t.Logf("caught at seed %d (%d seeds allowed): %s", seed, n, w.broken[0])
					if n == 1 {
						t.Logf("history:\n\t%s", strings.Join(w.log, "\n\t"))
					}
					return
				}
			}
			t.Errorf("a server whose %s lost no file over %d seeds: the randomized test cannot catch it", s.name, n)
		})
	}
}

// TestRandomizedCollectionCatchesAShortGracePeriod: against a server that
// does not track uploads, only the grace period keeps an upload whose
// version has not committed yet, and only if versions commit within it.
// When they may take longer, the test must see a file lost: it sees what
// the grace period guards. (Run refuses a MinAge below UploadExpiry +
// ClockSkew, so it is the clients that are made slower here.)
func TestRandomizedCollectionCatchesAShortGracePeriod(t *testing.T) {
	first, n := catchRange(t)
	slow := modelMinAge + 2*modelExpiry
	var all tally
	spool := t.TempDir()
	for seed := first; seed < first+n; seed++ {
		w := playWith(t.Context(), t, seed, untrackedServer{NewMemServer(pfx), map[string][]string{}}, spool, &all, modelMinAge, slow)
		if len(w.broken) > 0 {
			t.Logf("caught at seed %d (%d seeds allowed): %s", seed, n, w.broken[0])
			return
		}
	}
	t.Errorf("versions that take %v to %v to commit lost no file to a grace period of %v over %d seeds", modelMinAge, slow, modelMinAge, n)
}
