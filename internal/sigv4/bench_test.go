package sigv4

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"gocloud.dev/blob"
	"gocloud.dev/blob/s3blob"
)

// benchRequest is a typical artifact-file GET; the same URL is signed by
// every contender.
func benchRequest() Request {
	r := baseRequest()
	r.Host = "s3.us-east-1.amazonaws.com"
	return r
}

// BenchmarkPresignGET signs the same GET URL natively, with the SDK's
// PresignClient, with gocloud s3blob's SignedURL, and measures the floor:
// the SHA-256 of a canonical request and an HMAC-SHA256, the least any
// SigV4 signer must do. Run with -cpu 1,2 to see the parallel scaling.
func BenchmarkPresignGET(b *testing.B) {
	r := benchRequest()
	c := plainCreds

	b.Run("native", func(b *testing.B) {
		s, err := NewSigner(c.ak, c.sk, c.token)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			r := r
			for pb.Next() {
				r.Time = r.Time.Add(time.Second)
				if _, err := s.Presign(&r); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})

	b.Run("native-append", func(b *testing.B) {
		s, _ := NewSigner(c.ak, c.sk, c.token)
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			r := r
			var buf []byte
			for pb.Next() {
				r.Time = r.Time.Add(time.Second)
				var err error
				if buf, err = s.AppendPresign(buf[:0], &r); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})

	b.Run("sdk-PresignClient", func(b *testing.B) {
		pc := s3.NewPresignClient(sdkClient(c, &r, true), s3.WithPresignExpires(r.Expires))
		in := &s3.GetObjectInput{Bucket: aws.String(r.Bucket), Key: aws.String(r.Key)}
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := pc.PresignGetObject(context.Background(), in); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})

	b.Run("gocloud-s3blob", func(b *testing.B) {
		bucket, err := s3blob.OpenBucket(context.Background(), sdkClient(c, &r, true), r.Bucket, nil)
		if err != nil {
			b.Fatal(err)
		}
		defer bucket.Close()
		opts := &blob.SignedURLOptions{Method: http.MethodGet, Expiry: r.Expires}
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := bucket.SignedURL(context.Background(), r.Key, opts); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})

	b.Run("floor-sha256+hmac", func(b *testing.B) {
		s, _ := NewSigner(c.ak, c.sk, c.token)
		var scratch [2048]byte
		p, err := s.sign(&r, scratch[:0])
		if err != nil {
			b.Fatal(err)
		}
		canon := append([]byte(nil), p.canon...)
		sts := make([]byte, 0, 160)
		sts = append(sts, "AWS4-HMAC-SHA256\n20250304T050607Z\n20250304/us-east-1/s3/aws4_request\n"...)
		sts = append(sts, make([]byte, 64)...)
		key := make([]byte, 32)
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				sum := sha256.Sum256(canon)
				sts[len(sts)-1] = sum[0]
				h := hmac.New(sha256.New, key)
				h.Write(sts)
				_ = h.Sum(nil)
			}
		})
	})
}

// BenchmarkPresignPUTWithHeaders is the costliest common URL: a PUT with
// Content-Type, Content-MD5, X-User and a session token.
func BenchmarkPresignPUTWithHeaders(b *testing.B) {
	r := benchRequest()
	r.Op = PutObject
	r.ContentType = "application/octet-stream"
	r.ContentMD5 = "1B2M2Y8AsgTpgAmY7PhCfg=="
	r.Query = []Param{{"X-User", "alice@example.com"}}
	s, _ := NewSigner(tokenCreds.ak, tokenCreds.sk, tokenCreds.token)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		r := r
		for pb.Next() {
			r.Time = r.Time.Add(time.Second)
			if _, err := s.Presign(&r); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
