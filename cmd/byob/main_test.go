package main

import (
	"strings"
	"testing"
)

func TestAddressCommand(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		env      map[string]string
		code     int
		stdout   []string // lines that must appear
		stderr   string   // substring that must appear
		noSecret string
	}{
		{"AWS address resolves", []string{"address", "s3://AKIA:se%2Fcret@s3.eu-central-1.amazonaws.com/bkt/team/a?region=eu-central-1"}, nil, 0,
			[]string{
				"address:      s3://REDACTED:REDACTED@s3.eu-central-1.amazonaws.com/bkt/team/a?region=eu-central-1",
				"endpoint:     https://s3.eu-central-1.amazonaws.com",
				"addressing:   virtual-hosted",
				"bucket:       bkt",
				"sub-path:     team/a",
				"region:       eu-central-1",
				"tls:          true",
			}, "", "se/cret"},
		{"region from AWS_REGION", []string{"address", "s3://bkt"}, map[string]string{"AWS_REGION": "us-west-2"}, 0,
			[]string{"region:       us-west-2 (from AWS_REGION)"}, "", ""},
		{"MinIO is path style over plain HTTP", []string{"address", "s3://minio:minio123@minio.local:9000/my-bucket/team/prefix?region=us-east-1"}, nil, 0,
			[]string{"endpoint:     http://minio.local:9000", "service:      s3-compatible http://minio.local:9000", "addressing:   path", "tls:          false"}, "", "minio123"},
		{"every AWS endpoint is one service", []string{"address", "s3://AKIA:se%2Fcret@s3.eu-central-1.amazonaws.com/bkt?region=eu-central-1"}, nil, 0,
			[]string{"service:      aws"}, "", "se/cret"},
		{"bad address exits 2 with a fix", []string{"address", "s3://AKIA:se/cret@s3.amazonaws.com/bkt"}, nil, 2,
			nil, "fix: percent-encode", "cret@"},
		{"no argument", []string{"address"}, nil, 2, nil, "usage:", ""},
		{"unknown command", []string{"nope"}, nil, 2, nil, "unknown command", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut strings.Builder
			code := run(tt.args, &out, &errOut, func(k string) string { return tt.env[k] })
			if code != tt.code {
				t.Errorf("exit %d, want %d; stderr: %s", code, tt.code, errOut.String())
			}
			for _, line := range tt.stdout {
				if !strings.Contains(out.String(), line+"\n") {
					t.Errorf("stdout lacks %q:\n%s", line, out.String())
				}
			}
			if !strings.Contains(errOut.String(), tt.stderr) {
				t.Errorf("stderr lacks %q: %s", tt.stderr, errOut.String())
			}
			if tt.noSecret != "" && strings.Contains(out.String()+errOut.String(), tt.noSecret) {
				t.Errorf("output contains the secret")
			}
		})
	}
}
