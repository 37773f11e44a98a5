package sigv4

import (
	"encoding/base64"
	"net/netip"
	"strings"
	"time"
)

// Op is the S3 operation a URL is signed for. It fixes the method, the
// x-id parameter the SDK adds, the query parameters the operation needs
// and which Request fields it accepts (see ops).
type Op uint8

// The operations a pre-signed URL can carry.
const (
	// GetObject is GET /key?x-id=GetObject.
	GetObject Op = iota + 1
	// HeadObject is HEAD /key (the SDK adds no x-id).
	HeadObject
	// PutObject is PUT /key?x-id=PutObject.
	PutObject
	// CreateMultipartUpload is POST /key?uploads= (no x-id).
	CreateMultipartUpload
	// UploadPart is PUT /key?partNumber=N&uploadId=U&x-id=UploadPart.
	UploadPart
	// CompleteMultipartUpload is POST /key?uploadId=U (no x-id); the client
	// sends the part list as the body, which the signature does not bind.
	CompleteMultipartUpload
	// AbortMultipartUpload is DELETE /key?uploadId=U&x-id=AbortMultipartUpload.
	AbortMultipartUpload
)

// opRule is what one operation signs and accepts: the per-operation facts
// as data, so that validation and signing read the same table.
type opRule struct {
	name, method string
	// xid is the x-id value the SDK's serializer adds, "" for none.
	xid string
	// uploads marks CreateMultipartUpload's empty "uploads" parameter.
	uploads bool
	// part and upload: PartNumber and UploadID are required (and refused
	// when false).
	part, upload bool
	// contentType, contentMD5, overrides: the optional fields the
	// operation accepts (the SDK's input has them).
	contentType, contentMD5, overrides bool
}

// ops is indexed by Op. The x-id values and query parameters are those of
// aws-sdk-go-v2's S3 serializers (service/s3 serializers.go, SplitURI).
var ops = [...]opRule{
	GetObject:               {name: "GetObject", method: "GET", xid: "GetObject", overrides: true},
	HeadObject:              {name: "HeadObject", method: "HEAD", overrides: true},
	PutObject:               {name: "PutObject", method: "PUT", xid: "PutObject", contentType: true, contentMD5: true},
	CreateMultipartUpload:   {name: "CreateMultipartUpload", method: "POST", uploads: true, contentType: true},
	UploadPart:              {name: "UploadPart", method: "PUT", xid: "UploadPart", part: true, upload: true, contentMD5: true},
	CompleteMultipartUpload: {name: "CompleteMultipartUpload", method: "POST", upload: true},
	AbortMultipartUpload:    {name: "AbortMultipartUpload", method: "DELETE", xid: "AbortMultipartUpload", upload: true},
}

func (o Op) valid() bool { return o > 0 && int(o) < len(ops) }

// String is the operation's S3 API name, e.g. "UploadPart".
func (o Op) String() string {
	if !o.valid() {
		return "Op(invalid)"
	}
	return ops[o].name
}

// Method is the HTTP method the operation's URL is signed for.
func (o Op) Method() string {
	if !o.valid() {
		return ""
	}
	return ops[o].method
}

// Param is one extra query parameter signed into the URL, such as byob's
// X-User requester identity.
type Param struct {
	// Name must be made of URL-safe characters (A-Z a-z 0-9 - . _ ~) and must
	// not be one the signer writes itself (X-Amz-*, x-id, partNumber,
	// uploadId, uploads, response-content-type, response-content-disposition).
	Name string
	// Value is any string; it is escaped as SigV4 requires.
	Value string
}

