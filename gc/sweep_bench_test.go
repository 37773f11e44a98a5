package gc

import (
	"context"
	"io"
	"iter"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"
)

// universe generates, on the fly, the sorted keys of a synthetic bucket
// in the default layout, wandb_artifacts/626357751/<birth id>/<md5 hex>:
// key i has birth id 1000000000+i/4, so that each version has 4 files,
// and an md5 that looks random but sorts with i among its version's
// (first hex digit 4*(i%4), then 31 digits of a fixed pseudo-random table),
// so that keys differ where real ones do. Every key is distinct and 69
// bytes long.
//
// Keys are built a block of 256 at a time into one buffer, so that a key
// costs no allocation of its own, and handed out as substrings of it. A
// block differs from the one before only in its birth ids (the md5s
// repeat with the key's place in the block), so building one is writing
// 64 ten-digit ids over a template.
//
// The listing and the live stream, which the merge-join keeps within a
// few keys of each other, share the blocks, kept in a ring of synthRing
// slots by block number. Two kinds of universe:
//
//   - newUniverse allocates each block afresh, 69 bytes per key, as a
//     real listing allocates its keys: the GC then collects about 1 GB
//     per 10 million keys while the sweep runs;
//   - newRingUniverse rewrites the ring's buffers in place, so that
//     generating a key allocates nothing: the sweep alone shows. A key is
//     then valid only until its slot is rewritten, synthRing blocks later
//     (4096 keys): the sweep keeps one key of each stream and one
//     batch of at most DefaultBatch candidates (under 2,700 keys of the
//     universe), and checkBatch verifies, at every batch, that the keys
//     handed out are still what they were.
type universe struct {
	ring  [synthRing]synthSlot
	reuse bool
	tmpl  []byte // block 0, whose md5s and layout every block shares
}

type synthSlot struct {
	id  int // block number, -1 for none
	buf []byte
	s   string // buf's bytes, as the keys' string
}

const (
	synthPrefix = pfx + "626357751/"
	synthBirth  = len(synthPrefix)    // offset of the birth id's 10 digits
	synthHex    = synthBirth + 10 + 1 // offset of the 32 hex digits
	synthLen    = synthHex + 32       // bytes per key
	synthBlock  = 256                 // keys per block
	synthRing   = 16                  // blocks kept: 4096 keys, 276 KiB
	hexDigits   = "0123456789abcdef"
)

// synthTails are the md5s' last 31 hex digits, key i taking tail i%256.
var synthTails = func() (t [synthBlock][31]byte) {
	x := uint64(0x9e3779b97f4a7c15)
	for i := range t {
		for j := range t[i] {
			x ^= x << 13
			x ^= x >> 7
			x ^= x << 17
			t[i][j] = hexDigits[x&15]
		}
	}
	return t
}()

// newUniverse returns a universe whose keys are allocated a block at a
// time and never change.
func newUniverse() *universe { return makeUniverse(false) }

// newRingUniverse returns a universe that reuses its blocks' memory: see
// universe for how long a key stays valid.
func newRingUniverse() *universe { return makeUniverse(true) }

func makeUniverse(reuse bool) *universe {
	u := &universe{reuse: reuse, tmpl: make([]byte, synthLen*synthBlock)}
	for i := range synthBlock {
		k := u.tmpl[i*synthLen : (i+1)*synthLen]
		copy(k, synthPrefix+"0000000000/")
		k[synthHex] = hexDigits[4*(i%4)]
		copy(k[synthHex+1:], synthTails[i][:])
	}
	for i := range u.ring {
		u.ring[i].id = -1
	}
	return u
}

// key returns key i. Blocks are asked for in increasing order, give or
// take a few keys, so that a block is never asked for again once its slot
// holds a later one.
func (u *universe) key(i int) string {
	b, off := i/synthBlock, (i%synthBlock)*synthLen
	sl := &u.ring[b%synthRing]
	if sl.id != b {
		if sl.id > b {
			panic("synthetic universe: block " + strconv.Itoa(b) + " asked for after its slot was reused")
		}
		u.build(sl, b)
	}
	return sl.s[off : off+synthLen]
}

