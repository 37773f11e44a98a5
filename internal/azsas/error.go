package azsas

import (
	"errors"
	"strings"
)

// Kinds of errors. Every *Error unwraps to exactly one of them, so callers
// can branch with errors.Is and still reach the field and the fix with
// errors.As.
var (
	// ErrMissing: an input the SAS needs is empty or zero.
	ErrMissing = errors.New("missing input")
	// ErrInvalid: an input is present but breaks Azure's rules, or would
	// make the string to sign ambiguous.
	ErrInvalid = errors.New("invalid input")
	// ErrUnsupported: the kind of SAS asked for cannot carry the input
	// (signed request headers in a shared-key SAS).
	ErrUnsupported = errors.New("not supported by this kind of SAS")
)

// Field names the input an *Error is about.
type Field string

// The fields an *Error can name.
const (
	FieldAccount            Field = "account"
	FieldKey                Field = "account key"
	FieldDelegationKey      Field = "user delegation key"
	FieldEndpoint           Field = "endpoint"
	FieldContainer          Field = "container"
	FieldBlob               Field = "blob"
	FieldPermissions        Field = "permissions"
	FieldStart              Field = "start"
	FieldExpiry             Field = "expiry"
	FieldProtocol           Field = "protocol"
	FieldVersion            Field = "version"
	FieldContentType        Field = "content type (rsct)"
	FieldContentDisposition Field = "content disposition (rscd)"
	FieldCorrelationID      Field = "correlation id (scid)"
	FieldSignedHeaders      Field = "signed request headers (srh)"
)

// Error is the one error type of this package. Its text is built from fixed
// words only: it never quotes an input, so neither a key nor a blob name
// nor a header value can reach a log through it.
type Error struct {
	Field   Field  // the input at fault
	Kind    error  // ErrMissing, ErrInvalid or ErrUnsupported
	Problem string // what is wrong, in plain words
	Fix     string // what to do instead
}

// Error implements error.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("byob azsas: ")
	b.WriteString(string(e.Field))
	b.WriteString(": ")
	b.WriteString(e.Problem)
	if e.Fix != "" {
		b.WriteString("; fix: ")
		b.WriteString(e.Fix)
	}
	return b.String()
}

// Unwrap returns the error's kind, for errors.Is.
func (e *Error) Unwrap() error { return e.Kind }

func newErr(kind error, field Field, problem, fix string) *Error {
	return &Error{Field: field, Kind: kind, Problem: problem, Fix: fix}
}
