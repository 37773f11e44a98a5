package provider

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"slices"
	"strings"
	"testing"

	"cloud.google.com/go/auth"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/byobkit/byob/address"
	"github.com/byobkit/byob/internal/testsecret"
	"gocloud.dev/blob/memblob"
	"gocloud.dev/gcerrors"
	"google.golang.org/api/googleapi"
)

const testPEM = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj\nMzEfYyjiWA4R4/M2bS1GB4t7NXp98C3SC6dVMvDuictGeurT8jNbvJZHtCSuYEvu\n-----END PRIVATE KEY-----\n"

func TestScrub(t *testing.T) {
	const secret = "wJalr/XUtnFEMI+K7MDENG=bPxRfiCY"
	const jwt = "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJzYUBwLmlhbS5nc2VydmljZWFjY291bnQuY29tIn0.c2lnbmF0dXJlLW9mLXRoZS1qd3Q"
	for _, tc := range []struct {
		name, msg string
		secrets   []string
		gone      []string // must not survive
		kept      []string // must survive, so the message stays useful
	}{
		{
			name:    "secret raw, query-escaped and path-escaped",
			msg:     "a " + secret + " b wJalr%2FXUtnFEMI%2BK7MDENG%3DbPxRfiCY c wJalr%2FXUtnFEMI+K7MDENG=bPxRfiCY",
			secrets: secretsOf(&address.Address{Provider: address.S3, Secret: secret}),
			gone:    []string{"XUtnFEMI"},
			kept:    []string{"a ", " b ", " c "},
		},
		{
			name:    "an access key shorter than six characters, where it stands as a word",
			msg:     "No such key: admin (ask your administrator)",
			secrets: secretsOf(&address.Address{Provider: address.S3, AccessKey: "admin", Secret: secret}),
			gone:    []string{": admin "},
			kept:    []string{"No such key: REDACTED", "administrator"},
		},
		{
			name: "query string of a pre-signed URL",
			msg:  `Get "https://bkt.s3.amazonaws.com/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIA%2F20260101&X-Amz-Signature=deadbeef": EOF`,
			gone: []string{"deadbeef", "AKIA", "X-Amz-Algorithm"},
			kept: []string{"https://bkt.s3.amazonaws.com/k?REDACTED", ": EOF"},
		},
		{
			name: "Azure SAS",
			msg:  "PUT https://acct.blob.core.windows.net/c/b?sv=2024&sig=abc%2Bdef&se=2026 failed",
			gone: []string{"abc%2Bdef", "sv=2024"},
			kept: []string{"https://acct.blob.core.windows.net/c/b?REDACTED failed"},
		},
		{
			name: "SAS sig= outside a URL",
			msg:  "canonical query: sv=2024-08-04&sig=q0c9%2Bsig%3D&se=2026-01-01",
			gone: []string{"q0c9"},
			kept: []string{"sig=REDACTED", "sv=2024-08-04", "se=2026-01-01"},
		},
		{
			name: "signature parameters outside a URL",
			msg:  "canonical query: X-Amz-Signature=0123abcd&X-Goog-Credential=sa%40p",
			gone: []string{"0123abcd", "sa%40p"},
			kept: []string{"X-Amz-Signature=REDACTED"},
		},
		{
			name: "X-Goog-Signature outside a URL",
			msg:  "string to sign mismatch for X-Goog-Signature=9f86d081884c7d65&X-Goog-Date=20260101T000000Z",
			gone: []string{"9f86d081884c7d65"},
			kept: []string{"X-Goog-Signature=REDACTED", "X-Goog-Date=20260101T000000Z"},
		},
		{
			name: "X-Amz-Security-Token as a query parameter",
			msg:  "GET /bkt/k?X-Amz-Security-Token=FQoGZXIvYXdzEJr%2F%2F&x-id=GetObject",
			gone: []string{"FQoGZXIvYXdzEJr"},
			kept: []string{"X-Amz-Security-Token=REDACTED", "x-id=GetObject"},
		},
		{
			name: "X-Amz-Security-Token header in a canonical request",
			msg:  "<CanonicalRequest>GET\n/k\n\nhost:bkt\nx-amz-security-token:FQoGZXIvYXdzEJr//wEaDM\nx-amz-date:20260101T000000Z</CanonicalRequest>",
			gone: []string{"FQoGZXIvYXdzEJr"},
			kept: []string{"x-amz-security-token:REDACTED", "x-amz-date:20260101T000000Z"},
		},
		{
			name: "short access key and signature of an AWS4 Authorization header, structurally",
			msg:  "Authorization=AWS4-HMAC-SHA256 Credential=admin/20260101/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-date, Signature=0a1b2c3d4e5f",
			gone: []string{"admin/", "0a1b2c3d4e5f"},
			kept: []string{"Credential=REDACTED", "SignedHeaders=host;x-amz-date", "Signature=REDACTED"},
		},
		{
			name: "AWS4 Authorization header echoed in JSON",
			msg:  `{"Authorization":["AWS4-HMAC-SHA256 Credential=AK/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=0a1b2c3d4e5f"],"Host":["bkt"]}`,
			gone: []string{"AK/", "0a1b2c3d4e5f"},
			kept: []string{`"Host":["bkt"]`},
		},
		{
			name: "AWS4 Authorization header echoed in XML",
			msg:  "<Error><Authorization>AWS4-HMAC-SHA256 Credential=AK/20260101/us-east-1/s3/aws4_request, Signature=0a1b2c3d4e5f</Authorization></Error>",
			gone: []string{"AK/", "0a1b2c3d4e5f"},
			kept: []string{"<Authorization>REDACTED</Authorization>"},
		},
		{
			name: "signature and access key AWS quotes back in SignatureDoesNotMatch",
			msg:  "<Error><Code>SignatureDoesNotMatch</Code><AWSAccessKeyId>AK</AWSAccessKeyId><SignatureProvided>0a1b2c3d</SignatureProvided></Error>",
			gone: []string{">AK<", "0a1b2c3d"},
			kept: []string{"<Code>SignatureDoesNotMatch</Code>"},
		},
		{
			name: "private key block",
			msg:  "bad key: " + testPEM + "end",
			gone: []string{"MIIEvQIBADAN", "BEGIN PRIVATE KEY"},
			kept: []string{"bad key: ", "end"},
		},
		{
			name:    "lines of a PEM key quoted without its armour",
			msg:     "parse error near MzEfYyjiWA4R4/M2bS1GB4t7NXp98C3SC6dVMvDuictGeurT8jNbvJZHtCSuYEvu",
			secrets: secretsOf(&address.Address{Provider: address.GCS, AccessKey: "sa@p.iam.gserviceaccount.com", Secret: testPEM}),
			gone:    []string{"MzEfYyji"},
		},
		{
			name: "Authorization header",
			msg:  "request headers:\nAuthorization: SharedKey acct:c2lnbmF0dXJl\nx-ms-date: now",
			gone: []string{"c2lnbmF0dXJl"},
			kept: []string{"x-ms-date: now"},
		},
		{
			name: "SharedKey inside an XML body",
			msg:  "<Error><Code>AuthorizationFailure</Code><Message>saw SharedKey acct:c2lnbmF0dXJlPQ== for /acct/c</Message></Error>",
			gone: []string{"c2lnbmF0dXJlPQ"},
			kept: []string{"SharedKey acct:REDACTED for /acct/c</Message>", "<Code>AuthorizationFailure</Code>"},
		},
		{
			name: "SharedKeyLite inside a JSON body",
			msg:  `{"error":{"message":"header was sharedkeylite acct:c2ln+/bmF0=="}}`,
			gone: []string{"c2ln+/bmF0"},
			kept: []string{"sharedkeylite acct:REDACTED"},
		},
		{
			name: "signature Azure quotes back",
			msg:  "The MAC signature found in the HTTP request 'q0c9+sig=' is not the same as any computed signature.",
			gone: []string{"q0c9+sig="},
			kept: []string{"is not the same as any computed signature"},
		},
		{
			name: "Bearer token a server echoes in a header dump",
			msg:  "echo: GET /b/o\r\nAuthorization: Bearer ya29.a0AfH6SMBx-tok_en~+/=\r\nHost: storage",
			gone: []string{"ya29", "a0AfH6SMBx"},
			kept: []string{"Host: storage"},
		},
		{
			name: "bearer token in lower case inside JSON",
			msg:  `{"error":{"code":401,"message":"request had {\"authorization\":\"bearer ya29.lower-case\"}"}}`,
			gone: []string{"ya29", "lower-case"},
			kept: []string{`"code":401`},
		},
		{
			name: "BEARER token in upper case inside XML",
			msg:  "<Error><Message>got BEARER ya29.UPPER.case</Message></Error>",
			gone: []string{"ya29", "UPPER"},
			kept: []string{"BEARER REDACTED</Message>"},
		},
		{
			name: "Bearer token in plain text",
			msg:  "401 Unauthorized: token Bearer ya29.plain was revoked",
			gone: []string{"ya29.plain"},
			kept: []string{"was revoked"},
		},
		{
			name: "JWT assertion sent to the token endpoint, form-encoded",
			msg:  "auth: cannot fetch token: 400\nResponse: grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=" + jwt,
			gone: []string{"eyJhbGci", "c2lnbmF0dXJl"},
			kept: []string{"assertion=REDACTED", "grant_type=urn%3Aietf"},
		},
		{
			name: "bare JWT",
			msg:  "id token " + jwt + " expired",
			gone: []string{"eyJhbGci", "c2lnbmF0dXJl"},
			kept: []string{"id token REDACTED expired"},
		},
		{
			name: "access_token in a form body",
			msg:  "access_token=ya29.formtoken&token_type=Bearer&expires_in=3599",
			gone: []string{"formtoken"},
			kept: []string{"access_token=REDACTED", "expires_in=3599"},
		},
		{
			name: "access_token, refresh_token, id_token and client_secret in JSON",
			msg:  `{"access_token": "ya29.jsontoken", "refresh_token":"1//0gRefresh", "id_token":"idtok", "client_secret":"GOCSPX-secret", "expires_in":3599}`,
			gone: []string{"jsontoken", "0gRefresh", "idtok", "GOCSPX"},
			kept: []string{`"access_token": "REDACTED"`, `"expires_in":3599`},
		},
		{
			name: "access_token in JSON quoted inside a JSON string",
			msg:  `{"error":{"message":"body {\"access_token\":\"ya29.nested\",\"expires_in\":1}"}}`,
			gone: []string{"ya29.nested"},
			kept: []string{`expires_in`},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := scrub(tc.msg, tc.secrets)
			for _, g := range tc.gone {
				if strings.Contains(got, g) {
					t.Errorf("scrub left %q in %q", g, got)
				}
			}
			for _, k := range tc.kept {
				if !strings.Contains(got, k) {
					t.Errorf("scrub removed %q from %q", k, got)
				}
			}
		})
	}
}

