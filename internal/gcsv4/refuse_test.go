package gcsv4_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"cloud.google.com/go/storage"
	"github.com/byobkit/byob/internal/gcsv4"
)

var signTime = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// validRequest is a request Sign accepts; each refusal case breaks one rule.
func validRequest() gcsv4.Request {
	return gcsv4.Request{Method: "PUT", Bucket: "my-bucket", Object: "f", Time: signTime, Expires: signTime.Add(time.Hour)}
}

// sdkVerdict is what storage.SignedURL v1.70.0 does with an input.
type sdkVerdict int

const (
	sdkNA      sdkVerdict = iota // the SDK has no such input (Style, Time)
	sdkSigns                     // it signs: gcsv4 is deliberately stricter
	sdkRefuses                   // it refuses too
)

// refusals: each breaks one rule and must get ErrInvalid naming the field.
// Where the SDK signs anyway (sdkSigns), GCS would refuse the URL or read
// it otherwise. The SDK takes any Hostname, so every bad Endpoint is
// sdkSigns.
var refusals = []struct {
	name  string
	edit  func(*gcsv4.Request)
	field string
	sdk   sdkVerdict
}{
	{"method in lower case", func(r *gcsv4.Request) { r.Method = "get" }, "Method", sdkSigns},
	{"method PATCH", func(r *gcsv4.Request) { r.Method = "PATCH" }, "Method", sdkRefuses},
	{"method empty", func(r *gcsv4.Request) { r.Method = "" }, "Method", sdkRefuses},

	{"bucket empty", func(r *gcsv4.Request) { r.Bucket = "" }, "Bucket", sdkSigns},
	{"bucket of 2 bytes", func(r *gcsv4.Request) { r.Bucket = "ab" }, "Bucket", sdkSigns},
	{"bucket of 223 bytes", func(r *gcsv4.Request) { r.Bucket = strings.Repeat("a", 223) }, "Bucket", sdkSigns},
	{"bucket in upper case", func(r *gcsv4.Request) { r.Bucket = "My-Bucket" }, "Bucket", sdkSigns},
	{"bucket with a slash", func(r *gcsv4.Request) { r.Bucket = "bucket/evil" }, "Bucket", sdkSigns},
	{"bucket starting with a dash", func(r *gcsv4.Request) { r.Bucket = "-bucket" }, "Bucket", sdkSigns},
	{"bucket ending with a dot", func(r *gcsv4.Request) { r.Bucket = "bucket." }, "Bucket", sdkSigns},

	{"object empty", func(r *gcsv4.Request) { r.Object = "" }, "Object", sdkSigns},
	{"object of 1025 bytes", func(r *gcsv4.Request) { r.Object = strings.Repeat("o", 1025) }, "Object", sdkSigns},
	{"object not UTF-8", func(r *gcsv4.Request) { r.Object = "bad\xff" }, "Object", sdkSigns},
	{"object with LF", func(r *gcsv4.Request) { r.Object = "a\nb" }, "Object", sdkSigns},
	{"object with CR", func(r *gcsv4.Request) { r.Object = "a\rb" }, "Object", sdkSigns},
	{"object dot", func(r *gcsv4.Request) { r.Object = "." }, "Object", sdkSigns},
	{"object dot dot", func(r *gcsv4.Request) { r.Object = ".." }, "Object", sdkSigns},
	{"object with leading slash in virtual-hosted style", func(r *gcsv4.Request) { r.Object, r.Style = "/x", gcsv4.VirtualHostedStyle }, "Object", sdkSigns},

	{"unknown style", func(r *gcsv4.Request) { r.Style = 7 }, "Style", sdkNA},
	{"virtual-hosted style with an IPv6 endpoint, which makes an unparseable URL", func(r *gcsv4.Request) {
		r.Style, r.Endpoint = gcsv4.VirtualHostedStyle, "http://[::1]:8080"
	}, "Style", sdkSigns},

	{"endpoint without scheme", func(r *gcsv4.Request) { r.Endpoint = "storage.example.com" }, "Endpoint", sdkSigns},
	{"endpoint with ftp scheme", func(r *gcsv4.Request) { r.Endpoint = "ftp://storage.example.com" }, "Endpoint", sdkSigns},
	{"endpoint with userinfo", func(r *gcsv4.Request) { r.Endpoint = "http://user:hunter2-password@127.0.0.1:4443" }, "Endpoint", sdkSigns},
	{"endpoint with a path", func(r *gcsv4.Request) { r.Endpoint = "http://127.0.0.1:4443/storage" }, "Endpoint", sdkSigns},
	{"endpoint with a trailing slash", func(r *gcsv4.Request) { r.Endpoint = "http://127.0.0.1:4443/" }, "Endpoint", sdkSigns},
	{"endpoint with a query", func(r *gcsv4.Request) { r.Endpoint = "http://127.0.0.1:4443?x=1" }, "Endpoint", sdkSigns},
	{"endpoint with a fragment", func(r *gcsv4.Request) { r.Endpoint = "http://127.0.0.1:4443#f" }, "Endpoint", sdkSigns},
	{"endpoint without host", func(r *gcsv4.Request) { r.Endpoint = "http://" }, "Endpoint", sdkSigns},
	{"endpoint with an underscore in the host", func(r *gcsv4.Request) { r.Endpoint = "http://my_host:80" }, "Endpoint", sdkSigns},
	{"endpoint that does not parse", func(r *gcsv4.Request) { r.Endpoint = "http://a b" }, "Endpoint", sdkSigns},

	{"time zero", func(r *gcsv4.Request) { r.Time = time.Time{} }, "Time", sdkNA},
	{"expires zero", func(r *gcsv4.Request) { r.Expires = time.Time{} }, "Expires", sdkRefuses},
	{"expires equal to time", func(r *gcsv4.Request) { r.Expires = r.Time }, "Expires", sdkSigns},
	{"expires 999 ms after time truncates to 0 s", func(r *gcsv4.Request) { r.Expires = r.Time.Add(999 * time.Millisecond) }, "Expires", sdkSigns},
	{"expires before time", func(r *gcsv4.Request) { r.Expires = r.Time.Add(-time.Hour) }, "Expires", sdkSigns},
	{"expires 7 days and 1 s after time", func(r *gcsv4.Request) { r.Expires = r.Time.Add(gcsv4.MaxExpiry + time.Second) }, "Expires", sdkRefuses},
	{"expires a year after time", func(r *gcsv4.Request) { r.Expires = r.Time.AddDate(1, 0, 0) }, "Expires", sdkRefuses},

	{"content type with leading space", func(r *gcsv4.Request) { r.ContentType = " text/plain" }, "ContentType", sdkSigns},
	{"content type with trailing space", func(r *gcsv4.Request) { r.ContentType = "text/plain " }, "ContentType", sdkSigns},
	{"content type with LF", func(r *gcsv4.Request) { r.ContentType = "text/plain\nx-evil: 1" }, "ContentType", sdkSigns},
	{"content type with non-ASCII", func(r *gcsv4.Request) { r.ContentType = "text/plaïn" }, "ContentType", sdkSigns},

	{"MD5 not base64", func(r *gcsv4.Request) { r.MD5 = "not base64!" }, "MD5", sdkRefuses},
	{"MD5 in hex", func(r *gcsv4.Request) { r.MD5 = "5d41402abc4b2a76b9719d911017c592" }, "MD5", sdkRefuses},
	{"MD5 of 15 bytes", func(r *gcsv4.Request) { r.MD5 = "XUFAKrxLKna5cZ2REBfF" }, "MD5", sdkRefuses},
	{"MD5 with a newline the SDK's decoder skips", func(r *gcsv4.Request) { r.MD5 = "XUFAKrxLKna5cZ2R\nEBfFkg==" }, "MD5", sdkSigns},
	{"MD5 with non-canonical padding bits", func(r *gcsv4.Request) { r.MD5 = "XUFAKrxLKna5cZ2REBfFkh==" }, "MD5", sdkSigns},

	{"header Host", func(r *gcsv4.Request) { r.Header = http.Header{"Host": {"evil.example.com"}} }, "Header", sdkSigns},
	{"header Content-Type", func(r *gcsv4.Request) { r.Header = http.Header{"Content-Type": {"text/plain"}} }, "Header", sdkSigns},
	{"header content-md5", func(r *gcsv4.Request) { r.Header = http.Header{"content-md5": {md5Hello}} }, "Header", sdkSigns},
	{"header name extending x-goog-content-sha256", func(r *gcsv4.Request) {
		r.Header = http.Header{"X-Goog-Content-Sha256-Extra": {"x"}}
	}, "Header", sdkSigns},
	{"header x-goog-content-sha256 with two values", func(r *gcsv4.Request) {
		r.Header = http.Header{"X-Goog-Content-Sha256": {"a", "b"}}
	}, "Header", sdkSigns},
	{"header with no values", func(r *gcsv4.Request) { r.Header = http.Header{"X-Goog-Meta-A": {}} }, "Header", sdkSigns},
	{"header with an empty value", func(r *gcsv4.Request) { r.Header = http.Header{"X-Goog-Meta-A": {""}} }, "Header", sdkSigns},
	{"header with a blank value", func(r *gcsv4.Request) { r.Header = http.Header{"X-Goog-Meta-A": {" \t "}} }, "Header", sdkSigns},
	{"header value with LF", func(r *gcsv4.Request) { r.Header = http.Header{"X-Goog-Meta-A": {"a\nhost:evil"}} }, "Header", sdkSigns},
	{"header value with non-ASCII", func(r *gcsv4.Request) { r.Header = http.Header{"X-Goog-Meta-A": {"naïve"}} }, "Header", sdkSigns},
	{"header name with a space", func(r *gcsv4.Request) { r.Header = http.Header{"X Goog": {"a"}} }, "Header", sdkSigns},
	{"header name with a colon", func(r *gcsv4.Request) { r.Header = http.Header{"x-a:b": {"a"}} }, "Header", sdkSigns},
	{"header named twice in different cases", func(r *gcsv4.Request) {
		r.Header = http.Header{"X-Goog-Meta-A": {"1"}, "x-goog-meta-a": {"2"}}
	}, "Header", sdkSigns},

	{"query with empty name", func(r *gcsv4.Request) { r.Query = url.Values{"": {"x"}} }, "Query", sdkSigns},
	{"query sets X-Goog-Signature", func(r *gcsv4.Request) { r.Query = url.Values{"X-Goog-Signature": {"00"}} }, "Query", sdkSigns},
	{"query sets X-Goog-Expires", func(r *gcsv4.Request) { r.Query = url.Values{"X-Goog-Expires": {"604800"}} }, "Query", sdkSigns},
	{"query sets x-goog-date in lower case", func(r *gcsv4.Request) { r.Query = url.Values{"x-goog-date": {"20260101T000000Z"}} }, "Query", sdkSigns},
	{"query sets X-Goog-Credential", func(r *gcsv4.Request) { r.Query = url.Values{"X-Goog-Credential": {"other@x"}} }, "Query", sdkSigns},
	{"query sets X-Goog-SignedHeaders", func(r *gcsv4.Request) { r.Query = url.Values{"X-Goog-SignedHeaders": {"host"}} }, "Query", sdkSigns},
	{"query sets X-Goog-Algorithm", func(r *gcsv4.Request) { r.Query = url.Values{"X-Goog-Algorithm": {"GOOG4-HMAC-SHA256"}} }, "Query", sdkSigns},
	{"query parameter with no values", func(r *gcsv4.Request) { r.Query = url.Values{"uploads": nil} }, "Query", sdkSigns},
}

