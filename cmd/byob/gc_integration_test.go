package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/byobkit/byob/address"
	"github.com/byobkit/byob/gc"
	"github.com/byobkit/byob/internal/testenv"
	"github.com/byobkit/byob/internal/testsecret"
)

// TestGCVersitygw: on a bucket with versioning, byob gc needs no --trash
// (mode versions: each delete leaves a delete marker), and byob restore
// brings every file back byte for byte. No output shows the keys.
func TestGCVersitygw(t *testing.T) {
	srv := testenv.S3(t)
	ctx := context.Background()
	c := srv.Client()
	bucket := srv.NewBucket(t, "byob-gccli", true)
	t.Cleanup(func() { emptyVersionedBucket(c, bucket) })
	addr := srv.Address(bucket, "team")
	secrets := testsecret.Spellings(srv.SecretKey, srv.AccessKey)

	f := newGCFixtureAt(t, addr)
	journal := filepath.Join(t.TempDir(), "journal.jsonl")
	res := runGCCmd(t, ctx, later, nil, addr, "--manifests", f.manifests, "--journal", journal, "--json")
	testsecret.Check(t, "gc output", res.stdout+res.stderr, secrets...)
	var out gcOut
	if err := json.Unmarshal([]byte(res.stdout), &out); res.code != 0 || err != nil {
		t.Fatalf("gc: exit %d %v\n%s\n%s", res.code, err, res.stdout, res.stderr)
	}
	if out.Mode != string(gc.ModeVersions) || out.Deleted != 2 || out.Live != 3 || out.Requests != 1 {
		t.Fatalf("gc --json: %s", res.stdout)
	}
	if live, garbage := f.present(t); len(live) != 3 || len(garbage) != 0 {
		t.Fatalf("after gc: live %q garbage %q", live, garbage)
	}
	rr := runRestoreCmd(t, addr, "--journal", journal)
	testsecret.Check(t, "restore output", rr.stdout+rr.stderr, secrets...)
	if rr.code != 0 || !strings.Contains(squash(rr.stdout), "restored 2 back") {
		t.Fatalf("restore: exit %d\n%s\n%s", rr.code, rr.stdout, rr.stderr)
	}
	if live, garbage := f.present(t); len(live) != 3 || len(garbage) != 2 {
		t.Fatalf("after restore: live %q garbage %q, want every file back", live, garbage)
	}
}

// emptyVersionedBucket deletes every version and the bucket, best effort.
func emptyVersionedBucket(c *s3.Client, bucket string) {
	ctx := context.Background()
	out, err := c.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: aws.String(bucket)})
	if err == nil {
		for _, v := range out.Versions {
			c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: v.Key, VersionId: v.VersionId})
		}
		for _, m := range out.DeleteMarkers {
			c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: m.Key, VersionId: m.VersionId})
		}
	}
	c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String(bucket)})
}

// TestGCSecretsRedacted: a run against an S3 address with keys, whose
// server cannot be reached, fails (exit 1) without any output showing a
// key, in text and --json.
func TestGCSecretsRedacted(t *testing.T) {
	const ak, sk = "AKIAGCSECRETTEST1234", "gc/se+cret=Key0123456789abcdefghijklmn"
	addr := "s3://" + ak + ":" + url.QueryEscape(sk) + "@127.0.0.1:1/bkt/team?region=us-east-1"
	if _, err := address.Parse(addr); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for i, args := range [][]string{
		{addr, "--manifests", dir, "--dry-run"},
		{addr, "--manifests", dir, "--dry-run", "--json"},
		{"--manifests=" + addr, addr},
		{addr, "--manifests", dir, "--trash=" + addr},
		{"mem://x", "--manifests", dir, "--trash=" + addr + "/"},
		{"mem://x", "--manifests", dir, "--data-prefix", addr + "/"},
		{"mem://x", "--manifests", dir, "--refs-under", addr},
		{"mem://x", "--manifests", dir, "--min-age=" + addr},
		{"mem://x", "--manifests", dir, "--upload-expiry", addr},
		{"mem://x", "--manifests", dir, "--shard", addr},
		{"mem://x", "--manifests", dir, "--journal", addr},
		{"mem://x", "--manifests", dir, "-" + addr},
		{"mem://x", "--manifests", dir, "--bogus=" + addr},
	} {
		res := runGCCmd(t, context.Background(), gcHooks{}, nil, args...)
		testsecret.Check(t, fmt.Sprintf("gc case %d output", i), res.stdout+res.stderr, testsecret.Spellings(sk, ak)...)
		if res.code == 0 {
			t.Errorf("%d arguments: exit 0 against an unreachable server", len(args))
		}
	}
	for i, args := range [][]string{
		{addr, "--journal", filepath.Join(dir, "none")},
		{"mem://x", "--journal", addr},
		{"mem://x", "--journal", filepath.Join(dir, "none"), "--run=" + addr},
		{"mem://x", addr, "--journal", "j"},
	} {
		rr := runRestoreCmd(t, args...)
		testsecret.Check(t, fmt.Sprintf("restore case %d output", i), rr.stdout+rr.stderr, testsecret.Spellings(sk, ak)...)
		if rr.code != 2 {
			t.Errorf("restore %d arguments: exit %d, want 2", len(args), rr.code)
		}
	}
}
