package batchdelete

import (
	"context"
	"math/rand/v2"
	"sync"
	"time"
)

// limiter bounds the requests in flight with AIMD: a throttled answer
// halves the limit, once per window (epoch), and pauses new requests for a
// backoff that doubles with each temporary failure in a row; a window of
// clean answers, as many as the limit, raises it by one, up to max.
type limiter struct {
	max        int
	base, top  time.Duration
	onChange   func(int)
	mu         sync.Mutex
	limit      int
	lowest     int
	inflight   int
	credit     int       // clean answers since the limit last changed
	epoch      uint64    // bumped on every decrease: answers to requests sent before it do not halve again
	streak     int       // temporary failures since the last clean answer
	pauseUntil time.Time // no request starts before it
	wake       chan struct{}
}

func newLimiter(max int, base, top time.Duration, onChange func(int)) *limiter {
	return &limiter{max: max, base: base, top: top, onChange: onChange, limit: max, lowest: max, wake: make(chan struct{})}
}

// acquire waits for a slot and returns the epoch the request is sent in;
// it returns the context's error once the context ends.
func (l *limiter) acquire(ctx context.Context) (uint64, error) {
	for {
		if err := ctx.Err(); err != nil {
			return 0, err
		}
		l.mu.Lock()
		wait := time.Until(l.pauseUntil)
		if l.inflight < l.limit && wait <= 0 {
			l.inflight++
			e := l.epoch
			l.mu.Unlock()
			return e, nil
		}
		wake := l.wake
		l.mu.Unlock()
		var timer *time.Timer
		var fire <-chan time.Time
		if wait > 0 {
			timer = time.NewTimer(wait)
			fire = timer.C
		}
		select {
		case <-ctx.Done():
		case <-wake:
		case <-fire:
		}
		if timer != nil {
			timer.Stop()
		}
	}
}

// release frees the slot of a request sent in epoch. throttled: the
// answer asked to slow down; temporary: some of it failed temporarily
// (throttling included).
func (l *limiter) release(epoch uint64, throttled, temporary bool) {
	l.mu.Lock()
	l.inflight--
	changed := false
	switch {
	case temporary:
		l.streak++
		l.pauseUntil = later(l.pauseUntil, time.Now().Add(l.backoff()))
		if throttled && epoch == l.epoch && l.limit > 1 {
			l.limit /= 2
			l.lowest = min(l.lowest, l.limit)
			changed = true
		}
		if throttled && epoch == l.epoch {
			l.epoch++
			l.credit = 0
		}
	default:
		l.streak = 0
		l.credit++
		if l.credit >= l.limit && l.limit < l.max {
			l.limit++
			l.credit = 0
			changed = true
		}
	}
	if changed && l.onChange != nil {
		l.onChange(l.limit) // under the lock, so that calls come in order
	}
	close(l.wake)
	l.wake = make(chan struct{})
	l.mu.Unlock()
}

// backoff is the pause after streak temporary failures in a row:
// base·2^(streak-1), at most top, jittered between half and all of it.
func (l *limiter) backoff() time.Duration {
	d := l.base
	for i := 1; i < l.streak && d < l.top; i++ {
		d *= 2
	}
	d = min(d, l.top)
	return d/2 + rand.N(d/2+1)
}

// levels returns the current and the lowest limit.
func (l *limiter) levels() (int, int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.limit, l.lowest
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