func TestSecretsOfKeepsIdentities(t *testing.T) {
	gcs := secretsOf(&address.Address{Provider: address.GCS, AccessKey: "sa@p.iam.gserviceaccount.com", Secret: testPEM})
	for _, s := range gcs {
		if strings.Contains(s, "gserviceaccount") {
			t.Errorf("the service-account e-mail is scrubbed: it is an identity, and names the account to fix")
		}
	}
	s3 := secretsOf(&address.Address{Provider: address.S3, AccessKey: "AKIAEXAMPLE", Secret: "short"})
	if want := []string{"AKIAEXAMPLE", "short"}; !slices.Equal(s3, want) {
		t.Errorf("secretsOf(S3) = %q, want %q: the access key first (longest first), the short secret too (replaced as a word)", s3, want)
	}
	if got := secretsOf(&address.Address{Provider: address.S3, AccessKey: "ak", Secret: "sk"}); len(got) != 0 {
		t.Errorf("secretsOf with two-character keys = %q, want none: they would match inside ordinary words", got)
	}
}

func TestWrapError(t *testing.T) {
	a := &address.Address{Provider: address.S3, Endpoint: "minio:9000", Bucket: "bkt", Region: "us-east-1", AccessKey: "AKIAEXAMPLE", Secret: "se/cret+key="}
	if WrapError(a, OpOpen, nil) != nil {
		t.Fatal("WrapError(nil) != nil")
	}
	_, cause := memblob.OpenBucket(nil).ReadAll(context.Background(), "missing")
	cause = fmt.Errorf("GET http://minio:9000/bkt/x?X-Amz-Signature=abc with se%%2Fcret%%2Bkey%%3D: %w", cause)
	err := WrapError(a, "read", cause)

	var pe *Error
	if !errors.As(err, &pe) {
		t.Fatalf("WrapError returned %T, want *Error", err)
	}
	if pe.Op != "read" || pe.Provider != address.S3 || pe.Bucket != "bkt" || pe.Code != gcerrors.NotFound {
		t.Errorf("Error = %+v", pe)
	}
	if Code(err) != gcerrors.NotFound || !errors.Is(err, gcerrors.ErrNotFound) {
		t.Errorf("Code(wrapped) = %v, errors.Is(ErrNotFound) = %v; want NotFound and true", Code(err), errors.Is(err, gcerrors.ErrNotFound))
	}
	for _, text := range chainTexts(err) {
		for _, leak := range []string{"se/cret", "se%2Fcret", "abc", "AKIAEXAMPLE"} {
			if strings.Contains(text, leak) {
				t.Errorf("error text %q in the chain contains %q", text, leak)
			}
		}
	}
	if want := `byob provider: s3 bucket "bkt": read: NotFound: `; !strings.HasPrefix(err.Error(), want) {
		t.Errorf("Error() = %q, want it to start with %q", err, want)
	}
	if again := WrapError(a, "write", err); again != err {
		t.Errorf("wrapping an *Error again changed it")
	}
}

