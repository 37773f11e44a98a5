package gc

import (
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestSpoolRoundTrip(t *testing.T) {
	dir := t.TempDir()
	sp, err := newSpool(dir)
	if err != nil {
		t.Fatal(err)
	}
	mt := time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)
	var want []Object
	for i := range 10000 {
		k := pfx + strconv.Itoa(i) + "/\x00\xff" + strings.Repeat("k", i%300)
		want = append(want, Object{Key: k, Size: int64(i) << 20, ModTime: mt.Add(time.Duration(i))})
	}
	want = append(want, Object{Key: "", Size: 0, ModTime: mt})
	for _, o := range want {
		if err := sp.add(o); err != nil {
			t.Fatal(err)
		}
	}
	if err := sp.rewind(); err != nil {
		t.Fatal(err)
	}
	var got []Object
	var batch []Object
	for {
		batch, err = sp.next(batch, 333)
		if err != nil {
			t.Fatal(err)
		}
		if len(batch) == 0 {
			break
		}
		if len(batch) > 333 {
			t.Fatalf("batch of %d", len(batch))
		}
		got = append(got, batch...)
	}
	if len(got) != len(want) {
		t.Fatalf("read %d objects, wrote %d", len(got), len(want))
	}
	for i := range want {
		if got[i].Key != want[i].Key || got[i].Size != want[i].Size || !got[i].ModTime.Equal(want[i].ModTime) {
			t.Fatalf("object %d = %+v, want %+v", i, got[i], want[i])
		}
	}
	if err := sp.close(); err != nil {
		t.Fatal(err)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, "*")); len(left) != 0 {
		t.Errorf("spool left %q behind", left)
	}
}

func TestRunRefusesAnUnwritableSpoolDir(t *testing.T) {
	e := memEnv(t)
	garbage, _ := scenario(e)
	before := e.keys()
	o := e.opts()
	o.SpoolDir = filepath.Join(t.TempDir(), "missing")
	_, err := Run(t.Context(), e.loc, e.server, o)
	wantKind(t, err, ErrSpool)
	if got := e.keys(); len(got) != len(before) {
		t.Fatalf("bucket changed: %q", got)
	}
	for _, k := range garbage {
		if e.server.Claimed(k) {
			t.Errorf("%q claimed", k)
		}
	}
}

func TestRunRemovesItsSpool(t *testing.T) {
	e := memEnv(t)
	scenario(e)
	o := e.opts()
	o.SpoolDir = t.TempDir()
	if _, err := Run(t.Context(), e.loc, e.server, o); err != nil {
		t.Fatal(err)
	}
	if left, _ := os.ReadDir(o.SpoolDir); len(left) != 0 {
		t.Errorf("spool dir holds %d files after the run", len(left))
	}
}

// TestRunHeapDoesNotGrowWithCandidates: after the sweep, before the first
// delete, a run holds its candidates on disk, not in memory. The heap is
// measured when the run enters the delete phase, against when it started
// (the bucket's own objects are there both times).
func TestRunHeapDoesNotGrowWithCandidates(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 20,000 objects")
	}
	const n = 20000
	e := memEnv(t)
	b := e.loc.Bucket()
	for i := range n {
		if err := b.WriteAll(t.Context(), pfx+strconv.Itoa(i%100)+"/"+strconv.Itoa(i)+"/0cc175b9c0f1b6a831c399e269772661", nil, nil); err != nil {
			t.Fatal(err)
		}
	}
	heap := func() uint64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	var atStart, atDelete uint64
	o := e.opts()
	o.Journal = io.Discard
	o.DryRun = true // the measure is of the sweep's leftovers; deletes would free the bucket
	o.Progress = func(p Progress) {
		switch {
		case p.Phase == PhaseCheck && atStart == 0:
			atStart = heap()
		case p.Phase == PhaseDelete && atDelete == 0:
			atDelete = heap()
		}
	}
	// The first run warms the bucket's and the runtime's caches up.
	for range 2 {
		atStart, atDelete = 0, 0
		rep, err := Run(t.Context(), e.loc, NewSetSource(pfx, nil), o)
		if err != nil || rep.Candidates != n {
			t.Fatalf("Run: %+v, %v", rep, err)
		}
	}
	grown := int64(atDelete) - int64(atStart)
	t.Logf("heap grew by %d bytes over %d candidates", grown, n)
	// The spool's two 64 KiB buffers, and room to spare; a candidate held
	// in memory costs at least an Object (56 bytes).
	if grown > 1<<18+n*4 {
		t.Errorf("heap grew by %d bytes (%d per candidate) during the sweep: candidates are kept in memory", grown, grown/n)
	}
}
