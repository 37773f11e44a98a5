package presign

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/byobkit/byob/provider"
	"github.com/byobkit/byob/scope"
	"gocloud.dev/blob"
	"gocloud.dev/gcerrors"
)

// Handler is the storage service of the embedded buckets: an http.Handler
// that verifies the URLs a LocalSigner with the same LocalConfig issues
// (see LocalSigner for the protocol) and serves them from the location's
// bucket. It is safe for concurrent use.
//
// Verification, in this order: the path is under the base path and in
// canonical escaping, and the key passes the location's CheckKey (else 400
// InvalidURI or InvalidKey); the query holds each required parameter once,
// well formed, and nothing unknown (400 naming the parameter); the method
// and parameters name an operation (400 or 405); the headers the URL binds
// are present (403); the signature matches under the current or the
// previous key, compared in constant time (403 SignatureDoesNotMatch); the
// URL has not expired (403 AccessDenied). A Content-MD5 the client sends,
// signed or not, must match the body (400 BadDigest). Refusals are short
// S3-style XML bodies that quote neither the signature nor any key.
//
// Writes. A PUT (a part, a completion) streams into a bucket writer whose
// context is cancelled unless the whole body arrived, its MD5 matched and
// the request is still live; gocloud then discards the write, so a failed
// or interrupted upload (client gone mid-body, MD5 mismatch, cancelled
// context, server shutting down: cancel the http.Server's BaseContext, or
// Close it) never leaves a partial object under the key. The request's
// context also interrupts a blocked body read. Concurrent writes of one key
// commit one at a time, so the last complete one wins whole, and reads open
// an object between commits: fileblob writes an object's attributes file
// and renames its data in two steps, which unserialised writers could pair
// from two uploads. That holds among the handler's own requests, in one
// process.
//
// Multipart. Parts are staged in HandlerOptions.Staging, a bucket the
// location's own listing and any collector never see, as
// "<upload id>/upload" (the upload's record) and "<upload id>/<part>", and
// assembled into one write on completion, which then deletes them.
// Uploads lists uploads in progress and AbortUpload removes one, so that a
// collector can clean stale ones.
//
// CORS follows the documented bucket policy: origins HandlerOptions.CORSOrigins
// (default "*"), methods GET, HEAD, PUT and, for multipart, POST and DELETE,
// request headers content-type, content-md5 and range,
// Access-Control-Expose-Headers: ETag, max age 3000 s. A request from an
// origin not allowed gets no CORS headers; a preflight from one, or asking
// for another method or header, gets 403.
type Handler struct {
	loc     *scope.Location
	bucket  *blob.Bucket
	base    localBase
	keys    *LocalKeys
	now     func() time.Time
	staging *blob.Bucket
	cors    corsPolicy
	log     *slog.Logger
	locks   keyLocks
}

// HandlerOptions are a Handler's settings beyond what it shares with the
// signer.
type HandlerOptions struct {
	// Staging holds the parts of multipart uploads until they complete. It
	// must not overlap the location's data (a directory beside a file://
	// bucket's, never inside it; memblob.OpenBucket(nil) for mem://). Nil
	// refuses multipart requests with 501 NotImplemented.
	Staging *blob.Bucket
	// CORSOrigins are the origins browsers may call from: "*" or origins
	// such as https://app.example.com. Nil means "*"; an empty, non-nil
	// slice allows none.
	CORSOrigins []string
	// Logger receives internal failures (5xx), with URLs redacted; nil
	// logs nothing.
	Logger *slog.Logger
}

