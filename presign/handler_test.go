package presign

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestHandlerServesSignedRequests: a signed PUT writes the object (ETag:
// its quoted MD5, as S3), and signed GETs and HEADs read it back with its
// type, length, ETag, the requested overrides and ranges.
func TestHandlerServesSignedRequests(t *testing.T) {
	for _, kind := range embedded {
		t.Run(kind, func(t *testing.T) {
			e := newEnv(t, kind)
			data := []byte("0123456789abcdefghij")
			const key = "runs/a b+c/ü.txt"
			put := e.sign(t, key, LocalOptions{Method: "PUT", ContentType: "text/plain", ContentMD5: md5b64(data), User: "alice"})
			res := e.send(t, put, data, nil)
			if res.status != http.StatusOK || res.header.Get("ETag") != md5etag(data) {
				t.Fatalf("PUT: %d %s ETag %q; want 200 and %s", res.status, res.body, res.header.Get("ETag"), md5etag(data))
			}
			if got := e.objects(t); got[key] != string(data) || len(got) != 1 {
				t.Fatalf("the bucket holds %q", got)
			}
			get := e.sign(t, key, LocalOptions{Method: "GET"})
			for _, tc := range []struct {
				name    string
				req     Request
				rng     string
				status  int
				body    string
				headers map[string]string
			}{
				{"GET", get, "", 200, string(data), map[string]string{"Content-Type": "text/plain", "Content-Length": "20",
					"ETag": md5etag(data), "Accept-Ranges": "bytes", "Content-Disposition": ""}},
				{"HEAD", e.sign(t, key, LocalOptions{Method: "HEAD"}), "", 200, "", map[string]string{"Content-Length": "20", "ETag": md5etag(data)}},
				{"GET with response overrides", e.sign(t, key, LocalOptions{Method: "GET", ResponseContentType: "application/x-test",
					ResponseContentDisposition: `attachment; filename="x.txt"`}), "", 200, string(data),
					map[string]string{"Content-Type": "application/x-test", "Content-Disposition": `attachment; filename="x.txt"`}},
				{"range first-last", get, "bytes=2-5", 206, "2345", map[string]string{"Content-Range": "bytes 2-5/20", "Content-Length": "4", "ETag": md5etag(data)}},
				{"range first-", get, "bytes=15-", 206, "fghij", map[string]string{"Content-Range": "bytes 15-19/20"}},
				{"range suffix", get, "bytes=-3", 206, "hij", map[string]string{"Content-Range": "bytes 17-19/20"}},
				{"range past the end is cut", get, "bytes=18-99", 206, "ij", map[string]string{"Content-Range": "bytes 18-19/20"}},
				{"suffix longer than the object", get, "bytes=-99", 206, string(data), map[string]string{"Content-Range": "bytes 0-19/20"}},
				{"range outside the object", get, "bytes=20-", 416, "", map[string]string{"Content-Range": "bytes */20"}},
				{"several ranges get the whole object", get, "bytes=0-1,4-5", 200, string(data), nil},
				{"malformed range gets the whole object", get, "bytes=x-1", 200, string(data), nil},
				{"other unit gets the whole object", get, "items=0-1", 200, string(data), nil},
			} {
				t.Run(tc.name, func(t *testing.T) {
					res := e.send(t, tc.req, nil, func(r *http.Request) {
						if tc.rng != "" {
							r.Header.Set("Range", tc.rng)
						}
					})
					if res.status != tc.status || tc.status != 416 && string(res.body) != tc.body {
						t.Fatalf("got %d %q; want %d %q", res.status, res.body, tc.status, tc.body)
					}
					for k, v := range tc.headers {
						if got := res.header.Get(k); got != v {
							t.Errorf("%s: %q; want %q", k, got, v)
						}
					}
				})
			}
			t.Run("If-Range with another ETag gets the whole object", func(t *testing.T) {
				res := e.send(t, get, nil, func(r *http.Request) { r.Header.Set("Range", "bytes=0-1"); r.Header.Set("If-Range", `"other"`) })
				if res.status != 200 || string(res.body) != string(data) {
					t.Fatalf("got %d %q", res.status, res.body)
				}
			})
			t.Run("a missing object is 404 NoSuchKey", func(t *testing.T) {
				res := e.send(t, e.sign(t, "absent", LocalOptions{Method: "GET"}), nil, nil)
				if res.status != 404 || res.code() != "NoSuchKey" {
					t.Fatalf("got %d %s", res.status, res.body)
				}
			})
			t.Run("a PUT without Content-Type stores application/octet-stream, not a sniffed type", func(t *testing.T) {
				html := []byte("<html><script>alert(1)</script></html>")
				if res := e.send(t, e.sign(t, "page", LocalOptions{Method: "PUT"}), html, nil); res.status != 200 {
					t.Fatalf("PUT: %d %s", res.status, res.body)
				}
				res := e.send(t, e.sign(t, "page", LocalOptions{Method: "GET"}), nil, nil)
				if got := res.header.Get("Content-Type"); got != defaultContentType || res.header.Get("X-Content-Type-Options") != "nosniff" {
					t.Fatalf("Content-Type %q, X-Content-Type-Options %q", got, res.header.Get("X-Content-Type-Options"))
				}
			})
			t.Run("an empty object", func(t *testing.T) {
				if res := e.send(t, e.sign(t, "empty", LocalOptions{Method: "PUT", ContentMD5: md5b64(nil)}), []byte{}, nil); res.status != 200 {
					t.Fatalf("PUT: %d %s", res.status, res.body)
				}
				res := e.send(t, e.sign(t, "empty", LocalOptions{Method: "GET"}), nil, nil)
				if res.status != 200 || len(res.body) != 0 || res.header.Get("ETag") != md5etag(nil) {
					t.Fatalf("GET: %d %q %q", res.status, res.body, res.header.Get("ETag"))
				}
			})
		})
	}
}

// TestHandlerRefusesARequestItWasNotSignedFor: a URL for one key, method,
// expiry, content hash, content type, user, response override, upload id
// or part number is refused for any other with 403, and nothing is
// written. The refusal quotes no signature.
func TestHandlerRefusesARequestItWasNotSignedFor(t *testing.T) {
	for _, kind := range embedded {
		t.Run(kind, func(t *testing.T) {
			e := newEnv(t, kind)
			e.put(t, "a", "original a")
			e.put(t, "b", "original b")
			before := e.objects(t)
			body := []byte("new body")
			other := []byte("other body")
			put := e.sign(t, "a", LocalOptions{Method: "PUT", ContentType: "text/plain", ContentMD5: md5b64(body), User: "alice"})
			get := e.sign(t, "a", LocalOptions{Method: "GET", User: "alice", ResponseContentType: "text/plain"})
			const id = "0123456789abcdef0123456789abcdef"
			part, err := e.signer.SignUploadPart("a", id, 2, LocalOptions{Expires: t0.Add(time.Hour), ContentMD5: md5b64(body)})
			if err != nil {
				t.Fatal(err)
			}
			complete, err := e.signer.SignCompleteUpload("a", id, LocalOptions{Expires: t0.Add(time.Hour)})
			if err != nil {
				t.Fatal(err)
			}
			abort, err := e.signer.SignAbortUpload("a", id, LocalOptions{Expires: t0.Add(time.Hour)})
			if err != nil {
				t.Fatal(err)
			}
			other32 := "fedcba9876543210fedcba9876543210"
			sig := queryValue(put.URL, paramSignature)
			flip := map[byte]byte{'0': '1', '1': '0'}
			tampered := []byte(sig)
			if c, ok := flip[tampered[10]]; ok {
				tampered[10] = c
			} else {
				tampered[10] = '0'
			}
			stranger := newEnv(t, kind) // other keys
			strangerPut := stranger.sign(t, "a", LocalOptions{Method: "PUT", ContentType: "text/plain", ContentMD5: md5b64(body), User: "alice"})
			for _, tc := range []struct {
				name string
				req  Request
				body []byte
				edit func(*http.Request)
				code string
			}{
				{"PUT URL for another key", put, body, func(r *http.Request) { r.URL.Path = "/b"; r.URL.RawPath = "" }, "SignatureDoesNotMatch"},
				{"PUT URL for a key below it", put, body, func(r *http.Request) { r.URL.Path = "/a/x"; r.URL.RawPath = "" }, "SignatureDoesNotMatch"},
				{"GET URL used to PUT", get, body, func(r *http.Request) { r.Method = "PUT" }, "SignatureDoesNotMatch"},
				{"GET URL used to HEAD", get, nil, func(r *http.Request) { r.Method = "HEAD" }, ""},
				{"PUT URL used to GET", put, nil, func(r *http.Request) { r.Method = "GET"; r.Header.Del("Content-Md5"); r.Header.Del("Content-Type") }, "SignatureDoesNotMatch"},
				{"expiry moved later", put, body, func(r *http.Request) {
					r.URL.RawQuery = setQuery("?"+r.URL.RawQuery, paramExpires, strconv.FormatInt(t0.Add(48*time.Hour).Unix(), 10), false)[1:]
				}, "SignatureDoesNotMatch"},
				{"expiry moved earlier", put, body, func(r *http.Request) {
					r.URL.RawQuery = setQuery("?"+r.URL.RawQuery, paramExpires, strconv.FormatInt(t0.Add(time.Minute).Unix(), 10), false)[1:]
				}, "SignatureDoesNotMatch"},
				{"another Content-MD5, with a body that matches it", put, other, func(r *http.Request) { r.Header.Set("Content-Md5", md5b64(other)) }, "SignatureDoesNotMatch"},
				{"the bound Content-MD5 left out", put, body, func(r *http.Request) { r.Header.Del("Content-Md5") }, "SignatureDoesNotMatch"},
				{"another content type", put, body, func(r *http.Request) { r.Header.Set("Content-Type", "text/html") }, "SignatureDoesNotMatch"},
				{"the bound content type left out", put, body, func(r *http.Request) { r.Header.Del("Content-Type") }, "SignatureDoesNotMatch"},
				{"the binding of headers removed from the URL", put, body, func(r *http.Request) {
					r.URL.RawQuery = setQuery("?"+r.URL.RawQuery, paramSignedHeaders, "", true)[1:]
				}, "SignatureDoesNotMatch"},
				{"the binding narrowed to content-type", put, body, func(r *http.Request) {
					r.URL.RawQuery = setQuery("?"+r.URL.RawQuery, paramSignedHeaders, "content-type", false)[1:]
				}, "SignatureDoesNotMatch"},
				{"X-User changed", put, body, func(r *http.Request) { r.URL.RawQuery = setQuery("?"+r.URL.RawQuery, paramUser, "mallory", false)[1:] }, "SignatureDoesNotMatch"},
				{"X-User removed", put, body, func(r *http.Request) { r.URL.RawQuery = setQuery("?"+r.URL.RawQuery, paramUser, "", true)[1:] }, "SignatureDoesNotMatch"},
				{"X-User added", e.sign(t, "a", LocalOptions{Method: "GET"}), nil, func(r *http.Request) {
					r.URL.RawQuery = setQuery("?"+r.URL.RawQuery, paramUser, "mallory", false)[1:]
				}, "SignatureDoesNotMatch"},
				{"response override changed", get, nil, func(r *http.Request) {
					r.URL.RawQuery = setQuery("?"+r.URL.RawQuery, paramRespType, "text%2Fhtml", false)[1:]
				}, "SignatureDoesNotMatch"},
				{"response override added to a PUT URL", put, body, func(r *http.Request) {
					r.URL.RawQuery = setQuery("?"+r.URL.RawQuery, paramRespType, "text%2Fhtml", false)[1:]
				}, "SignatureDoesNotMatch"},
				{"response override added", get, nil, func(r *http.Request) {
					r.URL.RawQuery = setQuery("?"+r.URL.RawQuery, paramRespDisposition, "attachment", false)[1:]
				}, "SignatureDoesNotMatch"},
				{"part URL for another upload", part, body, func(r *http.Request) {
					r.URL.RawQuery = setQuery("?"+r.URL.RawQuery, paramUploadID, other32, false)[1:]
				}, "SignatureDoesNotMatch"},
				{"part URL for another part number", part, body, func(r *http.Request) { r.URL.RawQuery = setQuery("?"+r.URL.RawQuery, paramPartNumber, "3", false)[1:] }, "SignatureDoesNotMatch"},
				{"part URL used as a single PUT", part, body, func(r *http.Request) {
					q := setQuery("?"+r.URL.RawQuery, paramUploadID, "", true)
					r.URL.RawQuery = setQuery(q, paramPartNumber, "", true)[1:]
				}, "SignatureDoesNotMatch"},
				{"PUT URL used as a part", put, body, func(r *http.Request) {
					q := setQuery("?"+r.URL.RawQuery, paramUploadID, id, false)
					r.URL.RawQuery = setQuery(q, paramPartNumber, "1", false)[1:]
				}, "SignatureDoesNotMatch"},
				{"completion URL for another upload", complete, []byte("<CompleteMultipartUpload/>"), func(r *http.Request) {
					r.URL.RawQuery = setQuery("?"+r.URL.RawQuery, paramUploadID, other32, false)[1:]
				}, "SignatureDoesNotMatch"},
				{"abort URL used to complete", abort, []byte("<CompleteMultipartUpload/>"), func(r *http.Request) { r.Method = "POST" }, "SignatureDoesNotMatch"},
				{"completion URL used to abort", complete, nil, func(r *http.Request) { r.Method = "DELETE" }, "SignatureDoesNotMatch"},
				{"a tampered signature", put, body, func(r *http.Request) {
					r.URL.RawQuery = setQuery("?"+r.URL.RawQuery, paramSignature, string(tampered), false)[1:]
				}, "SignatureDoesNotMatch"},
				{"a zeroed signature", put, body, func(r *http.Request) {
					r.URL.RawQuery = setQuery("?"+r.URL.RawQuery, paramSignature, strings.Repeat("0", 64), false)[1:]
				}, "SignatureDoesNotMatch"},
				{"signed with a key that is neither current nor previous", strangerPut, body, func(r *http.Request) {
					r.URL.Host = strings.TrimPrefix(e.base, "http://")
				}, "SignatureDoesNotMatch"},
			} {
				t.Run(tc.name, func(t *testing.T) {
					res := e.send(t, tc.req, tc.body, tc.edit)
					if res.status != http.StatusForbidden || tc.code != "" && res.code() != tc.code {
						t.Fatalf("got %d %s; want 403 %s", res.status, res.body, tc.code)
					}
					if got := e.objects(t); fmt.Sprint(got) != fmt.Sprint(before) {
						t.Fatalf("a refused request changed the bucket: %q", got)
					}
					assertNoWindow(t, "the refusal", string(res.body)+fmt.Sprint(res.header), queryValue(tc.req.URL, paramSignature))
				})
			}
			staged := listAll(t, e.staging)
			if len(staged) != 0 {
				t.Fatalf("refused part uploads were staged: %v", keysOf(staged))
			}
		})
	}
}

// TestHandlerExpiry: a URL works until the second before its expiry and
// is refused (403 AccessDenied) from then on, by the injected clock.
func TestHandlerExpiry(t *testing.T) {
	e := newEnv(t, "mem")
	e.put(t, "k", "v")
	get := e.sign(t, "k", LocalOptions{Method: "GET", Expires: t0.Add(time.Hour)})
	e.clock.Add(time.Hour - time.Second)
	if res := e.send(t, get, nil, nil); res.status != 200 {
		t.Fatalf("a second before expiry: %d %s", res.status, res.body)
	}
	e.clock.Add(time.Second)
	res := e.send(t, get, nil, nil)
	if res.status != 403 || res.code() != "AccessDenied" || !strings.Contains(res.message(), "expired") {
		t.Fatalf("at expiry: %d %s; want 403 AccessDenied", res.status, res.body)
	}
	put := e.sign(t, "k", LocalOptions{Method: "PUT", Expires: e.clock.Now().Add(time.Minute)})
	e.clock.Add(2 * time.Minute)
	if res := e.send(t, put, []byte("late"), nil); res.status != 403 || res.code() != "AccessDenied" {
		t.Fatalf("expired PUT: %d %s", res.status, res.body)
	}
	if got := e.objects(t)["k"]; got != "v" {
		t.Fatalf("an expired PUT wrote %q", got)
	}
}

// TestHandlerKeyRotation: after a rotation, URLs signed with the previous
// key still work and new ones use the new key; after a second rotation
// the first key's URLs are refused.
func TestHandlerKeyRotation(t *testing.T) {
	e := newEnv(t, "mem")
	e.put(t, "k", "v")
	old := e.sign(t, "k", LocalOptions{Method: "GET"})
	e.keys.Rotate()
	fresh := e.sign(t, "k", LocalOptions{Method: "GET"})
	if queryValue(fresh.URL, paramSignature) == queryValue(old.URL, paramSignature) {
		t.Fatal("the rotation did not change the signing key")
	}
	for name, r := range map[string]Request{"previous key": old, "current key": fresh} {
		if res := e.send(t, r, nil, nil); res.status != 200 {
			t.Fatalf("%s after one rotation: %d %s", name, res.status, res.body)
		}
	}
	e.keys.Rotate()
	if res := e.send(t, old, nil, nil); res.status != 403 || res.code() != "SignatureDoesNotMatch" {
		t.Fatalf("the key two rotations ago: %d %s; want 403", res.status, res.body)
	}
	if res := e.send(t, fresh, nil, nil); res.status != 200 {
		t.Fatalf("the now previous key: %d %s", res.status, res.body)
	}
}

// TestHandlerRefusesMalformedParameters: a missing, repeated, unknown or
// malformed parameter is 400 naming it, before any signature is checked,
// and nothing is written.
func TestHandlerRefusesMalformedParameters(t *testing.T) {
	e := newEnv(t, "mem")
	e.put(t, "k", "v")
	put := e.sign(t, "k", LocalOptions{Method: "PUT", User: "alice"})
	q := "?" + strings.SplitN(put.URL, "?", 2)[1]
	exp := queryValue(put.URL, paramExpires)
	const id = "0123456789abcdef0123456789abcdef"
	for _, tc := range []struct {
		name   string
		method string
		query  string
		header map[string]string
		status int
		names  string // what the message must name
	}{
		{"no query at all", "PUT", "", nil, 400, paramAlgorithm},
		{"byob-algorithm missing", "PUT", setQuery(q, paramAlgorithm, "", true), nil, 400, paramAlgorithm},
		{"byob-algorithm of another version", "PUT", setQuery(q, paramAlgorithm, "BYOB2-HMAC-SHA256", false), nil, 400, paramAlgorithm},
		{"byob-expires missing", "PUT", setQuery(q, paramExpires, "", true), nil, 400, paramExpires},
		{"byob-expires not a number", "PUT", setQuery(q, paramExpires, "soon", false), nil, 400, paramExpires},
		{"byob-expires negative", "PUT", setQuery(q, paramExpires, "-5", false), nil, 400, paramExpires},
		{"byob-expires with a sign", "PUT", setQuery(q, paramExpires, "%2B1", false), nil, 400, paramExpires},
		{"byob-expires with a leading zero", "PUT", setQuery(q, paramExpires, "0"+queryValue(put.URL, paramExpires), false), nil, 400, paramExpires},
		{"byob-expires overflowing", "PUT", setQuery(q, paramExpires, "99999999999999999999", false), nil, 400, paramExpires},
		{"byob-signature missing", "PUT", setQuery(q, paramSignature, "", true), nil, 400, paramSignature},
		{"byob-signature short", "PUT", setQuery(q, paramSignature, "abcd", false), nil, 400, paramSignature},
		{"byob-signature in upper case", "PUT", setQuery(q, paramSignature, strings.Repeat("A", 64), false), nil, 400, paramSignature},
		{"byob-signature not hex", "PUT", setQuery(q, paramSignature, strings.Repeat("g", 64), false), nil, 400, paramSignature},
		{"byob-signed-headers unknown", "PUT", setQuery(q, paramSignedHeaders, "host", false), nil, 400, paramSignedHeaders},
		{"byob-signed-headers out of order", "PUT", setQuery(q, paramSignedHeaders, "content-type%3Bcontent-md5", false), nil, 400, paramSignedHeaders},
		{"a parameter repeated", "PUT", q + "&" + paramUser + "=bob", nil, 400, paramUser},
		{"the signature repeated", "PUT", q + "&" + paramSignature + "=" + strings.Repeat("0", 64), nil, 400, paramSignature},
		{"an unknown parameter", "PUT", q + "&X-Amz-Signature=1", nil, 400, "X-Amz-Signature"},
		{"an empty parameter", "PUT", q + "&&", nil, 400, "query"},
		{"a bad escape", "PUT", q + "&%zz=1", nil, 400, "query"},
		{"X-User empty", "PUT", setQuery(q, paramUser, "", false), nil, 400, paramUser},
		{"X-User with a control character", "PUT", setQuery(q, paramUser, "a%0Ab", false), nil, 400, paramUser},
		{"partNumber 0", "PUT", q + "&partNumber=0&uploadId=" + id, nil, 400, paramPartNumber},
		{"partNumber 10001", "PUT", q + "&partNumber=10001&uploadId=" + id, nil, 400, paramPartNumber},
		{"partNumber with a leading zero", "PUT", q + "&partNumber=01&uploadId=" + id, nil, 400, paramPartNumber},
		{"partNumber without uploadId", "PUT", q + "&partNumber=1", nil, 400, paramUploadID},
		{"uploadId without partNumber on a PUT", "PUT", q + "&uploadId=" + id, nil, 400, paramPartNumber},
		{"uploadId that climbs out", "PUT", q + "&partNumber=1&uploadId=..%2F..%2F..%2F..%2Fetc%2Fpasswd", nil, 400, paramUploadID},
		{"uploadId in upper case", "POST", q + "&uploadId=" + strings.ToUpper(id), nil, 400, paramUploadID},
		{"uploads with a value", "POST", q + "&uploads=1", nil, 400, paramUploads},
		{"uploads on a PUT", "PUT", q + "&uploads=", nil, 400, paramUploads},
		{"a POST naming no upload", "POST", q, nil, 400, paramUploads},
		{"a POST with uploads and uploadId", "POST", q + "&uploads=&uploadId=" + id, nil, 400, "uploadId"},
		{"partNumber on a POST", "POST", q + "&partNumber=1&uploadId=" + id, nil, 400, paramPartNumber},
		{"multipart parameters on a GET", "GET", q + "&uploadId=" + id, nil, 400, "uploadId"},
		{"response type that is no media type", "GET", setQuery(q, paramRespType, "text%2F", false), nil, 400, paramRespType},
		{"a DELETE of an object", "DELETE", q, nil, 405, "DELETE"},
		{"a PATCH", "PATCH", q, nil, 405, "method"},
		{"a PUT carrying a response override, signed by hand", "PUT", handSigned(e, "PUT", "/k", "byob-algorithm=BYOB1-HMAC-SHA256&byob-expires="+exp+"&response-content-type=text%2Fplain"), nil, 400, "response-content-"},
		{"a GET binding content-md5, signed by hand", "GET", handSigned(e, "GET", "/k", "byob-algorithm=BYOB1-HMAC-SHA256&byob-expires="+exp+"&byob-signed-headers=content-md5", "content-md5:"+md5b64(nil)),
			map[string]string{"Content-Md5": md5b64(nil)}, 400, paramSignedHeaders},
		{"a Content-MD5 that is not base64 of 16 bytes", "PUT", q, map[string]string{"Content-Md5": "d41d8cd98f00b204e9800998ecf8427e"}, 400, "Content-MD5"},
		{"a Content-Type with a control character", "PUT", q, map[string]string{"Content-Type": "text/plain\x01"}, 400, "Content-Type"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(tc.method, "/k"+tc.query, bytes.NewReader([]byte("body")))
			for k, v := range tc.header {
				r.Header[k] = []string{v}
			}
			w := httptest.NewRecorder()
			e.handler.ServeHTTP(w, r)
			res := response{status: w.Code, header: w.Header(), body: w.Body.Bytes()}
			if res.status != tc.status || !strings.Contains(res.message(), tc.names) {
				t.Fatalf("got %d %s; want %d naming %s", res.status, res.body, tc.status, tc.names)
			}
			if got := e.objects(t); len(got) != 1 || got["k"] != "v" {
				t.Fatalf("a refused request changed the bucket: %q", got)
			}
			assertNoWindow(t, "the refusal", res.message(), queryValue(put.URL, paramSignature))
		})
	}
}

