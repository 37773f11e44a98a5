package gc

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestSweep(t *testing.T) {
	errDB := errors.New("database went away")
	tests := []struct {
		name       string
		listed     []string
		live       []string
		liveFailAt int   // -1: never
		listFailAt int   // -1: never
		shard      Shard // zero: all
		want       []string
		wantErr    error
		wantStats  *SweepStats
	}{
		{name: "nothing listed, nothing live", want: nil},
		{name: "nothing live: every listed key is a candidate",
			listed: keys("1/a/x", "1/b/y"), want: keys("1/a/x", "1/b/y")},
		{name: "everything live: no candidate",
			listed: keys("1/a/x", "1/b/y"), live: keys("1/a/x", "1/b/y")},
		{name: "live keys missing from the bucket are counted, never candidates",
			listed: keys("2"), live: keys("1", "3"), want: keys("2"),
			wantStats: &SweepStats{Scanned: 1, Candidates: 1, CandidateBytes: int64(len(pfx + "2")), LiveKeys: 2}},
		{name: "interleaved", listed: keys("a", "b", "c", "d", "e"), live: keys("b", "bb", "d"),
			want:      keys("a", "c", "e"),
			wantStats: &SweepStats{Scanned: 5, Live: 2, Candidates: 3, CandidateBytes: 3 * int64(len(pfx)+1), LiveKeys: 3}},
		{name: "listed keys after the last live key are candidates once the live stream ends",
			listed: keys("a", "y", "z"), live: keys("a"), want: keys("y", "z")},

		// The two sides must agree byte for byte; any normalisation would
		// make one of these pairs a single key, and lose or keep a file.
		{name: "é composed live does not keep é decomposed",
			listed: keys("cafe\u0301", "caf\u00e9"), live: keys("caf\u00e9"), want: keys("cafe\u0301")},
		{name: "é decomposed live does not keep é composed",
			listed: keys("cafe\u0301", "caf\u00e9"), live: keys("cafe\u0301"), want: keys("caf\u00e9")},
		{name: "case differs: a live key keeps only its own case",
			listed: keys("1/ABC/x", "1/abc/x"), live: keys("1/abc/x"), want: keys("1/ABC/x")},
		{name: "trailing slash differs: x and x/ are two keys",
			listed: keys("1/x", "1/x/"), live: keys("1/x"), want: keys("1/x/")},
		{name: "escaped slash differs: %2F and / are two keys",
			listed: keys("1%2Fx", "1/x"), live: keys("1/x"), want: keys("1%2Fx")},
		{name: "a cleaned path differs: a//b and a/./b are not a/b",
			listed: keys("a/./b", "a//b", "a/b"), live: keys("a/b"), want: keys("a/./b", "a//b")},

		{name: "a live key repeated stops the sweep",
			listed: keys("a", "b", "c"), live: keys("a", "a", "c"), wantErr: ErrLiveOrder},
		{name: "a live key out of order stops the sweep: nothing after it is emitted",
			listed: keys("a", "b", "c"), live: keys("b", "a"), want: keys("a"), wantErr: ErrLiveOrder},
		{name: "a live key going backwards can follow a candidate the sweep emitted, hence final only on nil",
			// b was emitted when c arrived (the stream was past b); the
			// stream then yields b: the caller must delete nothing.
			listed: keys("a", "b", "c"), live: keys("a", "c", "b"), want: keys("b"), wantErr: ErrLiveOrder},
		{name: "a live stream out of order after the listing ended still fails the sweep",
			listed: keys("a"), live: keys("b", "c", "bb"), want: keys("a"), wantErr: ErrLiveOrder},
		{name: "a listed key repeated stops the sweep",
			listed: keys("a", "b", "b", "c"), want: keys("a", "b"), wantErr: ErrListOrder},
		{name: "a listed key out of order is never decided",
			// fileblob lists a/b before "a b": were "a b" judged, the live
			// stream would already be past it.
			listed: keys("a/b", "a b"), live: keys("a b", "a/b"), wantErr: ErrListOrder},
		{name: "a live key without the data prefix stops the sweep",
			listed: keys("1/a/x"), live: []string{"1/a/x"}, wantErr: ErrOutOfRange},
		{name: "a live key with the location's sub-path in front stops the sweep",
			listed: keys("1/a/x"), live: []string{"team/" + pfx + "1/a/x"}, wantErr: ErrOutOfRange},
		{name: "a live key of another shard stops the sweep",
			listed: keys("1/a/x"), live: keys("2/a/x"), shard: Shard{Index: 17, Count: 95}, wantErr: ErrOutOfRange},
		{name: "a listed key outside the data prefix stops the sweep before it is a candidate",
			listed: []string{"other/x"}, wantErr: ErrOutOfRange},
		{name: "the live stream failing stops the sweep",
			listed: keys("a", "b", "c"), live: keys("a", "b"), liveFailAt: 1, wantErr: ErrSource},
		{name: "the live stream failing at its end stops the sweep before the rest is emitted",
			listed: keys("a", "b", "c"), live: keys("a"), liveFailAt: 1, wantErr: ErrSource},
		{name: "the listing failing stops the sweep",
			listed: keys("a", "b", "c"), listFailAt: 2, want: keys("a", "b"), wantErr: ErrList},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			listed := listOf(tc.listed...)
			if tc.listFailAt >= 0 && tc.wantErr == ErrList {
				listed.failAt, listed.err = tc.listFailAt, errDB
			}
			live := liveOf(tc.live...)
			if tc.wantErr == ErrSource {
				live = liveFail(tc.live, tc.liveFailAt, errDB)
			}
			got, _, st, err := collect(t, context.Background(), listed, live, SweepOptions{DataPrefix: pfx, Shard: tc.shard, Batch: 1})
			wantKind(t, err, tc.wantErr)
			if (tc.wantErr == ErrSource || tc.wantErr == ErrList) && !errors.Is(err, errDB) {
				t.Errorf("error %v does not wrap the cause", err)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("emitted %q, want %q", got, tc.want)
			}
			if tc.wantStats != nil && st != *tc.wantStats {
				t.Errorf("stats %+v, want %+v", st, *tc.wantStats)
			}
		})
	}
}

