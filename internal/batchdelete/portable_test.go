package batchdelete_test

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"testing"

	"github.com/byobkit/byob/address"
	"github.com/byobkit/byob/internal/batchdelete"
	"github.com/byobkit/byob/internal/testenv"
	"github.com/byobkit/byob/provider"
	"gocloud.dev/blob"
	"gocloud.dev/blob/driver"
	"gocloud.dev/blob/memblob"
	"gocloud.dev/gcerrors"
	"google.golang.org/api/googleapi"
)

// TestPortable deletes through the portable bucket of mem:// and file://.
func TestPortable(t *testing.T) {
	for _, p := range []struct {
		name string
		addr func(t *testing.T) *address.Address
	}{
		{"mem", func(t *testing.T) *address.Address {
			return mustParse(t, "mem://"+testenv.UniqueName(t, "bd")+"/team/a")
		}},
		{"file", func(t *testing.T) *address.Address {
			return &address.Address{Provider: address.File, Bucket: t.TempDir(), Path: "team/a"}
		}},
	} {
		for _, tc := range []struct {
			name     string
			existing []string
			keys     []string
			want     []batchdelete.Status
		}{
			{"existing keys are deleted", []string{"a", "b/c", "a b"}, []string{"a", "b/c", "a b"},
				[]batchdelete.Status{batchdelete.Deleted, batchdelete.Deleted, batchdelete.Deleted}},
			{"a missing key is already gone", nil, []string{"nope"}, []batchdelete.Status{batchdelete.Gone}},
			{"a key given twice is deleted once and reported twice", []string{"a"}, []string{"a", "a"},
				[]batchdelete.Status{batchdelete.Deleted, batchdelete.Deleted}},
			{"an empty key is refused and the rest goes on", []string{"a"}, []string{"", "a"},
				[]batchdelete.Status{batchdelete.Failed, batchdelete.Deleted}},
			{"no keys, no work", nil, nil, nil},
		} {
			t.Run(p.name+"/"+tc.name, func(t *testing.T) {
				a := p.addr(t)
				h := mustOpen(t, a)
				put(t, h, tc.existing)
				root := *a
				root.Path = ""
				outside := mustOpen(t, &root)
				put(t, outside, []string{"a"}) // same key, outside the prefix
				d := mustNew(t, h, batchdelete.Options{})
				res, err := d.Delete(t.Context(), tc.keys)
				if err != nil {
					t.Fatalf("Delete: %v", err)
				}
				if len(res) != len(tc.keys) {
					t.Fatalf("%d results for %d keys", len(res), len(tc.keys))
				}
				for i, r := range res {
					if r.Key != tc.keys[i] || r.Status != tc.want[i] {
						t.Errorf("result %d = %q %v (%v), want %q %v", i, r.Key, r.Status, r.Err, tc.keys[i], tc.want[i])
					}
					if r.Key == "" && provider.Code(r.Err) != gcerrors.InvalidArgument {
						t.Errorf("empty key: err %v, want InvalidArgument", r.Err)
					}
				}
				uniq := map[string]bool{}
				for _, k := range tc.keys {
					if k != "" {
						uniq[k] = true
					}
				}
				if got := d.Stats().Requests; got != int64(len(uniq)) {
					t.Errorf("Requests = %d, want %d (one per distinct key)", got, len(uniq))
				}
				if left := listAll(t, h); len(left) != 0 {
					t.Errorf("left %q", left)
				}
				if !exists(t, outside, "a") {
					t.Errorf("the key outside the prefix was deleted")
				}
			})
		}
	}
}

// flaky is a bucket driver over memblob whose Delete fails for some keys
// as a driver would: with the driver's own error and the code its
// ErrorCode gives it, which may be wrong (gcsblob calls a 403 NotFound).
type flaky struct {
	driver.Bucket // unused methods: the tests call only those below
	inner         *blob.Bucket

	mu    sync.Mutex
	fails map[string][]injected // per key, the failures still to come, in order
	calls map[string]int
}

type injected struct {
	err  error
	code gcerrors.ErrorCode // what the driver's ErrorCode says
}

