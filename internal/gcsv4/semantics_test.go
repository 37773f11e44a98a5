package gcsv4_test

import (
	"context"
	"crypto/rsa"
	"net/http"
	"net/url"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/byobkit/byob/internal/gcsv4"
)

// TestSignTime pins the SDK's time arithmetic, which the SDK comparisons
// cannot reach (its clock cannot be set, so they sign at whole seconds):
// X-Goog-Date is Time in UTC truncated to the second, and X-Goog-Expires is
// int(Expires.Sub(Time).Seconds()), with Time's fraction included.
func TestSignTime(t *testing.T) {
	paris := time.FixedZone("CET", 3600)
	at := time.Date(2026, 3, 4, 23, 59, 59, 900_000_000, paris) // 22:59:59.9 UTC
	tests := []struct {
		name        string
		time        time.Time
		expires     time.Time
		wantDate    string
		wantExpires string
	}{
		{"whole seconds", signTime, signTime.Add(time.Hour), "20260102T030405Z", "3600"},
		{"another zone is written in UTC", at.Truncate(time.Second), at.Truncate(time.Second).Add(time.Hour), "20260304T225959Z", "3600"},
		{"a fraction of Time is dropped from the date", at, at.Add(time.Hour), "20260304T225959Z", "3600"},
		{"the expiry counts from Time, fraction included, then truncates", at, at.Truncate(time.Second).Add(time.Hour), "20260304T225959Z", "3599"},
		{"the date's day is UTC's, not the zone's", time.Date(2026, 3, 5, 0, 30, 0, 0, paris), time.Date(2026, 3, 5, 1, 30, 0, 0, paris), "20260304T233000Z", "3600"},
		{"exactly 7 days", signTime, signTime.Add(gcsv4.MaxExpiry), "20260102T030405Z", "604800"},
		{"7 days and 999 ms truncates to 7 days", signTime, signTime.Add(gcsv4.MaxExpiry + 999*time.Millisecond), "20260102T030405Z", "604800"},
		{"1 s", signTime, signTime.Add(time.Second), "20260102T030405Z", "1"},
	}
	s := keySigner(t)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := gcsv4.Request{Method: "GET", Bucket: "my-bucket", Object: "f", Time: tc.time, Expires: tc.expires}
			u, err := s.Sign(context.Background(), &r)
			if err != nil {
				t.Fatalf("Sign: %v", err)
			}
			q := query(t, u)
			if got := q.Get("X-Goog-Date"); got != tc.wantDate {
				t.Errorf("X-Goog-Date = %s, want %s", got, tc.wantDate)
			}
			if got := q.Get("X-Goog-Expires"); got != tc.wantExpires {
				t.Errorf("X-Goog-Expires = %s, want %s", got, tc.wantExpires)
			}
			if got, want := q.Get("X-Goog-Credential"), testEmail+"/"+tc.wantDate[:8]+"/auto/storage/goog4_request"; got != want {
				t.Errorf("X-Goog-Credential = %s, want %s", got, want)
			}
		})
	}
}

// TestSignIsPure: the same Request gives the same URL, and Sign leaves the
// Request's maps as they were (the SDK rewrites its options' Headers).
func TestSignIsPure(t *testing.T) {
	r := validRequest()
	r.Header = http.Header{"x-goog-meta-A": {"  spaced  out  "}, "X-Goog-Meta-B": {"1", "2"}}
	r.Query = url.Values{"X-User": {"alice"}, "uploads": {""}}
	before := gcsv4.Request{Header: r.Header.Clone(), Query: url.Values(http.Header(r.Query).Clone())}
	s := keySigner(t)
	first, err := s.Sign(context.Background(), &r)
	if err != nil {
		t.Fatal(err)
	}
	second, err := s.Sign(context.Background(), &r)
	if err != nil {
		t.Fatal(err)
	}
	if first != second {
		t.Errorf("two signatures of one Request differ:\n%s\n%s", first, second)
	}
	if !reflect.DeepEqual(r.Header, before.Header) || !reflect.DeepEqual(r.Query, before.Query) {
		t.Errorf("Sign changed the Request: header %v, query %v", r.Header, r.Query)
	}
}

// TestNewCopiesKey: New precomputes a copy, so the caller's key is left as
// it was, and a Signer does not change when the caller's key does.
func TestNewCopiesKey(t *testing.T) {
	k, _ := testKey()
	bare := &rsa.PrivateKey{PublicKey: k.PublicKey, D: k.D, Primes: k.Primes} // not precomputed
	s, err := gcsv4.New(testEmail, bare)
	if err != nil {
		t.Fatal(err)
	}
	if bare.Precomputed.Dp != nil {
		t.Errorf("New precomputed the caller's key")
	}
	want, err := keySigner(t).Sign(context.Background(), new(validRequest()))
	if err != nil {
		t.Fatal(err)
	}
	bare.D = nil // the caller breaks its key after New
	got, err := s.Sign(context.Background(), new(validRequest()))
	if err != nil || got != want {
		t.Errorf("Sign after the caller's key changed = %v; want the original key's URL", err)
	}
}

// TestURLReadsBack: the URL parses, and a server reading it finds the
// bucket, the object and every query value as given.
func TestURLReadsBack(t *testing.T) {
	r := validRequest()
	r.Object = "dir/a b+c%d?e#f=g&h~ü"
	r.Query = url.Values{"X-User": {"a b+c&d=e"}, "response-content-disposition": {`attachment; filename="x y.txt"`}}
	u, err := keySigner(t).Sign(context.Background(), &r)
	if err != nil {
		t.Fatal(err)
	}
	pu, err := url.Parse(u)
	if err != nil {
		t.Fatalf("the URL does not parse: %v", err)
	}
	if pu.Scheme != "https" || pu.Host != "storage.googleapis.com" || pu.Path != "/my-bucket/"+r.Object || pu.Fragment != "" {
		t.Errorf("URL reads as %s %s %q #%q", pu.Scheme, pu.Host, pu.Path, pu.Fragment)
	}
	q := pu.Query()
	for k, vs := range r.Query {
		if !reflect.DeepEqual(q[k], vs) {
			t.Errorf("query %s = %q, want %q", k, q[k], vs)
		}
	}
	if sig := q.Get("X-Goog-Signature"); len(sig) != 512 {
		t.Errorf("X-Goog-Signature has %d hex digits, want 512 (RSA-2048)", len(sig))
	}
}

func query(t *testing.T, u string) url.Values {
	t.Helper()
	pu, err := url.Parse(u)
	if err != nil {
		t.Fatalf("URL does not parse: %v", err)
	}
	return pu.Query()
}

// TestSignConcurrently: one Signer serves many goroutines (run with -race),
// and they all get the one URL.
func TestSignConcurrently(t *testing.T) {
	for _, s := range []*gcsv4.Signer{keySigner(t), bytesSigner(t)} {
		want, err := s.Sign(context.Background(), new(validRequest()))
		if err != nil {
			t.Fatal(err)
		}
		urls := make(chan string, 8)
		var wg sync.WaitGroup
		for range cap(urls) {
			wg.Go(func() {
				u, err := s.Sign(context.Background(), new(validRequest()))
				if err != nil {
					t.Error(err)
				}
				urls <- u
			})
		}
		wg.Wait()
		close(urls)
		for u := range urls {
			if u != want {
				t.Errorf("a concurrent Sign returned another URL:\n%s\n%s", u, want)
			}
		}
	}
}
