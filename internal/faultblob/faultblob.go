// Package faultblob wraps a bucket to make it fail the way cloud stores
// fail, so that tests can prove the garbage collector safe when they do:
// transient errors (HTTP 500), throttling (503 SlowDown, 429), timeouts,
// refusals (403), the refusal gcsblob reports as NotFound (a 403 that a
// careless caller would take for "already gone"), some keys of a batch
// failing while the others succeed, and a crash: from the Nth operation on,
// every call fails, as if the process had been killed.
//
// A Bucket is a driver.Bucket over another bucket's portable API (memblob
// in byob's tests); Open turns it into a *blob.Bucket, and
// provider.NewHandle into a handle. Its errors carry the HTTP status and
// the driver error code a real driver would report (a *googleapi.Error,
// as gcsblob's do), so that the caller's own classification
// (provider.Code) is what gets tested.
//
// Faults are deterministic from Options.Seed: whether a rule hits a call
// depends only on the seed, the rule, the operation, the key and how many
// calls of that operation on that key came before, never on timing or the
// order of concurrent calls. The crash counts operations globally, so it
// is deterministic only for a caller that makes its calls one at a time.
//
// A test that counts steps of its own (journal writes, claims) crashes
// the Bucket with Crash where its count runs out, and Heal ends every
// fault, as a restarted process meets a store that recovered;
// Options.Before runs other actors' steps before each call, to interleave
// them at every step of the caller.
//
// A Bucket also carries a clock (Options.Now): objects written through it
// get their modification time from it, and SetModTime backdates one (as
// S3 stamps a multipart object when its upload started), so that a test
// can age objects past a grace period without waiting.
package faultblob

import (
	"context"
	"encoding/binary"
	"errors"
	"hash/fnv"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"gocloud.dev/blob"
	"gocloud.dev/blob/driver"
	"gocloud.dev/gcerrors"
	"google.golang.org/api/googleapi"
)

// Op names a bucket operation.
type Op string

// The operations a Rule can target. The key of a list is its prefix; of a
// copy, its source.
const (
	OpList       Op = "list"
	OpAttributes Op = "attributes"
	OpRead       Op = "read"
	OpWrite      Op = "write"
	OpCopy       Op = "copy"
	OpDelete     Op = "delete"
	OpSign       Op = "sign"
)

// Kind is a kind of fault.
type Kind int

// The kinds of fault, each as a service sends it (see the table kinds).
const (
	// Internal: HTTP 500, an internal error (temporary).
	Internal Kind = iota + 1
	// Unavailable: HTTP 503 SlowDown, a store shedding load (temporary,
	// throttling).
	Unavailable
	// TooManyRequests: HTTP 429 (temporary, throttling).
	TooManyRequests
	// Timeout: HTTP 504 (temporary).
	Timeout
	// Denied: HTTP 403, reported as PermissionDenied.
	Denied
	// DisguisedDenied: HTTP 403 that the driver reports as NotFound, as
	// gcsblob does with every 403. The object is still there.
	DisguisedDenied
	// Crashed: the error of every call from Options.CrashAt on.
	Crashed
)

// fault is what a service sends for one kind: its HTTP status, the code
// its driver reports, and the message.
type fault struct {
	name   string
	status int
	code   gcerrors.ErrorCode
	reason string
}

// kinds is the one table of what each kind looks like.
var kinds = map[Kind]fault{
	Internal:        {"internal", http.StatusInternalServerError, gcerrors.Internal, "We encountered an internal error. Please try again."},
	Unavailable:     {"unavailable", http.StatusServiceUnavailable, gcerrors.ResourceExhausted, "SlowDown: Please reduce your request rate."},
	TooManyRequests: {"too many requests", http.StatusTooManyRequests, gcerrors.ResourceExhausted, "rateLimitExceeded"},
	Timeout:         {"timeout", http.StatusGatewayTimeout, gcerrors.DeadlineExceeded, "Gateway Timeout"},
	Denied:          {"denied", http.StatusForbidden, gcerrors.PermissionDenied, "AccessDenied"},
	DisguisedDenied: {"denied as not found", http.StatusForbidden, gcerrors.NotFound, "Permission denied on resource (or it may not exist)."},
}

// String names the kind.
func (k Kind) String() string {
	if k == Crashed {
		return "crashed"
	}
	if f, ok := kinds[k]; ok {
		return f.name
	}
	return "Kind(?)"
}

// ErrCrashed is what every call returns once the bucket has crashed
// (errors.Is finds it). Its code is Unknown and it carries no HTTP
// status: a caller must not retry it as a temporary failure.
var ErrCrashed = errors.New("faultblob: crashed: the process is gone")

