package sigv4

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/google/go-cmp/cmp"
)

var (
	plainCreds = testCreds{ak: "AKIAIOSFODNN7EXAMPLE", sk: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}
	tokenCreds = testCreds{ak: "ASIAY34FZKBOKMUTVV7A", sk: "tmp/Secret+Key=0123456789abcdefghijklmn", token: "IQoJb3JpZ2luX2VjE/+token==with/slash+plus="}
	signTime   = time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)
)

// baseRequest is a virtual-hosted GET on a custom HTTPS endpoint; each
// case changes what its name says.
func baseRequest() Request {
	return Request{
		Op: GetObject, Scheme: "https", Host: "s3.example.com",
		Bucket: "my-bucket", Key: "wandb_artifacts/1/abc/0123456789abcdef",
		Region: "us-east-1", Time: signTime, Expires: time.Hour,
	}
}

type sdkCase struct {
	name  string
	creds testCreds
	// defaultEndpoint leaves the endpoint to the SDK's AWS rules, to show
	// that Host "s3.<region>.amazonaws.com" is what they resolve.
	defaultEndpoint bool
	edit            func(*Request)
}

func sdkCases() []sdkCase {
	key := func(k string) func(*Request) { return func(r *Request) { r.Key = k } }
	user := func(u string) func(*Request) { return func(r *Request) { r.Query = []Param{{"X-User", u}} } }
	all := func(fs ...func(*Request)) func(*Request) {
		return func(r *Request) {
			for _, f := range fs {
				f(r)
			}
		}
	}
	pathStyle := func(r *Request) { r.PathStyle = true; r.Scheme = "http"; r.Host = "127.0.0.1:9000" }
	put := func(r *Request) { r.Op = PutObject; r.Expires = 24 * time.Hour }
	part := func(r *Request) { r.Op = UploadPart; r.PartNumber = 7; r.UploadID = "2~Vz6sN/Ab+cD==" }
	return []sdkCase{
		// operations
		{name: "GET", edit: func(*Request) {}},
		{name: "HEAD", edit: func(r *Request) { r.Op = HeadObject }},
		{name: "PUT", edit: put},
		{name: "PUT with Content-Type and Content-MD5 signed", edit: all(put, func(r *Request) {
			r.ContentType = "application/octet-stream"
			r.ContentMD5 = "1B2M2Y8AsgTpgAmY7PhCfg=="
		})},
		{name: "PUT with only Content-Type signed", edit: all(put, func(r *Request) { r.ContentType = "text/plain; charset=utf-8" })},
		{name: "PUT with only Content-MD5 signed", edit: all(put, func(r *Request) { r.ContentMD5 = "XrY7u+Ae7tCTyyK7j1rNww==" })},
		{name: "PUT whose Content-Type has runs of spaces, canonicalised as the SDK does", edit: all(put, func(r *Request) { r.ContentType = "  text/plain;   charset=utf-8  " })},
		{name: "UploadPart", edit: part},
		{name: "UploadPart with Content-MD5", edit: all(part, func(r *Request) { r.ContentMD5 = "XrY7u+Ae7tCTyyK7j1rNww==" })},
		{name: "UploadPart number 10000", edit: all(part, func(r *Request) { r.PartNumber = 10000 })},
		{name: "CreateMultipartUpload", edit: func(r *Request) { r.Op = CreateMultipartUpload }},
		{name: "CreateMultipartUpload with Content-Type", edit: func(r *Request) { r.Op = CreateMultipartUpload; r.ContentType = "image/png" }},
		{name: "CompleteMultipartUpload", edit: func(r *Request) { r.Op = CompleteMultipartUpload; r.UploadID = "up id/with+odd=chars" }},
		{name: "AbortMultipartUpload", edit: func(r *Request) { r.Op = AbortMultipartUpload; r.UploadID = "abc" }},

		// addressing
		{name: "path style on an IPv4 endpoint with a port", edit: pathStyle},
		{name: "path style PUT with headers", edit: all(pathStyle, put, func(r *Request) { r.ContentType = "text/csv"; r.ContentMD5 = "1B2M2Y8AsgTpgAmY7PhCfg==" })},
		{name: "path style UploadPart", edit: all(pathStyle, part)},
		{name: "path style CreateMultipartUpload", edit: all(pathStyle, func(r *Request) { r.Op = CreateMultipartUpload })},
		{name: "path style CompleteMultipartUpload", edit: all(pathStyle, func(r *Request) { r.Op = CompleteMultipartUpload; r.UploadID = "u" })},
		{name: "path style on a named host", edit: func(r *Request) { r.PathStyle = true; r.Host = "minio.local:9000"; r.Scheme = "http" }},
		{name: "virtual-hosted on a named host with a port", edit: func(r *Request) { r.Host = "minio.local:9000"; r.Scheme = "http" }},
		{name: "virtual-hosted falls back to path style for a dotted bucket", edit: func(r *Request) { r.Bucket = "my.dotted.bucket" }},
		{name: "virtual-hosted falls back to path style for an upper-case bucket", edit: func(r *Request) { r.Bucket = "LegacyBucket" }},
		{name: "virtual-hosted falls back to path style for an underscore bucket", edit: func(r *Request) { r.Bucket = "legacy_bucket" }},
		{name: "virtual-hosted falls back to path style for a 64-character bucket", edit: func(r *Request) { r.Bucket = strings.Repeat("b", 64) }},
		{name: "virtual-hosted with a 63-character bucket", edit: func(r *Request) { r.Bucket = strings.Repeat("b", 63) }},
		{name: "virtual-hosted falls back to path style on an IPv4 endpoint", edit: func(r *Request) { r.Scheme = "http"; r.Host = "10.0.0.1:9000" }},
		{name: "virtual-hosted falls back to path style on an IPv6 endpoint", edit: func(r *Request) { r.Scheme = "http"; r.Host = "[::1]:9000" }},
		{name: "IPv6 endpoint on the default port signs the host without brackets", edit: func(r *Request) { r.Host = "[2001:db8::1]:443" }},
		{name: "IPv6 endpoint without a port", edit: func(r *Request) { r.Scheme = "http"; r.Host = "[::1]"; r.PathStyle = true }},

		// ports
		{name: "https :443 stays in the URL but not in the signed host", edit: func(r *Request) { r.Host = "s3.example.com:443" }},
		{name: "http :80 stays in the URL but not in the signed host", edit: func(r *Request) { r.Scheme = "http"; r.Host = "s3.example.com:80" }},
		{name: "https :8443 is signed", edit: func(r *Request) { r.Host = "s3.example.com:8443" }},
		{name: "http :443 is not a default port", edit: func(r *Request) { r.Scheme = "http"; r.Host = "s3.example.com:443" }},
		{name: "https :80 is not a default port", edit: func(r *Request) { r.Host = "s3.example.com:80" }},
		{name: "upper-case host keeps its case", edit: func(r *Request) { r.Host = "S3.Example.COM" }},

		// regions and providers
		{name: "AWS us-east-1 as the SDK resolves it", defaultEndpoint: true, edit: func(r *Request) { r.Host = "s3.us-east-1.amazonaws.com" }},
		{name: "AWS eu-central-1 as the SDK resolves it", defaultEndpoint: true, edit: func(r *Request) { r.Region = "eu-central-1"; r.Host = "s3.eu-central-1.amazonaws.com" }},
		{name: "AWS eu-central-1 PUT with headers and a session token", creds: tokenCreds, defaultEndpoint: true, edit: all(put, func(r *Request) {
			r.Region = "eu-central-1"
			r.Host = "s3.eu-central-1.amazonaws.com"
			r.ContentType = "application/json"
			r.ContentMD5 = "1B2M2Y8AsgTpgAmY7PhCfg=="
		})},
		{name: "AWS dotted bucket falls back to path style as the SDK resolves it", defaultEndpoint: true, edit: func(r *Request) { r.Host = "s3.us-east-1.amazonaws.com"; r.Bucket = "my.bucket" }},
		{name: "CoreWeave US-EAST-04A on cwobject.com", edit: func(r *Request) { r.Region = "US-EAST-04A"; r.Host = "cwobject.com" }},
		{name: "CoreWeave US-EAST-04A on cwlota.com over plain HTTP", edit: func(r *Request) { r.Region = "US-EAST-04A"; r.Host = "cwlota.com"; r.Scheme = "http" }},
		{name: "CoreWeave PUT with headers and X-User", edit: all(put, user("alice"), func(r *Request) {
			r.Region = "US-EAST-04A"
			r.Host = "cwobject.com"
			r.ContentType = "application/octet-stream"
			r.ContentMD5 = "1B2M2Y8AsgTpgAmY7PhCfg=="
		})},

		// session token
		{name: "GET with a session token", creds: tokenCreds},
		{name: "UploadPart with a session token", creds: tokenCreds, edit: part},
		{name: "path style PUT with a session token", creds: tokenCreds, edit: all(pathStyle, put)},
		{name: "CompleteMultipartUpload with a session token", creds: tokenCreds, edit: func(r *Request) { r.Op = CompleteMultipartUpload; r.UploadID = "u" }},

		// response overrides
		{name: "GET with response-content-type", edit: func(r *Request) { r.ResponseContentType = "text/plain; charset=utf-8" }},
		{name: "GET with response-content-disposition", edit: func(r *Request) {
			r.ResponseContentDisposition = `attachment; filename="a b+c.txt"; filename*=UTF-8''%C3%BC.txt`
		}},
		{name: "GET with both overrides, unicode and a token", creds: tokenCreds, edit: func(r *Request) {
			r.ResponseContentType = "image/png"
			r.ResponseContentDisposition = `inline; filename="bild-ü.png"`
		}},
		{name: "HEAD with both overrides", edit: func(r *Request) {
			r.Op = HeadObject
			r.ResponseContentType = "application/json"
			r.ResponseContentDisposition = "attachment"
		}},

		// X-User and other extra parameters
		{name: "GET with X-User", edit: user("alice")},
		{name: "GET with an X-User e-mail", edit: user("alice+ml@example.com")},
		{name: "GET with an X-User holding spaces, unicode, & and =", edit: user("Ålice Smith & co=1/2")},
		{name: "GET with an empty X-User", edit: user("")},
		{name: "PUT with X-User and both headers", edit: all(put, user("bob"), func(r *Request) {
			r.ContentType = "text/plain"
			r.ContentMD5 = "1B2M2Y8AsgTpgAmY7PhCfg=="
		})},
		{name: "UploadPart with X-User", edit: all(part, user("carol"))},
		{name: "CreateMultipartUpload with X-User", edit: all(user("dave"), func(r *Request) { r.Op = CreateMultipartUpload })},
		{name: "CompleteMultipartUpload with X-User", edit: all(user("erin"), func(r *Request) { r.Op = CompleteMultipartUpload; r.UploadID = "u" })},
		{name: "AbortMultipartUpload with X-User", edit: all(user("erin"), func(r *Request) { r.Op = AbortMultipartUpload; r.UploadID = "u" })},
		{name: "HEAD with X-User and overrides", edit: all(user("frank"), func(r *Request) { r.Op = HeadObject; r.ResponseContentType = "a/b" })},
		{name: "extra parameters sort before, among and after the signer's", edit: func(r *Request) {
			r.ResponseContentType = "text/plain"
			r.Query = []Param{{"zeta", "z"}, {"X-User", "u"}, {"Alpha", "a"}, {"X-Amy", "y"}, {"response-expires", "0"}, {"x-user", "lower"}, {"~tilde", "t"}}
		}},

		// keys
		{name: "key with spaces", edit: key("my dir/my file.txt")},
		{name: "key with unicode", edit: key("données/日本語/ü.bin")},
		{name: "key with plus", edit: key("a+b/c++")},
		{name: "key with percent", edit: key("100%/a%20b/%zz")},
		{name: "key with tilde", edit: key("~user/~file~")},
		{name: "key with question mark", edit: key("what?/is=this&x=1")},
		{name: "key with hash", edit: key("#tag/a#b")},
		{name: "key with every printable ASCII character", edit: key(" !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~")},
		{name: "key with a leading slash", edit: key("/leading")},
		{name: "key with a trailing slash", edit: key("dir/")},
		{name: "key with empty and dot segments", edit: key("a//b/./c/../d")},
		{name: "key that is a single slash", edit: key("/")},
		{name: "key with control characters", edit: key("tab\there\nnewline\x00nul\x7f")},
		{name: "key that is not UTF-8", edit: key("bad\xff\xfe")},
		{name: "path style key with a leading slash", edit: all(pathStyle, key("/leading"))},
		{name: "path style key with spaces and unicode", edit: all(pathStyle, key("a b/ü+%"))},
		{name: "key of 1024 bytes of unicode, beyond the stack buffer", edit: key(strings.Repeat("ü", 512))},

		// expiries
		{name: "expires in 1 s", edit: func(r *Request) { r.Expires = time.Second }},
		{name: "expires in 1 h", edit: func(r *Request) { r.Expires = time.Hour }},
		{name: "expires in 7 days", edit: func(r *Request) { r.Expires = MaxExpires }},
		{name: "expires in 1.9 s, truncated like the SDK", edit: func(r *Request) { r.Expires = 1900 * time.Millisecond }},
		{name: "expires in 7 days and 0.9 s, truncated like the SDK", edit: func(r *Request) { r.Expires = MaxExpires + 900*time.Millisecond }},

		// times
		{name: "time at midnight UTC", edit: func(r *Request) { r.Time = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC) }},
		{name: "time one second before midnight", edit: func(r *Request) { r.Time = time.Date(2024, 12, 31, 23, 59, 59, 999999999, time.UTC) }},
		{name: "time on a leap day", edit: func(r *Request) { r.Time = time.Date(2024, 2, 29, 12, 30, 45, 0, time.UTC) }},
		{name: "time in another zone is signed in UTC", edit: func(r *Request) {
			r.Time = time.Date(2025, 3, 4, 23, 30, 0, 0, time.FixedZone("UTC-5", -5*3600))
		}},
		{name: "time with a monotonic reading", edit: func(r *Request) { r.Time = time.Now() }},
		{name: "time in the year 999, zero-padded like the SDK", edit: func(r *Request) { r.Time = time.Date(999, 7, 8, 9, 10, 11, 0, time.UTC) }},
		{name: "time in 2099", edit: func(r *Request) { r.Time = time.Date(2099, 12, 31, 1, 2, 3, 0, time.UTC) }},
	}
}