func TestSweepErrorNamesBothKeys(t *testing.T) {
	_, _, _, err := collect(t, context.Background(), listOf(), liveOf(keys("b", "a\x00")...), SweepOptions{DataPrefix: pfx})
	want := `byob gc: sweep: live keys out of byte order: the live source yielded "wandb_artifacts/a\x00" after "wandb_artifacts/b"`
	if err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Fatalf("error = %v, want it to start with %s", err, want)
	}
	var e *Error
	if !errors.As(err, &e) || e.Key != pfx+"a\x00" {
		t.Fatalf("error's Key = %q, want the offending key", e.Key)
	}
}

func TestSweepBatches(t *testing.T) {
	listed := keys("a", "b", "c", "d", "e", "f", "g")
	tests := []struct {
		name  string
		batch int
		sizes []int
	}{
		{name: "batches of 3, the last one short", batch: 3, sizes: []int{3, 3, 1}},
		{name: "one batch when it holds everything", batch: 100, sizes: []int{7}},
		{name: "zero means DefaultBatch", batch: 0, sizes: []int{7}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, sizes, _, err := collect(t, context.Background(), listOf(listed...), liveOf(), SweepOptions{DataPrefix: pfx, Batch: tc.batch})
			wantKind(t, err, nil)
			if !slices.Equal(sizes, tc.sizes) || !slices.Equal(got, listed) {
				t.Fatalf("batches %v of %q, want %v of %q", sizes, got, tc.sizes, listed)
			}
		})
	}
}

func TestSweepDropsTheBatchInProgressOnError(t *testing.T) {
	got, sizes, st, err := collect(t, context.Background(), listOf(keys("a", "b", "c", "d", "e")...),
		liveOf(keys("z", "y")...), SweepOptions{DataPrefix: pfx, Batch: 2})
	wantKind(t, err, ErrLiveOrder)
	if !slices.Equal(got, keys("a", "b", "c", "d")) || !slices.Equal(sizes, []int{2, 2}) {
		t.Fatalf("emitted %q in %v; want the two full batches only", got, sizes)
	}
	if st.Candidates != 5 {
		t.Fatalf("stats count %d candidates decided, want 5 (e was decided, not emitted)", st.Candidates)
	}
}

func TestSweepReturnsEmitsErrorUnchanged(t *testing.T) {
	stop := errors.New("journal full")
	calls := 0
	_, err := Sweep(context.Background(), listOf(keys("a", "b", "c")...), liveOf(), SweepOptions{DataPrefix: pfx, Batch: 1},
		func([]Object) error { calls++; return stop })
	if err != stop || calls != 1 {
		t.Fatalf("error = %v after %d calls, want emit's own error after 1", err, calls)
	}
}

func TestSweepStopsWithTheContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	n := 3 * checkEvery
	all := make([]string, n)
	for i := range all {
		all[i] = pfx + strings.Repeat("0", 8-len(itoa(i))) + itoa(i)
	}
	emitted := 0
	_, err := Sweep(ctx, listOf(all...), liveOf(), SweepOptions{DataPrefix: pfx, Batch: 10}, func(b []Object) error {
		emitted += len(b)
		if emitted == 100 {
			cancel()
		}
		return nil
	})
	wantKind(t, err, ErrStopped)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error = %v, want it to wrap context.Canceled", err)
	}
	if emitted >= n {
		t.Fatalf("emitted %d of %d after the cancel", emitted, n)
	}
}

func TestSweepRefusesBadOptions(t *testing.T) {
	ok := func([]Object) error { return nil }
	tests := []struct {
		name string
		o    SweepOptions
		emit func([]Object) error
	}{
		{name: "an empty data prefix would sweep run files and manifests too", o: SweepOptions{}, emit: ok},
		{name: "a data prefix without a trailing slash would cover wandb_artifacts_old/", o: SweepOptions{DataPrefix: "wandb_artifacts"}, emit: ok},
		{name: "a shard index past its count", o: SweepOptions{DataPrefix: pfx, Shard: Shard{Index: 4, Count: 4}}, emit: ok},
		{name: "no emit", o: SweepOptions{DataPrefix: pfx}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			read := false
			live := func(yield func(string, error) bool) { read = true }
			listed := listOf(pfx + "a")
			_, err := Sweep(context.Background(), listed, live, tc.o, tc.emit)
			wantKind(t, err, ErrInvalid)
			if read || listed.i != 0 {
				t.Fatal("a refused sweep read its streams")
			}
		})
	}
}

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	var b []byte
	for ; i > 0; i /= 10 {
		b = append([]byte{byte('0' + i%10)}, b...)
	}
	return string(b)
}

func TestSweepCheckLiveStopsAKeyTheLocationRefuses(t *testing.T) {
	refuse := errors.New(`"." segment`)
	check := func(k string) error {
		if strings.Contains(k, "/./") {
			return refuse
		}
		return nil
	}
	got, _, _, err := collect(t, context.Background(), listOf(keys("x/a", "x/y")...), liveOf(keys("x/./y")...),
		SweepOptions{DataPrefix: pfx, Batch: 1, CheckLive: check})
	wantKind(t, err, ErrOutOfRange)
	if !errors.Is(err, refuse) || len(got) != 0 {
		t.Fatalf("error %v, emitted %q; want the check's error and nothing emitted", err, got)
	}
}