// Request is everything that goes into one pre-signed URL except the
// credentials, which the Signer holds. Presign reads it and keeps no
// reference to it.
type Request struct {
	// Op is the S3 operation; it fixes the method and x-id.
	Op Op
	// Scheme is "https" or "http".
	Scheme string
	// Host is the endpoint's host[:port] as the URL carries it, without the
	// bucket: "s3.eu-central-1.amazonaws.com", "cwobject.com",
	// "127.0.0.1:9000". A default port (:443 on https, :80 on http) stays in
	// the URL but not in the signed host header, as with the SDK.
	Host string
	// Bucket is the bucket name: 3 to 255 of A-Z a-z 0-9 . _ -.
	Bucket string
	// Key is the object key, unescaped; it is escaped as the SDK escapes
	// keys (every byte but A-Z a-z 0-9 - . _ ~ and '/'). It must not be empty.
	Key string
	// Prefix, when set, comes before Key in the object key, escaped the
	// same way: the URL for Prefix "a/" and Key "b" is the URL for Key
	// "a/b". It spares a caller that keeps its objects under a prefix the
	// concatenation of the two (an allocation per URL).
	Prefix string
	// PathStyle puts the bucket in the path (/bucket/key) instead of the host
	// (bucket.host/key). Like the SDK, a virtual-hosted request falls back to
	// path style when the bucket is not a DNS label (dots, upper case,
	// underscores, fewer than 3 or more than 63 characters) or Host is an IP
	// address.
	PathStyle bool
	// Region is the signing region, e.g. "us-east-1" or CoreWeave's
	// "US-EAST-04A": a DNS label.
	Region string
	// Time is the signing time; the signer has no clock. It is used in UTC
	// at one-second precision.
	Time time.Time
	// Expires is how long the URL is valid: 1 s to 7 days. Fractions of a
	// second are dropped, as the SDK does.
	Expires time.Duration

	// PartNumber is UploadPart's part number, 1 to 10000.
	PartNumber int
	// UploadID is the multipart upload's id, for UploadPart,
	// CompleteMultipartUpload and AbortMultipartUpload.
	UploadID string
	// ContentType, when set, is signed as the Content-Type header the client
	// must send (PutObject, CreateMultipartUpload).
	ContentType string
	// ContentMD5, when set, is signed as the Content-MD5 header the client
	// must send: the base64 of the body's 16-byte MD5 (PutObject, UploadPart).
	ContentMD5 string
	// ResponseContentType and ResponseContentDisposition override the
	// response's headers (GetObject, HeadObject); they are signed.
	ResponseContentType, ResponseContentDisposition string
	// Query holds extra query parameters signed into the URL, e.g. X-User.
	Query []Param
}

// Error reports a Request (or credentials) the signer refuses: the field
// at fault, what is wrong with it and how to fix it. It never quotes a
// secret, a token or a signature.
type Error struct {
	// Field names the Request field or NewSigner argument, e.g. "Expires".
	Field string
	// Problem says what is wrong.
	Problem string
	// Fix says what to do about it.
	Fix string
}

func (e *Error) Error() string {
	return "sigv4: " + e.Field + ": " + e.Problem + "; " + e.Fix
}

func invalid(field, problem, fix string) error {
	return &Error{Field: field, Problem: problem, Fix: fix}
}

// MaxExpires is the longest validity SigV4 allows for a pre-signed URL.
const MaxExpires = 7 * 24 * time.Hour

