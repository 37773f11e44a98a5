package scope_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net/url"
	"strings"
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
	good, bare := goodBucket(t, client, "scope-good"), uniqueBucket(t, "scope-nocors")
	if _, err := client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bare)}); err != nil {
		t.Fatalf("create bucket: %v", err)
	}
	addr := func(bucket, path string) *address.Address {
		return s3Address(t, srv, srv.AccessKey, srv.SecretKey, bucket, path)
	}
	store := scope.NewMemStore()
	// A self-managed instance lists its team buckets (GORILLA_SUPPORTED_FILE_STORES).
	var supported []*address.Address
	for _, b := range []string{good + "/teams", bare, "scope-missing-bucket"} {
		bkt, path, _ := strings.Cut(b, "/")
		supported = append(supported, addr(bkt, path).WithoutCredentials())
	}
	reg, err := scope.New(ctx, scope.Config{Deployment: scope.SelfManaged, Instance: addr(good, "instance"), SupportedStores: supported,
		Store: store, Open: scope.ProviderOpen(), Check: scope.ProviderCheck(preflight.Options{GCEnabled: true})})
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

// goodBucket creates a bucket the product accepts: versioning on, and the
// documented CORS rule.
func goodBucket(t *testing.T, client *s3.Client, base string) string {
	t.Helper()
	ctx := context.Background()
	b := uniqueBucket(t, base)
	if _, err := client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(b)}); err != nil {
		t.Fatalf("create bucket: %v", err)
	}
	if _, err := client.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: aws.String(b),
		VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled}}); err != nil {
		t.Fatalf("versioning: %v", err)
	}
	if _, err := client.PutBucketCors(ctx, &s3.PutBucketCorsInput{Bucket: aws.String(b), CORSConfiguration: &types.CORSConfiguration{
		CORSRules: []types.CORSRule{{AllowedMethods: []string{"GET", "HEAD", "PUT"}, AllowedOrigins: []string{"*"},
			AllowedHeaders: []string{"*"}, ExposeHeaders: []string{"ETag"}, MaxAgeSeconds: aws.Int32(3000)}}}}); err != nil {
		t.Fatalf("cors: %v", err)
	}
	return b
}

// s3Address is the address of bucket/path on the S3 test server, with keys.
func s3Address(t *testing.T, srv testenv.S3Server, ak, sk, bucket, path string) *address.Address {
	t.Helper()
	return mustParse(t, "s3://"+url.QueryEscape(ak)+":"+url.QueryEscape(sk)+"@"+srv.Endpoint+"/"+bucket+"/"+path+"?region=us-east-1")
}

// TestRotateCredentialsOnRealS3: against the S3 test server, a rotation to
// keys the server refuses (a wrong secret, an unknown access key) is
// refused by the bucket check, and the team keeps working with its keys;
// a rotation to the right keys again (the same values) is accepted, and
// the team still works.
func TestRotateCredentialsOnRealS3(t *testing.T) {
	srv := testenv.S3(t)
	ctx := context.Background()
	bkt := goodBucket(t, srv.Client(), "scope-rotate")
	right := s3Address(t, srv, srv.AccessKey, srv.SecretKey, bkt, "teams/omega")
	store := scope.NewMemStore()
	reg, err := scope.New(ctx, scope.Config{Deployment: scope.SelfManaged, Instance: s3Address(t, srv, srv.AccessKey, srv.SecretKey, bkt, "instance"),
		SupportedStores: []*address.Address{right.WithoutCredentials()},
		Store:           store, Open: scope.ProviderOpen(), Check: scope.ProviderCheck(preflight.Options{})})
	if err != nil {
		t.Fatal(err)
	}
	defer reg.Close()
	if _, err := reg.CreateTeam(ctx, "omega", right); err != nil {
		t.Fatalf("CreateTeam: %v", err)
	}
	bob := scope.User{ID: "bob", Teams: []string{"omega"}}
	works := func(step string) {
		t.Helper()
		key := "omega/p/r1/" + strings.ReplaceAll(step, " ", "-") + ".txt"
		l, err := reg.Authorize(ctx, bob, "omega", key, scope.Write)
		if err != nil {
			t.Fatalf("%s: Authorize: %v", step, err)
		}
		if err := l.Bucket().WriteAll(ctx, key, []byte(step), nil); err != nil {
			t.Fatalf("%s: the team's bucket no longer works: %v", step, err)
		}
		if data, err := l.Bucket().ReadAll(ctx, key); err != nil || string(data) != step {
			t.Fatalf("%s: read back %q, %v", step, data, err)
		}
	}
	works("after creation")

	for _, wrong := range []struct{ name, ak, sk string }{
		{"a wrong secret", srv.AccessKey, srv.SecretKey + "-wrong"},
		{"an unknown access key", "AKIAUNKNOWNROTATION", srv.SecretKey},
	} {
		before, _ := store.Get(ctx, "omega")
		_, err := reg.RotateCredentials(ctx, "omega", s3Address(t, srv, wrong.ak, wrong.sk, bkt, "teams/omega"))
		if !errors.Is(err, scope.ErrUnusable) {
			t.Fatalf("rotating to %s = %v, want ErrUnusable", wrong.name, err)
		}
		noSecret(t, err.Error(), srv.SecretKey, url.QueryEscape(srv.SecretKey))
		if after, _ := store.Get(ctx, "omega"); after.Credentials != before.Credentials {
			t.Fatalf("a refused rotation to %s changed the stored keys", wrong.name)
		}
		works("after a refused rotation to " + wrong.name)
	}

	if _, err := reg.RotateCredentials(ctx, "omega", right); err != nil {
		t.Fatalf("rotating to the right keys again: %v", err)
	}
	works("after rotating to the right keys again")
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
