package sigv4

import (
	"errors"
	"testing"
	"time"
)

var fuzzOps = [...]Op{GetObject, HeadObject, PutObject, CreateMultipartUpload, UploadPart, CompleteMultipartUpload, AbortMultipartUpload}

// FuzzPresignMatchesSDK signs fuzzed keys, X-User values, expiries,
// buckets, operations and addressing styles, and requires the SDK's URL
// byte for byte. An input the signer refuses must be refused with an
// *Error naming a fuzzed field; the seeds in testdata/fuzz run with every
// 'go test'.
func FuzzPresignMatchesSDK(f *testing.F) {
	f.Add("wandb_artifacts/1/abc/0123", "alice", int64(time.Hour/time.Millisecond), uint8(0), false, "my-bucket")
	f.Fuzz(func(t *testing.T, key, user string, expiresMillis int64, op uint8, pathStyle bool, bucket string) {
		r := baseRequest()
		r.Key, r.Bucket, r.PathStyle = key, bucket, pathStyle
		r.Expires = time.Duration(expiresMillis) * time.Millisecond
		if expiresMillis > int64(MaxExpires/time.Millisecond)*2 || expiresMillis < 0 {
			r.Expires = -1 // beyond what a Duration of milliseconds holds: out of range anyway
		}
		r.Query = []Param{{"X-User", user}}
		r.Op = fuzzOps[int(op)%len(fuzzOps)]
		switch r.Op {
		case UploadPart:
			r.PartNumber, r.UploadID = 1+int(op)%10000, user+"/upload"
		case CompleteMultipartUpload, AbortMultipartUpload:
			r.UploadID = user + "/upload"
		}
		if op&0x80 != 0 {
			r.Scheme, r.Host = "http", "127.0.0.1:9000"
		}
		s, err := NewSigner(tokenCreds.ak, tokenCreds.sk, tokenCreds.token)
		if err != nil {
			t.Fatal(err)
		}
		got, err := s.Presign(&r)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || (e.Field != "Key" && e.Field != "Expires" && e.Field != "Bucket") {
				t.Fatalf("refused with %v; want an *Error naming Key, Expires or Bucket", err)
			}
			return
		}
		want, err := sdkPresign(tokenCreds, &r, false)
		if err != nil {
			t.Fatalf("signed %q but the SDK refuses the request: %v", got, err)
		}
		if got != want.URL {
			t.Fatalf("URL differs from the SDK's:\n got %s\nwant %s", got, want.URL)
		}
	})
}
