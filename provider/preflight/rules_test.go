package preflight

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/byobkit/byob/address"
	"github.com/byobkit/byob/provider"
	"github.com/google/go-cmp/cmp"
)

func TestTransportFinding(t *testing.T) {
	tests := []struct {
		name string
		addr string
		want Finding
	}{
		{"keys over plain HTTP to another host", "s3://ak:sk@minio.internal:9000/bkt?region=us-east-1",
			Finding{Check: CheckTransport, Severity: SeverityWarning, Saw: "credentials and data go over plain HTTP to minio.internal:9000, which is not this machine",
				Fix: "serve the endpoint over HTTPS and add tls=true to the address"}},
		{"plain HTTP to an IP on the network", "s3://ak:sk@10.0.0.5:9000/bkt?region=us-east-1",
			Finding{Check: CheckTransport, Severity: SeverityWarning, Saw: "credentials and data go over plain HTTP to 10.0.0.5:9000, which is not this machine",
				Fix: "serve the endpoint over HTTPS and add tls=true to the address"}},
		{"CoreWeave LOTA is plain HTTP by design", "cw://ak:sk@cwlota.com/bkt?region=US-EAST-04A",
			Finding{Check: CheckTransport, Severity: SeverityWarning, Saw: "credentials and data go over plain HTTP to cwlota.com, which is not this machine",
				Fix: "keep LOTA traffic inside CoreWeave's network, or use cwobject.com with tls=true"}},
		{"Azure over an http endpoint elsewhere", "az://:a2V5@acct/ctr?endpoint=http://azure.internal:10000",
			Finding{Check: CheckTransport, Severity: SeverityWarning, Saw: "credentials and data go over plain HTTP to azure.internal:10000, which is not this machine",
				Fix: "use an https:// endpoint= in the address"}},
		{"loopback IPv4", "s3://ak:sk@127.0.0.1:9000/bkt?region=us-east-1",
			Finding{Check: CheckTransport, Saw: "plain HTTP, but only to this machine (127.0.0.1:9000)"}},
		{"loopback IPv6", "s3://ak:sk@[::1]:9000/bkt?region=us-east-1",
			Finding{Check: CheckTransport, Saw: "plain HTTP, but only to this machine ([::1]:9000)"}},
		{"localhost", "s3://ak:sk@localhost:9000/bkt?region=us-east-1",
			Finding{Check: CheckTransport, Saw: "plain HTTP, but only to this machine (localhost:9000)"}},
		{"HTTPS", "s3://ak:sk@s3.eu-central-1.amazonaws.com/bkt?region=eu-central-1",
			Finding{Check: CheckTransport, Saw: "requests go over HTTPS to s3.eu-central-1.amazonaws.com"}},
		{"GCS emulator without keys sends no credentials", "gs://bkt?endpoint=http://gcs.internal:4443",
			Finding{Check: CheckTransport, Saw: "plain HTTP to gcs.internal:4443, but no credentials are sent"}},
		{"mem has no network", "mem://x", Finding{Check: CheckTransport, Saw: "not applicable: no network is involved"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if d := cmp.Diff(tt.want, transportFinding(checkAddr(t, tt.addr))); d != "" {
				t.Errorf("finding (-want +got):\n%s", d)
			}
		})
	}
}

