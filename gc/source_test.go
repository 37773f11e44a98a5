package gc

import (
	"context"
	"errors"
	"iter"
	"slices"
	"testing"
)

func drain(t *testing.T, seq iter.Seq2[string, error]) []string {
	t.Helper()
	var out []string
	for k, err := range seq {
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, k)
	}
	return out
}

func TestSetSource(t *testing.T) {
	ctx := context.Background()
	s := NewSetSource(pfx, keys("b", "a", "b", "~", "\u00e9"))
	if got, want := drain(t, s.Live(ctx, Shard{})), keys("a", "b", "~", "\u00e9"); !slices.Equal(got, want) {
		t.Fatalf("Live = %q, want sorted, each once: %q", got, want)
	}
	var union []string
	for i := range 3 {
		union = append(union, drain(t, s.Live(ctx, Shard{Index: i, Count: 3}))...)
	}
	if slices.Sort(union); !slices.Equal(union, keys("a", "b", "~", "\u00e9")) {
		t.Fatalf("3 shards yield %q together", union)
	}
	kept, err := s.Claim(ctx, keys("a", "z"))
	if err != nil || !slices.Equal(kept, keys("a")) {
		t.Fatalf("Claim kept %q (%v), want the set's key only", kept, err)
	}
}

func TestMemServerClaimContract(t *testing.T) {
	ctx := context.Background()
	k1, k2, k3 := pfx+"1/v1/aa", pfx+"1/v2/bb", pfx+"1/v3/cc"
	tests := []struct {
		name  string
		setup func(s *MemServer) error
		claim []string
		kept  []string
	}{
		{name: "a committed version's key is kept", setup: func(s *MemServer) error {
			return errors.Join(s.Upload("v1", k1), s.Commit("v1"))
		}, claim: []string{k1}, kept: []string{k1}},
		{name: "an upload in flight is kept", setup: func(s *MemServer) error {
			return s.Upload("v1", k1)
		}, claim: []string{k1}, kept: []string{k1}},
		{name: "a deduplicated reference not yet committed is kept", setup: func(s *MemServer) error {
			return errors.Join(s.Upload("v1", k1), s.Commit("v1"), s.Delete("v1"), s.Reuse("v2", k1))
		}, claim: []string{k1}, kept: []string{k1}},
		{name: "a deleted version's key is claimed", setup: func(s *MemServer) error {
			return errors.Join(s.Upload("v1", k1), s.Commit("v1"), s.Delete("v1"))
		}, claim: []string{k1}},
		{name: "an aborted upload's key is claimed", setup: func(s *MemServer) error {
			return errors.Join(s.Upload("v1", k1), s.Abort("v1"))
		}, claim: []string{k1}},
		{name: "a key still named by a later version survives the first's deletion", setup: func(s *MemServer) error {
			return errors.Join(s.Upload("v1", k1), s.Commit("v1"), s.Reuse("v2", k1), s.Commit("v2"), s.Delete("v1"))
		}, claim: []string{k1, k2}, kept: []string{k1}},
		{name: "a key the server never knew is claimed", setup: func(*MemServer) error { return nil },
			claim: []string{k3}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := NewMemServer(pfx)
			if err := tc.setup(s); err != nil {
				t.Fatal(err)
			}
			kept, err := s.Claim(ctx, tc.claim)
			if err != nil || !slices.Equal(kept, tc.kept) {
				t.Fatalf("Claim kept %q (%v), want %q", kept, err, tc.kept)
			}
			for _, k := range tc.claim {
				if s.Claimed(k) == slices.Contains(tc.kept, k) {
					t.Fatalf("key %q: claimed %v, kept %v", k, s.Claimed(k), slices.Contains(tc.kept, k))
				}
			}
		})
	}
}

func TestMemServerNeverPointsANewVersionAtAClaimedKey(t *testing.T) {
	ctx := context.Background()
	s := NewMemServer(pfx)
	k := pfx + "1/v1/aa"
	if err := errors.Join(s.Upload("v1", k), s.Commit("v1"), s.Delete("v1")); err != nil {
		t.Fatal(err)
	}
	if kept, _ := s.Claim(ctx, []string{k}); len(kept) != 0 {
		t.Fatal("an unreferenced key was kept")
	}
	wantKind(t, s.Reuse("v2", k), ErrClaimed)
	wantKind(t, s.Upload("v2", k), ErrClaimed)
	// Claiming again is not an error: a resumed run does it.
	if kept, err := s.Claim(ctx, []string{k}); err != nil || len(kept) != 0 {
		t.Fatalf("a second claim kept %q (%v)", kept, err)
	}
	if drain(t, s.Live(ctx, Shard{})) != nil {
		t.Fatal("a claimed key is live")
	}
}

