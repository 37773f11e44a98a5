package presign

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"gocloud.dev/blob"
)

// The staging layout: "<upload id>/upload" holds the upload's record,
// "<upload id>/<part number, 5 digits>" each part.
const stagedRecord = "upload"

func recordKey(id string) string { return id + "/" + stagedRecord }

func partKey(id string, n int) string { return fmt.Sprintf("%s/%05d", id, n) }

// uploadRecord is what the staging bucket keeps about an upload.
type uploadRecord struct {
	Key         string    `json:"key"`
	ContentType string    `json:"contentType"`
	User        string    `json:"user,omitempty"`
	Initiated   time.Time `json:"initiated"`
}

// LocalUpload is a multipart upload in progress, as Uploads lists it.
type LocalUpload struct {
	ID        string    // the upload id
	Key       string    // the object key it will complete; "" if its record is lost
	User      string    // the X-User that started it, if any
	Initiated time.Time // when it started; for an upload whose record is lost, its newest part's time
}

// maxCompleteBody bounds a completion's body: 10,000 parts of about 100
// bytes each.
const maxCompleteBody = 2 << 20

func (h *Handler) noStaging(w http.ResponseWriter, r *http.Request) bool {
	if h.staging != nil {
		return false
	}
	h.fail(w, r, refuse(http.StatusNotImplemented, "NotImplemented", "this server has no staging bucket for multipart uploads (HandlerOptions.Staging)"))
	return true
}

// newUploadID returns 16 random bytes in hex: unguessable, and a valid
// staging path by construction.
func newUploadID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

type initiateResult struct {
	XMLName  xml.Name `xml:"InitiateMultipartUploadResult"`
	Bucket   string
	Key      string
	UploadID string `xml:"UploadId"`
}

// serveCreate starts an upload: it writes the upload's record.
func (h *Handler) serveCreate(w http.ResponseWriter, r *http.Request, c *localCall) {
	if h.noStaging(w, r) {
		return
	}
	rec := uploadRecord{Key: c.key, ContentType: defaultContentType, User: c.p.user, Initiated: h.now().UTC()}
	if c.hasCType {
		rec.ContentType = c.ctype
	}
	body, err := json.Marshal(rec)
	if err != nil {
		h.internal(w, r, "encode upload record", err)
		return
	}
	id := newUploadID()
	if err := h.staging.WriteAll(r.Context(), recordKey(id), body, &blob.WriterOptions{ContentType: "application/json"}); err != nil {
		h.internal(w, r, "start upload", err)
		return
	}
	writeXML(w, r, http.StatusOK, initiateResult{Key: c.key, UploadID: id})
}

// readRecord reads upload id's record and checks it is for key. A missing
// record, or one for another key, is S3's NoSuchUpload.
func (h *Handler) readRecord(ctx context.Context, id, key string) (*uploadRecord, *httpError, error) {
	b, err := h.staging.ReadAll(ctx, recordKey(id))
	if err != nil {
		if notFound(err) {
			return nil, refuse(http.StatusNotFound, "NoSuchUpload", "no upload in progress has this id for this key"), nil
		}
		return nil, nil, err
	}
	var rec uploadRecord
	if err := json.Unmarshal(b, &rec); err != nil {
		return nil, nil, fmt.Errorf("upload record %s is unreadable: %w", id, err)
	}
	if rec.Key != key {
		return nil, refuse(http.StatusNotFound, "NoSuchUpload", "no upload in progress has this id for this key"), nil
	}
	return &rec, nil, nil
}

// servePart stages one part. It holds the upload's lock for reading, so
// that no completion or abort runs while a part is being written.
func (h *Handler) servePart(w http.ResponseWriter, r *http.Request, c *localCall) {
	if h.noStaging(w, r) {
		return
	}
	ctx := r.Context()
	unlock := h.locks.rlock("u/" + c.p.uploadID)
	defer unlock()
	if _, herr, err := h.readRecord(ctx, c.p.uploadID, c.key); herr != nil || err != nil {
		if herr != nil {
			h.fail(w, r, herr)
		} else {
			h.internal(w, r, "read upload record", err)
		}
		return
	}
	var want *[16]byte
	if c.hasMD5 {
		want = &c.md5
	}
	pk := partKey(c.p.uploadID, c.p.partNumber)
	defer stopReadOnDone(ctx, w)()
	sum, err := h.store(ctx, h.staging, "p/"+pk, pk, r.Body, want, blob.WriterOptions{ContentType: defaultContentType})
	if err != nil {
		h.writeFailed(w, r, err)
		return
	}
	w.Header().Set("ETag", quoteETag(sum[:]))
	w.WriteHeader(http.StatusOK)
}

type completeRequest struct {
	XMLName xml.Name `xml:"CompleteMultipartUpload"`
	Parts   []struct {
		PartNumber int
		ETag       string
	} `xml:"Part"`
}

type completeResult struct {
	XMLName xml.Name `xml:"CompleteMultipartUploadResult"`
	Bucket  string
	Key     string
	ETag    string
}