// expectedHeaders are the headers the client must send: the signed ones.
func expectedHeaders(r *Request, host string) http.Header {
	h := http.Header{"Host": {host}}
	if r.ContentType != "" {
		h["Content-Type"] = []string{r.ContentType}
	}
	if r.ContentMD5 != "" {
		h["Content-Md5"] = []string{r.ContentMD5}
	}
	return h
}

// TestPresignMatchesSDK is the specification: for every input, the URL is
// the SDK's, byte for byte, and the SDK signs exactly the headers the
// Request sets.
func TestPresignMatchesSDK(t *testing.T) {
	for _, tc := range sdkCases() {
		t.Run(tc.name, func(t *testing.T) {
			c := tc.creds
			if c.ak == "" {
				c = plainCreds
			}
			r := baseRequest()
			if tc.edit != nil {
				tc.edit(&r)
			}
			want, err := sdkPresign(c, &r, tc.defaultEndpoint)
			if err != nil {
				t.Fatalf("SDK: %v", err)
			}
			s, err := NewSigner(c.ak, c.sk, c.token)
			if err != nil {
				t.Fatal(err)
			}
			got, err := s.Presign(&r)
			if err != nil {
				t.Fatalf("Presign: %v", err)
			}
			if got != want.URL {
				t.Errorf("URL differs from the SDK's:\n got %s\nwant %s", got, want.URL)
			}
			if want.Method != r.Op.Method() {
				t.Errorf("SDK signed method %s, Op.Method() = %s", want.Method, r.Op.Method())
			}
			u, err := url.Parse(got)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(expectedHeaders(&r, want.SignedHeader.Get("Host")), want.SignedHeader); diff != "" {
				t.Errorf("the SDK signs other headers than the Request sets (-ours +SDK):\n%s", diff)
			}
			if h := want.SignedHeader.Get("Host"); signedHost(u.Scheme, u.Host) != h {
				t.Errorf("signed host %q, SDK %q", signedHost(u.Scheme, u.Host), h)
			}
			appended, err := s.AppendPresign([]byte("prefix:"), &r)
			if err != nil || string(appended) != "prefix:"+got {
				t.Errorf("AppendPresign = %q, %v; want the prefix and Presign's URL", appended, err)
			}
		})
	}
}

