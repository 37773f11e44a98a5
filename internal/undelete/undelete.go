package undelete

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/byobkit/byob/address"
	"github.com/byobkit/byob/provider"
	"gocloud.dev/gcerrors"
)

// OpRestore is provider.Error.Op for the requests a restore makes.
const OpRestore = "restore"

// Status is what became of one key.
type Status int

// The statuses.
const (
	// Failed: the restore was refused or did not complete; Result.Err says
	// why. It is the zero value, so a key the restore never settled reads
	// as not restored.
	Failed Status = iota
	// Restored: the deleted object is the current one again.
	Restored
	// Present: a current object exists under the key (never deleted,
	// restored before, or uploaded again): nothing was done.
	Present
	// Lost: the service keeps no earlier version that this restore may
	// bring back; Result.Reason says why.
	Lost
)

var statusNames = [...]string{Failed: "failed", Restored: "restored", Present: "present", Lost: "lost"}

// String names the status.
func (s Status) String() string {
	if s >= 0 && int(s) < len(statusNames) {
		return statusNames[s]
	}
	return "Status(" + strconv.Itoa(int(s)) + ")"
}

// Object is one key to restore.
type Object struct {
	// Key is the object's name as the service stores it, relative to the
	// handle's prefix.
	Key string
	// Size is the size of the object that was deleted, or -1 when it is
	// not known. When known, an earlier version of another size is not
	// brought back (it is an older object than the one deleted: on an S3
	// bucket whose versioning was suspended, a delete replaces the "null"
	// version for good) and the key is Lost.
	Size int64
}

// Keys returns objects for keys, of unknown size.
func Keys(keys ...string) []Object {
	objs := make([]Object, len(keys))
	for i, k := range keys {
		objs[i] = Object{Key: k, Size: -1}
	}
	return objs
}

// Result is the outcome for one key.
type Result struct {
	// Key is the key as given.
	Key    string
	Status Status
	// Version names what was restored: the S3 delete marker's version id
	// that was removed, the GCS generation, the Azure version id, or
	// "soft-deleted" for an Azure undelete. Empty unless Restored.
	Version string
	// Reason says, for Lost, why nothing was brought back; for Restored
	// and Present, how it was decided. Never a secret.
	Reason string
	// Err is nil unless Failed. Then it is a *provider.Error, classified
	// (provider.Code) and scrubbed of secrets. A refusal for permissions
	// is always Failed with PermissionDenied, never Lost.
	Err error
}

// Options tune a Restorer. The zero value is the defaults.
type Options struct {
	// Parallelism is the most keys restored at once. 0: 16.
	Parallelism int
	// ClockSkew is how far the service's clock may be ahead of the clock
	// that took the run's start time: a deletion stamped earlier than
	// since - ClockSkew is not the run's. 0: 5 minutes.
	ClockSkew time.Duration
}

const (
	defaultParallelism = 16
	defaultClockSkew   = 5 * time.Minute
)

// backend restores one key of one kind of service.
type backend interface {
	// restore brings key back if the service keeps a version of it that
	// was deleted at or after cutoff (zero: any time), and says what it did.
	restore(ctx context.Context, o Object, cutoff time.Time) Result
}

// backends picks the backend for a provider: the one table of how each
// service keeps deleted objects (see the package documentation). A
// provider that is not in it, or a handle without the native client it
// needs (provider.NewHandle), gets the portable backend, which has no
// versions to bring back.
var backends = map[address.Provider]func(h *provider.Handle) backend{
	address.S3:        newS3Backend,
	address.CoreWeave: newS3Backend,
	address.GCS:       newGCSBackend,
	address.Azure:     newAzureBackend,
}

// Restorer restores deleted objects of one handle's bucket. It is safe for
// concurrent use.
type Restorer struct {
	h    *provider.Handle
	b    backend
	par  int
	skew time.Duration
}

// ErrNoHandle is the error New returns for a nil handle.
var ErrNoHandle = errors.New("undelete: no handle; open the bucket with provider.Open first")

