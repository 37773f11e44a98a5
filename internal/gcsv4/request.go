package gcsv4

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Style is how the URL addresses the bucket.
type Style int

const (
	// PathStyle puts the bucket in the path: {endpoint}/{bucket}/{object}.
	// It is the SDK's default and what emulators serve.
	PathStyle Style = iota
	// VirtualHostedStyle puts the bucket in the host name:
	// {scheme}://{bucket}.{endpoint host}/{object}.
	VirtualHostedStyle
)

// MaxExpiry is the longest life GCS accepts for a V4 signed URL.
const MaxExpiry = 7 * 24 * time.Hour

// Request is everything one signed URL depends on besides the identity.
// The zero values of the optional fields add nothing to the URL.
type Request struct {
	// Method is GET, HEAD, PUT, POST or DELETE, in upper case. POST and
	// DELETE serve the XML multipart API (POST ?uploads to start, POST
	// ?uploadId= to complete, DELETE ?uploadId= to abort).
	Method string
	// Bucket is the bucket's name: 3 to 222 of a-z 0-9 . _ -, starting and
	// ending with a letter or digit.
	Bucket string
	// Object is the object's name (its key): 1 to 1024 bytes of UTF-8,
	// without CR or LF, not "." or "..". Any other character is escaped.
	Object string
	// Style chooses path-style or virtual-hosted-style addressing.
	Style Style
	// Endpoint is "scheme://host[:port]" (scheme http or https, no path,
	// no userinfo), for emulators and private endpoints; "" means
	// https://storage.googleapis.com. Unlike the SDK, the package never reads
	// STORAGE_EMULATOR_HOST: a URL depends on its Request only.
	Endpoint string
	// Time is the signing time (X-Goog-Date, truncated to the second).
	// Required: the package has no clock of its own.
	Time time.Time
	// Expires is when the URL stops working. X-Goog-Expires is
	// Expires-Time in whole seconds, truncated as the SDK does; it must
	// come to between 1 s and 7 days (MaxExpiry).
	Expires time.Time
	// ContentType, if set, is signed: the client must send exactly this
	// Content-Type header. Printable ASCII, no leading or trailing space.
	ContentType string
	// MD5, if set, is the base64 of the body's 16-byte MD5, signed as the
	// Content-MD5 header the client must send (GCS then also checks the
	// body against it).
	MD5 string
	// Header holds extra headers to sign (x-goog-meta-*, for example); the
	// client must send them with these values. Names are matched without
	// regard to case and may not be Host, Content-Type or Content-MD5
	// (use the fields above). Several values of one name are signed
	// joined by commas, as a server joins repeated headers.
	Header http.Header
	// Query holds extra query parameters to sign and put in the URL:
	// X-User, response-content-type, response-content-disposition,
	// partNumber, uploadId, uploads (with the value "")... The X-Goog-*
	// parameters of the signature itself may not be given.
	Query url.Values
}

// reservedQuery are the signature's own query parameters, in sorted order.
var reservedQuery = [...]string{
	"X-Goog-Algorithm", "X-Goog-Credential", "X-Goog-Date", "X-Goog-Expires",
	"X-Goog-Signature", "X-Goog-SignedHeaders",
}

// methods GCS V4 signed URLs serve (the SDK's list).
var methods = [...]string{http.MethodGet, http.MethodHead, http.MethodPut, http.MethodPost, http.MethodDelete}

const (
	iso8601      = "20060102T150405Z"
	yearMonthDay = "20060102"
	// payloadHeader, when signed, replaces UNSIGNED-PAYLOAD in the
	// canonical request.
	payloadHeader = "x-goog-content-sha256"
)

// header is one canonical header line: lower-case name and its value with
// whitespace runs collapsed to one space.
type header struct{ name, value string }

// param is one query parameter, in Request.Query's form (not escaped).
type param struct {
	key    string
	values []string
}

