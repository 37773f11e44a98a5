package gc

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/byobkit/byob/internal/faultblob"
	"gocloud.dev/blob"
)

// Runs of gc.Run on a bucket that fails as cloud stores do (faultblob):
// transient errors and throttling are retried, keys refused are reported
// one by one (in the report and the journal) and never counted as gone,
// and a run crashed at any step leaves a journal that names every delete
// it made, and a bucket the next run finishes cleaning. No live file is
// ever lost: the model's checks run on every delete.

// faultTrash is the trash prefix of runs in ModeTrash.
const faultTrash = "byob-trash/"

// fixture is a world at rest for the fault tests: old garbage (deleted
// versions' files, past the grace period), files of live versions, and
// young garbage the grace period keeps.
type fixture struct {
	*world
	garbage, live, young []string
}

func newFixture(t *testing.T, o faultblob.Options) *fixture {
	t.Helper()
	w := newWorld(o.Seed, NewMemServer(pfx), o)
	f := &fixture{world: w}
	n := 0
	add := func(id string, keep bool) string {
		n++
		k := keyOf(n, digest(0))
		err := errors.Join(w.srv.Upload(id, k), w.inner.WriteAll(context.Background(), k, []byte("content of "+k), nil), w.srv.Commit(id))
		w.fb.SetModTime(k, w.clock.Now())
		if !keep {
			err = errors.Join(err, w.srv.Delete(id))
		}
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	for i := range 12 {
		f.garbage = append(f.garbage, add("g"+strconv.Itoa(i), false))
	}
	for i := range 4 {
		v := &version{id: "l" + strconv.Itoa(i)}
		v.keys = []string{add(v.id, true)}
		w.live = append(w.live, v)
		f.live = append(f.live, v.keys[0])
	}
	w.clock.advance(modelMinAge + time.Minute)
	for i := range 3 {
		f.young = append(f.young, add("y"+strconv.Itoa(i), false))
	}
	slices.Sort(f.garbage)
	w.loc = w.location(t)
	return f
}

// runOptions are a fault run's options: the model's margins, batches of 5,
// one delete at a time (so that a crash point is deterministic; unless
// faultParallelism says otherwise).
func (f *fixture) runOptions(journal *bytes.Buffer, trash bool, spool string) Options {
	o := Options{MinAge: modelMinAge, UploadExpiry: modelExpiry, ClockSkew: modelSkew, Force: true,
		Journal: journal, Batch: 5, Parallelism: faultParallelism, SpoolDir: spool, Now: f.clock.Now, SkipUploads: true}
	if trash {
		o.Trash = faultTrash
	}
	return o
}

// left returns the garbage still in the bucket, in order.
func (f *fixture) left(t *testing.T) []string {
	t.Helper()
	var out []string
	for _, k := range f.garbage {
		if ok, err := f.inner.Exists(context.Background(), k); err != nil {
			t.Fatal(err)
		} else if ok {
			out = append(out, k)
		}
	}
	return out
}

// check asserts the safety invariants: every live file and every young
// one is there, no delete hit a live key, and in ModeTrash every garbage
// file gone has a copy in the trash with its bytes.
func (f *fixture) check(t *testing.T, trash bool) {
	t.Helper()
	ctx := context.Background()
	f.mu.Lock()
	f.checkLive(ctx)
	f.mu.Unlock()
	for _, k := range f.young {
		if ok, _ := f.inner.Exists(ctx, k); !ok {
			t.Errorf("%s, modified within the grace period, was deleted", k)
		}
	}
	if len(f.broken) > 0 {
		t.Fatalf("a live file was lost: %s", f.broken[0])
	}
	if !trash {
		return
	}
	copies := map[string][]byte{}
	it := f.inner.List(&blob.ListOptions{Prefix: faultTrash})
	for {
		o, err := it.Next(ctx)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		// byob-trash/<run>/<key>
		rest := strings.TrimPrefix(o.Key, faultTrash)
		key := rest[strings.IndexByte(rest, '/')+1:]
		b, err := f.inner.ReadAll(ctx, o.Key)
		if err != nil {
			t.Fatal(err)
		}
		copies[key] = b
	}
	left := f.left(t)
	for _, k := range f.garbage {
		if slices.Contains(left, k) {
			continue
		}
		if want := "content of " + k; string(copies[k]) != want {
			t.Errorf("%s was deleted in ModeTrash, and its trash copy holds %q, want %q", k, copies[k], want)
		}
	}
}

// journalled reads a journal and returns, by run, the keys of its intent
// records and of its outcomes' deleted, gone and failed lists. Only a torn
// record is tolerated, and only if allowTorn.
func journalled(t *testing.T, journal []byte, allowTorn bool) (intents map[string][]string, outcomes map[string]JournalRecord) {
	t.Helper()
	intents, outcomes = map[string][]string{}, map[string]JournalRecord{}
	for rec, err := range ReadJournal(bytes.NewReader(journal)) {
		if err != nil {
			if allowTorn && errors.Is(err, ErrTornRecord) {
				continue
			}
			t.Fatalf("journal: %v\n%s", err, journal)
		}
		switch rec.Rec {
		case RecIntent:
			for _, o := range rec.Objects {
				intents[rec.Run] = append(intents[rec.Run], o.Key)
			}
		case RecOutcome:
			out := outcomes[rec.Run]
			out.Deleted = append(out.Deleted, rec.Deleted...)
			out.Gone = append(out.Gone, rec.Gone...)
			out.Failed = append(out.Failed, rec.Failed...)
			outcomes[rec.Run] = out
		}
	}
	return intents, outcomes
}

// failedKeys are the keys whose failures an outcome lists, by kind.
func failedKeys(out JournalRecord) map[string][]string {
	m := map[string][]string{}
	for _, f := range out.Failed {
		m[f.Kind] = append(m[f.Kind], f.Key)
	}
	for _, ks := range m {
		slices.Sort(ks)
	}
	return m
}

// injectedKeys are the data keys the bucket injected a fault for with op
// (a trash copy's key counts as its object's).
func injectedKeys(fb *faultblob.Bucket, op faultblob.Op) []string {
	var ks []string
	for _, in := range fb.Injected() {
		if in.Op != op {
			continue
		}
		k := in.Key
		if rest, ok := strings.CutPrefix(k, faultTrash); ok {
			k = rest[strings.IndexByte(rest, '/')+1:]
		}
		if !slices.Contains(ks, k) {
			ks = append(ks, k)
		}
	}
	slices.Sort(ks)
	return ks
}

func modes() []bool { return []bool{false, true} }

func modeName(trash bool) string {
	if trash {
		return "trash"
	}
	return "none"
}

// TestRunRetriesTransientFaults: deletes that fail for a while (500, 503
// SlowDown, 429, 504) are sent again and succeed, one at a time or many
// in parallel (AIMD lowers the parallelism, then restores it): the run
// ends clean, having collected all the old garbage, and counts the retries
// among its requests.
func TestRunRetriesTransientFaults(t *testing.T) {
	for _, kind := range []faultblob.Kind{faultblob.Internal, faultblob.Unavailable, faultblob.TooManyRequests, faultblob.Timeout} {
		for _, par := range []int{1, 4} {
			t.Run(fmt.Sprintf("%s, %d in parallel", kind, par), func(t *testing.T) {
				f := newFixture(t, faultblob.Options{Seed: 7, Rules: []faultblob.Rule{{Op: faultblob.OpDelete, Kind: kind, Rate: 0.3, Times: 2}}})
				var journal bytes.Buffer
				o := f.runOptions(&journal, false, t.TempDir())
				o.Parallelism = par
				r, err := Run(t.Context(), f.loc, f.srv, o)
				if err != nil {
					t.Fatalf("Run: %v (report %+v)", err, r)
				}
				injected := len(f.fb.Injected())
				if injected == 0 {
					t.Fatal("no fault was injected: the test proves nothing")
				}
				if r.Deleted != int64(len(f.garbage)) || r.Failed != 0 || r.AlreadyGone != 0 || len(r.Errors) != 0 {
					t.Errorf("report: %d deleted, %d failed, %d gone, errors %v; want %d deleted and nothing else", r.Deleted, r.Failed, r.AlreadyGone, r.Errors, len(f.garbage))
				}
				if want := int64(len(f.garbage) + injected); r.Requests != want {
					t.Errorf("Requests = %d, want %d (one per key, plus one per retry)", r.Requests, want)
				}
				if left := f.left(t); len(left) > 0 {
					t.Errorf("garbage left after a clean run: %q", left)
				}
				_, outs := journalled(t, journal.Bytes(), false)
				if got := outs[r.RunID].Deleted; len(got) != len(f.garbage) {
					t.Errorf("the journal's outcomes list %d deleted, want %d", len(got), len(f.garbage))
				}
				f.check(t, false)
			})
		}
	}
}

// TestRunReportsEveryFailedKey: keys a store refuses while it deletes the
// rest of the batch are reported one by one, under their kind, in
// Report.Errors and in the journal's outcome, and never as already gone;
// they stay in the bucket, and once the store is healed the next run
// collects them.
func TestRunReportsEveryFailedKey(t *testing.T) {
	for _, tc := range []struct {
		name  string
		trash bool
		rule  faultblob.Rule
		kind  string // the kind the failures are reported under
	}{
		{"a refused delete of some keys", false, faultblob.Rule{Op: faultblob.OpDelete, Kind: faultblob.Denied, Rate: 0.4}, "PermissionDenied"},
		{"a refused delete the driver reports as NotFound is refused, not gone", false,
			faultblob.Rule{Op: faultblob.OpDelete, Kind: faultblob.DisguisedDenied, Rate: 0.4}, "PermissionDenied"},
		{"a refused delete after the trash copy", true, faultblob.Rule{Op: faultblob.OpDelete, Kind: faultblob.Denied, Rate: 0.4}, "PermissionDenied"},
		{"a refused copy into the trash deletes nothing", true, faultblob.Rule{Op: faultblob.OpCopy, Kind: faultblob.Denied, Rate: 0.4}, "PermissionDenied"},
		{"a copy into the trash refused as NotFound deletes nothing", true,
			faultblob.Rule{Op: faultblob.OpCopy, Kind: faultblob.DisguisedDenied, Rate: 0.4}, "PermissionDenied"},
		{"a transient copy into the trash is not retried but reported", true,
			faultblob.Rule{Op: faultblob.OpCopy, Kind: faultblob.Unavailable, Rate: 0.4}, "ResourceExhausted"},
		{"a trash copy that cannot be verified deletes nothing", true,
			faultblob.Rule{Op: faultblob.OpAttributes, Kind: faultblob.Internal, Rate: 0.3, Prefix: faultTrash}, "Internal"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, faultblob.Options{Seed: 3, Rules: []faultblob.Rule{tc.rule}})
			var journal bytes.Buffer
			r, err := Run(t.Context(), f.loc, f.srv, f.runOptions(&journal, tc.trash, t.TempDir()))
			refused := injectedKeys(f.fb, tc.rule.Op)
			if len(refused) == 0 || len(refused) == len(f.garbage) {
				t.Fatalf("%d of %d keys refused: the test needs some of each", len(refused), len(f.garbage))
			}
			if !errors.Is(err, ErrDelete) {
				t.Errorf("Run: %v, want an ErrDelete error", err)
			}
			n := int64(len(refused))
			if r.Failed != n || r.Errors[tc.kind] != n || len(r.Errors) != 1 || r.AlreadyGone != 0 || r.Deleted != int64(len(f.garbage))-n {
				t.Errorf("report: %d deleted, %d failed, %d gone, errors %v; want %d deleted, %d failed as %s, none gone",
					r.Deleted, r.Failed, r.AlreadyGone, r.Errors, int64(len(f.garbage))-n, n, tc.kind)
			}
			if len(r.FirstErrors) == 0 {
				t.Error("no FirstErrors")
			}
			_, outs := journalled(t, journal.Bytes(), false)
			out := outs[r.RunID]
			if got := failedKeys(out); len(got) != 1 || !slices.Equal(got[tc.kind], refused) {
				t.Errorf("journal: failed %v, want %q as %s", got, refused, tc.kind)
			}
			if len(out.Gone) > 0 {
				t.Errorf("journal: %q already gone, want none", out.Gone)
			}
			if left := f.left(t); !slices.Equal(left, refused) {
				t.Errorf("left %q, want the refused keys %q", left, refused)
			}
			f.check(t, tc.trash)

			f.fb.Heal()
			r, err = Run(t.Context(), f.loc, f.srv, f.runOptions(&journal, tc.trash, t.TempDir()))
			if err != nil || r.Deleted != n {
				t.Errorf("the run after the store healed: %d deleted, %v; want %d, no error", r.Deleted, err, n)
			}
			if left := f.left(t); len(left) > 0 {
				t.Errorf("garbage left after the second run: %q", left)
			}
			f.check(t, tc.trash)
		})
	}
}