// New returns a Restorer for h's bucket.
func New(h *provider.Handle, opts Options) (*Restorer, error) {
	if h == nil {
		return nil, ErrNoHandle
	}
	var b backend
	if nb, ok := backends[h.Location().Provider]; ok {
		b = nb(h)
	}
	if b == nil {
		b = &portableBackend{h: h}
	}
	r := &Restorer{h: h, b: b, par: opts.Parallelism, skew: opts.ClockSkew}
	if r.par <= 0 {
		r.par = defaultParallelism
	}
	if r.skew <= 0 {
		r.skew = defaultClockSkew
	}
	return r, nil
}

// Restore restores each object natively and returns one Result per
// object, in the order given; a key given twice is restored once and gets
// the same Result twice. since is when the run that deleted them started:
// a version deleted before since - ClockSkew was not deleted by that run
// and is not brought back (the zero time lifts the check; on Azure with
// blob versioning, where the service keeps no deletion time, the check
// cannot be made).
//
// Every object has its Result. The error is nil unless the context ended
// before every key was settled: then it is the context's error, and keys
// not settled are Failed with a Canceled or DeadlineExceeded error.
func (r *Restorer) Restore(ctx context.Context, since time.Time, objs []Object) ([]Result, error) {
	var cutoff time.Time
	if !since.IsZero() {
		cutoff = since.Add(-r.skew)
	}
	res := make([]Result, len(objs))
	pos := make(map[string]int, len(objs))
	var uniq []Object
	for i, o := range objs {
		res[i].Key = o.Key
		if o.Key == "" {
			res[i].Err = r.fail(gcerrors.InvalidArgument, "an empty key names the prefix itself, not an object")
			continue
		}
		if _, ok := pos[o.Key]; !ok {
			pos[o.Key] = len(uniq)
			uniq = append(uniq, o)
		}
	}
	st := make([]Result, len(uniq))
	work := make(chan int)
	var wg sync.WaitGroup
	for range min(r.par, len(uniq)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				st[i] = r.b.restore(ctx, uniq[i], cutoff)
				st[i].Key = uniq[i].Key
			}
		}()
	}
	sent := 0
send:
	for ; sent < len(uniq); sent++ {
		select {
		case work <- sent:
		case <-ctx.Done():
			break send
		}
	}
	close(work)
	wg.Wait()
	for i := sent; i < len(uniq); i++ {
		st[i] = Result{Key: uniq[i].Key, Err: provider.WrapError(addr(r.h), OpRestore, ctx.Err())}
	}
	for i, o := range objs {
		if j, ok := pos[o.Key]; ok {
			res[i] = st[j]
		}
	}
	if err := ctx.Err(); err != nil {
		for _, s := range st {
			if s.Status == Failed {
				return res, err
			}
		}
	}
	return res, nil
}

// fail is the *provider.Error of a key refused before any request.
func (r *Restorer) fail(code gcerrors.ErrorCode, why string) error {
	a := r.h.Location()
	return &provider.Error{Op: OpRestore, Provider: a.Provider, Bucket: a.Bucket, Code: code, Err: errors.New(why)}
}

// addr is h's address with its current credentials, for scrubbing them
// from errors.
func addr(h *provider.Handle) *address.Address {
	a := h.Address()
	return &a
}

// failed is the Result of a request that failed: err, a native client's
// error, classified and scrubbed.
func failed(h *provider.Handle, err error) Result {
	return Result{Err: provider.WrapError(addr(h), OpRestore, err)}
}

// lost is a Lost Result with its reason.
func lost(format string, args ...any) Result {
	return Result{Status: Lost, Reason: fmt.Sprintf(format, args...)}
}

// present is a Present Result with its reason.
func present(why string) Result { return Result{Status: Present, Reason: why} }

// tooOld reports whether a deletion at t is earlier than cutoff: not the
// run's.
func tooOld(t, cutoff time.Time) bool { return !cutoff.IsZero() && !t.IsZero() && t.Before(cutoff) }

// sizeMismatch is the reason a version of size got is not the object of
// size want the run deleted; "" when it may be.
func sizeMismatch(want, got int64) string {
	if want < 0 || want == got {
		return ""
	}
	return fmt.Sprintf("the newest earlier version has %d bytes, the object deleted had %d: it is an older object, not the one deleted", got, want)
}

// stamp formats a service time for a Reason.
func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }
