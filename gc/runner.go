package gc

import (
	"context"
	"errors"
	"io"
	"sync"
	"time"

	"github.com/byobkit/byob/address"
	"github.com/byobkit/byob/internal/batchdelete"
	"github.com/byobkit/byob/scope"
)

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

	// jmu serialises the journal's writes: batches in flight write their
	// outcomes from their own goroutines, each record a whole line.
	jmu sync.Mutex
	// dctx is the context of every copy and delete: cancelled, under jmu,
	// by the first journal failure, so that no request starts once the
	// failure is known. dcancel releases it at the end of the run.
	dctx    context.Context
	dcancel context.CancelFunc

	batch    int // keys per batch
	batchNo  int // the last batch journalled
	inFlight int // the most batches held at once (flight), at least 1
	flight   []*batchJob
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
	r.inFlight = batchesInFlight(r.del.Stats().Parallelism, r.batch, r.del.BatchSize())
	r.dctx, r.dcancel = context.WithCancel(r.ctx)
	if c.Journal != nil {
		// A file opened without O_APPEND would have its earlier runs
		// overwritten: write at its end. (Not seekable: a pipe, a buffer.)
		if s, ok := c.Journal.(io.Seeker); ok {
			_, _ = s.Seek(0, io.SeekEnd)
		}
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

// batchesInFlight is how many batches a run holds at once: enough to
// keep the deleter's par requests busy while the next batch is claimed
// (one more than par requests' worth), never more than par, at least 1.
// One request at a time (Parallelism 1) is one batch at a time.
func batchesInFlight(par, batch, perRequest int) int {
	reqs := (batch + perRequest - 1) / max(perRequest, 1) // requests per batch
	return max(1, min(par, (par+reqs-1)/max(reqs, 1)+1))
}

// record writes rec to the journal, if there is one (a dry run may have
// none), and syncs it.
func (r *runner) record(rec JournalRecord) error {
	return r.write(r.ctx, rec)
}

// recordAfter writes an outcome or end record even when the run's
// context has ended: it is what tells a restore that a batch really went.
func (r *runner) recordAfter(rec JournalRecord) error {
	return r.write(context.WithoutCancel(r.ctx), rec)
}

// write writes and syncs rec, one record at a time. The journal's first
// failure (sticky: every later write fails too) cancels dctx before any
// other goroutine can see it, so no copy or delete request starts after.
func (r *runner) write(ctx context.Context, rec JournalRecord) error {
	if r.j == nil {
		return nil
	}
	r.jmu.Lock()
	defer r.jmu.Unlock()
	err := r.j.write(ctx, rec, true)
	if err != nil && errors.Is(err, ErrJournal) && r.dctx.Err() == nil {
		r.dcancel()
		r.c.log.Error("byob gc: the journal failed; no more deletes are sent", "run", r.c.RunID, "record", rec.Rec, "error", r.scrub(err))
	}
	return err
}

// finish writes the end record and logs the report. err is what stopped
// the run, if anything did.
func (r *runner) finish(err error) (*Report, error) {
	rep := r.rep
	if r.dcancel != nil {
		defer r.dcancel()
	}
	if err == nil {
		err = rep.failure(r.op)
	} else {
		var ge *Error
		if !errors.As(err, &ge) {
			err = &Error{Op: r.op, Kind: ErrStopped, Cause: err}
		}
		rep.fail(err)
	}
	rep.Duration = r.c.Now().Sub(rep.Started)
	end := JournalRecord{Rec: RecEnd, Report: rep.summary()}
	if err != nil {
		end.Error = r.scrub(err)
	}
	// A journal that failed refuses this too: its error is the run's.
	if jerr := r.recordAfter(end); jerr != nil && err == nil {
		err = jerr
		// The end record is lost, so the report is the only place the
		// failure shows: count it there as any other error.
		rep.fail(err)
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
