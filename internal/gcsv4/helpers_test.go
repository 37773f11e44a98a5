package gcsv4_test

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/pem"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"cloud.google.com/go/storage"
	"github.com/byobkit/byob/internal/gcsv4"
)

const testEmail = "signer@byob-test.iam.gserviceaccount.com"

// testKey is one RSA-2048 key for the whole test binary (generating one
// costs a good fraction of a second), with its PKCS#8 PEM form, which is
// what users hand the SDK.
var testKey = sync.OnceValues(func() (*rsa.PrivateKey, []byte) {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		panic(err)
	}
	return k, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
})

// keySigner and bytesSigner sign with testKey: directly, and through a
// SignBytes function standing in for IAM signBlob.
func keySigner(t testing.TB) *gcsv4.Signer {
	t.Helper()
	k, _ := testKey()
	s, err := gcsv4.New(testEmail, k)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return s
}

func signWithTestKey(_ context.Context, b []byte) ([]byte, error) {
	k, _ := testKey()
	sum := sha256.Sum256(b)
	return rsa.SignPKCS1v15(nil, k, crypto.SHA256, sum[:])
}

func bytesSigner(t testing.TB) *gcsv4.Signer {
	t.Helper()
	s, err := gcsv4.NewWithSignBytes(testEmail, signWithTestKey)
	if err != nil {
		t.Fatalf("NewWithSignBytes: %v", err)
	}
	return s
}

// sdkOptions translates a Request into the SDK's options, without Expires:
// the same method, headers ("name:value", one entry per value, names
// sorted so the SDK's merge order is the Request's), query, style, host and
// scheme. With pemKey nil, it signs through signBytes.
func sdkOptions(r *gcsv4.Request, pemKey []byte, signBytes func(context.Context, []byte) ([]byte, error)) *storage.SignedURLOptions {
	o := &storage.SignedURLOptions{
		GoogleAccessID: testEmail,
		Scheme:         storage.SigningSchemeV4,
		Method:         r.Method,
		ContentType:    r.ContentType,
		MD5:            r.MD5,
		Style:          storage.PathStyle(),
	}
	if pemKey != nil {
		o.PrivateKey = pemKey
	} else {
		o.SignBytes = func(b []byte) ([]byte, error) { return signBytes(context.Background(), b) }
	}
	names := make([]string, 0, len(r.Header))
	for n := range r.Header {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		for _, v := range r.Header[n] {
			o.Headers = append(o.Headers, n+":"+v)
		}
	}
	if r.Query != nil {
		o.QueryParameters = url.Values{}
		for k, vs := range r.Query {
			o.QueryParameters[k] = append([]string(nil), vs...)
		}
	}
	if r.Style == gcsv4.VirtualHostedStyle {
		o.Style = storage.VirtualHostedStyle()
	}
	if r.Endpoint != "" {
		scheme, host, _ := strings.Cut(r.Endpoint, "://")
		o.Hostname = host
		o.Insecure = scheme == "http"
	}
	return o
}

var (
	sdkDate    = regexp.MustCompile(`[?&]X-Goog-Date=(\d{8}T\d{6}Z)(&|$)`)
	sdkExpires = regexp.MustCompile(`[?&]X-Goog-Expires=(-?\d+)(&|$)`)
)

// sdkTime reads the signing time and the expiry the SDK used from its URL.
// The SDK's clock (an unexported time.Now in the package) cannot be set
// from outside, so the comparisons sign with the SDK first and then with
// gcsv4 at the time the SDK's URL records.
func sdkTime(t testing.TB, sdkURL string) (now, expires time.Time) {
	t.Helper()
	d, e := sdkDate.FindStringSubmatch(sdkURL), sdkExpires.FindStringSubmatch(sdkURL)
	if d == nil || e == nil {
		t.Fatalf("the SDK's URL has no X-Goog-Date or X-Goog-Expires")
	}
	now, err := time.Parse("20060102T150405Z", d[1])
	if err != nil {
		t.Fatalf("X-Goog-Date: %v", err)
	}
	secs, err := strconv.Atoi(e[1])
	if err != nil {
		t.Fatalf("X-Goog-Expires: %v", err)
	}
	return now, now.Add(time.Duration(secs) * time.Second)
}

// sdkSign signs r with the SDK for a life of ttl, and returns its URL with
// r's Time and Expires set to what the SDK used. Expires is given 0.9 s
// more than ttl, so that truncating to whole seconds after the SDK has
// read its clock leaves ttl; it retries (a stalled machine) until it does.
func sdkSign(t testing.TB, r *gcsv4.Request, ttl time.Duration, pemKey []byte, signBytes func(context.Context, []byte) ([]byte, error)) string {
	t.Helper()
	for try := 0; ; try++ {
		o := sdkOptions(r, pemKey, signBytes)
		o.Expires = time.Now().Add(ttl + 900*time.Millisecond)
		u, err := storage.SignedURL(r.Bucket, r.Object, o)
		if err != nil {
			t.Fatalf("storage.SignedURL: %v", err)
		}
		now, exp := sdkTime(t, u)
		if exp.Sub(now) == ttl || try == 5 {
			r.Time, r.Expires = now, exp
			return u
		}
	}
}
