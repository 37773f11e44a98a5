package gc

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/byobkit/byob/internal/undelete"
	"github.com/byobkit/byob/provider"
	"github.com/byobkit/byob/scope"
	"gocloud.dev/gcerrors"
)

// RestoreOptions tune Restore. The zero value restores every run of the
// journal with the defaults.
type RestoreOptions struct {
	// Run is the id of the run to undo; "" undoes every run in the journal.
	Run string
	// Parallelism is the most keys restored at once; 0: 16.
	Parallelism int
	// ClockSkew is how far the bucket's clock may be ahead of the clock
	// that stamped the run's start: a version deleted earlier than the
	// run's start minus ClockSkew is not the run's, and is not brought
	// back. 0: 5 minutes.
	ClockSkew time.Duration
	// Logger gets a line per key that is Lost or Failed, and one per run;
	// nil: discard.
	Logger *slog.Logger
	// Now is the clock for Started and Duration; nil: time.Now.
	Now func() time.Time
}

// RestoreReport says what Restore did. Restore always returns one.
type RestoreReport struct {
	// Runs are the ids of the runs restored, newest first (the order they
	// were restored in).
	Runs []string
	// Keys is how many keys the runs' intent records name (each run's
	// keys counted once), less those counted in AlreadyGone: every one of
	// them may have been deleted.
	Keys int64
	// Restored: the object is back. Present: a current object exists
	// (never deleted, restored before, uploaded again): nothing was done.
	// Lost: nothing keeps it (see FirstLost). Failed: a request failed
	// (see Errors and FirstErrors).
	Restored, Present, Lost, Failed int64
	// FirstLost are up to 10 lost keys, each with the reason.
	FirstLost []string
	// Errors counts failures by kind: a gcerrors code name
	// ("PermissionDenied") for a key, "TornRecord" or "Journal" for a
	// journal line.
	Errors map[string]int64
	// FirstErrors are up to 10 of those errors, scrubbed.
	FirstErrors []error
	// AlreadyGone counts keys whose outcome record says the run found
	// them gone (a real 404): the run deleted nothing there, so nothing
	// of it is brought back.
	AlreadyGone int64
	// UploadsNotRestorable counts aborted multipart uploads in the
	// journal: an aborted upload cannot be brought back (its client starts
	// it again).
	UploadsNotRestorable int64
	Started              time.Time
	Duration             time.Duration
}

// MarshalJSON encodes the report for machines (the CLI's --json), as
// Report does: camelCase names, the first errors as their (scrubbed)
// texts, the duration as a Go duration.
func (r RestoreReport) MarshalJSON() ([]byte, error) {
	errs := make([]string, len(r.FirstErrors))
	for i, e := range r.FirstErrors {
		errs[i] = e.Error()
	}
	return json.Marshal(struct {
		Runs                 []string         `json:"runs"`
		Keys                 int64            `json:"keys"`
		Restored             int64            `json:"restored"`
		Present              int64            `json:"present"`
		Lost                 int64            `json:"lost"`
		Failed               int64            `json:"failed"`
		AlreadyGone          int64            `json:"alreadyGone"`
		UploadsNotRestorable int64            `json:"uploadsNotRestorable"`
		FirstLost            []string         `json:"firstLost,omitempty"`
		Errors               map[string]int64 `json:"errors,omitempty"`
		FirstErrors          []string         `json:"firstErrors,omitempty"`
		Started              time.Time        `json:"started"`
		Duration             string           `json:"duration"`
	}{r.Runs, r.Keys, r.Restored, r.Present, r.Lost, r.Failed, r.AlreadyGone, r.UploadsNotRestorable,
		r.FirstLost, r.Errors, errs, r.Started, r.Duration.String()})
}

// maxFirst bounds FirstErrors and FirstLost.
const maxFirst = 10

// restoreRun is what the journal says of one run.
type restoreRun struct {
	id      string
	start   *JournalRecord
	objs    []undelete.Object
	seen    map[string]bool
	gone    map[string]bool
	batches map[int]bool // batches whose intent deletes objects (not uploads)
	uploads int64
}