func TestRegionFinding(t *testing.T) {
	tests := []struct {
		name         string
		addr         string
		want, actual string
		signedBy     string // the check whose signed requests succeeded
		f            Finding
	}{
		{"match, case aside", "cw://ak:sk@cwobject.com/bkt?region=US-EAST-04A&tls=true", "US-EAST-04A", "us-east-04a", CheckReadWrite,
			Finding{Check: CheckRegion, Saw: "saw, as the address says"}},
		{"S3-compatible mismatch: the fix is the redacted address with the bucket's region", "s3://ak:secret-key@minio.local:9000/bkt/p?region=eu-west-1", "eu-west-1", "us-east-1", "",
			Finding{Check: CheckRegion, Severity: SeverityError, Saw: "saw, but requests are signed for eu-west-1",
				Fix: "set the region in the address: s3://REDACTED:REDACTED@minio.local:9000/bkt/p?region=us-east-1"}},
		{"S3-compatible server naming its zone group: ok once the signed probe passed", "s3://ak:secret-key@minio.local:9000/bkt/p?region=us-east-1", "us-east-1", "default", CheckReadWrite,
			Finding{Check: CheckRegion, Saw: `the server names the bucket's region "default", but requests signed for us-east-1 work (read-write-delete passed), and this server does not require the bucket's region`}},
		{"S3-compatible mismatch: ok once the signed listing passed", "s3://ak:secret-key@minio.local:9000/bkt?region=eu-west-1", "eu-west-1", "us-east-1", CheckReachable,
			Finding{Check: CheckRegion, Saw: `the server names the bucket's region "us-east-1", but requests signed for eu-west-1 work (reachable passed), and this server does not require the bucket's region`}},
		{"CoreWeave is not strict either", "cw://ak:sk@cwobject.com/bkt?region=US-EAST-04A&tls=true", "US-EAST-04A", "US-WEST-01A", CheckReadWrite,
			Finding{Check: CheckRegion, Saw: `the server names the bucket's region "US-WEST-01A", but requests signed for US-EAST-04A work (read-write-delete passed), and this server does not require the bucket's region`}},
		{"AWS endpoint naming the wrong region is corrected too", "s3://ak:secret-key@s3.eu-west-1.amazonaws.com/bkt?region=eu-west-1", "eu-west-1", "us-west-2", "",
			Finding{Check: CheckRegion, Severity: SeverityError, Saw: "saw, but requests are signed for eu-west-1",
				Fix: "set the region in the address: s3://REDACTED:REDACTED@s3.us-west-2.amazonaws.com/bkt?region=us-west-2"}},
		{"AWS is strict: a mismatch is an error even after a signed probe passed", "s3://ak:secret-key@s3.eu-west-1.amazonaws.com/bkt?region=eu-west-1", "eu-west-1", "us-west-2", CheckReadWrite,
			Finding{Check: CheckRegion, Severity: SeverityError, Saw: "saw, but requests are signed for eu-west-1",
				Fix: "set the region in the address: s3://REDACTED:REDACTED@s3.us-west-2.amazonaws.com/bkt?region=us-west-2"}},
		{"region from AWS_REGION", "s3://bkt", "us-east-2", "eu-central-1", CheckReachable,
			Finding{Check: CheckRegion, Severity: SeverityError, Saw: "saw, but requests are signed for us-east-2",
				Fix: "set the region in the address: s3://bkt?region=eu-central-1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if d := cmp.Diff(tt.f, regionFinding(checkAddr(t, tt.addr), tt.want, tt.actual, "saw", tt.signedBy)); d != "" {
				t.Errorf("finding (-want +got):\n%s", d)
			}
		})
	}
}