// validate checks r against ops and the URL syntax, so that Presign never
// writes a URL that the SDK would write differently or a server would
// parse differently. It returns r's endpoint, from st's cache or checked
// and cached now: the same Scheme, Host, Bucket and PathStyle always pass
// or fail the same checks, so a hit skips none.
func (r *Request) validate(st *state) (*endpoint, error) {
	if !r.Op.valid() {
		return nil, invalid("Op", "no operation set", "set Op to GetObject, HeadObject, PutObject, CreateMultipartUpload, UploadPart, CompleteMultipartUpload or AbortMultipartUpload")
	}
	rule := &ops[r.Op]
	e := st.endpoint(r)
	if e == nil {
		var err error
		if e, err = newEndpoint(r.Scheme, r.Host, r.Bucket, r.PathStyle); err != nil {
			return nil, err
		}
		st.eps[st.nextEp.Add(1)%uint32(len(st.eps))].Store(e)
	}
	if r.Key == "" {
		return nil, invalid("Key", "is empty", "give the object key")
	}
	if !validLabel(r.Region) {
		return nil, invalid("Region", "must be a DNS label (letters, digits and inner hyphens)", "set Region to the bucket's region, e.g. us-east-1 or US-EAST-04A")
	}
	if r.Time.IsZero() {
		return nil, invalid("Time", "is not set", "pass the signing time; the signer has no clock")
	}
	if u := r.Time.Unix(); u < minUnix || u >= maxUnix {
		return nil, invalid("Time", "is outside the years 0 to 9999", "pass a current time")
	}
	if s := r.Expires / time.Second; s < 1 || s > MaxExpires/time.Second {
		return nil, invalid("Expires", "must be 1 s to 7 days", "choose an expiry within SigV4's limits")
	}
	if rule.part {
		if r.PartNumber < 1 || r.PartNumber > 10000 {
			return nil, invalid("PartNumber", "must be 1 to 10000 for "+rule.name, "number the parts from 1")
		}
	} else if r.PartNumber != 0 {
		return nil, invalid("PartNumber", "is only for UploadPart", "leave PartNumber zero for "+rule.name)
	}
	if rule.upload {
		if r.UploadID == "" {
			return nil, invalid("UploadID", "is empty", "pass the id CreateMultipartUpload returned")
		}
	} else if r.UploadID != "" {
		return nil, invalid("UploadID", "is only for UploadPart, CompleteMultipartUpload and AbortMultipartUpload", "leave UploadID empty for "+rule.name)
	}
	if r.ContentType != "" {
		if !rule.contentType {
			return nil, invalid("ContentType", "cannot be signed for "+rule.name, "leave ContentType empty")
		}
		if !validHeaderValue(r.ContentType) {
			return nil, invalid("ContentType", "holds a control or non-ASCII character", "give a plain media type such as text/plain; charset=utf-8")
		}
	}
	if r.ContentMD5 != "" {
		if !rule.contentMD5 {
			return nil, invalid("ContentMD5", "cannot be signed for "+rule.name, "leave ContentMD5 empty")
		}
		if !validMD5(r.ContentMD5) {
			return nil, invalid("ContentMD5", "is not the base64 of a 16-byte MD5", "pass base64.StdEncoding of the body's MD5 sum (24 characters), not hex")
		}
	}
	if (r.ResponseContentType != "" || r.ResponseContentDisposition != "") && !rule.overrides {
		return nil, invalid("ResponseContentType", "response overrides are only for GetObject and HeadObject", "leave them empty for "+rule.name)
	}
	for i, p := range r.Query {
		if !validParamName(p.Name) {
			return nil, invalid("Query", "a parameter name is empty or has a character other than A-Z a-z 0-9 - . _ ~", "name extra parameters with URL-safe characters, e.g. X-User")
		}
		if reservedParam(p.Name) {
			return nil, invalid("Query", "parameter "+p.Name+" is written by the signer", "use the Request field for it, or another name")
		}
		for _, q := range r.Query[:i] {
			if q.Name == p.Name {
				return nil, invalid("Query", "parameter "+p.Name+" is given twice", "give each extra parameter once")
			}
		}
	}
	return e, nil
}

// endpoint is what a Request's Scheme, Host, Bucket and PathStyle fix:
// checked once, with the URL's and the canonical request's pieces made
// once, and kept by the Signer. It holds copies of the strings, so that
// the Signer keeps nothing of a caller's Request (and escape analysis
// lets a caller keep its Request on the stack).
type endpoint struct {
	scheme, host, bucket string
	pathStyle            bool
	virtual              bool   // bucket in the host name
	urlBase              string // scheme "://" [bucket "."] host
	pathBase             string // "/" or "/" bucket "/"
	hostLine             string // "host:" [bucket "."] signed host "\n\n"
}

// endpoint returns r's endpoint from the cache, or nil.
func (st *state) endpoint(r *Request) *endpoint {
	for i := range st.eps {
		if e := st.eps[i].Load(); e != nil && e.host == r.Host && e.bucket == r.Bucket && e.scheme == r.Scheme && e.pathStyle == r.PathStyle {
			return e
		}
	}
	return nil
}

// newEndpoint checks an endpoint as validate did field by field, in the
// same order, and builds its pieces.
func newEndpoint(rScheme, rHost, rBucket string, pathStyle bool) (*endpoint, error) {
	if rScheme != "https" && rScheme != "http" {
		return nil, invalid("Scheme", "must be \"https\" or \"http\"", "set Scheme to the endpoint's scheme, in lower case")
	}
	// Copies, in new variables (escape analysis does not follow
	// reassignment): the checks below hand host to net/netip, which it
	// sees keeping it, and the endpoint keeps them.
	host, bucket := strings.Clone(rHost), strings.Clone(rBucket)
	if !validHost(host) {
		return nil, invalid("Host", "is not a host[:port]", "set Host to the endpoint's host name or IP address, with an optional port, and nothing else (no scheme, path or bucket)")
	}
	if !validBucket(bucket) {
		return nil, invalid("Bucket", "must be 3 to 255 characters of A-Z a-z 0-9 . _ -", "give the bucket's name alone")
	}
	if directoryBucket(bucket) {
		return nil, invalid("Bucket", "is an S3 Express directory bucket (--x-s3), which signs with session credentials", "use a general purpose bucket")
	}
	scheme := "https" // a constant, not the caller's string
	if rScheme == "http" {
		scheme = "http"
	}
	e := &endpoint{scheme: scheme, host: host, bucket: bucket, pathStyle: pathStyle,
		virtual: !pathStyle && virtualHostable(bucket) && !hostIsIP(host)}
	vhost := host
	if e.virtual {
		vhost = bucket + "." + host
		e.pathBase = "/"
		e.hostLine = "host:" + bucket + "." + signedHost(scheme, host) + "\n\n"
	} else {
		e.pathBase = "/" + bucket + "/"
		e.hostLine = "host:" + signedHost(scheme, host) + "\n\n"
	}
	e.urlBase = scheme + "://" + vhost
	return e, nil
}