// TestHandlerRefusesPathsItWouldHaveToClean: a path that is not the
// canonical escaping of a key the location accepts is refused with 400,
// never cleaned into another key, and nothing is written. Each is sent as
// raw bytes on the request line, with a valid signature for "a/b".
func TestHandlerRefusesPathsItWouldHaveToClean(t *testing.T) {
	for _, kind := range embedded {
		t.Run(kind, func(t *testing.T) {
			e := newEnv(t, kind)
			e.put(t, "a/b", "original")
			e.put(t, "b", "original")
			before := e.objects(t)
			put := e.sign(t, "a/b", LocalOptions{Method: "PUT"})
			q := "?" + strings.SplitN(put.URL, "?", 2)[1]
			for _, tc := range []struct{ name, path, code string }{
				{"dot-dot segment", "/a/../b", "InvalidKey"},
				{"leading dot-dot", "/../b", "InvalidKey"},
				{"dot segment", "/a/./b", "InvalidKey"},
				{"encoded dot-dot", "/a/%2E%2E/b", "InvalidURI"},
				{"lower-case encoded dot-dot", "/a/%2e%2e/b", "InvalidURI"},
				{"encoded slash", "/a%2Fb", "InvalidURI"},
				{"lower-case encoded slash", "/a%2fb", "InvalidURI"},
				{"encoded backslash", "/a%5Cb", "InvalidKey"},
				{"literal backslash", `/a\b`, "InvalidURI"},
				{"double-encoded dot-dot", "/a/%252E%252E/b", "InvalidKey"},
				{"overlong UTF-8 dot", "/a/%C0%AE%C0%AE/b", "InvalidKey"},
				{"NUL byte", "/a%00b", "InvalidKey"},
				{"empty segment", "/a//b", "InvalidKey"},
				{"leading slash in the key", "//a/b", "InvalidKey"},
				{"trailing slash", "/a/b/", "InvalidKey"},
				{"empty key", "/", "InvalidKey"},
				{"escaped unreserved letter", "/%61/b", "InvalidURI"},
				{"literal plus", "/a+b", "InvalidURI"},
				{"unescaped unicode", "/\xc3\xbc", "InvalidURI"},
				{"fileblob's sidecar name", "/a/b.attrs", map[string]string{"file": "InvalidKey", "mem": "SignatureDoesNotMatch"}[kind]},
			} {
				t.Run(tc.name, func(t *testing.T) {
					res := rawRequest(t, e, "PUT "+tc.path+q+" HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nConnection: close\r\n\r\nevil")
					e.waitDone(t)
					if res.status != map[bool]int{true: 403, false: 400}[tc.code == "SignatureDoesNotMatch"] || res.code() != tc.code {
						t.Fatalf("got %d %s; want %s", res.status, res.body, tc.code)
					}
					if got := e.objects(t); fmt.Sprint(got) != fmt.Sprint(before) {
						t.Fatalf("the bucket changed: %q", got)
					}
				})
			}
			t.Run("a request-target in absolute form, as from a proxy", func(t *testing.T) {
				res := rawRequest(t, e, "PUT http://x/a/..%2Fb"+q+" HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nConnection: close\r\n\r\nevil")
				e.waitDone(t)
				if res.status != 400 || res.code() != "InvalidURI" {
					t.Fatalf("a bad path in absolute form: %d %s", res.status, res.body)
				}
				res = rawRequest(t, e, "PUT http://x/a/b"+q+" HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nConnection: close\r\n\r\ngood")
				e.waitDone(t)
				if res.status != 200 || e.objects(t)["a/b"] != "good" {
					t.Fatalf("a good path in absolute form: %d %s", res.status, res.body)
				}
			})
			t.Run("a path outside the base path is 404", func(t *testing.T) {
				mounted := newEnvAt(t, kind, "/byob")
				mounted.put(t, "k", "v")
				get := mounted.sign(t, "k", LocalOptions{Method: "GET"})
				if res := mounted.send(t, get, nil, nil); res.status != 200 {
					t.Fatalf("mounted GET: %d %s", res.status, res.body)
				}
				res := mounted.send(t, get, nil, func(r *http.Request) { r.URL.Path = "/k"; r.URL.RawPath = "" })
				if res.status != 404 {
					t.Fatalf("outside the base path: %d %s", res.status, res.body)
				}
				res = mounted.send(t, get, nil, func(r *http.Request) { r.URL.Path = "/byob2/k"; r.URL.RawPath = "" })
				if res.status != 404 {
					t.Fatalf("a sibling of the base path: %d %s", res.status, res.body)
				}
			})
		})
	}
}

