package presign

import (
	"crypto/md5"
	"encoding/base64"
	"net/http"
	"strconv"
	"time"
)

// Expiry limits, as the product documents them and the providers enforce.
const (
	// DefaultReadExpiry is how long a GET or HEAD URL lives when
	// Options.Expires is zero.
	DefaultReadExpiry = time.Hour
	// DefaultWriteExpiry is how long a PUT URL (and every multipart URL)
	// lives when Options.Expires is zero.
	DefaultWriteExpiry = 24 * time.Hour
	// MaxExpiry is the longest a URL may live: SigV4's and GCS V4's limit,
	// applied to every provider so that a leaked URL dies as it would
	// elsewhere.
	MaxExpiry = 7 * 24 * time.Hour
)

// Multipart limits of the product's SDK. A client switches to a multipart
// upload from MultipartThreshold, with parts of PartSize (the last one
// shorter); S3 refuses parts under 5 MiB except the last, and more than
// MaxParts parts.
const (
	MultipartThreshold = 2 << 30
	PartSize           = 100 << 20
	MinPartSize        = 5 << 20
	MaxParts           = 10000
)

// Op is what a URL is signed for: one object request, or one step of a
// multipart upload.
type Op uint8

// The operations. OpObject takes its method from Options.Method; the
// multipart steps fix their own (and Options.Method must be empty or that
// method).
const (
	// OpObject is a GET, HEAD or PUT of the object.
	OpObject Op = iota
	// OpCreateUpload starts a multipart upload (S3, GCS: POST ?uploads;
	// local: the same). Azure needs no start: it is ErrUnsupported there.
	OpCreateUpload
	// OpUploadPart is one part's PUT (S3, GCS, local: ?partNumber&uploadId;
	// Azure: Put Block with the block id BlockID(part)).
	OpUploadPart
	// OpCompleteUpload completes the upload with the part list (S3, GCS,
	// local: POST ?uploadId with the CompleteMultipartUpload XML; Azure:
	// PUT ?comp=blocklist, Put Block List, with BlockListXML). Send it
	// with the Request's Method.
	OpCompleteUpload
	// OpAbortUpload abandons the upload (DELETE ?uploadId). Azure has
	// none: uncommitted blocks expire on their own (ErrUnsupported).
	OpAbortUpload
)

var opNames = [...]string{"object", "create upload", "upload part", "complete upload", "abort upload"}

// String names the operation.
func (o Op) String() string {
	if int(o) < len(opNames) {
		return opNames[o]
	}
	return "op(" + strconv.Itoa(int(o)) + ")"
}

// opMethods is the method each multipart step is sent with.
var opMethods = [...]string{"", http.MethodPost, http.MethodPut, http.MethodPost, http.MethodDelete}

// Options are what one URL is signed for, beyond the location and key.
// The zero value of each optional field adds nothing to the URL. Options is
// comparable: the reuse window keys its cache with it.
type Options struct {
	// Op is the operation; zero is OpObject.
	Op Op
	// Method is GET, HEAD or PUT for OpObject; empty or the step's own
	// method for the multipart steps.
	Method string
	// Expires is how long the URL lives: zero means DefaultReadExpiry for
	// GET and HEAD and DefaultWriteExpiry otherwise; negative or over
	// MaxExpiry is an error. With temporary credentials the URL dies when
	// they do, earlier if need be, and Request.Expires says when.
	Expires time.Duration
	// ContentType binds the Content-Type the client must send: PUT, and on
	// OpCreateUpload the final object's type.
	ContentType string
	// ContentMD5 is the base64 of the body's 16-byte MD5, which the client
	// must send as Content-MD5: PUT and OpUploadPart.
	ContentMD5 string
	// ResponseContentType and ResponseContentDisposition override the
	// response's headers: GET and HEAD.
	ResponseContentType        string
	ResponseContentDisposition string
	// User is the requester's identity, added as the flavor's UserParam
	// (X-User on S3, CoreWeave, GCS and local; scid on Azure), so that it
	// appears in the provider's access logs. See Binds.User for whether a
	// client can change it.
	User string
	// UploadID names the multipart upload (OpUploadPart, OpCompleteUpload,
	// OpAbortUpload); Azure has none and ignores it.
	UploadID string
	// PartNumber is OpUploadPart's part number, 1 to MaxParts.
	PartNumber int
}

func optErr(field, problem, fix string) error {
	return &Error{Op: "sign", Field: field, Kind: ErrOption, Problem: problem, Fix: fix}
}