// TestReferenceMatchesPresignClient shows that presignOther, the reference
// for the operations s3.PresignClient lacks, signs what the PresignClient
// signs on the operations both can do.
func TestReferenceMatchesPresignClient(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name  string
		creds testCreds
		edit  func(*Request)
	}{
		{"GET virtual-hosted", plainCreds, func(*Request) {}},
		{"GET path style with a token and X-User", tokenCreds, func(r *Request) { r.PathStyle = true; r.Query = []Param{{"X-User", "a b"}} }},
		{"HEAD with an odd key", plainCreds, func(r *Request) { r.Op = HeadObject; r.Key = "/a b+c%d?e#f" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := baseRequest()
			tc.edit(&r)
			want, err := sdkPresign(tc.creds, &r, false)
			if err != nil {
				t.Fatal(err)
			}
			client := sdkClient(tc.creds, &r, false)
			got, err := presignOther(&r, func(o ...func(*s3.Options)) error {
				var err error
				switch r.Op {
				case GetObject:
					_, err = client.GetObject(ctx, &s3.GetObjectInput{Bucket: &r.Bucket, Key: &r.Key}, o...)
				case HeadObject:
					_, err = client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &r.Bucket, Key: &r.Key}, o...)
				}
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			if got.URL != want.URL || got.Method != want.Method {
				t.Errorf("replica %s %s\nPresignClient %s %s", got.Method, got.URL, want.Method, want.URL)
			}
			if diff := cmp.Diff(want.SignedHeader, got.SignedHeader); diff != "" {
				t.Errorf("signed headers differ (-PresignClient +replica):\n%s", diff)
			}
		})
	}
}

