package gc

import (
	"context"
	"iter"
	"math/rand/v2"
	"slices"
	"testing"
)

// propSeeds bounds the property tests: fixed seeds, so a failure repeats.
const propSeeds = 1000

// alphabet holds the bytes random keys are made of: the separators, a
// normalisation pair, case, escapes, and both ends of the byte range.
var alphabet = []string{"a", "A", "b", "/", "%2F", " ", "\u00e9", "e\u0301", "\x00", "\x7f", "\xff", "1", "."}

// randomKeys returns up to n random keys under the data prefix, sorted
// and unique.
func randomKeys(r *rand.Rand, n int) []string {
	out := make([]string, 0, n)
	for range n {
		k := pfx
		for range r.IntN(4) {
			k += alphabet[r.IntN(len(alphabet))]
		}
		out = append(out, k)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// subset picks each key with probability p.
func subset(r *rand.Rand, all []string, p float64) []string {
	var out []string
	for _, k := range all {
		if r.Float64() < p {
			out = append(out, k)
		}
	}
	return out
}

// minus returns the keys of a not in b (both sorted).
func minus(a, b []string) []string {
	var out []string
	for _, k := range a {
		if _, found := slices.BinarySearch(b, k); !found {
			out = append(out, k)
		}
	}
	return out
}

// watched yields keys and remembers how far it has got, so that emit can
// check the live stream is past every candidate.
type watched struct {
	keys  []string
	last  string
	any   bool
	ended bool
}

func (w *watched) seq() iter.Seq2[string, error] {
	return func(yield func(string, error) bool) {
		for _, k := range w.keys {
			w.last, w.any = k, true
			if !yield(k, nil) {
				return
			}
		}
		w.ended = true
	}
}

func TestSweepPropertyCandidatesAreListingMinusLive(t *testing.T) {
	for seed := range uint64(propSeeds) {
		r := rand.New(rand.NewPCG(seed, 0x5eed))
		universe := randomKeys(r, 1+r.IntN(120))
		listed := subset(r, universe, r.Float64())
		live := subset(r, universe, r.Float64())
		sh := whole
		if r.IntN(2) == 0 {
			count := 1 + r.IntN(8)
			sh = Shard{Index: r.IntN(count), Count: count}
			listed = inShard(sh, listed)
			live = inShard(sh, live)
		}
		w := &watched{keys: live}
		var got []string
		st, err := Sweep(context.Background(), listOf(listed...), w.seq(), SweepOptions{DataPrefix: pfx, Shard: sh, Batch: 1 + r.IntN(5)},
			func(b []Object) error {
				for _, c := range b {
					// Emitted only once the live stream is past it.
					if !w.ended && (!w.any || c.Key >= w.last) {
						t.Fatalf("seed %d: %q emitted while the live stream was at %q", seed, c.Key, w.last)
					}
					got = append(got, c.Key)
				}
				return nil
			})
		if err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		want := minus(listed, live)
		if !slices.Equal(got, want) {
			t.Fatalf("seed %d, shard %v: candidates %q, want listing minus live %q", seed, sh, got, want)
		}
		if st.Scanned != int64(len(listed)) || st.Candidates != int64(len(want)) || st.Live != int64(len(listed)-len(want)) || st.LiveKeys != int64(len(live)) {
			t.Fatalf("seed %d: stats %+v for %d listed, %d live, %d candidates", seed, st, len(listed), len(live), len(want))
		}
	}
}

func inShard(sh Shard, ks []string) []string {
	var out []string
	for _, k := range ks {
		if sh.Contains(pfx, k) {
			out = append(out, k)
		}
	}
	return out
}

func TestSweepPropertyOrderViolations(t *testing.T) {
	for seed := range uint64(propSeeds) {
		r := rand.New(rand.NewPCG(seed, 0xbad))
		universe := randomKeys(r, 2+r.IntN(100))
		listed := subset(r, universe, 0.7)
		live := subset(r, universe, 0.5)
		cleanLive := live
		breakLive := r.IntN(2) == 0
		side := &listed
		if breakLive {
			side = &live
		}
		if len(*side) == 0 {
			continue
		}
		// Insert, after position i-1, a key not greater than it: a repeat
		// or one from earlier in the universe.
		i := 1 + r.IntN(len(*side))
		prev := (*side)[i-1]
		bad := prev
		if r.IntN(2) == 0 {
			bad = universe[r.IntN(slices.Index(universe, prev)+1)]
		}
		*side = slices.Insert(slices.Clone(*side), i, bad)

		got, _, _, err := collect(t, context.Background(), listOf(listed...), liveOf(live...), SweepOptions{DataPrefix: pfx, Batch: 1 + r.IntN(4)})
		if breakLive {
			wantKind(t, err, ErrLiveOrder)
			// Decided only against live keys up to prev: below it, a true
			// candidate of the clean part, in order.
			want := minus(listed, cleanLive)
			if !isPrefix(got, want) {
				t.Fatalf("seed %d: emitted %q, not a prefix of the candidates %q", seed, got, want)
			}
			for _, k := range got {
				if k >= prev {
					t.Fatalf("seed %d: emitted %q, at or past the live key %q before the violation", seed, k, prev)
				}
			}
			continue
		}
		wantKind(t, err, ErrListOrder)
		// Nothing listed at or after the violation is emitted.
		want := minus(listed[:i], cleanLive)
		if !isPrefix(got, want) {
			t.Fatalf("seed %d: emitted %q, not a prefix of the clean listing's candidates %q", seed, got, want)
		}
	}
}

func isPrefix(got, want []string) bool {
	return len(got) <= len(want) && slices.Equal(got, want[:len(got)])
}
