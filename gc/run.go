package gc

import (
	"context"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/byobkit/byob/address"
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
//  5. for each batch, in order: Claim (a dry run asks Checker instead,
//     never Claim), then the intent record (what will be deleted, and
//     what the claim kept), synced BEFORE any delete, then the deletes
//     (Trash: copy, verify, delete), then the outcome record. The next
//     batch is claimed while earlier ones delete: a few batches are in
//     flight at once, enough to keep the deleter's parallel requests
//     busy (Parallelism 1: one at a time). Their records interleave in
//     the journal, each one whole. A failed claim deletes nothing of its
//     batch and stops the run once the batches before it are done; the
//     journal's first failure stops every copy and delete not yet sent;
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
	if err := r.drain(r.collectAll(sp)); err != nil {
		return err
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

// Next reads the next listed object, counting it.
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

// collectAll claims the spooled candidates batch by batch, in order, in
// the run's goroutine, while the deletes of earlier batches go on (at
// most inFlight batches held, the one being claimed included). The
// caller drains the batches still in flight.
func (r *runner) collectAll(sp *spool) error {
	batch := make([]Object, 0, r.batch) // reused: collect hands on a copy
	for {
		// Room first: a batch read is a batch held.
		if err := r.reserve(); err != nil {
			return err
		}
		var err error
		batch, err = sp.next(batch, r.batch)
		if err != nil {
			return err
		}
		if len(batch) == 0 {
			return nil
		}
		if err := r.collect(batch); err != nil {
			return err
		}
	}
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
	return r.dispatch(doomed, keptKeys, ReasonUnreferenced)
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
