package provider

import (
	"crypto/tls"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/byobkit/byob/address"
)

func TestQuirksTable(t *testing.T) {
	whenRequired := s3Quirks{RequestChecksum: aws.RequestChecksumCalculationWhenRequired, ResponseChecksum: aws.ResponseChecksumValidationWhenRequired}
	for _, tc := range []struct {
		flavor address.Flavor
		want   s3Quirks
	}{
		{address.FlavorAWS, s3Quirks{RequestChecksum: aws.RequestChecksumCalculationWhenSupported, ResponseChecksum: aws.ResponseChecksumValidationWhenSupported, SDKEndpoint: true}},
		{address.FlavorS3Compatible, whenRequired},
		{address.FlavorCoreWeave, s3Quirks{RequestChecksum: whenRequired.RequestChecksum, ResponseChecksum: whenRequired.ResponseChecksum, MinTLS: tls.VersionTLS13}},
		{address.FlavorCoreWeaveLOTA, whenRequired},
	} {
		t.Run(string(tc.flavor), func(t *testing.T) {
			if got := s3QuirksOf(tc.flavor); got != tc.want {
				t.Errorf("s3QuirksOf(%s) = %+v, want %+v", tc.flavor, got, tc.want)
			}
		})
	}
}

// s3Request is what an S3 client sent, recorded by a transport that then
// fails the request.
type s3Request struct {
	url    string
	header http.Header
}

// recordS3Put opens a and writes one object through a recording transport,
// returning the first request sent.
func recordS3Put(t *testing.T, a *address.Address, opts ...Option) s3Request {
	t.Helper()
	var once sync.Once
	var got s3Request
	hc := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		once.Do(func() { got = s3Request{url: r.URL.Scheme + "://" + r.URL.Host + r.URL.Path, header: r.Header.Clone()} })
		return nil, errors.New("recorded")
	})}
	b, err := Open(t.Context(), a, append(opts, WithHTTPClient(hc))...)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer b.Close()
	_ = b.Bucket().WriteAll(t.Context(), "k", []byte("data"), nil)
	return got
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestS3RequestsFollowTheQuirks(t *testing.T) {
	for _, tc := range []struct {
		name         string
		a            address.Address
		wantURL      string
		wantChecksum bool // the newer x-amz-checksum-* headers are sent
	}{
		{
			name:         "AWS is virtual-hosted with checksums, endpoint from the region",
			a:            address.Address{Provider: address.S3, Bucket: "bkt", Region: "eu-central-1", TLS: true, AccessKey: "ak", Secret: "sk"},
			wantURL:      "https://bkt.s3.eu-central-1.amazonaws.com/k",
			wantChecksum: true,
		},
		{
			name:    "S3-compatible is path style over plain HTTP, without checksums",
			a:       address.Address{Provider: address.S3, Endpoint: "minio.local:9000", Bucket: "bkt", Region: "us-east-1", AccessKey: "ak", Secret: "sk"},
			wantURL: "http://minio.local:9000/bkt/k",
		},
		{
			name:    "CoreWeave is virtual-hosted over HTTPS, without checksums",
			a:       address.Address{Provider: address.CoreWeave, Endpoint: "cwobject.com", Bucket: "bkt", Region: "US-EAST-04A", TLS: true, AccessKey: "ak", Secret: "sk"},
			wantURL: "https://bkt.cwobject.com/k",
		},
		{
			name:    "CoreWeave LOTA is virtual-hosted over plain HTTP",
			a:       address.Address{Provider: address.CoreWeave, Endpoint: "cwlota.com", Bucket: "bkt", Region: "US-EAST-04A", AccessKey: "ak", Secret: "sk"},
			wantURL: "http://bkt.cwlota.com/k",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := recordS3Put(t, &tc.a)
			if got.url != tc.wantURL {
				t.Errorf("PUT went to %s, want %s", got.url, tc.wantURL)
			}
			if has := hasChecksumHeader(got.header); has != tc.wantChecksum {
				t.Errorf("x-amz-checksum-* sent = %v, want %v (headers %v)", has, tc.wantChecksum, got.header)
			}
		})
	}
}

func hasChecksumHeader(h http.Header) bool {
	for k := range h {
		if strings.HasPrefix(http.CanonicalHeaderKey(k), "X-Amz-Checksum-") {
			return true
		}
	}
	return h.Get("X-Amz-Sdk-Checksum-Algorithm") != ""
}

func TestS3OptionsMinTLS(t *testing.T) {
	cw := &address.Address{Provider: address.CoreWeave, Endpoint: "cwobject.com", Bucket: "bkt", Region: "US-EAST-04A", TLS: true}
	t.Run("SDK default client gets TLS 1.3 for cwobject.com", func(t *testing.T) {
		so := s3Options(cw, Options{}, "US-EAST-04A", nil)
		bc, ok := so.HTTPClient.(*awshttp.BuildableClient)
		if !ok {
			t.Fatalf("HTTPClient is %T, want the SDK's buildable client", so.HTTPClient)
		}
		if v := bc.GetTransport().TLSClientConfig.MinVersion; v != tls.VersionTLS13 {
			t.Errorf("MinVersion = %x, want TLS 1.3", v)
		}
	})
	t.Run("caller's client is copied and raised, not changed", func(t *testing.T) {
		tr := &http.Transport{TLSClientConfig: &tls.Config{MinVersion: tls.VersionTLS12}}
		hc := &http.Client{Transport: tr}
		so := s3Options(cw, Options{HTTPClient: hc}, "US-EAST-04A", nil)
		got := so.HTTPClient.(*http.Client).Transport.(*http.Transport)
		if got == tr || tr.TLSClientConfig.MinVersion != tls.VersionTLS12 {
			t.Errorf("the caller's transport was modified")
		}
		if got.TLSClientConfig.MinVersion != tls.VersionTLS13 {
			t.Errorf("MinVersion = %x, want TLS 1.3", got.TLSClientConfig.MinVersion)
		}
	})
	t.Run("S3-compatible keeps the caller's client as is", func(t *testing.T) {
		hc := &http.Client{}
		a := &address.Address{Provider: address.S3, Endpoint: "minio:9000", Bucket: "bkt", Region: "us-east-1"}
		if so := s3Options(a, Options{HTTPClient: hc}, "us-east-1", nil); so.HTTPClient != hc {
			t.Errorf("HTTPClient was replaced")
		}
	})
}

func TestWithMinTLS(t *testing.T) {
	strict := &http.Transport{TLSClientConfig: &tls.Config{MinVersion: tls.VersionTLS13}}
	custom := roundTripFunc(func(*http.Request) (*http.Response, error) { return nil, errors.New("x") })
	for _, tc := range []struct {
		name string
		c    *http.Client
		min  uint16
		want uint16 // 0: the client must come back unchanged
	}{
		{"no minimum leaves the client alone", &http.Client{}, 0, 0},
		{"nil client gets a default transport with the minimum", nil, tls.VersionTLS13, tls.VersionTLS13},
		{"never lowers a stricter transport", &http.Client{Transport: strict}, tls.VersionTLS12, tls.VersionTLS13},
		{"other transports are used as they are", &http.Client{Transport: custom}, tls.VersionTLS13, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := withMinTLS(tc.c, tc.min)
			if tc.want == 0 {
				if got != tc.c {
					t.Errorf("client replaced")
				}
				return
			}
			if v := got.Transport.(*http.Transport).TLSClientConfig.MinVersion; v != tc.want {
				t.Errorf("MinVersion = %x, want %x", v, tc.want)
			}
		})
	}
}
