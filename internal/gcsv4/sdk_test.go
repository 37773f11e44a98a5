package gcsv4_test

import (
	"context"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/byobkit/byob/internal/gcsv4"
)

const md5Hello = "XUFAKrxLKna5cZ2REBfFkg==" // md5("hello"), base64

// identityCases are the inputs on which Sign must return the SDK's URL.
// Each is signed for an hour unless it says otherwise.
var identityCases = []struct {
	name string
	r    gcsv4.Request
	ttl  time.Duration
}{
	// Object names: every character class the escaping treats apart.
	{name: "plain object", r: gcsv4.Request{Method: "GET", Bucket: "my-bucket", Object: "file.txt"}},
	{name: "object with spaces is %20 in path and canonical request", r: gcsv4.Request{Method: "GET", Bucket: "my-bucket", Object: "a file with  spaces.txt"}},
	{name: "unicode object is escaped byte by byte", r: gcsv4.Request{Method: "GET", Bucket: "my-bucket", Object: "ünïcødé/日本語/😀.bin"}},
	{name: "plus in object is %2B, not a space", r: gcsv4.Request{Method: "GET", Bucket: "my-bucket", Object: "c++/a+b"}},
	{name: "percent in object is %25, never decoded", r: gcsv4.Request{Method: "GET", Bucket: "my-bucket", Object: "100%/already%20escaped%2F"}},
	{name: "slashes in object stay path separators", r: gcsv4.Request{Method: "GET", Bucket: "my-bucket", Object: "a/b/c/d.txt"}},
	{name: "double and trailing slashes are kept", r: gcsv4.Request{Method: "GET", Bucket: "my-bucket", Object: "a//b/"}},
	{name: "leading slash in path style", r: gcsv4.Request{Method: "GET", Bucket: "my-bucket", Object: "/rooted"}},
	{name: "tilde is unreserved", r: gcsv4.Request{Method: "GET", Bucket: "my-bucket", Object: "~user/.config"}},
	{name: "question mark in object is escaped, not a query", r: gcsv4.Request{Method: "GET", Bucket: "my-bucket", Object: "what?x=1"}},
	{name: "hash in object is escaped, not a fragment", r: gcsv4.Request{Method: "GET", Bucket: "my-bucket", Object: "issue#8"}},
	{name: "equals and ampersand in object", r: gcsv4.Request{Method: "GET", Bucket: "my-bucket", Object: "k=v&k2=v2"}},
	{name: "every ASCII punctuation in object", r: gcsv4.Request{Method: "GET", Bucket: "my-bucket", Object: " !\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"}},
	{name: "artifact file key", r: gcsv4.Request{Method: "GET", Bucket: "my-bucket", Object: "wandb_artifacts/123/QXJ0aWZhY3Q6MQ==/0cc175b9c0f1b6a831c399e269772661"}},
	{name: "bucket with dots and underscores", r: gcsv4.Request{Method: "GET", Bucket: "my.bucket_1-x", Object: "o"}},

	// Methods.
	{name: "HEAD", r: gcsv4.Request{Method: "HEAD", Bucket: "my-bucket", Object: "file.txt"}},
	{name: "PUT", r: gcsv4.Request{Method: "PUT", Bucket: "my-bucket", Object: "file.txt"}},
	{name: "POST", r: gcsv4.Request{Method: "POST", Bucket: "my-bucket", Object: "file.txt"}},
	{name: "DELETE", r: gcsv4.Request{Method: "DELETE", Bucket: "my-bucket", Object: "file.txt"}},

	// Signed headers.
	{name: "PUT with content type", r: gcsv4.Request{Method: "PUT", Bucket: "my-bucket", Object: "f", ContentType: "application/octet-stream"}},
	{name: "PUT with content type parameters", r: gcsv4.Request{Method: "PUT", Bucket: "my-bucket", Object: "f", ContentType: "text/plain; charset=utf-8"}},
	{name: "PUT content type with inner double space is collapsed", r: gcsv4.Request{Method: "PUT", Bucket: "my-bucket", Object: "f", ContentType: "text/plain;  charset=utf-8"}},
	{name: "PUT with Content-MD5", r: gcsv4.Request{Method: "PUT", Bucket: "my-bucket", Object: "f", MD5: md5Hello}},
	{name: "PUT with content type and Content-MD5", r: gcsv4.Request{Method: "PUT", Bucket: "my-bucket", Object: "f", ContentType: "image/png", MD5: md5Hello}},
	{name: "extra header", r: gcsv4.Request{Method: "PUT", Bucket: "my-bucket", Object: "f", Header: http.Header{"X-Goog-Meta-Owner": {"team-a"}}}},
	{name: "extra header name in lower case", r: gcsv4.Request{Method: "PUT", Bucket: "my-bucket", Object: "f", Header: http.Header{"x-goog-meta-owner": {"team-a"}}}},
	{name: "extra header with several values joins them with commas", r: gcsv4.Request{Method: "PUT", Bucket: "my-bucket", Object: "f", Header: http.Header{"X-Goog-Meta-Tags": {"a", "b c", "d"}}}},
	{name: "extra header value whitespace is trimmed and collapsed", r: gcsv4.Request{Method: "PUT", Bucket: "my-bucket", Object: "f", Header: http.Header{"X-Goog-Meta-Note": {"  two  spaces\tand\t\ttabs  "}}}},
	{name: "extra headers sort around content-type and host", r: gcsv4.Request{Method: "PUT", Bucket: "my-bucket", Object: "f", ContentType: "text/csv", MD5: md5Hello, Header: http.Header{
		"Cache-Control": {"no-cache"}, "X-Goog-Meta-A": {"1"}, "Content-Disposition": {"attachment"}, "If-Match": {"\"etag\""}, "Z-Last": {"z"},
	}}},
	{name: "x-goog-content-sha256 replaces UNSIGNED-PAYLOAD", r: gcsv4.Request{Method: "PUT", Bucket: "my-bucket", Object: "f", Header: http.Header{"X-Goog-Content-Sha256": {"2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"}}}},

	// Signed query parameters.
	{name: "X-User", r: gcsv4.Request{Method: "GET", Bucket: "my-bucket", Object: "f", Query: url.Values{"X-User": {"alice@example.com"}}}},
	{name: "X-User with space, plus and unicode", r: gcsv4.Request{Method: "PUT", Bucket: "my-bucket", Object: "f", Query: url.Values{"X-User": {"Zoë O'Brien+1 /team"}}}},
	{name: "response overrides", r: gcsv4.Request{Method: "GET", Bucket: "my-bucket", Object: "f", Query: url.Values{
		"response-content-type": {"text/plain; charset=utf-8"}, "response-content-disposition": {`attachment; filename="a b+c.txt"`},
	}}},
	{name: "query key sorting before, among and after X-Goog", r: gcsv4.Request{Method: "GET", Bucket: "my-bucket", Object: "f", Query: url.Values{
		"A": {"first"}, "X-Goog-Custom-Audit-Job": {"j 1"}, "x-goog-custom-audit-run": {"r"}, "zeta": {"last"}, "X-Goog-Sign": {"between"},
	}}},
	{name: "query key with several values keeps their order", r: gcsv4.Request{Method: "GET", Bucket: "my-bucket", Object: "f", Query: url.Values{"tag": {"b", "a", "b"}}}},
	{name: "query key and value with reserved characters", r: gcsv4.Request{Method: "GET", Bucket: "my-bucket", Object: "f", Query: url.Values{"k&=?#": {"v&=?#/%+ "}}}},
	{name: "empty query value", r: gcsv4.Request{Method: "GET", Bucket: "my-bucket", Object: "f", Query: url.Values{"X-User": {""}}}},

	// The XML multipart API.
	{name: "multipart start: POST uploads", r: gcsv4.Request{Method: "POST", Bucket: "my-bucket", Object: "big.bin", ContentType: "application/octet-stream", Query: url.Values{"uploads": {""}, "X-User": {"alice"}}}},
	{name: "multipart part: PUT partNumber and uploadId with Content-MD5", r: gcsv4.Request{Method: "PUT", Bucket: "my-bucket", Object: "big.bin", MD5: md5Hello, Query: url.Values{"partNumber": {"10000"}, "uploadId": {"ABPnzm5-up/load+id=="}}}},
	{name: "multipart complete: POST uploadId", r: gcsv4.Request{Method: "POST", Bucket: "my-bucket", Object: "big.bin", ContentType: "application/xml", Query: url.Values{"uploadId": {"ABPnzm5-up/load+id=="}}}},
	{name: "multipart abort: DELETE uploadId", r: gcsv4.Request{Method: "DELETE", Bucket: "my-bucket", Object: "big.bin", Query: url.Values{"uploadId": {"ABPnzm5-up/load+id=="}}}},

	// Styles and hosts.
	{name: "virtual-hosted style", r: gcsv4.Request{Method: "GET", Bucket: "my-bucket", Object: "a b/c+d", Style: gcsv4.VirtualHostedStyle}},
	{name: "virtual-hosted style PUT with headers and query", r: gcsv4.Request{Method: "PUT", Bucket: "my-bucket", Object: "f", Style: gcsv4.VirtualHostedStyle, ContentType: "text/plain", MD5: md5Hello, Query: url.Values{"X-User": {"bob"}}}},
	{name: "explicit default endpoint", r: gcsv4.Request{Method: "GET", Bucket: "my-bucket", Object: "f", Endpoint: "https://storage.googleapis.com"}},
	{name: "emulator endpoint over http with port: host signed without port", r: gcsv4.Request{Method: "GET", Bucket: "my-bucket", Object: "f", Endpoint: "http://127.0.0.1:4443"}},
	{name: "custom https endpoint", r: gcsv4.Request{Method: "PUT", Bucket: "my-bucket", Object: "f", Endpoint: "https://storage.example.com", ContentType: "text/plain"}},
	{name: "localhost endpoint in virtual-hosted style", r: gcsv4.Request{Method: "GET", Bucket: "my-bucket", Object: "f", Endpoint: "http://localhost:9000", Style: gcsv4.VirtualHostedStyle}},
	{name: "IPv6 endpoint in path style", r: gcsv4.Request{Method: "GET", Bucket: "my-bucket", Object: "f", Endpoint: "http://[::1]:8080"}},

	// Expiries.
	{name: "expiry of 1 s, the shortest", r: gcsv4.Request{Method: "GET", Bucket: "my-bucket", Object: "f"}, ttl: time.Second},
	{name: "expiry of 24 h, the PUT default", r: gcsv4.Request{Method: "PUT", Bucket: "my-bucket", Object: "f"}, ttl: 24 * time.Hour},
	{name: "expiry of 7 days, the longest", r: gcsv4.Request{Method: "GET", Bucket: "my-bucket", Object: "f"}, ttl: gcsv4.MaxExpiry},
}

