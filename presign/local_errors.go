package presign

import (
	"errors"
	"strings"
)

// Kinds of the errors LocalSigner, LocalKeys and Handler return to their
// caller (not to HTTP clients, who get status codes). Every *LocalError
// unwraps to one of them; a refused key is scope's own error (kind
// scope.ErrKey), returned unchanged.
var (
	// ErrLocalConfig: a LocalConfig or HandlerOptions field, or stored
	// keys, are unusable.
	ErrLocalConfig = errors.New("invalid local signing configuration")
	// ErrLocalOption: a signing option or argument is malformed or does not
	// apply to the operation.
	ErrLocalOption = errors.New("invalid local signing option")
	// ErrLocalStorage: the bucket or the staging bucket failed.
	ErrLocalStorage = errors.New("local storage failed")
	// ErrNoSuchUpload: no multipart upload has this id (it was completed,
	// aborted, or never started).
	ErrNoSuchUpload = errors.New("no such multipart upload")
)

// LocalError is the error type of the local protocol's Go API. Its text
// names the operation, the field, what is wrong and the fix; it never
// contains a key or a signature.
type LocalError struct {
	Op      string // "sign", "new local signer", "new handler", "parse local keys", "abort upload"...
	Field   string // the field or argument at fault: "BaseURL", "Expires", "uploadID"...
	Kind    error  // ErrLocalConfig, ErrLocalOption, ErrLocalStorage or ErrNoSuchUpload
	Problem string // what is wrong, in plain words
	Fix     string // what to do instead; may be empty
	Cause   error  // the underlying error (a bucket's), if any
}

// Error implements error.
func (e *LocalError) Error() string {
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
func (e *LocalError) Unwrap() []error {
	if e.Cause == nil {
		return []error{e.Kind}
	}
	return []error{e.Kind, e.Cause}
}
