package presign

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/byobkit/byob/address"
	"github.com/byobkit/byob/provider"
	"github.com/byobkit/byob/scope"
	"gocloud.dev/blob/memblob"
)

// testKeys are fixed keys, for URLs the tests can write out in full.
func testKeys(t testing.TB, secrets ...[]byte) *LocalKeys {
	t.Helper()
	s := localKeysEncoding
	for _, b := range secrets {
		s += ":" + base64.RawURLEncoding.EncodeToString(b)
	}
	k, err := ParseLocalKeys(s)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func repeatByte(b byte, n int) []byte { return []byte(strings.Repeat(string([]byte{b}), n)) }

// TestLocalSignerWritesTheDocumentedProtocol rebuilds each URL from the
// protocol's documentation (LocalSigner): the string to sign written out
// line by line, its HMAC under the key, and the query in canonical order.
func TestLocalSignerWritesTheDocumentedProtocol(t *testing.T) {
	secret := repeatByte(0x42, 32)
	loc := newLocation(t, "mem")
	s, err := NewLocalSigner(LocalConfig{Location: loc, BaseURL: "http://127.0.0.1:8080/byob/", Keys: testKeys(t, secret),
		Now: func() time.Time { return t0 }})
	if err != nil {
		t.Fatal(err)
	}
	exp := t0.Add(time.Hour)
	n := strconv.FormatInt(exp.Unix(), 10)
	md5 := md5b64([]byte("hello"))
	const id = "0123456789abcdef0123456789abcdef"
	for _, tc := range []struct {
		name   string
		sign   func() (Request, error)
		method string
		path   string
		query  string   // canonical, without the signature
		lines  []string // signed header lines
		header http.Header
	}{
		{"GET of a key with spaces, '+', '%' and unicode",
			func() (Request, error) {
				return s.Sign("runs/a b+c/100%/ü.txt", LocalOptions{Method: "GET", Expires: exp})
			},
			"GET", "/byob/runs/a%20b%2Bc/100%25/%C3%BC.txt", "byob-algorithm=BYOB1-HMAC-SHA256&byob-expires=" + n, nil, nil},
		{"HEAD with a user and response overrides",
			func() (Request, error) {
				return s.Sign("k", LocalOptions{Method: "HEAD", Expires: exp, User: "alice@example.com",
					ResponseContentType: "text/csv", ResponseContentDisposition: `attachment; filename="a b.csv"`})
			},
			"HEAD", "/byob/k", "X-User=alice%40example.com&byob-algorithm=BYOB1-HMAC-SHA256&byob-expires=" + n +
				"&response-content-disposition=attachment%3B%20filename%3D%22a%20b.csv%22&response-content-type=text%2Fcsv", nil, nil},
		{"PUT binding Content-MD5 and Content-Type",
			func() (Request, error) {
				return s.Sign("d/k", LocalOptions{Method: "PUT", Expires: exp, ContentType: "text/plain", ContentMD5: md5, User: "bob"})
			},
			"PUT", "/byob/d/k", "X-User=bob&byob-algorithm=BYOB1-HMAC-SHA256&byob-expires=" + n + "&byob-signed-headers=content-md5%3Bcontent-type",
			[]string{"content-md5:" + md5, "content-type:text/plain"},
			http.Header{"Content-Md5": {md5}, "Content-Type": {"text/plain"}}},
		{"PUT binding the content type alone",
			func() (Request, error) {
				return s.Sign("k", LocalOptions{Method: "PUT", Expires: exp, ContentType: "application/json"})
			},
			"PUT", "/byob/k", "byob-algorithm=BYOB1-HMAC-SHA256&byob-expires=" + n + "&byob-signed-headers=content-type",
			[]string{"content-type:application/json"}, http.Header{"Content-Type": {"application/json"}}},
		{"multipart start",
			func() (Request, error) {
				return s.SignCreateUpload("big", LocalOptions{Expires: exp, ContentType: "application/x-tar"})
			},
			"POST", "/byob/big", "byob-algorithm=BYOB1-HMAC-SHA256&byob-expires=" + n + "&byob-signed-headers=content-type&uploads=",
			[]string{"content-type:application/x-tar"}, http.Header{"Content-Type": {"application/x-tar"}}},
		{"multipart part with its MD5",
			func() (Request, error) {
				return s.SignUploadPart("big", id, 10000, LocalOptions{Expires: exp, ContentMD5: md5})
			},
			"PUT", "/byob/big", "byob-algorithm=BYOB1-HMAC-SHA256&byob-expires=" + n + "&byob-signed-headers=content-md5&partNumber=10000&uploadId=" + id,
			[]string{"content-md5:" + md5}, http.Header{"Content-Md5": {md5}}},
		{"multipart complete",
			func() (Request, error) { return s.SignCompleteUpload("big", id, LocalOptions{Expires: exp, User: "u"}) },
			"POST", "/byob/big", "X-User=u&byob-algorithm=BYOB1-HMAC-SHA256&byob-expires=" + n + "&uploadId=" + id, nil, nil},
		{"multipart abort",
			func() (Request, error) {
				return s.SignAbortUpload("big", id, LocalOptions{Method: "DELETE", Expires: exp})
			},
			"DELETE", "/byob/big", "byob-algorithm=BYOB1-HMAC-SHA256&byob-expires=" + n + "&uploadId=" + id, nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := tc.sign()
			if err != nil {
				t.Fatal(err)
			}
			sts := "BYOB1-HMAC-SHA256\n" + tc.method + "\n" + tc.path + "\n" + tc.query + "\n"
			for _, l := range tc.lines {
				sts += l + "\n"
			}
			mac := hmac.New(sha256.New, secret)
			mac.Write([]byte(sts))
			want := "http://127.0.0.1:8080" + tc.path + "?" + tc.query + "&byob-signature=" + hex.EncodeToString(mac.Sum(nil))
			if r.URL != want {
				t.Errorf("URL\n got %s\nwant %s", r.URL, want)
			}
			if r.Method != tc.method || !r.Expires.Equal(exp) {
				t.Errorf("method %s expires %v; want %s %v", r.Method, r.Expires, tc.method, exp)
			}
			if len(r.Header) != len(tc.header) {
				t.Errorf("header %v; want %v", r.Header, tc.header)
			}
			for k, v := range tc.header {
				if got := r.Header[k]; len(got) != 1 || got[0] != v[0] {
					t.Errorf("header %s = %v; want %v", k, got, v)
				}
			}
		})
	}
}