// NewHandler checks cfg and opts and returns the handler. Mount it at the
// base URL's path as it is, without http.StripPrefix: the path it sees is
// the path the URL was signed with.
func NewHandler(cfg LocalConfig, opts HandlerOptions) (*Handler, error) {
	base, now, err := checkLocalConfig("new handler", cfg)
	if err != nil {
		return nil, err
	}
	cors, err := newCORSPolicy(opts.CORSOrigins)
	if err != nil {
		return nil, err
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Handler{loc: cfg.Location, bucket: cfg.Location.Bucket(), base: base, keys: cfg.Keys, now: now,
		staging: opts.Staging, cors: cors, log: log}, nil
}

// httpError is a refusal or failure as the client sees it. Its message
// never holds a signature or a key.
type httpError struct {
	status  int
	code    string
	message string
}

func refuse(status int, code, message string) *httpError {
	return &httpError{status: status, code: code, message: message}
}

func badParam(name, problem string) *httpError {
	return refuse(http.StatusBadRequest, "InvalidArgument", "query parameter "+name+" "+problem)
}

var errSignature = refuse(http.StatusForbidden, "SignatureDoesNotMatch", "the signature does not match this request")

// localCall is a verified request.
type localCall struct {
	op       localOp
	key      string
	p        localParams
	md5      [16]byte
	hasMD5   bool   // the client sent a Content-MD5 (signed or not)
	ctype    string // the Content-Type the client sent, if any
	hasCType bool
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodOptions {
		h.preflight(w, r)
		return
	}
	h.annotateCORS(w, r)
	c, herr := h.verify(r)
	if herr != nil {
		h.fail(w, r, herr)
		return
	}
	switch c.op {
	case opGet, opHead:
		h.serveGet(w, r, c)
	case opPut:
		h.servePut(w, r, c)
	case opCreate:
		h.serveCreate(w, r, c)
	case opPart:
		h.servePart(w, r, c)
	case opComplete:
		h.serveComplete(w, r, c)
	case opAbort:
		h.serveAbort(w, r, c)
	}
}

// verify checks r as the type's documentation lists and returns what it
// asks for.
func (h *Handler) verify(r *http.Request) (*localCall, *httpError) {
	path := requestPath(r)
	if !strings.HasPrefix(path, h.base.path+"/") {
		return nil, refuse(http.StatusNotFound, "NoSuchKey", "the path is not under this handler's base path")
	}
	c := &localCall{}
	key, ok := decodeCanonical(path[len(h.base.path)+1:], true)
	if !ok {
		return nil, refuse(http.StatusBadRequest, "InvalidURI",
			"the key is not in canonical escaping (A-Z a-z 0-9 - . _ ~ and '/' literal, every other byte as upper-case %XX): it is refused, not decoded")
	}
	if err := h.loc.CheckKey(key); err != nil {
		var se *scope.Error
		msg := "the key is refused"
		if errors.As(err, &se) {
			msg += ": " + se.Detail
		}
		return nil, refuse(http.StatusBadRequest, "InvalidKey", msg)
	}
	c.key = key
	sig, herr := parseLocalQuery(r.URL.RawQuery, &c.p)
	if herr != nil {
		return nil, herr
	}
	if c.op, herr = operation(r.Method, &c.p); herr != nil {
		return nil, herr
	}
	if herr := c.readHeaders(r.Header); herr != nil {
		return nil, herr
	}
	var md5v, ctypev string
	if strings.HasPrefix(c.p.signedHeaders, headerMD5) {
		if !c.hasMD5 {
			return nil, refuse(http.StatusForbidden, "SignatureDoesNotMatch", "the URL binds Content-MD5: send the header it was signed with")
		}
		md5v = r.Header.Get("Content-Md5")
	}
	if strings.HasSuffix(c.p.signedHeaders, headerType) {
		if !c.hasCType {
			return nil, refuse(http.StatusForbidden, "SignatureDoesNotMatch", "the URL binds Content-Type: send the header it was signed with")
		}
		ctypev = c.ctype
	}
	if !h.signatureMatches(r.Method, path, &c.p, md5v, ctypev, &sig) {
		return nil, errSignature
	}
	if h.now().Unix() >= c.p.expires {
		return nil, refuse(http.StatusForbidden, "AccessDenied", "the URL has expired")
	}
	// After the signature, so that a URL used for another operation is
	// refused as unsigned (403); a URL the signer made always passes.
	if herr := checkBindings(c.op, &c.p); herr != nil {
		return nil, herr
	}
	return c, nil
}

// requestPath returns r's path exactly as sent: url.URL's EscapedPath
// would re-escape a path it finds invalid (a raw backslash or UTF-8), which is
// cleaning. A request-target in absolute form (from a proxy) loses its
// scheme and authority.
func requestPath(r *http.Request) string {
	if r.RequestURI == "" { // a request made in-process, not read from a connection
		return r.URL.EscapedPath()
	}
	path, _, _ := strings.Cut(r.RequestURI, "?")
	if strings.HasPrefix(path, "/") {
		return path
	}
	if _, rest, ok := strings.Cut(path, "://"); ok {
		if i := strings.IndexByte(rest, '/'); i >= 0 {
			return rest[i:]
		}
	}
	return "/"
}

// signatureMatches recomputes the signature under the current and the
// previous key and compares each in constant time.
func (h *Handler) signatureMatches(method, path string, p *localParams, md5v, ctypev string, sig *[sha256.Size]byte) bool {
	sts := make([]byte, 0, 256+len(path)+len(md5v)+len(ctypev))
	sts = appendSTSHead(sts, method)
	sts = append(sts, path...)
	sts = append(sts, '\n')
	sts = p.appendCanonicalQuery(sts)
	sts = append(sts, '\n')
	sts = appendSTSHeaders(sts, p.signedHeaders, md5v, ctypev)
	pair := h.keys.pair()
	var sum [sha256.Size]byte
	if hmac.Equal(pair.current.sum(sum[:0], sts), sig[:]) {
		return true
	}
	return pair.previous != nil && hmac.Equal(pair.previous.sum(sum[:0], sts), sig[:])
}

// readHeaders reads and checks Content-MD5 and Content-Type.
func (c *localCall) readHeaders(hd http.Header) *httpError {
	if v, ok := hd["Content-Md5"]; ok {
		if len(v) != 1 {
			return refuse(http.StatusBadRequest, "InvalidDigest", "send one Content-MD5 header")
		}
		if c.md5, c.hasMD5 = decodeMD5(v[0]); !c.hasMD5 {
			return refuse(http.StatusBadRequest, "InvalidDigest", "the Content-MD5 header is not the base64 of a 16-byte MD5")
		}
	}
	if v, ok := hd["Content-Type"]; ok {
		if len(v) != 1 {
			return refuse(http.StatusBadRequest, "InvalidArgument", "send one Content-Type header")
		}
		if problem := checkContentType(v[0]); problem != "" {
			return refuse(http.StatusBadRequest, "InvalidArgument", "Content-Type: "+problem)
		}
		c.ctype, c.hasCType = v[0], true
	}
	return nil
}

// Bits of the parameters parseLocalQuery has seen.
const (
	seenUser = 1 << iota
	seenAlgorithm
	seenExpires
	seenSignedHeaders
	seenSignature
	seenPartNumber
	seenRespDisposition
	seenRespType
	seenUploadID
	seenUploads
)

// parseLocalQuery reads a local URL's query into p and returns the
// signature. Every refusal names the parameter and never quotes a value.
func parseLocalQuery(raw string, p *localParams) (sig [sha256.Size]byte, herr *httpError) {
	seen := 0
	for rest := raw; rest != ""; {
		var part string
		part, rest, _ = strings.Cut(rest, "&")
		rawName, rawValue, _ := strings.Cut(part, "=")
		name, err1 := url.PathUnescape(rawName)
		value, err2 := url.PathUnescape(rawValue)
		if part == "" || err1 != nil || err2 != nil {
			return sig, refuse(http.StatusBadRequest, "InvalidArgument", "the query is malformed (an empty parameter or a bad %-escape)")
		}
		bit, ok := paramBits[name]
		if !ok {
			return sig, refuse(http.StatusBadRequest, "InvalidArgument", "unknown query parameter "+quoteShort(name))
		}
		if seen&bit != 0 {
			return sig, badParam(name, "is repeated")
		}
		seen |= bit
		if herr := p.set(name, value, &sig); herr != nil {
			return sig, herr
		}
	}
	for _, name := range []string{paramAlgorithm, paramExpires, paramSignature} {
		if seen&paramBits[name] == 0 {
			return sig, badParam(name, "is missing: this is not a signed URL")
		}
	}
	return sig, nil
}

var paramBits = map[string]int{
	paramUser: seenUser, paramAlgorithm: seenAlgorithm, paramExpires: seenExpires,
	paramSignedHeaders: seenSignedHeaders, paramSignature: seenSignature, paramPartNumber: seenPartNumber,
	paramRespDisposition: seenRespDisposition, paramRespType: seenRespType, paramUploadID: seenUploadID,
	paramUploads: seenUploads,
}

// set stores one parameter's value, checked.
func (p *localParams) set(name, v string, sig *[sha256.Size]byte) *httpError {
	switch name {
	case paramUser:
		if v == "" || checkUser(v) != "" {
			return badParam(name, "is empty or not a valid user (UTF-8 without control characters, at most 256 bytes)")
		}
		p.user = v
	case paramAlgorithm:
		if v != LocalAlgorithm {
			return badParam(name, "is not "+LocalAlgorithm+", the only scheme this handler knows")
		}
	case paramExpires:
		n, ok := decimal(v, 18)
		if !ok {
			return badParam(name, "is not a Unix time in seconds")
		}
		p.expires = n
	case paramSignedHeaders:
		if v != headerMD5 && v != headerType && v != headerMD5+";"+headerType {
			return badParam(name, "is not content-md5, content-type or content-md5;content-type")
		}
		p.signedHeaders = v
	case paramSignature:
		if len(v) != 2*sha256.Size || strings.ToLower(v) != v {
			return badParam(name, "is not 64 lower-case hex digits")
		}
		if _, err := hex.Decode(sig[:], []byte(v)); err != nil {
			return badParam(name, "is not 64 lower-case hex digits")
		}
	case paramPartNumber:
		n, ok := decimal(v, 5)
		if !ok || n > LocalMaxParts {
			return badParam(name, "is not a part number from 1 to "+strconv.Itoa(LocalMaxParts))
		}
		p.partNumber = int(n)
	case paramRespDisposition:
		if v == "" || checkHeaderText(v) != "" {
			return badParam(name, "is empty or not printable ASCII of at most 1024 bytes")
		}
		p.respDisposition = v
	case paramRespType:
		if v == "" || checkContentType(v) != "" {
			return badParam(name, "is empty or not a media type")
		}
		p.respType = v
	case paramUploadID:
		if !validUploadID(v) {
			return badParam(name, "is not 32 lower-case hex digits")
		}
		p.uploadID = v
	case paramUploads:
		if v != "" {
			return badParam(name, "takes no value")
		}
		p.uploads = true
	}
	return nil
}

// decimal parses a positive decimal of at most digits digits, written as
// strconv writes it (no sign, no leading zero), so that a value the signer
// did not write is refused rather than normalised.
func decimal(v string, digits int) (int64, bool) {
	if v == "" || len(v) > digits || v[0] == '0' {
		return 0, false
	}
	var n int64
	for i := 0; i < len(v); i++ {
		if v[i] < '0' || v[i] > '9' {
			return 0, false
		}
		n = n*10 + int64(v[i]-'0')
	}
	return n, n > 0
}

// operation names what method and p ask for and refuses parameters that
// do not belong to it.
func operation(method string, p *localParams) (localOp, *httpError) {
	part, upload := p.partNumber != 0, p.uploadID != ""
	var op localOp
	switch method {
	case http.MethodGet, http.MethodHead:
		if part || upload || p.uploads {
			return op, refuse(http.StatusBadRequest, "InvalidArgument", "a "+method+" takes none of partNumber, uploadId and uploads")
		}
		op = opGet
		if method == http.MethodHead {
			op = opHead
		}
	case http.MethodPut:
		switch {
		case p.uploads:
			return op, badParam(paramUploads, "belongs on a POST")
		case part && upload:
			op = opPart
		case part:
			return op, badParam(paramUploadID, "is missing: a part's PUT names its upload")
		case upload:
			return op, badParam(paramPartNumber, "is missing: a part's PUT names its number")
		default:
			op = opPut
		}
	case http.MethodPost:
		switch {
		case part:
			return op, badParam(paramPartNumber, "belongs on a PUT")
		case p.uploads && upload:
			return op, refuse(http.StatusBadRequest, "InvalidArgument", "a POST takes uploads (start) or uploadId (complete), not both")
		case p.uploads:
			op = opCreate
		case upload:
			op = opComplete
		default:
			return op, badParam(paramUploads+" or "+paramUploadID, "is missing: a POST starts or completes a multipart upload")
		}
	case http.MethodDelete:
		if !upload || part || p.uploads {
			return op, refuse(http.StatusMethodNotAllowed, "MethodNotAllowed", "DELETE only aborts a multipart upload: it takes uploadId alone")
		}
		op = opAbort
	default:
		return op, refuse(http.StatusMethodNotAllowed, "MethodNotAllowed", "the method is not GET, HEAD, PUT, POST, DELETE or OPTIONS")
	}
	return op, nil
}

// checkBindings refuses parameters op cannot carry.
func checkBindings(op localOp, p *localParams) *httpError {
	if (p.respType != "" || p.respDisposition != "") && !op.response {
		return badParam("response-content-*", "applies to GET and HEAD only")
	}
	if strings.HasPrefix(p.signedHeaders, headerMD5) && !op.contentMD5 {
		return badParam(paramSignedHeaders, "binds content-md5, which a "+op.name+" has not")
	}
	if strings.HasSuffix(p.signedHeaders, headerType) && !op.contentType {
		return badParam(paramSignedHeaders, "binds content-type, which a "+op.name+" has not")
	}
	return nil
}

// xmlError is the body of a refusal, as S3 writes it.
type xmlError struct {
	XMLName xml.Name `xml:"Error"`
	Code    string
	Message string
}

// fail writes e. A 5xx is logged with the URL redacted.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, e *httpError) {
	if e.status == http.StatusMethodNotAllowed {
		w.Header().Set("Allow", "GET, HEAD, PUT, POST, DELETE, OPTIONS")
	}
	writeXML(w, r, e.status, xmlError{Code: e.code, Message: e.message})
}

