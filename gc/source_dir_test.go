package gc

import (
	"context"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
)

// dirEntry is the entry of a file with content c, first uploaded by birth.
func dirEntry(path, birth, c string) Entry {
	sum := md5.Sum([]byte(c))
	return Entry{Path: path, Digest: base64.StdEncoding.EncodeToString(sum[:]), BirthArtifactID: birth, Size: int64(len(c))}
}

// dirKey is dirEntry's key in group "1" under DefaultLayout.
func dirKey(birth, c string) string {
	sum := md5.Sum([]byte(c))
	return pfx + "1/" + birth + "/" + hex.EncodeToString(sum[:])
}

func openDir(t *testing.T, dir string, o DirOptions) *ManifestDir {
	t.Helper()
	d, err := OpenManifestDir(dir, o)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// snapshot returns every file of dir and its content, to show that a
// refused call wrote nothing.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	files := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, e os.DirEntry, err error) error {
		if err != nil || e.IsDir() || e.Name() == DirLockFile {
			return err
		}
		b, err := os.ReadFile(p)
		files[p] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func TestManifestDirClaimContract(t *testing.T) {
	ctx := context.Background()
	k1, k3 := dirKey("v1", "one"), dirKey("v3", "three")
	e1, e2 := dirEntry("a.txt", "v1", "one"), dirEntry("b.txt", "v2", "two")
	tests := []struct {
		name  string
		setup func(d *ManifestDir) error
		claim []string
		kept  []string
	}{
		{name: "a committed version's key is kept", setup: func(d *ManifestDir) error {
			return errors.Join(d.Upload(ctx, "1", "v1", e1), d.Commit(ctx, "1", "v1"))
		}, claim: []string{k1}, kept: []string{k1}},
		{name: "an upload in flight is kept", setup: func(d *ManifestDir) error {
			return d.Upload(ctx, "1", "v1", e1)
		}, claim: []string{k1}, kept: []string{k1}},
		{name: "a deduplicated reference not yet committed is kept", setup: func(d *ManifestDir) error {
			return errors.Join(d.Upload(ctx, "1", "v1", e1), d.Commit(ctx, "1", "v1"), d.Delete(ctx, "1", "v1"), d.Reuse(ctx, "1", "v2", e1))
		}, claim: []string{k1}, kept: []string{k1}},
		{name: "a deleted version's key is claimed", setup: func(d *ManifestDir) error {
			return errors.Join(d.Upload(ctx, "1", "v1", e1), d.Commit(ctx, "1", "v1"), d.Delete(ctx, "1", "v1"))
		}, claim: []string{k1}},
		{name: "a removed manifest is a deleted version", setup: func(d *ManifestDir) error {
			return errors.Join(d.Upload(ctx, "1", "v1", e1), d.Commit(ctx, "1", "v1"), os.Remove(d.path("1", "v1", stCommitted)))
		}, claim: []string{k1}},
		{name: "an aborted upload's key is claimed", setup: func(d *ManifestDir) error {
			return errors.Join(d.Upload(ctx, "1", "v1", e1), d.Abort(ctx, "1", "v1"))
		}, claim: []string{k1}},
		{name: "a key still named by a later version survives the first's deletion", setup: func(d *ManifestDir) error {
			return errors.Join(d.Upload(ctx, "1", "v1", e1), d.Commit(ctx, "1", "v1"),
				d.Reuse(ctx, "1", "v2", e1), d.Upload(ctx, "1", "v2", e2), d.Commit(ctx, "1", "v2"), d.Delete(ctx, "1", "v1"))
		}, claim: []string{k1, k3}, kept: []string{k1}},
		{name: "a key the server never knew is claimed", setup: func(*ManifestDir) error { return nil },
			claim: []string{k3}},
		{name: "a key that is not UTF-8 is kept: the claims file could not hold it exactly", setup: func(*ManifestDir) error { return nil },
			claim: []string{pfx + "1/x/\xff"}, kept: []string{pfx + "1/x/\xff"}},
		{name: "a key of another group is told apart by the layout", setup: func(d *ManifestDir) error {
			return errors.Join(d.Upload(ctx, "2", "v1", e1), d.Commit(ctx, "2", "v1"))
		}, claim: []string{k1, pfx + "2/v1/" + strings.TrimPrefix(k1, pfx+"1/v1/")}, kept: []string{pfx + "2/v1/" + strings.TrimPrefix(k1, pfx+"1/v1/")}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			d := openDir(t, dir, DirOptions{})
			if err := tc.setup(d); err != nil {
				t.Fatal(err)
			}
			checked, err := d.Check(ctx, tc.claim)
			if err != nil || !slices.Equal(checked, tc.kept) {
				t.Fatalf("Check kept %q (%v), want %q", checked, err, tc.kept)
			}
			for _, k := range tc.claim {
				if c, _ := d.Claimed(ctx, k); c {
					t.Fatalf("Check claimed %q: a dry run must claim nothing", k)
				}
			}
			kept, err := d.Claim(ctx, tc.claim)
			if err != nil || !slices.Equal(kept, tc.kept) {
				t.Fatalf("Claim kept %q (%v), want %q", kept, err, tc.kept)
			}
			// A second collector process (a fresh ManifestDir) sees the
			// claims, and claiming again is not an error.
			again := openDir(t, dir, DirOptions{})
			for _, k := range tc.claim {
				want := !slices.Contains(tc.kept, k)
				if c, err := again.Claimed(ctx, k); err != nil || c != want {
					t.Errorf("after reopening, Claimed(%q) = %v (%v), want %v", k, c, err, want)
				}
			}
			if kept, err := again.Claim(ctx, tc.claim); err != nil || !slices.Equal(kept, tc.kept) {
				t.Fatalf("a second Claim kept %q (%v), want %q", kept, err, tc.kept)
			}
		})
	}
}

