package gc

import (
	"errors"

	"github.com/byobkit/byob/internal/batchdelete"
	"github.com/byobkit/byob/provider"
)

// remove journals the intent to delete objs, deletes them (through the
// trash in ModeTrash) and journals the outcome, before it returns. A dry
// run only counts.
func (r *runner) remove(objs []Object, kept []string, reason string) error {
	return r.drain(r.dispatch(objs, kept, reason))
}

// batchJob is one batch from its intent record to its merge into the
// report: its goroutine (execute) deletes and journals the outcome, and
// keeps its counts here for the run's goroutine, which alone touches the
// report.
type batchJob struct {
	n    int
	objs []Object
	done chan struct{} // closed when the outcome is journalled (or could not be)

	deleted, gone, bytes int64
	failures             []batchFailure // in the order of objs
	err                  error          // what stops the run
}

// batchFailure is a key that was not deleted.
type batchFailure struct {
	key string
	err error
}

// dispatch journals the intent to delete objs (synced), and starts their
// deletes in a goroutine of their own; the run's goroutine merges them
// into the report later (harvest, drain). It first waits until fewer than
// inFlight batches are held, and returns without deleting anything if an
// earlier batch failed. objs must not be reused by the caller. A dry run
// only counts, and a batch with nothing to delete is journalled at once.
func (r *runner) dispatch(objs []Object, kept []string, reason string) error {
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
	if err := r.reserve(); err != nil {
		return err
	}
	r.batchNo++
	n := r.batchNo
	intent := JournalRecord{Rec: RecIntent, Batch: n, Reason: reason, Kept: kept, Objects: make([]JournalObject, len(objs))}
	for i, o := range objs {
		intent.Objects[i] = JournalObject(o)
	}
	// Synced before any of its deletes: the goroutine starts after.
	if err := r.record(intent); err != nil {
		return err
	}
	if len(objs) == 0 {
		return r.recordAfter(JournalRecord{Rec: RecOutcome, Batch: n})
	}
	job := &batchJob{n: n, objs: objs, done: make(chan struct{})}
	r.flight = append(r.flight, job)
	go r.execute(job)
	return nil
}

// reserve merges the batches already done, oldest first, and waits until
// fewer than inFlight are held. It returns the first error of a batch
// merged: then the run must stop.
func (r *runner) reserve() error {
	for len(r.flight) > 0 {
		job := r.flight[0]
		if len(r.flight) < r.inFlight {
			select {
			case <-job.done:
			default:
				return nil // the oldest is still deleting, and there is room
			}
		} else {
			<-job.done
		}
		r.flight = r.flight[1:]
		if err := r.merge(job); err != nil {
			return err
		}
	}
	return nil
}

// drain waits for every batch in flight and merges them, oldest first.
// It returns the first error in batch order: a batch's own, else err
// (what stopped the caller, at a later batch).
func (r *runner) drain(err error) error {
	var first error
	for _, job := range r.flight {
		<-job.done
		if e := r.merge(job); e != nil && first == nil {
			first = e
		}
	}
	clear(r.flight)
	r.flight = r.flight[:0]
	if first != nil {
		return first
	}
	return err
}

// merge adds a finished batch to the report, in the run's goroutine.
func (r *runner) merge(job *batchJob) error {
	r.rep.Deleted += job.deleted
	r.rep.AlreadyGone += job.gone
	r.rep.BytesReclaimed += job.bytes
	for _, f := range job.failures {
		r.rep.Failed++
		r.rep.fail(f.err)
		if len(r.rep.FirstErrors) <= maxFirstErrors {
			r.c.log.Warn("byob gc: not deleted", "run", r.c.RunID, "key", quote(f.key), "kind", kindName(f.err), "error", r.scrub(f.err))
		}
	}
	r.rep.Requests = r.del.Stats().Requests
	r.progress.Deleted, r.progress.Bytes = r.rep.Deleted, r.rep.BytesReclaimed
	r.tick(PhaseDelete, false)
	return job.err
}

// execute deletes one journalled batch (through the trash in ModeTrash)
// and journals its outcome. It runs in a goroutine of its own, with
// dctx: once the journal has failed, it sends nothing more. It touches
// only job, the journal (serialised by write) and what is safe for
// concurrent use.
func (r *runner) execute(job *batchJob) {
	defer close(job.done)
	objs := job.objs
	out := JournalRecord{Rec: RecOutcome, Batch: job.n}
	fail := func(key string, err error) {
		job.failures = append(job.failures, batchFailure{key, err})
		out.Failed = append(out.Failed, JournalFailure{Key: key, Kind: kindName(err), Error: r.scrub(err)})
	}
	toDelete := objs
	if r.rep.Mode == ModeTrash {
		toDelete = make([]Object, 0, len(objs))
		errs, gone := toTrash(r.dctx, r.loc.Bucket(), r.c.Trash, r.c.RunID, objs)
		for i, o := range objs {
			switch {
			case gone[i]:
				job.gone++
				out.Gone = append(out.Gone, o.Key)
			case errs[i] != nil:
				fail(o.Key, errs[i])
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
		res, err := r.del.Delete(r.dctx, keys)
		stopped = err
		for i, res := range res {
			switch res.Status {
			case batchdelete.Deleted:
				job.deleted++
				job.bytes += toDelete[i].Size
				out.Deleted = append(out.Deleted, res.Key)
			case batchdelete.Gone:
				job.gone++
				out.Gone = append(out.Gone, res.Key)
			default:
				err := res.Err
				if err == nil {
					err = errors.New(res.Status.String())
				}
				fail(res.Key, err)
			}
		}
	}
	r.c.log.Debug("byob gc: batch done", "run", r.c.RunID, "batch", job.n, "deleted", len(out.Deleted), "gone", len(out.Gone),
		"failed", len(out.Failed))
	if err := r.recordAfter(out); err != nil {
		job.err = err
		return
	}
	if stopped != nil {
		job.err = &Error{Op: r.op, Kind: ErrStopped, Cause: stopped}
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
