package gc

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/byobkit/byob/address"
	"github.com/byobkit/byob/internal/batchdelete"
	"github.com/byobkit/byob/provider"
	"github.com/byobkit/byob/scope"
)

// Run collects the unreferenced artifact files of one shard of loc's data
// prefix: the listed objects that src does not name as live, that are
// older than the grace period, and that src's Claim does not keep. It
// deletes them in batches through the provider's native batch API, and
// aborts the multipart uploads under the data prefix that are older than
// the grace period.
//
// In order, it
//
//  1. validates opts (an ErrInvalid *Error naming the field and the fix);
//  2. reads what the bucket keeps of a deleted object (Mode): a bucket
//     that keeps nothing, without Options.Trash, is refused
//     (ErrUnrecoverable) unless Force or DryRun; settings it cannot read
//     are an ErrMode error, never taken for "none";
//  3. writes the journal's start record, synced;
//  4. sweeps (List, Sweep): candidates modified within MinAge are kept
//     (TooYoung), keys a storage driver escapes are left alone (Skipped),
//     and the rest wait in a temporary file until the sweep has ended
//     cleanly; on any sweep error nothing is deleted;
//  5. for each batch: Claim (a dry run asks Checker instead, never
//     Claim), then the intent record (what will be deleted, and what the
//     claim kept), synced BEFORE any delete, then the deletes (Trash:
//     copy, verify, delete), then the outcome record;
//  6. unless SkipUploads, does the same for stale multipart uploads;
//  7. writes the end record, with the report.
//
// A run killed anywhere leaves its journal, and the next run finishes the
// job: it sweeps again, claims again (which the contract allows), and
// counts keys already gone as such. A key whose delete failed (a
// permission refused is never "already gone") stays claimed, and is
// counted in Report.Failed and Report.Errors.
//
// The Report is never nil. The error is nil only when everything went
// well: else it is the error that stopped the run, or an ErrDelete error
// counting the failures of a run that went to its end.
func Run(ctx context.Context, loc *scope.Location, src Source, opts Options) (*Report, error) {
	r, err := newRunner(ctx, "run", loc, opts)
	if err != nil {
		return r.rep, err
	}
	if src == nil {
		return r.rep, &Error{Op: "run", Kind: ErrInvalid, Detail: "the live source is nil", Fix: "pass the server's Source (or NewSetSource, NewMemServer)"}
	}
	r.src = src
	return r.finish(r.gc())
}

// runner is one run's state.
type runner struct {
	ctx  context.Context
	op   string
	loc  *scope.Location
	src  Source
	c    *config
	rep  *Report
	j    *journalWriter
	del  *batchdelete.Deleter
	addr address.Address // without credentials, for scrubbing and the journal
	why  string          // why the mode is what it is

	batch    int // keys per batch
	batchNo  int // the last batch journalled
	cutoff   time.Time
	progress Progress
	lastTick time.Time // real time of the last Progress call
}

// newRunner validates opts and the location. The runner it returns, also
// with an error, has a report.
func newRunner(ctx context.Context, op string, loc *scope.Location, opts Options) (*runner, error) {
	r := &runner{ctx: ctx, op: op, loc: loc, rep: &Report{KeptOnClaim: 0}}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	r.rep.Started = now()
	c, err := opts.check(op)
	if err != nil {
		return r, err
	}
	r.c = c
	r.rep.RunID, r.rep.DryRun = c.RunID, c.DryRun
	if loc == nil || loc.Handle() == nil {
		return r, &Error{Op: op, Kind: ErrInvalid, Detail: "the location is nil", Fix: "pass a location from the registry"}
	}
	r.addr = loc.Handle().Location()
	r.cutoff = r.rep.Started.Add(-c.MinAge)
	return r, nil
}

