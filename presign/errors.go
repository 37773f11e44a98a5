package presign

import (
	"errors"
	"strings"
)

// Kinds of the errors this package returns to its caller (not to HTTP
// clients, who get status codes). Every *Error unwraps to one of them (and
// to its cause); an authorisation refusal or a refused key is scope's own
// *scope.Error (scope.ErrAccessDenied, scope.ErrKey...), returned
// unchanged.
var (
	// ErrOption: a Signer option is malformed or does not apply to the
	// operation.
	ErrOption = errors.New("invalid presign option")
	// ErrUnsupported: the location's provider has no such operation, or no
	// signer is configured for its kind of location.
	ErrUnsupported = errors.New("not supported for this location")
	// ErrCredentials: the location's signing credentials are unavailable
	// or expire too soon to sign with.
	ErrCredentials = errors.New("signing credentials unavailable")
	// ErrSign: the native signer refused or failed (its error is the cause).
	ErrSign = errors.New("signing failed")

	// ErrLocalConfig: a LocalConfig or HandlerOptions field, or stored
	// keys, are unusable.
	ErrLocalConfig = errors.New("invalid local signing configuration")
	// ErrLocalOption: a local signing option or argument is malformed or
	// does not apply to the operation.
	ErrLocalOption = errors.New("invalid local signing option")
	// ErrLocalStorage: the bucket or the staging bucket failed.
	ErrLocalStorage = errors.New("local storage failed")
	// ErrNoSuchUpload: no multipart upload has this id (it was completed,
	// aborted, or never started).
	ErrNoSuchUpload = errors.New("no such multipart upload")
)

// Error is the one error type of the package: Signer, LocalSigner,
// LocalKeys and Handler all return it. Its text names the operation, the
// field, what is wrong and the fix; it never contains a key, a credential
// or a signature.
type Error struct {
	Op      string // "sign", "new signer", "new handler", "parse local keys", "abort upload"...
	Field   string // the option or argument at fault: "Method", "Expires", "BaseURL", "id"...
	Kind    error  // one of the Err* kinds above
	Problem string // what is wrong, in plain words
	Fix     string // what to do instead; may be empty
	Cause   error  // the underlying error (a native signer's, a bucket's), if any
}

// Error implements error.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("byob presign: ")
	b.WriteString(e.Op)
	if e.Field != "" {
		b.WriteString(": ")
		b.WriteString(e.Field)
	}
	b.WriteString(": ")
	b.WriteString(e.Kind.Error())
	if e.Problem != "" {
		b.WriteString(": ")
		b.WriteString(e.Problem)
	}
	if e.Cause != nil {
		b.WriteString(": ")
		b.WriteString(e.Cause.Error())
	}
	if e.Fix != "" {
		b.WriteString("; fix: ")
		b.WriteString(e.Fix)
	}
	return b.String()
}

// Unwrap returns the kind and, when present, the cause, so that errors.Is
// matches both.
func (e *Error) Unwrap() []error {
	if e.Cause != nil {
		return []error{e.Kind, e.Cause}
	}
	return []error{e.Kind}
}
