package address

import (
	"errors"
	"strconv"
	"strings"
)

// Kinds of address errors. Every *Error unwraps to exactly one of them, so
// callers can branch with errors.Is(err, address.ErrMissing) and still reach
// the field and the fix with errors.As.
var (
	// ErrSyntax: the text is not a well-formed address (an unencoded
	// character in a key, '?' used instead of '&', a stray fragment).
	ErrSyntax = errors.New("malformed address")
	// ErrScheme: the scheme is not one byob knows.
	ErrScheme = errors.New("unsupported scheme")
	// ErrMissing: a part the address must have is absent or empty.
	ErrMissing = errors.New("missing part")
	// ErrInvalid: a part is present but breaks the provider's rules.
	ErrInvalid = errors.New("invalid part")
	// ErrConflict: two parts contradict each other (tls=true on a plain
	// HTTP endpoint, a region that differs from the endpoint's).
	ErrConflict = errors.New("conflicting parts")
	// ErrUnknownParameter: a query parameter byob does not know; typos are
	// rejected rather than silently ignored.
	ErrUnknownParameter = errors.New("unknown query parameter")
)

// Field names the part of an address an *Error is about.
type Field string

// The fields an *Error can name.
const (
	FieldScheme    Field = "scheme"
	FieldAccessKey Field = "access key"
	FieldSecret    Field = "secret"
	FieldEndpoint  Field = "endpoint"
	FieldAccount   Field = "account"
	FieldBucket    Field = "bucket"
	FieldPath      Field = "sub-path"
	FieldRegion    Field = "region"
	FieldTLS       Field = "tls"
	FieldQuery     Field = "query"
)

// Error is the one error type of this package. Its text names the field at
// fault, what is wrong and how to write it instead. It never contains a
// secret, nor any part of one: messages are built from fixed words and from
// values that byob has already validated as non-secret.
type Error struct {
	Field   Field  // the part of the address at fault
	Kind    error  // one of the Err* kinds above
	Problem string // what is wrong, in plain words
	Fix     string // what to write instead
	Entry   int    // 1-based position in a ParseList input; 0 from Parse
}

// Error implements error.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("byob address: ")
	if e.Entry > 0 {
		b.WriteString("entry ")
		b.WriteString(strconv.Itoa(e.Entry))
		b.WriteString(": ")
	}
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