// internal turns a bucket's or the request's error into the response: the
// client's own departure or a shutdown is 503, anything else a logged 500
// whose text stays in the log.
func (h *Handler) internal(w http.ResponseWriter, r *http.Request, what string, err error) {
	if r.Context().Err() != nil {
		h.fail(w, r, refuse(http.StatusServiceUnavailable, "ServiceUnavailable", "the request was cancelled; nothing was written"))
		return
	}
	h.log.LogAttrs(r.Context(), slog.LevelError, "byob local storage: "+what,
		slog.String("method", r.Method), slog.String("url", RedactURL(r.URL.String())), slog.String("error", err.Error()))
	h.fail(w, r, refuse(http.StatusInternalServerError, "InternalError", "the storage failed; the server's log says why"))
}

// notFound reports whether err is a bucket's "no such object".
func notFound(err error) bool {
	return provider.Code(err) == gcerrors.NotFound || gcerrors.Code(err) == gcerrors.NotFound
}

// writeXML writes v as an XML body with status.
func writeXML(w http.ResponseWriter, r *http.Request, status int, v any) {
	body, err := xml.Marshal(v)
	if err != nil { // the types written here always marshal
		status, body = http.StatusInternalServerError, []byte("<Error><Code>InternalError</Code></Error>")
	}
	w.Header().Set("Content-Type", "application/xml")
	w.Header().Set("Content-Length", strconv.Itoa(len(xml.Header)+len(body)))
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		_, _ = w.Write([]byte(xml.Header))
		_, _ = w.Write(body)
	}
}