// stagedPart is one part of a completion, checked.
type stagedPart struct {
	number int
	md5    []byte
}

// serveComplete assembles the listed parts into the object in one write
// and then deletes the upload's staging.
func (h *Handler) serveComplete(w http.ResponseWriter, r *http.Request, c *localCall) {
	if h.noStaging(w, r) {
		return
	}
	ctx := r.Context()
	var req completeRequest
	stop := stopReadOnDone(ctx, w)
	err := xml.NewDecoder(http.MaxBytesReader(w, r.Body, maxCompleteBody)).Decode(&req)
	stop()
	if err != nil {
		h.fail(w, r, refuse(http.StatusBadRequest, "MalformedXML", "the body is not a CompleteMultipartUpload document"))
		return
	}
	if len(req.Parts) == 0 || len(req.Parts) > LocalMaxParts {
		h.fail(w, r, refuse(http.StatusBadRequest, "MalformedXML", "a completion lists 1 to "+strconv.Itoa(LocalMaxParts)+" parts"))
		return
	}
	id := c.p.uploadID
	unlock := h.locks.lock("u/" + id)
	defer unlock()
	rec, herr, err := h.readRecord(ctx, id, c.key)
	if herr != nil {
		h.fail(w, r, herr)
		return
	}
	if err != nil {
		h.internal(w, r, "read upload record", err)
		return
	}
	parts := make([]stagedPart, len(req.Parts))
	all := md5.New()
	for i, p := range req.Parts {
		if p.PartNumber < 1 || p.PartNumber > LocalMaxParts || i > 0 && p.PartNumber <= req.Parts[i-1].PartNumber {
			h.fail(w, r, refuse(http.StatusBadRequest, "InvalidPartOrder", "part numbers must be from 1 to "+strconv.Itoa(LocalMaxParts)+", in ascending order"))
			return
		}
		attrs, err := h.staging.Attributes(ctx, partKey(id, p.PartNumber))
		if err != nil {
			if notFound(err) {
				h.fail(w, r, refuse(http.StatusBadRequest, "InvalidPart", "part "+strconv.Itoa(p.PartNumber)+" was not uploaded"))
				return
			}
			h.internal(w, r, "read part", err)
			return
		}
		if len(attrs.MD5) != md5.Size {
			h.internal(w, r, "read part", errors.New("the staging bucket keeps no MD5 of its objects"))
			return
		}
		if strings.Trim(p.ETag, `"`) != hex.EncodeToString(attrs.MD5) {
			h.fail(w, r, refuse(http.StatusBadRequest, "InvalidPart", "part "+strconv.Itoa(p.PartNumber)+"'s ETag is not the one its upload returned"))
			return
		}
		parts[i] = stagedPart{number: p.PartNumber, md5: attrs.MD5}
		all.Write(attrs.MD5)
	}
	etag := `"` + hex.EncodeToString(all.Sum(nil)) + "-" + strconv.Itoa(len(parts)) + `"`
	body := &partsReader{ctx: ctx, staging: h.staging, id: id, parts: parts}
	defer body.close()
	opts := blob.WriterOptions{ContentType: rec.ContentType, Metadata: map[string]string{metaETag: etag}}
	if _, err := h.store(ctx, h.bucket, "o/"+c.key, c.key, body, nil, opts); err != nil {
		h.internal(w, r, "complete upload", err)
		return
	}
	if err := h.removeStaged(context.WithoutCancel(ctx), id); err != nil {
		h.log.Warn("byob local storage: staged parts of a completed upload remain; AbortUpload removes them",
			"upload", id, "error", err.Error())
	}
	w.Header().Set("ETag", etag)
	writeXML(w, r, http.StatusOK, completeResult{Key: c.key, ETag: etag})
}

// partsReader reads staged parts one after the other, checking each
// against the MD5 its upload recorded, so that a staging bucket that lost
// or changed a part fails the completion instead of committing it.
type partsReader struct {
	ctx     context.Context
	staging *blob.Bucket
	id      string
	parts   []stagedPart
	cur     *blob.Reader
	hash    hash.Hash
}

func (p *partsReader) Read(b []byte) (int, error) {
	for {
		if p.cur == nil {
			if len(p.parts) == 0 {
				return 0, io.EOF
			}
			r, err := p.staging.NewReader(p.ctx, partKey(p.id, p.parts[0].number), nil)
			if err != nil {
				return 0, err
			}
			p.cur, p.hash = r, md5.New()
		}
		n, err := p.cur.Read(b)
		p.hash.Write(b[:n])
		if err == io.EOF {
			_ = p.cur.Close()
			p.cur = nil
			if !bytes.Equal(p.hash.Sum(nil), p.parts[0].md5) {
				return n, fmt.Errorf("staged part %d does not match its MD5", p.parts[0].number)
			}
			p.parts = p.parts[1:]
			if n > 0 {
				return n, nil
			}
			continue
		}
		return n, err
	}
}

func (p *partsReader) close() {
	if p.cur != nil {
		_ = p.cur.Close()
	}
}