func TestManifestDirWritersRefuseClaimedKeys(t *testing.T) {
	ctx := context.Background()
	e1 := dirEntry("a.txt", "v1", "one")
	k1 := dirKey("v1", "one")
	for _, tc := range []struct {
		name  string
		write func(d *ManifestDir) error
	}{
		{"a deduplication against a claimed key", func(d *ManifestDir) error { return d.Reuse(ctx, "1", "v2", e1) }},
		{"an upload under a claimed key", func(d *ManifestDir) error { return d.Upload(ctx, "1", "v2", e1) }},
		{"a deduplication into a version that is already pending", func(d *ManifestDir) error {
			return d.Reuse(ctx, "1", "v3", e1)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			d := openDir(t, dir, DirOptions{})
			must(t, d.Upload(ctx, "1", "v1", e1), d.Commit(ctx, "1", "v1"), d.Delete(ctx, "1", "v1"),
				d.Upload(ctx, "1", "v3", dirEntry("b.txt", "v3", "b")))
			if kept, err := d.Claim(ctx, []string{k1}); err != nil || len(kept) != 0 {
				t.Fatalf("Claim kept %q (%v)", kept, err)
			}
			before := snapshot(t, dir)
			err := tc.write(d)
			var ge *Error
			if !errors.Is(err, ErrClaimed) || !errors.As(err, &ge) || ge.Key != k1 || !strings.Contains(err.Error(), "fix: ") {
				t.Fatalf("got %v, want ErrClaimed naming %q with a fix", err, k1)
			}
			if after := snapshot(t, dir); !mapsEqual(before, after) {
				t.Fatalf("a refused write changed the directory:\nbefore %q\nafter  %q", before, after)
			}
		})
	}
}

func TestManifestDirWriterErrors(t *testing.T) {
	ctx := context.Background()
	e1 := dirEntry("a.txt", "v1", "one")
	bad := e1
	bad.Digest = "not base64"
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	tests := []struct {
		name string
		do   func(d *ManifestDir) error
		kind error
	}{
		{"a version name with a dot", func(d *ManifestDir) error { return d.Upload(ctx, "1", "v1.pending", e1) }, ErrInvalid},
		{"a group name with a slash", func(d *ManifestDir) error { return d.Upload(ctx, "1/2", "v1", e1) }, ErrInvalid},
		{"an empty path", func(d *ManifestDir) error { e := e1; e.Path = ""; return d.Upload(ctx, "1", "v9", e) }, ErrInvalid},
		{"a digest that is not an MD5", func(d *ManifestDir) error { return d.Upload(ctx, "1", "v9", bad) }, ErrManifest},
		{"no birth artifact id to build a key with", func(d *ManifestDir) error {
			e := e1
			e.BirthArtifactID = ""
			return d.Upload(ctx, "1", "v9", e)
		}, ErrManifest},
		{"an upload into a committed version", func(d *ManifestDir) error { return d.Upload(ctx, "1", "v1", e1) }, ErrInvalid},
		{"committing a version that is not pending", func(d *ManifestDir) error { return d.Commit(ctx, "1", "v9") }, ErrInvalid},
		{"committing twice", func(d *ManifestDir) error { return d.Commit(ctx, "1", "v1") }, ErrInvalid},
		{"deleting a version that is not committed", func(d *ManifestDir) error { return d.Delete(ctx, "1", "v9") }, ErrInvalid},
		{"aborting a version that is not pending", func(d *ManifestDir) error { return d.Abort(ctx, "1", "v1") }, ErrInvalid},
		{"an ended context", func(d *ManifestDir) error { return d.Upload(cancelled, "1", "v9", e1) }, context.Canceled},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			d := openDir(t, dir, DirOptions{})
			must(t, d.Upload(ctx, "1", "v1", e1), d.Commit(ctx, "1", "v1"))
			before := snapshot(t, dir)
			if err := tc.do(d); !errors.Is(err, tc.kind) {
				t.Fatalf("got %v, want %v", err, tc.kind)
			}
			if after := snapshot(t, dir); !mapsEqual(before, after) {
				t.Fatalf("a refused write changed the directory:\nbefore %q\nafter  %q", before, after)
			}
		})
	}
}