// TestWrapErrorKeepsSentinelsNotCauses: the chain of an *Error answers
// errors.Is for the well-known sentinels, and errors.As for the S3 code, but
// holds none of the cause's own error values.
func TestWrapErrorKeepsSentinelsNotCauses(t *testing.T) {
	a := &address.Address{Provider: address.S3, Bucket: "bkt", AccessKey: "AKIAEXAMPLE", Secret: "wJalrXUtnFEMIK7MDENG"}
	apiErr := &smithy.GenericAPIError{Code: "SlowDown", Message: "echo Credential=AKIAEXAMPLE/2026, Signature=0a1b2c3d"}
	for _, tc := range []struct {
		name string
		err  error
		is   error
	}{
		{"context.Canceled", fmt.Errorf("send: %w", context.Canceled), context.Canceled},
		{"context.DeadlineExceeded", fmt.Errorf("send: %w", context.DeadlineExceeded), context.DeadlineExceeded},
		{"io.ErrUnexpectedEOF", fmt.Errorf("body: %w", io.ErrUnexpectedEOF), io.ErrUnexpectedEOF},
		{"fs.ErrNotExist", &fs.PathError{Op: "open", Path: "/d/k", Err: fs.ErrNotExist}, fs.ErrNotExist},
		{"a caller's hook error", fmt.Errorf("before write: %w", &hookError{err: errGuardInjected}), errGuardInjected},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := WrapError(a, "read", tc.err)
			if !errors.Is(err, tc.is) {
				t.Errorf("errors.Is(%v, %v) = false", err, tc.is)
			}
			if errors.Is(err, tc.err) {
				t.Errorf("the chain holds the cause itself")
			}
		})
	}
	t.Run("S3 API error", func(t *testing.T) {
		err := WrapError(a, "read", fmt.Errorf("operation error S3: GetObject: %w", apiErr))
		var ae smithy.APIError
		if !errors.As(err, &ae) || ae.ErrorCode() != "SlowDown" {
			t.Fatalf("errors.As(smithy.APIError) = %v, want the code SlowDown", ae)
		}
		if ae == smithy.APIError(apiErr) || strings.Contains(ae.ErrorMessage(), "0a1b2c3d") || strings.Contains(ae.ErrorMessage(), "AKIAEXAMPLE") {
			t.Errorf("the API error in the chain is the SDK's own, unscrubbed: %q", ae.ErrorMessage())
		}
	})
}

