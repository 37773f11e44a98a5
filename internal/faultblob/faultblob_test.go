package faultblob_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/byobkit/byob/address"
	"github.com/byobkit/byob/internal/faultblob"
	"github.com/byobkit/byob/provider"
	"gocloud.dev/blob"
	"gocloud.dev/blob/memblob"
	"gocloud.dev/gcerrors"
)

// handle returns a provider handle over a fault bucket over a fresh
// memblob holding keys, and the inner bucket.
func handle(t *testing.T, o faultblob.Options, keys ...string) (*provider.Handle, *faultblob.Bucket, *blob.Bucket) {
	t.Helper()
	inner := memblob.OpenBucket(nil)
	for _, k := range keys {
		if err := inner.WriteAll(context.Background(), k, []byte("x"), nil); err != nil {
			t.Fatal(err)
		}
	}
	fb := faultblob.New(inner, o)
	a, err := address.Parse("mem://faultblob-test")
	if err != nil {
		t.Fatal(err)
	}
	return provider.NewHandle(a, fb.Open()), fb, inner
}

// TestKindsAsTheCallerSeesThem: each fault reaches the caller with the
// code provider.Code gives the real service's answer, and the refusal
// gcsblob calls NotFound is still a refusal once classified.
func TestKindsAsTheCallerSeesThem(t *testing.T) {
	for _, tc := range []struct {
		kind       faultblob.Kind
		driverCode gcerrors.ErrorCode // what the portable bucket alone reports
		code       gcerrors.ErrorCode // what provider.Code reports
		temporary  bool
	}{
		{faultblob.Internal, gcerrors.Internal, gcerrors.Internal, true},
		{faultblob.Unavailable, gcerrors.ResourceExhausted, gcerrors.ResourceExhausted, true},
		{faultblob.TooManyRequests, gcerrors.ResourceExhausted, gcerrors.ResourceExhausted, true},
		{faultblob.Timeout, gcerrors.DeadlineExceeded, gcerrors.DeadlineExceeded, true},
		{faultblob.Denied, gcerrors.PermissionDenied, gcerrors.PermissionDenied, false},
		{faultblob.DisguisedDenied, gcerrors.NotFound, gcerrors.PermissionDenied, false},
	} {
		t.Run(tc.kind.String(), func(t *testing.T) {
			o := faultblob.Options{Rules: []faultblob.Rule{{Op: faultblob.OpDelete, Kind: tc.kind, Rate: 1}}}
			h, fb, inner := handle(t, o, "k")
			if err := fb.Open().Delete(t.Context(), "k"); gcerrors.Code(err) != tc.driverCode {
				t.Errorf("portable Delete: code %v (%v), want %v", gcerrors.Code(err), err, tc.driverCode)
			}
			err := h.Bucket().Delete(t.Context(), "k")
			if got := provider.Code(err); got != tc.code {
				t.Errorf("through the handle: code %v (%v), want %v", got, err, tc.code)
			}
			var pe *provider.Error
			if !errors.As(err, &pe) || pe.Temporary() != tc.temporary {
				t.Errorf("through the handle: %v is a *provider.Error %v, temporary %v; want temporary %v", err, pe != nil, pe != nil && pe.Temporary(), tc.temporary)
			}
			if ok, _ := inner.Exists(t.Context(), "k"); !ok {
				t.Error("a failed delete removed the object")
			}
			if got := fb.Injected(); len(got) != 2 || got[0] != (faultblob.Injection{Op: faultblob.OpDelete, Key: "k", Kind: tc.kind}) {
				t.Errorf("Injected = %v, want two deletes of k with %v", got, tc.kind)
			}
		})
	}
}

