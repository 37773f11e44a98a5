package presign

import (
	"encoding/base64"
	"errors"
	"mime"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"
)

// This file holds the parts of the local protocol the signer and the
// handler share: the base URL, the escaping, the canonical query and the
// string to sign (see LocalSigner for the specification).

// The local protocol's query parameters.
const (
	paramUser            = "X-User"
	paramAlgorithm       = "byob-algorithm"
	paramExpires         = "byob-expires"
	paramSignedHeaders   = "byob-signed-headers"
	paramSignature       = "byob-signature"
	paramPartNumber      = "partNumber"
	paramRespDisposition = "response-content-disposition"
	paramRespType        = "response-content-type"
	paramUploadID        = "uploadId"
	paramUploads         = "uploads"
)

// The headers a local URL can bind, and the values of byob-signed-headers.
const (
	headerMD5  = "content-md5"
	headerType = "content-type"
)

// localBase is a checked base URL.
type localBase struct {
	origin string // scheme://host[:port]
	path   string // "" or the escaped mount path, "/a/b", with no trailing '/'
}

// parseLocalBase checks a base URL. Its errors never quote the input,
// which may hold userinfo.
func parseLocalBase(raw string) (localBase, error) {
	if raw == "" {
		return localBase{}, errors.New("it is empty")
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return localBase{}, errors.New("it does not parse as a URL")
	case u.Scheme != "http" && u.Scheme != "https":
		return localBase{}, errors.New("its scheme is not http or https")
	case u.User != nil:
		return localBase{}, errors.New("it carries userinfo (user:password@), which a URL handed to clients must not")
	case u.Opaque != "" || u.Host == "":
		return localBase{}, errors.New("it names no host")
	case u.RawQuery != "" || u.ForceQuery:
		return localBase{}, errors.New("it has a query")
	case u.Fragment != "" || strings.Contains(raw, "#"):
		return localBase{}, errors.New("it has a fragment")
	}
	path := strings.TrimSuffix(u.EscapedPath(), "/")
	if path != "" {
		for seg := range strings.SplitSeq(path[1:], "/") {
			dec, ok := decodeCanonical(seg, false)
			if !ok || dec == "" || dec == "." || dec == ".." {
				return localBase{}, errors.New("its path is not made of non-empty segments in canonical escaping (A-Z a-z 0-9 - . _ ~ and upper-case %XX), without '.' or '..'")
			}
		}
	}
	return localBase{origin: u.Scheme + "://" + u.Host, path: path}, nil
}

// unreserved reports whether c is an RFC 3986 unreserved character, the
// only ones the protocol writes unescaped.
func unreserved(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
		c == '-' || c == '.' || c == '_' || c == '~'
}

const upperHex = "0123456789ABCDEF"

// appendEscaped appends s in the protocol's escaping: unreserved bytes as
// they are, '/' as it is when keepSlash, everything else %XX.
func appendEscaped(dst []byte, s string, keepSlash bool) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if unreserved(c) || keepSlash && c == '/' {
			dst = append(dst, c)
			continue
		}
		dst = append(dst, '%', upperHex[c>>4], upperHex[c&15])
	}
	return dst
}

// decodeCanonical decodes s, which must be in exactly the escaping
// appendEscaped writes: no other escape of a byte (%2F for '/' in a path,
// %41 for 'A', %2f), and no other literal byte. It never cleans: a path in
// another form is refused, not rewritten.
func decodeCanonical(s string, keepSlash bool) (string, bool) {
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '%':
			if i+2 >= len(s) || !isUpperHex(s[i+1]) || !isUpperHex(s[i+2]) {
				return "", false
			}
			b := unhex(s[i+1])<<4 | unhex(s[i+2])
			if unreserved(b) || keepSlash && b == '/' {
				return "", false // written escaped, but canonically literal
			}
			i += 2
			n++
		case unreserved(c) || keepSlash && c == '/':
			n++
		default:
			return "", false
		}
	}
	if n == len(s) {
		return s, true
	}
	b := make([]byte, 0, n)
	for i := 0; i < len(s); i++ {
		if s[i] == '%' {
			b = append(b, unhex(s[i+1])<<4|unhex(s[i+2]))
			i += 2
			continue
		}
		b = append(b, s[i])
	}
	return string(b), true
}

func isUpperHex(c byte) bool { return '0' <= c && c <= '9' || 'A' <= c && c <= 'F' }

func unhex(c byte) byte {
	if c <= '9' {
		return c - '0'
	}
	return c - 'A' + 10
}

// localParams are a local URL's parameters other than the signature.
type localParams struct {
	user            string // "" = absent
	expires         int64
	signedHeaders   string // "", "content-md5", "content-type" or "content-md5;content-type"
	partNumber      int    // 0 = absent
	respDisposition string
	respType        string
	uploadID        string
	uploads         bool
}

