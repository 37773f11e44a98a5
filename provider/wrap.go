package provider

import (
	"context"
	"errors"
	"io"

	"github.com/byobkit/byob/address"
	"gocloud.dev/blob"
	"gocloud.dev/blob/driver"
	"gocloud.dev/gcerrors"
)

// wrapBucket returns the bucket Open hands out for a: b, the driver's own
// bucket, behind one driver.Bucket through which every operation passes.
// Every error an operation returns (Attributes, List, NewRangeReader and
// reads, NewWriter, writes and Close, Copy, Delete, SignedURL, Close) is
// then
//
//   - classified once, by Code, so that gcerrors.Code on the caller's side
//     agrees with it (a GCS 403 is PermissionDenied, not NotFound);
//   - an *Error naming the operation (OpRead...), a's provider and bucket,
//     whose text and unwrap chain are scrubbed (see Error);
//   - still open to b.ErrorAs through the returned bucket's ErrorAs, which
//     alone reaches the driver's native error.
//
// io.EOF from a reader passes unchanged, as gocloud's readers compare it
// with ==. As reaches b's native clients (*s3.Client, *storage.Client,
// *container.Client), and SignedURL is b's.
//
// Errors are scrubbed of a's secrets and, when current is not nil, of the
// credentials current returns (a Handle's, which SetCredentials replaces):
// requests under way at a rotation may still carry the old keys.
//
// uploadWrites routes every write through b.Upload instead of b's own
// writer; Open sets it for Azure, see newUploadWriter.
//
// Open calls wrapBucket once for every provider, before rooting the bucket
// at the sub-path, so keys in messages are the caller's.
func wrapBucket(a *address.Address, current func() address.Address, b *blob.Bucket, uploadWrites bool) *blob.Bucket {
	return blob.NewBucket(&wrapped{a: a, current: current, inner: b, uploadWrites: uploadWrites})
}

// wrapped is the driver.Bucket of wrapBucket, over the portable API of the
// driver's bucket.
type wrapped struct {
	a            *address.Address
	current      func() address.Address // nil: a's credentials never change
	inner        *blob.Bucket
	uploadWrites bool
}

// secrets are the secrets errors are scrubbed of: a's, and the current
// credentials' when they differ.
func (w *wrapped) secrets() []string {
	s := secretsOf(w.a)
	if w.current == nil {
		return s
	}
	if c := w.current(); c.AccessKey != w.a.AccessKey || c.Secret != w.a.Secret {
		s = longestFirst(append(s, secretsOf(&c)...))
	}
	return s
}

var _ driver.Bucket = (*wrapped)(nil)

// defaultListPageSize is what a page holds when the caller sets no size;
// the drivers' own default.
const defaultListPageSize = 1000

// fail returns err, an error of the inner bucket during op, as an *Error;
// nil for nil.
func (w *wrapped) fail(op string, err error) error {
	if err == nil {
		return nil
	}
	var pe *Error
	if errors.As(err, &pe) {
		return err
	}
	return newError(w.a, op, err, true, w.secrets())
}

// ErrorCode implements driver.Bucket: an *Error's Code.
func (w *wrapped) ErrorCode(err error) gcerrors.ErrorCode { return Code(err) }

// As exposes the inner bucket's native types.
func (w *wrapped) As(i any) bool { return w.inner.As(i) }

// ErrorAs exposes the native types behind err, an *Error of this bucket.
func (w *wrapped) ErrorAs(err error, i any) bool {
	var pe *Error
	if !errors.As(err, &pe) || pe.native == nil {
		return false
	}
	return w.inner.ErrorAs(pe.native, i)
}

// Attributes implements driver.Bucket.
func (w *wrapped) Attributes(ctx context.Context, key string) (*driver.Attributes, error) {
	a, err := w.inner.Attributes(ctx, key)
	if err != nil {
		return nil, w.fail(OpAttributes, err)
	}
	return &driver.Attributes{
		CacheControl:       a.CacheControl,
		ContentDisposition: a.ContentDisposition,
		ContentEncoding:    a.ContentEncoding,
		ContentLanguage:    a.ContentLanguage,
		ContentType:        a.ContentType,
		Metadata:           a.Metadata,
		CreateTime:         a.CreateTime,
		ModTime:            a.ModTime,
		Size:               a.Size,
		MD5:                a.MD5,
		ETag:               a.ETag,
		AsFunc:             a.As,
	}, nil
}

// ListPaged implements driver.Bucket. The driver's first page is a nil
// token, the portable API's is blob.FirstPageToken; both end on a nil one.
func (w *wrapped) ListPaged(ctx context.Context, opts *driver.ListOptions) (*driver.ListPage, error) {
	token := opts.PageToken
	if len(token) == 0 {
		token = blob.FirstPageToken
	}
	size := opts.PageSize
	if size == 0 {
		size = defaultListPageSize
	}
	objs, next, err := w.inner.ListPage(ctx, token, size, &blob.ListOptions{
		Prefix:     opts.Prefix,
		Delimiter:  opts.Delimiter,
		BeforeList: hook(opts.BeforeList),
	})
	if err != nil {
		return nil, w.fail(OpList, err)
	}
	page := &driver.ListPage{Objects: make([]*driver.ListObject, 0, len(objs)), NextPageToken: next}
	for _, o := range objs {
		page.Objects = append(page.Objects, &driver.ListObject{
			Key: o.Key, ModTime: o.ModTime, Size: o.Size, MD5: o.MD5, IsDir: o.IsDir, AsFunc: o.As,
		})
	}
	return page, nil
}

