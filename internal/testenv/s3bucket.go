package testenv

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// UniqueName returns stem-<8 hex digits>, a bucket or container name no
// earlier run used: the servers keep what the tests create.
func UniqueName(t testing.TB, stem string) string {
	t.Helper()
	var b [4]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	return stem + "-" + hex.EncodeToString(b[:])
}

// NewBucket creates a bucket named UniqueName(t, stem) on the server,
// with versioning Enabled if versioned, and returns its name.
func (s S3Server) NewBucket(t testing.TB, stem string, versioned bool) string {
	t.Helper()
	bucket := UniqueName(t, stem)
	c := s.Client()
	ctx := context.Background()
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatalf("CreateBucket: %v", err)
	}
	if versioned {
		if _, err := c.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: aws.String(bucket),
			VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled}}); err != nil {
			t.Fatalf("PutBucketVersioning: %v", err)
		}
	}
	return bucket
}

// Address is the s3:// address of bucket on the server, with the server's
// keys, rooted at path ("" for the bucket's root).
func (s S3Server) Address(bucket, path string) string {
	if path != "" {
		path = "/" + path
	}
	return "s3://" + url.QueryEscape(s.AccessKey) + ":" + url.QueryEscape(s.SecretKey) + "@" + s.Endpoint + "/" + bucket + path + "?region=" + S3Region
}