// serveAbort removes an upload and its parts.
func (h *Handler) serveAbort(w http.ResponseWriter, r *http.Request, c *localCall) {
	if h.noStaging(w, r) {
		return
	}
	ctx := r.Context()
	unlock := h.locks.lock("u/" + c.p.uploadID)
	defer unlock()
	if _, herr, err := h.readRecord(ctx, c.p.uploadID, c.key); herr != nil || err != nil {
		if herr != nil {
			h.fail(w, r, herr)
		} else {
			h.internal(w, r, "read upload record", err)
		}
		return
	}
	if err := h.removeStaged(ctx, c.p.uploadID); err != nil {
		h.internal(w, r, "abort upload", err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// removeStaged deletes everything staged for upload id, the record last,
// so that an interrupted removal leaves the upload listed and abortable.
func (h *Handler) removeStaged(ctx context.Context, id string) error {
	_, err := h.removeStagedFound(ctx, id)
	return err
}

// removeStagedFound is removeStaged, reporting whether anything was staged.
func (h *Handler) removeStagedFound(ctx context.Context, id string) (bool, error) {
	var keys []string
	it := h.staging.List(&blob.ListOptions{Prefix: id + "/"})
	for {
		obj, err := it.Next(ctx)
		if err == io.EOF {
			break
		}
		if err != nil {
			return false, err
		}
		if !obj.IsDir {
			keys = append(keys, obj.Key)
		}
	}
	slices.SortFunc(keys, func(a, b string) int { // the record last
		return boolInt(a == recordKey(id)) - boolInt(b == recordKey(id))
	})
	for _, k := range keys {
		if err := h.staging.Delete(ctx, k); err != nil && !notFound(err) {
			return true, err
		}
	}
	return len(keys) > 0, nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// Uploads lists the multipart uploads in progress, oldest first, for a
// collector to abort the stale ones (AbortUpload). An upload whose record
// was lost (an interrupted removal) is listed with an empty Key and the
// time of its newest part. Without a staging bucket there are none.
func (h *Handler) Uploads(ctx context.Context) ([]LocalUpload, error) {
	if h.staging == nil {
		return nil, nil
	}
	var out []LocalUpload
	it := h.staging.List(&blob.ListOptions{Delimiter: "/"})
	for {
		obj, err := it.Next(ctx)
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, &Error{Op: "list uploads", Kind: ErrLocalStorage, Problem: "the staging bucket cannot be listed", Cause: err}
		}
		id := strings.TrimSuffix(obj.Key, "/")
		if !obj.IsDir || !validUploadID(id) {
			continue // not staging of ours
		}
		u, err := h.describeUpload(ctx, id)
		if err != nil {
			return nil, &Error{Op: "list uploads", Kind: ErrLocalStorage, Problem: "upload " + id + " cannot be read", Cause: err}
		}
		out = append(out, u)
	}
	slices.SortFunc(out, func(a, b LocalUpload) int {
		if c := a.Initiated.Compare(b.Initiated); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out, nil
}

// describeUpload reads upload id's record, or dates a recordless one by
// its newest part.
func (h *Handler) describeUpload(ctx context.Context, id string) (LocalUpload, error) {
	u := LocalUpload{ID: id}
	b, err := h.staging.ReadAll(ctx, recordKey(id))
	if err == nil {
		var rec uploadRecord
		if err := json.Unmarshal(b, &rec); err == nil {
			u.Key, u.User, u.Initiated = rec.Key, rec.User, rec.Initiated
			return u, nil
		}
	} else if !notFound(err) {
		return u, err
	}
	it := h.staging.List(&blob.ListOptions{Prefix: id + "/"})
	for {
		obj, err := it.Next(ctx)
		if err == io.EOF {
			return u, nil
		}
		if err != nil {
			return u, err
		}
		if obj.ModTime.After(u.Initiated) {
			u.Initiated = obj.ModTime
		}
	}
}

// AbortUpload removes upload id and its parts, as a signed DELETE does;
// for a collector cleaning stale uploads. An id with nothing staged is
// ErrNoSuchUpload.
func (h *Handler) AbortUpload(ctx context.Context, id string) error {
	if !validUploadID(id) {
		return &Error{Op: "abort upload", Field: "id", Kind: ErrLocalOption, Problem: "an upload id is 32 lower-case hex digits",
			Fix: "pass an ID that Uploads listed"}
	}
	if h.staging == nil {
		return &Error{Op: "abort upload", Field: "id", Kind: ErrNoSuchUpload, Problem: "this handler has no staging bucket"}
	}
	unlock := h.locks.lock("u/" + id)
	defer unlock()
	found, err := h.removeStagedFound(ctx, id)
	if err != nil {
		return &Error{Op: "abort upload", Field: "id", Kind: ErrLocalStorage, Problem: "the staging bucket failed", Cause: err}
	}
	if !found {
		return &Error{Op: "abort upload", Field: "id", Kind: ErrNoSuchUpload, Problem: "nothing is staged for upload " + id}
	}
	return nil
}
