package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/byobkit/byob/internal/testenv"
)

func TestCheckCommandOffline(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		env    map[string]string
		code   int
		stdout string // substring of stdout
		stderr string // substring of stderr
		secret string // must appear nowhere
	}{
		{"mem bucket: every check ok, exit 0", []string{"check", "mem://cmd-check/team"}, nil, 0,
			"result: ok (8 ok, 0 warnings, 0 could not check, 0 errors)\n", "", ""},
		{"flags after the address", []string{"check", "mem://cmd-check", "-gc", "-origin", "https://app.example.com"}, nil, 0,
			"result: ok", "", ""},
		{"bad address: exit 2 with the fix, no secret", []string{"check", "s3://AKIA:se/cret@s3.amazonaws.com/bkt"}, nil, 2,
			"", "fix: percent-encode", "cret@"},
		{"AWS bucket without region or AWS_REGION: exit 2 naming AWS_REGION", []string{"check", "s3://bkt"}, nil, 2,
			"", "set AWS_REGION", ""},
		{"S3-compatible keys without a region: exit 2, no secret", []string{"check", "s3://ak:sk-secret@minio.local:9000/bkt"}, nil, 2,
			"", "region", "sk-secret"},
		{"no address", []string{"check"}, nil, 2, "", "usage:", ""},
		{"two addresses", []string{"check", "mem://a", "mem://b"}, nil, 2, "", "usage:", ""},
		{"origin with a path", []string{"check", "-origin", "https://app.example.com/x", "mem://a"}, nil, 2, "", "is not a web origin", ""},
		{"origin without a scheme", []string{"check", "-origin", "app.example.com", "mem://a"}, nil, 2, "", `-origin "app.example.com" is not a web origin`, ""},
		{"origin with a port", []string{"check", "-origin", "http://localhost:8080", "mem://a"}, nil, 0, "result: ok", "", ""},
		{"unknown flag", []string{"check", "-bogus", "mem://a"}, nil, 2, "", "flag provided but not defined: -bogus; fix: run 'byob check -h' for the flags\n", ""},
		{"help: the flags on stdout, exit 0", []string{"check", "-h"}, nil, 0, "flags, before or after the address:\n  -gc\n", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut strings.Builder
			code := run(tt.args, &out, &errOut, func(k string) string { return tt.env[k] })
			if code != tt.code {
				t.Errorf("exit %d, want %d; stdout:\n%s\nstderr: %s", code, tt.code, out.String(), errOut.String())
			}
			if !strings.Contains(out.String(), tt.stdout) {
				t.Errorf("stdout lacks %q:\n%s", tt.stdout, out.String())
			}
			if !strings.Contains(errOut.String(), tt.stderr) {
				t.Errorf("stderr lacks %q: %s", tt.stderr, errOut.String())
			}
			if tt.secret != "" && strings.Contains(out.String()+errOut.String(), tt.secret) {
				t.Errorf("output contains the secret")
			}
		})
	}
}

func TestCheckCommandVersitygw(t *testing.T) {
	srv := testenv.S3(t)
	c := srv.Client()
	addr := func(bucket, region string) string {
		return "s3://" + url.QueryEscape(srv.AccessKey) + ":" + url.QueryEscape(srv.SecretKey) + "@" + srv.Endpoint + "/" + bucket + "/team?region=" + region
	}
	cors := &types.CORSConfiguration{CORSRules: []types.CORSRule{{
		AllowedOrigins: []string{"*"}, AllowedMethods: []string{"GET", "HEAD", "PUT"}, AllowedHeaders: []string{"*"}, ExposeHeaders: []string{"ETag"}, MaxAgeSeconds: aws.Int32(3000),
	}}}
	tests := []struct {
		name       string
		cors       bool
		versioning bool
		region     string
		args       []string
		code       int
		stdout     string
	}{
		// versitygw has no lifecycle API, so even a good bucket has one
		// could-not-check finding: the worst is a warning.
		{"good bucket: exit 1, lifecycle could not be checked", true, true, "us-east-1", nil, 1,
			"result: warning (6 ok, 0 warnings, 2 could not check, 0 errors)"},
		{"CORS missing: exit 2", false, true, "us-east-1", nil, 2, "error            cors               no CORS rules"},
		{"versioning off with -gc: exit 2", true, false, "us-east-1", []string{"-gc"}, 2, "error            versioning"},
		{"wrong region: exit 2", true, true, "eu-west-1", nil, 2, "error            region"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			var r [5]byte
			rand.Read(r[:])
			bucket := "byob-cmd-" + hex.EncodeToString(r[:])
			if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String(bucket)}) })
			if tt.cors {
				if _, err := c.PutBucketCors(ctx, &s3.PutBucketCorsInput{Bucket: aws.String(bucket), CORSConfiguration: cors}); err != nil {
					t.Fatal(err)
				}
			}
			if tt.versioning {
				if _, err := c.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: aws.String(bucket),
					VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled}}); err != nil {
					t.Fatal(err)
				}
			}
			var out, errOut strings.Builder
			args := append(append([]string{"check"}, tt.args...), addr(bucket, tt.region))
			// AWS_S3_KMS_ID names a key: versitygw cannot show bucket
			// encryption, so the encryption check cannot be answered.
			env := map[string]string{"AWS_S3_KMS_ID": "alias/byob"}
			code := run(args, &out, &errOut, func(k string) string { return env[k] })
			if code != tt.code {
				t.Errorf("exit %d, want %d; stdout:\n%s\nstderr: %s", code, tt.code, out.String(), errOut.String())
			}
			if !strings.Contains(out.String(), tt.stdout) {
				t.Errorf("stdout lacks %q:\n%s", tt.stdout, out.String())
			}
			for _, s := range []string{srv.SecretKey, url.QueryEscape(srv.SecretKey)} {
				if strings.Contains(out.String()+errOut.String(), s) {
					t.Errorf("output contains the secret key")
				}
			}
		})
	}
}
