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

// Upload is one incomplete multipart upload AbortStaleUploads found
// initiated before its cutoff.
type Upload struct {
	// Key is the upload's object key, relative to the handle's prefix.
	Key       string
	UploadID  string
	Initiated time.Time
	// Status is Deleted once the upload is aborted, Gone if it had ended
	// meanwhile (completed or aborted: NoSuchUpload), Failed with Err, or
	// NotSent if the context ended first.
	Status Status
	Err    error
}

// ErrUploadsUnsupported is the cause of the error AbortStaleUploads
// returns where a provider has multipart uploads but byob cannot list
// them: an S3 or GCS handle without its native client
// (provider.NewHandle).
var ErrUploadsUnsupported = errors.New("listing incomplete multipart uploads is not implemented for this bucket")

// multipartProviders are the providers whose buckets hold incomplete
// multipart uploads. Azure's uncommitted blocks expire by themselves; mem
// and file have no uploads in progress.
var multipartProviders = map[address.Provider]bool{address.S3: true, address.CoreWeave: true, address.GCS: true}

// uploadAborter is a backend that can list and abort multipart uploads.
type uploadAborter interface {
	abortStale(ctx context.Context, before time.Time) ([]Upload, error)
}

// AbortStaleUploads aborts the incomplete multipart uploads under the
// handle's prefix that were initiated before the cutoff, and returns each
// with its outcome. Uploads initiated at or after it, or whose start the
// service does not say, are left alone, and so is any upload the listing
// returns outside the prefix.
//
// The error is the listing's (the uploads found until then are
// returned), the context's, or, where uploads cannot be listed, an
// Unimplemented *provider.Error wrapping ErrUploadsUnsupported. A bucket
// of a provider without multipart uploads returns nil, nil.
func (d *Deleter) AbortStaleUploads(ctx context.Context, before time.Time) ([]Upload, error) {
	if a, ok := d.b.(uploadAborter); ok {
		return a.abortStale(ctx, before)
	}
	if multipartProviders[d.h.Location().Provider] {
		return nil, newError(d.h, provider.OpList, gcerrors.Unimplemented, ErrUploadsUnsupported.Error(), ErrUploadsUnsupported)
	}
	return nil, nil
}

func (b *s3Backend) abortStale(ctx context.Context, before time.Time) ([]Upload, error) {
	ups, err := b.staleUploads(ctx, before)
	if err != nil {
		return ups, err
	}
	for i := range ups {
		if err := ctx.Err(); err != nil {
			for j := i; j < len(ups); j++ {
				ups[j].Status, ups[j].Err = NotSent, err
			}
			return ups, err
		}
		u := &ups[i]
		_, err := b.client.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{
			Bucket: aws.String(b.bucket), Key: aws.String(b.prefix + u.Key), UploadId: aws.String(u.UploadID),
		})
		var ae smithy.APIError
		switch {
		case err == nil:
			u.Status = Deleted
		case errors.As(err, &ae) && ae.ErrorCode() == "NoSuchUpload":
			u.Status = Gone
		default:
			u.Status, u.Err = Failed, wrap(b.h, provider.OpDelete, err)
		}
	}
	return ups, nil
}

// staleUploads lists, every page, the uploads under the prefix initiated
// before the cutoff.
func (b *s3Backend) staleUploads(ctx context.Context, before time.Time) ([]Upload, error) {
	var ups []Upload
	in := &s3.ListMultipartUploadsInput{Bucket: aws.String(b.bucket)}
	if b.prefix != "" {
		in.Prefix = aws.String(b.prefix)
	}
	for {
		out, err := b.client.ListMultipartUploads(ctx, in)
		if err != nil {
			return ups, wrap(b.h, provider.OpList, err)
		}
		for _, u := range out.Uploads {
			rel, ok := strings.CutPrefix(aws.ToString(u.Key), b.prefix)
			if !ok || rel == "" || u.Initiated == nil || !u.Initiated.Before(before) {
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