// build makes sl block b: the template's keys with b's birth ids, which
// run from 1000000000+b*64, four keys each.
func (u *universe) build(sl *synthSlot, b int) {
	if !u.reuse || sl.buf == nil {
		sl.buf = append([]byte(nil), u.tmpl...)
	}
	var id [10]byte
	for p, v := len(id)-1, 1000000000+b*synthBlock/4; p >= 0; p, v = p-1, v/10 {
		id[p] = byte('0' + v%10)
	}
	for i := 0; i < synthBlock; i += 4 {
		if i > 0 {
			for p := len(id) - 1; ; p-- { // the next version
				if id[p] != '9' {
					id[p]++
					break
				}
				id[p] = '0'
			}
		}
		for k := i; k < i+4; k++ {
			*(*[10]byte)(sl.buf[k*synthLen+synthBirth:]) = id
		}
	}
	sl.id, sl.s = b, unsafe.String(&sl.buf[0], len(sl.buf))
}

// checkBatch verifies that a batch's keys are still the candidates they
// were handed out as (a ring universe's keys would change under a sweep
// that kept them too long): the first, the middle and the last, against
// the candidates' order, first being the ordinal of the batch's first
// candidate. It returns what is wrong, or "".
func checkBatch(b []Object, first int) string {
	for _, c := range []int{0, len(b) / 2, len(b) - 1} {
		k := b[c].Key
		if len(k) != synthLen || k[:synthBirth] != synthPrefix {
			return "candidate " + strconv.Quote(k) + " is not in the layout"
		}
		birth, err := strconv.Atoi(k[synthBirth : synthBirth+10])
		d := strings.IndexByte(hexDigits, k[synthHex])
		if err != nil || birth < 1000000000 || d < 0 || d%4 != 0 {
			return "candidate " + strconv.Quote(k) + " has no birth id or md5 of the universe"
		}
		i := (birth-1000000000)*4 + d/4
		if string(synthTails[i%synthBlock][:]) != k[synthHex+1:] {
			return "candidate " + strconv.Quote(k) + " has another key's md5"
		}
		if want := candidateIndex(first + c); i != want {
			return "candidate " + strconv.Itoa(first+c) + " is key " + strconv.Itoa(i) + ", want key " + strconv.Itoa(want) + ": its memory was reused"
		}
	}
	return ""
}

// The synthetic bucket lists keys i with i%8 != 7; the live keys are the
// even ones and those with i%8 == 7 (live but missing from the bucket):
// the candidates are the keys i with i%8 in {1, 3, 5}.
func listedIndex(i int) bool { return i%8 != 7 }
func liveIndex(i int) bool   { return i%2 == 0 || i%8 == 7 }

// candidateIndex is the universe index of the c-th candidate (from 0).
func candidateIndex(c int) int { return 8*(c/3) + 2*(c%3) + 1 }

// synthListing lists the universe's first n keys.
type synthListing struct {
	u    *universe
	i, n int
}

func (l *synthListing) Next(context.Context) (Object, error) {
	for ; l.i < l.n; l.i++ {
		if listedIndex(l.i) {
			k := l.u.key(l.i)
			l.i++
			return Object{Key: k, Size: 1 << 20}, nil
		}
	}
	return Object{}, io.EOF
}

func synthLive(u *universe, n int) iter.Seq2[string, error] {
	return func(yield func(string, error) bool) {
		for i := range n {
			if liveIndex(i) && !yield(u.key(i), nil) {
				return
			}
		}
	}
}

