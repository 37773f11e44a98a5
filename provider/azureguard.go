package provider

import (
	"context"
	"io"
	"sync"

	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob"
	azblobblob "github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blob"
	"gocloud.dev/blob"
	"gocloud.dev/blob/driver"
)

// newUploadWriter is NewTypedWriter for a bucket with uploadWrites: a
// writer that never uses the inner bucket's own Writer.Write path.
//
// In gocloud v0.47.0 that path panics for azureblob: when an upload fed
// through Writer.Write fails (a refused key, IfNotExist over an existing
// blob, a network error), the upload goroutine sets the writer's pipe
// reader to nil and Writer.Close then dereferences it in the caller's
// goroutine. newUploadWriter streams every write into the inner bucket's
// Upload instead, which hands the reader to azureblob's Uploader path and
// returns its error.
//
// It starts the Upload reading from a pipe that the returned writer feeds,
// and returns once the inner bucket has opened its writer (and run
// opts.BeforeWrite), so that option errors come from NewWriter as they do
// without it.
func (w *wrapped) newUploadWriter(ctx context.Context, key, contentType string, opts *driver.WriterOptions) (driver.Writer, error) {
	pr, pw := io.Pipe()
	gw := &guardWriter{ctx: ctx, pw: pw, done: make(chan struct{}), b: w}
	opened := make(chan struct{})
	signal := sync.OnceFunc(func() { close(opened) })
	uopts := uploadOptions(contentType, opts, signal)
	go gw.upload(w.inner, key, &signalReader{r: pr, first: signal}, pr, uopts)
	select {
	case <-opened:
	case <-gw.done:
	}
	select {
	case <-opened:
		return gw, nil // errors from here on come from Write and Close
	default:
	}
	if gw.err != nil {
		return nil, w.fail(OpWrite, gw.err)
	}
	return gw, nil
}

// uploadOptions maps the driver's writer options to the portable ones for
// the inner bucket's Upload.
//
// Two options cannot be passed as they are. A ContentMD5 would make the
// inner Upload fall back to the Writer.Write path the guard avoids (the
// outer layer checks the MD5 itself), and Upload refuses an empty
// ContentType. Both are set on azblob's options in BeforeWrite instead, as
// azureblob would have set them; then the caller's BeforeWrite runs, its
// error marked as the caller's (see hook). opened is called once the inner
// writer is open.
func uploadOptions(contentType string, opts *driver.WriterOptions, opened func()) *blob.WriterOptions {
	ct := contentType
	if ct == "" {
		ct = "application/octet-stream" // replaced by "" in BeforeWrite
	}
	wo := writerOptions(ct, opts)
	wo.BeforeWrite = func(as func(any) bool) error {
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
				return &hookError{err: err}
			}
		}
		opened()
		return nil
	}
	return wo
}

// guardWriter is the driver.Writer of newUploadWriter: Write feeds the pipe
// that the inner Upload reads, Close ends it and waits for the upload's
// result.
type guardWriter struct {
	ctx  context.Context
	pw   *io.PipeWriter
	done chan struct{} // closed when the upload has returned
	err  error         // the upload's error; read only after done is closed
	b    *wrapped      // for its errors
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
	return n, w.b.fail(OpWrite, err)
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
		return w.b.fail(OpWrite, w.ctx.Err())
	}
	return w.b.fail(OpWrite, w.err)
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