func TestS3RegionAnswers(t *testing.T) {
	for loc, want := range map[string]string{"": "us-east-1", "EU": "eu-west-1", "eu-central-1": "eu-central-1"} {
		if got := s3LocationRegion(loc); got != want {
			t.Errorf("s3LocationRegion(%q) = %q, want %q", loc, got, want)
		}
	}
	withHeader := &smithyhttp.ResponseError{
		Response: &smithyhttp.Response{Response: &http.Response{StatusCode: 301, Header: http.Header{"X-Amz-Bucket-Region": {"ap-south-1"}}}},
		Err:      &smithy.GenericAPIError{Code: "PermanentRedirect"},
	}
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"AWS header", withHeader, "ap-south-1"},
		{"AWS message", &smithy.GenericAPIError{Code: "AuthorizationHeaderMalformed", Message: "the region 'us-east-1' is wrong; expecting 'eu-west-1'"}, "eu-west-1"},
		{"versitygw message", &smithy.GenericAPIError{Code: "AuthorizationHeaderMalformed", Message: `the region "eu-west-1" is wrong; expecting "us-east-1"`}, "us-east-1"},
		{"other errors say nothing", &smithy.GenericAPIError{Code: "AccessDenied", Message: "expecting 'x'"}, ""},
		{"no API error", errors.New("dial tcp: refused"), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := s3ExpectedRegion(tt.err); got != tt.want {
				t.Errorf("s3ExpectedRegion = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestS3ExpiringRules(t *testing.T) {
	date := time.Date(2030, 1, 2, 0, 0, 0, 0, time.UTC)
	rules := []types.LifecycleRule{
		{ID: aws.String("expire-all"), Status: types.ExpirationStatusEnabled, Filter: &types.LifecycleRuleFilter{Prefix: aws.String("")}, Expiration: &types.LifecycleExpiration{Days: aws.Int32(30)}},
		{ID: aws.String("disabled"), Status: types.ExpirationStatusDisabled, Expiration: &types.LifecycleExpiration{Days: aws.Int32(1)}},
		{ID: aws.String("noncurrent-only"), Status: types.ExpirationStatusEnabled, NoncurrentVersionExpiration: &types.NoncurrentVersionExpiration{NoncurrentDays: aws.Int32(7)}},
		{ID: aws.String("markers-only"), Status: types.ExpirationStatusEnabled, Expiration: &types.LifecycleExpiration{ExpiredObjectDeleteMarker: aws.Bool(true)}},
		{ID: aws.String("other-prefix"), Status: types.ExpirationStatusEnabled, Filter: &types.LifecycleRuleFilter{Prefix: aws.String("tmp/")}, Expiration: &types.LifecycleExpiration{Days: aws.Int32(1)}},
		{Status: types.ExpirationStatusEnabled, Filter: &types.LifecycleRuleFilter{And: &types.LifecycleRuleAndOperator{Prefix: aws.String("team/a/runs")}}, Expiration: &types.LifecycleExpiration{Date: &date}},
		{ID: aws.String("parent"), Status: types.ExpirationStatusEnabled, Filter: &types.LifecycleRuleFilter{Prefix: aws.String("te")}, Expiration: &types.LifecycleExpiration{Days: aws.Int32(5)}},
	}
	want := []string{
		`rule "expire-all" expires objects under "" after 30 days`,
		`rule #6 expires objects under "team/a/runs" on 2030-01-02`,
		`rule "parent" expires objects under "te" after 5 days`,
	}
	if d := cmp.Diff(want, s3ExpiringRules(rules, "team/a")); d != "" {
		t.Errorf("rules (-want +got):\n%s", d)
	}
	// A sibling sub-path is not reached by a rule for team/a/.
	if got := s3ExpiringRules(rules[5:6], "team/ab"); len(got) != 0 {
		t.Errorf("rule for team/a/runs reached team/ab: %v", got)
	}
}

func TestS3Encryption(t *testing.T) {
	const arn = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab"
	kms := func(alg types.ServerSideEncryption, key string) []types.ServerSideEncryptionRule {
		d := &types.ServerSideEncryptionByDefault{SSEAlgorithm: alg}
		if key != "" {
			d.KMSMasterKeyID = aws.String(key)
		}
		return []types.ServerSideEncryptionRule{{ApplyServerSideEncryptionByDefault: d}}
	}
	tests := []struct {
		name  string
		rules []types.ServerSideEncryptionRule
		want  string
		ok    bool
		saw   string
	}{
		{"same ARN", kms(types.ServerSideEncryptionAwsKms, arn), arn, true, ""},
		{"key ID against the bucket's ARN", kms(types.ServerSideEncryptionAwsKms, arn), "1234abcd-12ab", true, ""},
		{"ARN against the bucket's key ID", kms(types.ServerSideEncryptionAwsKmsDsse, "1234abcd-12ab"), arn, true, ""},
		{"alias against an alias ARN", kms(types.ServerSideEncryptionAwsKms, "arn:aws:kms:us-east-1:111122223333:alias/byob"), "alias/byob", true, ""},
		{"another key", kms(types.ServerSideEncryptionAwsKms, "arn:aws:kms:us-east-1:111122223333:key/other"), arn, false,
			"default encryption is SSE-KMS with arn:aws:kms:us-east-1:111122223333:key/other, not " + arn},
		{"AWS managed key", kms(types.ServerSideEncryptionAwsKms, ""), arn, false, "default encryption is SSE-KMS with the AWS managed key, not " + arn},
		{"SSE-S3", kms(types.ServerSideEncryptionAes256, ""), arn, false, "default encryption is AES256, not SSE-KMS with " + arn},
		{"no rules", nil, arn, false, "the bucket has no default encryption; it must be SSE-KMS with " + arn},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, saw := s3EncryptionMatches(tt.rules, tt.want)
			if ok != tt.ok || saw != tt.saw {
				t.Errorf("= %v, %q; want %v, %q", ok, saw, tt.ok, tt.saw)
			}
		})
	}
}

