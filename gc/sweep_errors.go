package gc

import (
	"encoding/json"
	"errors"
	"log/slog"
	"strconv"
	"strings"
)

// Kinds of gc errors. Every *Error unwraps to exactly one of them (or to
// ErrRestore, Restore's own), so callers branch with
// errors.Is(err, gc.ErrLiveOrder) and reach the details with errors.As.
var (
	// ErrInvalid: an argument is malformed (a shard, a data prefix, an
	// option).
	ErrInvalid = errors.New("invalid input")
	// ErrLiveOrder: the live stream is not in strictly increasing byte
	// order (a key out of order or repeated). The source is broken: nothing
	// may be deleted on the sweep's account.
	ErrLiveOrder = errors.New("live keys out of byte order")
	// ErrListOrder: the bucket listing is not in strictly increasing byte
	// order. Nothing may be deleted on the sweep's account.
	ErrListOrder = errors.New("listing out of byte order")
	// ErrOutOfRange: a key, live or listed, lies outside the data prefix or
	// the shard being swept: the two sides of the join disagree about what
	// they cover.
	ErrOutOfRange = errors.New("key outside the data prefix or shard")
	// ErrSource: the live source failed (its stream yielded an error).
	ErrSource = errors.New("live source failed")
	// ErrList: listing the bucket failed.
	ErrList = errors.New("listing failed")
	// ErrStopped: the context ended before the work was done.
	ErrStopped = errors.New("stopped")
	// ErrManifest: a manifest is malformed or of a kind byob does not know.
	ErrManifest = errors.New("manifest refused")
	// ErrClaimed: the collector has claimed the key; the server must not
	// point a version at it, and uploads under a key of the version's own.
	ErrClaimed = errors.New("key claimed by the collector")
	// ErrUnrecoverable: the bucket keeps nothing a deleted object could be
	// restored from (no versioning, no soft delete, no Options.Trash), and
	// the run was not forced; or a restore of such a run was asked for.
	ErrUnrecoverable = errors.New("deletes could not be undone")
	// ErrMode: what the bucket keeps of a deleted object (versioning, soft
	// delete) could not be read; the run deletes nothing rather than guess.
	ErrMode = errors.New("bucket settings unreadable")
	// ErrSpool: the temporary file that holds a sweep's candidates failed
	// (Options.SpoolDir); nothing was deleted on its account.
	ErrSpool = errors.New("spool failed")
	// ErrJournal: the run's journal could not be written (nothing more is
	// deleted), or a journal line could not be read.
	ErrJournal = errors.New("journal failed")
	// ErrTornRecord: a journal line was torn by a crash mid-write. Harmless:
	// an intent is synced before its deletes, so a torn record never
	// describes a delete that happened.
	ErrTornRecord = errors.New("journal record torn")
	// ErrDelete: some deletes (or aborts) failed; the report counts them by
	// kind (Report.Errors) and keeps the first ones.
	ErrDelete = errors.New("deletes failed")
)

// Error is the one error type of this package. Its text names the
// operation, the rule that refused (Kind), what is wrong and the fix. Keys
// are quoted in ASCII with Go escapes, so that every byte of them is
// visible (é composed is "\u00e9", decomposed "e\u0301").
type Error struct {
	Op     string // what was attempted: "sweep", "list", "parse manifest"...
	Kind   error  // one of the Err* kinds above
	Key    string // the key concerned, if any (not a secret)
	Detail string // what is wrong, in plain words
	Fix    string // what to do instead; may be empty
	Cause  error  // the underlying error, if any
}

// Error implements error.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("byob gc: ")
	b.WriteString(e.Op)
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

// GoString prints the message, so that %#v shows no more than Error does.
func (e *Error) GoString() string { return "gc.Error(" + strconv.Quote(e.Error()) + ")" }

// LogValue makes log/slog print the message.
func (e *Error) LogValue() slog.Value { return slog.StringValue(e.Error()) }

// MarshalJSON encodes the message.
func (e *Error) MarshalJSON() ([]byte, error) { return json.Marshal(e.Error()) }

// Unwrap returns the kind and, when present, the cause, so that errors.Is
// matches both (e.g. ErrStopped and context.Canceled).
func (e *Error) Unwrap() []error {
	if e.Cause == nil {
		return []error{e.Kind}
	}
	return []error{e.Kind, e.Cause}
}

// quote shows a key with every byte visible, in ASCII, so that keys that
// differ only in their Unicode normalisation print differently.
func quote(s string) string { return strconv.QuoteToASCII(s) }