// heapAt returns the live heap: what remains after a collection.
func heapAt() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// sweepSynth sweeps the first n keys of a universe, listed from listU and
// live from liveU (two of the same kind: the same keys), checking every
// batch (see checkBatch), and calls probe, if set, at evenly spaced
// checkpoints: about every tenth of the candidates, from the first tenth
// on (when the universes' rings are full).
func sweepSynth(tb testing.TB, listU, liveU *universe, n int, probe func()) SweepStats {
	step := n * 3 / 8 / 10
	emitted, next := 0, step
	st, err := Sweep(context.Background(), &synthListing{u: listU, n: n}, synthLive(liveU, n), SweepOptions{DataPrefix: pfx},
		func(b []Object) error {
			if bad := checkBatch(b, emitted); bad != "" {
				tb.Fatal(bad)
			}
			emitted += len(b)
			if probe != nil && emitted >= next && step > 0 {
				probe()
				next += step
			}
			return nil
		})
	if err != nil {
		tb.Fatal(err)
	}
	runtime.KeepAlive(listU) // so that the last probe sees the generators' memory as the first did
	runtime.KeepAlive(liveU)
	return st
}

// heapProbe records the live heap (after a collection) at its first and
// its last call.
type heapProbe struct{ first, last uint64 }

func (p *heapProbe) probe() {
	h := heapAt()
	if p.first == 0 {
		p.first = h
	}
	p.last = h
}

func (p *heapProbe) growth() int64 { return int64(p.last) - int64(p.first) }

// TestSynthStreamsAreSortedAndAsDescribed: both kinds of universe yield
// the same keys, in the layout described, and a sweep of them counts
// what the index rules say (which also proves both streams sorted).
func TestSynthStreamsAreSortedAndAsDescribed(t *testing.T) {
	const n = 100_000
	for _, mk := range []func() *universe{newUniverse, newRingUniverse} {
		st := sweepSynth(t, mk(), mk(), n, nil)
		want := SweepStats{Scanned: n * 7 / 8, Live: n / 2, Candidates: n * 3 / 8, CandidateBytes: n * 3 / 8 << 20, LiveKeys: n/2 + n/8}
		if st != want {
			t.Fatalf("stats %+v, want %+v", st, want)
		}
	}
	u := newUniverse()
	for _, c := range []struct {
		i     int
		birth string
	}{{5, "1000000001"}, {1023, "1000000255"}, {1024, "1000000256"}, {4099, "1000001024"}} {
		k := u.key(c.i)
		if len(k) != synthLen || k[:synthHex] != synthPrefix+c.birth+"/" || k[synthHex] != hexDigits[4*(c.i%4)] ||
			k[synthHex+1:] != string(synthTails[c.i%synthBlock][:]) {
			t.Fatalf("key %d = %q, want birth id %s", c.i, k, c.birth)
		}
	}
	a, r := newUniverse(), newRingUniverse()
	prev := ""
	for i := range 3 * synthRing * synthBlock {
		k := a.key(i)
		if k <= prev {
			t.Fatalf("key %d %q does not follow %q", i, k, prev)
		}
		if rk := r.key(i); rk != k {
			t.Fatalf("key %d: the ring universe's %q, the allocating one's %q", i, rk, k)
		}
		prev = strings.Clone(k)
	}
}

// TestCheckBatchSeesReusedMemory: checkBatch, the guard of the ring
// universe, refuses a batch whose keys were rewritten (a key held past its
// slot's reuse reads as a later block's key) and one out of place.
func TestCheckBatchSeesReusedMemory(t *testing.T) {
	batch := func(u *universe, first int) []Object {
		var b []Object
		for c := first; c < first+10; c++ {
			b = append(b, Object{Key: u.key(candidateIndex(c))})
		}
		return b
	}
	u := newRingUniverse()
	held := batch(u, 0)
	if bad := checkBatch(held, 0); bad != "" {
		t.Fatalf("a fresh batch: %s", bad)
	}
	for i := range (synthRing + 1) * synthBlock { // every slot rewritten
		u.key(i)
	}
	if bad := checkBatch(held, 0); !strings.Contains(bad, "memory was reused") {
		t.Fatalf("a batch held past its slots' reuse: checkBatch = %q", bad)
	}
	if bad := checkBatch(batch(newRingUniverse(), 3), 0); bad == "" {
		t.Fatal("a batch out of place passed checkBatch")
	}
}

