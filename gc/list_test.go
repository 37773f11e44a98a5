package gc

import (
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/byobkit/byob/address"
	"github.com/byobkit/byob/scope"
	"gocloud.dev/blob"
	"gocloud.dev/blob/driver"
	"gocloud.dev/blob/fileblob"
	"gocloud.dev/blob/memblob"
	"gocloud.dev/gcerrors"
)

func fileBucket(t *testing.T) *blob.Bucket {
	t.Helper()
	b, err := fileblob.OpenBucket(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

func memBucket(t *testing.T) *blob.Bucket {
	t.Helper()
	b := memblob.OpenBucket(nil)
	t.Cleanup(func() { b.Close() })
	return b
}

// put writes each key with its own name as content.
func put(t *testing.T, b *blob.Bucket, ks ...string) {
	t.Helper()
	for _, k := range ks {
		if err := b.WriteAll(context.Background(), k, []byte(k), nil); err != nil {
			t.Fatalf("write %q: %v", k, err)
		}
	}
}

// readAll drains a listing: the keys, and the error that ended it (nil
// for io.EOF).
func readAll(t *testing.T, l *Listing) ([]Object, error) {
	t.Helper()
	var out []Object
	for {
		o, err := l.Next(context.Background())
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, o)
	}
}

func keysOf(os []Object) []string {
	out := make([]string, len(os))
	for i, o := range os {
		out[i] = o.Key
	}
	return out
}

func listKeys(t *testing.T, b *blob.Bucket, o ListOptions) ([]string, error) {
	t.Helper()
	l, err := List(b, o)
	if err != nil {
		t.Fatal(err)
	}
	objs, err := readAll(t, l)
	return keysOf(objs), err
}

// The fault List exists for: gocloud v0.47.0's fileblob lists "a/b"
// before "a b", though ' ' (0x20) sorts before '/' (0x2f). (It swaps a key
// that arrives out of order with the one before it, which hides the fault
// for a directory of one file, not of two.) When the driver is fixed this
// test fails: then address.Rules.ListSorted may become true for file://.
func TestFileblobListsOutOfByteOrder(t *testing.T) {
	b := fileBucket(t)
	put(t, b, pfx+"a/b", pfx+"a/c/d", pfx+"a b", pfx+"a-b")
	var got []string
	it := b.List(&blob.ListOptions{Prefix: pfx})
	for {
		o, err := it.Next(context.Background())
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, o.Key)
	}
	if want := keys("a/b", "a b", "a-b", "a/c/d"); !slices.Equal(got, want) {
		t.Fatalf("fileblob listed %q; the known fault is %q", got, want)
	}
}

func TestListVerifiesByteOrderOnFileblob(t *testing.T) {
	b := fileBucket(t)
	put(t, b, pfx+"a/b", pfx+"a/c/d", pfx+"a b", pfx+"a-c", pfx+"ab")

	t.Run("trusting its order, the listing stops at the first key out of order", func(t *testing.T) {
		l, err := List(b, ListOptions{DataPrefix: pfx, Sorted: true})
		if err != nil {
			t.Fatal(err)
		}
		got, err := readAll(t, l)
		wantKind(t, err, ErrListOrder)
		if ks := keysOf(got); !slices.Equal(ks, keys("a/b")) {
			t.Fatalf("listed %q before the error, want only the keys before the first out of order", ks)
		}
		if _, again := l.Next(context.Background()); again != err {
			t.Fatalf("Next after the error = %v, want the same error", again)
		}
	})
	t.Run("sorting it itself, the listing is in byte order", func(t *testing.T) {
		got, err := listKeys(t, b, ListOptions{DataPrefix: pfx, Sorted: false})
		wantKind(t, err, nil)
		want := keys("a b", "a-c", "a/b", "a/c/d", "ab")
		if !slices.Equal(got, want) {
			t.Fatalf("listed %q, want %q", got, want)
		}
	})
}