// TestManifestDirBrokenManifests: a manifest byob cannot read stops Live
// and Claim with ErrManifest naming the file, and nothing is claimed.
func TestManifestDirBrokenManifests(t *testing.T) {
	ctx := context.Background()
	good := string(encodeManifest(&Manifest{Contents: map[string]Entry{"a": mustEntry(t, dirEntry("a", "v1", "one"))}}))
	tests := []struct {
		name, file, content string
		dir                 bool
		refused             string // the path the error names, if not file
	}{
		{name: "torn: cut off mid-write", file: "1/v2.json", content: good[:len(good)/2]},
		{name: "empty file", file: "1/v2.json", content: ""},
		{name: "a pending manifest that is torn", file: "1/v2.pending.json", content: good[:10]},
		{name: "another manifest version", file: "1/v2.json", content: strings.Replace(good, `"version":1`, `"version":2`, 1)},
		{name: "contents missing", file: "1/v2.json", content: `{"version":1,"storagePolicy":"wandb-storage-policy-v1"}`},
		{name: "an entry without a birth artifact id", file: "1/v2.json",
			content: `{"version":1,"storagePolicy":"wandb-storage-policy-v1","contents":{"a":{"digest":"` + dirEntry("a", "", "x").Digest + `"}}}`},
		{name: "a file name byob does not read", file: "1/v2.JSON", content: good},
		{name: "a backup copy", file: "1/v2.json.bak", content: good},
		{name: "a manifest outside a group directory", file: "v2.json", content: good},
		{name: "a directory inside a group", file: "1/v2.json", dir: true},
		{name: "a group name with a dot", file: "1.old/v2.json", content: good, refused: "1.old"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			d := openDir(t, dir, DirOptions{})
			must(t, d.Upload(ctx, "1", "v1", dirEntry("a", "v1", "one")), d.Commit(ctx, "1", "v1"))
			p := filepath.Join(dir, tc.file)
			must(t, os.MkdirAll(filepath.Dir(p), 0o755))
			if tc.dir {
				must(t, os.Mkdir(p, 0o755))
			} else {
				must(t, os.WriteFile(p, []byte(tc.content), 0o644))
			}
			named := p
			if tc.refused != "" {
				named = filepath.Join(dir, tc.refused)
			}
			var liveErr error
			var yielded []string
			for k, err := range d.Live(ctx, Shard{}) {
				if err != nil {
					liveErr = err
					break
				}
				yielded = append(yielded, k)
			}
			for what, err := range map[string]error{"Live": liveErr, "Claim": second(d.Claim(ctx, []string{dirKey("v9", "x")}))} {
				if !errors.Is(err, ErrManifest) || !strings.Contains(err.Error(), quote(named)) {
					t.Errorf("%s: got %v, want ErrManifest naming %s", what, err, named)
				}
			}
			if len(yielded) != 0 {
				t.Errorf("Live yielded %q before the broken manifest stopped it", yielded)
			}
			if c, _ := d.Claimed(ctx, dirKey("v9", "x")); c {
				t.Error("a Claim that failed claimed its key")
			}
		})
	}
}

