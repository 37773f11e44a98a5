package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/byobkit/byob/internal/testenv"
	"github.com/byobkit/byob/internal/testsecret"
)

// awsSecret is a made-up AWS secret with the characters that need
// escaping in an address.
const awsSecret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"

var awsAddr = "s3://AKIAIOSFODNN7EXAMPLE:" + url.QueryEscape(awsSecret) + "@s3.eu-west-1.amazonaws.com/bkt/team"

func TestPresignBadInput(t *testing.T) {
	served := filepath.Join(t.TempDir(), "bucket")
	state, _ := servePaths(served)
	os.Mkdir(served, 0o700)
	writeTestState(state, 0o600)
	loose := filepath.Join(t.TempDir(), "loose")
	lstate, _ := servePaths(loose)
	writeTestState(lstate, 0o640)
	tests := []struct {
		name   string
		args   []string
		stderr string // substring of the one line on stderr
	}{
		{"no arguments", nil, "want an address and a key, got 0 arguments; fix: usage:"},
		{"no key", []string{awsAddr}, "want an address and a key, got 1 arguments"},
		{"an unknown flag", []string{"--bogus", awsAddr, "k"}, "flag provided but not defined: -bogus; fix:"},
		{"expiry not a duration", []string{"--expires", "tomorrow", awsAddr, "k"}, `--expires "tomorrow" is not a duration from 1s to 168h; fix:`},
		{"expiry over 7 days", []string{"--expires", "169h", awsAddr, "k"}, "is not a duration from 1s to 168h"},
		{"MD5 not base64 of 16 bytes", []string{"--put", "--content-md5", "abc", awsAddr, "k"}, `--content-md5 "abc" is not the base64 of a 16-byte MD5; fix:`},
		{"content type on a GET", []string{"--content-type", "text/plain", awsAddr, "k"}, "add --put"},
		{"a secret with an unencoded slash", []string{"s3://AKIA:wJalrXUtnFEMI/K7MDENGbPxRfiCY@s3.amazonaws.com/bkt", "k"}, "fix: percent-encode"},
		{"AWS without a region or AWS_REGION", []string{"s3://AKIA:" + url.QueryEscape(awsSecret) + "@s3.amazonaws.com/bkt", "k"}, "AWS_REGION"},
		{"a key that climbs out", []string{awsAddr, "../other/k"}, "fix:"},
		{"mem:// has no server", []string{"mem://b", "k"}, "use file://DIR with 'byob serve --dir DIR'"},
		{"file:// without byob serve's state", []string{"file://" + t.TempDir(), "k"}, "fix: start 'byob serve --dir"},
		{"file:// with a loose state file", []string{"file://" + loose, "k"}, "fix: chmod 600"},
		{"file:// key that climbs out", []string{"file://" + served, "a/../../k"}, "fix:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut strings.Builder
			code := run(append([]string{"presign"}, tt.args...), &out, &errOut, func(string) string { return "" })
			if code != 2 {
				t.Errorf("exit %d, want 2; stderr: %s", code, errOut.String())
			}
			if out.String() != "" {
				t.Errorf("stdout is not empty: %s", out.String())
			}
			if !strings.Contains(errOut.String(), tt.stderr) || strings.Count(errOut.String(), "\n") != 1 || !strings.Contains(errOut.String(), "fix") {
				t.Errorf("stderr is not one line with %q and a fix: %q", tt.stderr, errOut.String())
			}
			testsecret.Check(t, "stderr", errOut.String(), testsecret.Spellings(awsSecret, "wJalrXUtnFEMI/K7MDENGbPxRfiCY")...)
		})
	}
}

func TestPresignAWSOffline(t *testing.T) {
	env := map[string]string{"AWS_REGION": "us-west-2"}
	for _, tt := range []struct {
		name    string
		args    []string
		method  string
		headers map[string]string
		inURL   []string
	}{
		{"GET with a user", []string{"--user", "alice", awsAddr, "a/b.txt"}, "GET", map[string]string{},
			[]string{"https://bkt.s3.eu-west-1.amazonaws.com/team/a/b.txt?", "X-User=alice", "X-Amz-Expires=3600", "X-Amz-Signature="}},
		{"PUT binds type and MD5", []string{"--put", "--content-type", "text/plain", "--content-md5", "XUFAKrxLKna5cZ2REBfFkg==", "--expires", "15m", awsAddr, "a/b.txt"}, "PUT",
			map[string]string{"Content-Type": "text/plain", "Content-Md5": "XUFAKrxLKna5cZ2REBfFkg=="},
			[]string{"X-Amz-Expires=900", "content-md5%3Bcontent-type"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut strings.Builder
			if code := run(append([]string{"presign", "--json"}, tt.args...), &out, &errOut, func(k string) string { return env[k] }); code != 0 {
				t.Fatalf("exit %d; stderr: %s", code, errOut.String())
			}
			var fields map[string]json.RawMessage
			if err := json.Unmarshal([]byte(out.String()), &fields); err != nil {
				t.Fatal(err)
			}
			if got := sortedKeys(fields); !slices.Equal(got, []string{"curl", "expires", "headers", "method", "url"}) {
				t.Errorf("--json fields %q, want the documented five", got)
			}
			var p presignOut
			json.Unmarshal([]byte(out.String()), &p)
			if p.Method != tt.method {
				t.Errorf("method %q, want %q", p.Method, tt.method)
			}
			if len(p.Headers) != len(tt.headers) {
				t.Errorf("headers %v, want %v", p.Headers, tt.headers)
			}
			for k, v := range tt.headers {
				if p.Headers[k] != v {
					t.Errorf("header %s = %q, want %q", k, p.Headers[k], v)
				}
			}
			for _, s := range tt.inURL {
				if !strings.Contains(p.URL, s) {
					t.Errorf("URL lacks %q", s)
				}
			}
			if !strings.HasSuffix(p.Curl, shellQuote(p.URL)) {
				t.Errorf("the curl line does not end with the quoted URL")
			}
			testsecret.Check(t, "output", out.String()+errOut.String(), testsecret.Spellings(awsSecret)...)
		})
	}
	t.Run("text output: one field a line", func(t *testing.T) {
		var out, errOut strings.Builder
		if code := run([]string{"presign", "--put", "--content-type", "text/plain", awsAddr, "k"}, &out, &errOut, func(k string) string { return env[k] }); code != 0 {
			t.Fatalf("exit %d; stderr: %s", code, errOut.String())
		}
		for _, prefix := range []string{"method:  PUT\n", "url:     https://", "header:  Content-Type: text/plain\n", "expires: ", "curl:    curl --fail"} {
			if !strings.Contains(out.String(), prefix) {
				t.Errorf("output lacks %q:\n%s", prefix, out.String())
			}
		}
		testsecret.Check(t, "output", out.String()+errOut.String(), testsecret.Spellings(awsSecret)...)
	})
}

