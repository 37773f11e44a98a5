package gc

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/byobkit/byob/provider"
	"gocloud.dev/gcerrors"
)

// Checker is an optional interface of a Source: a read-only Claim, which
// a dry run uses (a dry run never claims). It returns the keys that Claim
// would keep now, and records nothing. Without it a dry run reports
// KeptOnClaim as unknown (-1). MemServer and ManifestDir implement it.
type Checker interface {
	Check(ctx context.Context, keys []string) (kept []string, err error)
}

// Phase is the part of a run under way.
type Phase string

// The phases, in order.
const (
	PhaseCheck   Phase = "check"   // options and the bucket's versioning
	PhaseSweep   Phase = "sweep"   // listing and joining with the live keys
	PhaseDelete  Phase = "delete"  // claiming and deleting, batch by batch
	PhaseUploads Phase = "uploads" // aborting stale multipart uploads
	PhaseDone    Phase = "done"
)

// Progress is what a run has done so far, for Options.Progress.
type Progress struct {
	Phase      Phase
	Scanned    int64 // objects listed
	Candidates int64 // of them, not live
	Deleted    int64 // deleted so far (on a dry run: would be)
	Bytes      int64 // their bytes
}

// Report is what a run did. Run and PurgePrefixes always return one, also
// with an error: then it says how far the run got.
type Report struct {
	RunID  string
	DryRun bool
	Mode   Mode // what makes the run undoable

	Scanned     int64 // objects listed
	Live        int64 // of them, named by the live source
	Candidates  int64 // of them, not live
	TooYoung    int64 // candidates modified within MinAge: kept
	KeptOnClaim int64 // candidates the claim kept (dry run without a Checker: -1, unknown)
	Deleted     int64 // deleted (on a dry run: would be; on S3 includes keys already gone)
	AlreadyGone int64 // the service said they no longer existed
	Failed      int64 // still there, or not known to be gone: see Errors
	// Skipped counts listed candidates byob will not delete because a
	// storage driver escapes their keys: their listed name may differ
	// from the stored one, and a delete could hit another object. Garbage
	// left is harmless; artifact keys (DefaultLayout) never hit this.
	Skipped int64

	BytesReclaimed int64 // bytes of the deleted objects (dry run: would be)

	UploadsFound   int64 // stale multipart uploads found
	UploadsAborted int64 // of them, aborted (or already ended)

	// Errors counts failures by kind: a gcerrors code name
	// ("PermissionDenied", "ResourceExhausted"…) or a gc kind ("Source",
	// "Journal"…).
	Errors map[string]int64
	// FirstErrors are the first failures (at most 10), scrubbed.
	FirstErrors []error
	// Requests is how many delete requests were sent (batchdelete.Stats).
	Requests int64

	Started  time.Time
	Duration time.Duration
}

// maxFirstErrors is how many errors a report keeps.
const maxFirstErrors = 10

// fail counts err under its kind and keeps it if it is among the first.
func (r *Report) fail(err error) {
	if r.Errors == nil {
		r.Errors = map[string]int64{}
	}
	r.Errors[kindName(err)]++
	if len(r.FirstErrors) < maxFirstErrors {
		r.FirstErrors = append(r.FirstErrors, err)
	}
}

// gcKindNames name the gc kinds in Report.Errors and the journal.
var gcKindNames = map[error]string{
	ErrInvalid: "Invalid", ErrLiveOrder: "LiveOrder", ErrListOrder: "ListOrder", ErrOutOfRange: "OutOfRange",
	ErrSource: "Source", ErrList: "List", ErrStopped: "Stopped", ErrManifest: "Manifest", ErrClaimed: "Claimed",
	ErrUnrecoverable: "Unrecoverable", ErrMode: "Mode", ErrJournal: "Journal", ErrTornRecord: "TornRecord", ErrDelete: "Delete", ErrSpool: "Spool",
}

// kindName names err's kind: the gc kind of a *Error, else the gcerrors
// code (provider.Code), with the context's errors as Canceled and
// DeadlineExceeded.
func kindName(err error) string {
	var e *Error
	if errors.As(err, &e) {
		if n, ok := gcKindNames[e.Kind]; ok {
			return n
		}
	}
	c := provider.Code(err)
	if c == gcerrors.OK {
		return "Unknown"
	}
	return c.String()
}

// summary is the report as an end record carries it.
func (r *Report) summary() *JournalSummary {
	return &JournalSummary{Scanned: r.Scanned, Live: r.Live, Candidates: r.Candidates, TooYoung: r.TooYoung,
		KeptOnClaim: r.KeptOnClaim, Deleted: r.Deleted, AlreadyGone: r.AlreadyGone, Failed: r.Failed, Skipped: r.Skipped,
		BytesReclaimed: r.BytesReclaimed, UploadsFound: r.UploadsFound, UploadsAborted: r.UploadsAborted,
		Errors: r.Errors, Requests: r.Requests, Duration: r.Duration.String()}
}

// failure is the error a run returns when some deletes or aborts failed
// but the run went to its end.
func (r *Report) failure(op string) error {
	if len(r.Errors) == 0 {
		return nil
	}
	var total int64
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(r.Errors)) {
		total += r.Errors[k]
		parts = append(parts, k+" "+strconv.FormatInt(r.Errors[k], 10))
	}
	e := &Error{Op: op, Kind: ErrDelete,
		Detail: strconv.FormatInt(total, 10) + " failed (" + strings.Join(parts, ", ") + "); they are still there, or not known to be gone",
		Fix:    "see Report.FirstErrors; once the cause is fixed, run again: the next run collects them"}
	if len(r.FirstErrors) > 0 {
		e.Cause = r.FirstErrors[0]
	}
	return e
}

// MarshalJSON encodes the report for machines (the CLI's --json): the
// counts under the journal's names, the first errors as their (scrubbed)
// texts, the duration as a Go duration.
func (r Report) MarshalJSON() ([]byte, error) {
	errs := make([]string, len(r.FirstErrors))
	for i, e := range r.FirstErrors {
		errs[i] = e.Error()
	}
	return json.Marshal(struct {
		RunID  string `json:"runId"`
		DryRun bool   `json:"dryRun"`
		Mode   Mode   `json:"mode"`
		*JournalSummary
		FirstErrors []string  `json:"firstErrors,omitempty"`
		Started     time.Time `json:"started"`
	}{r.RunID, r.DryRun, r.Mode, r.summary(), errs, r.Started})
}