// prepared is a validated Request, in the pieces the signature is built from.
type prepared struct {
	method   string
	scheme   string   // "https" or "http"
	host     string   // the URL's host[:port]
	path     string   // escaped path without its leading '/'
	date     string   // X-Goog-Date
	day      string   // the credential scope's date
	expires  string   // X-Goog-Expires
	headers  []header // sorted by name
	payload  string   // UNSIGNED-PAYLOAD or the x-goog-content-sha256 value
	userKeys []param  // Request.Query, sorted by key
}

// prepare validates r and computes what the signature needs. Its rules are
// those of GCS, where the SDK would sign something GCS rejects or reads
// otherwise; on every request it accepts, the result is the SDK's.
func (r *Request) prepare() (*prepared, error) {
	p := &prepared{}
	if !slices.Contains(methods[:], r.Method) {
		return nil, invalid("Method", "not a method GCS V4 signed URLs serve", "use GET, HEAD, PUT, POST or DELETE, in upper case")
	}
	p.method = r.Method
	if err := checkBucket(r.Bucket); err != nil {
		return nil, err
	}
	if err := checkObject(r.Object); err != nil {
		return nil, err
	}
	scheme, host, err := parseEndpoint(r.Endpoint)
	if err != nil {
		return nil, err
	}
	p.scheme = scheme
	var path []byte
	switch r.Style {
	case PathStyle:
		p.host = host
		path = appendEscape(make([]byte, 0, 3*(len(r.Bucket)+1+len(r.Object))), r.Bucket+"/"+r.Object, false, true)
	case VirtualHostedStyle:
		if r.Object[0] == '/' {
			// The SDK signs the path "//x" but its URL reads "/x", which
			// names another object: GCS would refuse the signature.
			return nil, invalid("Object", "starts with '/', which virtual-hosted URLs cannot address", "use PathStyle for object names that start with '/'")
		}
		if host[0] == '[' {
			// The SDK writes "bucket.[::1]:port", which no URL parser reads.
			return nil, invalid("Style", "is virtual-hosted with an IPv6 endpoint, which cannot take the bucket in front", "use PathStyle with an IP-address endpoint")
		}
		p.host = r.Bucket + "." + host
		path = appendEscape(make([]byte, 0, 3*len(r.Object)), r.Object, false, true)
	default:
		return nil, invalid("Style", "not a known style", "use gcsv4.PathStyle or gcsv4.VirtualHostedStyle")
	}
	p.path = string(path)

	if r.Time.IsZero() {
		return nil, invalid("Time", "is zero", "pass the signing time: the package has no clock of its own")
	}
	now := r.Time.UTC()
	p.date = now.Format(iso8601)
	p.day = now.Format(yearMonthDay)
	if r.Expires.IsZero() {
		return nil, invalid("Expires", "is zero", "set when the URL should stop working, at most 7 days after Time")
	}
	// Bounds on the Duration first, so that the float conversion below
	// cannot overflow an int; they are the SDK's (under 604801 s).
	switch d := r.Expires.Sub(now); {
	case d < time.Second:
		return nil, invalid("Expires", "is less than 1 s after Time", "set Expires later than Time")
	case d >= MaxExpiry+time.Second:
		return nil, invalid("Expires", "is more than 7 days after Time, the longest GCS accepts", "sign again later instead of signing for longer")
	default:
		// The SDK's arithmetic, exactly: a float of seconds, truncated.
		p.expires = strconv.Itoa(int(d.Seconds()))
	}

	hs, payload, err := canonicalHeaders(r, (&url.URL{Host: p.host}).Hostname())
	if err != nil {
		return nil, err
	}
	p.headers, p.payload = hs, payload

	for k, vs := range r.Query {
		switch {
		case k == "":
			return nil, invalid("Query", "has an empty parameter name", "remove it")
		case isReserved(k):
			return nil, invalid("Query", "sets "+strconv.Quote(k)+", a parameter of the signature itself", "remove it: Sign writes the X-Goog-* parameters")
		case len(vs) == 0:
			return nil, invalid("Query", "parameter "+strconv.Quote(k)+" has no value, so the SDK would drop it silently", `give it a value; a bare parameter such as "uploads" takes []string{""}`)
		}
		p.userKeys = append(p.userKeys, param{k, vs})
	}
	slices.SortFunc(p.userKeys, func(a, b param) int { return strings.Compare(a.key, b.key) })
	return p, nil
}

