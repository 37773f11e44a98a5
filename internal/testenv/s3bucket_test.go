package testenv

import (
	"regexp"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/s3"
)

func TestUniqueName(t *testing.T) {
	a, b := UniqueName(t, "byob-x"), UniqueName(t, "byob-x")
	if !regexp.MustCompile(`^byob-x-[0-9a-f]{8}$`).MatchString(a) {
		t.Errorf("UniqueName = %q, want byob-x-<8 hex digits>", a)
	}
	if a == b {
		t.Errorf("two calls gave the same name %q", a)
	}
}

func TestS3ServerAddress(t *testing.T) {
	srv := S3Server{Endpoint: "127.0.0.1:9000", AccessKey: "ak", SecretKey: "sec/ret+val=ue"}
	for _, tc := range []struct {
		name, path, want string
	}{
		{"the bucket's root without a trailing slash", "", "s3://ak:sec%2Fret%2Bval%3Due@127.0.0.1:9000/bkt?region=us-east-1"},
		{"a sub-path after the bucket", "team/a", "s3://ak:sec%2Fret%2Bval%3Due@127.0.0.1:9000/bkt/team/a?region=us-east-1"},
	} {
		if got := srv.Address("bkt", tc.path); got != tc.want {
			t.Errorf("%s: Address = %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestS3ServerNewBucket(t *testing.T) {
	srv := S3(t)
	for _, versioned := range []bool{false, true} {
		bucket := srv.NewBucket(t, "byob-te", versioned)
		v, err := srv.Client().GetBucketVersioning(t.Context(), &s3.GetBucketVersioningInput{Bucket: &bucket})
		if err != nil {
			t.Fatalf("GetBucketVersioning: %v", err)
		}
		if got := v.Status == "Enabled"; got != versioned {
			t.Errorf("NewBucket(versioned=%v): versioning status %q", versioned, v.Status)
		}
	}
}
