package undelete

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"cloud.google.com/go/storage"
	"github.com/byobkit/byob/internal/apierr"
	"github.com/byobkit/byob/provider"
	"google.golang.org/api/googleapi"
	"google.golang.org/api/iterator"
)

// gcsBackend brings back the newest noncurrent generation (object
// versioning) or the newest soft-deleted one (soft delete).
type gcsBackend struct {
	h      *provider.Handle
	bucket *storage.BucketHandle
	prefix string
}

func newGCSBackend(h *provider.Handle) backend {
	c := h.GCS()
	if c == nil {
		return nil
	}
	return &gcsBackend{h: h, bucket: c.Bucket(h.Location().Bucket), prefix: h.Prefix()}
}

// noLive is the precondition that keeps a restore from replacing an
// object uploaded after the delete: ifGenerationMatch=0, "only if there
// is no live generation".
var noLive = storage.Conditions{DoesNotExist: true}

// restore looks for a live generation (Present), then for the newest
// noncurrent generation, which it copies over the live name, then for the
// newest soft-deleted generation, which it restores. Both writes carry
// noLive, and a 412 means an upload came first: Present.
func (b *gcsBackend) restore(ctx context.Context, o Object, cutoff time.Time) Result {
	full := b.prefix + o.Key
	obj := b.bucket.Object(full)
	gens, err := b.list(ctx, full, false)
	if err != nil {
		return failed(b.h, err)
	}
	var prev *storage.ObjectAttrs
	for _, g := range gens {
		if g.Deleted.IsZero() {
			return present("a live generation exists")
		}
		if prev == nil || g.Generation > prev.Generation {
			prev = g
		}
	}
	if prev != nil {
		if tooOld(prev.Deleted, cutoff) {
			return lost("generation %d was made noncurrent at %s, before the run started", prev.Generation, stamp(prev.Deleted))
		}
		if why := sizeMismatch(o.Size, prev.Size); why != "" {
			return lost("%s", why)
		}
		_, err := obj.If(noLive).CopierFrom(obj.Generation(prev.Generation)).Run(ctx)
		return b.written(err, prev.Generation, "copied noncurrent generation ")
	}
	soft, err := b.list(ctx, full, true)
	if isNoSoftDelete(err) {
		return lost("the bucket keeps no noncurrent generation of the key, and soft delete is off")
	}
	if err != nil {
		return failed(b.h, err)
	}
	for _, g := range soft {
		if g.SoftDeleteTime.IsZero() {
			continue // not soft-deleted: a server that ignores softDeleted=true
		}
		if prev == nil || g.Generation > prev.Generation {
			prev = g
		}
	}
	if prev == nil {
		return lost("the bucket keeps no noncurrent or soft-deleted generation of the key")
	}
	if tooOld(prev.SoftDeleteTime, cutoff) {
		return lost("generation %d was soft-deleted at %s, before the run started", prev.Generation, stamp(prev.SoftDeleteTime))
	}
	if why := sizeMismatch(o.Size, prev.Size); why != "" {
		return lost("%s", why)
	}
	_, err = obj.Generation(prev.Generation).If(noLive).Restore(ctx, &storage.RestoreOptions{})
	return b.written(err, prev.Generation, "restored soft-deleted generation ")
}

// written is the Result of the write that brought generation gen back.
func (b *gcsBackend) written(err error, gen int64, how string) Result {
	g := strconv.FormatInt(gen, 10)
	switch {
	case err == nil:
		return Result{Status: Restored, Version: g, Reason: how + g}
	case apierr.Status(err) == http.StatusPreconditionFailed:
		return present("an object was uploaded under the key before the restore (412 on ifGenerationMatch=0)")
	default:
		return failed(b.h, err)
	}
}

// list returns every generation named exactly key: live and noncurrent
// ones, or the soft-deleted ones. The name range [key, key+"\x00") holds
// key alone.
func (b *gcsBackend) list(ctx context.Context, key string, softDeleted bool) ([]*storage.ObjectAttrs, error) {
	q := &storage.Query{Prefix: key, StartOffset: key, EndOffset: key + "\x00", Versions: !softDeleted, SoftDeleted: softDeleted}
	it := b.bucket.Objects(ctx, q)
	var out []*storage.ObjectAttrs
	for {
		a, err := it.Next()
		if errors.Is(err, iterator.Done) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		if a.Name == key {
			out = append(out, a)
		}
	}
}

// isNoSoftDelete reports whether err is GCS's answer to a soft-deleted
// listing on a bucket without a soft delete policy ("Bucket does not have
// soft deletion enabled", HTTP 400).
func isNoSoftDelete(err error) bool {
	var ge *googleapi.Error
	return errors.As(err, &ge) && ge.Code == http.StatusBadRequest &&
		strings.Contains(strings.ToLower(ge.Message), "soft delet")
}