// begin detects the mode, opens the deleter and writes the start record.
func (r *runner) begin(purpose string, prefixes []string) error {
	r.tick(PhaseCheck, true)
	c := r.c
	mode, why, err := detectMode(r.ctx, r.loc, c.Trash)
	if err != nil {
		return err
	}
	r.rep.Mode, r.why = mode, why
	if mode == ModeNone && !c.Force && !c.DryRun {
		return unrecoverable(r.op, why)
	}
	r.del, err = batchdelete.New(r.loc.Handle(), batchdelete.Options{Parallelism: c.Parallelism})
	if err != nil {
		return &Error{Op: r.op, Kind: ErrInvalid, Detail: "the location's bucket cannot delete", Cause: err}
	}
	r.batch = c.Batch
	if r.batch == 0 {
		r.batch = max(DefaultBatch, r.del.BatchSize())
	}
	if c.Journal != nil {
		r.j = newJournalWriter(c.Journal, c.RunID, c.Now)
	}
	start := JournalRecord{Rec: RecStart, Location: r.addr.String(), Shard: c.Shard.String(), MinAge: c.MinAge.String(),
		DryRun: c.DryRun, Mode: mode, Trash: c.Trash, Purpose: purpose}
	if purpose == PurposeGC {
		start.DataPrefix = c.DataPrefix
	} else {
		start.Shard, start.Prefixes = "", prefixes
	}
	if err := r.record(start); err != nil {
		return err
	}
	r.c.log.Info("byob gc: "+r.op+" started", "run", c.RunID, "location", r.loc.String(), "mode", string(mode), "why", why,
		"dataPrefix", c.DataPrefix, "shard", c.Shard.String(), "minAge", c.MinAge.String(), "dryRun", c.DryRun, "force", c.Force)
	return nil
}

// record writes rec to the journal, if there is one (a dry run may have
// none), and syncs it.
func (r *runner) record(rec JournalRecord) error {
	if r.j == nil {
		return nil
	}
	return r.j.write(r.ctx, rec, true)
}

// recordAfter writes an outcome or end record even when the run's
// context has ended: it is what tells a restore that a batch really went.
func (r *runner) recordAfter(rec JournalRecord) error {
	if r.j == nil {
		return nil
	}
	return r.j.write(context.WithoutCancel(r.ctx), rec, true)
}

// gc is Run's work after the options were checked.
func (r *runner) gc() error {
	if err := r.begin(PurposeGC, nil); err != nil {
		return err
	}
	sp, err := newSpool(r.c.SpoolDir)
	if err != nil {
		return err
	}
	defer func() {
		if err := sp.close(); err != nil {
			r.c.log.Warn("byob gc: the spool file could not be removed", "error", err)
		}
	}()
	if err := r.sweep(sp); err != nil {
		return err
	}
	if err := sp.rewind(); err != nil {
		return err
	}
	r.tick(PhaseDelete, true)
	if r.c.DryRun {
		if _, ok := r.src.(Checker); !ok {
			r.rep.KeptOnClaim = -1
		}
	}
	batch := make([]Object, 0, r.batch)
	for {
		batch, err = sp.next(batch, r.batch)
		if err != nil {
			return err
		}
		if len(batch) == 0 {
			break
		}
		if err := r.collect(batch); err != nil {
			return err
		}
	}
	if r.c.SkipUploads {
		return nil
	}
	r.tick(PhaseUploads, true)
	return r.staleUploads(r.c.DataPrefix, func(k string) bool { return r.c.Shard.Contains(r.c.DataPrefix, k) })
}

// sweep lists the shard, joins it with the live keys, and spools the
// candidates that may be deleted.
func (r *runner) sweep(sp *spool) error {
	r.tick(PhaseSweep, true)
	c := r.c
	l, err := ListLocation(r.loc, c.DataPrefix, c.Shard)
	if err != nil {
		return err
	}
	var check func(string) error
	if r.loc.Handle().Flavor() == address.FlavorFile {
		check = r.loc.CheckKey // the driver cleans "x/./y" into "x/y": see SweepOptions.CheckLive
	}
	listed := &countedObjects{Objects: l, r: r}
	st, err := Sweep(r.ctx, listed, r.src.Live(r.ctx, c.Shard), SweepOptions{DataPrefix: c.DataPrefix, Shard: c.Shard, CheckLive: check},
		func(batch []Object) error {
			for _, o := range batch {
				switch {
				case !escapeSafe(o.Key):
					r.rep.Skipped++
				case o.ModTime.IsZero() || !o.ModTime.Before(r.cutoff):
					r.rep.TooYoung++
				default:
					if err := sp.add(o); err != nil {
						return err
					}
				}
			}
			r.progress.Candidates += int64(len(batch))
			r.tick(PhaseSweep, false)
			return nil
		})
	r.rep.Scanned, r.rep.Live, r.rep.Candidates = st.Scanned, st.Live, st.Candidates
	r.progress.Scanned, r.progress.Candidates = st.Scanned, st.Candidates
	if err != nil {
		r.c.log.Warn("byob gc: the sweep stopped; nothing is deleted", "run", c.RunID, "error", err)
		return err
	}
	r.c.log.Info("byob gc: swept", "run", c.RunID, "scanned", st.Scanned, "live", st.Live, "candidates", st.Candidates,
		"tooYoung", r.rep.TooYoung, "skipped", r.rep.Skipped)
	return nil
}