// Rule makes some calls fail.
type Rule struct {
	// Op is the operation it targets; "" targets every one.
	Op Op
	// Kind is the fault it injects.
	Kind Kind
	// Rate is the chance that a call it targets fails, from 0 to 1.
	Rate float64
	// Keys, if set, limits the rule to these keys; Prefix, if set, to
	// the keys under it.
	Keys   []string
	Prefix string
	// Times, if not 0, is how many calls per operation and key the rule
	// may fail at most: a transient fault that clears once retried.
	Times int
}

// Options say how a Bucket fails.
type Options struct {
	// Seed makes the faults of the rules deterministic.
	Seed uint64
	// Rules are tried in order; the first that hits a call fails it.
	Rules []Rule
	// CrashAt, if not 0, is the number of the first call that fails with
	// ErrCrashed (the first call is 1); every later one fails too.
	CrashAt int64
	// OnCrash, if set, is called once, at the crash, before the call
	// fails: a test cancels its context there, as a kill would stop the
	// caller.
	OnCrash func()
	// Before, if set, is called before every operation, outside the
	// bucket's lock: a test runs other actors' steps there, interleaving
	// them at each of the caller's calls.
	Before func(op Op, key string)
	// Now, if set, is the clock that stamps the objects written (or
	// copied) through the Bucket: listings and attributes report its time
	// as their modification time. Objects written to the inner bucket
	// directly keep the inner bucket's time.
	Now func() time.Time
}

// Injection is one fault the Bucket injected.
type Injection struct {
	Op   Op
	Key  string
	Kind Kind
}

// Bucket is a driver.Bucket over inner that injects faults. It is safe for
// concurrent use.
type Bucket struct {
	inner *blob.Bucket
	o     Options

	mu       sync.Mutex
	calls    int64
	crashed  bool
	perKey   map[callKey]int
	stamps   map[string]time.Time
	injected []Injection
}

type callKey struct {
	op  Op
	key string
}

var _ driver.Bucket = (*Bucket)(nil)

// New returns a Bucket over inner.
func New(inner *blob.Bucket, o Options) *Bucket {
	return &Bucket{inner: inner, o: o, perKey: map[callKey]int{}, stamps: map[string]time.Time{}}
}

// Open returns the portable bucket over b. Closing it does not close the
// inner bucket.
func (b *Bucket) Open() *blob.Bucket { return blob.NewBucket(b) }

// Injected returns the faults injected so far, in the order they were.
func (b *Bucket) Injected() []Injection {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.injected)
}

// Calls returns how many operations the Bucket has been asked for.
func (b *Bucket) Calls() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.calls
}

// Crashed reports whether the Bucket has crashed.
func (b *Bucket) Crashed() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.crashed
}

// Crash crashes the Bucket now: every later call fails with ErrCrashed,
// as they would once the process is gone. A test that counts steps of its
// own (journal writes, claims, bucket calls) calls it from Options.Before
// or wherever its count runs out. OnCrash runs, once, as for CrashAt.
func (b *Bucket) Crash() {
	b.mu.Lock()
	first := !b.crashed
	b.crashed = true
	b.mu.Unlock()
	if first && b.o.OnCrash != nil {
		b.o.OnCrash()
	}
}

// Heal ends every fault: the crash, CrashAt and the rules. The calls
// after it succeed, as those of a restarted process against a store that
// recovered would. The clock's stamps are kept.
func (b *Bucket) Heal() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.crashed = false
	b.o.CrashAt = 0
	b.o.Rules = nil
}

// SetModTime sets the modification time the Bucket reports for key, as a
// store does for an object whose upload began earlier than it completed
// (an S3 multipart upload's object carries the time the upload started).
func (b *Bucket) SetModTime(key string, t time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.stamps[key] = t
}

// enter counts a call and decides its fault: nil, or the error to return.
func (b *Bucket) enter(op Op, key string) error {
	if b.o.Before != nil {
		b.o.Before(op, key)
	}
	b.mu.Lock()
	b.calls++
	ck := callKey{op, key}
	n := b.perKey[ck]
	b.perKey[ck] = n + 1
	if b.crashed || b.o.CrashAt > 0 && b.calls >= b.o.CrashAt {
		first := !b.crashed
		b.crashed = true
		b.injected = append(b.injected, Injection{op, key, Crashed})
		b.mu.Unlock()
		if first && b.o.OnCrash != nil {
			b.o.OnCrash()
		}
		return &faultError{op: op, key: key, kind: Crashed}
	}
	for i, r := range b.o.Rules {
		if r.hits(b.o.Seed, i, op, key, n) {
			b.injected = append(b.injected, Injection{op, key, r.Kind})
			b.mu.Unlock()
			return &faultError{op: op, key: key, kind: r.Kind}
		}
	}
	b.mu.Unlock()
	return nil
}

