package presign

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/pem"
	"net/http"
	"net/url"
	"testing"
	"time"

	"cloud.google.com/go/storage"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/sas"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/service"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/byobkit/byob/scope"
	"gocloud.dev/blob"
)

const (
	benchAK     = "AKIAIOSFODNN7EXAMPLE"
	benchSK     = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	benchAzKey  = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
	benchKey    = "wandb_artifacts/123/4567/0123456789abcdef0123456789abcdef"
	benchRegion = "us-east-1"
)

func benchLoc(b *testing.B, raw string) (*scope.Registry, *scope.Location) {
	reg := testRegistry(b, raw)
	loc, err := reg.Instance()
	if err != nil {
		b.Fatal(err)
	}
	return reg, loc
}

func parallel(b *testing.B, f func() error) {
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := f(); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkS3VsSDK is issue #8's S3 bar, the pair alone: the full path a
// server calls for one artifact file's GET URL (SignLocation, and Sign,
// which authorises the user first) against aws-sdk-go-v2's
// PresignClient.PresignGetObject for the same bucket, key, region,
// credentials and expiry, in one run:
//
//	go test -run '^$' -bench 'S3VsSDK' -benchmem -count 5 -cpu 1,2 ./presign
//
// Before timing, it checks that both sign the same URL but for the
// timestamp and the signature (which the clocks decide), so that the two
// do the same work.
func BenchmarkS3VsSDK(b *testing.B) {
	ctx := context.Background()
	get := Options{Method: http.MethodGet}
	reg, loc := benchLoc(b, "s3://"+benchAK+":"+url.QueryEscape(benchSK)+"@s3."+benchRegion+".amazonaws.com/bench-bucket/inst?region="+benchRegion)
	s := New(reg)
	pc := s3.NewPresignClient(s3.New(s3.Options{Region: benchRegion, Credentials: credentials.NewStaticCredentialsProvider(benchAK, benchSK, "")}),
		s3.WithPresignExpires(time.Hour))
	in := &s3.GetObjectInput{Bucket: aws.String("bench-bucket"), Key: aws.String("inst/" + benchKey)}

	ours, err := s.SignLocation(ctx, loc, benchKey, get)
	if err != nil {
		b.Fatal(err)
	}
	theirs, err := pc.PresignGetObject(ctx, in)
	if err != nil {
		b.Fatal(err)
	}
	if o, t := unclocked(b, ours.URL), unclocked(b, theirs.URL); o != t {
		b.Fatalf("the contenders sign different URLs:\nbyob %s\nSDK  %s", o, t)
	}

	b.Run("byob-SignLocation", func(b *testing.B) {
		parallel(b, func() error { _, err := s.SignLocation(ctx, loc, benchKey, get); return err })
	})
	b.Run("byob-Sign", func(b *testing.B) {
		parallel(b, func() error { _, err := s.Sign(ctx, anyone, "kappa", benchKey, get); return err })
	})
	b.Run("sdk-PresignGetObject", func(b *testing.B) {
		parallel(b, func() error { _, err := pc.PresignGetObject(ctx, in); return err })
	})
}

// unclocked is a pre-signed URL without its X-Amz-Date and
// X-Amz-Signature, the parts the signing time decides.
func unclocked(b *testing.B, raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		b.Fatal(err)
	}
	q := u.Query()
	q.Del("X-Amz-Date")
	q.Del("X-Amz-Signature")
	u.RawQuery = q.Encode()
	return u.String()
}

