package gc

import (
	"errors"

	"github.com/byobkit/byob/internal/batchdelete"
	"github.com/byobkit/byob/provider"
)

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