// TestRules: what each field of a rule limits.
func TestRules(t *testing.T) {
	keys := []string{"a/1", "a/2", "b/1"}
	for _, tc := range []struct {
		name string
		rule faultblob.Rule
		// failing[i] is which keys fail on the i-th round of deletes of
		// every key
		failing [][]string
	}{
		{"rate 1 fails every call", faultblob.Rule{Op: faultblob.OpDelete, Kind: faultblob.Denied, Rate: 1},
			[][]string{keys, keys}},
		{"rate 0 fails none", faultblob.Rule{Op: faultblob.OpDelete, Kind: faultblob.Denied},
			[][]string{nil}},
		{"another op fails none", faultblob.Rule{Op: faultblob.OpCopy, Kind: faultblob.Denied, Rate: 1},
			[][]string{nil}},
		{"an empty op fails every op", faultblob.Rule{Kind: faultblob.Denied, Rate: 1},
			[][]string{keys}},
		{"keys limit it", faultblob.Rule{Kind: faultblob.Denied, Rate: 1, Keys: []string{"a/2"}},
			[][]string{{"a/2"}, {"a/2"}}},
		{"a prefix limits it", faultblob.Rule{Kind: faultblob.Denied, Rate: 1, Prefix: "a/"},
			[][]string{{"a/1", "a/2"}}},
		{"times makes it clear after that many calls per key", faultblob.Rule{Kind: faultblob.Internal, Rate: 1, Times: 2},
			[][]string{keys, keys, nil}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fb := faultblob.New(memblob.OpenBucket(nil), faultblob.Options{Rules: []faultblob.Rule{tc.rule}})
			b := fb.Open()
			for round, want := range tc.failing {
				var got []string
				for _, k := range keys {
					if err := b.Delete(t.Context(), k); err != nil && gcerrors.Code(err) != gcerrors.NotFound {
						got = append(got, k)
					}
				}
				if !slices.Equal(got, want) {
					t.Errorf("round %d: %q failed, want %q", round, got, want)
				}
			}
		})
	}
}

// TestDeterministic: the same seed fails the same calls, whatever order
// and concurrency they come in; another seed fails others.
func TestDeterministic(t *testing.T) {
	keys := make([]string, 200)
	for i := range keys {
		keys[i] = fmt.Sprintf("k%03d", i)
	}
	run := func(seed uint64, concurrent bool, order []string) []string {
		fb := faultblob.New(memblob.OpenBucket(nil), faultblob.Options{Seed: seed,
			Rules: []faultblob.Rule{{Op: faultblob.OpAttributes, Kind: faultblob.Internal, Rate: 0.3}}})
		b := fb.Open()
		var mu sync.Mutex
		var failed []string
		var wg sync.WaitGroup
		for _, k := range order {
			f := func() {
				if _, err := b.Attributes(context.Background(), k); gcerrors.Code(err) == gcerrors.Internal {
					mu.Lock()
					failed = append(failed, k)
					mu.Unlock()
				}
			}
			if concurrent {
				wg.Go(f)
			} else {
				f()
			}
		}
		wg.Wait()
		slices.Sort(failed)
		return failed
	}
	first := run(1, false, keys)
	if len(first) < 30 || len(first) > 90 {
		t.Fatalf("rate 0.3 failed %d of 200 calls", len(first))
	}
	reversed := slices.Clone(keys)
	slices.Reverse(reversed)
	if again := run(1, true, reversed); !slices.Equal(again, first) {
		t.Errorf("seed 1, reversed and concurrent: %d calls failed, not the same %d", len(again), len(first))
	}
	if other := run(2, false, keys); slices.Equal(other, first) {
		t.Error("seed 2 failed the same calls as seed 1")
	}
}

// TestCrash: from the CrashAt-th call on, every call fails with
// ErrCrashed, which a handle classifies as Unknown, not temporary (its
// scrubbed error no longer unwraps to ErrCrashed); OnCrash runs once.
func TestCrash(t *testing.T) {
	crashes := 0
	h, fb, inner := handle(t, faultblob.Options{CrashAt: 3, OnCrash: func() { crashes++ }}, "a", "b", "c", "d")
	var errs []error
	for _, k := range []string{"a", "b", "c", "d"} {
		errs = append(errs, h.Bucket().Delete(t.Context(), k))
	}
	if errs[0] != nil || errs[1] != nil {
		t.Fatalf("calls before the crash failed: %v", errs[:2])
	}
	for _, err := range errs[2:] {
		var pe *provider.Error
		if !errors.As(err, &pe) || pe.Code != gcerrors.Unknown || pe.Temporary() {
			t.Errorf("after the crash: %v, want Unknown, not temporary", err)
		}
	}
	if _, err := fb.Open().Attributes(t.Context(), "a"); !errors.Is(err, faultblob.ErrCrashed) {
		t.Errorf("another op after the crash: %v, want ErrCrashed", err)
	}
	if crashes != 1 || !fb.Crashed() || fb.Calls() != 5 {
		t.Errorf("OnCrash ran %d times, Crashed %v, Calls %d; want 1, true, 5", crashes, fb.Crashed(), fb.Calls())
	}
	for _, k := range []string{"c", "d"} {
		if ok, _ := inner.Exists(t.Context(), k); !ok {
			t.Errorf("%s was deleted after the crash", k)
		}
	}
}

