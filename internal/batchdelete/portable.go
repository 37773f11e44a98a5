package batchdelete

import (
	"context"
	"errors"

	"github.com/byobkit/byob/provider"
	"gocloud.dev/blob"
	"gocloud.dev/gcerrors"
)

// portableBackend deletes one key per request through the portable
// bucket: mem, file, and handles without native clients. The handle's
// bucket classifies its errors already (provider.Code), so its NotFound is
// a real one.
type portableBackend struct {
	bucket *blob.Bucket
}

func (b *portableBackend) batch() int    { return 1 }
func (b *portableBackend) parallel() int { return defaultSingleParallel }

func (b *portableBackend) delete(ctx context.Context, keys []string) []outcome {
	outs := make([]outcome, len(keys))
	for i, k := range keys {
		err := b.bucket.Delete(ctx, k)
		switch {
		case err == nil:
		case provider.Code(err) == gcerrors.NotFound:
			outs[i] = outcome{gone: true}
		default:
			retry := temporary(ctx, err)
			var pe *provider.Error
			if errors.As(err, &pe) {
				err = pe // the handle's own error, without gocloud's portable wrapping
			}
			outs[i] = outcome{err: err, retry: retry}
		}
	}
	return outs
}