// Restore undoes runs of Run or PurgePrefixes on loc, reading their
// journal: every object named in an intent record is brought back,
// whether or not an outcome record says it was deleted (a run killed
// between its intent and its outcome may have deleted it), unless an
// outcome says the run found it already gone (RestoreReport.AlreadyGone).
//
//   - A run in ModeVersions or ModeSoftDelete is restored natively, as
//     internal/undelete does it per provider: S3's delete markers of the
//     run are removed, GCS's noncurrent or soft-deleted generation is
//     brought back, Azure's blob is undeleted or its previous version
//     copied back.
//   - A run in ModeTrash is restored from its trash: Trash+run+"/"+key is
//     copied back when the key does not exist, checked (size and MD5),
//     and then deleted. A key that exists is Present and its trash copy
//     is kept. (Stores without versions have no conditional copy, so an
//     upload to the same key between the check and the copy would be
//     replaced; artifact keys are named by their content's digest.)
//   - A run in ModeNone kept nothing: Restore refuses it, before it
//     restores anything, with ErrUnrecoverable.
//
// Runs are restored newest first, so that a key deleted by two runs
// (uploaded again in between) gets the newer object back. Restoring twice
// is harmless: the second time, every key is Present.
//
// Restore holds the keys of the runs it restores in memory (about a
// hundred bytes a key): restore a journal of very many runs run by run
// (RestoreOptions.Run).
//
// The journal's lines that cannot be read are counted in the report and
// the rest is restored; a torn last record (ErrTornRecord) is harmless,
// any other bad line makes the error ErrJournal, since it might have been
// an intent. The error is non-nil when any key Failed or was Lost
// (ErrRestore), a line was bad (ErrJournal), or the context ended
// (ErrStopped); the report is never nil.
func Restore(ctx context.Context, loc *scope.Location, journal io.Reader, opts RestoreOptions) (*RestoreReport, error) {
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	rep := &RestoreReport{Started: now(), Errors: map[string]int64{}}
	defer func() { rep.Duration = now().Sub(rep.Started) }()
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if loc == nil {
		return rep, &Error{Op: "restore", Kind: ErrInvalid, Detail: "no location", Fix: "pass the location the runs collected"}
	}
	if journal == nil {
		return rep, &Error{Op: "restore", Kind: ErrInvalid, Detail: "no journal", Fix: "pass the journal file Options.Journal wrote"}
	}
	runs, badLines := readRestoreRuns(journal, opts.Run, rep)
	runs, err := selectRestoreRuns(loc, runs, opts.Run)
	if err != nil {
		return rep, err
	}
	r, err := undelete.New(loc.Handle(), undelete.Options{Parallelism: opts.Parallelism, ClockSkew: opts.ClockSkew})
	if err != nil {
		return rep, &Error{Op: "restore", Kind: ErrInvalid, Detail: "the location has no open bucket", Cause: err}
	}
	for _, run := range runs {
		if err := ctx.Err(); err != nil {
			return rep, &Error{Op: "restore", Kind: ErrStopped, Detail: "stopped before run " + quote(run.id), Cause: err}
		}
		rep.Runs = append(rep.Runs, run.id)
		rep.Keys += int64(len(run.objs))
		rep.AlreadyGone += int64(len(run.gone))
		rep.UploadsNotRestorable += run.uploads
		var res []undelete.Result
		if run.start.Mode == ModeTrash {
			res = restoreFromTrash(ctx, loc, run.start.Trash, run.id, run.objs, opts.Parallelism)
		} else {
			res, _ = r.Restore(ctx, run.start.Time, run.objs) // a context error is in each unsettled Result
		}
		var lost, failed int64
		for _, x := range res {
			switch x.Status {
			case undelete.Restored:
				rep.Restored++
				if x.Err != nil { // back, but a leftover (a trash copy) could not be removed
					rep.addError(provider.Code(x.Err).String(), x.Err)
				}
			case undelete.Present:
				rep.Present++
			case undelete.Lost:
				lost++
				if len(rep.FirstLost) < maxFirst {
					rep.FirstLost = append(rep.FirstLost, quote(x.Key)+": "+x.Reason)
				}
				log.Warn("gc restore: lost", "run", run.id, "key", x.Key, "reason", x.Reason)
			default:
				failed++
				rep.addError(provider.Code(x.Err).String(), x.Err)
				log.Warn("gc restore: failed", "run", run.id, "key", x.Key, "error", x.Err)
			}
		}
		rep.Lost += lost
		rep.Failed += failed
		log.Info("gc restore: run", "run", run.id, "mode", string(run.start.Mode), "keys", len(run.objs), "lost", lost, "failed", failed)
	}
	switch {
	case ctx.Err() != nil:
		return rep, &Error{Op: "restore", Kind: ErrStopped,
			Detail: "stopped with " + strconv.FormatInt(rep.Failed, 10) + " keys not restored", Cause: ctx.Err(),
			Fix: "restore again: keys already restored are then Present"}
	case rep.Failed > 0 || rep.Lost > 0:
		return rep, &Error{Op: "restore", Kind: ErrRestore,
			Detail: strconv.FormatInt(rep.Failed, 10) + " keys failed and " + strconv.FormatInt(rep.Lost, 10) + " are lost (see the report)",
			Fix:    "fix the cause of the failures (RestoreReport.Errors) and restore again: restored keys are then Present"}
	case badLines > 0:
		return rep, &Error{Op: "restore", Kind: ErrJournal,
			Detail: strconv.Itoa(badLines) + " journal lines could not be read; the keys of an intent among them were not restored",
			Fix:    "repair the lines named in RestoreReport.FirstErrors and restore again"}
	}
	return rep, nil
}

