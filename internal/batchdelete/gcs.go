package batchdelete

import (
	"context"
	"net/http"

	"cloud.google.com/go/storage"
	"github.com/byobkit/byob/internal/apierr"
	"github.com/byobkit/byob/provider"
)

// gcsBackend deletes one object per request through the native client.
type gcsBackend struct {
	h        *provider.Handle
	bucket   *storage.BucketHandle
	prefix   string
	inFlight int
	xml      gcsXMLCache // the XML API client for multipart uploads (uploads_gcs.go)
}

func newGCSBackend(h *provider.Handle) backend {
	c := h.GCS()
	if c == nil {
		return nil
	}
	// GCS's JSON batch takes 100 calls: as many deletes in flight as one
	// batch would carry.
	n := h.Rules().BatchDelete
	if n <= 0 {
		n = defaultSingleParallel
	}
	return &gcsBackend{h: h, bucket: c.Bucket(h.Location().Bucket), prefix: h.Prefix(), inFlight: n}
}

func (b *gcsBackend) batch() int    { return 1 }
func (b *gcsBackend) parallel() int { return b.inFlight }

// noRetry: each attempt is counted and paced by the Deleter.
var noRetry = storage.WithPolicy(storage.RetryNever)

func (b *gcsBackend) delete(ctx context.Context, keys []string) []outcome {
	outs := make([]outcome, len(keys))
	for i, k := range keys {
		// No generation: a versioned or soft-deleting bucket keeps the
		// object, where deleting a generation would remove it for good.
		err := b.bucket.Object(b.prefix + k).Retryer(noRetry).Delete(ctx)
		switch {
		case err == nil:
		case apierr.Status(err) == http.StatusNotFound:
			// Only a real 404. gcsblob calls a 403 NotFound too; the
			// status here says which it was.
			outs[i] = outcome{gone: true}
		default:
			outs[i] = outcome{err: wrap(b.h, provider.OpDelete, err), retry: temporary(ctx, err)}
		}
	}
	return outs
}