func TestListLocationSortsFileLocations(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	instance, err := address.Parse("file://" + dir)
	if err != nil {
		t.Fatal(err)
	}
	reg, err := scope.New(ctx, scope.Config{Deployment: scope.Testing, Instance: instance, Store: scope.NewMemStore(),
		Open: scope.ProviderOpen(), Check: func(context.Context, *address.Address) ([]string, error) { return nil, nil }})
	if err != nil {
		t.Fatal(err)
	}
	defer reg.Close()
	loc, err := reg.Instance()
	if err != nil {
		t.Fatal(err)
	}
	if loc.Handle().Rules().ListSorted {
		t.Fatal("file:// is marked as listing in byte order; this test checks the other case")
	}
	put(t, loc.Bucket(), pfx+"a/b", pfx+"a b", "run/files/x")
	before := time.Now().Add(-time.Minute)
	l, err := ListLocation(loc, pfx, Shard{})
	if err != nil {
		t.Fatal(err)
	}
	got, err := readAll(t, l)
	wantKind(t, err, nil)
	if ks := keysOf(got); !slices.Equal(ks, keys("a b", "a/b")) {
		t.Fatalf("listed %q, want %q", ks, keys("a b", "a/b"))
	}
	for _, o := range got {
		if o.Size != int64(len(o.Key)) || o.ModTime.Before(before) {
			t.Fatalf("object %q has size %d and time %v, want its size and modification time", o.Key, o.Size, o.ModTime)
		}
	}
}

func TestListNeverListsThePrefixItselfOrOutsideIt(t *testing.T) {
	for _, sorted := range []bool{true, false} {
		b := memBucket(t)
		put(t, b, pfx, "wandb_artifacts", "wandb_artifacts_old/1/x", "other/"+pfx+"1", pfx+"1/x")
		for _, n := range shardCounts {
			var got []string
			for i := range n {
				ks, err := listKeys(t, b, ListOptions{DataPrefix: pfx, Shard: Shard{Index: i, Count: n}, Sorted: sorted})
				wantKind(t, err, nil)
				got = append(got, ks...)
			}
			if !slices.Equal(got, keys("1/x")) {
				t.Fatalf("sorted=%v, %d shards: listed %q, want only %q", sorted, n, got, keys("1/x"))
			}
		}
	}
}

// validKeys returns random UTF-8 keys (gocloud refuses others), whose first
// byte after the prefix covers control bytes, printable ASCII, 0x7f and
// multi-byte characters, made of parts.
func validKeys(r *rand.Rand, n int, parts []string) []string {
	out := make([]string, 0, n)
	for range n {
		k := pfx
		for range 1 + r.IntN(4) {
			k += parts[r.IntN(len(parts))]
		}
		out = append(out, k)
	}
	return out
}

// TestShardListingsVisitEveryKeyExactlyOnce lists a bucket shard by shard,
// for 1, 2, 3, 7, 16 and MaxShards shards, with and without trusting the
// store's order: together the shards list every key exactly once, each in
// byte order, each key in its shard.
func TestShardListingsVisitEveryKeyExactlyOnce(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	parts := []string{"a", "A", "a b", "/", " ", "-", "0", "1", "9", "~", "\x01", "\x1f", "\x7f", "\u00e9", "e\u0301", "\u00ff", "\U0001F600", "%2F"}
	buckets := []struct {
		name   string
		b      *blob.Bucket
		sorted []bool
		parts  []string
	}{
		{name: "memblob", b: memBucket(t), sorted: []bool{true, false}, parts: append(parts, ".")},
		// Without ".": fileblob cleans "x/./y" into "x/y" (see
		// TestFileblobCleansDotSegments).
		{name: "fileblob", b: fileBucket(t), sorted: []bool{false}, parts: parts},
	}
	for _, bk := range buckets {
		// Keep the keys the store accepts: on disk, a key cannot be both a
		// file and a directory ("x" and "x/y").
		var written []string
		for _, k := range validKeys(r, 600, bk.parts) {
			if bk.name == "fileblob" && escapedDir(k) {
				continue // see TestFileblobLosesEscapedDirectories
			}
			if bk.b.WriteAll(context.Background(), k, nil, nil) == nil {
				written = append(written, k)
			}
		}
		slices.Sort(written)
		written = slices.Compact(written)
		if len(written) < 300 {
			t.Fatalf("%s: only %d keys written", bk.name, len(written))
		}
		for _, sorted := range bk.sorted {
			for _, n := range shardCounts {
				var all []string
				for i := range n {
					sh := Shard{Index: i, Count: n}
					ks, err := listKeys(t, bk.b, ListOptions{DataPrefix: pfx, Shard: sh, Sorted: sorted})
					if err != nil {
						t.Fatalf("%s sorted=%v shard %v: %v", bk.name, sorted, sh, err)
					}
					for _, k := range ks {
						if !sh.Contains(pfx, k) {
							t.Fatalf("%s: shard %v listed %q", bk.name, sh, k)
						}
					}
					all = append(all, ks...)
				}
				slices.Sort(all)
				if !slices.Equal(all, written) {
					t.Fatalf("%s sorted=%v, %d shards: listed %d keys, wrote %d; missing %q, extra %q",
						bk.name, sorted, n, len(all), len(written), minus(written, all), minus(all, written))
				}
			}
		}
	}
}

