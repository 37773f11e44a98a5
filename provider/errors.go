package provider

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"strings"

	"cloud.google.com/go/auth"
	"github.com/aws/smithy-go"
	"github.com/byobkit/byob/address"
	"github.com/byobkit/byob/internal/apierr"
	"gocloud.dev/gcerrors"
	"golang.org/x/oauth2"
)

// OpOpen is Error.Op for Open. Callers wrapping errors of later operations
// with WrapError name them with any short verb ("read", "write", "list").
const OpOpen = "open"

// The operations of a bucket Open returns, as its errors name them in
// Error.Op.
const (
	OpRead       = "read"       // NewReader, NewRangeReader, ReadAll, Download, and reading
	OpWrite      = "write"      // NewWriter, WriteAll, Upload, Write and Close of a writer
	OpList       = "list"       // List, ListPage
	OpDelete     = "delete"     // Delete
	OpAttributes = "attributes" // Attributes, Exists
	OpCopy       = "copy"       // Copy
	OpSign       = "sign"       // SignedURL
	OpClose      = "close"      // Close of the bucket
)

// Error reports a failed operation on a bucket: which provider, bucket and
// operation, how it is classified, and why. It never holds a secret where it
// can be printed or reached:
//
//   - its text is scrubbed of the address's keys, of credentials in every
//     form a request carries them (Authorization headers, signatures,
//     tokens, JWT assertions, private keys), and of URL query strings;
//   - the chain it unwraps to holds only that scrubbed text, the
//     well-known sentinels the cause matched (context.Canceled,
//     context.DeadlineExceeded, io.EOF, io.ErrUnexpectedEOF,
//     io.ErrClosedPipe, fs.ErrNotExist, fs.ErrExist, fs.ErrPermission, the
//     gcerrors.Err… value of Code), any error the caller's own Before…
//     hook returned, and, for an S3-protocol error, a
//     *smithy.GenericAPIError with the service's error code and message,
//     scrubbed; so errors.Is, and errors.As(err, &smithy.APIError), keep
//     working;
//   - the driver's and SDKs' own error values, whose text may quote a
//     server's echo of the request, are not in the chain. For an error of a
//     bucket Open returned, the bucket's ErrorAs reaches them
//     (*smithy.GenericAPIError, *azcore.ResponseError, *googleapi.Error…).
//
// On an error from such a bucket gcerrors.Code gives Code, since gocloud's
// portable layer carries it; on an *Error from Open or WrapError use the
// package's Code.
type Error struct {
	Op       string           // what was being done: OpOpen, OpRead..., or the caller's verb
	Provider address.Provider // the address's scheme
	Bucket   string           // bucket (Azure: container; file: directory); never secret
	Code     gcerrors.ErrorCode
	Err      error // the cause; scrubbed, see above

	native error // the driver's error, for the bucket's ErrorAs only: never printed, never unwrapped
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

// GoString implements fmt.GoStringer, so that %#v prints the fields that
// are safe to print and never walks into the driver's error.
func (e *Error) GoString() string {
	cause := ""
	if e.Err != nil {
		cause = e.Err.Error()
	}
	return fmt.Sprintf("&provider.Error{Op:%q, Provider:%q, Bucket:%q, Code:%v, Err:%q}", e.Op, e.Provider, e.Bucket, e.Code, cause)
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
// operation op, classified by Code and scrubbed (see Error); nil for nil. An
// err that already holds an *Error is returned unchanged.
func WrapError(a *address.Address, op string, err error) error {
	if err == nil {
		return nil
	}
	var pe *Error
	if errors.As(err, &pe) {
		return err
	}
	return newError(a, op, err, false, secretsOf(a))
}

// newError builds the *Error for err, an error of operation op on a's
// bucket, scrubbed of secrets (see secretsOf). keepNative keeps err for the
// bucket's ErrorAs.
func newError(a *address.Address, op string, err error, keepNative bool, secrets []string) *Error {
	cause := scrubbedCause(scrub(causeText(err), secrets), err, secrets)
	e := &Error{
		Op:       op,
		Provider: a.Provider,
		Bucket:   a.Bucket,
		Code:     cause.code,
		Err:      cause,
	}
	if keepNative {
		e.native = err
	}
	return e
}

// causeText is the text of err for an Error: for an error of gocloud's
// portable layer ("blob (key …) (code=…): <cause>"), the cause's, since the
// outer layer names the key and the Error the code.
func causeText(err error) string {
	if c := portableCause(err); c != nil {
		return c.Error()
	}
	return err.Error()
}

// portableCause returns the cause of an error of gocloud's portable layer,
// nil for any other error or one without a cause. Such an error unwraps to
// its cause and then to the gcerrors.Err… value of its code, as gocloud's
// own ErrorAs relies on.
func portableCause(err error) error {
	m, ok := err.(interface{ Unwrap() []error })
	if !ok {
		return nil
	}
	u := m.Unwrap()
	if len(u) != 2 || !isCodeSentinel(u[1]) {
		return nil
	}
	return u[0]
}

// sentinels are the well-known errors an Error's chain keeps when its cause
// matches them: their text is fixed, and callers test for them with
// errors.Is. The package's own are among them.
var sentinels = []error{
	context.Canceled, context.DeadlineExceeded,
	io.EOF, io.ErrUnexpectedEOF, io.ErrClosedPipe,
	fs.ErrNotExist, fs.ErrExist, fs.ErrPermission,
	ErrNoBucket, ErrUnsupported, ErrPrivateKey, ErrNoSigner, ErrRotation,
}

// codeSentinels are gcerrors' values for each code, as gocloud's own errors
// unwrap to them.
var codeSentinels = map[gcerrors.ErrorCode]error{
	gcerrors.Unknown:            gcerrors.ErrUnknown,
	gcerrors.NotFound:           gcerrors.ErrNotFound,
	gcerrors.AlreadyExists:      gcerrors.ErrAlreadyExists,
	gcerrors.InvalidArgument:    gcerrors.ErrInvalidArgument,
	gcerrors.Internal:           gcerrors.ErrInternal,
	gcerrors.Unimplemented:      gcerrors.ErrUnimplemented,
	gcerrors.FailedPrecondition: gcerrors.ErrFailedPrecondition,
	gcerrors.PermissionDenied:   gcerrors.ErrPermissionDenied,
	gcerrors.ResourceExhausted:  gcerrors.ErrResourceExhausted,
	gcerrors.Canceled:           gcerrors.ErrCanceled,
	gcerrors.DeadlineExceeded:   gcerrors.ErrDeadlineExceeded,
}

func isCodeSentinel(err error) bool {
	for _, s := range codeSentinels {
		if err == s {
			return true
		}
	}
	return false
}

// keptErrors are the errors an Error for err unwraps to besides its text:
// a scrubbed copy of an S3-protocol error's code and message, the
// sentinels err matches, the caller's own hook error, and the gcerrors.Err…
// value of code.
func keptErrors(err error, code gcerrors.ErrorCode, secrets []string) []error {
	var kept []error
	var ae smithy.APIError
	if errors.As(err, &ae) {
		kept = append(kept, &smithy.GenericAPIError{
			Code:    scrub(ae.ErrorCode(), secrets),
			Message: scrub(ae.ErrorMessage(), secrets),
			Fault:   ae.ErrorFault(),
		})
	}
	for _, s := range sentinels {
		if errors.Is(err, s) {
			kept = append(kept, s)
		}
	}
	var he *hookError
	if errors.As(err, &he) {
		kept = append(kept, he.err)
	}
	if s, ok := codeSentinels[code]; ok {
		kept = append(kept, s)
	}
	return kept
}

// scrubbed is the cause of an Error: scrubbed text, the code of the error
// it stands for, and the errors it may keep (see keptErrors).
type scrubbed struct {
	msg  string
	code gcerrors.ErrorCode
	kept []error
}

// scrubbedCause returns the cause that stands for err with the text msg,
// which holds no secret: it has err's Code, and keeps of err only what
// keptErrors keeps (secrets are scrubbed from an S3 error's copy). Use it
// wherever an error's own text may quote a server's answer.
func scrubbedCause(msg string, err error, secrets []string) *scrubbed {
	code := Code(err)
	return &scrubbed{msg: msg, code: code, kept: keptErrors(err, code, secrets)}
}

func (s *scrubbed) Error() string   { return s.msg }
func (s *scrubbed) Unwrap() []error { return s.kept }

// hookError carries an error the caller's own Before… hook returned through
// the driver, so that the Error keeps it for errors.Is and errors.As: it is
// the caller's, not a server's.
type hookError struct{ err error }

func (h *hookError) Error() string { return h.err.Error() }
func (h *hookError) Unwrap() error { return h.err }

// Code classifies err; it is the one classification every error of a bucket
// Open returns gets, and gcerrors.Code then agrees with it. In order:
//
//   - an *Error keeps its Code, and so does the scrubbed stand-in for an
//     error (scrubbedCause); a context error is Canceled or
//     DeadlineExceeded;
//   - a service error code that means the credential was refused
//     (s3AuthCodes: SignatureDoesNotMatch, InvalidAccessKeyId, versitygw's
//     404 XAdminUserNotFound...) is PermissionDenied;
//   - a 401 or 403 response is PermissionDenied (gcsblob reports every GCS
//     403 as NotFound, azureblob leaves Azure's AuthorizationFailure
//     Unknown);
//   - then the driver's own code, when it has one;
//   - then the HTTP status (statusCodes), a token endpoint's answer
//     (PermissionDenied, or Internal for a 5xx) and a network timeout
//     (DeadlineExceeded).
func Code(err error) gcerrors.ErrorCode {
	if err == nil {
		return gcerrors.OK
	}
	var pe *Error
	if errors.As(err, &pe) {
		return pe.Code
	}
	var sc *scrubbed
	if errors.As(err, &sc) && sc.code != gcerrors.Unknown {
		return sc.code
	}
	if errors.Is(err, context.Canceled) {
		return gcerrors.Canceled
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return gcerrors.DeadlineExceeded
	}
	var ae smithy.APIError
	if errors.As(err, &ae) && s3AuthCodes[ae.ErrorCode()] {
		return gcerrors.PermissionDenied
	}
	s := apierr.Status(err)
	if s == http.StatusUnauthorized || s == http.StatusForbidden {
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
	if s, ok := tokenStatus(err); ok {
		if s >= 500 {
			return gcerrors.Internal // the token endpoint failed
		}
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

// tokenStatus reports whether err is an OAuth token endpoint's answer, and
// its HTTP status (0 if none).
func tokenStatus(err error) (int, bool) {
	var ge *auth.Error
	if errors.As(err, &ge) {
		if ge.Response != nil {
			return ge.Response.StatusCode, true
		}
		return 0, true
	}
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		if re.Response != nil {
			return re.Response.StatusCode, true
		}
		return 0, true
	}
	return 0, false
}

// quote quotes a bucket name for messages; bucket names are validated by the
// address package and never contain secrets.
func quote(s string) string { return `"` + s + `"` }