// TestPresignClientAtWallClock compares with an unmodified PresignClient,
// clock included: the fixed-clock presigner of the other tests changes
// nothing but the time.
func TestPresignClientAtWallClock(t *testing.T) {
	r := baseRequest()
	r.Query = nil
	c := tokenCreds
	pc := s3.NewPresignClient(sdkClient(c, &r, false), s3.WithPresignExpires(r.Expires))
	want, err := pc.PresignGetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(r.Bucket), Key: aws.String(r.Key)})
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(want.URL)
	if err != nil {
		t.Fatal(err)
	}
	r.Time, err = time.Parse("20060102T150405Z", u.Query().Get("X-Amz-Date"))
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewSigner(c.ak, c.sk, c.token)
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.Presign(&r)
	if err != nil {
		t.Fatal(err)
	}
	if got != want.URL {
		t.Errorf("URL differs from the unmodified PresignClient's:\n got %s\nwant %s", got, want.URL)
	}
}

// TestSignerCacheFollowsTheSecret signs the same access key id, day and
// region with two secrets, in turn, from one Signer each and from a
// shared one: each URL must be the SDK's for its own secret. The SDK's own
// v4.Signer, reused, fails this (it caches by access key id).
func TestSignerCacheFollowsTheSecret(t *testing.T) {
	r := baseRequest()
	c1 := testCreds{ak: "AKIASAME", sk: "first-secret"}
	c2 := testCreds{ak: "AKIASAME", sk: "second-secret"}
	s1, _ := NewSigner(c1.ak, c1.sk, "")
	s2, _ := NewSigner(c2.ak, c2.sk, "")
	for i := 0; i < 3; i++ {
		for _, p := range []struct {
			c testCreds
			s *Signer
		}{{c1, s1}, {c2, s2}} {
			want, err := sdkPresign(p.c, &r, false)
			if err != nil {
				t.Fatal(err)
			}
			got, err := p.s.Presign(&r)
			if err != nil || got != want.URL {
				t.Fatalf("round %d, secret %q: got %s, %v\nwant %s", i, p.c.sk, got, err, want.URL)
			}
		}
	}
}

