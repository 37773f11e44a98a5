package presign

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/byobkit/byob/address"
	"github.com/byobkit/byob/scope"
)

// LocalAlgorithm names byob's local signed-URL scheme and its version, the
// value of the byob-algorithm parameter. A new version gets a new name.
const LocalAlgorithm = "BYOB1-HMAC-SHA256"

// LocalMaxExpiry is the longest a local URL may live, the providers' own
// limit (SigV4, GCS V4), so that a leaked URL dies as it would elsewhere.
const LocalMaxExpiry = 7 * 24 * time.Hour

// LocalMaxParts is the highest part number of a multipart upload, as on S3.
const LocalMaxParts = 10000

// LocalSigner issues signed URLs for the embedded buckets, file:// and
// mem://, which have no storage service to verify a signature: a Handler
// serving the same location with the same LocalKeys is that service. Its
// methods do no I/O and are safe for concurrent use.
//
// # The protocol, version 1 (BYOB1-HMAC-SHA256)
//
// This is byob's own protocol; a Handler implements it exactly as written
// here. A signed URL is
//
//	<scheme>://<host>[:<port>]<base path>/<escaped key>?<canonical query>&byob-signature=<hex>
//
// where scheme, host, port and base path come from LocalConfig.BaseURL.
//
// Escaped key. Every byte of the key other than A-Z, a-z, 0-9, '-', '.',
// '_', '~' and '/' is written %XX with upper-case hex digits; '/' separates
// segments and is never escaped. The key must pass the location's
// scope.Location.CheckKey. The encoding is canonical: a Handler refuses a
// path written any other way (%2F for '/', %2f, %41 for 'A', a bare '+')
// with 400 InvalidURI rather than decode it.
//
// Query parameters; names are case-sensitive and none may repeat:
//
//	X-User                        the requester's identity (optional), as the product
//	                              adds it elsewhere; signed, so it cannot be changed
//	byob-algorithm                BYOB1-HMAC-SHA256 (required)
//	byob-expires                  Unix time in seconds (required); the URL works
//	                              while the handler's clock is before it
//	byob-signed-headers           the request headers the signature binds, lower
//	                              case, ';'-separated, in this order:
//	                              content-md5;content-type (absent: none)
//	partNumber                    1 to 10000, with uploadId: one part's PUT
//	response-content-disposition  GET, HEAD: the response's Content-Disposition
//	response-content-type         GET, HEAD: the response's Content-Type
//	uploadId                      32 lower-case hex digits: a multipart upload
//	uploads                       empty value; POST: start a multipart upload
//	byob-signature                64 lower-case hex digits (required), last
//
// Canonical query. Every parameter except byob-signature, written
// name=value with name and value escaped as a key is (and '/' escaped too),
// sorted by name in byte order and joined with '&'. The signer writes the
// URL's query in exactly this order, so the URL is its own canonical form.
//
// String to sign. These lines, each ended by "\n":
//
//	BYOB1-HMAC-SHA256
//	<method>               GET, HEAD, PUT, POST or DELETE
//	<path>                 the escaped path, base path included
//	<canonical query>
//	<header>:<value>       one line per header named in byob-signed-headers,
//	                       in that order, with the value the client sends
//
// byob-signature is the lower-case hex HMAC-SHA256 of the string to sign
// under the current key. The host is not signed, so that 127.0.0.1 and
// localhost reach the same URL; the base path is, so that a URL for one
// location's handler is refused by another's mounted under another path.
//
// Operations, by method and parameters:
//
//	GET, HEAD                   read the object (Range on GET; ETag)
//	PUT                         write the object (ETag: the quoted MD5 hex)
//	POST ?uploads               start a multipart upload; the signed content
//	                            type is the final object's; the response is
//	                            S3's InitiateMultipartUploadResult XML
//	PUT ?partNumber&uploadId    write one part (ETag: the part's quoted MD5 hex)
//	POST ?uploadId              complete: the body is S3's CompleteMultipartUpload
//	                            XML; the response CompleteMultipartUploadResult,
//	                            ETag "<hex MD5 of the parts' binary MD5s>-<parts>"
//	DELETE ?uploadId            abort (204)
//
// What the signature binds: method, base path, key, expiry, requester,
// response overrides, upload id and part number, and Content-MD5 and
// Content-Type when the URL was signed with them. What it does not: the
// host, the body's size, and the part list of a completion. A Handler also
// checks any Content-MD5 the client sends against the body, signed or not.
type LocalSigner struct {
	loc  *scope.Location
	base localBase
	keys *LocalKeys
	now  func() time.Time
}