// TestLocalSignerRefusesBadOptions: every option an operation cannot bind,
// every malformed value and every bad expiry is an ErrLocalOption naming
// its field; a key that leaves its location is scope's ErrKey.
func TestLocalSignerRefusesBadOptions(t *testing.T) {
	loc := newLocation(t, "mem")
	clock := &fakeClock{t: t0}
	s, err := NewLocalSigner(LocalConfig{Location: loc, BaseURL: "http://127.0.0.1:1", Keys: NewLocalKeys(), Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	hour := t0.Add(time.Hour)
	const id = "0123456789abcdef0123456789abcdef"
	md5 := md5b64(nil)
	for _, tc := range []struct {
		name  string
		sign  func() (Request, error)
		field string
	}{
		{"no method", func() (Request, error) { return s.Sign("k", LocalOptions{Expires: hour}) }, "Method"},
		{"POST through Sign", func() (Request, error) { return s.Sign("k", LocalOptions{Method: "POST", Expires: hour}) }, "Method"},
		{"lower-case method", func() (Request, error) { return s.Sign("k", LocalOptions{Method: "get", Expires: hour}) }, "Method"},
		{"multipart start with another method", func() (Request, error) { return s.SignCreateUpload("k", LocalOptions{Method: "PUT", Expires: hour}) }, "Method"},
		{"no expiry", func() (Request, error) { return s.Sign("k", LocalOptions{Method: "GET"}) }, "Expires"},
		{"expiry now", func() (Request, error) { return s.Sign("k", LocalOptions{Method: "GET", Expires: t0}) }, "Expires"},
		{"expiry in the past", func() (Request, error) { return s.Sign("k", LocalOptions{Method: "GET", Expires: t0.Add(-time.Hour)}) }, "Expires"},
		{"expiry less than a second away truncates to now", func() (Request, error) {
			return s.Sign("k", LocalOptions{Method: "GET", Expires: t0.Add(999 * time.Millisecond)})
		}, "Expires"},
		{"expiry over 7 days", func() (Request, error) {
			return s.Sign("k", LocalOptions{Method: "GET", Expires: t0.Add(LocalMaxExpiry + time.Second)})
		}, "Expires"},
		{"content type on GET", func() (Request, error) {
			return s.Sign("k", LocalOptions{Method: "GET", Expires: hour, ContentType: "text/plain"})
		}, "ContentType"},
		{"content MD5 on HEAD", func() (Request, error) {
			return s.Sign("k", LocalOptions{Method: "HEAD", Expires: hour, ContentMD5: md5})
		}, "ContentMD5"},
		{"response override on PUT", func() (Request, error) {
			return s.Sign("k", LocalOptions{Method: "PUT", Expires: hour, ResponseContentType: "text/plain"})
		}, "ResponseContentType"},
		{"response disposition on a part", func() (Request, error) {
			return s.SignUploadPart("k", id, 1, LocalOptions{Expires: hour, ResponseContentDisposition: "inline"})
		}, "ResponseContentDisposition"},
		{"content type on a part", func() (Request, error) {
			return s.SignUploadPart("k", id, 1, LocalOptions{Expires: hour, ContentType: "text/plain"})
		}, "ContentType"},
		{"content MD5 on a multipart start", func() (Request, error) { return s.SignCreateUpload("k", LocalOptions{Expires: hour, ContentMD5: md5}) }, "ContentMD5"},
		{"content type on a completion", func() (Request, error) {
			return s.SignCompleteUpload("k", id, LocalOptions{Expires: hour, ContentType: "text/plain"})
		}, "ContentType"},
		{"content MD5 that is hex", func() (Request, error) {
			return s.Sign("k", LocalOptions{Method: "PUT", Expires: hour, ContentMD5: "d41d8cd98f00b204e9800998ecf8427e"})
		}, "ContentMD5"},
		{"content MD5 of 15 bytes", func() (Request, error) {
			return s.Sign("k", LocalOptions{Method: "PUT", Expires: hour, ContentMD5: base64.StdEncoding.EncodeToString(make([]byte, 15))})
		}, "ContentMD5"},
		{"content type with a newline", func() (Request, error) {
			return s.Sign("k", LocalOptions{Method: "PUT", Expires: hour, ContentType: "text/plain\nx-evil: 1"})
		}, "ContentType"},
		{"content type that is no media type", func() (Request, error) {
			return s.Sign("k", LocalOptions{Method: "PUT", Expires: hour, ContentType: "text/"})
		}, "ContentType"},
		{"disposition with a control character", func() (Request, error) {
			return s.Sign("k", LocalOptions{Method: "GET", Expires: hour, ResponseContentDisposition: "inline\r"})
		}, "ResponseContentDisposition"},
		{"user with a newline", func() (Request, error) { return s.Sign("k", LocalOptions{Method: "GET", Expires: hour, User: "a\nb"}) }, "User"},
		{"user that is not UTF-8", func() (Request, error) { return s.Sign("k", LocalOptions{Method: "GET", Expires: hour, User: "\xff"}) }, "User"},
		{"user too long", func() (Request, error) {
			return s.Sign("k", LocalOptions{Method: "GET", Expires: hour, User: strings.Repeat("u", maxUser+1)})
		}, "User"},
		{"part 0", func() (Request, error) { return s.SignUploadPart("k", id, 0, LocalOptions{Expires: hour}) }, "part"},
		{"part 10001", func() (Request, error) {
			return s.SignUploadPart("k", id, LocalMaxParts+1, LocalOptions{Expires: hour})
		}, "part"},
		{"upload id with upper case", func() (Request, error) {
			return s.SignCompleteUpload("k", strings.ToUpper(id), LocalOptions{Expires: hour})
		}, "uploadID"},
		{"upload id that climbs out", func() (Request, error) {
			return s.SignAbortUpload("k", "../../../../etc/passwd0123456789", LocalOptions{Expires: hour})
		}, "uploadID"},
		{"empty upload id", func() (Request, error) { return s.SignUploadPart("k", "", 1, LocalOptions{Expires: hour}) }, "uploadID"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := tc.sign()
			if !isKind(err, ErrLocalOption, tc.field) {
				t.Fatalf("got %v, %v; want an ErrLocalOption for %s", r, err, tc.field)
			}
			if r.URL != "" {
				t.Errorf("a refusal returned a URL")
			}
		})
	}
	t.Run("expiry exactly 7 days away is accepted", func(t *testing.T) {
		if _, err := s.Sign("k", LocalOptions{Method: "GET", Expires: t0.Add(LocalMaxExpiry)}); err != nil {
			t.Fatal(err)
		}
	})
	for _, key := range []string{"", "../x", "a/../b", "a/./b", "/abs", "a//b", "a/", "a%2Fb", "%2e%2e/x", `a\b`, "a\x00b", "a\x7fb"} {
		t.Run("key "+strconv.Quote(key)+" is scope's ErrKey", func(t *testing.T) {
			_, err := s.Sign(key, LocalOptions{Method: "GET", Expires: hour})
			if !errors.Is(err, scope.ErrKey) {
				t.Fatalf("got %v; want scope.ErrKey", err)
			}
		})
	}
}

// TestLocalConfigRefusals: a config that cannot work is refused when the
// signer or handler is made, with ErrLocalConfig naming the field, and the
// message never quotes a base URL (it may hold a password).
func TestLocalConfigRefusals(t *testing.T) {
	mem := newLocation(t, "mem")
	keys := NewLocalKeys()
	s3, err := address.Parse("s3://AKIAEXAMPLE:Zq81xW9kTopSecrt@minio.local:9000/bkt?region=us-east-1")
	if err != nil {
		t.Fatal(err)
	}
	s3reg, err := scope.New(context.Background(), scope.Config{Deployment: scope.SelfManaged, Instance: s3, Store: scope.NewMemStore(),
		Open: func(_ context.Context, a *address.Address) (*provider.Handle, error) {
			return provider.NewHandle(a, memblob.OpenBucket(nil)), nil
		},
		Check: func(context.Context, *address.Address) ([]string, error) { return nil, nil }})
	if err != nil {
		t.Fatal(err)
	}
	defer s3reg.Close()
	s3loc, err := s3reg.Instance()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		cfg   LocalConfig
		field string
	}{
		{"no location", LocalConfig{BaseURL: "http://127.0.0.1:1", Keys: keys}, "Location"},
		{"a cloud location", LocalConfig{Location: s3loc, BaseURL: "http://127.0.0.1:1", Keys: keys}, "Location"},
		{"no keys", LocalConfig{Location: mem, BaseURL: "http://127.0.0.1:1"}, "Keys"},
		{"empty keys value", LocalConfig{Location: mem, BaseURL: "http://127.0.0.1:1", Keys: &LocalKeys{}}, "Keys"},
		{"no base URL", LocalConfig{Location: mem, Keys: keys}, "BaseURL"},
		{"ftp scheme", LocalConfig{Location: mem, BaseURL: "ftp://127.0.0.1:1", Keys: keys}, "BaseURL"},
		{"no scheme", LocalConfig{Location: mem, BaseURL: "127.0.0.1:8080", Keys: keys}, "BaseURL"},
		{"userinfo", LocalConfig{Location: mem, BaseURL: "http://admin:Zq81xW9kTopSecrt@127.0.0.1:1", Keys: keys}, "BaseURL"},
		{"query", LocalConfig{Location: mem, BaseURL: "http://127.0.0.1:1/?token=Zq81xW9kTopSecrt", Keys: keys}, "BaseURL"},
		{"empty query", LocalConfig{Location: mem, BaseURL: "http://127.0.0.1:1/?", Keys: keys}, "BaseURL"},
		{"fragment", LocalConfig{Location: mem, BaseURL: "http://127.0.0.1:1/#x", Keys: keys}, "BaseURL"},
		{"no host", LocalConfig{Location: mem, BaseURL: "http:///byob", Keys: keys}, "BaseURL"},
		{"dot-dot in the path", LocalConfig{Location: mem, BaseURL: "http://127.0.0.1:1/a/../b", Keys: keys}, "BaseURL"},
		{"empty segment in the path", LocalConfig{Location: mem, BaseURL: "http://127.0.0.1:1/a//b", Keys: keys}, "BaseURL"},
		{"non-canonical escape in the path", LocalConfig{Location: mem, BaseURL: "http://127.0.0.1:1/%61", Keys: keys}, "BaseURL"},
		{"bad port", LocalConfig{Location: mem, BaseURL: "http://127.0.0.1:Zq81xW9kTopSecrt", Keys: keys}, "BaseURL"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err1 := NewLocalSigner(tc.cfg)
			_, err2 := NewHandler(tc.cfg, HandlerOptions{})
			for _, err := range []error{err1, err2} {
				if !isKind(err, ErrLocalConfig, tc.field) {
					t.Fatalf("got %v; want an ErrLocalConfig for %s", err, tc.field)
				}
				assertNoWindow(t, "the error", err.Error(), "Zq81xW9kTopSecrt")
			}
		})
	}
	for _, tc := range []struct{ name, base, want string }{
		{"host and port", "http://127.0.0.1:8080", "http://127.0.0.1:8080/k"},
		{"trailing slash", "http://127.0.0.1:8080/", "http://127.0.0.1:8080/k"},
		{"https with a mount path", "https://files.example.com/byob/v1/", "https://files.example.com/byob/v1/k"},
	} {
		t.Run("accepts "+tc.name, func(t *testing.T) {
			s, err := NewLocalSigner(LocalConfig{Location: mem, BaseURL: tc.base, Keys: keys})
			if err != nil {
				t.Fatal(err)
			}
			r, err := s.Sign("k", LocalOptions{Method: "GET", Expires: time.Now().Add(time.Hour)})
			if err != nil {
				t.Fatal(err)
			}
			if got, _, _ := strings.Cut(r.URL, "?"); got != tc.want {
				t.Errorf("URL starts %s; want %s", got, tc.want)
			}
		})
	}
	t.Run("CORS origin that is not an origin", func(t *testing.T) {
		for _, o := range []string{"127.0.0.1:3000", "https://a.example.com/path", "https://u:p@a.example.com", "", "ftp://a"} {
			_, err := NewHandler(LocalConfig{Location: mem, BaseURL: "http://127.0.0.1:1", Keys: keys}, HandlerOptions{CORSOrigins: []string{o}})
			if !isKind(err, ErrLocalConfig, "CORSOrigins") {
				t.Errorf("origin %q: got %v; want an ErrLocalConfig for CORSOrigins", o, err)
			}
		}
	})
}
