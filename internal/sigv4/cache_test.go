package sigv4

import (
	"errors"
	"strconv"
	"testing"
	"time"
)

// TestPrefixIsPartOfTheKey: a key split into Prefix and Key at any byte
// signs the URL of the whole key, which TestPresignMatchesSDK holds to
// the SDK's, for every case of that table.
func TestPrefixIsPartOfTheKey(t *testing.T) {
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
			s, err := NewSigner(c.ak, c.sk, c.token)
			if err != nil {
				t.Fatal(err)
			}
			want, err := s.Presign(&r)
			if err != nil {
				t.Fatal(err)
			}
			whole := r.Key
			for i := 0; i < len(whole); i++ { // Key stays non-empty
				r.Prefix, r.Key = whole[:i], whole[i:]
				if got, err := s.Presign(&r); err != nil || got != want {
					t.Fatalf("Prefix %q + Key %q: got %s, %v\nwant %s", r.Prefix, r.Key, got, err, want)
				}
			}
		})
	}
}

// TestPrefixDoesNotStandForTheKey: the Key must still be given; a Prefix
// alone is refused as an empty Key.
func TestPrefixDoesNotStandForTheKey(t *testing.T) {
	s, _ := NewSigner(plainCreds.ak, plainCreds.sk, "")
	r := baseRequest()
	r.Prefix, r.Key = "inst/", ""
	var e *Error
	if _, err := s.Presign(&r); !errors.As(err, &e) || e.Field != "Key" {
		t.Fatalf("Presign = %v; want an *Error naming Key", err)
	}
}

// TestEndpointCache walks more endpoints than the Signer caches, back and
// forth, each URL the SDK's; and an endpoint that fails a check fails it
// every time, next to cached ones that pass.
func TestEndpointCache(t *testing.T) {
	s, _ := NewSigner(plainCreds.ak, plainCreds.sk, "")
	var eps []func(*Request)
	for i := 0; i < 3; i++ {
		b := "bucket-" + strconv.Itoa(i)
		eps = append(eps,
			func(r *Request) { r.Bucket = b },
			func(r *Request) { r.Bucket, r.PathStyle = b, true },
			func(r *Request) { r.Bucket, r.Scheme, r.Host = b, "http", "127.0.0.1:9000" },
			func(r *Request) { r.Bucket, r.Scheme, r.Host = b, "https", "s3.example.com:443" },
		)
	}
	bad := []struct {
		field string
		edit  func(*Request)
	}{
		{"Scheme", func(r *Request) { r.Scheme = "HTTPS" }},
		{"Host", func(r *Request) { r.Host = "s3.example.com/path" }},
		{"Bucket", func(r *Request) { r.Bucket = "b" }},
		{"Bucket", func(r *Request) { r.Bucket = "dir--x-s3" }},
	}
	for round := 0; round < 2; round++ {
		for i, ep := range eps {
			r := baseRequest()
			ep(&r)
			want, err := sdkPresign(plainCreds, &r, false)
			if err != nil {
				t.Fatal(err)
			}
			if got, err := s.Presign(&r); err != nil || got != want.URL {
				t.Fatalf("round %d, endpoint %d: got %s, %v\nwant %s", round, i, got, err, want.URL)
			}
			b := bad[i%len(bad)]
			r = baseRequest()
			b.edit(&r)
			var e *Error
			if _, err := s.Presign(&r); !errors.As(err, &e) || e.Field != b.field {
				t.Fatalf("round %d, bad %s: Presign = %v; want an *Error naming %s", round, b.field, err, b.field)
			}
		}
	}
}

// TestRequestStaysOnTheStack: the Signer keeps nothing of a Request, so a
// caller's Request and its Query need no allocation (the URL is the one).
func TestRequestStaysOnTheStack(t *testing.T) {
	s, _ := NewSigner(tokenCreds.ak, tokenCreds.sk, tokenCreds.token)
	sign := func() {
		q := [1]Param{{"X-User", "alice"}}
		r := baseRequest()
		r.Query = q[:]
		_, _ = s.Presign(&r)
	}
	sign() // fills the caches
	if n := testing.AllocsPerRun(100, sign); n != 1 {
		t.Errorf("Presign with a Request on the stack makes %v allocations, want 1 (the URL)", n)
	}
}

// TestSecondCache signs with one Signer in a second, again in it (resuming
// the string to sign's first block), in the next second and back, with a
// region long enough for that first block to be fixed and one too short:
// every URL is the SDK's.
func TestSecondCache(t *testing.T) {
	s, _ := NewSigner(plainCreds.ak, plainCreds.sk, "")
	for _, region := range []string{"us-east-1", "eu"} {
		for _, d := range []time.Duration{0, 0, time.Second, time.Second, 0, 2 * time.Second} {
			r := baseRequest()
			r.Region, r.Time = region, signTime.Add(d)
			want, err := sdkPresign(plainCreds, &r, false)
			if err != nil {
				t.Fatal(err)
			}
			if got, err := s.Presign(&r); err != nil || got != want.URL {
				t.Fatalf("%s at +%v: got %s, %v\nwant %s", region, d, got, err, want.URL)
			}
		}
	}
}
