package gcsv4_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"cloud.google.com/go/storage"
	"github.com/byobkit/byob/internal/gcsv4"
)

// fuzzBuckets and fuzzEndpoints are the valid choices of fuzzInput.where.
var (
	fuzzBuckets   = []string{"my-bucket", "my.bucket_1-x", "b0b"}
	fuzzEndpoints = []string{"", "http://127.0.0.1:4443", "https://storage.example.com", "http://[::1]:8080", "http://localhost:9000"}
)

// fuzzMethods are indexed by the fuzzer's method byte; the last two are
// refused (lower case, PATCH).
var fuzzMethods = []string{"GET", "HEAD", "PUT", "POST", "DELETE", "get", "PATCH"}

// fakeSign stands for the RSA signature in the fuzz target, which would
// cost a millisecond per input: both sides sign through it, so equal URLs
// still mean equal strings to sign.
func fakeSign(_ context.Context, b []byte) ([]byte, error) {
	sum := sha256.Sum256(b)
	return sum[:], nil
}

// FuzzSignMatchesSDK: whenever Sign accepts an input, its URL is the SDK's
// for the same input and time; whenever the SDK refuses one (or panics),
// Sign refuses it too. Sign never panics. Header and query values are
// split on \x1f, which neither side accepts inside a value, to fuzz
// repeated values. The seeds in testdata/fuzz run with every go test.
func FuzzSignMatchesSDK(f *testing.F) {
	f.Setenv("STORAGE_EMULATOR_HOST", "")
	f.Add(uint8(0), uint8(0), uint8(0), "", "file.txt", "", int64(3600), "", "", "", "", "", "")
	f.Add(uint8(2), uint8(1), uint8(1<<2), "", "a b/c+d%e?f#g=h&i~ü", "", int64(86400), "text/plain;  charset=utf-8", "0123456789abcdef", "X-Goog-Meta-Tags", " a \x1fb  c", "X-User", "Zoë O'Brien+1")
	s, err := gcsv4.NewWithSignBytes(testEmail, fakeSign)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, method, style, where uint8, bucket, object, endpoint string, ttl int64, contentType, md5, hName, hVals, qKey, qVals string) {
		compareWithSDK(t, s, fuzzInput{method, style, where, bucket, object, endpoint, ttl, contentType, md5, hName, hVals, qKey, qVals})
	})
}

// fuzzInput is one input of FuzzSignMatchesSDK, in its argument order.
// Most random buckets, endpoints, MD5s and expiries are refused, which
// would leave few inputs to compare with the SDK; so where picks a valid
// bucket (where%4 < 3) or the fuzzed one, and a valid endpoint
// ((where/4)%6 < 5) or the fuzzed one; an md5 of 16 bytes is encoded in
// base64 (other lengths are used as they are); and ttl is folded into
// 1..604900 s (about 100 of those seconds are too long).
type fuzzInput struct {
	method, style, where     uint8
	bucket, object, endpoint string
	ttl                      int64
	contentType, md5         string
	hName, hVals             string
	qKey, qVals              string
}

