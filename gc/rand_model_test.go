package gc

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"iter"
	"math/rand/v2"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/byobkit/byob/internal/faultblob"
	"github.com/byobkit/byob/scope"
	"gocloud.dev/blob"
	"gocloud.dev/blob/memblob"
)

// This file is the model the randomized tests run gc against: a server
// (a MemServer, or one that breaks the claim contract), its clients
// uploading files, deduplicating against old ones, committing and deleting
// versions, on a memblob bucket whose clock is the model's. Every step is
// drawn from one seeded generator, so a seed replays its history.

// modelServer is what the model needs of a server: the Source the
// collector uses, and the writes its clients make.
type modelServer interface {
	Source
	Upload(version, key string) error
	Reuse(version, key string) error
	Commit(version string) error
	Abort(version string) error
	Delete(version string) error
	Referenced(key string) bool
}

// Variants of the MemServer, each with one rule changed, reaching into its
// state: three break the claim contract (the randomized test must catch
// them losing a file), two do not (it must not).

// forgetfulServer keeps the right keys on Claim but records no claim, so
// its deduplication may point a new version at a key being deleted.
type forgetfulServer struct{ *MemServer }

func (s forgetfulServer) Claim(ctx context.Context, keys []string) ([]string, error) {
	kept, err := s.MemServer.Claim(ctx, keys)
	s.mu.Lock()
	clear(s.claimed)
	s.mu.Unlock()
	return kept, err
}

// recklessServer's deduplication ignores claims.
type recklessServer struct{ *MemServer }

func (s recklessServer) Reuse(version, key string) error {
	s.mu.Lock()
	delete(s.claimed, key)
	s.mu.Unlock()
	return s.MemServer.Reuse(version, key)
}

// committedOnlyServer keeps only committed references on Claim, not the
// uploads and deduplications in flight.
type committedOnlyServer struct{ *MemServer }

func (s committedOnlyServer) Claim(ctx context.Context, keys []string) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var kept []string
	for _, k := range keys {
		if s.refs[k] > 0 {
			kept = append(kept, k)
			continue
		}
		s.claimed[k] = struct{}{}
	}
	return kept, nil
}

// blindServer is a MemServer whose live stream misses every other key:
// a broken Live, but not a broken Claim, so nothing may be lost.
type blindServer struct{ *MemServer }

func (s blindServer) Live(ctx context.Context, shard Shard) iter.Seq2[string, error] {
	return func(yield func(string, error) bool) {
		i := 0
		for k, err := range s.MemServer.Live(ctx, shard) {
			i++
			if err == nil && i%2 == 0 {
				continue
			}
			if !yield(k, err) {
				return
			}
		}
	}
}

// untrackedServer does not record presigned PUTs: it learns of a
// version's uploads only when the version commits. Its Claim cannot keep
// an upload in flight, so only the grace period protects it, as long as
// versions commit within MinAge of their first upload (the model's
// commitWithin). Deduplications it records as MemServer does.
type untrackedServer struct {
	*MemServer
	uploads map[string][]string // version → keys uploaded, not yet known (the world's lock guards it)
}

func (s untrackedServer) Upload(version, key string) error {
	s.uploads[version] = append(s.uploads[version], key)
	return nil
}

// Commit records the uploads, then commits: a key claimed meanwhile
// makes the commit fail (the file may be gone).
func (s untrackedServer) Commit(version string) error {
	for _, k := range s.uploads[version] {
		if err := s.MemServer.Upload(version, k); err != nil {
			return err
		}
	}
	delete(s.uploads, version)
	return s.MemServer.Commit(version)
}

func (s untrackedServer) Abort(version string) error {
	delete(s.uploads, version)
	s.mu.Lock()
	_, known := s.versions[version]
	s.mu.Unlock()
	if !known {
		return nil
	}
	return s.MemServer.Abort(version)
}

