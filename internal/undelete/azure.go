package undelete

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/bloberror"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/container"
	"github.com/byobkit/byob/internal/apierr"
	"github.com/byobkit/byob/provider"
	"gocloud.dev/gcerrors"
)

// azureBackend copies the newest previous version back (blob versioning)
// or undeletes the soft-deleted blob (soft delete).
type azureBackend struct {
	h      *provider.Handle
	client *container.Client
	prefix string
	poll   time.Duration // between reads of a copy's status while it is pending
}

func newAzureBackend(h *provider.Handle) backend {
	c := h.AzureContainer()
	if c == nil {
		return nil
	}
	return &azureBackend{h: h, client: c, prefix: h.Prefix(), poll: 200 * time.Millisecond}
}

// azureBlob is what the listing says of one blob of the key's name.
type azureBlob struct {
	live    bool      // the base blob (or current version) exists
	version string    // newest previous version's id; "" if none
	vsize   int64     // its size
	deleted bool      // a soft-deleted base blob exists
	dsize   int64     // its size
	dtime   time.Time // when it was deleted
}

// restore reads the key's blobs, deleted ones and versions included. A
// live blob is Present. With versioning the current version's content is
// in the newest previous version, which is copied onto the base blob
// (If-None-Match: *, so a blob uploaded meanwhile stays; Azure keeps no
// deletion time for a version, so since cannot be checked). With soft
// delete alone the base blob is undeleted; Undelete never replaces a live
// blob (on one it only restores soft-deleted snapshots).
func (b *azureBackend) restore(ctx context.Context, o Object, cutoff time.Time) Result {
	full := b.prefix + o.Key
	st, err := b.state(ctx, full)
	if err != nil {
		return failed(b.h, err)
	}
	bc := b.client.NewBlobClient(full)
	switch {
	case st.live:
		return present("the blob exists")
	case st.version != "":
		if why := sizeMismatch(o.Size, st.vsize); why != "" {
			return lost("%s", why)
		}
		return b.copyBack(ctx, bc, st.version)
	case st.deleted:
		if tooOld(st.dtime, cutoff) {
			return lost("the blob was deleted at %s, before the run started", stamp(st.dtime))
		}
		if why := sizeMismatch(o.Size, st.dsize); why != "" {
			return lost("%s", why)
		}
		if _, err := bc.Undelete(ctx, nil); err != nil {
			return failed(b.h, err)
		}
		return Result{Status: Restored, Version: "soft-deleted", Reason: "undeleted the soft-deleted blob"}
	default:
		return lost("the container keeps no previous version or soft-deleted blob of the key")
	}
}

// state lists the blobs named exactly key, deleted ones and versions too.
func (b *azureBackend) state(ctx context.Context, key string) (azureBlob, error) {
	var st azureBlob
	pager := b.client.NewListBlobsFlatPager(&container.ListBlobsFlatOptions{
		Prefix:  &key,
		Include: container.ListBlobsInclude{Deleted: true, Versions: true},
	})
	for pager.More() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			return st, err
		}
		for _, it := range page.Segment.BlobItems {
			if it == nil || deref(it.Name) != key || it.Snapshot != nil && *it.Snapshot != "" {
				continue
			}
			var size int64
			var dtime time.Time
			if p := it.Properties; p != nil {
				size, dtime = deref(p.ContentLength), deref(p.DeletedTime)
			}
			switch {
			case deref(it.Deleted) && it.VersionID != nil:
				// A deleted previous version: with versioning on, the
				// content to bring back is in the versions that are not.
			case deref(it.Deleted):
				st.deleted, st.dsize, st.dtime = true, size, dtime
			case it.VersionID == nil || deref(it.IsCurrentVersion):
				st.live = true
			case *it.VersionID > st.version:
				// Version ids are UTC timestamps of fixed width: the
				// greatest is the newest.
				st.version, st.vsize = *it.VersionID, size
			}
		}
	}
	return st, nil
}

// copyBack copies version onto the base blob, unless a blob exists there.
func (b *azureBackend) copyBack(ctx context.Context, bc *blob.Client, version string) Result {
	src, err := bc.WithVersionID(version)
	if err != nil {
		return failed(b.h, err)
	}
	resp, err := bc.StartCopyFromURL(ctx, src.URL(), &blob.StartCopyFromURLOptions{
		AccessConditions: &blob.AccessConditions{ModifiedAccessConditions: &blob.ModifiedAccessConditions{IfNoneMatch: to.Ptr(azcore.ETagAny)}},
	})
	if err != nil {
		if uploaded(err) {
			return present("a blob was uploaded under the key before the restore (If-None-Match: * refused)")
		}
		return failed(b.h, err)
	}
	status := deref(resp.CopyStatus)
	for status == blob.CopyStatusTypePending {
		select {
		case <-ctx.Done():
			return failed(b.h, ctx.Err())
		case <-time.After(b.poll):
		}
		p, err := bc.GetProperties(ctx, nil)
		if err != nil {
			return failed(b.h, err)
		}
		status = deref(p.CopyStatus)
	}
	if status != blob.CopyStatusTypeSuccess {
		a := b.h.Location()
		return Result{Err: &provider.Error{Op: OpRestore, Provider: a.Provider, Bucket: a.Bucket, Code: gcerrors.Internal,
			Err: errors.New("copying version " + version + " back ended with copy status " + string(status))}}
	}
	return Result{Status: Restored, Version: version, Reason: "copied previous version " + version + " onto the blob"}
}

// uploaded reports whether err is the refusal of If-None-Match: * because
// a blob exists: 409 BlobAlreadyExists, or 412 ConditionNotMet.
func uploaded(err error) bool {
	switch apierr.Status(err) {
	case http.StatusConflict:
		return bloberror.HasCode(err, bloberror.BlobAlreadyExists)
	case http.StatusPreconditionFailed:
		return true
	}
	return false
}

// deref is *p, or the zero value for nil.
func deref[T any](p *T) T {
	var z T
	if p == nil {
		return z
	}
	return *p
}
