package batchdelete

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/byobkit/byob/address"
	"github.com/byobkit/byob/provider"
	"gocloud.dev/gcerrors"
)

// Status is what became of one key.
type Status int

// The statuses. The zero value is NotSent, so a key the run never reached
// reads as not deleted.
const (
	// NotSent: no request carried the key (the context ended first). It is
	// still there.
	NotSent Status = iota
	// Deleted: the service confirmed the delete. On S3 this includes keys
	// that did not exist: S3 answers both alike.
	Deleted
	// Gone: the service said the key did not exist (a real 404, never a
	// refusal).
	Gone
	// Failed: the delete was refused or did not complete; Result.Err says
	// why. Only a Canceled or DeadlineExceeded error leaves it open whether
	// the service deleted the key.
	Failed
)

var statusNames = [...]string{NotSent: "not sent", Deleted: "deleted", Gone: "already gone", Failed: "failed"}

// String names the status.
func (s Status) String() string {
	if s >= 0 && int(s) < len(statusNames) {
		return statusNames[s]
	}
	return fmt.Sprintf("Status(%d)", int(s))
}

// Result is the outcome for one key.
type Result struct {
	// Key is the key as given, relative to the handle's prefix.
	Key    string
	Status Status
	// Err is nil for Deleted and Gone. For Failed it is a *provider.Error
	// (for a bucket that is not the handle's own, one errors.As finds):
	// classified (provider.Code; errors.Is with the gcerrors.Err… values)
	// and scrubbed of secrets. For NotSent it is the context's error.
	Err error
	// Attempts is how many requests carried the key.
	Attempts int
}

// Done reports whether the key is no longer there: Deleted or Gone.
func (r Result) Done() bool { return r.Status == Deleted || r.Status == Gone }

// Options tune a Deleter. The zero value is the defaults.
type Options struct {
	// Parallelism is the most delete requests in flight at once, across
	// every call of the Deleter; AIMD lowers it while the service
	// throttles. 0: 4 batch requests, or for one-key deletes the flavor's
	// batch size (GCS: 100) or 16.
	Parallelism int
	// MaxAttempts is how many requests may carry one key, the first
	// included, before a temporary failure is reported as Failed. 0: 8.
	MaxAttempts int
	// Backoff is the pause after the first temporary failure; each further
	// one in a row doubles it, up to MaxBackoff. Pauses are jittered
	// between half and all of their length. 0: 100 ms; MaxBackoff 0: 10 s.
	Backoff, MaxBackoff time.Duration
	// OnParallelism, if set, is called with the new limit each time AIMD
	// changes it, from the goroutine whose answer changed it: for logs and
	// tests. It must not block.
	OnParallelism func(limit int)
}

// Stats count what a Deleter has done since New.
type Stats struct {
	// Requests is how many delete requests were sent: one per batch, or
	// per key where there is no batch API; retries included.
	Requests int64
	// Retried is how many times a key was sent again after a temporary
	// failure.
	Retried int64
	// Throttled is how many answers signalled throttling, for the whole
	// request or for some of its keys.
	Throttled int64
	// Parallelism is the current limit on requests in flight, and
	// LowestParallelism the lowest it has been.
	Parallelism, LowestParallelism int
}

// Deleter deletes keys of one handle's bucket. It is safe for concurrent
// use; every call shares its limit on requests in flight.
type Deleter struct {
	h     *provider.Handle
	b     backend
	lim   *limiter
	tries int

	requests, retried, throttled atomic.Int64
}

// backend sends the delete requests of one kind of service.
type backend interface {
	// batch is the most keys one request takes.
	batch() int
	// parallel is the default number of requests in flight.
	parallel() int
	// delete sends one request for keys (relative to the handle's
	// prefix, at most batch of them, no duplicates) and returns one
	// outcome per key, in order.
	delete(ctx context.Context, keys []string) []outcome
}

// soloer is a backend some of whose keys cannot share a batch request:
// each such key is sent in a request of its own.
type soloer interface {
	solo(key string) bool
}

// outcome is what a request said of one key.
type outcome struct {
	gone  bool  // the service said the key did not exist
	err   error // nil with gone false: deleted; else a *provider.Error
	retry bool  // err is temporary: sending the key again may succeed
}

// backends picks the backend for a provider; a handle without the native
// client it needs (provider.NewHandle) gets the portable one.
var backends = map[address.Provider]func(h *provider.Handle) backend{
	address.S3:        newS3Backend,
	address.CoreWeave: newS3Backend,
	address.Azure:     newAzureBackend,
	address.GCS:       newGCSBackend,
}

// Defaults of Options.
const (
	defaultBatchParallel  = 4
	defaultSingleParallel = 16
	defaultAttempts       = 8
	defaultBackoff        = 100 * time.Millisecond
	defaultMaxBackoff     = 10 * time.Second
)

// ErrNoHandle is the error New returns for a nil handle.
var ErrNoHandle = errors.New("batchdelete: no handle; open the bucket with provider.Open first")

// New returns a Deleter for h's bucket.
func New(h *provider.Handle, opts Options) (*Deleter, error) {
	if h == nil {
		return nil, ErrNoHandle
	}
	var b backend
	if nb, ok := backends[h.Location().Provider]; ok {
		b = nb(h)
	}
	if b == nil {
		b = &portableBackend{bucket: h.Bucket()}
	}
	max := opts.Parallelism
	if max <= 0 {
		max = b.parallel()
	}
	d := &Deleter{h: h, b: b, tries: opts.MaxAttempts}
	if d.tries <= 0 {
		d.tries = defaultAttempts
	}
	base, top := opts.Backoff, opts.MaxBackoff
	if base <= 0 {
		base = defaultBackoff
	}
	if top <= 0 {
		top = defaultMaxBackoff
	}
	if top < base {
		top = base
	}
	d.lim = newLimiter(max, base, top, opts.OnParallelism)
	return d, nil
}