func TestShellQuote(t *testing.T) {
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh")
	}
	for _, s := range []string{"plain", "", "it's", "a b", `$HOME`, "`id`", "x\"y", `back\slash`, "new\nline", "'''", "@/tmp/f", "http://h/k?a=1&b=2;c"} {
		out, err := exec.Command("sh", "-c", "printf %s "+shellQuote(s)).Output()
		if err != nil || string(out) != s {
			t.Errorf("sh read %q back as %q (%v)", s, out, err)
		}
	}
}

func TestPresignVersitygw(t *testing.T) {
	srv := testenv.S3(t)
	ctx := context.Background()
	c := srv.Client()
	var r [5]byte
	rand.Read(r[:])
	bucket := "byob-presign-" + hex.EncodeToString(r[:])
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatal(err)
	}
	const key = "run 1/it's.bin"
	t.Cleanup(func() {
		c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String("team/" + key)})
		c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String(bucket)})
	})
	addr := "s3://" + url.QueryEscape(srv.AccessKey) + ":" + url.QueryEscape(srv.SecretKey) + "@" + srv.Endpoint + "/" + bucket + "/team?region=" + testenv.S3Region
	secrets := testsecret.Spellings(srv.SecretKey)
	dir := t.TempDir()
	body := bytes.Repeat([]byte("byob presign\n"), 1000)
	src := filepath.Join(dir, "it's src.bin")
	if err := os.WriteFile(src, body, 0o600); err != nil {
		t.Fatal(err)
	}
	presign := func(args ...string) presignOut {
		t.Helper()
		var out, errOut strings.Builder
		code := run(append([]string{"presign", "--json"}, args...), &out, &errOut, func(string) string { return "" })
		testsecret.Check(t, "presign output", out.String()+errOut.String(), secrets...)
		if code != 0 {
			t.Fatalf("exit %d; stderr: %s", code, errOut.String())
		}
		var p presignOut
		if err := json.Unmarshal([]byte(out.String()), &p); err != nil {
			t.Fatal(err)
		}
		return p
	}
	put := presign("--put", "--content-type", "application/octet-stream", "--content-md5", md5b64(body), "--user", "alice", "--file", src, addr, key)

	t.Run("a plain client's PUT succeeds", func(t *testing.T) {
		resp, b := send(t, put, bytes.NewReader(body))
		if resp.StatusCode != 200 || resp.Header.Get("ETag") == "" {
			t.Fatalf("PUT: %d %s", resp.StatusCode, b)
		}
	})
	t.Run("the printed curl line uploads", func(t *testing.T) {
		if _, err := exec.LookPath("curl"); err != nil {
			t.Skip("curl is not installed: the curl line is not run")
		}
		if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String("team/" + key)}); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command("sh", "-c", put.Curl).CombinedOutput(); err != nil {
			testsecret.Check(t, "curl output", string(out), secrets...)
			t.Fatalf("curl PUT: %v", err)
		}
		o, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("team/" + key)})
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(o.Body)
		o.Body.Close()
		if !bytes.Equal(got, body) || aws.ToString(o.ContentType) != "application/octet-stream" {
			t.Errorf("stored %d bytes of type %q, want %d of the signed type", len(got), aws.ToString(o.ContentType), len(body))
		}
		dst := filepath.Join(dir, "back.bin")
		get := presign("--file", dst, addr, key)
		if out, err := exec.Command("sh", "-c", get.Curl).CombinedOutput(); err != nil {
			t.Fatalf("curl GET: %v: %s", err, out)
		}
		if got, _ := os.ReadFile(dst); !bytes.Equal(got, body) {
			t.Errorf("curl GET wrote %d bytes, want %d", len(got), len(body))
		}
	})
	t.Run("a changed signed header is refused", func(t *testing.T) {
		p := put
		p.Headers = map[string]string{"Content-Type": "text/html", "Content-Md5": put.Headers["Content-Md5"]}
		if resp, _ := send(t, p, bytes.NewReader(body)); resp.StatusCode != 403 {
			t.Errorf("PUT with another Content-Type: %d, want 403", resp.StatusCode)
		}
	})
	t.Run("an expired --expires is refused before signing", func(t *testing.T) {
		var out, errOut strings.Builder
		if code := run([]string{"presign", "--expires", "-1s", addr, key}, &out, &errOut, func(string) string { return "" }); code != 2 {
			t.Errorf("exit %d, want 2", code)
		}
		testsecret.Check(t, "stderr", errOut.String(), secrets...)
	})
}