// method is the HTTP method o is sent with, or an error.
func (o *Options) method() (string, error) {
	if o.Op == OpObject {
		switch o.Method {
		case http.MethodGet, http.MethodHead, http.MethodPut:
			return o.Method, nil
		}
		return "", optErr("Method", "the method is not GET, HEAD or PUT", "use GET, HEAD or PUT, or set Op for a multipart step")
	}
	if int(o.Op) >= len(opMethods) {
		return "", optErr("Op", "unknown operation", "use one of the Op constants")
	}
	m := opMethods[o.Op]
	if o.Method != "" && o.Method != m {
		return "", optErr("Method", "the "+o.Op.String()+" step is sent with "+m, "leave Method empty for multipart steps")
	}
	return m, nil
}

// validate checks the options that do not depend on the provider and
// returns the method and the requested lifetime.
func (o *Options) validate() (string, time.Duration, error) {
	m, err := o.method()
	if err != nil {
		return "", 0, err
	}
	d := o.Expires
	switch {
	case d < 0:
		return "", 0, optErr("Expires", "the lifetime is negative", "give a positive duration, or zero for the default")
	case d > MaxExpiry:
		return "", 0, optErr("Expires", "the lifetime is over 7 days, the providers' limit", "give at most 7 days")
	case d == 0 && (m == http.MethodGet || m == http.MethodHead):
		d = DefaultReadExpiry
	case d == 0:
		d = DefaultWriteExpiry
	case d < time.Second:
		return "", 0, optErr("Expires", "the lifetime is under a second", "give at least one second")
	}
	read := o.Op == OpObject && (m == http.MethodGet || m == http.MethodHead)
	if !read && (o.ResponseContentType != "" || o.ResponseContentDisposition != "") {
		return "", 0, optErr("ResponseContentType", "response overrides apply to GET and HEAD only", "drop them for this request")
	}
	put := o.Op == OpObject && m == http.MethodPut
	if o.ContentType != "" && !put && o.Op != OpCreateUpload {
		return "", 0, optErr("ContentType", "a content type applies to PUT and the start of a multipart upload only", "drop it for this request")
	}
	if o.ContentMD5 != "" {
		if !put && o.Op != OpUploadPart {
			return "", 0, optErr("ContentMD5", "a Content-MD5 applies to PUT and part uploads only", "drop it for this request")
		}
		if !validMD5(o.ContentMD5) {
			return "", 0, optErr("ContentMD5", "not the standard base64 of a 16-byte MD5", "give base64.StdEncoding of md5.Sum of the body")
		}
	}
	for _, f := range [...]struct{ name, v string }{{"ContentType", o.ContentType}, {"ResponseContentType", o.ResponseContentType},
		{"ResponseContentDisposition", o.ResponseContentDisposition}, {"User", o.User}} {
		if !printable(f.v) {
			return "", 0, optErr(f.name, "contains a control or non-ASCII character", "use printable ASCII")
		}
	}
	switch o.Op {
	case OpUploadPart:
		if o.PartNumber < 1 || o.PartNumber > MaxParts {
			return "", 0, optErr("PartNumber", "not between 1 and "+strconv.Itoa(MaxParts), "number parts from 1; use parts of PartSize so that at most 10,000 are needed")
		}
	default:
		if o.PartNumber != 0 {
			return "", 0, optErr("PartNumber", "a part number applies to part uploads only", "drop it for this request")
		}
	}
	if (o.Op == OpObject || o.Op == OpCreateUpload) && o.UploadID != "" {
		return "", 0, optErr("UploadID", "an upload id does not apply to this request", "drop it")
	}
	return m, d, nil
}

// validMD5 reports whether s is exactly the padded standard base64 of 16
// bytes, the only form Content-MD5 takes.
func validMD5(s string) bool {
	if len(s) != 24 {
		return false
	}
	var b [18]byte
	n, err := base64.StdEncoding.Decode(b[:], []byte(s))
	return err == nil && n == md5.Size && base64.StdEncoding.EncodeToString(b[:n]) == s
}

func printable(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// Binds says which of a request's properties a location's signature binds:
// what a client cannot change without the provider refusing the request.
// The method, the key, the expiry and the response overrides are bound
// everywhere; these differ.
type Binds struct {
	// ContentType: the Content-Type the client sends must be the signed one.
	ContentType bool
	// ContentMD5: the Content-MD5 must be the signed one (and the provider
	// checks the body against it).
	ContentMD5 bool
	// User: the requester identity parameter cannot be changed, added or
	// dropped. Where it is false (Azure shared-key SAS) it is for logs only.
	User bool
	// ResponseOverrides: the response-content-* overrides are signed.
	ResponseOverrides bool
	// MD5Checked: the provider checks a Content-MD5 the client sends
	// against the body, signed or not.
	MD5Checked bool
}
