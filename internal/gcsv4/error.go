package gcsv4

import (
	"errors"
	"strings"
)

// Kinds of errors. Every *Error unwraps to exactly one of them (and to its
// cause, if any), so callers branch with errors.Is(err, gcsv4.ErrInvalid)
// and reach the field and the fix with errors.As.
var (
	// ErrInvalid: an argument of New, NewWithSignBytes or Sign breaks a
	// rule of GCS V4 signing; nothing was signed.
	ErrInvalid = errors.New("invalid signing input")
	// ErrSign: the signing step failed (the caller's SignBytes function,
	// the key, or a done context); the cause is wrapped.
	ErrSign = errors.New("signing failed")
)

// Error is the one error type of this package. Its text names the field at
// fault, what is wrong and how to fix it. It never contains a key, a
// signature, a header or query value, or the endpoint (which could carry
// userinfo): messages are built from fixed words, field and header names,
// and numbers. The text of a wrapped cause is the caller's SignBytes
// function's own.
type Error struct {
	Field   string // the argument or Request field at fault: "Method", "Object", "Header", "key", "SignBytes"...
	Kind    error  // ErrInvalid or ErrSign
	Problem string // what is wrong, in plain words
	Fix     string // what to do instead; may be empty
	Err     error  // the cause (SignBytes's error, the context's), if any
}

// Error implements error.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("byob gcsv4: ")
	b.WriteString(e.Field)
	b.WriteString(": ")
	b.WriteString(e.Problem)
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	if e.Fix != "" {
		b.WriteString("; fix: ")
		b.WriteString(e.Fix)
	}
	return b.String()
}

// Unwrap returns the kind and the cause, for errors.Is and errors.As.
func (e *Error) Unwrap() []error {
	if e.Err == nil {
		return []error{e.Kind}
	}
	return []error{e.Kind, e.Err}
}

func invalid(field, problem, fix string) *Error {
	return &Error{Field: field, Kind: ErrInvalid, Problem: problem, Fix: fix}
}
