package scope

import (
	"encoding/json"
	"errors"
	"log/slog"
	"strconv"
	"strings"
)

// Kinds of scope errors. Every *Error unwraps to exactly one of them, so
// callers branch with errors.Is(err, scope.ErrOverlap) and reach the details
// with errors.As. The kinds are listed in the order CreateTeam applies its
// rules.
var (
	// ErrInvalid: an argument is malformed (a team name, a nil address, a
	// configuration field).
	ErrInvalid = errors.New("invalid input")
	// ErrNotAvailable: the availability matrix does not offer this provider
	// for this deployment and scope.
	ErrNotAvailable = errors.New("storage not available for this deployment and scope")
	// ErrNotSupportedStore: the bucket matches no entry of the instance's
	// supported-stores list (GORILLA_SUPPORTED_FILE_STORES).
	ErrNotSupportedStore = errors.New("storage not in the supported-stores list")
	// ErrUnusable: the bucket check found an error (unreachable, missing
	// permission, wrong settings).
	ErrUnusable = errors.New("bucket not usable")
	// ErrOverlap: the new location's data would nest in, contain or coincide
	// with another location's data in the same bucket.
	ErrOverlap = errors.New("storage overlaps another location")
	// ErrExists: the team already exists, with this storage.
	ErrExists = errors.New("team already exists")
	// ErrImmutable: the team exists and its storage cannot be changed
	// (only its credentials can, through RotateCredentials).
	ErrImmutable = errors.New("team storage cannot be changed")
	// ErrNoTeamBucket: the team has no bucket of its own (it uses the
	// instance's), so it has no credentials of its own to replace.
	ErrNoTeamBucket = errors.New("team has no bucket of its own")
	// ErrNotFound: no such team.
	ErrNotFound = errors.New("team not found")
	// ErrKey: an object key is refused (it could leave its location, or
	// breaks a provider limit).
	ErrKey = errors.New("object key refused")
	// ErrAccessDenied: the user may not use this location.
	ErrAccessDenied = errors.New("access denied")
	// ErrStore: the team store failed or holds unreadable data.
	ErrStore = errors.New("team store failure")
	// ErrClosed: the registry has been closed.
	ErrClosed = errors.New("registry closed")
)

// Error is the one error type of this package. Its text names the operation,
// the team, the rule that refused (Kind), what is wrong and the fix. It never
// contains a secret: addresses appear only in their redacted form.
type Error struct {
	Op      string    // what was attempted: "create team", "resolve location", "check key"...
	Team    string    // the team concerned; "" for the instance or none
	Kind    error     // one of the Err* kinds above: the rule that refused
	Detail  string    // what is wrong, in plain words
	Fix     string    // what to do instead; may be empty
	Cause   error     // the underlying error (check, store, I/O), if any
	Overlap *Conflict // set for ErrOverlap: which two locations and prefixes
}

// Conflict describes two locations whose data would overlap in one bucket.
// Addresses are redacted.
type Conflict struct {
	Address      string // the new location, redacted
	Prefix       string // its data prefix in the bucket ("" = the whole bucket)
	Other        string // "instance" or `team "name"`
	OtherAddress string // the other location, redacted
	OtherPrefix  string // its data prefix in the bucket
	Relation     string // "the same prefix as", "inside", "around"
}

// Error implements error.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("byob scope: ")
	b.WriteString(e.Op)
	if e.Team != "" {
		b.WriteString(" (team ")
		b.WriteString(quote(e.Team))
		b.WriteString(")")
	}
	b.WriteString(": ")
	b.WriteString(e.Kind.Error())
	if e.Detail != "" {
		b.WriteString(": ")
		b.WriteString(e.Detail)
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

// GoString prints the message, so that %#v shows no more than Error does
// (a Cause from a caller's CheckFunc or Store is printed by its Error only).
func (e *Error) GoString() string { return "scope.Error(" + quote(e.Error()) + ")" }

// LogValue makes log/slog print the message.
func (e *Error) LogValue() slog.Value { return slog.StringValue(e.Error()) }

// MarshalJSON encodes the message.
func (e *Error) MarshalJSON() ([]byte, error) { return json.Marshal(e.Error()) }

// Unwrap returns the kind and, when present, the cause, so that errors.Is
// matches both (e.g. ErrUnusable and context.DeadlineExceeded).
func (e *Error) Unwrap() []error {
	if e.Cause == nil {
		return []error{e.Kind}
	}
	return []error{e.Kind, e.Cause}
}

// quote quotes s Go-style, so that a bad name or key cannot forge a line.
func quote(s string) string { return strconv.Quote(s) }

func closedError(op, team string) error {
	return &Error{Op: op, Team: team, Kind: ErrClosed, Fix: "do not use a registry after Close"}
}

// withOp sets the operation and team of a *Error built further down.
func withOp(err error, op, team string) error {
	var e *Error
	if errors.As(err, &e) {
		c := *e
		c.Op, c.Team = op, team
		return &c
	}
	return err
}

// storeFailure wraps a Store's error unless it is already a *Error.
func storeFailure(op, team string, err error) error {
	var e *Error
	if errors.As(err, &e) {
		return err
	}
	return &Error{Op: op, Team: team, Kind: ErrStore, Detail: "the team store failed", Cause: err}
}
