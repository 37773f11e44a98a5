package main

import (
	"context"
	"io"
	"net/url"
	"strings"
	"testing"

	"github.com/byobkit/byob/address"
	"github.com/byobkit/byob/internal/testsecret"
	"github.com/byobkit/byob/provider/preflight"
)

// Real-looking credentials: AWS's documented example key pair and
// Azurite's published account key. Each contains '/', which an address
// must percent-encode.
const (
	testAccessKey = "AKIAIOSFODNN7EXAMPLE"
	testSecretKey = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	testAzureKey  = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
)

var (
	// s3Addr parses; its redacted form is s3Shown.
	s3Addr  = "s3://" + testAccessKey + ":" + url.PathEscape(testSecretKey) + "@minio.example.com:9000/bkt/team?region=us-east-1"
	s3Shown = "s3://REDACTED:REDACTED@minio.example.com:9000/bkt/team?region=us-east-1"
	// s3Bad does not parse (the '/' in the secret is not encoded): it has
	// no redacted form and is not shown at all.
	s3Bad  = "s3://" + testAccessKey + ":" + testSecretKey + "@minio.example.com:9000/bkt"
	azAddr = "az://:" + url.PathEscape(testAzureKey) + "@byobacct/container"
)

// Issue #7, defect 4: no message quotes an argument that may hold a
// secret. Each case is one way a message quotes an argument; each exits
// 2 with one line naming the fix, and shows the address redacted, or not
// at all when it does not parse.
func TestArgumentsWithSecretsAreRedactedInMessages(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		stderr string // the whole of stderr, but for the trailing newline
	}{
		{"unknown command: an address", []string{s3Addr},
			`byob: unknown command "` + s3Shown + `"; fix: name the command first: byob address '<address>' or byob check '<address>'`},
		{"unknown command: an address that does not parse", []string{s3Bad},
			`byob: unknown command "<not shown: it may hold a secret>"; fix: name the command first: byob address '<address>' or byob check '<address>'`},
		{"unknown command: an Azure address", []string{azAddr},
			`byob: unknown command "az://:REDACTED@byobacct/container"; fix: name the command first: byob address '<address>' or byob check '<address>'`},
		{"unknown command: a flag with an address", []string{"-gc=" + s3Addr},
			`byob: unknown command "-gc=` + s3Shown + `"; fix: name the command first: byob address '<address>' or byob check '<address>'`},
		{"unknown command: bare credentials", []string{testAccessKey + ":" + testSecretKey + "@minio.example.com"},
			`byob: unknown command "<not shown: it may hold a secret>"; fix: name the command first: byob address '<address>' or byob check '<address>'`},
		{"bad flag value: an address", []string{"check", "-gc=" + s3Addr},
			`byob check: invalid boolean value "` + s3Shown + `" for -gc: parse error; fix: run 'byob check -h' for the flags`},
		{"bad flag value: an address that does not parse, two dashes", []string{"check", "--gc=" + s3Bad, "mem://m"},
			`byob check: invalid boolean value "<not shown: it may hold a secret>" for -gc: parse error; fix: run 'byob check -h' for the flags`},
		{"unknown flag: an address after a dash", []string{"check", "-" + s3Addr},
			`byob check: flag provided but not defined: -` + s3Shown + `; fix: run 'byob check -h' for the flags`},
		{"unknown flag: an address that does not parse, after the address", []string{"check", "mem://m", "-" + s3Bad},
			`byob check: flag provided but not defined: -<not shown: it may hold a secret>; fix: run 'byob check -h' for the flags`},
		{"unknown flag: credentials in the name, before '='", []string{"check", "-" + testAccessKey + ":" + testSecretKey + "@h=1", "mem://m"},
			`byob check: flag provided but not defined: -<not shown: it may hold a secret>; fix: run 'byob check -h' for the flags`},
		{"unknown flag: an '=' inside the secret is not a flag's '='", []string{"check", "-" + testAccessKey + ":" + testAzureKey[:60] + "=@h/bkt", "mem://m"},
			`byob check: flag provided but not defined: -<not shown: it may hold a secret>; fix: run 'byob check -h' for the flags`},
		{"unknown flag: an '=' inside the secret", []string{"address", "mem://m", "--" + testAccessKey + ":" + testAzureKey[:60] + "=@h/bkt"},
			`byob address: flag provided but not defined: -<not shown: it may hold a secret>; fix: run 'byob address -h' for the flags`},
		{"unknown flag: an Azure address as its value", []string{"check", "-key=" + azAddr, "mem://m"},
			`byob check: flag provided but not defined: -key; fix: run 'byob check -h' for the flags`},
		{"bad flag syntax: three dashes", []string{"check", "---" + s3Addr},
			`byob check: bad flag syntax: ---` + s3Shown + `; fix: run 'byob check -h' for the flags`},
		{"check: an origin with keys is refused, not quoted by the report", []string{"check", "-origin=https://" + testAccessKey + ":" + url.PathEscape(testSecretKey) + "@app.example.com", "mem://m"},
			`byob check: -origin "<not shown: it may hold a secret>" is not a web origin; fix: write -origin='*' or a scheme, host and optional port, such as -origin=https://app.example.com`},
		{"check: an address as the KMS key is refused, not quoted by the report", []string{"check", "mem://m", "-kms-key", s3Addr},
			`byob check: -kms-key "` + s3Shown + `" is not a KMS key; fix: write a key ARN, key ID or alias/<name> (AWS), or projects/…/cryptoKeys/<name> (GCS)`},
		{"check: too many arguments", []string{"check", "mem://m", s3Addr, s3Bad},
			`byob check: want one address, got 3 arguments: "mem://m" "` + s3Shown + `" "<not shown: it may hold a secret>"; fix: usage: byob check [--origin O] [--kms-key K] [--gc] [--json] '<address>'`},
		{"check: too many arguments, flags between", []string{"check", azAddr, "-gc", s3Addr},
			`byob check: want one address, got 2 arguments: "az://:REDACTED@byobacct/container" "` + s3Shown + `"; fix: usage: byob check [--origin O] [--kms-key K] [--gc] [--json] '<address>'`},
		{"address: the second of two addresses does not parse", []string{"address", s3Addr, s3Bad},
			`byob address: argument 2: secret: the key contains an unencoded '/'; fix: percent-encode the key: write '/' as %2F, '?' as %3F, '#' as %23 and '@' as %40`},
		{"address: an address that does not parse", []string{"address", s3Bad},
			`byob address: secret: the key contains an unencoded '/'; fix: percent-encode the key: write '/' as %2F, '?' as %3F, '#' as %23 and '@' as %40`},
		{"check: an address that does not parse", []string{"check", "-gc", s3Bad},
			`byob address: secret: the key contains an unencoded '/'; fix: percent-encode the key: write '/' as %2F, '?' as %3F, '#' as %23 and '@' as %40`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut strings.Builder
			code := run(tt.args, &out, &errOut, func(string) string { return "" })
			if code != 2 {
				t.Errorf("exit %d, want 2", code)
			}
			// A window of a key, as written, percent-encoded or quoted.
			if w := testsecret.Find(out.String()+errOut.String(), testsecret.Spellings(testAccessKey, testSecretKey, testAzureKey)...); w != "" {
				t.Errorf("output shows %q, part of a secret:\nstdout: %s\nstderr: %s", w, out.String(), errOut.String())
			}
			if got := strings.TrimSuffix(errOut.String(), "\n"); got != tt.stderr {
				t.Errorf("stderr:\n got %s\nwant %s", got, tt.stderr)
			}
			if out.Len() != 0 {
				t.Errorf("stdout is not empty: %s", out.String())
			}
		})
	}
}

