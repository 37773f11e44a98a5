package undelete

import (
	"context"
	"time"

	"github.com/byobkit/byob/provider"
	"gocloud.dev/gcerrors"
)

// portableBackend is for stores that keep no versions (mem://, file://)
// and handles without native clients: a key is Present or Lost.
type portableBackend struct{ h *provider.Handle }

func (b *portableBackend) restore(ctx context.Context, o Object, _ time.Time) Result {
	// Attributes, not Exists: Exists reads every NotFound as false, and a
	// driver may call a refusal NotFound (gcsblob's 403); the handle's
	// bucket reclassifies it as PermissionDenied, which Attributes keeps.
	_, err := b.h.Bucket().Attributes(ctx, o.Key)
	switch {
	case err == nil:
		return present("the object exists")
	case provider.Code(err) == gcerrors.NotFound:
		return lost("the store keeps no earlier versions of deleted objects")
	default:
		return failed(b.h, err)
	}
}