// countedObjects counts the listing for Progress.
type countedObjects struct {
	Objects
	r *runner
	n int64
}

func (c *countedObjects) Next(ctx context.Context) (Object, error) {
	o, err := c.Objects.Next(ctx)
	if err == nil {
		c.n++
		if c.n%1024 == 0 {
			c.r.progress.Scanned = c.n
			c.r.tick(PhaseSweep, false)
		}
	}
	return o, err
}

// collect claims one batch of candidates (a dry run checks them) and
// deletes what the claim did not keep.
func (r *runner) collect(batch []Object) error {
	keys := make([]string, len(batch))
	for i, o := range batch {
		keys[i] = o.Key
	}
	var kept []string
	var err error
	if r.c.DryRun {
		if ch, ok := r.src.(Checker); ok {
			kept, err = ch.Check(r.ctx, keys)
		}
	} else {
		kept, err = r.src.Claim(r.ctx, keys)
	}
	if err != nil {
		if isContextError(err) {
			return &Error{Op: r.op, Kind: ErrStopped, Cause: err}
		}
		return &Error{Op: r.op, Kind: ErrSource, Detail: "the claim of " + strconv.Itoa(len(keys)) + " keys failed; none of them is deleted", Cause: err}
	}
	keep := make(map[string]bool, len(kept))
	for _, k := range kept {
		keep[k] = true
	}
	doomed := make([]Object, 0, len(batch))
	var keptKeys []string
	for _, o := range batch {
		if keep[o.Key] {
			keptKeys = append(keptKeys, o.Key)
			continue
		}
		doomed = append(doomed, o)
	}
	if r.rep.KeptOnClaim >= 0 {
		r.rep.KeptOnClaim += int64(len(keptKeys))
	}
	return r.remove(doomed, keptKeys, ReasonUnreferenced)
}

