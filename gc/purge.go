package gc

import (
	"context"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/byobkit/byob/scope"
	"gocloud.dev/blob"
)

// PurgePrefixes removes whole run folders, "<entity>/<project>/<run_id>/"
// relative to loc: every object under each prefix that is older than
// MinAge, and (unless SkipUploads) the stale multipart uploads under it.
// It is how a server enforces run data retention (the product's
// GORILLA_DATA_RETENTION_PERIOD).
//
// Which runs to purge is the caller's decision, not byob's: the server
// knows which runs were deleted, and when; pass the folders of the runs
// deleted longer ago than the retention period. byob only checks that
// each prefix is a run folder: three non-empty segments, each ending in
// "/" ("a/b/c/"), with no "." or ".." segment, and that none overlaps
// the data prefix (artifact files are Run's, with its claim protocol) or
// the trash. A refused prefix refuses the whole call, with nothing
// deleted.
//
// It uses the same safety as Run: the options are checked alike (Shard
// must be the zero value), a bucket that keeps nothing is refused unless
// Trash or Force, every batch is journalled (reason "retention") and
// synced before its deletes, a dry run deletes nothing, and keys a
// storage driver escapes are left alone (Skipped). Report.Scanned and
// Candidates count the objects listed under the prefixes.
func PurgePrefixes(ctx context.Context, loc *scope.Location, prefixes []string, opts Options) (*Report, error) {
	r, err := newRunner(ctx, "purge", loc, opts)
	if err != nil {
		return r.rep, err
	}
	ps, err := checkRunPrefixes(prefixes, r.c)
	if err != nil {
		return r.rep, err
	}
	return r.finish(r.purge(ps))
}

// checkRunPrefixes refuses a prefix that is not a run folder, or that
// overlaps what a purge must not touch; it returns them sorted, once each.
func checkRunPrefixes(prefixes []string, c *config) ([]string, error) {
	invalid := func(i int, p, detail, fix string) error {
		return &Error{Op: "purge", Kind: ErrInvalid, Key: p,
			Detail: "prefix #" + strconv.Itoa(i) + " " + quote(p) + " " + detail, Fix: fix}
	}
	if c.Shard.norm() != whole {
		return nil, &Error{Op: "purge", Kind: ErrInvalid, Detail: "Options.Shard is " + c.Shard.String() + ": a purge does not shard",
			Fix: "leave Options.Shard zero, and split the prefixes between workers instead"}
	}
	if len(prefixes) == 0 {
		return nil, &Error{Op: "purge", Kind: ErrInvalid, Detail: "no prefixes to purge", Fix: "pass the run folders, \"<entity>/<project>/<run_id>/\""}
	}
	for i, p := range prefixes {
		segs := strings.Split(p, "/")
		switch {
		case len(segs) != 4 || segs[3] != "":
			return nil, invalid(i, p, "is not a run folder of three segments ending in \"/\"",
				"pass \"<entity>/<project>/<run_id>/\", e.g. \"acme/vision/3kq9z1/\"")
		case slices.ContainsFunc(segs[:3], func(s string) bool { return s == "" || s == "." || s == ".." }):
			return nil, invalid(i, p, "has an empty, \".\" or \"..\" segment",
				"pass \"<entity>/<project>/<run_id>/\" with a name in each segment")
		case strings.HasPrefix(p, c.DataPrefix) || strings.HasPrefix(c.DataPrefix, p):
			return nil, invalid(i, p, "overlaps the data prefix "+quote(c.DataPrefix)+": artifact files are collected by Run, through the claim protocol",
				"purge run folders only")
		case c.Trash != "" && (strings.HasPrefix(p, c.Trash) || strings.HasPrefix(c.Trash, p)):
			return nil, invalid(i, p, "overlaps the trash "+quote(c.Trash), "purge run folders only")
		}
	}
	return slices.Compact(slices.Sorted(slices.Values(prefixes))), nil
}

// purge is PurgePrefixes's work after the options were checked.
func (r *runner) purge(prefixes []string) error {
	if err := r.begin(PurposePurge, prefixes); err != nil {
		return err
	}
	// Listing and deleting interleave, batch by batch: one phase.
	r.tick(PhaseDelete, true)
	batch := make([]Object, 0, r.batch)
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		err := r.remove(batch, nil, ReasonRetention)
		clear(batch)
		batch = batch[:0]
		return err
	}
	for _, p := range prefixes {
		it := r.loc.Bucket().List(&blob.ListOptions{Prefix: p})
		for {
			o, err := it.Next(r.ctx)
			if err == io.EOF {
				break
			}
			if err != nil {
				if isContextError(err) {
					return &Error{Op: r.op, Kind: ErrStopped, Cause: err}
				}
				return &Error{Op: r.op, Kind: ErrList, Detail: "listing " + quote(p) + " failed", Cause: err}
			}
			if !strings.HasPrefix(o.Key, p) {
				continue // a store that ignores the prefix: never delete outside it
			}
			r.rep.Scanned++
			r.rep.Candidates++
			r.progress.Scanned, r.progress.Candidates = r.rep.Scanned, r.rep.Candidates
			switch {
			case !escapeSafe(o.Key):
				r.rep.Skipped++
			case o.ModTime.IsZero() || !o.ModTime.Before(r.cutoff):
				r.rep.TooYoung++
			default:
				batch = append(batch, Object{Key: o.Key, Size: o.Size, ModTime: o.ModTime})
				if len(batch) == r.batch {
					if err := flush(); err != nil {
						return err
					}
				}
			}
		}
	}
	if err := flush(); err != nil {
		return err
	}
	if r.c.SkipUploads {
		return nil
	}
	r.tick(PhaseUploads, true)
	for _, p := range prefixes {
		if err := r.staleUploads(p, func(string) bool { return true }); err != nil {
			return err
		}
	}
	return nil
}
