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
)

// universe generates, on the fly, the sorted keys of a synthetic bucket
// in the default layout, wandb_artifacts/626357751/<birth id>/<md5 hex>:
// key i has birth id 1000000000+i/4, so that each version has 4 files,
// and an md5 that looks random but sorts with i among its version's
// (first hex digit 4*(i%4), then 31 digits of a fixed pseudo-random table),
// so that keys differ where real ones do. Keys are built a block of 256 at
// a time into one string, so that a key costs no allocation of its own;
// the listing and the live stream, which the merge-join keeps within a
// few keys of each other, share the two most recent blocks, and nothing is
// kept beyond them.
type universe struct {
	slots [2]struct {
		id int
		s  string
	}
	next int // the slot to replace
}

const (
	synthPrefix = pfx + "626357751/"
	synthBirth  = len(synthPrefix)    // offset of the birth id's 10 digits
	synthHex    = synthBirth + 10 + 1 // offset of the 32 hex digits
	synthLen    = synthHex + 32       // bytes per key
	synthBlock  = 256                 // keys per block: a small allocation
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

func newUniverse() *universe {
	u := &universe{}
	u.slots[0].id, u.slots[1].id = -1, -1
	return u
}

// key returns key i.
func (u *universe) key(i int) string {
	b, off := i/synthBlock, (i%synthBlock)*synthLen
	for j := range u.slots {
		if u.slots[j].id == b {
			return u.slots[j].s[off : off+synthLen]
		}
	}
	sl := &u.slots[u.next]
	u.next ^= 1
	sl.id, sl.s = b, buildBlock(b*synthBlock)
	return sl.s[off : off+synthLen]
}

// buildBlock returns keys first to first+synthBlock-1, concatenated.
func buildBlock(first int) string {
	cur := []byte(synthPrefix + "0000000000/00000000000000000000000000000000")
	for p, v := synthBirth+9, 1000000000+first/4; p >= synthBirth; p, v = p-1, v/10 {
		cur[p] = byte('0' + v%10)
	}
	var sb strings.Builder // String() hands over its bytes without a copy
	sb.Grow(synthLen * synthBlock)
	for i := first; i < first+synthBlock; i++ {
		if i%4 == 0 && i != first {
			for p := synthBirth + 9; ; p-- { // the next version
				if cur[p] != '9' {
					cur[p]++
					break
				}
				cur[p] = '0'
			}
		}
		cur[synthHex] = hexDigits[4*(i%4)]
		copy(cur[synthHex+1:], synthTails[i%synthBlock][:])
		sb.Write(cur)
	}
	return sb.String()
}

// The synthetic bucket lists keys i with i%8 != 7; the live keys are the
// even ones and those with i%8 == 7 (live but missing from the bucket):
// the candidates are the keys i with i%8 in {1, 3, 5}.
func listedIndex(i int) bool { return i%8 != 7 }
func liveIndex(i int) bool   { return i%2 == 0 || i%8 == 7 }

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

// sweepSynth sweeps the first n keys of the universe, measuring the live
// heap at the first and the last of probes evenly spaced checkpoints.
func sweepSynth(tb testing.TB, n int, probe bool) (SweepStats, int64) {
	var first, last uint64
	var emitted, next int64
	step := int64(n) * 3 / 8 / 10 // about a tenth of the candidates
	u := newUniverse()
	st, err := Sweep(context.Background(), &synthListing{u: u, n: n}, synthLive(u, n), SweepOptions{DataPrefix: pfx},
		func(b []Object) error {
			emitted += int64(len(b))
			if probe && emitted >= next && step > 0 {
				h := heapAt()
				if first == 0 {
					first = h
				}
				last = h
				next += step
			}
			return nil
		})
	if err != nil {
		tb.Fatal(err)
	}
	return st, int64(last) - int64(first)
}

func TestSynthStreamsAreSortedAndAsDescribed(t *testing.T) {
	const n = 100_000
	st, _ := sweepSynth(t, n, false)
	want := SweepStats{Scanned: n * 7 / 8, Live: n / 2, Candidates: n * 3 / 8, CandidateBytes: n * 3 / 8 << 20, LiveKeys: n/2 + n/8}
	if st != want {
		t.Fatalf("stats %+v, want %+v", st, want)
	}
	u := newUniverse()
	for i, birth := range map[int]string{5: "1000000001", 1023: "1000000255", 1024: "1000000256", 4099: "1000001024"} {
		k := u.key(i)
		if len(k) != synthLen || k[:synthHex] != synthPrefix+birth+"/" || k[synthHex] != hexDigits[4*(i%4)] {
			t.Fatalf("key %d = %q, want birth id %s", i, k, birth)
		}
	}
}

// The sweep's memory does not grow with the count: the live heap late in
// a sweep of 2 million keys is within 256 KiB of what it was early on
// (keeping every candidate would add about 50 MB).
func TestSweepHeapDoesNotGrow(t *testing.T) {
	if testing.Short() {
		t.Skip("sweeps 2 million keys")
	}
	_, growth := sweepSynth(t, 2_000_000, true)
	if growth > 256<<10 {
		t.Fatalf("the live heap grew by %d bytes during the sweep", growth)
	}
	t.Logf("live heap growth over the sweep: %d bytes", growth)
}

// BenchmarkSweep10M sweeps a synthetic bucket of 10 million listed keys
// (in the default layout, 69 bytes each) against 6.4 million live keys,
// both generated on the fly, and reports
//
//   - keys/s: listed keys per second of wall time;
//   - keys/cpu-s: per second of the process's CPU time (GC workers
//     included), which a machine shared with other work disturbs less;
//   - heap-growth-B: the live heap's change from the first tenth of the
//     sweep to its end.
//
// The generator allocates its 69 bytes per key (as a real listing does),
// so under the default GOGC=100 the GC runs every few milliseconds and
// keeps write barriers on much of the time; gogc=800 shows the sweep with
// that pressure lowered. streams-only is the floor: the same two streams
// merged by a bare loop, without the sweep's checks and batches.
func BenchmarkSweep10M(b *testing.B) {
	const n = 10_000_000 * 8 / 7 // universe size for 10 million listed keys
	for _, gogc := range []int{100, 800} {
		b.Run("gogc="+strconv.Itoa(gogc), func(b *testing.B) {
			defer debug.SetGCPercent(debug.SetGCPercent(gogc))
			var scanned int64
			start, cpu0 := time.Now(), cpuTime()
			for b.Loop() {
				st, _ := sweepSynth(b, n, false)
				scanned += st.Scanned
			}
			b.ReportMetric(float64(scanned)/time.Since(start).Seconds(), "keys/s")
			b.ReportMetric(float64(scanned)/(cpuTime()-cpu0).Seconds(), "keys/cpu-s")
			b.StopTimer()
			_, growth := sweepSynth(b, n, true)
			b.ReportMetric(float64(growth), "heap-growth-B")
		})
	}
	b.Run("streams-only", func(b *testing.B) {
		var scanned int64
		start, cpu0 := time.Now(), cpuTime()
		for b.Loop() {
			u := newUniverse()
			l := &synthListing{u: u, n: n}
			o, err := l.Next(context.Background())
			cands := 0
			for k := range synthLive(u, n) {
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
// the merge-join, its checks and its batches alone.
func BenchmarkSweepCore(b *testing.B) {
	const n = 2_000_000
	u := newUniverse()
	var listed, live []string
	for i := range n {
		k := u.key(i)
		if listedIndex(i) {
			listed = append(listed, k)
		}
		if liveIndex(i) {
			live = append(live, k)
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