// Keys that differ only in normalisation, case, a trailing slash or an
// escaped slash are different objects in the bucket and in the listing.
func TestListKeepsKeysThatDifferOnlyInNormalisation(t *testing.T) {
	ks := keys("caf\u00e9", "cafe\u0301", "X/1", "x/1", "y", "y/", "z%2F1", "z/1")
	slices.Sort(ks)
	for _, bk := range []struct {
		name   string
		b      *blob.Bucket
		sorted bool
	}{{"memblob", memBucket(t), true}, {"fileblob", fileBucket(t), false}} {
		put(t, bk.b, ks...)
		got, err := listKeys(t, bk.b, ListOptions{DataPrefix: pfx, Sorted: bk.sorted})
		wantKind(t, err, nil)
		if !slices.Equal(got, ks) {
			t.Fatalf("%s listed %q, want %q", bk.name, got, ks)
		}
		// Through the sweep: each live key keeps its own object only.
		l, _ := List(bk.b, ListOptions{DataPrefix: pfx, Sorted: bk.sorted})
		live := keys("caf\u00e9", "x/1", "y", "z/1")
		slices.Sort(live)
		cands, _, _, err := collect(t, context.Background(), l, liveOf(live...), SweepOptions{DataPrefix: pfx})
		wantKind(t, err, nil)
		if want := minus(ks, live); !slices.Equal(cands, want) {
			t.Fatalf("%s: candidates %q, want %q", bk.name, cands, want)
		}
	}
}

func TestListRefusesBadOptions(t *testing.T) {
	b := memBucket(t)
	tests := []struct {
		name string
		b    *blob.Bucket
		o    ListOptions
	}{
		{name: "no bucket", o: ListOptions{DataPrefix: pfx}},
		{name: "an empty data prefix", b: b},
		{name: "a data prefix without a trailing slash", b: b, o: ListOptions{DataPrefix: "wandb_artifacts"}},
		{name: "an invalid shard", b: b, o: ListOptions{DataPrefix: pfx, Shard: Shard{Index: -1, Count: 2}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := List(tc.b, tc.o)
			wantKind(t, err, ErrInvalid)
		})
	}
	if _, err := ListLocation(nil, pfx, Shard{}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("ListLocation(nil) = %v, want ErrInvalid", err)
	}
}

func TestListStopsWithTheContext(t *testing.T) {
	b := memBucket(t)
	put(t, b, pfx+"1", pfx+"2")
	l, _ := List(b, ListOptions{DataPrefix: pfx})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := l.Next(ctx)
	wantKind(t, err, ErrStopped)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v does not wrap context.Canceled", err)
	}
}

func TestListMemoryOfTheSortingWalkIsBoundedByDirectories(t *testing.T) {
	// The walk holds the entries of the directories on its path, not the
	// listing: with 20 directories of 50 files, it never holds more than
	// one directory's files plus the top level.
	b := memBucket(t)
	for d := range 20 {
		for f := range 50 {
			put(t, b, pfx+strings.Repeat("d", 1)+itoa(d)+"/"+itoa(f))
		}
	}
	l, _ := List(b, ListOptions{DataPrefix: pfx, Sorted: false})
	most, n := 0, 0
	for {
		_, err := l.Next(context.Background())
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		n++
		held := 0
		for _, lv := range l.stack {
			if s, ok := lv.(*sliceLevel); ok {
				held += len(s.objs) - s.i
			}
		}
		most = max(most, held)
	}
	if n != 1000 || most > 20+50 {
		t.Fatalf("listed %d keys holding at most %d entries, want 1000 holding at most 70", n, most)
	}
}

// Another fault of gocloud v0.47.0's fileblob: it cleans keys into paths,
// so that "x/./y" and "x/y" are one file, listed as "x/y". A live key
// "x/./y" would then leave the listed "x/y" unreferenced, and its file
// collected: SweepOptions.CheckLive (the location's CheckKey, which
// refuses "." segments) stops such a sweep. When the driver is fixed this
// test fails.
func TestFileblobCleansDotSegments(t *testing.T) {
	b := fileBucket(t)
	put(t, b, pfx+"x/./y")
	got, err := listKeys(t, b, ListOptions{DataPrefix: pfx})
	wantKind(t, err, nil)
	if want := keys("x/y"); !slices.Equal(got, want) {
		t.Fatalf("fileblob listed %q; the known fault is %q", got, want)
	}
}