func TestMemServerLiveIsSortedAndSharded(t *testing.T) {
	ctx := context.Background()
	s := NewMemServer(pfx)
	all := keys("9/x", "1/x", "1/y", "\u00e9", "A")
	for i, k := range all {
		v := "v" + itoa(i)
		if err := s.Upload(v, k); err != nil {
			t.Fatal(err)
		}
		if i%2 == 0 {
			if err := s.Commit(v); err != nil {
				t.Fatal(err)
			}
		}
	}
	want := slices.Sorted(slices.Values(all))
	if got := drain(t, s.Live(ctx, Shard{})); !slices.Equal(got, want) {
		t.Fatalf("Live = %q, want live and in-flight keys in byte order %q", got, want)
	}
	var union []string
	for i := range 7 {
		union = append(union, drain(t, s.Live(ctx, Shard{Index: i, Count: 7}))...)
	}
	if slices.Sort(union); !slices.Equal(union, want) {
		t.Fatalf("7 shards yield %q together", union)
	}
}

func TestMemServerRefusesStateErrors(t *testing.T) {
	s := NewMemServer(pfx)
	k := pfx + "1/v1/aa"
	must(t, s.Upload("v1", k), s.Upload("v2", k))
	// Steps run in order, each on the state the ones before left.
	steps := []struct {
		name string
		do   func() error
		ok   bool
	}{
		{name: "deleting a pending version", do: func() error { return s.Delete("v1") }},
		{name: "committing an unknown version", do: func() error { return s.Commit("v9") }},
		{name: "committing", do: func() error { return s.Commit("v1") }, ok: true},
		{name: "committing twice", do: func() error { return s.Commit("v1") }},
		{name: "uploading to a committed version", do: func() error { return s.Upload("v1", k+"b") }},
		{name: "aborting a committed version", do: func() error { return s.Abort("v1") }},
		{name: "deleting", do: func() error { return s.Delete("v1") }, ok: true},
		{name: "deleting twice", do: func() error { return s.Delete("v1") }},
		{name: "reusing in a deleted version", do: func() error { return s.Reuse("v1", k) }},
		{name: "aborting", do: func() error { return s.Abort("v2") }, ok: true},
		{name: "committing an aborted version", do: func() error { return s.Commit("v2") }},
	}
	for _, st := range steps {
		err := st.do()
		if st.ok {
			if err != nil {
				t.Fatalf("%s: %v", st.name, err)
			}
			continue
		}
		if !errors.Is(err, ErrInvalid) {
			t.Fatalf("%s: error %v, want ErrInvalid", st.name, err)
		}
	}
}

// The race the claim closes, step by step, through List, Sweep and Claim
// on a real bucket: a version deduplicates against an old file after the
// sweep found it unreferenced. With the contract kept, the file survives;
// with a source that breaks it (claims without looking), it is lost,
// which shows this test can fail.
func TestClaimClosesTheReReferenceRace(t *testing.T) {
	for _, tc := range []struct {
		name     string
		broken   bool
		wantLost bool
	}{
		{name: "a source that keeps the contract keeps the file"},
		{name: "a source that claims without looking loses it", broken: true, wantLost: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			b := memBucket(t)
			srv := NewMemServer(pfx)
			old, other := pfx+"1/v1/7e8ff39b55a1a62101758a6dc7a69f70", pfx+"1/v1/d41d8cd98f00b204e9800998ecf8427e"
			must(t, srv.Upload("v1", old), srv.Upload("v1", other))
			put(t, b, old, other)
			must(t, srv.Commit("v1"), srv.Delete("v1"))

			l, err := List(b, ListOptions{DataPrefix: pfx, Sorted: true})
			must(t, err)
			var cands []string
			_, err = Sweep(ctx, l, srv.Live(ctx, Shard{}), SweepOptions{DataPrefix: pfx}, func(bt []Object) error {
				for _, o := range bt {
					cands = append(cands, o.Key)
				}
				return nil
			})
			must(t, err)
			if !slices.Equal(cands, []string{old, other}) {
				t.Fatalf("candidates %q", cands)
			}
			// Between the sweep and the delete, v2 deduplicates against old.
			must(t, srv.Reuse("v2", old))

			var kept []string
			if tc.broken {
				kept = nil // claims everything, referenced or not
			} else {
				kept, err = srv.Claim(ctx, cands)
				must(t, err)
			}
			for _, k := range cands {
				if !slices.Contains(kept, k) {
					must(t, b.Delete(ctx, k))
				}
			}
			must(t, srv.Commit("v2"))
			exists, err := b.Exists(ctx, old)
			must(t, err)
			if lost := srv.Referenced(old) && !exists; lost != tc.wantLost {
				t.Fatalf("file referenced by v2: lost = %v, want %v", lost, tc.wantLost)
			}
			if gone, _ := b.Exists(ctx, other); gone {
				t.Fatal("the unreferenced file was not collected")
			}
		})
	}
}

func must(t *testing.T, errs ...error) {
	t.Helper()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
}