// crasher kills a run at its nth step: a bucket call, a journal write or
// a call of the source. From then on the bucket fails every call, the
// journal write under way is torn and later ones fail, the source fails,
// and the run's context is cancelled.
type crasher struct {
	mu      sync.Mutex
	at, n   int
	crashed bool
	what    string // the step it crashed at
	fb      *faultblob.Bucket
	cancel  context.CancelFunc
}

var errKilled = errors.New("the process was killed")

// step counts a step (what it is), crashes at the nth, and reports
// whether the process is dead.
func (c *crasher) step(what string) bool {
	c.mu.Lock()
	c.n++
	crash := c.at > 0 && c.n == c.at
	if crash {
		c.crashed, c.what = true, what
	}
	dead := c.crashed
	c.mu.Unlock()
	if crash {
		c.fb.Crash()
		c.cancel()
	}
	return dead
}

func (c *crasher) steps() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n
}

// crashJournal is a journal that the crasher tears.
type crashJournal struct {
	c *crasher
	w *bytes.Buffer
}

func (j crashJournal) Write(p []byte) (int, error) {
	if j.c.step("journal write " + strconv.Quote(string(p[:min(len(p), 30)])) + "…") {
		n, _ := j.w.Write(p[:len(p)/2])
		return n, errKilled
	}
	return j.w.Write(p)
}

