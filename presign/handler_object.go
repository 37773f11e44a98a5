package presign

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"

	"gocloud.dev/blob"
)

// metaETag is the object metadata holding a completed multipart upload's
// ETag, which is not its content's MD5; GET and HEAD answer with it, as
// S3 does.
const metaETag = "byob-etag"

// defaultContentType is what an object written without a Content-Type
// gets, as on S3; gocloud would otherwise sniff one from the body.
const defaultContentType = "application/octet-stream"

// serveGet answers GET and HEAD.
func (h *Handler) serveGet(w http.ResponseWriter, r *http.Request, c *localCall) {
	ctx := r.Context()
	unlock := h.locks.rlock("o/" + c.key)
	attrs, err := h.bucket.Attributes(ctx, c.key)
	if err != nil {
		unlock()
		if notFound(err) {
			h.fail(w, r, refuse(http.StatusNotFound, "NoSuchKey", "no object has this key"))
			return
		}
		h.internal(w, r, "read attributes", err)
		return
	}
	etag := objectETag(attrs)
	off, n, partial, ok := parseRange(r.Header.Get("Range"), attrs.Size)
	if ir := r.Header.Get("If-Range"); ir != "" && (etag == "" || ir != etag) {
		off, n, partial, ok = 0, attrs.Size, false, true // a changed object: send it whole
	}
	if !ok {
		unlock()
		w.Header().Set("Content-Range", "bytes */"+strconv.FormatInt(attrs.Size, 10))
		h.fail(w, r, refuse(http.StatusRequestedRangeNotSatisfiable, "InvalidRange", "the range is outside the object"))
		return
	}
	var rd *blob.Reader
	if r.Method == http.MethodGet && n > 0 {
		// Opened under the read lock, so that data and attributes are of
		// one commit; the open file keeps its data after the unlock.
		rd, err = h.bucket.NewRangeReader(ctx, c.key, off, n, nil)
	}
	unlock()
	if err != nil {
		if notFound(err) {
			h.fail(w, r, refuse(http.StatusNotFound, "NoSuchKey", "no object has this key"))
			return
		}
		h.internal(w, r, "open object", err)
		return
	}
	if rd != nil {
		defer rd.Close()
	}
	hd := w.Header()
	ctype := attrs.ContentType
	if ctype == "" {
		ctype = defaultContentType
	}
	if c.p.respType != "" {
		ctype = c.p.respType
	}
	hd.Set("Content-Type", ctype)
	if disp := attrs.ContentDisposition; c.p.respDisposition != "" || disp != "" && printableASCII(disp) {
		if c.p.respDisposition != "" {
			disp = c.p.respDisposition
		}
		hd.Set("Content-Disposition", disp)
	}
	if etag != "" {
		hd.Set("ETag", etag)
	}
	if !attrs.ModTime.IsZero() {
		hd.Set("Last-Modified", attrs.ModTime.UTC().Format(http.TimeFormat))
	}
	hd.Set("Accept-Ranges", "bytes")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Content-Length", strconv.FormatInt(n, 10))
	status := http.StatusOK
	if partial {
		hd.Set("Content-Range", "bytes "+strconv.FormatInt(off, 10)+"-"+strconv.FormatInt(off+n-1, 10)+"/"+strconv.FormatInt(attrs.Size, 10))
		status = http.StatusPartialContent
	}
	w.WriteHeader(status)
	if rd != nil {
		_, _ = io.Copy(w, rd) // a failure midway shows as a short body
	}
}

// objectETag is an object's ETag: a completed multipart upload's, else the
// quoted hex MD5 of the content; "" when the bucket keeps no MD5.
func objectETag(a *blob.Attributes) string {
	if e := a.Metadata[metaETag]; e != "" {
		return e
	}
	if len(a.MD5) == md5.Size {
		return quoteETag(a.MD5)
	}
	return ""
}

func quoteETag(sum []byte) string { return `"` + hex.EncodeToString(sum) + `"` }