// TestSignerCacheAcrossDaysAndRegions walks more (day, region) pairs than
// the cache holds, back and forth, so that every hit, miss and eviction
// path signs what the SDK signs.
func TestSignerCacheAcrossDaysAndRegions(t *testing.T) {
	s, _ := NewSigner(plainCreds.ak, plainCreds.sk, "")
	regions := []string{"us-east-1", "eu-central-1", "US-EAST-04A"}
	for round := 0; round < 2; round++ {
		for day := 0; day < 3; day++ {
			for _, region := range regions {
				r := baseRequest()
				r.Region = region
				r.Time = signTime.AddDate(0, 0, day)
				want, err := sdkPresign(plainCreds, &r, false)
				if err != nil {
					t.Fatal(err)
				}
				got, err := s.Presign(&r)
				if err != nil || got != want.URL {
					t.Fatalf("round %d, day %d, %s: got %s, %v\nwant %s", round, day, region, got, err, want.URL)
				}
			}
		}
	}
}

// TestPresignConcurrent signs from many goroutines with one Signer across
// regions, for the race detector and for cache consistency.
func TestPresignConcurrent(t *testing.T) {
	s, _ := NewSigner(plainCreds.ak, plainCreds.sk, "")
	regions := []string{"us-east-1", "eu-central-1", "US-EAST-04A", "ap-south-1", "eu-west-3", "sa-east-1"}
	want := map[string]string{}
	for _, region := range regions {
		r := baseRequest()
		r.Region = region
		w, err := sdkPresign(plainCreds, &r, false)
		if err != nil {
			t.Fatal(err)
		}
		want[region] = w.URL
	}
	done := make(chan error)
	for g := 0; g < 8; g++ {
		go func(g int) {
			for i := 0; i < 300; i++ {
				r := baseRequest()
				r.Region = regions[(g+i)%len(regions)]
				got, err := s.Presign(&r)
				if err == nil && got != want[r.Region] {
					err = errors.New("goroutine signed another URL than the SDK for " + r.Region)
				}
				if err != nil {
					done <- err
					return
				}
			}
			done <- nil
		}(g)
	}
	for g := 0; g < 8; g++ {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}

// TestPresignAllocations pins the allocation budget: the URL string is
// Presign's only allocation, and AppendPresign into a buffer with room
// makes none, for a plain GET and for a PUT with headers, a token and
// X-User. (Scratch buffers that escape, or an error built and dropped on
// the way, show up here.)
func TestPresignAllocations(t *testing.T) {
	get := baseRequest()
	put := baseRequest()
	put.Op, put.ContentType, put.ContentMD5 = PutObject, "text/plain", "1B2M2Y8AsgTpgAmY7PhCfg=="
	put.Query = []Param{{"X-User", "alice@example.com"}}
	s, _ := NewSigner(tokenCreds.ak, tokenCreds.sk, tokenCreds.token)
	for name, r := range map[string]*Request{"GET": &get, "PUT with headers": &put} {
		if _, err := s.Presign(r); err != nil { // fills the key cache
			t.Fatal(err)
		}
		if n := testing.AllocsPerRun(100, func() { _, _ = s.Presign(r) }); n != 1 {
			t.Errorf("%s: Presign makes %v allocations per URL, want 1", name, n)
		}
		buf := make([]byte, 0, 4096)
		if n := testing.AllocsPerRun(100, func() { buf, _ = s.AppendPresign(buf[:0], r) }); n != 0 {
			t.Errorf("%s: AppendPresign makes %v allocations per URL, want 0", name, n)
		}
	}
}