// TestSignMatchesSDK: on every input, with the key and through SignBytes,
// Sign returns exactly the SDK's URL (signature included: PKCS #1 v1.5 is
// deterministic), and the two identities give one URL.
func TestSignMatchesSDK(t *testing.T) {
	t.Setenv("STORAGE_EMULATOR_HOST", "") // the SDK would read it; gcsv4 never does
	_, pemKey := testKey()
	withKey, withBytes := keySigner(t), bytesSigner(t)
	for _, tc := range identityCases {
		t.Run(tc.name, func(t *testing.T) {
			ttl := tc.ttl
			if ttl == 0 {
				ttl = time.Hour
			}
			r := tc.r
			want := sdkSign(t, &r, ttl, pemKey, nil)
			got, err := withKey.Sign(context.Background(), &r)
			if err != nil {
				t.Fatalf("Sign: %v", err)
			}
			if got != want {
				t.Fatalf("Sign with key differs from the SDK's PEM key:\n got %s\nwant %s", got, want)
			}
			viaBytes, err := withBytes.Sign(context.Background(), &r)
			if err != nil {
				t.Fatalf("Sign through SignBytes: %v", err)
			}
			if viaBytes != got {
				t.Fatalf("SignBytes URL differs from the key's at the same time:\n got %s\nwant %s", viaBytes, got)
			}

			r2 := tc.r
			want = sdkSign(t, &r2, ttl, nil, signWithTestKey)
			got, err = withBytes.Sign(context.Background(), &r2)
			if err != nil {
				t.Fatalf("Sign through SignBytes: %v", err)
			}
			if got != want {
				t.Fatalf("Sign through SignBytes differs from the SDK's SignBytes:\n got %s\nwant %s", got, want)
			}
		})
	}
}