func (f *flaky) Delete(ctx context.Context, key string, _ *driver.DeleteOptions) error {
	f.mu.Lock()
	f.calls[key]++
	var inj *injected
	if q := f.fails[key]; len(q) > 0 {
		inj, f.fails[key] = &q[0], q[1:]
	}
	f.mu.Unlock()
	if inj != nil {
		return inj
	}
	return f.inner.Delete(ctx, key)
}

func (i *injected) Error() string { return i.err.Error() }
func (i *injected) Unwrap() error { return i.err }

func (f *flaky) ErrorCode(err error) gcerrors.ErrorCode {
	var inj *injected
	if errors.As(err, &inj) {
		return inj.code
	}
	return gcerrors.Code(err)
}

func (f *flaky) Attributes(ctx context.Context, key string) (*driver.Attributes, error) {
	a, err := f.inner.Attributes(ctx, key)
	if err != nil {
		return nil, err
	}
	return &driver.Attributes{Size: a.Size, ModTime: a.ModTime}, nil
}

func (f *flaky) As(any) bool             { return false }
func (f *flaky) ErrorAs(error, any) bool { return false }
func (f *flaky) Close() error            { return nil }

// TestPortableFaults injects driver errors under a handle made with
// provider.NewHandle (no native client, so the portable path): the
// handle's classification decides, not the driver's.
func TestPortableFaults(t *testing.T) {
	forbidden := &googleapi.Error{Code: http.StatusForbidden, Message: "no storage.objects.delete"}
	busy := &googleapi.Error{Code: http.StatusServiceUnavailable, Message: "backend busy"}
	for _, tc := range []struct {
		name     string
		fails    []injected
		want     want
		wantLeft bool
	}{
		{"a 403 the driver calls NotFound is Failed PermissionDenied",
			[]injected{{forbidden, gcerrors.NotFound}}, want{batchdelete.Failed, gcerrors.PermissionDenied, 1}, true},
		{"a 503 twice is sent again, then deleted",
			[]injected{{busy, gcerrors.Unknown}, {busy, gcerrors.Unknown}}, want{batchdelete.Deleted, gcerrors.OK, 3}, false},
		{"a real NotFound is already gone",
			[]injected{{errors.New("no such key"), gcerrors.NotFound}}, want{batchdelete.Gone, gcerrors.OK, 1}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := &flaky{inner: memblob.OpenBucket(nil), fails: map[string][]injected{"k": tc.fails}, calls: map[string]int{}}
			if err := f.inner.WriteAll(t.Context(), "k", []byte("x"), nil); err != nil {
				t.Fatal(err)
			}
			a := mustParse(t, "gs://"+testenv.UniqueName(t, "bd"))
			h := provider.NewHandle(a, blob.NewBucket(f))
			res, err := mustNew(t, h, fast).Delete(t.Context(), []string{"k"})
			if err != nil {
				t.Fatalf("Delete: %v", err)
			}
			checkResult(t, res[0], tc.want)
			if ok, _ := f.inner.Exists(t.Context(), "k"); ok != tc.wantLeft {
				t.Errorf("k exists = %v, want %v", ok, tc.wantLeft)
			}
		})
	}
}

// TestSharedLimit: concurrent calls of one Deleter share its limit on
// requests in flight.
func TestSharedLimit(t *testing.T) {
	a, _ := gcsAddress(t, "pre")
	rec := &faults{match: isGCSDelete}
	h := mustOpen(t, a, provider.WithHTTPClient(rec.client()))
	d := mustNew(t, h, batchdelete.Options{Parallelism: 3})
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := d.Delete(context.Background(), keysN(string(rune('a'+g)), 30))
			if err != nil || tally(res)[batchdelete.Gone] != 30 {
				t.Errorf("caller %d: %v, %v", g, tally(res), err)
			}
		}()
	}
	wg.Wait()
	if p := rec.peak(); p > 3 {
		t.Errorf("%d requests in flight at once across callers, limit 3", p)
	}
	if got := rec.count(); got != 120 {
		t.Errorf("requests = %d, want 120", got)
	}
}
