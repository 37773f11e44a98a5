package presign

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Request is a pre-signed request: what a client sends to the storage
// service, with no credentials of its own. gocloud's SignedURL returns only
// a URL and loses the headers the signature binds; a Request keeps them.
//
// Its URL carries the signature: treat it as a secret until it expires.
// String, every fmt verb, log/slog and encoding/json print it with the
// signature (and any credential or token in the query) replaced by
// REDACTED; read the URL field itself only to hand it to the client.
type Request struct {
	// Method is the HTTP method the URL is signed for: GET, HEAD, PUT or
	// POST (multipart create and complete).
	Method string
	// URL is the signed URL.
	URL string
	// Header holds the headers the client must send as they are: the
	// signed ones (Content-Type, Content-MD5 where the provider binds
	// them) and the ones the service requires (Azure's x-ms-blob-type).
	Header http.Header
	// Expires is when the URL stops working: the requested expiry, or
	// earlier when the credentials it is signed with expire first.
	Expires time.Time
}

// redacted is what replaces a secret value in printed requests.
const redacted = "REDACTED"

// secretParams are the query parameters that carry a signature, a
// credential or a token, compared in lower case: SigV4 (S3, CoreWeave,
// S3-compatible), GCS V4, Azure SAS (sig, and a user delegation key's
// skoid/sktid, which name the identity) and byob's own local signature.
var secretParams = map[string]bool{
	"x-amz-signature": true, "x-amz-credential": true, "x-amz-security-token": true,
	"x-goog-signature": true, "x-goog-credential": true,
	"sig": true, "skoid": true, "sktid": true,
	"byob-signature": true,
}

// RedactURL returns u with the values of every query parameter that
// carries a signature, credential or token replaced by REDACTED, and any
// userinfo dropped. A URL that does not parse is replaced whole.
func RedactURL(u string) string {
	base, query, ok := strings.Cut(u, "?")
	if strings.Contains(base, "@") {
		return redacted
	}
	if !ok {
		return u
	}
	parts := strings.Split(query, "&")
	for i, p := range parts {
		name, _, hasValue := strings.Cut(p, "=")
		dec, err := url.QueryUnescape(name)
		if err != nil {
			return base + "?" + redacted
		}
		if hasValue && secretParams[strings.ToLower(dec)] {
			parts[i] = name + "=" + redacted
		}
	}
	return base + "?" + strings.Join(parts, "&")
}

// String prints the method, the redacted URL and the expiry.
func (r Request) String() string {
	return r.Method + " " + RedactURL(r.URL) + " (expires " + r.Expires.UTC().Format(time.RFC3339) + ")"
}

// GoString is String, so %#v leaks nothing.
func (r Request) GoString() string { return "presign.Request(" + r.String() + ")" }

// Format prints String under every verb.
func (r Request) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		fmt.Fprint(f, r.GoString())
		return
	}
	fmt.Fprint(f, r.String())
}

// LogValue makes log/slog print the request redacted.
func (r Request) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("method", r.Method),
		slog.String("url", RedactURL(r.URL)),
		slog.Time("expires", r.Expires),
	)
}

// MarshalJSON encodes the request with its URL redacted, so a Request in
// a JSON log line leaks nothing. Send a client the fields one by one.
func (r Request) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Method  string      `json:"method"`
		URL     string      `json:"url"`
		Header  http.Header `json:"header,omitempty"`
		Expires time.Time   `json:"expires"`
	}{r.Method, RedactURL(r.URL), r.Header, r.Expires})
}