// crashSource is a source that dies with the crasher.
type crashSource struct {
	c   *crasher
	src Source
}

func (s crashSource) Live(ctx context.Context, shard Shard) iter.Seq2[string, error] {
	if s.c.step("live stream") {
		return func(yield func(string, error) bool) { yield("", errKilled) }
	}
	return s.src.Live(ctx, shard)
}

func (s crashSource) Claim(ctx context.Context, keys []string) ([]string, error) {
	if s.c.step(fmt.Sprintf("claim of %d keys", len(keys))) {
		return nil, errKilled
	}
	return s.src.Claim(ctx, keys)
}

// crashRun runs once, crashing at step at (0: never), and returns the
// report, the error, how many steps the run made and what step it
// crashed at.
func crashRun(t *testing.T, f *fixture, journal *bytes.Buffer, trash bool, at int) (r *Report, steps int, what string, err error) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	c := &crasher{at: at, fb: f.fb, cancel: cancel}
	f.onCall = func(op faultblob.Op, key string) { c.step(string(op) + " " + key) }
	defer func() { f.onCall = nil }()
	o := f.runOptions(nil, trash, t.TempDir())
	o.Journal = crashJournal{c: c, w: journal}
	r, err = Run(ctx, f.loc, crashSource{c: c, src: f.srv}, o)
	return r, c.steps(), c.what, err
}