// TestCrashNowAndHeal: Crash fails every later call at once; Heal ends
// the crash and the rules, as a restarted process would see.
func TestCrashNowAndHeal(t *testing.T) {
	crashes := 0
	fb := faultblob.New(memblob.OpenBucket(nil), faultblob.Options{OnCrash: func() { crashes++ },
		Rules: []faultblob.Rule{{Op: faultblob.OpWrite, Kind: faultblob.Internal, Rate: 1}}})
	b := fb.Open()
	ctx := t.Context()
	if err := b.WriteAll(ctx, "k", []byte("x"), nil); gcerrors.Code(err) != gcerrors.Internal {
		t.Fatalf("write before the crash: %v, want the rule's Internal", err)
	}
	fb.Crash()
	fb.Crash()
	if _, err := b.Exists(ctx, "k"); !errors.Is(err, faultblob.ErrCrashed) {
		t.Errorf("after Crash: %v, want ErrCrashed", err)
	}
	fb.Heal()
	if err := b.WriteAll(ctx, "k", []byte("x"), nil); err != nil {
		t.Errorf("write after Heal: %v", err)
	}
	if crashes != 1 || fb.Crashed() {
		t.Errorf("OnCrash ran %d times, Crashed %v after Heal; want 1, false", crashes, fb.Crashed())
	}
}

// TestClock: objects written or copied through the bucket carry its
// clock's time, in listings, attributes and readers; SetModTime backdates
// one; objects written to the inner bucket keep their own time.
func TestClock(t *testing.T) {
	ctx := t.Context()
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	inner := memblob.OpenBucket(nil)
	if err := inner.WriteAll(ctx, "direct", []byte("x"), nil); err != nil {
		t.Fatal(err)
	}
	fb := faultblob.New(inner, faultblob.Options{Now: func() time.Time { return now }})
	b := fb.Open()
	if err := b.WriteAll(ctx, "written", []byte("x"), nil); err != nil {
		t.Fatal(err)
	}
	now = now.Add(time.Hour)
	if err := b.Copy(ctx, "copied", "written", nil); err != nil {
		t.Fatal(err)
	}
	if err := b.WriteAll(ctx, "backdated", []byte("x"), nil); err != nil {
		t.Fatal(err)
	}
	old := now.Add(-24 * time.Hour)
	fb.SetModTime("backdated", old)
	want := map[string]time.Time{"written": now.Add(-time.Hour), "copied": now, "backdated": old}
	it := b.List(nil)
	for {
		o, err := it.Next(ctx)
		if err != nil {
			break
		}
		if w, ok := want[o.Key]; ok && !o.ModTime.Equal(w) {
			t.Errorf("listed %s at %v, want %v", o.Key, o.ModTime, w)
		}
		if o.Key == "direct" && o.ModTime.Year() == 2030 {
			t.Error("an object written to the inner bucket got the clock's time")
		}
	}
	for k, w := range want {
		a, err := b.Attributes(ctx, k)
		if err != nil || !a.ModTime.Equal(w) {
			t.Errorf("Attributes(%s) = %v, %v; want %v", k, a.ModTime, err, w)
		}
		r, err := b.NewReader(ctx, k, nil)
		if err != nil || !r.ModTime().Equal(w) {
			t.Errorf("reader of %s: %v, %v; want %v", k, r.ModTime(), err, w)
		}
		r.Close()
	}
}

// TestBefore: the hook sees every operation with its key, before it runs.
func TestBefore(t *testing.T) {
	inner := memblob.OpenBucket(nil)
	var seen []string
	fb := faultblob.New(inner, faultblob.Options{Before: func(op faultblob.Op, key string) {
		ok, _ := inner.Exists(context.Background(), "k")
		seen = append(seen, fmt.Sprintf("%s %s %v", op, key, ok))
	}})
	b := fb.Open()
	ctx := t.Context()
	_ = b.WriteAll(ctx, "k", []byte("x"), nil)
	_, _ = b.Attributes(ctx, "k")
	_ = b.Copy(ctx, "k2", "k", nil)
	_ = b.Delete(ctx, "k")
	_, _, _ = b.ListPage(ctx, blob.FirstPageToken, 10, &blob.ListOptions{Prefix: "p/"})
	want := []string{"write k false", "attributes k true", "copy k true", "delete k true", "list p/ false"}
	if !slices.Equal(seen, want) {
		t.Errorf("hook saw %q, want %q", seen, want)
	}
}
