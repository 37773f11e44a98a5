package gc

import (
	"math/rand/v2"
	"strings"
	"testing"
)

var shardCounts = []int{1, 2, 3, 7, 16, MaxShards}

// edgeKeys are keys at the edges of the shard function: nothing after the
// prefix, every single first byte, and keys outside the prefix.
func edgeKeys() []string {
	ks := []string{pfx, pfx + "/", pfx + "//", pfx + "\u00e9", pfx + "e\u0301"}
	for b := range 256 {
		ks = append(ks, pfx+string([]byte{byte(b)}), pfx+string([]byte{byte(b), 'x'}), pfx+string([]byte{byte(b), 0xff}))
	}
	return ks
}

// arbitraryKeys returns n keys with random bytes after the prefix
// (possibly none, possibly not UTF-8).
func arbitraryKeys(r *rand.Rand, n int) []string {
	ks := make([]string, n)
	for i := range ks {
		b := make([]byte, r.IntN(6))
		for j := range b {
			b[j] = byte(r.UintN(256))
		}
		ks[i] = pfx + string(b)
	}
	return ks
}

func TestShardsContainEveryKeyExactlyOnce(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	all := append(edgeKeys(), arbitraryKeys(r, 5000)...)
	for _, n := range shardCounts {
		for _, k := range all {
			in := 0
			for i := range n {
				if (Shard{Index: i, Count: n}).Contains(pfx, k) {
					in++
				}
			}
			if in != 1 {
				t.Fatalf("%d shards: key %q is in %d of them, want exactly 1", n, k, in)
			}
		}
	}
}

func TestShardsContainNoKeyOutsideThePrefix(t *testing.T) {
	for _, k := range []string{"", "wandb_artifacts", "wandb_artifacts_old/1/x", "team/wandb_artifacts/1/x", "Wandb_artifacts/1"} {
		for _, n := range shardCounts {
			for i := range n {
				if (Shard{Index: i, Count: n}).Contains(pfx, k) {
					t.Fatalf("shard %d/%d contains %q, outside %q", i, n, k, pfx)
				}
			}
		}
	}
}

func TestShardRangesAgreeWithContains(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	all := append(edgeKeys(), arbitraryKeys(r, 5000)...)
	all = append(all, "", "wandb_artifacts", "wandb_artifacts0", "wandb_artifacts/\xff\xff\xff", "x")
	for _, prefix := range []string{pfx, "a\xff/", "\xff\xff/"} {
		for _, n := range shardCounts {
			for i := range n {
				s := Shard{Index: i, Count: n}
				rs := s.Ranges(prefix)
				for j := 1; j < len(rs); j++ {
					if rs[j-1].End == "" || rs[j-1].End >= rs[j].Start {
						t.Fatalf("shard %v of %q: ranges %q not increasing and disjoint", s, prefix, rs)
					}
				}
				for _, k := range all {
					k = prefix + strings.TrimPrefix(k, pfx)
					inRanges := false
					for _, kr := range rs {
						inRanges = inRanges || kr.Contains(k)
					}
					if inRanges != s.Contains(prefix, k) {
						t.Fatalf("shard %v of %q: key %q in ranges %v, Contains %v (ranges %q)", s, prefix, k, inRanges, !inRanges, rs)
					}
				}
			}
		}
	}
}

func TestShardRangesOfTheWholeKeyspace(t *testing.T) {
	got := Shard{}.Ranges(pfx)
	want := []KeyRange{{Start: pfx, End: "wandb_artifacts0"}}
	if len(got) != 1 || got[0] != want[0] {
		t.Fatalf("Ranges = %q, want %q", got, want)
	}
}

func TestShardSpreadsDecimalDigits(t *testing.T) {
	// The default layout starts with a decimal number: ten shards give
	// each digit its own.
	seen := map[int]bool{}
	for d := '0'; d <= '9'; d++ {
		for i := range 10 {
			if (Shard{Index: i, Count: 10}).Contains(pfx, pfx+string(d)+"23/x") {
				seen[i] = true
			}
		}
	}
	if len(seen) != 10 {
		t.Fatalf("digits went to %d of 10 shards", len(seen))
	}
}

func TestParseShard(t *testing.T) {
	tests := []struct {
		name, in string
		want     Shard
		ok       bool
	}{
		{name: "the first of four", in: "0/4", want: Shard{0, 4}, ok: true},
		{name: "the last of four", in: "3/4", want: Shard{3, 4}, ok: true},
		{name: "the whole keyspace", in: "0/1", want: Shard{0, 1}, ok: true},
		{name: "the most shards", in: "94/95", want: Shard{94, 95}, ok: true},
		{name: "indexes count from 0: 4/4 is past the end", in: "4/4"},
		{name: "more shards than printable first bytes", in: "0/96"},
		{name: "no shards", in: "0/0"},
		{name: "a negative index", in: "-1/4"},
		{name: "a sign", in: "+1/4"},
		{name: "spaces", in: " 1/4"},
		{name: "no slash", in: "1"},
		{name: "two slashes", in: "1/2/3"},
		{name: "empty", in: ""},
		{name: "not a number", in: "a/b"},
		{name: "an overflowing number", in: "99999999999999999999/4"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseShard(tc.in)
			if !tc.ok {
				wantKind(t, err, ErrInvalid)
				return
			}
			wantKind(t, err, nil)
			if got != tc.want || got.String() != tc.in {
				t.Fatalf("ParseShard(%q) = %v, want %v printing as the input", tc.in, got, tc.want)
			}
		})
	}
}

func TestShardFromJobIndex(t *testing.T) {
	env := func(v string, set bool) func(string) (string, bool) {
		return func(name string) (string, bool) {
			if name != JobIndexEnv {
				t.Fatalf("looked up %q, want %q", name, JobIndexEnv)
			}
			return v, set
		}
	}
	tests := []struct {
		name  string
		v     string
		set   bool
		count int
		want  Shard
		ok    bool
	}{
		{name: "the pod of index 2 of 8", v: "2", set: true, count: 8, want: Shard{2, 8}, ok: true},
		{name: "the pod of index 0", v: "0", set: true, count: 1, want: Shard{0, 1}, ok: true},
		{name: "not in an Indexed Job", set: false, count: 8},
		{name: "an index past the completions", v: "8", set: true, count: 8},
		{name: "an index that is not a number", v: "two", set: true, count: 8},
		{name: "an empty index", v: "", set: true, count: 8},
		{name: "no count", v: "0", set: true, count: 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ShardFromJobIndex(env(tc.v, tc.set), tc.count)
			if !tc.ok {
				wantKind(t, err, ErrInvalid)
				return
			}
			wantKind(t, err, nil)
			if got != tc.want {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestShardZeroValueIsTheWholeKeyspace(t *testing.T) {
	var s Shard
	if err := s.Validate(); err != nil || s.String() != "0/1" || !s.Contains(pfx, pfx+"\xff") || !s.Contains(pfx, pfx) {
		t.Fatalf("zero Shard: Validate %v, String %q; want the whole keyspace 0/1", err, s.String())
	}
}

func TestInvalidShardContainsNothing(t *testing.T) {
	for _, s := range []Shard{{Index: 0, Count: -1}, {Index: 3, Count: 2}, {Index: 0, Count: MaxShards + 1}} {
		if s.Contains(pfx, pfx+"1") || s.Ranges(pfx) != nil {
			t.Fatalf("invalid shard %+v contains keys", s)
		}
	}
}