// TestRunResumesAfterACrashAtEveryStep: a run killed at any step (any
// bucket call, journal write or source call) loses no live file, has
// journalled every delete it made before making it, reports its error;
// and the next run, appending to the same journal, finishes the job
// without an error.
func TestRunResumesAfterACrashAtEveryStep(t *testing.T) {
	for _, trash := range modes() {
		t.Run(modeName(trash), func(t *testing.T) {
			var journal bytes.Buffer
			_, total, _, err := crashRun(t, newFixture(t, faultblob.Options{}), &journal, trash, 0)
			if err != nil {
				t.Fatalf("the run without a crash: %v", err)
			}
			t.Logf("a run makes %d steps", total)
			for at := 1; at <= total; at++ {
				t.Run(fmt.Sprintf("step %d", at), func(t *testing.T) {
					f := newFixture(t, faultblob.Options{})
					var journal bytes.Buffer
					r, _, what, err := crashRun(t, f, &journal, trash, at)
					if err == nil {
						t.Fatalf("crashed at %s: Run returned no error", what)
					}
					// A crash at the end record is TestRunReportCountsTheJournalErrorThatEndsIt.
					if (len(r.Errors) == 0 || len(r.FirstErrors) == 0) && at < total {
						t.Errorf("crashed at %s: Run returned %q, and its report holds no error: Errors %v, FirstErrors %v", what, err, r.Errors, r.FirstErrors)
					}
					f.check(t, trash)
					intents, outs := journalled(t, journal.Bytes(), true)
					left := f.left(t)
					for _, k := range f.garbage {
						if !slices.Contains(left, k) && !slices.Contains(intents[r.RunID], k) {
							t.Errorf("%s was deleted, and no intent record of the journal names it", k)
						}
					}
					for _, k := range outs[r.RunID].Deleted {
						if slices.Contains(left, k) {
							t.Errorf("the journal's outcome says %s was deleted, and it is still there", k)
						}
					}

					f.fb.Heal()
					r2, _, _, err := crashRun(t, f, &journal, trash, 0)
					if err != nil {
						t.Fatalf("the resumed run: %v", err)
					}
					if after := f.left(t); len(after) > 0 {
						t.Errorf("the resumed run left garbage: %q", after)
					}
					if r2.Deleted != int64(len(left)) || r2.AlreadyGone != 0 {
						t.Errorf("the resumed run deleted %d, %d already gone; %d were left", r2.Deleted, r2.AlreadyGone, len(left))
					}
					f.check(t, trash)
					journalled(t, journal.Bytes(), true)
				})
			}
		})
	}
}