// chainTexts is the text of err and of every error in its chain, following
// both Unwrap() error and Unwrap() []error.
func chainTexts(err error) []string {
	var texts []string
	for _, e := range testsecret.Chain(err) {
		texts = append(texts, e.Error())
	}
	return texts
}

func TestErrorTemporary(t *testing.T) {
	for code, want := range map[gcerrors.ErrorCode]bool{
		gcerrors.ResourceExhausted: true,
		gcerrors.DeadlineExceeded:  true,
		gcerrors.Internal:          true,
		gcerrors.NotFound:          false,
		gcerrors.PermissionDenied:  false,
		gcerrors.Unknown:           false,
		gcerrors.Canceled:          false,
	} {
		if got := (&Error{Code: code}).Temporary(); got != want {
			t.Errorf("Temporary() for %v = %v, want %v", code, got, want)
		}
	}
}

// timeoutErr is a net.Error that timed out.
type timeoutErr struct{}

func (timeoutErr) Error() string   { return "i/o timeout" }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }

func TestCode(t *testing.T) {
	s3Status := func(code int) error {
		return &smithyhttp.ResponseError{Response: &smithyhttp.Response{Response: &http.Response{StatusCode: code}}, Err: errors.New("api error")}
	}
	s3API := func(status int, code string) error {
		return &smithyhttp.ResponseError{Response: &smithyhttp.Response{Response: &http.Response{StatusCode: status}}, Err: &smithy.GenericAPIError{Code: code}}
	}
	for _, tc := range []struct {
		name string
		err  error
		want gcerrors.ErrorCode
	}{
		{"nil", nil, gcerrors.OK},
		{"driver's own code wins", func() error {
			_, err := memblob.OpenBucket(nil).ReadAll(context.Background(), "x")
			return err
		}(), gcerrors.NotFound},
		{"context canceled", context.Canceled, gcerrors.Canceled},
		{"*Error keeps its code", &Error{Code: gcerrors.AlreadyExists, Err: errors.New("x")}, gcerrors.AlreadyExists},
		{"S3 403", s3Status(403), gcerrors.PermissionDenied},
		{"S3 503 SlowDown", s3Status(503), gcerrors.ResourceExhausted},
		{"S3 502", s3Status(502), gcerrors.Internal},
		{"Azure AuthorizationPermissionMismatch 403", &azcore.ResponseError{ErrorCode: "AuthorizationPermissionMismatch", StatusCode: 403}, gcerrors.PermissionDenied},
		{"Azure AuthorizationFailure 403, which azureblob leaves Unknown", &azcore.ResponseError{ErrorCode: "AuthorizationFailure", StatusCode: 403}, gcerrors.PermissionDenied},
		{"Azure 429", &azcore.ResponseError{StatusCode: 429}, gcerrors.ResourceExhausted},
		{"GCS 401", &googleapi.Error{Code: 401}, gcerrors.PermissionDenied},
		{"GCS 403, which gcsblob calls NotFound", &googleapi.Error{Code: 403}, gcerrors.PermissionDenied},
		{"GCS 412", &googleapi.Error{Code: 412}, gcerrors.FailedPrecondition},
		{"S3 SignatureDoesNotMatch", s3API(403, "SignatureDoesNotMatch"), gcerrors.PermissionDenied},
		{"S3 InvalidAccessKeyId", s3API(403, "InvalidAccessKeyId"), gcerrors.PermissionDenied},
		{"versitygw's 404 XAdminUserNotFound is a refused key, not a missing bucket", s3API(404, "XAdminUserNotFound"), gcerrors.PermissionDenied},
		{"S3 NoSuchBucket stays NotFound", s3API(404, "NoSuchBucket"), gcerrors.NotFound},
		{"STS ExpiredToken at 400", s3API(400, "ExpiredToken"), gcerrors.PermissionDenied},
		{"S3 other 400", s3API(400, "InvalidRequest"), gcerrors.InvalidArgument},
		{"token endpoint refuses the assertion", fmt.Errorf("get token: %w", &auth.Error{Response: &http.Response{StatusCode: 400}}), gcerrors.PermissionDenied},
		{"token endpoint fails", &auth.Error{Response: &http.Response{StatusCode: 503}}, gcerrors.Internal},
		{"network timeout", fmt.Errorf("dial: %w", timeoutErr{}), gcerrors.DeadlineExceeded},
		{"anything else", errors.New("boom"), gcerrors.Unknown},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Code(tc.err); got != tc.want {
				t.Errorf("Code(%v) = %v, want %v", tc.err, got, tc.want)
			}
		})
	}
}