func isReserved(k string) bool {
	for _, r := range reservedQuery {
		if strings.EqualFold(k, r) {
			return true
		}
	}
	return false
}

// checkBucket applies GCS's bucket naming rules: a name that breaks them
// cannot exist, and in virtual-hosted style it becomes part of a host name.
func checkBucket(b string) error {
	const fix = "use the bucket's name: 3 to 222 of a-z 0-9 . _ -, starting and ending with a letter or digit"
	if len(b) < 3 || len(b) > 222 {
		return invalid("Bucket", "is "+strconv.Itoa(len(b))+" bytes long, not 3 to 222", fix)
	}
	for i := 0; i < len(b); i++ {
		c := b[i]
		alnum := 'a' <= c && c <= 'z' || '0' <= c && c <= '9'
		if !alnum && c != '.' && c != '_' && c != '-' {
			return invalid("Bucket", "has a character GCS bucket names cannot have, at byte "+strconv.Itoa(i), fix)
		}
		if !alnum && (i == 0 || i == len(b)-1) {
			return invalid("Bucket", "does not start and end with a letter or digit", fix)
		}
	}
	return nil
}

// checkObject applies GCS's object naming rules. The name itself is never
// quoted: it is the caller's data.
func checkObject(o string) error {
	switch {
	case o == "":
		return invalid("Object", "is empty", "name the object; signing a bucket-level URL is not supported")
	case len(o) > 1024:
		return invalid("Object", "is "+strconv.Itoa(len(o))+" bytes long; GCS allows 1024", "use a shorter name")
	case !utf8.ValidString(o):
		return invalid("Object", "is not valid UTF-8, which GCS requires", "encode the name as UTF-8")
	case strings.ContainsAny(o, "\r\n"):
		return invalid("Object", "contains CR or LF, which GCS forbids", "remove them from the name")
	case o == "." || o == "..":
		return invalid("Object", `is "." or "..", which GCS forbids`, "use another name")
	}
	return nil
}

// parseEndpoint splits Request.Endpoint into a scheme and a host[:port].
// The endpoint is never quoted in errors: a mistyped one could hold
// credentials.
func parseEndpoint(e string) (scheme, host string, err error) {
	if e == "" {
		return "https", "storage.googleapis.com", nil
	}
	const fix = `write "https://host" or "http://host:port", with nothing after the host`
	u, perr := url.Parse(e)
	switch {
	case perr != nil:
		return "", "", invalid("Endpoint", "is not a URL", fix)
	case u.Scheme != "http" && u.Scheme != "https":
		return "", "", invalid("Endpoint", "has a scheme other than http or https", fix)
	case u.User != nil:
		return "", "", invalid("Endpoint", "carries userinfo, which a signed URL must not", fix)
	case u.Opaque != "" || u.Path != "" || u.RawQuery != "" || u.ForceQuery || u.Fragment != "":
		return "", "", invalid("Endpoint", "has something after the host", fix)
	case u.Host == "":
		return "", "", invalid("Endpoint", "has no host", fix)
	}
	for i := 0; i < len(u.Host); i++ {
		c := u.Host[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte(".-:[]", c) >= 0) {
			return "", "", invalid("Endpoint", "has a host with a character other than letters, digits and .-:[]", fix)
		}
	}
	return u.Scheme, u.Host, nil
}