// ErrRestore: some keys could not be restored (failed or lost); the
// RestoreReport counts them.
var ErrRestore = errors.New("restore incomplete")

// addError counts err under kind and keeps it if there is room.
func (rep *RestoreReport) addError(kind string, err error) {
	rep.Errors[kind]++
	if len(rep.FirstErrors) < maxFirst {
		rep.FirstErrors = append(rep.FirstErrors, err)
	}
}

// readRestoreRuns reads the journal's runs (only run want, unless it is
// "") in the order they start, and returns them and the number of bad
// lines that were not torn records.
func readRestoreRuns(journal io.Reader, want string, rep *RestoreReport) ([]*restoreRun, int) {
	var runs []*restoreRun
	byID := map[string]*restoreRun{}
	bad := 0
	for rec, err := range ReadJournal(journal) {
		if err != nil {
			if errors.Is(err, ErrTornRecord) {
				rep.addError("TornRecord", err)
			} else {
				bad++
				rep.addError("Journal", err)
			}
			continue
		}
		if want != "" && rec.Run != want {
			continue // another run's keys need not be held
		}
		run := byID[rec.Run]
		if run == nil {
			run = &restoreRun{id: rec.Run, seen: map[string]bool{}, gone: map[string]bool{}, batches: map[int]bool{}}
			byID[rec.Run] = run
			runs = append(runs, run)
		}
		switch rec.Rec {
		case RecStart:
			if run.start == nil {
				r := rec
				run.start = &r
			}
		case RecIntent:
			run.uploads += int64(len(rec.Uploads))
			if len(rec.Objects) > 0 {
				run.batches[rec.Batch] = true
			}
			for _, o := range rec.Objects {
				if !run.seen[o.Key] {
					run.seen[o.Key] = true
					run.objs = append(run.objs, undelete.Object{Key: o.Key, Size: o.Size})
				}
			}
		case RecOutcome:
			if !run.batches[rec.Batch] {
				continue // an upload's key, gone, says nothing of an object of that name
			}
			for _, k := range rec.Gone {
				run.gone[k] = true
			}
		}
	}
	for _, r := range runs {
		r.objs = slices.DeleteFunc(r.objs, func(o undelete.Object) bool { return r.gone[o.Key] })
	}
	return runs, bad
}