// TestSignRefuses: every broken rule gets ErrInvalid naming the field, no
// URL, and no call to the signing function.
func TestSignRefuses(t *testing.T) {
	t.Setenv("STORAGE_EMULATOR_HOST", "")
	_, pemKey := testKey()
	calls := 0
	s, err := gcsv4.NewWithSignBytes(testEmail, func(ctx context.Context, b []byte) ([]byte, error) {
		calls++
		return signWithTestKey(ctx, b)
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Sign(context.Background(), new(validRequest())); err != nil || calls != 1 {
		t.Fatalf("the base request is refused (%v) or not signed once (%d)", err, calls)
	}
	for _, tc := range refusals {
		t.Run(tc.name, func(t *testing.T) {
			r := validRequest()
			tc.edit(&r)
			calls = 0
			u, err := s.Sign(context.Background(), &r)
			var e *gcsv4.Error
			if !errors.As(err, &e) || !errors.Is(err, gcsv4.ErrInvalid) || e.Field != tc.field {
				t.Fatalf("err = %v; want ErrInvalid on %s", err, tc.field)
			}
			if u != "" || calls != 0 {
				t.Errorf("a refused request returned a URL (%q) or was signed (%d calls)", u, calls)
			}
			if e.Problem == "" || e.Fix == "" {
				t.Errorf("error does not say what is wrong and how to fix it: %v", err)
			}

			if tc.sdk == sdkNA {
				return
			}
			o := sdkOptions(&r, pemKey, nil)
			// As in sdkSign, 0.9 s for the SDK's clock to move on.
			o.Expires = time.Now().Add(r.Expires.Sub(r.Time) + 900*time.Millisecond)
			if r.Expires.IsZero() {
				o.Expires = time.Time{}
			}
			_, sdkErr := storage.SignedURL(r.Bucket, r.Object, o)
			if got := map[bool]sdkVerdict{true: sdkSigns, false: sdkRefuses}[sdkErr == nil]; got != tc.sdk {
				t.Errorf("storage.SignedURL error = %v; the table says otherwise", sdkErr)
			}
		})
	}
}

// TestSignRefusesSigner: a Signer not from the constructors, and nil
// arguments, are errors, not panics.
func TestSignRefusesSigner(t *testing.T) {
	r := validRequest()
	tests := []struct {
		name  string
		s     *gcsv4.Signer
		ctx   context.Context
		r     *gcsv4.Request
		field string
	}{
		{"nil Signer", nil, context.Background(), &r, "Signer"},
		{"zero Signer", &gcsv4.Signer{}, context.Background(), &r, "Signer"},
		{"nil Request", keySigner(t), context.Background(), nil, "Request"},
		{"nil context", keySigner(t), nil, &r, "ctx"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			u, err := tc.s.Sign(tc.ctx, tc.r)
			var e *gcsv4.Error
			if !errors.As(err, &e) || !errors.Is(err, gcsv4.ErrInvalid) || e.Field != tc.field || u != "" {
				t.Fatalf("Sign = %q, %v; want ErrInvalid on %s", u, err, tc.field)
			}
		})
	}
}

// TestNewRefuses: identities that cannot sign GCS URLs are refused when
// the Signer is made, not at the first URL.
func TestNewRefuses(t *testing.T) {
	k, _ := testKey()
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	broken := *k
	broken.Primes = nil
	inconsistent := *k
	inconsistent.Precomputed = rsa.PrecomputedValues{}
	inconsistent.D = small.D
	sign := signWithTestKey
	tests := []struct {
		name  string
		new   func() (*gcsv4.Signer, error)
		field string
	}{
		{"empty e-mail", func() (*gcsv4.Signer, error) { return gcsv4.New("", k) }, "email"},
		{"e-mail without @", func() (*gcsv4.Signer, error) { return gcsv4.New("signer", k) }, "email"},
		{"e-mail with a slash, which splits the credential scope", func() (*gcsv4.Signer, error) { return gcsv4.New("a/b@x.iam.gserviceaccount.com", k) }, "email"},
		{"e-mail with a space", func() (*gcsv4.Signer, error) { return gcsv4.New("a b@x", k) }, "email"},
		{"e-mail with a newline", func() (*gcsv4.Signer, error) { return gcsv4.New("a@x\n", k) }, "email"},
		{"e-mail not UTF-8", func() (*gcsv4.Signer, error) { return gcsv4.New("a@\xff", k) }, "email"},
		{"nil key", func() (*gcsv4.Signer, error) { return gcsv4.New(testEmail, nil) }, "key"},
		{"key without modulus", func() (*gcsv4.Signer, error) { return gcsv4.New(testEmail, &rsa.PrivateKey{}) }, "key"},
		{"key without primes", func() (*gcsv4.Signer, error) { return gcsv4.New(testEmail, &broken) }, "key"},
		{"key whose exponent does not match", func() (*gcsv4.Signer, error) { return gcsv4.New(testEmail, &inconsistent) }, "key"},
		{"1024-bit key", func() (*gcsv4.Signer, error) { return gcsv4.New(testEmail, small) }, "key"},
		{"nil SignBytes", func() (*gcsv4.Signer, error) { return gcsv4.NewWithSignBytes(testEmail, nil) }, "SignBytes"},
		{"SignBytes with bad e-mail", func() (*gcsv4.Signer, error) { return gcsv4.NewWithSignBytes("nobody", sign) }, "email"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := tc.new()
			var e *gcsv4.Error
			if !errors.As(err, &e) || !errors.Is(err, gcsv4.ErrInvalid) || e.Field != tc.field || s != nil {
				t.Fatalf("= %v, %v; want ErrInvalid on %s", s, err, tc.field)
			}
		})
	}
}