// BenchmarkSign: the Signer side by side with each SDK, per URL (a GET of
// an artifact file), in one run: go test -run '^$' -bench BenchmarkSign
// -benchmem -cpu 1,2 ./presign.
func BenchmarkSign(b *testing.B) {
	ctx := context.Background()
	get := Options{Method: http.MethodGet}

	reg, loc := benchLoc(b, "s3://"+benchAK+":"+url.QueryEscape(benchSK)+"@s3."+benchRegion+".amazonaws.com/bench-bucket/inst?region="+benchRegion)
	s := New(reg)
	b.Run("s3/signer", func(b *testing.B) {
		parallel(b, func() error { _, err := s.SignLocation(ctx, loc, benchKey, get); return err })
	})
	b.Run("s3/signer-authorize", func(b *testing.B) {
		parallel(b, func() error { _, err := s.Sign(ctx, anyone, "kappa", benchKey, get); return err })
	})
	b.Run("s3/sdk-PresignClient", func(b *testing.B) {
		c := s3.New(s3.Options{Region: benchRegion, Credentials: credentials.NewStaticCredentialsProvider(benchAK, benchSK, "")})
		pc := s3.NewPresignClient(c, s3.WithPresignExpires(time.Hour))
		in := &s3.GetObjectInput{Bucket: aws.String("bench-bucket"), Key: aws.String("inst/" + benchKey)}
		parallel(b, func() error { _, err := pc.PresignGetObject(ctx, in); return err })
	})
	b.Run("s3/gocloud-SignedURL", func(b *testing.B) {
		opts := &blob.SignedURLOptions{Method: http.MethodGet, Expiry: time.Hour}
		parallel(b, func() error { _, err := loc.Bucket().SignedURL(ctx, benchKey, opts); return err })
	})
	rs := New(reg, WithReuseWindow(time.Minute, 4096))
	b.Run("s3/reuse-hit", func(b *testing.B) {
		if _, err := rs.SignLocation(ctx, loc, benchKey, get); err != nil {
			b.Fatal(err)
		}
		parallel(b, func() error { _, err := rs.SignLocation(ctx, loc, benchKey, get); return err })
	})

	areg, aloc := benchLoc(b, "az://:"+url.QueryEscape(benchAzKey)+"@benchacct/bench-ctr/inst")
	as := New(areg)
	b.Run("azure/signer", func(b *testing.B) {
		parallel(b, func() error { _, err := as.SignLocation(ctx, aloc, benchKey, get); return err })
	})
	b.Run("azure/azblob-sas", func(b *testing.B) {
		cred, err := service.NewSharedKeyCredential("benchacct", benchAzKey)
		if err != nil {
			b.Fatal(err)
		}
		parallel(b, func() error {
			v := sas.BlobSignatureValues{Protocol: sas.ProtocolHTTPS, ExpiryTime: time.Now().Add(time.Hour), ContainerName: "bench-ctr",
				BlobName: "inst/" + benchKey, Permissions: (&sas.BlobPermissions{Read: true}).String()}
			q, err := v.SignWithSharedKey(cred)
			if err != nil {
				return err
			}
			_ = "https://benchacct.blob.core.windows.net/bench-ctr/" + url.PathEscape("inst/"+benchKey) + "?" + q.Encode()
			return nil
		})
	})

	pemKey := testGCSKey(b)
	greg, gloc := benchLoc(b, "gs://"+url.QueryEscape(gcsEmail)+":"+url.QueryEscape(pemKey)+"@bench-bucket/inst")
	gs := New(greg)
	b.Run("gcs/signer", func(b *testing.B) {
		parallel(b, func() error { _, err := gs.SignLocation(ctx, gloc, benchKey, get); return err })
	})
	b.Run("gcs/storage.SignedURL", func(b *testing.B) {
		parallel(b, func() error {
			_, err := storage.SignedURL("bench-bucket", "inst/"+benchKey, &storage.SignedURLOptions{GoogleAccessID: gcsEmail,
				PrivateKey: []byte(pemKey), Method: http.MethodGet, Expires: time.Now().Add(time.Hour), Scheme: storage.SigningSchemeV4})
			return err
		})
	})
	b.Run("gcs/bare-rsa2048", func(b *testing.B) {
		blk, _ := pem.Decode([]byte(pemKey))
		k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
		if err != nil {
			b.Fatal(err)
		}
		key := k.(*rsa.PrivateKey)
		parallel(b, func() error {
			sum := sha256.Sum256([]byte(benchKey))
			_, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, sum[:])
			return err
		})
	})
	grs := New(greg, WithReuseWindow(time.Minute, 4096))
	b.Run("gcs/reuse-hit", func(b *testing.B) {
		if _, err := grs.SignLocation(ctx, gloc, benchKey, get); err != nil {
			b.Fatal(err)
		}
		parallel(b, func() error { _, err := grs.SignLocation(ctx, gloc, benchKey, get); return err })
	})
}
