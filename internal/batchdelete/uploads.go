package batchdelete

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
	"github.com/byobkit/byob/address"
	"github.com/byobkit/byob/provider"
	"gocloud.dev/gcerrors"
)

// Upload is one incomplete multipart upload.
type Upload struct {
	// Key is the upload's object key, relative to the handle's prefix.
	Key       string
	UploadID  string
	Initiated time.Time
	// Status is NotSent until AbortUploads: then Deleted once the upload
	// is aborted, Gone if it had ended meanwhile (completed or aborted:
	// NoSuchUpload), Failed with Err, or NotSent if the context ended
	// first.
	Status Status
	Err    error
}

// ErrUploadsUnsupported is the cause of the error the upload methods
// return where a provider has multipart uploads but byob cannot list
// them: an S3 or GCS handle without its native client
// (provider.NewHandle).
var ErrUploadsUnsupported = errors.New("listing incomplete multipart uploads is not implemented for this bucket")

// multipartProviders are the providers whose buckets hold incomplete
// multipart uploads. Azure's uncommitted blocks expire by themselves; mem
// and file have no uploads in progress.
var multipartProviders = map[address.Provider]bool{address.S3: true, address.CoreWeave: true, address.GCS: true}

// uploadAborter is a backend that can list and abort multipart uploads:
// S3's API, and GCS's XML API, which mirrors it.
type uploadAborter interface {
	// listUploads returns, every page, the uploads whose key (relative to
	// the handle's prefix) starts with prefix and that were initiated
	// before the cutoff, in the service's order. An upload whose start
	// the service does not say is left out, and so is any the listing
	// returns outside the prefix (a store that ignores it).
	listUploads(ctx context.Context, prefix string, before time.Time) ([]Upload, error)
	// abortUpload aborts one upload: nil when aborted, errNoSuchUpload
	// when it had ended, else a classified, scrubbed error.
	abortUpload(ctx context.Context, u Upload) error
}

// errNoSuchUpload is what abortUpload returns for an upload that has
// already ended.
var errNoSuchUpload = errors.New("no such upload")

// uploads returns the deleter's upload backend, or the error of a bucket
// whose uploads cannot be listed; nil, nil for a provider without
// multipart uploads.
func (d *Deleter) uploads() (uploadAborter, error) {
	if a, ok := d.b.(uploadAborter); ok {
		return a, nil
	}
	if multipartProviders[d.h.Location().Provider] {
		return nil, newError(d.h, provider.OpList, gcerrors.Unimplemented, ErrUploadsUnsupported.Error(), ErrUploadsUnsupported)
	}
	return nil, nil
}

// ListStaleUploads returns the incomplete multipart uploads whose key
// (relative to the handle's prefix) starts with prefix ("" for all of
// them) and that were initiated before the cutoff. Uploads initiated at
// or after it, or whose start the service does not say, are left out,
// and so is any upload the listing returns outside the prefix.
//
// The error is the listing's (the uploads found until then are
// returned), or, where uploads cannot be listed, an Unimplemented
// *provider.Error wrapping ErrUploadsUnsupported. A bucket of a provider
// without multipart uploads returns nil, nil.
func (d *Deleter) ListStaleUploads(ctx context.Context, prefix string, before time.Time) ([]Upload, error) {
	a, err := d.uploads()
	if a == nil {
		return nil, err
	}
	return a.listUploads(ctx, prefix, before)
}

// AbortUploads aborts each upload (as ListStaleUploads returned them) and
// sets its Status and Err. The error is the context's, if it ended before
// every upload was tried (the rest are NotSent), or the error of a bucket
// whose uploads cannot be aborted.
func (d *Deleter) AbortUploads(ctx context.Context, ups []Upload) error {
	a, err := d.uploads()
	if a == nil {
		if err == nil {
			err = newError(d.h, provider.OpDelete, gcerrors.Unimplemented, "this bucket has no multipart uploads")
		}
		for i := range ups {
			ups[i].Status, ups[i].Err = Failed, err
		}
		return err
	}
	for i := range ups {
		if err := ctx.Err(); err != nil {
			for j := i; j < len(ups); j++ {
				ups[j].Status, ups[j].Err = NotSent, err
			}
			return err
		}
		u := &ups[i]
		switch err := a.abortUpload(ctx, *u); {
		case err == nil:
			u.Status, u.Err = Deleted, nil
		case errors.Is(err, errNoSuchUpload):
			u.Status, u.Err = Gone, nil
		default:
			u.Status, u.Err = Failed, err
		}
	}
	return nil
}

// AbortStaleUploads aborts the incomplete multipart uploads under the
// handle's prefix that were initiated before the cutoff, and returns each
// with its outcome: ListStaleUploads of the whole prefix, then
// AbortUploads.
//
// The error is the listing's (the uploads found until then are
// returned, not aborted), the context's, or, where uploads cannot be
// listed, an Unimplemented *provider.Error wrapping
// ErrUploadsUnsupported. A bucket of a provider without multipart uploads
// returns nil, nil.
func (d *Deleter) AbortStaleUploads(ctx context.Context, before time.Time) ([]Upload, error) {
	ups, err := d.ListStaleUploads(ctx, "", before)
	if err != nil || len(ups) == 0 {
		return ups, err
	}
	return ups, d.AbortUploads(ctx, ups)
}

func (b *s3Backend) abortUpload(ctx context.Context, u Upload) error {
	_, err := b.client.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{
		Bucket: aws.String(b.bucket), Key: aws.String(b.prefix + u.Key), UploadId: aws.String(u.UploadID),
	})
	var ae smithy.APIError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &ae) && ae.ErrorCode() == "NoSuchUpload":
		return errNoSuchUpload
	}
	return wrap(b.h, provider.OpDelete, err)
}

// listUploads lists, every page, the uploads under the prefix initiated
// before the cutoff.
func (b *s3Backend) listUploads(ctx context.Context, prefix string, before time.Time) ([]Upload, error) {
	var ups []Upload
	full := b.prefix + prefix
	in := &s3.ListMultipartUploadsInput{Bucket: aws.String(b.bucket)}
	if full != "" {
		in.Prefix = aws.String(full)
	}
	for {
		out, err := b.client.ListMultipartUploads(ctx, in)
		if err != nil {
			return ups, wrap(b.h, provider.OpList, err)
		}
		for _, u := range out.Uploads {
			rel, ok := strings.CutPrefix(aws.ToString(u.Key), b.prefix)
			if !ok || rel == "" || !strings.HasPrefix(rel, prefix) || u.Initiated == nil || !u.Initiated.Before(before) {
				continue // outside the prefix (a store that ignores Prefix), or not known to be stale
			}
			ups = append(ups, Upload{Key: rel, UploadID: aws.ToString(u.UploadId), Initiated: *u.Initiated})
		}
		if !aws.ToBool(out.IsTruncated) {
			return ups, nil
		}
		nk, nu := aws.ToString(out.NextKeyMarker), aws.ToString(out.NextUploadIdMarker)
		if nk == "" || nk == aws.ToString(in.KeyMarker) && nu == aws.ToString(in.UploadIdMarker) {
			return ups, newError(b.h, provider.OpList, gcerrors.Internal,
				"ListMultipartUploads says the listing goes on but gives no marker past this page; the uploads after it were not checked")
		}
		in.KeyMarker, in.UploadIdMarker = aws.String(nk), aws.String(nu)
	}
}
