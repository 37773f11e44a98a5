package gc

import (
	"crypto/rand"
	"encoding/hex"
	"io"
	"log/slog"
	"strings"
	"time"
)

// Safety margins of a run.
const (
	// DefaultMinAge is the grace period of a run: longer than the longest
	// presigned PUT the server issues (24 h; a multipart object's
	// modification time is when its upload STARTED) plus a day for the
	// version's manifest to commit.
	DefaultMinAge = 48 * time.Hour
	// MinMinAge is the shortest grace period a run accepts unless forced.
	MinMinAge = time.Hour
	// DefaultUploadExpiry is the longest presigned PUT the server issues
	// (presign's default maximum).
	DefaultUploadExpiry = 24 * time.Hour
	// DefaultClockSkew is how far the store's clock may be from ours.
	DefaultClockSkew = 5 * time.Minute
)

// Options say what a run (Run, PurgePrefixes) covers and how safely. The
// zero value, with a Journal, is a full run with the default margins.
type Options struct {
	// DataPrefix is where artifact files live, relative to the location;
	// "" means DefaultDataPrefix. It must end in "/".
	DataPrefix string
	// Shard is the part of the keyspace to collect; the zero Shard is all
	// of it. Source.Live is asked for the same shard.
	Shard Shard
	// MinAge is the grace period: objects modified more recently are never
	// deleted. 0 means DefaultMinAge. Below MinMinAge it is refused unless
	// Force; below UploadExpiry+ClockSkew it is refused even then.
	MinAge time.Duration
	// UploadExpiry is the longest presigned PUT the server issues; 0 means
	// DefaultUploadExpiry. Lower it only if the server really issues
	// shorter PUT URLs.
	UploadExpiry time.Duration
	// ClockSkew is how far the store's clock may be from ours; 0 means
	// DefaultClockSkew.
	ClockSkew time.Duration
	// Force lifts the MinMinAge floor, and lets a run delete in a bucket
	// that keeps no versions and without Trash (Restore cannot undo it).
	Force bool
	// DryRun reports everything a run would do and deletes nothing: it
	// never claims (a Source that is a Checker is asked read-only), and
	// writes only the start and end records to Journal, if one is given.
	DryRun bool
	// Journal receives the run's records (JSON Lines, see JournalRecord);
	// required unless DryRun. If it has a Sync() error method (*os.File),
	// the start record and every intent are synced before any delete. A
	// file (an io.Seeker) is written at its end, so that a journal opened
	// without O_APPEND keeps its earlier runs.
	// Give a file outside the location, or outside the data prefix and
	// every purged prefix: byob never deletes journals.
	Journal io.Writer
	// Trash, if set, is a prefix (relative to the location, ending in "/",
	// outside DataPrefix) that deleted objects are first copied into, as
	// Trash+RunID+"/"+key, for buckets that keep no versions (file://,
	// mem://): Restore copies them back. byob never empties it.
	Trash string
	// Batch is how many keys are claimed, journalled and deleted together;
	// 0 means DefaultBatch, or the deleter's batch size if larger.
	Batch int
	// Parallelism is the most delete requests in flight (batchdelete);
	// 0 means its default. It also bounds the batches in flight at once:
	// each is claimed and its intent synced before its deletes start, and
	// 1 handles one batch at a time.
	Parallelism int
	// SkipUploads leaves incomplete multipart uploads alone.
	SkipUploads bool
	// SpoolDir is where candidates wait, in a temporary file, until the
	// sweep has ended; "" means os.TempDir().
	SpoolDir string
	// Progress, if set, is called from the run's goroutine at each phase
	// change and at most about ten times a second in between. It must not
	// block for long.
	Progress func(Progress)
	// Logger receives the run's log; nil discards it. Nothing logged
	// carries a secret.
	Logger *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// RunID names the run in the journal and the trash; "" generates one
	// from the UTC time and a random suffix, "20261201T112233Z-9f3a". It
	// may hold letters, digits, ".", "_" and "-".
	RunID string
}