// The sweep's memory does not grow with the count: the live heap late in
// a sweep of 2 million keys, allocated as a listing's are, is within
// 256 KiB of what it was early on (keeping every candidate would add
// about 50 MB).
func TestSweepHeapDoesNotGrow(t *testing.T) {
	if testing.Short() {
		t.Skip("sweeps 2 million keys")
	}
	var p heapProbe
	sweepSynth(t, newUniverse(), newUniverse(), 2_000_000, p.probe)
	if p.growth() > 256<<10 {
		t.Fatalf("the live heap grew by %d bytes during the sweep", p.growth())
	}
	t.Logf("live heap growth over the sweep: %d bytes", p.growth())
}

// memUse is what a sweep cost in memory: the bytes allocated during it,
// and the largest HeapInuse after a collection at its checkpoints.
type memUse struct {
	alloc, peakInuse uint64
}

func sweepMem(t *testing.T, mk func() *universe, n int) memUse {
	var m runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m)
	alloc0, peak := m.TotalAlloc, uint64(0)
	sweepSynth(t, mk(), mk(), n, func() {
		runtime.GC()
		runtime.ReadMemStats(&m)
		peak = max(peak, m.HeapInuse)
	})
	runtime.ReadMemStats(&m)
	return memUse{alloc: m.TotalAlloc - alloc0, peakInuse: peak}
}

// TestSweepMemoryDoesNotGrowWithTheCount sweeps 1 and 10 million listed
// keys of each universe. The heap in use (collected) at 10 million stays
// within 1 MiB of what it was at 1 million (keeping the candidates would
// add over 400 MB), and the bytes allocated per key do not grow: with the
// keys allocated as a listing's, the generators' 69 bytes per key of each
// stream; with the ring, nothing per key at all (the rings and one batch,
// whatever the count).
func TestSweepMemoryDoesNotGrowWithTheCount(t *testing.T) {
	if testing.Short() {
		t.Skip("sweeps 22 million keys")
	}
	const million = 1_000_000 * 8 / 7 // universe size for a million listed keys
	for _, c := range []struct {
		name       string
		mk         func() *universe
		constAlloc bool // the bytes allocated do not grow at all
	}{
		{"keys allocated as a listing's", newUniverse, false},
		{"keys in a reused ring", newRingUniverse, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			small, large := sweepMem(t, c.mk, million), sweepMem(t, c.mk, 10*million)
			t.Logf("1M keys: %d B allocated (%.2f B/key), HeapInuse at most %d B; 10M keys: %d B allocated (%.2f B/key), HeapInuse at most %d B",
				small.alloc, float64(small.alloc)/1e6, small.peakInuse, large.alloc, float64(large.alloc)/1e7, large.peakInuse)
			if small.peakInuse == 0 || large.peakInuse > small.peakInuse+1<<20 {
				t.Errorf("HeapInuse reached %d B at 10M keys, %d B at 1M: it grows with the count", large.peakInuse, small.peakInuse)
			}
			if float64(large.alloc) > 10*float64(small.alloc)*1.02 {
				t.Errorf("%d B allocated for 10M keys, %d B for 1M: the bytes per key grow with the count", large.alloc, small.alloc)
			}
			if c.constAlloc && large.alloc > small.alloc+256<<10 {
				t.Errorf("%d B allocated for 10M keys, %d B for 1M: want no allocation per key", large.alloc, small.alloc)
			}
		})
	}
}