// parseRange reads a Range header for an object of size bytes: one range
// of bytes, as first-last, first- or -suffix. It returns what to send: a
// missing, malformed or multiple range means the whole object (RFC 9110
// lets a server ignore them), and ok is false when the range lies outside
// the object (416).
func parseRange(v string, size int64) (off, n int64, partial, ok bool) {
	spec, found := strings.CutPrefix(v, "bytes=")
	if !found || strings.Contains(spec, ",") {
		return 0, size, false, true
	}
	first, last, found := strings.Cut(strings.TrimSpace(spec), "-")
	if !found {
		return 0, size, false, true
	}
	num := func(s string) (int64, bool) {
		if s == "" || len(s) > 18 || strings.TrimLeft(s, "0123456789") != "" {
			return 0, false
		}
		x, err := strconv.ParseInt(s, 10, 64)
		return x, err == nil
	}
	if first == "" { // the last n bytes
		k, good := num(last)
		switch {
		case !good:
			return 0, size, false, true
		case k == 0 || size == 0:
			return 0, 0, false, false
		case k > size:
			k = size
		}
		return size - k, k, true, true
	}
	a, good := num(first)
	if !good {
		return 0, size, false, true
	}
	b := size - 1
	if last != "" {
		if b2, good := num(last); !good || b2 < a {
			return 0, size, false, true
		} else if b2 < b {
			b = b2
		}
	}
	if a >= size {
		return 0, 0, false, false
	}
	return a, b - a + 1, true, true
}

// servePut answers a single-request PUT.
func (h *Handler) servePut(w http.ResponseWriter, r *http.Request, c *localCall) {
	ctype := defaultContentType
	if c.hasCType {
		ctype = c.ctype
	}
	var want *[16]byte
	if c.hasMD5 {
		want = &c.md5
	}
	defer stopReadOnDone(r.Context(), w)()
	sum, err := h.store(r.Context(), h.bucket, "o/"+c.key, c.key, r.Body, want, blob.WriterOptions{ContentType: ctype})
	if err != nil {
		h.writeFailed(w, r, err)
		return
	}
	w.Header().Set("ETag", quoteETag(sum[:]))
	w.WriteHeader(http.StatusOK)
}

// errBadDigest: the body's MD5 is not the Content-MD5 sent.
var errBadDigest = errors.New("the body does not match its Content-MD5")

// bodyError is a failure to read the request body: the client's.
type bodyError struct{ err error }

func (e *bodyError) Error() string { return "reading the request body: " + e.err.Error() }
func (e *bodyError) Unwrap() error { return e.err }

// bodyReader records its reader's failures as *bodyError, so that a short
// body is told apart from a failing bucket.
type bodyReader struct{ r io.Reader }

func (b bodyReader) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if err != nil && err != io.EOF {
		err = &bodyError{err}
	}
	return n, err
}

// writeFailed answers a write that store refused or that failed.
func (h *Handler) writeFailed(w http.ResponseWriter, r *http.Request, err error) {
	var be *bodyError
	var mbe *http.MaxBytesError
	switch {
	case errors.Is(err, errBadDigest):
		h.fail(w, r, refuse(http.StatusBadRequest, "BadDigest", "the body's MD5 does not match Content-MD5; nothing was written"))
	case errors.As(err, &mbe):
		h.fail(w, r, refuse(http.StatusRequestEntityTooLarge, "EntityTooLarge", "the body is too large; nothing was written"))
	case errors.As(err, &be) && (errors.Is(err, io.ErrUnexpectedEOF) || r.Context().Err() == nil):
		// A body shorter than announced is the client's fault even if the
		// server, seeing the connection end, has cancelled the request.
		h.fail(w, r, refuse(http.StatusBadRequest, "IncompleteBody", "the body ended early or could not be read; nothing was written"))
	default:
		h.internal(w, r, "write object", err)
	}
}

// store writes body under key in b and returns its MD5. The write commits
// only if the whole body arrived, its MD5 is want (when want is not nil)
// and ctx is still live; otherwise the writer's context is cancelled
// before Close, so gocloud discards it and nothing appears under key. The
// commit (Close) holds lock name, so that commits of one key never
// interleave.
func (h *Handler) store(ctx context.Context, b *blob.Bucket, lockName, key string, body io.Reader, want *[16]byte, opts blob.WriterOptions) (sum [16]byte, err error) {
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if want != nil {
		opts.ContentMD5 = want[:] // gocloud checks it again at Close
	}
	wr, err := b.NewWriter(wctx, key, &opts)
	if err != nil {
		return sum, err
	}
	hash := md5.New()
	_, err = io.Copy(wr, io.TeeReader(bodyReader{body}, hash))
	if err == nil {
		hash.Sum(sum[:0])
		if want != nil && sum != *want {
			err = errBadDigest
		}
	}
	if err == nil {
		err = ctx.Err()
	}
	if err != nil {
		cancel()
		_ = wr.Close() // discards: its context is cancelled
		return sum, err
	}
	unlock := h.locks.lock(lockName)
	err = wr.Close()
	unlock()
	return sum, err
}
