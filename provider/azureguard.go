package provider

import (
	"context"
	"errors"
	"io"
	"sync"

	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob"
	azblobblob "github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blob"
	"gocloud.dev/blob"
	"gocloud.dev/blob/driver"
	"gocloud.dev/gcerrors"
)

// guardAzure returns a bucket that behaves like b, an azureblob bucket,
// except that its writers never use azureblob's own Writer.Write path.
//
// In gocloud v0.47.0 that path panics: when an upload fed through
// Writer.Write fails (a refused key, IfNotExist over an existing blob, a
// network error), the upload goroutine sets the writer's pipe reader to nil
// and Writer.Close then dereferences it in the caller's goroutine. The
// guard streams every write into b.Upload instead, which hands the reader
// to azureblob's Uploader path and returns its error. Everything else is
// delegated to b, so As, ErrorAs (to the native azure types), error codes
// and SignedURL are b's.
func guardAzure(b *blob.Bucket) *blob.Bucket {
	return blob.NewBucket(&azureGuard{inner: b})
}

// azureGuard is a driver.Bucket over the portable API of an azureblob
// bucket. Its errors are the inner bucket's, already wrapped by the inner
// blob layer, behind an *innerError (see pass).
type azureGuard struct {
	inner *blob.Bucket
}

var _ driver.Bucket = (*azureGuard)(nil)

// defaultListPageSize is what a page holds when the caller sets no size;
// azureblob's own default.
const defaultListPageSize = 1000

// ErrorCode classifies the errors the inner layer left Unknown (the outer
// layer asks only for those) like Code does: azureblob calls a 403 other
// than AuthenticationFailed, such as the AuthorizationFailure that Azurite
// answers a wrong key with, Unknown.
func (g *azureGuard) ErrorCode(err error) gcerrors.ErrorCode {
	return Code(err)
}

// As exposes the inner bucket's native types (*container.Client).
func (g *azureGuard) As(i any) bool { return g.inner.As(i) }

// ErrorAs exposes the native types (*azcore.ResponseError) behind err.
func (g *azureGuard) ErrorAs(err error, i any) bool {
	if ie, ok := err.(*innerError); ok {
		err = ie.err
	}
	return g.inner.ErrorAs(err, i)
}

// innerError carries an error of the inner bucket through the outer blob
// layer, which wraps it again. It unwraps to the inner layer's error, so
// codes, errors.Is/As and ErrorAs see everything, but reads as that error's
// cause: the outer "blob (key …) (code=…)" prefix is not repeated, with a
// code the guard may have refined.
type innerError struct {
	err   error // the inner layer's error
	cause error // its cause
}

func (e *innerError) Error() string { return e.cause.Error() }
func (e *innerError) Unwrap() error { return e.err }

// pass returns err, an error of the inner bucket, for the outer layer.
// Errors the inner layer does not wrap (io.EOF, which readers compare with
// ==, and context errors) and wrapped ones without a cause pass unchanged.
// The inner layer's errors list their cause first, as gcerrors' own
// ErrorAs relies on.
func pass(err error) error {
	if err == nil || errors.Is(err, io.EOF) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	multi, ok := err.(interface{ Unwrap() []error })
	if !ok {
		return err
	}
	if causes := multi.Unwrap(); len(causes) > 0 && causes[0] != nil {
		return &innerError{err: err, cause: causes[0]}
	}
	return err
}