// A flag's value that the shield hid from the flag package still reaches
// the check as typed, wherever it stands.
func TestShieldedFlagValuesReachTheCheck(t *testing.T) {
	const origin = "https://app.example.com:8443"
	const kms = "arn:aws:kms:us-east-1:111122223333:alias/byob"
	tests := []struct {
		name    string
		args    []string
		wantKMS string
	}{
		{"value after '=', before the address", []string{"-origin=" + origin, "mem://shield-test"}, ""},
		{"value as the next argument, after the address", []string{"mem://shield-test", "-origin", origin}, ""},
		{"two dashes, and a flag that was not hidden", []string{"--origin", origin, "-kms-key=" + kms, "mem://shield-test"}, kms},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got preflight.Options
			var gotAddr string
			c := cli{stdout: io.Discard, stderr: io.Discard, getenv: func(string) string { return "" },
				check: func(_ context.Context, a *address.Address, o preflight.Options) (*preflight.Report, error) {
					got, gotAddr = o, a.String()
					return &preflight.Report{Address: a.String()}, nil
				}}
			if code := c.runCheck(tt.args); code != 0 {
				t.Errorf("exit %d", code)
			}
			if got.Origin != origin || got.KMSKeyID != tt.wantKMS || gotAddr != "mem://shield-test" {
				t.Errorf("the check got origin %q, KMS key %q, address %q", got.Origin, got.KMSKeyID, gotAddr)
			}
		})
	}
}