// TestRunCountsAnObjectGoneBeforeItsTrashCopyIsCheckedAsGone: in
// ModeTrash, when the object goes (another collector of the same shard,
// a resumed run still running) between this run's copy into the trash and
// its check of the copy, the object is already gone: Run must count it so,
// not as a failure with an error.
func TestRunCountsAnObjectGoneBeforeItsTrashCopyIsCheckedAsGone(t *testing.T) {
	var f *fixture
	taken := false
	f = newFixture(t, faultblob.Options{})
	f.onCall = func(op faultblob.Op, key string) {
		if op == faultblob.OpAttributes && key == f.garbage[0] && !taken {
			taken = true
			if err := f.inner.Delete(context.Background(), key); err != nil {
				t.Error(err)
			}
		}
	}
	var journal bytes.Buffer
	r, err := Run(t.Context(), f.loc, f.srv, f.runOptions(&journal, true, t.TempDir()))
	if !taken {
		t.Fatal("the run never checked its trash copy: the test proves nothing")
	}
	if err != nil || r.AlreadyGone != 1 || r.Failed != 0 || r.Deleted != int64(len(f.garbage)-1) {
		t.Errorf("Run: %v; %d deleted, %d already gone, %d failed (errors %v); want no error, %d deleted, 1 gone",
			err, r.Deleted, r.AlreadyGone, r.Failed, r.Errors, len(f.garbage)-1)
	}
	f.check(t, false)
}

