package gc

import (
	"bytes"
	"context"
	"strconv"
	"sync"

	"github.com/byobkit/byob/provider"
	"gocloud.dev/blob"
	"gocloud.dev/gcerrors"
)

// trashParallel is how many copies into the trash run at once.
const trashParallel = 16

// trashKey is where the trash keeps key of run: Restore copies it back
// from there.
func trashKey(trash, run, key string) string { return trash + run + "/" + key }

// toTrash copies each object under trash+run+"/", in parallel, and checks
// that each copy has the object's size (and MD5, where the store reports
// both). It returns, per object, nil when the copy is verified, or why
// not; gone[i] is set when the object no longer existed (a real
// NotFound: the handle's bucket reports a refused GCS read as
// PermissionDenied). Only verified objects may then be deleted.
func toTrash(ctx context.Context, b *blob.Bucket, trash, run string, objs []Object) (errs []error, gone []bool) {
	errs, gone = make([]error, len(objs)), make([]bool, len(objs))
	sem := make(chan struct{}, trashParallel)
	var wg sync.WaitGroup
	for i, o := range objs {
		if err := ctx.Err(); err != nil {
			for j := i; j < len(objs); j++ {
				errs[j] = err
			}
			break
		}
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			gone[i], errs[i] = copyToTrash(ctx, b, trashKey(trash, run, o.Key), o)
		}()
	}
	wg.Wait()
	return errs, gone
}

// copyToTrash copies o to dst and verifies the copy; gone when o no
// longer exists.
func copyToTrash(ctx context.Context, b *blob.Bucket, dst string, o Object) (gone bool, err error) {
	if err := b.Copy(ctx, dst, o.Key, nil); err != nil {
		if provider.Code(err) == gcerrors.NotFound {
			return true, nil
		}
		return false, err
	}
	src, err := b.Attributes(ctx, o.Key)
	if err != nil {
		// Gone since the copy (another collector of the same shard): there
		// is nothing left to delete, and the copy in the trash is harmless.
		if provider.Code(err) == gcerrors.NotFound {
			return true, nil
		}
		return false, err
	}
	got, err := b.Attributes(ctx, dst)
	if err != nil {
		return false, err
	}
	if got.Size != src.Size || src.MD5 != nil && got.MD5 != nil && !bytes.Equal(src.MD5, got.MD5) {
		return false, &Error{Op: "trash", Kind: ErrDelete, Key: o.Key,
			Detail: "the trash copy " + quote(dst) + " has " + strconv.FormatInt(got.Size, 10) + " bytes or another MD5 than the object's " +
				strconv.FormatInt(src.Size, 10) + ": the object is kept"}
	}
	return false, nil
}