// remove journals the intent to delete objs, deletes them (through the
// trash in ModeTrash) and journals the outcome. A dry run only counts.
func (r *runner) remove(objs []Object, kept []string, reason string) error {
	if r.c.DryRun {
		for _, o := range objs {
			r.rep.Deleted++
			r.rep.BytesReclaimed += o.Size
		}
		r.progress.Deleted, r.progress.Bytes = r.rep.Deleted, r.rep.BytesReclaimed
		r.tick(PhaseDelete, false)
		return nil
	}
	if len(objs) == 0 && len(kept) == 0 {
		return nil
	}
	r.batchNo++
	n := r.batchNo
	intent := JournalRecord{Rec: RecIntent, Batch: n, Reason: reason, Kept: kept, Objects: make([]JournalObject, len(objs))}
	for i, o := range objs {
		intent.Objects[i] = JournalObject(o)
	}
	if err := r.record(intent); err != nil {
		return err
	}
	if len(objs) == 0 {
		return r.recordAfter(JournalRecord{Rec: RecOutcome, Batch: n})
	}
	out := JournalRecord{Rec: RecOutcome, Batch: n}
	toDelete := objs
	if r.rep.Mode == ModeTrash {
		toDelete = make([]Object, 0, len(objs))
		errs, gone := toTrash(r.ctx, r.loc.Bucket(), r.c.Trash, r.c.RunID, objs)
		for i, o := range objs {
			switch {
			case gone[i]:
				r.rep.AlreadyGone++
				out.Gone = append(out.Gone, o.Key)
			case errs[i] != nil:
				r.failed(&out, o.Key, "", errs[i])
			default:
				toDelete = append(toDelete, o)
			}
		}
	}
	var stopped error
	if len(toDelete) > 0 {
		keys := make([]string, len(toDelete))
		for i, o := range toDelete {
			keys[i] = o.Key
		}
		res, err := r.del.Delete(r.ctx, keys)
		stopped = err
		for i, res := range res {
			switch res.Status {
			case batchdelete.Deleted:
				r.rep.Deleted++
				r.rep.BytesReclaimed += toDelete[i].Size
				out.Deleted = append(out.Deleted, res.Key)
			case batchdelete.Gone:
				r.rep.AlreadyGone++
				out.Gone = append(out.Gone, res.Key)
			default:
				err := res.Err
				if err == nil {
					err = errors.New(res.Status.String())
				}
				r.failed(&out, res.Key, "", err)
			}
		}
		r.rep.Requests = r.del.Stats().Requests
	}
	r.progress.Deleted, r.progress.Bytes = r.rep.Deleted, r.rep.BytesReclaimed
	r.tick(PhaseDelete, false)
	r.c.log.Debug("byob gc: batch done", "run", r.c.RunID, "batch", n, "deleted", len(out.Deleted), "gone", len(out.Gone),
		"failed", len(out.Failed), "kept", len(kept))
	if err := r.recordAfter(out); err != nil {
		return err
	}
	if stopped != nil {
		return &Error{Op: r.op, Kind: ErrStopped, Cause: stopped}
	}
	return nil
}

// failed counts a key (or upload) that was not deleted and adds it to
// the outcome.
func (r *runner) failed(out *JournalRecord, key, uploadID string, err error) {
	r.rep.Failed++
	r.rep.fail(err)
	out.Failed = append(out.Failed, JournalFailure{Key: key, UploadID: uploadID, Kind: kindName(err), Error: r.scrub(err)})
	if len(r.rep.FirstErrors) <= maxFirstErrors {
		r.c.log.Warn("byob gc: not deleted", "run", r.c.RunID, "key", quote(key), "kind", kindName(err), "error", r.scrub(err))
	}
}

// scrub is err's text without the location's credentials, for the
// journal and the log (the errors byob builds are scrubbed already: this
// is defence in depth).
func (r *runner) scrub(err error) string {
	a := r.loc.Handle().Address()
	return provider.Scrub(err.Error(), &a)
}

// staleUploads lists the multipart uploads under prefix initiated before
// the cutoff whose key mine accepts, and aborts them, journalled like
// deletes.
func (r *runner) staleUploads(prefix string, accept func(key string) bool) error {
	ups, err := r.del.ListStaleUploads(r.ctx, prefix, r.cutoff)
	mine := ups[:0]
	for _, u := range ups {
		if accept(u.Key) {
			mine = append(mine, u)
		}
	}
	r.rep.UploadsFound += int64(len(mine))
	if err != nil {
		if errors.Is(err, batchdelete.ErrUploadsUnsupported) {
			return &Error{Op: r.op, Kind: ErrDelete, Detail: "stale multipart uploads cannot be listed on this bucket", Cause: err,
				Fix: "set Options.SkipUploads, and let a lifecycle rule abort incomplete uploads"}
		}
		return &Error{Op: r.op, Kind: ErrList, Detail: "listing the stale multipart uploads failed; none was aborted", Cause: err}
	}
	if r.c.DryRun || len(mine) == 0 {
		return nil
	}
	for len(mine) > 0 {
		part := mine[:min(len(mine), r.batch)]
		mine = mine[len(part):]
		r.batchNo++
		n := r.batchNo
		intent := JournalRecord{Rec: RecIntent, Batch: n, Reason: ReasonStaleUpload, Uploads: make([]JournalUpload, len(part))}
		for i, u := range part {
			intent.Uploads[i] = JournalUpload{Key: u.Key, UploadID: u.UploadID, Initiated: u.Initiated}
		}
		if err := r.record(intent); err != nil {
			return err
		}
		stopped := r.del.AbortUploads(r.ctx, part)
		out := JournalRecord{Rec: RecOutcome, Batch: n}
		for _, u := range part {
			switch u.Status {
			case batchdelete.Deleted, batchdelete.Gone:
				r.rep.UploadsAborted++
				out.Deleted = append(out.Deleted, u.Key)
			default:
				err := u.Err
				if err == nil {
					err = errors.New(u.Status.String())
				}
				r.rep.fail(err)
				out.Failed = append(out.Failed, JournalFailure{Key: u.Key, UploadID: u.UploadID, Kind: kindName(err), Error: r.scrub(err)})
			}
		}
		if err := r.recordAfter(out); err != nil {
			return err
		}
		if stopped != nil {
			return &Error{Op: r.op, Kind: ErrStopped, Cause: stopped}
		}
	}
	return nil
}