// BenchmarkSweep10M sweeps a synthetic bucket of 10 million listed keys
// (in the default layout, 69 bytes each) against 7.1 million live keys,
// both generated on the fly, each stream by its own universe (so that a
// live key and the listed key equal to it are compared byte by byte, as
// they would be), and reports
//
//   - keys/s: listed keys per second of wall time;
//   - keys/cpu-s: per second of the process's CPU time (GC workers
//     included), which a machine shared with other work disturbs less;
//   - heap-growth-B: the live heap's change from the first tenth of the
//     sweep to its end.
//
// ring is the sweep on keys that cost no allocation (newRingUniverse):
// issue #9's bar. alloc allocates the keys' 69 bytes each, as a real
// listing does, so that under the default GOGC=100 the GC runs every few
// milliseconds and keeps write barriers on much of the time; gogc=800
// shows that pressure lowered. streams-only is the floor: the ring's two
// streams merged by a bare loop, without the sweep's checks and batches.
func BenchmarkSweep10M(b *testing.B) {
	const n = 10_000_000 * 8 / 7 // universe size for 10 million listed keys
	run := func(b *testing.B, mk func() *universe) {
		b.ReportAllocs()
		var scanned int64
		start, cpu0 := time.Now(), cpuTime()
		for b.Loop() {
			scanned += sweepSynth(b, mk(), mk(), n, nil).Scanned
		}
		b.ReportMetric(float64(scanned)/time.Since(start).Seconds(), "keys/s")
		b.ReportMetric(float64(scanned)/(cpuTime()-cpu0).Seconds(), "keys/cpu-s")
		b.StopTimer()
		var p heapProbe
		sweepSynth(b, mk(), mk(), n, p.probe)
		b.ReportMetric(float64(p.growth()), "heap-growth-B")
	}
	b.Run("ring", func(b *testing.B) { run(b, newRingUniverse) })
	for _, gogc := range []int{100, 800} {
		b.Run("alloc/gogc="+strconv.Itoa(gogc), func(b *testing.B) {
			defer debug.SetGCPercent(debug.SetGCPercent(gogc))
			run(b, newUniverse)
		})
	}
	b.Run("streams-only", func(b *testing.B) {
		b.ReportAllocs()
		var scanned int64
		start, cpu0 := time.Now(), cpuTime()
		for b.Loop() {
			l := &synthListing{u: newRingUniverse(), n: n}
			o, err := l.Next(context.Background())
			cands := 0
			for k := range synthLive(newRingUniverse(), n) {
				for err == nil && o.Key < k {
					cands++
					scanned++
					o, err = l.Next(context.Background())
				}
				if err == nil && o.Key == k {
					scanned++
					o, err = l.Next(context.Background())
				}
			}
			for ; err == nil; o, err = l.Next(context.Background()) {
				scanned++
			}
			if cands == 0 {
				b.Fatal("no candidates")
			}
		}
		b.ReportMetric(float64(scanned)/time.Since(start).Seconds(), "keys/s")
		b.ReportMetric(float64(scanned)/(cpuTime()-cpu0).Seconds(), "keys/cpu-s")
	})
}

// cpuTime returns the CPU time the process has used, user and system.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkSweepCore separates the sweep from the key generation: the
// same streams, 2 million keys of the universe built before the timer
// starts (stored, unlike BenchmarkSweep10M's), so that what is measured is
// the merge-join, its checks and its batches alone. Each stream has its
// own copy of the keys, as BenchmarkSweep10M's.
func BenchmarkSweepCore(b *testing.B) {
	const n = 2_000_000
	lu, vu := newUniverse(), newUniverse()
	var listed, live []string
	for i := range n {
		if listedIndex(i) {
			listed = append(listed, lu.key(i))
		}
		if liveIndex(i) {
			live = append(live, vu.key(i))
		}
	}
	var scanned int64
	start, cpu0 := time.Now(), cpuTime()
	for b.Loop() {
		st, err := Sweep(context.Background(), &storedListing{keys: listed}, func(yield func(string, error) bool) {
			for _, k := range live {
				if !yield(k, nil) {
					return
				}
			}
		}, SweepOptions{DataPrefix: pfx}, func([]Object) error { return nil })
		if err != nil {
			b.Fatal(err)
		}
		scanned += st.Scanned
	}
	b.ReportMetric(float64(scanned)/time.Since(start).Seconds(), "keys/s")
	b.ReportMetric(float64(scanned)/(cpuTime()-cpu0).Seconds(), "keys/cpu-s")
}

// storedListing lists keys held in memory.
type storedListing struct {
	keys []string
	i    int
}

func (l *storedListing) Next(context.Context) (Object, error) {
	if l.i == len(l.keys) {
		return Object{}, io.EOF
	}
	l.i++
	return Object{Key: l.keys[l.i-1], Size: 1 << 20}, nil
}