// downSource (a database that goes down) fails its live stream after liveAfter keys (-1: never)
// or its claimAt-th claim (0: never).
type downSource struct {
	src       Source
	liveAfter int
	claimAt   int
	claims    *int
}

var errSourceDown = errors.New("the database is down")

func (s downSource) Live(ctx context.Context, shard Shard) iter.Seq2[string, error] {
	return func(yield func(string, error) bool) {
		i := 0
		for k, err := range s.src.Live(ctx, shard) {
			if i == s.liveAfter {
				yield("", errSourceDown)
				return
			}
			i++
			if !yield(k, err) {
				return
			}
		}
		if i == s.liveAfter {
			yield("", errSourceDown)
		}
	}
}

func (s downSource) Claim(ctx context.Context, keys []string) ([]string, error) {
	if *s.claims++; *s.claims == s.claimAt {
		return nil, errSourceDown
	}
	return s.src.Claim(ctx, keys)
}

// TestRunDeletesNothingTheSourceCannotVouchFor: a live stream that fails
// part way stops the run before any delete (candidates already found
// included); a claim that fails stops it before any delete of its batch.
// Either is an ErrSource error, counted in the report.
func TestRunDeletesNothingTheSourceCannotVouchFor(t *testing.T) {
	for _, tc := range []struct {
		name      string
		liveAfter int
		claimAt   int
		deleted   int // of the 12 old garbage files, with batches of 5
	}{
		{"the live stream fails after 2 keys", 2, 0, 0},
		{"the live stream fails after its last key", 4, 0, 0},
		{"the first claim fails", -1, 1, 0},
		{"the second claim fails", -1, 2, 5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, faultblob.Options{})
			var journal bytes.Buffer
			claims := 0
			src := downSource{src: f.srv, liveAfter: tc.liveAfter, claimAt: tc.claimAt, claims: &claims}
			r, err := Run(t.Context(), f.loc, src, f.runOptions(&journal, false, t.TempDir()))
			if !errors.Is(err, ErrSource) || !errors.Is(err, errSourceDown) {
				t.Errorf("Run: %v, want an ErrSource error wrapping the source's", err)
			}
			if r.Errors["Source"] != 1 {
				t.Errorf("report errors %v, want Source 1", r.Errors)
			}
			if got := len(f.garbage) - len(f.left(t)); got != tc.deleted || r.Deleted != int64(tc.deleted) {
				t.Errorf("%d deleted (report: %d), want %d", got, r.Deleted, tc.deleted)
			}
			f.check(t, false)
		})
	}
}

// endFails is a journal that refuses the end record.
type endFails struct{ bytes.Buffer }

func (j *endFails) Write(p []byte) (int, error) {
	if bytes.Contains(p, []byte(`"rec":"end"`)) {
		return 0, errKilled
	}
	return j.Buffer.Write(p)
}

// TestRunReportCountsTheJournalErrorThatEndsIt: a run whose journal
// refuses its end record returns an error, and its report, which the
// caller prints or logs, counts that error too, as it counts every other.
func TestRunReportCountsTheJournalErrorThatEndsIt(t *testing.T) {
	f := newFixture(t, faultblob.Options{})
	var journal endFails
	o := f.runOptions(nil, false, t.TempDir())
	o.Journal = &journal
	r, err := Run(t.Context(), f.loc, f.srv, o)
	if !errors.Is(err, ErrJournal) {
		t.Fatalf("Run: %v, want an ErrJournal error", err)
	}
	if r.Errors["Journal"] != 1 || len(r.FirstErrors) != 1 || !errors.Is(r.FirstErrors[0], ErrJournal) {
		t.Errorf("the report does not count the journal's error: Errors %v, FirstErrors %v", r.Errors, r.FirstErrors)
	}
	f.check(t, false)
}