func TestManifestDirClaimsFile(t *testing.T) {
	ctx := context.Background()
	ka, kb := dirKey("v1", "a"), dirKey("v1", "b")
	claims := func(dir string) string { return filepath.Join(dir, DirClaimsFile) }
	t.Run("a torn last line is ignored and cut off by the next claim", func(t *testing.T) {
		dir := t.TempDir()
		d := openDir(t, dir, DirOptions{})
		if _, err := d.Claim(ctx, []string{ka}); err != nil {
			t.Fatal(err)
		}
		f, err := os.OpenFile(claims(dir), os.O_APPEND|os.O_WRONLY, 0)
		must(t, err)
		_, err = f.WriteString(`{"v":1,"claimed":["` + kb)
		must(t, err, f.Close())
		d2 := openDir(t, dir, DirOptions{})
		if c, err := d2.Claimed(ctx, kb); err != nil || c {
			t.Fatalf("the torn claim counts: %v %v", c, err)
		}
		if _, err := d2.Claim(ctx, []string{kb}); err != nil {
			t.Fatal(err)
		}
		data, err := os.ReadFile(claims(dir))
		must(t, err)
		lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
		if len(lines) != 2 || strings.Contains(string(data), `["`+kb+`{`) {
			t.Fatalf("claims file after the repair:\n%s", data)
		}
		for _, k := range []string{ka, kb} {
			if c, err := openDir(t, dir, DirOptions{}).Claimed(ctx, k); err != nil || !c {
				t.Fatalf("%q not claimed after the repair: %v", k, err)
			}
		}
	})
	t.Run("a complete line that is not a claim refuses every transaction", func(t *testing.T) {
		dir := t.TempDir()
		must(t, os.WriteFile(claims(dir), []byte("garbage\n"), 0o600))
		if _, err := OpenManifestDir(dir, DirOptions{}); !errors.Is(err, ErrSource) || !strings.Contains(err.Error(), DirClaimsFile) {
			t.Fatalf("open: got %v, want ErrSource naming the claims file", err)
		}
	})
	t.Run("claims written by another process are seen by a writer", func(t *testing.T) {
		dir := t.TempDir()
		writer := openDir(t, dir, DirOptions{})
		must(t, writer.Upload(ctx, "1", "v1", dirEntry("a", "v1", "a")), writer.Commit(ctx, "1", "v1"), writer.Delete(ctx, "1", "v1"))
		if c, _ := writer.Claimed(ctx, ka); c {
			t.Fatal("claimed too early")
		}
		if _, err := openDir(t, dir, DirOptions{}).Claim(ctx, []string{ka}); err != nil {
			t.Fatal(err)
		}
		if err := writer.Reuse(ctx, "1", "v2", dirEntry("a", "v1", "a")); !errors.Is(err, ErrClaimed) {
			t.Fatalf("Reuse after another process's claim: %v, want ErrClaimed", err)
		}
	})
}