// compareWithSDK signs in with the SDK and then with s at the SDK's time,
// fails the test if the two disagree, and reports whether Sign signed.
func compareWithSDK(t *testing.T, s *gcsv4.Signer, in fuzzInput) (signed bool) {
	t.Helper()
	r := gcsv4.Request{
		Method: fuzzMethods[int(in.method)%len(fuzzMethods)], Bucket: in.bucket, Object: in.object,
		Style: gcsv4.Style(in.style % 3), Endpoint: in.endpoint, ContentType: in.contentType, MD5: in.md5,
	}
	if i := int(in.where % 4); i < len(fuzzBuckets) {
		r.Bucket = fuzzBuckets[i]
	}
	if i := int(in.where/4) % 6; i < len(fuzzEndpoints) {
		r.Endpoint = fuzzEndpoints[i]
	}
	if len(in.md5) == 16 {
		r.MD5 = base64.StdEncoding.EncodeToString([]byte(in.md5))
	}
	if in.hName != "" {
		r.Header = http.Header{in.hName: strings.Split(in.hVals, "\x1f")}
	}
	if in.qKey != "" || in.qVals != "" {
		r.Query = url.Values{in.qKey: strings.Split(in.qVals, "\x1f")}
	}
	ttl := in.ttl
	if ttl < 1 || ttl > 604900 {
		ttl = 1 + (ttl%604900+604900)%604900
	}
	life := time.Duration(ttl)*time.Second + 900*time.Millisecond // as in sdkSign

	now := time.Now()
	sdkURL, sdkErr := sdkSignFuzz(&r, now.Add(life))
	if sdkErr != nil || r.Style > gcsv4.VirtualHostedStyle {
		r.Time, r.Expires = now, now.Add(life)
		if u, err := s.Sign(context.Background(), &r); err == nil {
			t.Fatalf("the SDK refuses (%v) but Sign signs:\n%s", sdkErr, u)
		}
		return false
	}
	d, e := sdkDate.FindStringSubmatch(sdkURL), sdkExpires.FindStringSubmatch(sdkURL)
	if d == nil || e == nil {
		// Only inputs Sign refuses (an X-Goog-* query key) can hide them.
		r.Time, r.Expires = now, now.Add(life)
	} else {
		r.Time, r.Expires = sdkTime(t, sdkURL)
	}
	got, err := s.Sign(context.Background(), &r)
	if err != nil {
		return false // stricter than the SDK; TestSignRefuses says where
	}
	if got != sdkURL {
		t.Fatalf("Sign differs from the SDK:\n got %s\nwant %s", got, sdkURL)
	}
	pu, err := url.Parse(got)
	if err != nil {
		t.Fatalf("the URL does not parse: %v", err)
	}
	want := "/" + r.Object
	if r.Style == gcsv4.PathStyle {
		want = "/" + r.Bucket + want
	}
	if pu.Path != want {
		t.Fatalf("the URL's path reads %q, want %q", pu.Path, want)
	}
	return true
}

// TestFuzzSeeds: the seed corpus is a specification too. Each seed is
// signed (and matches the SDK) unless its name starts with "refused-", and
// then it is refused; so the fuzz target's seeds cannot pass vacuously.
func TestFuzzSeeds(t *testing.T) {
	t.Setenv("STORAGE_EMULATOR_HOST", "")
	s, err := gcsv4.NewWithSignBytes(testEmail, fakeSign)
	if err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob(filepath.Join("testdata", "fuzz", "FuzzSignMatchesSDK", "*"))
	if err != nil || len(files) < 10 {
		t.Fatalf("seed corpus: %d files, %v", len(files), err)
	}
	for _, file := range files {
		name := filepath.Base(file)
		t.Run(name, func(t *testing.T) {
			in := readSeed(t, file)
			if signed, want := compareWithSDK(t, s, in), !strings.HasPrefix(name, "refused-"); signed != want {
				t.Errorf("signed = %v, want %v", signed, want)
			}
		})
	}
}

// readSeed parses a "go test fuzz v1" file of FuzzSignMatchesSDK.
func readSeed(t *testing.T, file string) fuzzInput {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) != 14 || lines[0] != "go test fuzz v1" {
		t.Fatalf("not a seed of 13 values")
	}
	arg := func(i int, typ string) string {
		v, ok := strings.CutPrefix(lines[i+1], typ+"(")
		if !ok || !strings.HasSuffix(v, ")") {
			t.Fatalf("value %d is not a %s", i, typ)
		}
		return v[:len(v)-1]
	}
	str := func(i int) string {
		v, err := strconv.Unquote(arg(i, "string"))
		if err != nil {
			t.Fatalf("value %d: %v", i, err)
		}
		return v
	}
	byt := func(i int) uint8 {
		lit := arg(i, "byte")
		if len(lit) < 3 || lit[0] != '\'' || lit[len(lit)-1] != '\'' {
			t.Fatalf("value %d is not a character literal", i)
		}
		v, _, tail, err := strconv.UnquoteChar(lit[1:len(lit)-1], '\'')
		if err != nil || tail != "" || v > 255 {
			t.Fatalf("value %d: %v", i, err)
		}
		return uint8(v)
	}
	ttl, err := strconv.ParseInt(arg(6, "int64"), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return fuzzInput{byt(0), byt(1), byt(2), str(3), str(4), str(5), ttl, str(7), str(8), str(9), str(10), str(11), str(12)}
}

// sdkSignFuzz signs r with the SDK through fakeSign, turning a panic of
// the SDK into an error.
func sdkSignFuzz(r *gcsv4.Request, expires time.Time) (u string, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("storage.SignedURL panicked: %v", p)
		}
	}()
	o := sdkOptions(r, nil, fakeSign)
	o.Expires = expires
	return storage.SignedURL(r.Bucket, r.Object, o)
}