// Attributes implements driver.Bucket.
func (g *azureGuard) Attributes(ctx context.Context, key string) (*driver.Attributes, error) {
	a, err := g.inner.Attributes(ctx, key)
	if err != nil {
		return nil, pass(err)
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
func (g *azureGuard) ListPaged(ctx context.Context, opts *driver.ListOptions) (*driver.ListPage, error) {
	token := opts.PageToken
	if len(token) == 0 {
		token = blob.FirstPageToken
	}
	size := opts.PageSize
	if size == 0 {
		size = defaultListPageSize
	}
	objs, next, err := g.inner.ListPage(ctx, token, size, &blob.ListOptions{
		Prefix:     opts.Prefix,
		Delimiter:  opts.Delimiter,
		BeforeList: opts.BeforeList,
	})
	if err != nil {
		return nil, pass(err)
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
func (g *azureGuard) NewRangeReader(ctx context.Context, key string, offset, length int64, opts *driver.ReaderOptions) (driver.Reader, error) {
	r, err := g.inner.NewRangeReader(ctx, key, offset, length, &blob.ReaderOptions{BeforeRead: opts.BeforeRead})
	if err != nil {
		return nil, pass(err)
	}
	return &guardReader{r: r, attrs: driver.ReaderAttributes{
		ContentType: r.ContentType(), ModTime: r.ModTime(), Size: r.Size(),
	}}, nil
}

// Copy implements driver.Bucket.
func (g *azureGuard) Copy(ctx context.Context, dstKey, srcKey string, opts *driver.CopyOptions) error {
	return pass(g.inner.Copy(ctx, dstKey, srcKey, &blob.CopyOptions{BeforeCopy: opts.BeforeCopy}))
}

// Delete implements driver.Bucket.
func (g *azureGuard) Delete(ctx context.Context, key string, opts *driver.DeleteOptions) error {
	return pass(g.inner.DeleteWithOptions(ctx, key, &blob.DeleteOptions{BeforeDelete: opts.BeforeDelete}))
}

// SignedURL implements driver.Bucket.
func (g *azureGuard) SignedURL(ctx context.Context, key string, opts *driver.SignedURLOptions) (string, error) {
	u, err := g.inner.SignedURL(ctx, key, &blob.SignedURLOptions{
		Expiry:                   opts.Expiry,
		Method:                   opts.Method,
		ContentType:              opts.ContentType,
		EnforceAbsentContentType: opts.EnforceAbsentContentType,
		BeforeSign:               opts.BeforeSign,
	})
	return u, pass(err)
}

// Close implements driver.Bucket.
func (g *azureGuard) Close() error { return pass(g.inner.Close()) }

// guardReader is a driver.Reader over a portable *blob.Reader.
type guardReader struct {
	r     *blob.Reader
	attrs driver.ReaderAttributes
}

// Read implements io.Reader.
func (r *guardReader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	return n, pass(err)
}

// Close implements io.Closer.
func (r *guardReader) Close() error { return pass(r.r.Close()) }

// Attributes implements driver.Reader.
func (r *guardReader) Attributes() *driver.ReaderAttributes { return &r.attrs }

// As exposes the inner reader's native types.
func (r *guardReader) As(i any) bool { return r.r.As(i) }

// NewTypedWriter implements driver.Bucket: it starts b.Upload reading from
// a pipe that the returned writer feeds. It returns once the inner bucket
// has opened its writer (and run opts.BeforeWrite), so that option errors
// come from NewWriter as they do without the guard.
func (g *azureGuard) NewTypedWriter(ctx context.Context, key, contentType string, opts *driver.WriterOptions) (driver.Writer, error) {
	pr, pw := io.Pipe()
	w := &guardWriter{ctx: ctx, pw: pw, done: make(chan struct{})}
	opened := make(chan struct{})
	signal := sync.OnceFunc(func() { close(opened) })
	uopts := uploadOptions(contentType, opts, signal)
	go w.upload(g.inner, key, &signalReader{r: pr, first: signal}, pr, uopts)
	select {
	case <-opened:
	case <-w.done:
	}
	select {
	case <-opened:
		return w, nil // errors from here on come from Write and Close
	default:
	}
	if w.err != nil {
		return nil, pass(w.err)
	}
	return w, nil
}

// uploadOptions maps the driver's writer options to the portable ones for
// the inner bucket's Upload.
//
// Two options cannot be passed as they are. A ContentMD5 would make the
// inner Upload fall back to the Writer.Write path the guard avoids (the
// outer layer checks the MD5 itself), and Upload refuses an empty
// ContentType. Both are set on azblob's options in BeforeWrite instead, as
// azureblob would have set them; then the caller's BeforeWrite runs.
// opened is called once the inner writer is open.
func uploadOptions(contentType string, opts *driver.WriterOptions, opened func()) *blob.WriterOptions {
	ct := contentType
	if ct == "" {
		ct = "application/octet-stream" // replaced by "" in BeforeWrite
	}
	return &blob.WriterOptions{
		BufferSize:                  opts.BufferSize,
		MaxConcurrency:              opts.MaxConcurrency,
		CacheControl:                opts.CacheControl,
		ContentDisposition:          opts.ContentDisposition,
		ContentEncoding:             opts.ContentEncoding,
		ContentLanguage:             opts.ContentLanguage,
		ContentType:                 ct,
		DisableContentTypeDetection: true,
		Metadata:                    opts.Metadata,
		IfNotExist:                  opts.IfNotExist,
		BeforeWrite: func(as func(any) bool) error {
			var uo *azblob.UploadStreamOptions
			if as(&uo) {
				if uo.HTTPHeaders == nil {
					uo.HTTPHeaders = &azblobblob.HTTPHeaders{}
				}
				uo.HTTPHeaders.BlobContentType = &contentType
				uo.HTTPHeaders.BlobContentMD5 = opts.ContentMD5
			}
			if opts.BeforeWrite != nil {
				if err := opts.BeforeWrite(as); err != nil {
					return err
				}
			}
			opened()
			return nil
		},
	}
}

// guardWriter is the driver.Writer of azureGuard: Write feeds the pipe that
// the inner Upload reads, Close ends it and waits for the upload's result.
type guardWriter struct {
	ctx  context.Context
	pw   *io.PipeWriter
	done chan struct{} // closed when the upload has returned
	err  error         // the upload's error; read only after done is closed
}

// upload runs the inner Upload from r, the reading end pr of the writer's
// pipe. Cancelling ctx breaks the pipe, so that a Write blocked on it
// returns and the inner upload stops reading and commits nothing. When the
// upload ends, the pipe is closed with its error, which later Writes
// return.
//
// The inner upload runs under its own context, cancelled before any read
// error reaches it. gocloud closes (commits) the inner writer even after a
// failed read, and a driver such as memblob commits unless its context is
// done; Go cancels a context's children in random order, so without this
// the pipe could break before the inner writer's context is cancelled.
func (w *guardWriter) upload(inner *blob.Bucket, key string, r io.Reader, pr *io.PipeReader, opts *blob.WriterOptions) {
	defer close(w.done)
	ctx, abort := context.WithCancel(w.ctx)
	defer abort()
	stop := context.AfterFunc(w.ctx, func() {
		abort()
		pr.CloseWithError(w.ctx.Err())
	})
	defer stop()
	w.err = inner.Upload(ctx, key, &abortingReader{r: r, abort: abort}, opts)
	if w.err != nil {
		pr.CloseWithError(w.err)
	} else {
		pr.Close() // a Write after a completed upload gets io.ErrClosedPipe
	}
}

// Write implements io.Writer. It blocks until the upload has taken p, and
// returns the upload's error once the upload has failed.
func (w *guardWriter) Write(p []byte) (int, error) {
	if len(p) == 0 {
		// The outer layer writes nothing when it closes an empty writer; a
		// pipe would wait for a reader to take the empty slice.
		return 0, nil
	}
	n, err := w.pw.Write(p)
	return n, pass(err)
}

// Close ends the data and returns the upload's error. With no Write, the
// blob is created empty. If ctx is done, the data ends in ctx's error, so
// the upload commits nothing, and Close returns ctx.Err().
func (w *guardWriter) Close() error {
	if err := w.ctx.Err(); err != nil {
		w.pw.CloseWithError(err)
	} else {
		w.pw.Close()
	}
	<-w.done
	if w.err != nil && w.ctx.Err() != nil {
		return w.ctx.Err()
	}
	return pass(w.err)
}

// signalReader calls first before its first Read: the inner upload reads
// only once its writer is open, which covers drivers that skip BeforeWrite.
type signalReader struct {
	r     io.Reader
	first func()
}

func (s *signalReader) Read(p []byte) (int, error) {
	s.first()
	return s.r.Read(p)
}

// abortingReader cancels the inner upload's context before it hands on a
// read error, so the inner writer sees the write aborted, and commits
// nothing, whichever of the two it looks at first.
type abortingReader struct {
	r     io.Reader
	abort context.CancelFunc
}

func (a *abortingReader) Read(p []byte) (int, error) {
	n, err := a.r.Read(p)
	if err != nil && err != io.EOF {
		a.abort()
	}
	return n, err
}