// validHost accepts a DNS name or IPv4 address, or a bracketed IPv6
// address, with an optional decimal port: characters net/url and the SDK
// leave as they are.
func validHost(h string) bool {
	name, port := h, ""
	if strings.HasPrefix(h, "[") {
		end := strings.IndexByte(h, ']')
		if end < 0 {
			return false
		}
		if _, err := netip.ParseAddr(h[1:end]); err != nil || strings.Contains(h[1:end], "%") {
			return false
		}
		name, port = "", h[end+1:]
		if port != "" && port[0] != ':' {
			return false
		}
	} else if i := strings.LastIndexByte(h, ':'); i >= 0 {
		name, port = h[:i], h[i:]
	}
	if port != "" {
		port = port[1:]
		if port == "" || len(port) > 5 {
			return false
		}
		for i := 0; i < len(port); i++ {
			if port[i] < '0' || port[i] > '9' {
				return false
			}
		}
	}
	if strings.HasPrefix(h, "[") {
		return true
	}
	if name == "" || len(name) > 253 {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_') {
			return false
		}
	}
	return true
}

// hostIsIP reports whether the host part of host[:port] is an IP address,
// as the SDK's endpoint rules (rulesfn.ParseURL's IsIp) decide it.
func hostIsIP(h string) bool {
	if strings.HasPrefix(h, "[") {
		return true
	}
	if i := strings.LastIndexByte(h, ':'); i >= 0 {
		h = h[:i]
	}
	// Only digits and dots can be an IPv4 address (validHost admits no
	// other form unbracketed); checking first spares a host name the
	// allocation of netip's error.
	for i := 0; i < len(h); i++ {
		if (h[i] < '0' || h[i] > '9') && h[i] != '.' {
			return false
		}
	}
	_, err := netip.ParseAddr(h)
	return err == nil
}

func validBucket(b string) bool {
	if len(b) < 3 || len(b) > 255 {
		return false
	}
	for i := 0; i < len(b); i++ {
		c := b[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_') {
			return false
		}
	}
	return true
}

// directoryBucket reports the S3 Express names (suffix --x-s3 or
// --xa-s3) for which the SDK signs with session credentials it fetches
// itself: not something a pure signer can reproduce.
func directoryBucket(b string) bool {
	l := len(b)
	return l >= 6 && strings.EqualFold(b[l-6:], "--x-s3") || l >= 7 && strings.EqualFold(b[l-7:], "--xa-s3")
}

// virtualHostable is the SDK's awsrulesfn.IsVirtualHostableS3Bucket(b,
// false) on the names validBucket admits: 3 to 63 of a-z 0-9 -.
func virtualHostable(b string) bool {
	if len(b) < 3 || len(b) > 63 {
		return false
	}
	for i := 0; i < len(b); i++ {
		c := b[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// validLabel is the SDK's rulesfn.IsValidHostLabel(s, false), which it
// applies to the region.
func validLabel(s string) bool {
	if len(s) == 0 || len(s) > 63 || s[0] == '-' || s[len(s)-1] == '-' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// validHeaderValue refuses what could not travel in an HTTP header as is:
// control characters and non-ASCII bytes.
func validHeaderValue(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

func validMD5(s string) bool {
	if len(s) != 24 {
		return false
	}
	var sum [18]byte
	n, err := base64.StdEncoding.Decode(sum[:], []byte(s))
	return err == nil && n == 16
}

func validParamName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !unreserved[s[i]] {
			return false
		}
	}
	return true
}

// reservedParam reports the names the signer writes itself, compared
// without case: a second parameter of the same name would either clash
// with the signer's or be read by the server in its place.
func reservedParam(s string) bool {
	if len(s) >= 6 && strings.EqualFold(s[:6], "x-amz-") {
		return true
	}
	for _, r := range [...]string{"x-id", "partNumber", "uploadId", "uploads", "response-content-type", "response-content-disposition"} {
		if strings.EqualFold(s, r) {
			return true
		}
	}
	return false
}