// NewRangeReader implements driver.Bucket.
func (w *wrapped) NewRangeReader(ctx context.Context, key string, offset, length int64, opts *driver.ReaderOptions) (driver.Reader, error) {
	r, err := w.inner.NewRangeReader(ctx, key, offset, length, &blob.ReaderOptions{BeforeRead: hook(opts.BeforeRead)})
	if err != nil {
		return nil, w.fail(OpRead, err)
	}
	return &wrappedReader{r: r, b: w, attrs: driver.ReaderAttributes{
		ContentType: r.ContentType(), ModTime: r.ModTime(), Size: r.Size(),
	}}, nil
}

// NewTypedWriter implements driver.Bucket: the inner bucket's writer, or,
// with uploadWrites, a writer that feeds the inner bucket's Upload.
func (w *wrapped) NewTypedWriter(ctx context.Context, key, contentType string, opts *driver.WriterOptions) (driver.Writer, error) {
	if w.uploadWrites {
		return w.newUploadWriter(ctx, key, contentType, opts)
	}
	wo := writerOptions(contentType, opts)
	wo.ContentMD5 = opts.ContentMD5
	wo.BeforeWrite = hook(opts.BeforeWrite)
	iw, err := w.inner.NewWriter(ctx, key, wo)
	if err != nil {
		return nil, w.fail(OpWrite, err)
	}
	return &wrappedWriter{w: iw, b: w}, nil
}

// writerOptions passes the driver's writer options on to the inner bucket,
// for both ways of writing (NewTypedWriter and the Azure guard's Upload):
// each field as it is, but the content type, which the outer layer has
// detected already or was told not to. ContentMD5 and BeforeWrite are left
// to the caller, as the two ways pass them differently.
func writerOptions(contentType string, opts *driver.WriterOptions) *blob.WriterOptions {
	return &blob.WriterOptions{
		BufferSize:                  opts.BufferSize,
		MaxConcurrency:              opts.MaxConcurrency,
		CacheControl:                opts.CacheControl,
		ContentDisposition:          opts.ContentDisposition,
		ContentEncoding:             opts.ContentEncoding,
		ContentLanguage:             opts.ContentLanguage,
		ContentType:                 contentType,
		DisableContentTypeDetection: true,
		Metadata:                    opts.Metadata,
		IfNotExist:                  opts.IfNotExist,
	}
}

// Copy implements driver.Bucket.
func (w *wrapped) Copy(ctx context.Context, dstKey, srcKey string, opts *driver.CopyOptions) error {
	return w.fail(OpCopy, w.inner.Copy(ctx, dstKey, srcKey, &blob.CopyOptions{BeforeCopy: hook(opts.BeforeCopy)}))
}

// Delete implements driver.Bucket.
func (w *wrapped) Delete(ctx context.Context, key string, opts *driver.DeleteOptions) error {
	return w.fail(OpDelete, w.inner.DeleteWithOptions(ctx, key, &blob.DeleteOptions{BeforeDelete: hook(opts.BeforeDelete)}))
}

// SignedURL implements driver.Bucket.
func (w *wrapped) SignedURL(ctx context.Context, key string, opts *driver.SignedURLOptions) (string, error) {
	u, err := w.inner.SignedURL(ctx, key, &blob.SignedURLOptions{
		Expiry:                   opts.Expiry,
		Method:                   opts.Method,
		ContentType:              opts.ContentType,
		EnforceAbsentContentType: opts.EnforceAbsentContentType,
		BeforeSign:               hook(opts.BeforeSign),
	})
	if err != nil {
		return "", w.fail(OpSign, err)
	}
	return u, nil
}

// Close implements driver.Bucket.
func (w *wrapped) Close() error { return w.fail(OpClose, w.inner.Close()) }

// wrappedReader is a driver.Reader over a portable *blob.Reader.
type wrappedReader struct {
	r     *blob.Reader
	b     *wrapped
	attrs driver.ReaderAttributes
}

// Read implements io.Reader. io.EOF passes as it is: the portable reader
// above compares it with ==.
func (r *wrappedReader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if err == io.EOF {
		return n, err
	}
	return n, r.b.fail(OpRead, err)
}

// Close implements io.Closer.
func (r *wrappedReader) Close() error { return r.b.fail(OpRead, r.r.Close()) }

// Attributes implements driver.Reader.
func (r *wrappedReader) Attributes() *driver.ReaderAttributes { return &r.attrs }

// As exposes the inner reader's native types.
func (r *wrappedReader) As(i any) bool { return r.r.As(i) }

// wrappedWriter is a driver.Writer over a portable *blob.Writer.
type wrappedWriter struct {
	w *blob.Writer
	b *wrapped
}

// Write implements io.Writer.
func (w *wrappedWriter) Write(p []byte) (int, error) {
	n, err := w.w.Write(p)
	return n, w.b.fail(OpWrite, err)
}

// Close implements io.Closer.
func (w *wrappedWriter) Close() error { return w.b.fail(OpWrite, w.w.Close()) }

// hook wraps a caller's Before… hook so that its errors are recognised.
func hook(f func(func(any) bool) error) func(func(any) bool) error {
	if f == nil {
		return nil
	}
	return func(as func(any) bool) error {
		if err := f(as); err != nil {
			return &hookError{err: err}
		}
		return nil
	}
}