// Stats returns the Deleter's counts so far.
func (d *Deleter) Stats() Stats {
	cur, low := d.lim.levels()
	return Stats{
		Requests:          d.requests.Load(),
		Retried:           d.retried.Load(),
		Throttled:         d.throttled.Load(),
		Parallelism:       cur,
		LowestParallelism: low,
	}
}

// BatchSize is the most keys one delete request carries for this bucket.
func (d *Deleter) BatchSize() int { return d.b.batch() }

// Delete deletes keys (the service's object names, relative to the
// handle's prefix: see the package documentation) and returns one
// Result per key, in the order given; a key given twice is deleted once
// and gets the same Result twice. An empty key is Failed with
// InvalidArgument and never sent: it would name the prefix itself.
//
// Every key has its Result whatever happens. The error is nil unless the
// context ended before every key was gone: then it is the context's
// error, and the Results say what was and was not deleted. Keys the
// service refused are Failed in their Result, not an error of the call.
func (d *Deleter) Delete(ctx context.Context, keys []string) ([]Result, error) {
	res := make([]Result, len(keys))
	var uniq []string
	pos := make(map[string]int, len(keys))
	for i, k := range keys {
		res[i].Key = k
		if k == "" {
			res[i].Status, res[i].Err = Failed, d.invalid("an empty key names the prefix itself, not an object")
			continue
		}
		if _, ok := pos[k]; !ok {
			pos[k] = len(uniq)
			uniq = append(uniq, k)
		}
	}
	st := make([]Result, len(uniq))
	for i, k := range uniq {
		st[i].Key = k
	}
	d.run(ctx, uniq, st)
	for i, k := range keys {
		if j, ok := pos[k]; ok {
			res[i] = st[j]
		}
	}
	if err := ctx.Err(); err != nil {
		for _, r := range st {
			if !r.Done() {
				return res, err
			}
		}
	}
	return res, nil
}

// unit is one request's keys (indices into the run's keys) and how many
// requests carried them before.
type unit struct {
	idx     []int
	attempt int
}

// run settles every key in st: it sends the units through the limiter,
// and sends each unit's temporary failures again as a unit of their own.
// Each index belongs to one live unit at a time, so the goroutines write
// disjoint parts of st.
func (d *Deleter) run(ctx context.Context, keys []string, st []Result) {
	n := d.b.batch()
	var units []unit
	var cur unit
	for i, k := range keys {
		if s, ok := d.b.(soloer); ok && s.solo(k) {
			units = append(units, unit{idx: []int{i}})
			continue
		}
		cur.idx = append(cur.idx, i)
		if len(cur.idx) == n {
			units, cur = append(units, cur), unit{}
		}
	}
	if len(cur.idx) > 0 {
		units = append(units, cur)
	}
	if len(units) == 0 {
		return
	}
	// A unit leaves the queue before its retry enters it, so the queue
	// never holds more units than there were at the start.
	queue := make(chan unit, len(units))
	var live sync.WaitGroup
	live.Add(len(units))
	for _, u := range units {
		queue <- u
	}
	go func() { live.Wait(); close(queue) }()
	for u := range queue {
		epoch, err := d.lim.acquire(ctx)
		if err != nil {
			for _, i := range u.idx {
				if st[i].Attempts == 0 {
					st[i].Status, st[i].Err = NotSent, err
				}
			}
			live.Done()
			continue
		}
		go func(u unit) {
			defer live.Done()
			if again := d.send(ctx, epoch, keys, st, u); len(again.idx) > 0 {
				live.Add(1)
				queue <- again
			}
		}(u)
	}
}

// send sends one unit, records each key's outcome in st, releases the
// limiter slot and returns the keys to send again.
func (d *Deleter) send(ctx context.Context, epoch uint64, keys []string, st []Result, u unit) unit {
	batch := make([]string, len(u.idx))
	for j, i := range u.idx {
		batch[j] = keys[i]
	}
	outs := d.b.delete(ctx, batch)
	d.requests.Add(1)
	var throttled, temporary bool
	again := unit{attempt: u.attempt + 1}
	for j, i := range u.idx {
		o := outs[j]
		st[i].Attempts++
		switch {
		case o.err == nil && o.gone:
			st[i].Status, st[i].Err = Gone, nil
		case o.err == nil:
			st[i].Status, st[i].Err = Deleted, nil
		default:
			st[i].Status, st[i].Err = Failed, o.err
			if !o.retry {
				continue
			}
			temporary = true
			if provider.Code(o.err) == gcerrors.ResourceExhausted {
				throttled = true
			}
			if st[i].Attempts < d.tries && ctx.Err() == nil {
				again.idx = append(again.idx, i)
			}
		}
	}
	if throttled {
		d.throttled.Add(1)
	}
	d.retried.Add(int64(len(again.idx)))
	d.lim.release(epoch, throttled, temporary)
	return again
}

// invalid is the error of a key that is never sent.
func (d *Deleter) invalid(why string) error {
	return newError(d.h, provider.OpDelete, gcerrors.InvalidArgument, why)
}