func TestShellQuote(t *testing.T) {
	for in, want := range map[string]string{
		"bkt":          "bkt",
		"*":            "'*'",
		`{"a":["b"]}`:  `'{"a":["b"]}'`,
		"it's":         `'it'\''s'`,
		"":             "''",
		"http://h:1/x": "http://h:1/x",
	} {
		if got := shellQuote(in); got != want {
			t.Errorf("shellQuote(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestReportText(t *testing.T) {
	r := &Report{Address: "s3://REDACTED:REDACTED@h:1/bkt?region=r", Findings: []Finding{
		{Check: CheckReachable, Saw: "listed bucket \"bkt\""},
		{Check: CheckCORS, Severity: SeverityError, Saw: "no CORS rules", Fix: "line one\nline two"},
		{Check: CheckLifecycle, Severity: SeverityWarning, CouldNotCheck: true, Saw: "access denied", Permission: "s3:GetLifecycleConfiguration"},
		{Check: CheckTransport, Severity: SeverityWarning, Saw: "plain HTTP"},
	}}
	want := `byob check s3://REDACTED:REDACTED@h:1/bkt?region=r
ok               reachable          listed bucket "bkt"
error            cors               no CORS rules
                                    fix: line one
                                         line two
could not check  lifecycle          access denied
                                    permission: s3:GetLifecycleConfiguration
warning          transport          plain HTTP
result: error (1 ok, 1 warning, 1 could not check, 1 error)
`
	if d := cmp.Diff(want, r.String()); d != "" {
		t.Errorf("text (-want +got):\n%s", d)
	}
	if r.Worst() != SeverityError {
		t.Errorf("Worst = %v", r.Worst())
	}
	if f, ok := r.Finding(CheckLifecycle); !ok || f.Label() != "could not check" {
		t.Errorf("Finding(lifecycle) = %+v, %v", f, ok)
	}
}

// checkLeakyTransport fails every request with an error, or an HTTP 403 answer,
// that quotes the request's credentials: the worst a proxy or a server's
// error message could do.
type checkLeakyTransport struct {
	secret string
	status int // 0: fail with a transport error
}

func (l checkLeakyTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	leak := "authorization: " + req.Header.Get("Authorization") + " key " + l.secret
	if l.status == 0 {
		return nil, errors.New("proxy refused " + req.URL.String() + " " + leak)
	}
	body := "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>AccessDenied</Code><Message>denied: " + leak + "</Message></Error>"
	return &http.Response{
		StatusCode: l.status, Status: http.StatusText(l.status), Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header:        http.Header{"Content-Type": {"application/xml"}, "X-Ms-Error-Code": {"AuthenticationFailed " + l.secret}},
		Body:          io.NopCloser(strings.NewReader(body)),
		ContentLength: int64(len(body)),
		Request:       req,
	}, nil
}

func TestReportNeverContainsSecrets(t *testing.T) {
	const accessKey, secret = "AKIACHECKTESTKEY", "check/test+secret=KEY"
	s3Addr := &address.Address{Provider: address.S3, Endpoint: "minio.internal:9000", Bucket: "bkt", Path: "team", Region: "us-east-1", AccessKey: accessKey, Secret: secret}
	azAddr := &address.Address{Provider: address.Azure, Endpoint: "azure.internal:10000", Account: "acct", Bucket: "ctr", Secret: "c2VjcmV0IGNoZWNrIGtleQ=="}
	tests := []struct {
		name   string
		a      *address.Address
		status int
		saw    string // in the reachable finding
	}{
		{"S3 transport error", s3Addr, 0, "proxy refused"},
		{"S3 denial quoting the keys; every check runs", s3Addr, http.StatusForbidden, "access denied"},
		{"Azure denial quoting the key", azAddr, http.StatusForbidden, "access denied"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hc := &http.Client{Transport: checkLeakyTransport{secret: tt.a.Secret, status: tt.status}}
			r, err := Check(context.Background(), tt.a, Options{KMSKeyID: "alias/k", Open: []provider.Option{provider.WithHTTPClient(hc)}})
			if err != nil {
				t.Fatalf("Check: %v", err)
			}
			f, _ := r.Finding(CheckReachable)
			if f.Severity != SeverityError || !strings.Contains(f.Saw, tt.saw) {
				t.Errorf("reachable = %+v; want an error that says %q", f, tt.saw)
			}
			text := r.String()
			for _, s := range []string{tt.a.Secret, accessKey} {
				if s != "" && strings.Contains(text, s) {
					t.Errorf("report contains a secret:\n%s", text)
				}
			}
			if !strings.Contains(text, address.Redacted+"\n") && !strings.Contains(text, address.Redacted+" ") && !strings.Contains(text, address.Redacted+")") {
				t.Errorf("report does not show where the secret was removed:\n%s", text)
			}
		})
	}
}