// selectRestoreRuns picks the runs to restore, newest first, and checks
// them all before anything is restored: each must have its start record,
// have been collected on loc, and have kept what it deleted.
func selectRestoreRuns(loc *scope.Location, runs []*restoreRun, id string) ([]*restoreRun, error) {
	if id != "" {
		i := slices.IndexFunc(runs, func(r *restoreRun) bool { return r.id == id })
		if i < 0 {
			return nil, &Error{Op: "restore", Kind: ErrInvalid, Detail: "run " + quote(id) + " is not in the journal",
				Fix: "name a run of this journal in RestoreOptions.Run, or leave it empty to restore every run"}
		}
		runs = runs[i : i+1]
	}
	here := loc.Handle().Location().String()
	var out []*restoreRun
	for _, r := range slices.Backward(runs) {
		switch s := r.start; {
		case s == nil:
			return nil, &Error{Op: "restore", Kind: ErrJournal, Detail: "run " + quote(r.id) + " has no start record, so its mode is unknown",
				Fix: "restore from the journal file the run wrote, from its beginning"}
		case s.Location != here:
			return nil, &Error{Op: "restore", Kind: ErrInvalid,
				Detail: "run " + quote(r.id) + " collected " + quote(s.Location) + ", not this location " + quote(here),
				Fix:    "restore on the location the journal names"}
		case s.DryRun:
			continue // it deleted nothing
		case s.Mode == ModeNone:
			return nil, &Error{Op: "restore", Kind: ErrUnrecoverable,
				Detail: "run " + quote(r.id) + " was forced on a bucket that keeps no versions, without a trash: its deletes cannot be undone",
				Fix:    "restore the other runs one by one with RestoreOptions.Run; turn on versioning or soft delete, or set Options.Trash, before the next run"}
		case s.Mode == ModeTrash && s.Trash == "":
			return nil, &Error{Op: "restore", Kind: ErrJournal, Detail: "run " + quote(r.id) + " is in trash mode but names no trash prefix"}
		case s.Mode != ModeVersions && s.Mode != ModeSoftDelete && s.Mode != ModeTrash:
			return nil, &Error{Op: "restore", Kind: ErrJournal, Detail: "run " + quote(r.id) + " has an unknown mode " + quote(string(s.Mode)),
				Fix: "restore with the byob that wrote the journal"}
		}
		out = append(out, r)
	}
	return out, nil
}

// restoreFromTrash copies each key back from trash+run+"/"+key, in
// parallel, and deletes the trash copy once the copy back is verified.
func restoreFromTrash(ctx context.Context, loc *scope.Location, trash, run string, objs []undelete.Object, par int) []undelete.Result {
	if par <= 0 {
		par = 16
	}
	res := make([]undelete.Result, len(objs))
	sem := make(chan struct{}, par)
	var wg sync.WaitGroup
	for i, o := range objs {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			res[i] = restoreOneFromTrash(ctx, loc, trashKey(trash, run, o.Key), o.Key)
			res[i].Key = o.Key
		}()
	}
	wg.Wait()
	return res
}

func restoreOneFromTrash(ctx context.Context, loc *scope.Location, from, key string) undelete.Result {
	b := loc.Bucket()
	fail := func(err error) undelete.Result {
		a := loc.Handle().Address()
		return undelete.Result{Err: provider.WrapError(&a, undelete.OpRestore, err)}
	}
	if _, err := b.Attributes(ctx, key); err == nil {
		return undelete.Result{Status: undelete.Present, Reason: "the object exists; its trash copy is kept"}
	} else if provider.Code(err) != gcerrors.NotFound {
		return fail(err)
	}
	src, err := b.Attributes(ctx, from)
	if provider.Code(err) == gcerrors.NotFound {
		return undelete.Result{Status: undelete.Lost, Reason: "no copy in the trash at " + quote(from)}
	}
	if err != nil {
		return fail(err)
	}
	if err := b.Copy(ctx, key, from, nil); err != nil {
		return fail(err)
	}
	got, err := b.Attributes(ctx, key)
	if err != nil {
		return fail(err)
	}
	if got.Size != src.Size || src.MD5 != nil && got.MD5 != nil && !bytes.Equal(src.MD5, got.MD5) {
		a := loc.Handle().Location()
		return undelete.Result{Err: &provider.Error{Op: undelete.OpRestore, Provider: a.Provider, Bucket: a.Bucket, Code: gcerrors.Internal,
			Err: errors.New("the copy back from " + quote(from) + " differs from it in size or MD5; the trash copy is kept")}}
	}
	if err := b.Delete(ctx, from); err != nil && provider.Code(err) != gcerrors.NotFound {
		// The object is back; only the trash copy is left over.
		r := fail(err)
		r.Status, r.Version, r.Reason = undelete.Restored, "trash", "copied back from the trash; deleting the trash copy failed"
		return r
	}
	return undelete.Result{Status: undelete.Restored, Version: "trash", Reason: "copied back from " + quote(from)}
}