// hits reports whether r fails the nth earlier call of op on key (n from 0).
func (r Rule) hits(seed uint64, i int, op Op, key string, n int) bool {
	switch {
	case r.Op != "" && r.Op != op,
		r.Keys != nil && !slices.Contains(r.Keys, key),
		r.Prefix != "" && !strings.HasPrefix(key, r.Prefix),
		r.Times > 0 && n >= r.Times,
		r.Rate <= 0:
		return false
	case r.Rate >= 1:
		return true
	}
	h := fnv.New64a()
	var buf [24]byte
	binary.LittleEndian.PutUint64(buf[0:], seed)
	binary.LittleEndian.PutUint64(buf[8:], uint64(i))
	binary.LittleEndian.PutUint64(buf[16:], uint64(n))
	h.Write(buf[:])
	h.Write([]byte(op))
	h.Write([]byte{0})
	h.Write([]byte(key))
	return float64(mix(h.Sum64())>>11)/(1<<53) < r.Rate
}

// mix is splitmix64's finaliser: it spreads FNV's bits over the word.
func mix(z uint64) uint64 {
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// faultError is an injected fault: it unwraps to the *googleapi.Error a
// service would have sent (or to ErrCrashed).
type faultError struct {
	op   Op
	key  string
	kind Kind
}

func (e *faultError) Error() string {
	return "faultblob: " + string(e.op) + " " + e.key + ": injected " + e.kind.String()
}

func (e *faultError) Unwrap() error {
	f, ok := kinds[e.kind]
	if !ok {
		return ErrCrashed
	}
	return &googleapi.Error{Code: f.status, Message: f.reason}
}

// ErrorCode implements driver.Bucket: the code the kind's driver reports,
// or the inner bucket's code for its own errors.
func (b *Bucket) ErrorCode(err error) gcerrors.ErrorCode {
	var fe *faultError
	if errors.As(err, &fe) {
		if f, ok := kinds[fe.kind]; ok {
			return f.code
		}
		return gcerrors.Unknown
	}
	return gcerrors.Code(err)
}

// As implements driver.Bucket.
func (b *Bucket) As(i any) bool { return b.inner.As(i) }

// ErrorAs implements driver.Bucket.
func (b *Bucket) ErrorAs(err error, i any) bool { return b.inner.ErrorAs(err, i) }

// modTime is the time to report for key: its stamp, or the inner one.
func (b *Bucket) modTime(key string, inner time.Time) time.Time {
	b.mu.Lock()
	defer b.mu.Unlock()
	if t, ok := b.stamps[key]; ok {
		return t
	}
	return inner
}

// stamp records that key was just written.
func (b *Bucket) stamp(key string) {
	if b.o.Now == nil {
		return
	}
	t := b.o.Now()
	b.mu.Lock()
	defer b.mu.Unlock()
	b.stamps[key] = t
}

// Attributes implements driver.Bucket.
func (b *Bucket) Attributes(ctx context.Context, key string) (*driver.Attributes, error) {
	if err := b.enter(OpAttributes, key); err != nil {
		return nil, err
	}
	a, err := b.inner.Attributes(ctx, key)
	if err != nil {
		return nil, err
	}
	return &driver.Attributes{
		CacheControl: a.CacheControl, ContentDisposition: a.ContentDisposition, ContentEncoding: a.ContentEncoding,
		ContentLanguage: a.ContentLanguage, ContentType: a.ContentType, Metadata: a.Metadata,
		CreateTime: a.CreateTime, ModTime: b.modTime(key, a.ModTime), Size: a.Size, MD5: a.MD5, ETag: a.ETag, AsFunc: a.As,
	}, nil
}

// ListPaged implements driver.Bucket.
func (b *Bucket) ListPaged(ctx context.Context, opts *driver.ListOptions) (*driver.ListPage, error) {
	if err := b.enter(OpList, opts.Prefix); err != nil {
		return nil, err
	}
	token := opts.PageToken
	if len(token) == 0 {
		token = blob.FirstPageToken
	}
	size := opts.PageSize
	if size == 0 {
		size = 1000
	}
	objs, next, err := b.inner.ListPage(ctx, token, size, &blob.ListOptions{Prefix: opts.Prefix, Delimiter: opts.Delimiter, BeforeList: opts.BeforeList})
	if err != nil {
		return nil, err
	}
	page := &driver.ListPage{Objects: make([]*driver.ListObject, 0, len(objs)), NextPageToken: next}
	for _, o := range objs {
		mt := o.ModTime
		if !o.IsDir {
			mt = b.modTime(o.Key, mt)
		}
		page.Objects = append(page.Objects, &driver.ListObject{Key: o.Key, ModTime: mt, Size: o.Size, MD5: o.MD5, IsDir: o.IsDir, AsFunc: o.As})
	}
	return page, nil
}

// NewRangeReader implements driver.Bucket.
func (b *Bucket) NewRangeReader(ctx context.Context, key string, offset, length int64, opts *driver.ReaderOptions) (driver.Reader, error) {
	if err := b.enter(OpRead, key); err != nil {
		return nil, err
	}
	r, err := b.inner.NewRangeReader(ctx, key, offset, length, &blob.ReaderOptions{BeforeRead: opts.BeforeRead})
	if err != nil {
		return nil, err
	}
	return &reader{r: r, attrs: driver.ReaderAttributes{ContentType: r.ContentType(), ModTime: b.modTime(key, r.ModTime()), Size: r.Size()}}, nil
}

// NewTypedWriter implements driver.Bucket. A fault fails the writer's
// creation, so nothing is written.
func (b *Bucket) NewTypedWriter(ctx context.Context, key, contentType string, opts *driver.WriterOptions) (driver.Writer, error) {
	if err := b.enter(OpWrite, key); err != nil {
		return nil, err
	}
	w, err := b.inner.NewWriter(ctx, key, &blob.WriterOptions{
		CacheControl: opts.CacheControl, ContentDisposition: opts.ContentDisposition, ContentEncoding: opts.ContentEncoding,
		ContentLanguage: opts.ContentLanguage, ContentType: contentType, DisableContentTypeDetection: true,
		ContentMD5: opts.ContentMD5, Metadata: opts.Metadata, IfNotExist: opts.IfNotExist, BeforeWrite: opts.BeforeWrite,
	})
	if err != nil {
		return nil, err
	}
	return &writer{w: w, b: b, key: key}, nil
}

// Copy implements driver.Bucket; a fault is decided on the source key.
func (b *Bucket) Copy(ctx context.Context, dstKey, srcKey string, opts *driver.CopyOptions) error {
	if err := b.enter(OpCopy, srcKey); err != nil {
		return err
	}
	if err := b.inner.Copy(ctx, dstKey, srcKey, &blob.CopyOptions{BeforeCopy: opts.BeforeCopy}); err != nil {
		return err
	}
	b.stamp(dstKey)
	return nil
}

// Delete implements driver.Bucket.
func (b *Bucket) Delete(ctx context.Context, key string, opts *driver.DeleteOptions) error {
	if err := b.enter(OpDelete, key); err != nil {
		return err
	}
	if err := b.inner.DeleteWithOptions(ctx, key, &blob.DeleteOptions{BeforeDelete: opts.BeforeDelete}); err != nil {
		return err
	}
	b.mu.Lock()
	delete(b.stamps, key)
	b.mu.Unlock()
	return nil
}

// SignedURL implements driver.Bucket.
func (b *Bucket) SignedURL(ctx context.Context, key string, opts *driver.SignedURLOptions) (string, error) {
	if err := b.enter(OpSign, key); err != nil {
		return "", err
	}
	return b.inner.SignedURL(ctx, key, &blob.SignedURLOptions{Expiry: opts.Expiry, Method: opts.Method,
		ContentType: opts.ContentType, EnforceAbsentContentType: opts.EnforceAbsentContentType, BeforeSign: opts.BeforeSign})
}

// Close implements driver.Bucket; the inner bucket stays open.
func (b *Bucket) Close() error { return nil }

// reader is a driver.Reader over a portable reader.
type reader struct {
	r     *blob.Reader
	attrs driver.ReaderAttributes
}

func (r *reader) Read(p []byte) (int, error)           { return r.r.Read(p) }
func (r *reader) Close() error                         { return r.r.Close() }
func (r *reader) Attributes() *driver.ReaderAttributes { return &r.attrs }
func (r *reader) As(i any) bool                        { return r.r.As(i) }

// writer is a driver.Writer over a portable writer that stamps its key
// once written.
type writer struct {
	w   *blob.Writer
	b   *Bucket
	key string
}

func (w *writer) Write(p []byte) (int, error) { return w.w.Write(p) }

func (w *writer) Close() error {
	if err := w.w.Close(); err != nil {
		return err
	}
	w.b.stamp(w.key)
	return nil
}