// servers are the server models by name, and whether each keeps the claim
// contract (or, for untrackedServer, relies on the grace period within its
// assumption): against those, gc must lose no file.
var servers = []struct {
	name  string
	keeps bool
	new   func() modelServer
}{
	{"MemServer", true, func() modelServer { return NewMemServer(pfx) }},
	{"a live stream that misses keys, with a correct Claim", true, func() modelServer { return blindServer{NewMemServer(pfx)} }},
	{"uploads unknown until commit, guarded by the grace period", true, func() modelServer {
		return untrackedServer{NewMemServer(pfx), map[string][]string{}}
	}},
	{"Claim records no claim", false, func() modelServer { return forgetfulServer{NewMemServer(pfx)} }},
	{"deduplication ignores claims", false, func() modelServer { return recklessServer{NewMemServer(pfx)} }},
	{"Claim ignores uploads in flight", false, func() modelServer { return committedOnlyServer{NewMemServer(pfx)} }},
}

// The model's margins: short enough that ages pass in a few steps, and a
// MinAge that validation accepts with Force (at least UploadExpiry +
// ClockSkew).
const (
	modelExpiry = 10 * time.Minute
	modelSkew   = time.Minute
	modelMinAge = modelExpiry + modelSkew + 7*time.Minute
	modelTick   = 4 * time.Minute // the longest a tick advances the clock
	// commitWithin is how soon after its first PUT URL a version commits,
	// or is given up: the "day to commit" DefaultMinAge allows, which
	// the grace period relies on for uploads a server does not track.
	commitWithin = modelMinAge - modelTick
)

// clock is the model's time.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// world is one seed's history: the server, its clients, the bucket, and
// what the invariants found.
type world struct {
	rng    *rand.Rand
	clock  *clock
	srv    modelServer
	inner  *blob.Bucket // the memblob: clients write here, the checks read here
	fb     *faultblob.Bucket
	minAge time.Duration // the grace period the collector runs with
	// commitWithin, if set, is how soon after its first upload a version
	// commits or is given up: set for the untrackedServer only, which
	// relies on it. Other servers' versions may stay pending for ever.
	commitWithin time.Duration
	// commitAfter, if set, is how long after its first upload a version
	// commits at the soonest: slow clients.
	commitAfter time.Duration
	loc         *scope.Location
	spool       string        // Options.SpoolDir
	trash       string        // Options.Trash: "" or faultTrash
	onRun       func(*Report) // counts the runs started inside hooks

	// mu serialises the model's steps: hooks run them from the
	// collector's goroutines.
	mu       sync.Mutex
	stepping bool         // a step is running: hooks do not nest
	writers  bool         // hooks run client steps
	n        int          // versions created
	active   []*runSpec   // the collector runs under way, innermost last
	written  []string     // the keys of every object written
	journal  bytes.Buffer // every run's journal, appended as to one file
	pending  []*version
	live     []*version
	digests  map[string][]string               // digest → keys ever committed with it
	onCall   func(op faultblob.Op, key string) // if set, called before each bucket call (a crash counter)
	log      []string                          // the history, for a failure's report
	broken   []string                          // invariant violations
	counts   map[string]int                    // how often each kind of step ran
}

// version is one artifact version of the model.
type version struct {
	n       int
	id      string
	keys    []string
	uploads []*upload
}

// late reports whether v can no longer commit: an upload's URL expired
// before it landed, or its first upload was issued more than within ago
// (0: no limit).
func (v *version) late(now time.Time, within time.Duration) bool {
	for i, u := range v.uploads {
		if !u.landed && now.Sub(u.issued) > modelExpiry || within > 0 && i == 0 && now.Sub(u.issued) >= within {
			return true
		}
	}
	return false
}

// upload is one presigned PUT a client was given.
type upload struct {
	key       string
	issued    time.Time
	multipart bool // the object's time is when the upload started
	landed    bool
}

// contents is how many distinct file contents clients upload: few, so
// that versions often share one and deduplicate.
const contents = 8

func newWorld(seed uint64, srv modelServer, o faultblob.Options) *world {
	w := &world{rng: rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15)), srv: srv, minAge: modelMinAge,
		clock:   &clock{now: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)},
		inner:   memblob.OpenBucket(nil),
		digests: map[string][]string{}, counts: map[string]int{}}
	if _, ok := srv.(untrackedServer); ok {
		w.commitWithin = commitWithin
	}
	o.Now = w.clock.Now
	o.Before = w.before
	w.fb = faultblob.New(w.inner, o)
	return w
}

// digest is the md5 hex of content c.
func digest(c int) string {
	sum := md5.Sum([]byte("content " + strconv.Itoa(c)))
	return hex.EncodeToString(sum[:])
}

// keyOf is the DefaultLayout key of a file first uploaded by version
// number n: its first number varies with n, so that keys fall into
// different shards.
func keyOf(n int, dig string) string {
	return pfx + strconv.Itoa(n%7) + "/v" + strconv.Itoa(n) + "/" + dig
}

func (w *world) logf(format string, a ...any) {
	w.log = append(w.log, w.clock.Now().Format("15:04:05")+" "+fmt.Sprintf(format, a...))
}

func (w *world) fail(format string, a ...any) {
	msg := fmt.Sprintf(format, a...)
	w.logf("VIOLATION: %s", msg)
	w.broken = append(w.broken, msg)
}

// step runs one client step, drawn at random, and checks the invariant.
func (w *world) step(ctx context.Context) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.stepping {
		return
	}
	w.stepping = true
	defer func() { w.stepping = false }()
	w.clientStep(ctx)
	w.checkLive(ctx)
}

// before is the bucket's hook: every call the collector makes may be
// preceded by client steps. A delete is checked after them: the collector
// must never delete a key a committed version names.
func (w *world) before(op faultblob.Op, key string) {
	if w.onCall != nil {
		w.onCall(op, key)
	}
	w.mu.Lock()
	on := w.writers && !w.stepping
	w.mu.Unlock()
	// A sharded run lists once per first byte it owns (List): steps at
	// every one of those would swamp the others.
	if on && (op != faultblob.OpList || w.chance(8)) {
		w.interleave(context.Background())
	}
	if op == faultblob.OpDelete || op == faultblob.OpCopy {
		w.mu.Lock()
		w.logf("collector: %s %s", op, key)
		if w.srv.Referenced(key) {
			w.fail("the collector's %s of %q while a committed version names it", op, key)
		}
		if len(w.active) > 0 && !slices.ContainsFunc(w.active, func(s *runSpec) bool { return !s.dry && s.shard.Contains(pfx, key) }) {
			w.fail("the collector's %s of %q, which no run under way may delete (dry, or another shard)", op, key)
		}
		w.mu.Unlock()
	}
}

// chance is true one time in n.
func (w *world) chance(n int) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.rng.IntN(n) == 0
}

// interleave runs up to two client steps, at random, if writers are on.
//
// Now and then, inside a run that is the only one under way, it runs a
// second collector to its end instead: two collectors (of the same shard
// or others) interleaved, as workers of a sharded job are.
func (w *world) interleave(ctx context.Context) {
	w.mu.Lock()
	on := w.writers && !w.stepping
	n, nest := 0, false
	var spec runSpec
	if on {
		n = w.rng.IntN(3)
		if len(w.active) == 1 && w.rng.IntN(100) == 0 {
			// The second run interleaves with the first, but runs no
			// client steps itself: they would multiply.
			nest, spec = true, w.randomSpec(false)
		}
	}
	w.mu.Unlock()
	if nest {
		w.mu.Lock()
		w.active[0].nested = true
		w.mu.Unlock()
		r := w.collect(ctx, spec)
		if w.onRun != nil {
			w.onRun(r)
		}
		return
	}
	for range n {
		w.step(ctx)
	}
}