// canonicalHeaders returns the signed headers sorted by name, with values
// canonicalized as the SDK does (runs of whitespace become one space,
// repeated values join with commas), and the payload line.
func canonicalHeaders(r *Request, hostname string) ([]header, string, error) {
	hs := make([]header, 0, 3+len(r.Header))
	hs = append(hs, header{"host", hostname})
	if r.ContentType != "" {
		if !printable(r.ContentType, false) || r.ContentType[0] == ' ' || r.ContentType[len(r.ContentType)-1] == ' ' {
			return nil, "", invalid("ContentType", "has a control or non-ASCII character, or leading or trailing space", "use a media type such as text/plain; charset=utf-8")
		}
		hs = append(hs, header{"content-type", collapse(r.ContentType)})
	}
	if r.MD5 != "" {
		if sum, err := base64.StdEncoding.Strict().DecodeString(r.MD5); err != nil || len(sum) != 16 || len(r.MD5) != 24 || strings.ContainsAny(r.MD5, "\r\n") {
			return nil, "", invalid("MD5", "is not the base64 of a 16-byte MD5", "pass base64.StdEncoding.EncodeToString(sum[:]) of md5.Sum(body)")
		}
		hs = append(hs, header{"content-md5", r.MD5})
	}
	payload := "UNSIGNED-PAYLOAD"
	for name, vs := range r.Header {
		lname := strings.ToLower(name)
		switch {
		case !isToken(name):
			return nil, "", invalid("Header", "has a name that is not an HTTP token", "use names such as x-goog-meta-owner")
		case lname == "host" || lname == "content-type" || lname == "content-md5":
			return nil, "", invalid("Header", "sets "+strconv.Quote(lname)+", which Sign writes itself", "use Request.Endpoint, ContentType or MD5")
		case strings.HasPrefix(lname, payloadHeader) && lname != payloadHeader:
			// The SDK takes any header with this prefix for the payload hash.
			return nil, "", invalid("Header", "has a name that starts with "+payloadHeader+" but is another header", "remove it")
		case len(vs) == 0:
			return nil, "", invalid("Header", strconv.Quote(lname)+" has no value, so the SDK would drop it silently", "give it a value or remove it")
		case lname == payloadHeader && len(vs) != 1:
			return nil, "", invalid("Header", payloadHeader+" has several values", "send the body's SHA-256 once")
		}
		var v strings.Builder
		for i, s := range vs {
			if !printable(s, true) || strings.Trim(s, " \t") == "" {
				return nil, "", invalid("Header", strconv.Quote(lname)+" has an empty value, or a control or non-ASCII character", "send printable ASCII")
			}
			if i > 0 {
				v.WriteByte(',')
			}
			v.WriteString(collapse(s))
		}
		hs = append(hs, header{lname, v.String()})
		if lname == payloadHeader {
			payload = v.String()
		}
	}
	slices.SortFunc(hs, func(a, b header) int { return strings.Compare(a.name, b.name) })
	for i := 1; i < len(hs); i++ {
		if hs[i].name == hs[i-1].name {
			return nil, "", invalid("Header", "names "+strconv.Quote(hs[i].name)+" twice, in different cases", "merge the values under one name")
		}
	}
	return hs, payload, nil
}

// printable reports whether s is printable ASCII (and tabs, if allowed).
func printable(s string, tab bool) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < ' ' || c > '~') && !(tab && c == '\t') {
			return false
		}
	}
	return true
}

// collapse trims s and turns each run of spaces and tabs into one space, as
// the SDK's strings.Fields join does (s is ASCII without other controls).
func collapse(s string) string {
	s = strings.Trim(s, " \t")
	if !strings.Contains(s, "  ") && !strings.ContainsRune(s, '\t') {
		return s
	}
	return strings.Join(strings.Fields(s), " ")
}

// isToken reports whether s is an HTTP header name (RFC 9110 token).
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0) {
			return false
		}
	}
	return true
}