// keyLocks are read-write locks by name, made on demand and freed when
// unused: objects ("o/"+key), uploads ("u/"+id) and staged parts.
type keyLocks struct {
	mu sync.Mutex
	m  map[string]*keyLock
}

type keyLock struct {
	sync.RWMutex
	refs int
}

func (l *keyLocks) acquire(name string) *keyLock {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.m == nil {
		l.m = map[string]*keyLock{}
	}
	k := l.m[name]
	if k == nil {
		k = &keyLock{}
		l.m[name] = k
	}
	k.refs++
	return k
}

func (l *keyLocks) release(name string, k *keyLock) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if k.refs--; k.refs == 0 {
		delete(l.m, name)
	}
}

// lock locks name for writing and returns the unlock.
func (l *keyLocks) lock(name string) func() {
	k := l.acquire(name)
	k.Lock()
	return func() { k.Unlock(); l.release(name, k) }
}

// rlock locks name for reading and returns the unlock.
func (l *keyLocks) rlock(name string) func() {
	k := l.acquire(name)
	k.RLock()
	return func() { k.RUnlock(); l.release(name, k) }
}

// stopReadOnDone makes a blocked read of r's body return once ctx is done
// (the client gone, the server shutting down), so that a write waiting for
// bytes that will never come is abandoned now. The returned stop must be
// called when the body is no longer read.
func stopReadOnDone(ctx context.Context, w http.ResponseWriter) (stop func() bool) {
	rc := http.NewResponseController(w)
	return context.AfterFunc(ctx, func() { _ = rc.SetReadDeadline(time.Now()) })
}
