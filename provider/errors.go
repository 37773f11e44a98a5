package provider

import (
	"errors"
	"net"
	"net/http"
	"strings"

	"cloud.google.com/go/auth"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/byobkit/byob/address"
	"gocloud.dev/gcerrors"
	"golang.org/x/oauth2"
	"google.golang.org/api/googleapi"
)

// OpOpen is Error.Op for Open. Callers wrapping errors of later operations
// with WrapError name them with any short verb ("read", "write", "list").
const OpOpen = "open"

// Error reports a failed operation on a bucket: which provider, bucket and
// operation, and why. Its text never contains a secret: the cause's message
// is scrubbed of the address's keys, of URL query strings (pre-signed
// signatures) and of private-key blocks.
//
// Error unwraps to the cause, so gcerrors.Code, errors.Is and errors.As on
// the driver's and the SDKs' error types keep working. The cause's own
// messages, reached by walking the chain by hand, are not scrubbed; print
// the *Error itself.
type Error struct {
	Op       string           // what was being done: OpOpen, or the caller's verb
	Provider address.Provider // the address's scheme
	Bucket   string           // bucket (Azure: container; file: directory); never secret
	Code     gcerrors.ErrorCode
	Err      error // the cause; its Error() text is already scrubbed
}

// Error implements error.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("byob provider: ")
	b.WriteString(string(e.Provider))
	b.WriteString(" bucket ")
	b.WriteString(quote(e.Bucket))
	b.WriteString(": ")
	b.WriteString(e.Op)
	b.WriteString(": ")
	b.WriteString(e.Code.String())
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Temporary reports whether retrying the same operation later may succeed:
// the service was busy, throttled or failed internally, or time ran out.
func (e *Error) Temporary() bool {
	switch e.Code {
	case gcerrors.ResourceExhausted, gcerrors.DeadlineExceeded, gcerrors.Internal:
		return true
	}
	return false
}

// WrapError returns err as an *Error naming a's provider and bucket and the
// operation op, with its message scrubbed of a's secrets; nil for nil. An
// err that already is an *Error is returned unchanged.
func WrapError(a *address.Address, op string, err error) error {
	if err == nil {
		return nil
	}
	var pe *Error
	if errors.As(err, &pe) {
		return err
	}
	return &Error{
		Op:       op,
		Provider: a.Provider,
		Bucket:   a.Bucket,
		Code:     Code(err),
		Err:      &scrubbed{msg: scrub(err.Error(), secretsOf(a)), err: err},
	}
}

// Code classifies err like gcerrors.Code, except that a 401 or 403
// response is always PermissionDenied (gcsblob reports a GCS 403 as
// NotFound, which would send an operator looking for a missing bucket),
// and that what the driver left Unknown is refined from the HTTP status or
// the authentication failure beneath it. For an *Error it returns its Code.
func Code(err error) gcerrors.ErrorCode {
	var pe *Error
	if errors.As(err, &pe) {
		return pe.Code
	}
	s := httpStatus(err)
	if s == http.StatusUnauthorized || s == http.StatusForbidden {
		// Before the driver's code: gcsblob calls every GCS 403 NotFound.
		return gcerrors.PermissionDenied
	}
	if c := gcerrors.Code(err); c != gcerrors.Unknown {
		return c
	}
	if s != 0 {
		if c, ok := statusCodes[s]; ok {
			return c
		}
		if s >= 500 {
			return gcerrors.Internal
		}
	}
	var ae *auth.Error
	var re *oauth2.RetrieveError
	if errors.As(err, &ae) || errors.As(err, &re) {
		return gcerrors.PermissionDenied // the token endpoint refused the credential
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return gcerrors.DeadlineExceeded
	}
	return gcerrors.Unknown
}

// statusCodes maps HTTP statuses to error codes for errors the drivers
// leave unclassified.
var statusCodes = map[int]gcerrors.ErrorCode{
	http.StatusBadRequest:          gcerrors.InvalidArgument,
	http.StatusUnauthorized:        gcerrors.PermissionDenied,
	http.StatusForbidden:           gcerrors.PermissionDenied,
	http.StatusNotFound:            gcerrors.NotFound,
	http.StatusConflict:            gcerrors.FailedPrecondition,
	http.StatusPreconditionFailed:  gcerrors.FailedPrecondition,
	http.StatusTooManyRequests:     gcerrors.ResourceExhausted,
	http.StatusNotImplemented:      gcerrors.Unimplemented,
	http.StatusServiceUnavailable:  gcerrors.ResourceExhausted, // S3 SlowDown, Azure ServerBusy
	http.StatusGatewayTimeout:      gcerrors.DeadlineExceeded,
	http.StatusInternalServerError: gcerrors.Internal,
}

// httpStatus returns the HTTP status of the response behind err, 0 if none.
func httpStatus(err error) int {
	var se *smithyhttp.ResponseError
	if errors.As(err, &se) && se.Response != nil {
		return se.HTTPStatusCode()
	}
	var ze *azcore.ResponseError
	if errors.As(err, &ze) {
		return ze.StatusCode
	}
	var ge *googleapi.Error
	if errors.As(err, &ge) {
		return ge.Code
	}
	return 0
}

// scrubbed is a cause whose message has been scrubbed; it unwraps to the
// original error for errors.Is/As and gcerrors.Code.
type scrubbed struct {
	msg string
	err error
}

func (s *scrubbed) Error() string { return s.msg }
func (s *scrubbed) Unwrap() error { return s.err }

// quote quotes a bucket name for messages; bucket names are validated by the
// address package and never contain secrets.
func quote(s string) string { return `"` + s + `"` }