// escapedDir reports whether a directory of key has a name fileblob
// escapes on disk (a control byte).
func escapedDir(key string) bool {
	i := strings.LastIndexByte(key, '/')
	return i >= 0 && strings.ContainsFunc(key[:i], func(r rune) bool { return r < 0x20 })
}

// A third fault of gocloud v0.47.0's fileblob: it escapes a control byte
// in a file or directory name on disk, but finds the directory a listing
// starts in from the unescaped prefix, so a listing inside a directory
// with such a name finds nothing. The walk List does on file:// then
// misses the keys below it: they are never collected (garbage stays;
// nothing live is lost). byob's own keys cannot hold control bytes
// (scope.Location.CheckKey). When the driver is fixed this test fails.
func TestFileblobLosesEscapedDirectories(t *testing.T) {
	b := fileBucket(t)
	put(t, b, pfx+"d\x01/f", pfx+"e/f")
	got, err := listKeys(t, b, ListOptions{DataPrefix: pfx})
	wantKind(t, err, nil)
	if want := keys("e/f"); !slices.Equal(got, want) {
		t.Fatalf("listed %q; the known fault is %q", got, want)
	}
}

// fileblob's pages resume after the previous page's last key, but its
// walk is not in key order: a directory level read in pages of 1000 can
// repeat an entry (or lose one). Here "x!/" comes twice through the
// iterator, and readLevel, which reads the level in one page and sorts
// it, returns each entry once, in order.
func TestReadLevelReadsAFileblobDirectoryInOnePage(t *testing.T) {
	b := fileBucket(t)
	var want []string
	for i := range 998 {
		k := pfx + "a" + strings.Repeat("0", 4-len(itoa(i))) + itoa(i)
		put(t, b, k)
		want = append(want, k)
	}
	put(t, b, pfx+"x/1", pfx+"x!/1", pfx+"x! ", pfx+"y")
	want = append(want, keys("x! ", "x!/", "x/", "y")...)

	var paged []string
	it := b.List(&blob.ListOptions{Prefix: pfx, Delimiter: "/"})
	for {
		o, err := it.Next(context.Background())
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		paged = append(paged, o.Key)
	}
	if len(paged) != len(want)+1 {
		t.Fatalf("fileblob's pages gave %d entries for %d; the known fault repeats one", len(paged), len(want))
	}

	objs, err := readLevel(context.Background(), b, pfx)
	if err != nil {
		t.Fatal(err)
	}
	if got := keysOf(derefs(objs)); !slices.Equal(got, want) {
		t.Fatalf("readLevel gave %d entries, want %d in byte order; tail %q", len(got), len(want), got[len(got)-5:])
	}
}

func derefs(objs []*blob.ListObject) []Object {
	out := make([]Object, len(objs))
	for i, o := range objs {
		out[i] = Object{Key: o.Key}
	}
	return out
}

// loopStore is a store whose every listing holds one directory: the
// prefix it was asked for, or one outside it.
type loopStore struct {
	driver.Bucket // nil: only ListPaged is called
	dir           func(prefix string) string
}

func (s loopStore) ListPaged(_ context.Context, o *driver.ListOptions) (*driver.ListPage, error) {
	return &driver.ListPage{Objects: []*driver.ListObject{{Key: s.dir(o.Prefix), IsDir: true}}}, nil
}
func (loopStore) Attributes(context.Context, string) (*driver.Attributes, error) {
	return nil, errNoObject
}
func (loopStore) ErrorCode(err error) gcerrors.ErrorCode {
	if err == errNoObject {
		return gcerrors.NotFound
	}
	return gcerrors.Unknown
}

var errNoObject = errors.New("no such object")

func (loopStore) Close() error { return nil }

func TestListStopsADirectoryThatDoesNotGoDeeper(t *testing.T) {
	for name, dir := range map[string]func(string) string{
		"the directory it lists": func(p string) string { return p },
		"a directory outside it": func(string) string { return "elsewhere/" },
		"a directory above it":   func(p string) string { return p[:strings.LastIndex(p[:len(p)-1], "/")+1] },
	} {
		t.Run(name, func(t *testing.T) {
			b := blob.NewBucket(loopStore{dir: dir})
			defer b.Close()
			_, err := listKeys(t, b, ListOptions{DataPrefix: "a/" + pfx, Sorted: false})
			wantKind(t, err, ErrOutOfRange)
		})
	}
}