func TestManifestDirLive(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	d := openDir(t, dir, DirOptions{})
	rng := rand.New(rand.NewPCG(1, 2))
	var want []string
	for v := range 40 {
		version := fmt.Sprintf("v%d", v)
		group := []string{"1", "22", "3"}[v%3]
		for f := range 1 + rng.IntN(30) {
			birth := version
			c := fmt.Sprintf("%d-%d", v, f)
			if v > 0 && rng.IntN(3) == 0 { // deduplicate against an earlier version's file
				pv := rng.IntN(v)
				birth, c = fmt.Sprintf("v%d", pv), fmt.Sprintf("%d-%d", pv, 0)
			}
			e := dirEntry(fmt.Sprintf("f%d", f), birth, c)
			must(t, d.Upload(ctx, group, version, e))
			sum := md5.Sum([]byte(c))
			want = append(want, pfx+group+"/"+birth+"/"+hex.EncodeToString(sum[:]))
		}
		if v%5 != 4 { // every fifth version stays pending: in flight
			must(t, d.Commit(ctx, group, version))
		}
	}
	must(t, d.Upload(ctx, "1", "gone", dirEntry("x", "gone", "x")), d.Commit(ctx, "1", "gone"), d.Delete(ctx, "1", "gone"))
	slices.Sort(want)
	want = slices.Compact(want)

	for _, chunk := range []int{1, 7, 1 << 16} {
		t.Run(fmt.Sprintf("sort chunk %d", chunk), func(t *testing.T) {
			spool := t.TempDir()
			s := openDir(t, dir, DirOptions{SortChunk: chunk, SpoolDir: spool})
			if got := drain(t, s.Live(ctx, Shard{})); !slices.Equal(got, want) {
				t.Fatalf("Live yielded %d keys, want %d (sorted, each once, deleted versions left out)", len(got), len(want))
			}
			var union []string
			for i := range 4 {
				sh := Shard{Index: i, Count: 4}
				got := drain(t, s.Live(ctx, sh))
				for _, k := range got {
					if !sh.Contains(pfx, k) {
						t.Fatalf("shard %v yielded %q", sh, k)
					}
				}
				union = append(union, got...)
			}
			if slices.Sort(union); !slices.Equal(union, want) {
				t.Fatalf("4 shards yield %d keys together, want %d", len(union), len(want))
			}
			for range s.Live(ctx, Shard{}) {
				break // an early stop removes the runs too
			}
			if ents, _ := os.ReadDir(spool); len(ents) != 0 {
				t.Fatalf("Live left %d files in the spool directory", len(ents))
			}
		})
	}
	t.Run("an ended context stops the stream", func(t *testing.T) {
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		var err error
		for _, e := range d.Live(cctx, Shard{}) {
			err = e
		}
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("an invalid shard", func(t *testing.T) {
		var err error
		for _, e := range d.Live(ctx, Shard{Index: 3, Count: 2}) {
			err = e
		}
		if !errors.Is(err, ErrInvalid) {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("the sweep over it keeps every live file", func(t *testing.T) {
		var listed []string
		listed = append(listed, want...)
		listed = append(listed, dirKey("gone", "x"))
		slices.Sort(listed)
		cands, _, _, err := collect(t, ctx, listOf(listed...), d.Live(ctx, Shard{}), SweepOptions{DataPrefix: pfx})
		if err != nil || !slices.Equal(cands, []string{dirKey("gone", "x")}) {
			t.Fatalf("candidates %q (%v), want the deleted version's file only", cands, err)
		}
	})
}

// TestManifestDirConcurrentWriterAndClaim runs a server writing versions
// (uploads, deduplications of old files, commits, deletions) against a
// collector claiming every file it finds unreferenced, each through its
// own ManifestDir, so that only the flock orders them, as between two
// processes. Invariant: no key a committed or pending version names is
// ever claimed. A server that skips the claim check (a rogue writer that
// takes the lock but deduplicates and commits blindly) breaks it, and the
// test sees that: the check is what it tests.
func TestManifestDirConcurrentWriterAndClaim(t *testing.T) {
	honest := dirWriter{reuse: (*ManifestDir).Reuse, commit: (*ManifestDir).Commit}
	rogue := dirWriter{reuse: rogueReuse, commit: rogueCommit}
	for _, tc := range []struct {
		name   string
		w      dirWriter
		broken bool
	}{{"the contract kept", honest, false}, {"a writer that skips the claim check", rogue, true}} {
		t.Run(tc.name, func(t *testing.T) {
			violations, claimed := concurrentWriterAndClaim(t, tc.w)
			if claimed == 0 {
				t.Fatal("the collector claimed nothing: the test exercised no race")
			}
			if broken := violations > 0; broken != tc.broken {
				t.Fatalf("%d claimed keys named by a version; want the contract broken = %v", violations, tc.broken)
			}
		})
	}
}

// dirWriter is how the server deduplicates and commits.
type dirWriter struct {
	reuse  func(d *ManifestDir, ctx context.Context, group, version string, e Entry) error
	commit func(d *ManifestDir, ctx context.Context, group, version string) error
}

// rogueReuse adds e to the pending version under the lock, without
// looking at the claims.
func rogueReuse(d *ManifestDir, ctx context.Context, group, version string, e Entry) error {
	ent, err := checkEntry("reuse", e)
	if err != nil {
		return err
	}
	return d.transaction(ctx, func() error {
		p := d.path(group, version, stPending)
		m, err := readManifestFile(p)
		if err != nil {
			m = &Manifest{Contents: map[string]Entry{}}
		}
		m.Contents[ent.Path] = ent
		return writeFileAtomic(p, encodeManifest(m))
	})
}

// rogueCommit renames the pending manifest without looking at the claims.
func rogueCommit(d *ManifestDir, ctx context.Context, group, version string) error {
	return d.transaction(ctx, func() error {
		return os.Rename(d.path(group, version, stPending), d.path(group, version, stCommitted))
	})
}

// concurrentWriterAndClaim runs the race and returns how many claimed
// keys a committed or pending version names at the end, and how many
// keys were claimed.
func concurrentWriterAndClaim(t *testing.T, w dirWriter) (violations, claimed int) {
	ctx := context.Background()
	dir := t.TempDir()
	server, collector := openDir(t, dir, DirOptions{}), openDir(t, dir, DirOptions{})
	const versions = 60
	var mu sync.Mutex
	var uploaded []Entry // every file ever uploaded
	var refused int
	errc := make(chan error, 2)
	done := make(chan struct{})
	tick := make(chan struct{}, 1) // the server has done something: claim again
	step := func() {
		select {
		case tick <- struct{}{}:
		default:
		}
	}
	go func() { // the server
		defer close(done)
		errc <- func() error {
			rng := rand.New(rand.NewPCG(3, 4))
			for v := range versions {
				version := fmt.Sprintf("v%d", v)
				for f := range 3 {
					mu.Lock()
					n := len(uploaded)
					mu.Unlock()
					if n > 0 && rng.IntN(2) == 0 {
						mu.Lock()
						old := uploaded[rng.IntN(n)]
						mu.Unlock()
						old.Path = fmt.Sprintf("f%d", f)
						err := w.reuse(server, ctx, "1", version, old)
						step()
						if err == nil {
							continue
						}
						if !errors.Is(err, ErrClaimed) {
							return err
						}
						refused++ // upload the content again under this version's key
					}
					e := dirEntry(fmt.Sprintf("f%d", f), version, fmt.Sprintf("%d-%d", v, f))
					if err := server.Upload(ctx, "1", version, e); err != nil {
						return err
					}
					step()
					mu.Lock()
					uploaded = append(uploaded, e)
					mu.Unlock()
				}
				if err := w.commit(server, ctx, "1", version); err != nil {
					return err
				}
				step()
				if v >= 2 && rng.IntN(3) > 0 {
					if err := server.Delete(ctx, "1", fmt.Sprintf("v%d", v-2)); err != nil && !errors.Is(err, ErrInvalid) {
						return err
					}
					step()
				}
			}
			return nil
		}()
	}()
	go func() { // the collector: claims every uploaded key not live by its own (stale) view
		for {
			select {
			case <-done:
				errc <- nil
				return
			case <-tick:
			}
			mu.Lock()
			var keys []string
			for _, e := range uploaded {
				keys = append(keys, mustKey(e))
			}
			mu.Unlock()
			if _, err := collector.Claim(ctx, keys); err != nil {
				errc <- err
				return
			}
		}
	}()
	for range 2 {
		if err := <-errc; err != nil {
			t.Fatal(err)
		}
	}
	// The end state: nothing live is claimed.
	var live []string
	must(t, collector.scan(ctx, func(_ string, _ versionState, keys []string) error { live = append(live, keys...); return nil }))
	for _, e := range uploaded {
		k := mustKey(e)
		c, err := collector.Claimed(ctx, k)
		must(t, err)
		if c {
			claimed++
			if slices.Contains(live, k) {
				violations++
			}
		}
	}
	t.Logf("%d files, %d claimed, %d deduplications refused, %d claimed keys named by a version", len(uploaded), claimed, refused, violations)
	return violations, claimed
}

func mustKey(e Entry) string {
	sum, _ := base64.StdEncoding.DecodeString(e.Digest)
	return pfx + "1/" + e.BirthArtifactID + "/" + hex.EncodeToString(sum)
}

func mustEntry(t *testing.T, e Entry) Entry {
	t.Helper()
	out, err := checkEntry("test", e)
	must(t, err)
	return out
}

func second[T any](_ T, err error) error { return err }

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// TestManifestDirLockErrors: a directory the collector may not write is
// the caller's to fix (mount it read-write), not a source failure.
func TestManifestDirLockErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		kind error
	}{
		{"a read-only file system", &os.PathError{Op: "open", Path: "x", Err: syscall.EROFS}, ErrInvalid},
		{"no permission", &os.PathError{Op: "open", Path: "x", Err: syscall.EACCES}, ErrInvalid},
		{"anything else", &os.PathError{Op: "open", Path: "x", Err: syscall.EIO}, ErrSource},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := lockError("/m/"+DirLockFile, tc.err)
			if !errors.Is(err, tc.kind) || !errors.Is(err, tc.err.(*os.PathError).Err) {
				t.Fatalf("got %v, want %v wrapping the cause", err, tc.kind)
			}
			if tc.kind == ErrInvalid && !strings.Contains(err.Error(), "read-write") {
				t.Fatalf("no fix: %v", err)
			}
		})
	}
}