// TestRunUnderRandomFaults: runs under random mixes of faults, on every
// operation, and a crash now and then. Whatever happens, no live file is
// lost, every delete was journalled, a run that returns no error has
// collected every old garbage file, failures are counted in the report,
// and a run on the healed store finishes the job.
func TestRunUnderRandomFaults(t *testing.T) {
	n := max(1, seeds(t)/8) // 500/8: about 3 s
	var clean, failed, crashed int
	ops := []faultblob.Op{faultblob.OpList, faultblob.OpAttributes, faultblob.OpCopy, faultblob.OpDelete, ""}
	kinds := []faultblob.Kind{faultblob.Internal, faultblob.Unavailable, faultblob.TooManyRequests, faultblob.Timeout,
		faultblob.Denied, faultblob.DisguisedDenied}
	for seed := range uint64(n) {
		rng := rand.New(rand.NewPCG(seed, 1))
		var o faultblob.Options
		o.Seed = seed
		for range 1 + rng.IntN(3) {
			r := faultblob.Rule{Op: ops[rng.IntN(len(ops))], Kind: kinds[rng.IntN(len(kinds))], Rate: 0.05 + 0.4*rng.Float64(), Times: rng.IntN(3)}
			if r.Kind != faultblob.Denied && r.Kind != faultblob.DisguisedDenied {
				// Every retry of a delete waits out a backoff of 100 ms
				// or more (Run does not shorten it): keep them few.
				r.Rate, r.Times = r.Rate/3, 1
			}
			o.Rules = append(o.Rules, r)
		}
		if rng.IntN(4) == 0 {
			o.CrashAt = int64(1 + rng.IntN(60))
		}
		trash := rng.IntN(2) == 0
		f := newFixture(t, o)
		var journal bytes.Buffer
		r, err := Run(t.Context(), f.loc, f.srv, f.runOptions(&journal, trash, t.TempDir()))
		desc := fmt.Sprintf("seed %d (%s, rules %+v, crash at %d)", seed, modeName(trash), o.Rules, o.CrashAt)
		f.check(t, trash)
		intents, _ := journalled(t, journal.Bytes(), true)
		left := f.left(t)
		for _, k := range f.garbage {
			if !slices.Contains(left, k) && !slices.Contains(intents[r.RunID], k) {
				t.Errorf("%s: %s was deleted, and no intent record of the journal names it", desc, k)
			}
		}
		var counted int64
		for _, v := range r.Errors {
			counted += v
		}
		switch {
		case err == nil && (len(left) > 0 || r.Failed > 0 || len(r.Errors) > 0):
			t.Errorf("%s: no error, yet %q left, %d failed, errors %v", desc, left, r.Failed, r.Errors)
		case err != nil && counted == 0:
			t.Errorf("%s: %v, and the report counts no error: %+v", desc, err, r)
		case counted < r.Failed:
			t.Errorf("%s: %d failed, %d errors counted", desc, r.Failed, counted)
		}
		switch {
		case f.fb.Crashed():
			crashed++
		case err != nil:
			failed++
		default:
			clean++
		}
		f.fb.Heal()
		if _, err := Run(t.Context(), f.loc, f.srv, f.runOptions(&journal, trash, t.TempDir())); err != nil {
			t.Errorf("%s: the run after the store healed: %v", desc, err)
		}
		if left := f.left(t); len(left) > 0 {
			t.Errorf("%s: garbage left after the store healed: %q", desc, left)
		}
		f.check(t, trash)
	}
	t.Logf("%d seeds: %d runs clean, %d with errors, %d crashed", n, clean, failed, crashed)
	if n >= 50 && (clean == 0 || failed == 0 || crashed == 0) {
		t.Errorf("%d seeds: %d runs clean, %d with errors, %d crashed: the mix does not exercise each", n, clean, failed, crashed)
	}
}