// errIAM stands for a refusal of IAM signBlob.
var errIAM = errors.New("signBlob: PERMISSION_DENIED")

// TestSignBytesFailures: the signing function's failures are ErrSign with
// the cause reachable, and no URL.
func TestSignBytesFailures(t *testing.T) {
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name  string
		ctx   context.Context
		sign  func(context.Context, []byte) ([]byte, error)
		cause error // nil: none expected
		calls int
	}{
		{"function error is wrapped", context.Background(), func(context.Context, []byte) ([]byte, error) { return nil, errIAM }, errIAM, 1},
		{"function error wins over a signature", context.Background(), func(context.Context, []byte) ([]byte, error) { return []byte{1, 2, 3}, errIAM }, errIAM, 1},
		{"empty signature without error", context.Background(), func(context.Context, []byte) ([]byte, error) { return nil, nil }, nil, 1},
		{"done context: the function is not called", cancelled, signWithTestKey, context.Canceled, 0},
		{"the function sees the caller's context", context.WithValue(context.Background(), ctxKey{}, "v"), func(ctx context.Context, b []byte) ([]byte, error) {
			if ctx.Value(ctxKey{}) != "v" {
				return nil, errIAM
			}
			return nil, context.DeadlineExceeded
		}, context.DeadlineExceeded, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			calls := 0
			s, err := gcsv4.NewWithSignBytes(testEmail, func(ctx context.Context, b []byte) ([]byte, error) {
				calls++
				return tc.sign(ctx, b)
			})
			if err != nil {
				t.Fatal(err)
			}
			u, err := s.Sign(tc.ctx, new(validRequest()))
			if !errors.Is(err, gcsv4.ErrSign) || u != "" {
				t.Fatalf("Sign = %q, %v; want ErrSign and no URL", u, err)
			}
			if tc.cause != nil && !errors.Is(err, tc.cause) {
				t.Errorf("err = %v; want it to wrap %v", err, tc.cause)
			}
			if calls != tc.calls {
				t.Errorf("signing function called %d times, want %d", calls, tc.calls)
			}
		})
	}
	t.Run("done context with a key", func(t *testing.T) {
		u, err := keySigner(t).Sign(cancelled, new(validRequest()))
		if !errors.Is(err, gcsv4.ErrSign) || !errors.Is(err, context.Canceled) || u != "" {
			t.Fatalf("Sign = %q, %v; want ErrSign wrapping context.Canceled", u, err)
		}
	})
}

type ctxKey struct{}
