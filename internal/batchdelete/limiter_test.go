package batchdelete

import (
	"context"
	"slices"
	"testing"
	"time"
)

// step is one event a limiter sees: a request acquired, or the answer to
// the request acquired as number req released.
type step struct {
	acquire   bool
	req       int
	throttled bool
	temporary bool
}

func acq() step           { return step{acquire: true} }
func clean(req int) step  { return step{req: req} }
func slow(req int) step   { return step{req: req, throttled: true, temporary: true} }
func failed(req int) step { return step{req: req, temporary: true} }

// TestLimiterAIMD drives a limiter through answers and checks the limits
// it goes through: halving on throttling, once per window; one more per
// window of clean answers; never below 1 nor above the maximum.
func TestLimiterAIMD(t *testing.T) {
	for _, tc := range []struct {
		name  string
		max   int
		steps []step
		trace []int
	}{
		{"four throttled answers to one window halve once", 4,
			[]step{acq(), acq(), acq(), acq(), slow(0), slow(1), slow(2), slow(3)}, []int{2}},
		{"a throttled answer to the next window halves again", 4,
			[]step{acq(), acq(), slow(0), slow(1), acq(), slow(2)}, []int{2, 1}},
		{"never below one", 2,
			[]step{acq(), slow(0), acq(), slow(1), acq(), slow(2)}, []int{1}},
		{"a window of clean answers adds one, up to the maximum", 4,
			[]step{acq(), slow(0), // 2
				acq(), clean(1), acq(), clean(2), // 3
				acq(), clean(3), acq(), clean(4), acq(), clean(5), // 4
				acq(), clean(6), acq(), clean(7), acq(), clean(8), acq(), clean(9)}, // stays 4
			[]int{2, 3, 4}},
		{"an internal error pauses but does not halve", 4,
			[]step{acq(), failed(0), acq(), failed(1)}, nil},
		{"throttled again after climbing back, it halves again", 2,
			[]step{acq(), slow(0), acq(), clean(1), acq(), slow(2), acq(), clean(3)}, []int{1, 2, 1, 2}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var trace []int
			l := newLimiter(tc.max, time.Nanosecond, time.Nanosecond, func(n int) { trace = append(trace, n) })
			var epochs []uint64
			for _, s := range tc.steps {
				if s.acquire {
					e, err := l.acquire(context.Background())
					if err != nil {
						t.Fatal(err)
					}
					epochs = append(epochs, e)
					continue
				}
				l.release(epochs[s.req], s.throttled, s.temporary)
			}
			if !slices.Equal(trace, tc.trace) {
				t.Errorf("limits %v, want %v", trace, tc.trace)
			}
		})
	}
}

// TestLimiterWaitsAndCancels: acquire blocks while the limit is reached
// or a backoff runs, and returns the context's error once it ends.
func TestLimiterWaitsAndCancels(t *testing.T) {
	t.Run("full", func(t *testing.T) {
		l := newLimiter(1, time.Millisecond, time.Millisecond, nil)
		if _, err := l.acquire(context.Background()); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error)
		go func() { _, err := l.acquire(ctx); done <- err }()
		cancel()
		if err := <-done; err != context.Canceled {
			t.Errorf("acquire on a full limiter after cancel: %v, want context.Canceled", err)
		}
	})
	t.Run("paused", func(t *testing.T) {
		l := newLimiter(4, time.Hour, time.Hour, nil)
		e, _ := l.acquire(context.Background())
		l.release(e, true, true) // pauses for half an hour or more
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error)
		go func() { _, err := l.acquire(ctx); done <- err }()
		cancel()
		if err := <-done; err != context.Canceled {
			t.Errorf("acquire during a backoff after cancel: %v, want context.Canceled", err)
		}
	})
	t.Run("a release wakes a waiter", func(t *testing.T) {
		l := newLimiter(1, time.Nanosecond, time.Nanosecond, nil)
		e, _ := l.acquire(context.Background())
		done := make(chan error)
		go func() { _, err := l.acquire(context.Background()); done <- err }()
		l.release(e, false, false)
		if err := <-done; err != nil {
			t.Errorf("acquire after a release: %v", err)
		}
	})
}

// TestBackoffDoubles: each temporary failure in a row doubles the pause,
// up to the cap, jittered within [d/2, d].
func TestBackoffDoubles(t *testing.T) {
	l := newLimiter(1, 10*time.Millisecond, 80*time.Millisecond, nil)
	for streak, full := range []time.Duration{10, 20, 40, 80, 80} {
		l.streak = streak + 1
		full *= time.Millisecond
		for range 50 {
			if d := l.backoff(); d < full/2 || d > full {
				t.Fatalf("streak %d: backoff %v, want within [%v, %v]", streak+1, d, full/2, full)
			}
		}
	}
}