// config is Options validated and with defaults filled in.
type config struct {
	Options
	log *slog.Logger
}

// check validates o for an operation (op: "run", "purge") and fills in
// the defaults. Every refusal is an ErrInvalid *Error naming the field
// and the fix.
func (o Options) check(op string) (*config, error) {
	invalid := func(detail, fix string) error {
		return &Error{Op: op, Kind: ErrInvalid, Detail: detail, Fix: fix}
	}
	if o.DataPrefix == "" {
		o.DataPrefix = DefaultDataPrefix
	}
	if err := checkPrefix(op, o.DataPrefix); err != nil {
		return nil, err
	}
	if err := o.Shard.Validate(); err != nil {
		return nil, err
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"MinAge", o.MinAge}, {"UploadExpiry", o.UploadExpiry}, {"ClockSkew", o.ClockSkew}} {
		if d.v < 0 {
			return nil, invalid("Options."+d.name+" is negative ("+d.v.String()+")", "give a positive duration, or 0 for the default")
		}
	}
	if o.MinAge == 0 {
		o.MinAge = DefaultMinAge
	}
	if o.UploadExpiry == 0 {
		o.UploadExpiry = DefaultUploadExpiry
	}
	if o.ClockSkew == 0 {
		o.ClockSkew = DefaultClockSkew
	}
	if o.MinAge < MinMinAge && !o.Force {
		return nil, invalid("Options.MinAge "+o.MinAge.String()+" is below "+MinMinAge.String()+
			": an upload whose manifest has not committed yet could be deleted",
			"keep the default ("+DefaultMinAge.String()+"), or set Options.Force if nothing uploads to the location")
	}
	if floor := o.UploadExpiry + o.ClockSkew; o.MinAge < floor {
		return nil, invalid("Options.MinAge "+o.MinAge.String()+" is below Options.UploadExpiry+ClockSkew ("+floor.String()+
			"): a presigned PUT still valid could create an object that looks older than MinAge (a multipart object's time is when its upload started), "+
			"and Force does not lift this",
			"raise Options.MinAge to at least "+floor.String()+", or lower Options.UploadExpiry if the server really issues shorter PUT URLs")
	}
	if o.Journal == nil && !o.DryRun {
		return nil, invalid("Options.Journal is nil: a run must record what it deletes before it deletes it",
			"give a file (os.OpenFile with O_APPEND|O_CREATE|O_WRONLY) outside the location, or set Options.DryRun")
	}
	if o.Trash != "" {
		switch {
		case !strings.HasSuffix(o.Trash, "/"):
			return nil, invalid("Options.Trash "+quote(o.Trash)+" does not end in \"/\"", "end it with \"/\", e.g. "+quote(o.Trash+"/"))
		case strings.HasPrefix(o.Trash, o.DataPrefix) || strings.HasPrefix(o.DataPrefix, o.Trash):
			return nil, invalid("Options.Trash "+quote(o.Trash)+" overlaps the data prefix "+quote(o.DataPrefix)+
				": the run would sweep its own trash, or trash the data prefix",
				"give a prefix beside the data prefix, e.g. \"byob-trash/\"")
		}
	}
	if o.Batch < 0 || o.Parallelism < 0 {
		return nil, invalid("Options.Batch and Options.Parallelism may not be negative", "use 0 for the defaults")
	}
	if o.RunID != "" && !validRunID(o.RunID) {
		return nil, invalid("Options.RunID "+quote(o.RunID)+" is not a plain name: it becomes a folder of the trash",
			"use letters, digits, \".\", \"_\" and \"-\" only (at most 100), or \"\" to generate one")
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.RunID == "" {
		o.RunID = newRunID(o.Now())
	}
	c := &config{Options: o, log: o.Logger}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	return c, nil
}

// validRunID reports whether id is safe as one key segment everywhere.
func validRunID(id string) bool {
	if len(id) > 100 || id == "." || id == ".." {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// newRunID returns the UTC time and a random suffix: sortable, and unique
// between runs started in the same second.
func newRunID(now time.Time) string {
	var b [2]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	return now.UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(b[:])
}
