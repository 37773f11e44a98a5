package provider

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/byobkit/byob/address"
	"gocloud.dev/blob/memblob"
	"gocloud.dev/gcerrors"
	"google.golang.org/api/googleapi"
)

const testPEM = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj\nMzEfYyjiWA4R4/M2bS1GB4t7NXp98C3SC6dVMvDuictGeurT8jNbvJZHtCSuYEvu\n-----END PRIVATE KEY-----\n"

func TestScrub(t *testing.T) {
	const secret = "wJalr/XUtnFEMI+K7MDENG=bPxRfiCY"
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
			name: "signature parameters outside a URL",
			msg:  "canonical query: X-Amz-Signature=0123abcd&X-Goog-Credential=sa%40p",
			gone: []string{"0123abcd", "sa%40p"},
			kept: []string{"X-Amz-Signature=REDACTED"},
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
			name: "signature Azure quotes back",
			msg:  "The MAC signature found in the HTTP request 'q0c9+sig=' is not the same as any computed signature.",
			gone: []string{"q0c9+sig="},
			kept: []string{"is not the same as any computed signature"},
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
	if len(s3) == 0 || s3[0] != "AKIAEXAMPLE" {
		t.Errorf("secretsOf(S3) = %q, want the access key (printed as REDACTED by the address) and no too-short secret", s3)
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
	if gcerrors.Code(err) != gcerrors.NotFound || !errors.Is(err, gcerrors.ErrNotFound) {
		t.Errorf("gcerrors.Code(wrapped) = %v, want NotFound through Unwrap", gcerrors.Code(err))
	}
	text := err.Error()
	for _, leak := range []string{"se/cret", "se%2Fcret", "abc", "AKIAEXAMPLE"} {
		if strings.Contains(text, leak) || strings.Contains(pe.Err.Error(), leak) {
			t.Errorf("error text %q contains %q", text, leak)
		}
	}
	if want := `byob provider: s3 bucket "bkt": read: NotFound: `; !strings.HasPrefix(text, want) {
		t.Errorf("Error() = %q, want it to start with %q", text, want)
	}
	if again := WrapError(a, "write", err); again != err {
		t.Errorf("wrapping an *Error again changed it")
	}
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
		{"Azure 429", &azcore.ResponseError{StatusCode: 429}, gcerrors.ResourceExhausted},
		{"GCS 401", &googleapi.Error{Code: 401}, gcerrors.PermissionDenied},
		{"GCS 412", &googleapi.Error{Code: 412}, gcerrors.FailedPrecondition},
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