// setSignedHeaders sets byob-signed-headers for the headers that are bound
// (non-empty).
func (p *localParams) setSignedHeaders(md5, ctype string) {
	switch {
	case md5 != "" && ctype != "":
		p.signedHeaders = headerMD5 + ";" + headerType
	case md5 != "":
		p.signedHeaders = headerMD5
	case ctype != "":
		p.signedHeaders = headerType
	default:
		p.signedHeaders = ""
	}
}

// appendCanonicalQuery appends the canonical query: the parameters sorted
// by name in byte order (the order they are written in here), escaped.
func (p *localParams) appendCanonicalQuery(dst []byte) []byte {
	if p.user != "" {
		dst = append(dst, paramUser+"="...)
		dst = appendEscaped(dst, p.user, false)
		dst = append(dst, '&')
	}
	dst = append(dst, paramAlgorithm+"="+LocalAlgorithm+"&"+paramExpires+"="...)
	dst = strconv.AppendInt(dst, p.expires, 10)
	if p.signedHeaders != "" {
		dst = append(dst, "&"+paramSignedHeaders+"="...)
		dst = appendEscaped(dst, p.signedHeaders, false)
	}
	if p.partNumber != 0 {
		dst = append(dst, "&"+paramPartNumber+"="...)
		dst = strconv.AppendInt(dst, int64(p.partNumber), 10)
	}
	if p.respDisposition != "" {
		dst = append(dst, "&"+paramRespDisposition+"="...)
		dst = appendEscaped(dst, p.respDisposition, false)
	}
	if p.respType != "" {
		dst = append(dst, "&"+paramRespType+"="...)
		dst = appendEscaped(dst, p.respType, false)
	}
	if p.uploadID != "" {
		dst = append(dst, "&"+paramUploadID+"="...)
		dst = append(dst, p.uploadID...)
	}
	if p.uploads {
		dst = append(dst, "&"+paramUploads+"="...)
	}
	return dst
}

// appendSTSHead appends the string to sign's first two lines.
func appendSTSHead(dst []byte, method string) []byte {
	dst = append(dst, LocalAlgorithm+"\n"...)
	dst = append(dst, method...)
	return append(dst, '\n')
}

// appendSTSHeaders appends the signed headers' lines. The values cannot
// hold a newline: HTTP forbids it, and the signer's checks refuse it.
func appendSTSHeaders(dst []byte, signedHeaders, md5, ctype string) []byte {
	if strings.HasPrefix(signedHeaders, headerMD5) {
		dst = append(dst, headerMD5+":"...)
		dst = append(dst, md5...)
		dst = append(dst, '\n')
	}
	if strings.HasSuffix(signedHeaders, headerType) {
		dst = append(dst, headerType+":"...)
		dst = append(dst, ctype...)
		dst = append(dst, '\n')
	}
	return dst
}

// validUploadID reports whether id has the form of the upload ids a Handler
// makes: 32 lower-case hex digits. Nothing else can name a staging path.
func validUploadID(id string) bool {
	if len(id) != 32 {
		return false
	}
	for i := 0; i < len(id); i++ {
		if c := id[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// Limits on the values a local URL carries, so that neither side handles
// a value no client needs.
const (
	maxContentType = 256
	maxHeaderText  = 1024
	maxUser        = 256
)

// printableASCII reports whether s is printable ASCII, the only bytes a
// header value written back to a client may hold.
func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// checkContentType returns what is wrong with a media type, or "".
func checkContentType(v string) string {
	if len(v) > maxContentType || !printableASCII(v) {
		return "a content type is printable ASCII of at most " + strconv.Itoa(maxContentType) + " bytes"
	}
	if _, _, err := mime.ParseMediaType(v); err != nil {
		return "the content type is not a media type such as text/plain; charset=utf-8"
	}
	return ""
}

// checkContentMD5 returns what is wrong with a Content-MD5 value, or "".
func checkContentMD5(v string) string {
	if _, ok := decodeMD5(v); !ok {
		return "a Content-MD5 is the base64 (with padding) of the 16-byte MD5"
	}
	return ""
}

// decodeMD5 decodes a Content-MD5 value.
func decodeMD5(v string) ([16]byte, bool) {
	var sum [16]byte
	if len(v) != 24 {
		return sum, false
	}
	n, err := base64.StdEncoding.Strict().Decode(sum[:], []byte(v))
	return sum, err == nil && n == 16
}

// checkHeaderText returns what is wrong with a response header value, or "".
func checkHeaderText(v string) string {
	if len(v) > maxHeaderText || !printableASCII(v) {
		return "the value is printable ASCII of at most " + strconv.Itoa(maxHeaderText) + " bytes"
	}
	return ""
}

// checkUser returns what is wrong with a requester identity, or "".
func checkUser(v string) string {
	if len(v) > maxUser || !utf8.ValidString(v) {
		return "a user is valid UTF-8 of at most " + strconv.Itoa(maxUser) + " bytes"
	}
	for _, r := range v {
		if r < 0x20 || r == 0x7f || 0x80 <= r && r <= 0x9f {
			return "a user contains no control characters"
		}
	}
	return ""
}