// finish writes the end record and logs the report. err is what stopped
// the run, if anything did.
func (r *runner) finish(err error) (*Report, error) {
	rep := r.rep
	if err == nil {
		err = rep.failure(r.op)
	} else {
		var ge *Error
		if !errors.As(err, &ge) {
			err = &Error{Op: r.op, Kind: ErrStopped, Cause: err}
		}
		if len(rep.FirstErrors) < maxFirstErrors {
			rep.FirstErrors = append(rep.FirstErrors, err)
		}
		if rep.Errors == nil {
			rep.Errors = map[string]int64{}
		}
		rep.Errors[kindName(err)]++
	}
	rep.Duration = r.c.Now().Sub(rep.Started)
	end := JournalRecord{Rec: RecEnd, Report: rep.summary()}
	if err != nil {
		end.Error = r.scrub(err)
	}
	// A journal that failed refuses this too: its error is the run's.
	if jerr := r.recordAfter(end); jerr != nil && err == nil {
		err = jerr
	}
	r.tick(PhaseDone, true)
	attrs := []any{"run", rep.RunID, "dryRun", rep.DryRun, "mode", string(rep.Mode), "scanned", rep.Scanned, "live", rep.Live,
		"candidates", rep.Candidates, "tooYoung", rep.TooYoung, "keptOnClaim", rep.KeptOnClaim, "deleted", rep.Deleted,
		"alreadyGone", rep.AlreadyGone, "failed", rep.Failed, "skipped", rep.Skipped, "bytes", rep.BytesReclaimed,
		"uploadsFound", rep.UploadsFound, "uploadsAborted", rep.UploadsAborted, "requests", rep.Requests, "duration", rep.Duration.String()}
	if err != nil {
		r.c.log.Error("byob gc: "+r.op+" ended with an error", append(attrs, "error", r.scrub(err))...)
	} else {
		r.c.log.Info("byob gc: "+r.op+" done", attrs...)
	}
	return rep, err
}

// progressEvery is the least time between two Progress calls within a
// phase.
const progressEvery = 100 * time.Millisecond

// tick calls Options.Progress at a phase change (force), or when enough
// time has passed since the last call. It paces by the real clock, not
// Options.Now.
func (r *runner) tick(p Phase, force bool) {
	if r.c == nil || r.c.Progress == nil {
		return
	}
	now := time.Now()
	if !force && p == r.progress.Phase && now.Sub(r.lastTick) < progressEvery {
		return
	}
	r.progress.Phase, r.lastTick = p, now
	r.c.Progress(r.progress)
}

// escapeSafe reports whether no storage driver escapes key, so that the
// portable listing's key is the service's object name and a native batch
// delete of it deletes that object, and no other: gocloud's drivers
// hex-escape control bytes and DEL, `" # % ? \`, "../" and a trailing
// "/" (Azure), and unescape "__0x…__" on the way back.
func escapeSafe(key string) bool {
	if !utf8.ValidString(key) || strings.HasSuffix(key, "/") || strings.Contains(key, "../") || strings.Contains(key, "__0x") {
		return false
	}
	for i := 0; i < len(key); i++ {
		switch c := key[i]; {
		case c < 0x20, c == 0x7f, c == '"', c == '#', c == '%', c == '?', c == '\\':
			return false
		}
	}
	return true
}