// clientStep is one thing a client or the server does, with weights.
func (w *world) clientStep(ctx context.Context) {
	switch r := w.rng.IntN(100); {
	case r < 30:
		w.addFile()
	case r < 50:
		w.land(ctx)
	case r < 63:
		w.commit()
	case r < 66:
		w.abort()
	case r < 78:
		w.deleteVersion()
	default:
		w.tick()
	}
}

func (w *world) count(what string) { w.counts[what]++ }

// addFile gives a pending version (a new one, or one already pending) a
// file: it deduplicates against a key ever committed with the same
// content, preferring one no live version names (the race), or uploads it
// under its own key when there is none or the server refuses the key as
// claimed.
func (w *world) addFile() {
	var v *version
	if len(w.pending) == 0 || w.rng.IntN(3) == 0 {
		w.n++
		v = &version{n: w.n, id: "v" + strconv.Itoa(w.n)}
		w.pending = append(w.pending, v)
	} else {
		v = w.pending[w.rng.IntN(len(w.pending))]
	}
	dig := digest(w.rng.IntN(contents))
	if olds := w.digests[dig]; len(olds) > 0 && w.rng.IntN(4) != 0 {
		var dead []string
		for _, k := range olds {
			if !w.srv.Referenced(k) {
				dead = append(dead, k)
			}
		}
		k := olds[w.rng.IntN(len(olds))]
		if len(dead) > 0 && w.rng.IntN(3) != 0 {
			k = dead[w.rng.IntN(len(dead))]
		}
		if slices.Contains(v.keys, k) {
			return
		}
		unreferenced := !w.srv.Referenced(k)
		err := w.srv.Reuse(v.id, k)
		if err == nil {
			w.count("reuse")
			if unreferenced {
				w.count("reuse of an unreferenced key")
			}
			w.logf("%s reuses %s", v.id, k)
			v.keys = append(v.keys, k)
			return
		}
		if !errors.Is(err, ErrClaimed) {
			w.fail("Reuse(%s, %s): %v", v.id, k, err)
			return
		}
		w.count("reuse refused as claimed")
		w.logf("%s may not reuse %s: claimed", v.id, k)
	}
	k := keyOf(v.n, dig)
	if slices.Contains(v.keys, k) {
		return
	}
	if err := w.srv.Upload(v.id, k); err != nil {
		w.fail("Upload(%s, %s): %v", v.id, k, err)
		return
	}
	w.count("upload")
	w.logf("%s uploads %s", v.id, k)
	v.keys = append(v.keys, k)
	v.uploads = append(v.uploads, &upload{key: k, issued: w.clock.Now(), multipart: w.rng.IntN(2) == 0})
}

// land completes an upload whose URL has not expired: the object appears,
// dated now, or when the upload began for a multipart one.
func (w *world) land(ctx context.Context) {
	var open []*upload
	now := w.clock.Now()
	for _, v := range w.pending {
		for _, u := range v.uploads {
			if !u.landed && now.Sub(u.issued) <= modelExpiry {
				open = append(open, u)
			}
		}
	}
	if len(open) == 0 {
		return
	}
	u := open[w.rng.IntN(len(open))]
	if err := w.inner.WriteAll(ctx, u.key, []byte(u.key), nil); err != nil {
		w.fail("write %s: %v", u.key, err)
		return
	}
	t := now
	if u.multipart {
		t = u.issued
	}
	w.fb.SetModTime(u.key, t)
	u.landed = true
	w.written = append(w.written, u.key)
	w.count("land")
	w.logf("%s lands (dated %s)", u.key, t.Format("15:04:05"))
}

