package presign

import (
	"net/http"
	"testing"
)

// TestHandlerCORSPreflight: preflights for the documented policy pass for
// the configured origins, with the methods, headers, exposed ETag and max
// age it documents; another origin, method or header gets 403 and no CORS
// headers; a preflight missing its request headers is 400.
func TestHandlerCORSPreflight(t *testing.T) {
	anyOrigin := newEnv(t, "mem")
	listed := newEnv(t, "mem", withOrigins("https://app.example.com", "http://127.0.0.1:3000"))
	none := newEnv(t, "mem", withOrigins())
	for _, tc := range []struct {
		name         string
		e            *env
		origin       string
		method       string
		headers      string
		status       int
		allowOrigin  string
		allowHeaders string
	}{
		{"a PUT with content-type and content-md5, any origin", anyOrigin, "https://anywhere.example", "PUT", "content-type,content-md5", 200, "*", "content-type, content-md5"},
		{"a GET with a range", anyOrigin, "https://anywhere.example", "GET", "Range", 200, "*", "range"},
		{"a multipart completion", anyOrigin, "https://anywhere.example", "POST", "", 200, "*", ""},
		{"a multipart abort", anyOrigin, "https://anywhere.example", "DELETE", "", 200, "*", ""},
		{"a listed origin gets itself back", listed, "https://app.example.com", "PUT", "Content-Type, Content-MD5", 200, "https://app.example.com", "content-type, content-md5"},
		{"a listed origin in another case", listed, "HTTPS://APP.EXAMPLE.COM", "HEAD", "", 200, "HTTPS://APP.EXAMPLE.COM", ""},
		{"a listed loopback origin with its port", listed, "http://127.0.0.1:3000", "GET", "", 200, "http://127.0.0.1:3000", ""},
		{"an origin not listed", listed, "https://evil.example", "PUT", "content-type", 403, "", ""},
		{"the listed host on another port", listed, "http://127.0.0.1:3001", "GET", "", 403, "", ""},
		{"the listed host over http", listed, "http://app.example.com", "GET", "", 403, "", ""},
		{"no origin allowed at all", none, "https://app.example.com", "GET", "", 403, "", ""},
		{"a method byob never uses", anyOrigin, "https://anywhere.example", "PATCH", "", 403, "", ""},
		{"a header byob never binds", anyOrigin, "https://anywhere.example", "PUT", "content-type,x-amz-meta-a", 403, "", ""},
		{"x-user as a header: it is a query parameter", anyOrigin, "https://anywhere.example", "PUT", "x-user", 403, "", ""},
		{"authorization", anyOrigin, "https://anywhere.example", "GET", "authorization", 403, "", ""},
		{"no Access-Control-Request-Method", anyOrigin, "https://anywhere.example", "", "", 400, "", ""},
		{"no Origin", anyOrigin, "", "PUT", "", 400, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := tc.e.send(t, Request{Method: http.MethodOptions, URL: tc.e.base + "/any/key"}, nil, func(r *http.Request) {
				if tc.origin != "" {
					r.Header.Set("Origin", tc.origin)
				}
				if tc.method != "" {
					r.Header.Set("Access-Control-Request-Method", tc.method)
				}
				if tc.headers != "" {
					r.Header.Set("Access-Control-Request-Headers", tc.headers)
				}
			})
			if res.status != tc.status {
				t.Fatalf("got %d %s; want %d", res.status, res.body, tc.status)
			}
			want := map[string]string{"Access-Control-Allow-Origin": tc.allowOrigin, "Access-Control-Allow-Headers": tc.allowHeaders}
			if tc.status == 200 {
				want["Access-Control-Allow-Methods"] = "GET, HEAD, PUT, POST, DELETE"
				want["Access-Control-Expose-Headers"] = "ETag"
				want["Access-Control-Max-Age"] = "3000"
			} else {
				want["Access-Control-Allow-Methods"], want["Access-Control-Expose-Headers"], want["Access-Control-Max-Age"] = "", "", ""
			}
			for k, v := range want {
				if got := res.header.Get(k); got != v {
					t.Errorf("%s: %q; want %q", k, got, v)
				}
			}
		})
	}
}

// TestHandlerCORSOnRequests: a signed request from an allowed origin gets
// Access-Control-Allow-Origin and ETag exposed, its refusals included (so a
// browser can read why); from another origin it is served without CORS
// headers, which the browser then hides from the page.
func TestHandlerCORSOnRequests(t *testing.T) {
	e := newEnv(t, "mem", withOrigins("https://app.example.com"))
	data := []byte("cors body")
	put := e.sign(t, "k", LocalOptions{Method: "PUT", ContentMD5: md5b64(data)})
	for _, tc := range []struct {
		name, origin string
		req          Request
		status       int
		allow        string
	}{
		{"an allowed origin's PUT", "https://app.example.com", put, 200, "https://app.example.com"},
		{"an allowed origin's refused request", "https://app.example.com", e.sign(t, "absent", LocalOptions{Method: "GET"}), 404, "https://app.example.com"},
		{"another origin's GET", "https://evil.example", e.sign(t, "k", LocalOptions{Method: "GET"}), 200, ""},
		{"no origin", "", e.sign(t, "k", LocalOptions{Method: "GET"}), 200, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var body []byte
			if tc.req.Method == "PUT" {
				body = data
			}
			res := e.send(t, tc.req, body, func(r *http.Request) {
				if tc.origin != "" {
					r.Header.Set("Origin", tc.origin)
				}
			})
			if res.status != tc.status || res.header.Get("Access-Control-Allow-Origin") != tc.allow {
				t.Fatalf("got %d, Allow-Origin %q; want %d %q", res.status, res.header.Get("Access-Control-Allow-Origin"), tc.status, tc.allow)
			}
			expose := ""
			if tc.allow != "" {
				expose = "ETag"
			}
			if got := res.header.Get("Access-Control-Expose-Headers"); got != expose {
				t.Errorf("Expose-Headers %q; want %q", got, expose)
			}
			if tc.origin != "" && res.header.Get("Vary") != "Origin" {
				t.Errorf("Vary %q; a response that depends on the origin must say so", res.header.Get("Vary"))
			}
		})
	}
}