// LocalConfig is what a LocalSigner and the Handler that verifies its URLs
// share: give both the same one.
type LocalConfig struct {
	// Location is the file:// or mem:// location whose objects the URLs
	// name; keys are relative to it and pass its CheckKey.
	Location *scope.Location
	// BaseURL is where the Handler is reached: http or https, a host and
	// optionally a port and a path (its mount point), with no userinfo,
	// query or fragment, e.g. http://127.0.0.1:8080.
	BaseURL string
	// Keys sign (the current key) and verify (current or previous).
	Keys *LocalKeys
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// LocalOptions are a local URL's options. Each operation accepts only the
// options it can bind; any other set is an ErrLocalOption.
type LocalOptions struct {
	// Method is GET, HEAD or PUT for Sign; empty (or the operation's own
	// method) for the multipart operations.
	Method string
	// Expires is when the URL stops working, required: after the clock's
	// now and at most LocalMaxExpiry later. It is truncated to the second.
	Expires time.Time
	// ContentType binds the Content-Type the client must send: PUT, and the
	// final object's type on a multipart start.
	ContentType string
	// ContentMD5 binds the Content-MD5 (base64 of the 16-byte MD5) the
	// client must send and its body must match: PUT and part PUT.
	ContentMD5 string
	// ResponseContentType and ResponseContentDisposition override the
	// response's headers on GET and HEAD.
	ResponseContentType        string
	ResponseContentDisposition string
	// User is the requester's identity, signed into the X-User parameter.
	User string
}

// localOp is what one operation accepts, as data.
type localOp struct {
	name        string // for errors
	method      string
	contentType bool // may bind Content-Type
	contentMD5  bool // may bind Content-MD5
	response    bool // may carry response overrides
	upload      bool // names an upload: uploadId is required
}

var (
	opGet      = localOp{name: "GET", method: http.MethodGet, response: true}
	opHead     = localOp{name: "HEAD", method: http.MethodHead, response: true}
	opPut      = localOp{name: "PUT", method: http.MethodPut, contentType: true, contentMD5: true}
	opCreate   = localOp{name: "multipart start", method: http.MethodPost, contentType: true}
	opPart     = localOp{name: "multipart part", method: http.MethodPut, contentMD5: true, upload: true}
	opComplete = localOp{name: "multipart complete", method: http.MethodPost, upload: true}
	opAbort    = localOp{name: "multipart abort", method: http.MethodDelete, upload: true}
)

// NewLocalSigner checks cfg and returns a signer for its location.
func NewLocalSigner(cfg LocalConfig) (*LocalSigner, error) {
	base, now, err := checkLocalConfig("new local signer", cfg)
	if err != nil {
		return nil, err
	}
	return &LocalSigner{loc: cfg.Location, base: base, keys: cfg.Keys, now: now}, nil
}

// checkLocalConfig validates what a signer and a handler share.
func checkLocalConfig(op string, cfg LocalConfig) (localBase, func() time.Time, error) {
	bad := func(field, problem, fix string) error {
		return &Error{Op: op, Field: field, Kind: ErrLocalConfig, Problem: problem, Fix: fix}
	}
	if cfg.Location == nil {
		return localBase{}, nil, bad("Location", "it is nil", "pass the file:// or mem:// location the URLs are for")
	}
	if f := cfg.Location.Handle().Flavor(); f != address.FlavorFile && f != address.FlavorMem {
		return localBase{}, nil, bad("Location", "it is a "+string(f)+" location, which verifies its own signatures",
			"use the provider's signer; the local protocol is for file:// and mem://")
	}
	if cfg.Keys == nil || cfg.Keys.pair() == nil {
		return localBase{}, nil, bad("Keys", "there are none", "pass NewLocalKeys() or ParseLocalKeys(stored)")
	}
	base, err := parseLocalBase(cfg.BaseURL)
	if err != nil {
		return localBase{}, nil, bad("BaseURL", err.Error(), "use http(s)://host[:port][/path], e.g. http://127.0.0.1:8080")
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	return base, now, nil
}

// Sign signs a GET, HEAD or PUT of key.
func (s *LocalSigner) Sign(key string, o LocalOptions) (Request, error) {
	switch o.Method {
	case http.MethodGet:
		return s.sign(opGet, key, localParams{}, o)
	case http.MethodHead:
		return s.sign(opHead, key, localParams{}, o)
	case http.MethodPut:
		return s.sign(opPut, key, localParams{}, o)
	}
	return Request{}, optionError("Method", "the method is not GET, HEAD or PUT", "use Sign for GET, HEAD and PUT, and the Sign*Upload methods for multipart")
}

// SignCreateUpload signs the start of a multipart upload of key (POST
// ?uploads). ContentType, if set, binds the final object's type.
func (s *LocalSigner) SignCreateUpload(key string, o LocalOptions) (Request, error) {
	return s.sign(opCreate, key, localParams{uploads: true}, o)
}

// SignUploadPart signs the PUT of part number part (1 to LocalMaxParts) of
// upload uploadID of key. ContentMD5, if set, binds the part's MD5.
func (s *LocalSigner) SignUploadPart(key, uploadID string, part int, o LocalOptions) (Request, error) {
	if part < 1 || part > LocalMaxParts {
		return Request{}, optionError("part", "the part number is not between 1 and "+strconv.Itoa(LocalMaxParts), "number parts from 1")
	}
	return s.sign(opPart, key, localParams{uploadID: uploadID, partNumber: part}, o)
}

// SignCompleteUpload signs the completion of upload uploadID of key (POST
// ?uploadId, the part list in the body).
func (s *LocalSigner) SignCompleteUpload(key, uploadID string, o LocalOptions) (Request, error) {
	return s.sign(opComplete, key, localParams{uploadID: uploadID}, o)
}

// SignAbortUpload signs the abort of upload uploadID of key (DELETE
// ?uploadId).
func (s *LocalSigner) SignAbortUpload(key, uploadID string, o LocalOptions) (Request, error) {
	return s.sign(opAbort, key, localParams{uploadID: uploadID}, o)
}

func optionError(field, problem, fix string) error {
	return &Error{Op: "sign", Field: field, Kind: ErrLocalOption, Problem: problem, Fix: fix}
}

// sign checks o against op, and builds and signs the request.
func (s *LocalSigner) sign(op localOp, key string, p localParams, o LocalOptions) (Request, error) {
	if o.Method != "" && o.Method != op.method {
		return Request{}, optionError("Method", "a "+op.name+" is a "+op.method+", not a "+quoteShort(o.Method), "leave Method empty")
	}
	if err := s.loc.CheckKey(key); err != nil {
		return Request{}, err
	}
	if op.upload && !validUploadID(p.uploadID) {
		return Request{}, optionError("uploadID", "an upload id is 32 lower-case hex digits", "pass the UploadId the multipart start returned")
	}
	if err := checkLocalOptions(op, o); err != nil {
		return Request{}, err
	}
	now := s.now()
	exp := o.Expires.Unix()
	switch {
	case o.Expires.IsZero():
		return Request{}, optionError("Expires", "no expiry is set", "set an absolute time, e.g. now plus 1 h for reads, 24 h for writes")
	case exp <= now.Unix():
		return Request{}, optionError("Expires", "the expiry is not in the future", "set a time after now")
	case o.Expires.Sub(now) > LocalMaxExpiry:
		return Request{}, optionError("Expires", "the expiry is more than 7 days away", "set at most 7 days from now")
	}
	p.expires = exp
	p.user = o.User
	p.respType = o.ResponseContentType
	p.respDisposition = o.ResponseContentDisposition
	p.setSignedHeaders(o.ContentMD5, o.ContentType)

	buf := make([]byte, 0, 256+3*len(key)+3*len(o.User)+3*len(o.ResponseContentDisposition))
	buf = append(buf, s.base.origin...)
	pathStart := len(buf)
	buf = append(buf, s.base.path...)
	buf = append(buf, '/')
	buf = appendEscaped(buf, key, true)
	pathEnd := len(buf)
	buf = append(buf, '?')
	queryStart := len(buf)
	buf = p.appendCanonicalQuery(buf)
	sts := make([]byte, 0, 64+len(buf)+len(o.ContentType)+len(o.ContentMD5))
	sts = appendSTSHead(sts, op.method)
	sts = append(sts, buf[pathStart:pathEnd]...)
	sts = append(sts, '\n')
	sts = append(sts, buf[queryStart:]...)
	sts = append(sts, '\n')
	sts = appendSTSHeaders(sts, p.signedHeaders, o.ContentMD5, o.ContentType)
	var sum [sha256.Size]byte
	mac := s.keys.pair().current.sum(sum[:0], sts)
	buf = append(buf, "&byob-signature="...)
	buf = hex.AppendEncode(buf, mac)

	r := Request{Method: op.method, URL: string(buf), Expires: time.Unix(exp, 0)}
	if o.ContentMD5 != "" || o.ContentType != "" {
		r.Header = make(http.Header, 2)
		if o.ContentMD5 != "" {
			r.Header["Content-Md5"] = []string{o.ContentMD5}
		}
		if o.ContentType != "" {
			r.Header["Content-Type"] = []string{o.ContentType}
		}
	}
	return r, nil
}

// checkLocalOptions refuses options op cannot bind and malformed values,
// with the checks the Handler applies to the same values.
func checkLocalOptions(op localOp, o LocalOptions) error {
	type opt struct {
		field, value string
		allowed      bool
		check        func(string) string
	}
	for _, c := range []opt{
		{"ContentType", o.ContentType, op.contentType, checkContentType},
		{"ContentMD5", o.ContentMD5, op.contentMD5, checkContentMD5},
		{"ResponseContentType", o.ResponseContentType, op.response, checkContentType},
		{"ResponseContentDisposition", o.ResponseContentDisposition, op.response, checkHeaderText},
		{"User", o.User, true, checkUser},
	} {
		if c.value == "" {
			continue
		}
		if !c.allowed {
			return optionError(c.field, "a "+op.name+" URL cannot carry it", "leave it empty for this operation")
		}
		if problem := c.check(c.value); problem != "" {
			return optionError(c.field, problem, "pass a well-formed value")
		}
	}
	return nil
}

// quoteShort quotes s for an error, cut short.
func quoteShort(s string) string {
	if len(s) > 40 {
		s = s[:40] + "..."
	}
	return strconv.Quote(s)
}

// String describes the signer without its keys.
func (s *LocalSigner) String() string {
	return "presign.LocalSigner(" + s.base.origin + s.base.path + ", " + s.loc.String() + ")"
}

// GoString is String.
func (s *LocalSigner) GoString() string { return s.String() }

// Format prints String under every verb.
func (s *LocalSigner) Format(f fmt.State, _ rune) { fmt.Fprint(f, s.String()) }

// LogValue makes log/slog print String.
func (s *LocalSigner) LogValue() slog.Value { return slog.StringValue(s.String()) }