// commit commits a pending version whose uploads have all landed.
func (w *world) commit() {
	var ready []int
	now := w.clock.Now()
	for i, v := range w.pending {
		early := w.commitAfter > 0 && len(v.uploads) > 0 && now.Sub(v.uploads[0].issued) < w.commitAfter
		if len(v.keys) > 0 && !early && !v.late(now, w.commitWithin) && !slices.ContainsFunc(v.uploads, func(u *upload) bool { return !u.landed }) {
			ready = append(ready, i)
		}
	}
	if len(ready) == 0 {
		return
	}
	i := ready[w.rng.IntN(len(ready))]
	v := w.pending[i]
	if err := w.srv.Commit(v.id); err != nil {
		if errors.Is(err, ErrClaimed) {
			w.fail("%s cannot commit: the collector claimed a file it uploaded, which is lost (%v)", v.id, err)
			return
		}
		w.fail("Commit(%s): %v", v.id, err)
		return
	}
	w.pending = slices.Delete(w.pending, i, i+1)
	w.live = append(w.live, v)
	for _, k := range v.keys {
		d := k[len(k)-32:]
		if !slices.Contains(w.digests[d], k) {
			w.digests[d] = append(w.digests[d], k)
		}
	}
	w.count("commit")
	w.logf("%s commits %q", v.id, v.keys)
}

// abort gives up a pending version: one whose upload expired unlanded
// must be, and any may be (its PUT URLs stay valid until they expire).
func (w *world) abort() {
	if len(w.pending) == 0 {
		return
	}
	i := w.rng.IntN(len(w.pending))
	w.abortAt(i)
}

func (w *world) abortAt(i int) {
	v := w.pending[i]
	if len(v.keys) > 0 {
		if err := w.srv.Abort(v.id); err != nil {
			w.fail("Abort(%s): %v", v.id, err)
			return
		}
	}
	w.pending = slices.Delete(w.pending, i, i+1)
	w.count("abort")
	w.logf("%s aborts", v.id)
}

// deleteVersion deletes a committed version (the product's soft delete).
func (w *world) deleteVersion() {
	if len(w.live) == 0 {
		return
	}
	i := w.rng.IntN(len(w.live))
	v := w.live[i]
	if err := w.srv.Delete(v.id); err != nil {
		w.fail("Delete(%s): %v", v.id, err)
		return
	}
	w.live = slices.Delete(w.live, i, i+1)
	w.count("delete version")
	w.logf("%s is deleted", v.id)
}

// tick lets time pass, and gives up the pending versions that can no
// longer commit.
func (w *world) tick() {
	w.clock.advance(time.Duration(1+w.rng.IntN(int(modelTick/time.Second))) * time.Second)
	now := w.clock.Now()
	for i := len(w.pending) - 1; i >= 0; i-- {
		if w.pending[i].late(now, w.commitWithin) {
			w.abortAt(i)
		}
	}
	w.count("tick")
}

// checkLive is the first invariant: every key a committed, undeleted
// version names is in the bucket.
func (w *world) checkLive(ctx context.Context) {
	for _, v := range w.live {
		for _, k := range v.keys {
			if ok, err := w.inner.Exists(ctx, k); err != nil || !ok {
				w.fail("%s is committed and names %q, which is gone (%v)", v.id, k, err)
			}
		}
	}
}

// quiesce stops the clients: every pending version lands its uploads and
// commits, or aborts if one expired; then the clock moves past every grace
// period.
func (w *world) quiesce(ctx context.Context) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.writers = false
	now := w.clock.Now()
	for i := len(w.pending) - 1; i >= 0; i-- {
		v := w.pending[i]
		if v.late(now, w.commitWithin) || len(v.keys) == 0 {
			w.abortAt(i)
			continue
		}
		for _, u := range v.uploads {
			if !u.landed {
				if err := w.inner.WriteAll(ctx, u.key, []byte(u.key), nil); err != nil {
					w.fail("write %s: %v", u.key, err)
				}
				w.fb.SetModTime(u.key, now)
				u.landed = true
				w.written = append(w.written, u.key)
			}
		}
		if err := w.srv.Commit(v.id); err != nil {
			w.fail("Commit(%s): %v", v.id, err)
			continue
		}
		w.pending = slices.Delete(w.pending, i, i+1)
		w.live = append(w.live, v)
	}
	w.clock.advance(modelMinAge + modelExpiry + modelSkew)
	w.logf("clients stop")
	w.checkLive(ctx)
}