// TestHandlerRefusesAnotherMountsURL: two locations served under two base
// paths with the same keys: a URL for one, sent to the other's path, is
// refused, since the base path is signed.
func TestHandlerRefusesAnotherMountsURL(t *testing.T) {
	keys := NewLocalKeys()
	srv := httptest.NewUnstartedServer(nil)
	base := "http://" + srv.Listener.Addr().String()
	mux := http.NewServeMux()
	var signers []*LocalSigner
	for _, mount := range []string{"/a", "/b"} {
		loc := newLocation(t, "mem")
		if err := loc.Bucket().WriteAll(t.Context(), "k", []byte("data of "+mount), nil); err != nil {
			t.Fatal(err)
		}
		cfg := LocalConfig{Location: loc, BaseURL: base + mount, Keys: keys}
		s, err := NewLocalSigner(cfg)
		if err != nil {
			t.Fatal(err)
		}
		h, err := NewHandler(cfg, HandlerOptions{})
		if err != nil {
			t.Fatal(err)
		}
		signers = append(signers, s)
		mux.Handle(mount+"/", h)
	}
	srv.Config.Handler = mux
	srv.Start()
	defer srv.Close()
	r, err := signers[0].Sign("k", LocalOptions{Method: "GET", Expires: time.Now().Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, url string
		status    int
		body      string
	}{
		{"its own mount", r.URL, 200, "data of /a"},
		{"the other mount", strings.Replace(r.URL, "/a/k", "/b/k", 1), 403, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := srv.Client().Get(tc.url)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			b, _ := io.ReadAll(res.Body)
			if res.StatusCode != tc.status || tc.body != "" && string(b) != tc.body {
				t.Fatalf("got %d %s; want %d %s", res.StatusCode, b, tc.status, tc.body)
			}
		})
	}
}

// TestHandlerFailuresLogNoSignature: a storage failure is a 500 whose body
// says nothing of the cause, and whose log line names it with the URL
// redacted.
func TestHandlerFailuresLogNoSignature(t *testing.T) {
	e := newEnv(t, "mem")
	if err := e.staging.Close(); err != nil {
		t.Fatal(err)
	}
	r, err := e.signer.SignCreateUpload("k", LocalOptions{Expires: t0.Add(time.Hour), User: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	res := e.send(t, r, nil, nil)
	if res.status != 500 || res.code() != "InternalError" || strings.Contains(string(res.body), "closed") {
		t.Fatalf("got %d %s; want a 500 that keeps its cause to the log", res.status, res.body)
	}
	log := e.log.String()
	if !strings.Contains(log, "closed") || !strings.Contains(log, "byob-signature=REDACTED") {
		t.Fatalf("the log does not name the failure with the URL redacted: %s", log)
	}
	assertNoWindow(t, "the log", log, queryValue(r.URL, paramSignature))
}
