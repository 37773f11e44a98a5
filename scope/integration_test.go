package scope_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net/url"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/byobkit/byob/address"
	"github.com/byobkit/byob/internal/testenv"
	"github.com/byobkit/byob/provider/preflight"
	"github.com/byobkit/byob/scope"
)

// TestTeamsOnRealS3 runs team creation end to end against the S3 test
// server (versitygw), with provider.Open and preflight.Check behind the
// registry: a well-configured bucket is accepted and serves the team's
// files under its sub-path; a missing bucket, and a bucket without CORS,
// are refused as unusable and nothing is stored.
func TestTeamsOnRealS3(t *testing.T) {
	srv := testenv.S3(t)
	ctx := context.Background()
	client := srv.Client()
	good, bare := uniqueBucket(t, "scope-good"), uniqueBucket(t, "scope-nocors")
	for _, b := range []string{good, bare} {
		if _, err := client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(b)}); err != nil {
			t.Fatalf("create bucket: %v", err)
		}
	}
	if _, err := client.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: aws.String(good),
		VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled}}); err != nil {
		t.Fatalf("versioning: %v", err)
	}
	if _, err := client.PutBucketCors(ctx, &s3.PutBucketCorsInput{Bucket: aws.String(good), CORSConfiguration: &types.CORSConfiguration{
		CORSRules: []types.CORSRule{{AllowedMethods: []string{"GET", "HEAD", "PUT"}, AllowedOrigins: []string{"*"},
			AllowedHeaders: []string{"*"}, ExposeHeaders: []string{"ETag"}, MaxAgeSeconds: aws.Int32(3000)}}}}); err != nil {
		t.Fatalf("cors: %v", err)
	}
	addr := func(bucket, path string) *address.Address {
		return mustParse(t, "s3://"+url.QueryEscape(srv.AccessKey)+":"+url.QueryEscape(srv.SecretKey)+"@"+srv.Endpoint+"/"+bucket+"/"+path+"?region=us-east-1")
	}
	store := scope.NewMemStore()
	reg, err := scope.New(ctx, scope.Config{Deployment: scope.SelfManaged, Instance: addr(good, "instance"), Store: store,
		Open: scope.ProviderOpen(), Check: scope.ProviderCheck(preflight.Options{GCEnabled: true})})
	if err != nil {
		t.Fatal(err)
	}
	defer reg.Close()

	if _, err := reg.CreateTeam(ctx, "omega", addr(good, "teams/omega")); err != nil {
		t.Fatalf("CreateTeam on a good bucket: %v", err)
	}
	omega := scope.User{ID: "bob", Teams: []string{"omega"}}
	loc, err := reg.Authorize(ctx, omega, "omega", "omega/p/r1/f.txt", scope.Write)
	if err != nil {
		t.Fatal(err)
	}
	if err := loc.Bucket().WriteAll(ctx, "omega/p/r1/f.txt", []byte("omega data"), nil); err != nil {
		t.Fatal(err)
	}
	got, err := client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(good), Key: aws.String("teams/omega/omega/p/r1/f.txt")})
	if err != nil {
		t.Fatalf("the team's file is not under its sub-path: %v", err)
	}
	got.Body.Close()
	if _, err := reg.Authorize(ctx, scope.User{ID: "alice", Teams: []string{"kappa"}}, "omega", "omega/p/r1/f.txt", scope.Read); !errors.Is(err, scope.ErrAccessDenied) {
		t.Errorf("a non-member reached omega's bucket: %v", err)
	}

	for _, tc := range []struct{ name, bucket string }{
		{"missing bucket", "scope-missing-bucket"},
		{"bucket without CORS or versioning", bare},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before, _ := store.List(ctx)
			_, err := reg.CreateTeam(ctx, "team-"+tc.bucket, addr(tc.bucket, "t"))
			if !errors.Is(err, scope.ErrUnusable) {
				t.Fatalf("CreateTeam = %v, want ErrUnusable", err)
			}
			after, _ := store.List(ctx)
			if len(after) != len(before) {
				t.Errorf("a refused team was stored: %d records, want %d", len(after), len(before))
			}
		})
	}
}

// uniqueBucket names a bucket for this test run: the S3 server outlives the
// test process when run by hand.
func uniqueBucket(t *testing.T, base string) string {
	t.Helper()
	var n [4]byte
	if _, err := rand.Read(n[:]); err != nil {
		t.Fatal(err)
	}
	return base + "-" + hex.EncodeToString(n[:])
}