// garbage is the second invariant's measure: the objects under the data
// prefix that no version names. Called after quiesce, when the clock has
// moved past every object's grace period, all of them are garbage a run
// should have collected.
func (w *world) garbage(ctx context.Context) []string {
	var out []string
	it := w.inner.List(&blob.ListOptions{Prefix: pfx})
	for {
		o, err := it.Next(ctx)
		if err == io.EOF {
			break
		}
		if err != nil {
			w.fail("list: %v", err)
			break
		}
		if !w.srv.Referenced(o.Key) {
			out = append(out, o.Key)
		}
	}
	sort.Strings(out)
	return out
}

// checkJournal is the journal's invariant: every object written that is
// gone from the data prefix is named by an intent record (written before
// the delete) and an outcome record that says it was deleted; with a trash,
// its copy there holds its bytes. It also reads every record without an
// error.
func (w *world) checkJournal(ctx context.Context, trash string) {
	intended, deleted := map[string]bool{}, map[string]bool{}
	for rec, err := range ReadJournal(bytes.NewReader(w.journal.Bytes())) {
		if err != nil {
			w.fail("journal: %v", err)
			return
		}
		for _, o := range rec.Objects {
			intended[o.Key] = true
		}
		for _, k := range rec.Deleted {
			deleted[k] = true
		}
	}
	var copies map[string]string
	if trash != "" {
		copies = map[string]string{}
		it := w.inner.List(&blob.ListOptions{Prefix: trash})
		for {
			o, err := it.Next(ctx)
			if err == io.EOF {
				break
			}
			if err != nil {
				w.fail("list the trash: %v", err)
				return
			}
			rest := o.Key[len(trash):]
			b, err := w.inner.ReadAll(ctx, o.Key)
			if err != nil {
				w.fail("read %s: %v", o.Key, err)
				return
			}
			copies[rest[strings.IndexByte(rest, '/')+1:]] = string(b)
		}
	}
	for _, k := range w.written {
		ok, err := w.inner.Exists(ctx, k)
		switch {
		case err != nil:
			w.fail("exists %s: %v", k, err)
		case ok:
		case !intended[k] || !deleted[k]:
			w.fail("%s is gone, and the journal has no intent (%v) or outcome (%v) for it", k, intended[k], deleted[k])
		case copies != nil && copies[k] != k:
			w.fail("%s is gone, and its trash copy holds %q", k, copies[k])
		}
	}
}

// claimHook is the Source the collector is given: the server's, with
// client steps run while the live stream is read, before a claim, and
// after it records its claims but before it returns (between a claim and
// its deletes).
type claimHook struct {
	w    *world
	src  Source
	spec *runSpec
}

func (h claimHook) Live(ctx context.Context, shard Shard) iter.Seq2[string, error] {
	return func(yield func(string, error) bool) {
		for k, err := range h.src.Live(ctx, shard) {
			h.w.interleave(ctx)
			if !yield(k, err) {
				return
			}
		}
	}
}

func (h claimHook) Claim(ctx context.Context, keys []string) ([]string, error) {
	if h.spec.dry {
		h.w.mu.Lock()
		h.w.fail("a dry run claimed %q", keys)
		h.w.mu.Unlock()
	}
	h.w.interleave(ctx)
	kept, err := h.src.Claim(ctx, keys)
	h.w.mu.Lock()
	h.w.logf("claim %q keeps %q (%v)", keys, kept, err)
	h.w.mu.Unlock()
	h.w.interleave(ctx)
	return kept, err
}

// Check is the server's Check, for dry runs, with client steps before it.
func (h claimHook) Check(ctx context.Context, keys []string) ([]string, error) {
	h.w.interleave(ctx)
	return h.src.(Checker).Check(ctx, keys)
}
