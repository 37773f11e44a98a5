package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/byobkit/byob/address"
	"github.com/byobkit/byob/gc"
	"github.com/byobkit/byob/provider"
	"github.com/byobkit/byob/scope"
)

const gcUsage = `usage: byob gc '<address>' --manifests DIR [flags]

Collects the artifact files under the data prefix (wandb_artifacts/) of the
bucket at <address> that no manifest in DIR keeps: the manifests of every
committed version (<group>/<version>.json) and of every version still
uploading (<group>/<version>.pending.json); soft-deleted versions
(<group>/<version>.deleted.json, or removed) keep nothing. <group> is the
number after the data prefix in the files' keys. DIR is also the server's
side of the claim: before each batch of deletes the collector claims the
keys in DIR/.byob-gc-claims.jsonl, under DIR/.byob-gc.lock, and a server
writing DIR through gc.ManifestDir never deduplicates against a claimed key.

Safety: files modified within --min-age (48h) are never deleted; every
batch is written to the journal, synced, before it is deleted; and the run
must be undoable: the bucket keeps versions (S3, GCS) or soft-deleted blobs
(GCS, Azure), or --trash moves the files aside first. file:// and mem://
keep no versions: give --trash, or --force to delete for good.
'byob restore <address> --journal PATH' undoes a run.

The progress goes to stderr: a bar on a terminal, plain lines otherwise and
whenever CI is set. The summary goes to stdout.

--json prints one object on stdout, a stable shape (every field always
present; keptOnClaim is -1 when unknown; firstErrors [] and errors {} when
none; journal "" on a dry run without --journal):
  {"ok":true,"exit":0,"error":"","runId":"…","dryRun":false,"mode":"versions|soft-delete|trash|none",
   "location":"<address, REDACTED>","manifests":"DIR","journal":"PATH","shard":"i/N",
   "scanned":0,"live":0,"candidates":0,"tooYoung":0,"keptOnClaim":0,"deleted":0,"alreadyGone":0,
   "failed":0,"skipped":0,"bytesReclaimed":0,"uploadsFound":0,"uploadsAborted":0,"requests":0,
   "errors":{"KIND":0},"firstErrors":["…"],"started":"RFC 3339 time","durationMs":0}

Exit status: 0 done; 1 the run finished (or stopped) with errors: see
errors, and run again once fixed; 2 bad input or refused (flags, address,
a manifest byob cannot read, a run that could not be undone), with one
line on stderr naming the fix, and nothing deleted.

examples:
  byob gc --dry-run file:///srv/bucket --manifests /srv/manifests
  byob gc file:///srv/bucket --manifests /srv/manifests --trash byob-trash/
  byob gc 's3://AK:SK@s3.eu-west-1.amazonaws.com/bkt' --manifests /srv/manifests --journal /var/lib/byob/gc.jsonl
  byob gc 's3://bkt?region=eu-west-1' --manifests /srv/manifests --shard "$JOB_COMPLETION_INDEX/4"
  byob gc 's3://bkt?region=eu-west-1' --manifests /srv/manifests --shard job/4   # the index from JOB_COMPLETION_INDEX
`

// gcOut is the --json shape of gc; gcUsage documents it.
type gcOut struct {
	OK             bool             `json:"ok"`
	Exit           int              `json:"exit"`
	Error          string           `json:"error"`
	RunID          string           `json:"runId"`
	DryRun         bool             `json:"dryRun"`
	Mode           string           `json:"mode"`
	Location       string           `json:"location"`
	Manifests      string           `json:"manifests"`
	Journal        string           `json:"journal"`
	Shard          string           `json:"shard"`
	Scanned        int64            `json:"scanned"`
	Live           int64            `json:"live"`
	Candidates     int64            `json:"candidates"`
	TooYoung       int64            `json:"tooYoung"`
	KeptOnClaim    int64            `json:"keptOnClaim"`
	Deleted        int64            `json:"deleted"`
	AlreadyGone    int64            `json:"alreadyGone"`
	Failed         int64            `json:"failed"`
	Skipped        int64            `json:"skipped"`
	BytesReclaimed int64            `json:"bytesReclaimed"`
	UploadsFound   int64            `json:"uploadsFound"`
	UploadsAborted int64            `json:"uploadsAborted"`
	Requests       int64            `json:"requests"`
	Errors         map[string]int64 `json:"errors"`
	FirstErrors    []string         `json:"firstErrors"`
	Started        time.Time        `json:"started"`
	DurationMs     int64            `json:"durationMs"`
}

// gcHooks let a test steer a run: now is the collector's clock (nil:
// time.Now), so that a test's files can be past the grace period, and
// progress sees each progress report (to stop a run midway).
type gcHooks struct {
	now      func() time.Time
	progress func(gc.Progress)
}

// runGC is 'byob gc'.
func (c cli) runGC(args []string) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return c.gc(ctx, args, gcHooks{})
}

func (c cli) gc(ctx context.Context, args []string, hooks gcHooks) int {
	const prog = "byob gc"
	sh := newShield(args)
	fs := newFlags(prog)
	manifests := fs.String("manifests", "", "the manifest directory (required): <group>/<version>[.pending|.deleted].json, and the claims")
	dryRun := fs.Bool("dry-run", false, "report everything, delete nothing, claim nothing")
	minAge := fs.String("min-age", "", "the grace period: files modified more recently are kept (default 48h; below 1h needs --force)")
	uploadExpiry := fs.String("upload-expiry", "", "the longest presigned PUT the server issues (default 24h); --min-age must exceed it by 5m")
	journal := fs.String("journal", "", "the journal file, appended to (default DIR/.byob-gc-journal.jsonl; none on a dry run)")
	shard := fs.String("shard", "", "collect shard i/N of the keyspace only; job/N takes i from JOB_COMPLETION_INDEX")
	trash := fs.String("trash", "", "move deleted files under this prefix (ending in /) first, for buckets without versions")
	force := fs.Bool("force", false, "allow --min-age below 1h, and deletes nothing could undo (no versions, no --trash)")
	dataPrefix := fs.String("data-prefix", gc.DefaultDataPrefix, "where the artifact files live in the bucket")
	skipUploads := fs.Bool("skip-uploads", false, "leave incomplete multipart uploads alone")
	refsUnder := fs.String("refs-under", "", "the URI manifests' references into this bucket start with (e.g. s3://bkt/team/): their targets are live too")
	batch := fs.Int("batch", 0, "keys per claim and delete batch (default 1000); each claim reads every manifest, so larger batches mean fewer passes")
	jsonOut := fs.Bool("json", false, "print one JSON object (see -h)")
	pos, code, done := c.parseFlags(fs, sh, gcUsage+"\nflags, before or after the address:\n")
	if done {
		return code
	}
	if len(pos) != 1 {
		return c.fail(prog, wantOne(pos), "usage: byob gc '<address>' --manifests DIR [flags]")
	}
	for _, v := range []*string{manifests, minAge, uploadExpiry, journal, shard, trash, dataPrefix, refsUnder} {
		*v = sh.reveal(*v)
	}
	o := gc.Options{DryRun: *dryRun, Force: *force, Trash: *trash, DataPrefix: *dataPrefix, SkipUploads: *skipUploads, Batch: *batch, Now: hooks.now}
	if *batch < 0 || *batch > 1_000_000 {
		return c.fail(prog, "--batch "+strconv.Itoa(*batch)+" is not between 1 and 1000000", "leave it out for 1000, or give a batch size such as --batch 10000")
	}
	if *manifests == "" {
		return c.fail(prog, "no --manifests directory", "give the directory of the manifests the server keeps: --manifests DIR (see 'byob gc -h')")
	}
	if mayHoldSecret(*manifests) || mayHoldSecret(*journal) {
		return c.fail(prog, "--manifests and --journal take local paths, not addresses", "give directories and files on this machine")
	}
	// The library's messages quote these: a value that may hold another
	// address's keys is refused before it can reach one.
	if mayHoldSecret(*trash) || mayHoldSecret(*dataPrefix) {
		return c.fail(prog, "--trash and --data-prefix take key prefixes in the bucket, not addresses", "write them as prefixes such as --trash byob-trash/")
	}
	if strings.Contains(*refsUnder, "@") {
		return c.fail(prog, "--refs-under "+quoteArg(*refsUnder)+" holds credentials", "give the references' URI prefix as manifests spell it, such as s3://bkt/team/, without keys")
	}
	for _, d := range []struct {
		flag string
		v    *string
		into *time.Duration
	}{{"--min-age", minAge, &o.MinAge}, {"--upload-expiry", uploadExpiry, &o.UploadExpiry}} {
		if *d.v == "" {
			continue
		}
		v, err := time.ParseDuration(*d.v)
		if err != nil || v <= 0 {
			return c.fail(prog, d.flag+" "+quoteArg(*d.v)+" is not a positive duration", "write a Go duration such as "+d.flag+" 72h")
		}
		*d.into = v
	}
	if *shard != "" {
		const fix = "write --shard i/N (i from 0), or --shard job/N in a Kubernetes Indexed Job"
		// gc's message quotes the value: never let it see one that may
		// hold keys.
		if mayHoldSecret(*shard) {
			return c.fail(prog, "--shard "+quoteArg(*shard)+" is not of the form i/N", fix)
		}
		s, err := c.parseShard(*shard)
		if err != nil {
			return c.fail(prog, "--shard "+quoteArg(*shard)+": "+flagText(gcDetail(err)), fix)
		}
		o.Shard = s
	}
	a, err := address.Parse(pos[0])
	if err != nil {
		fmt.Fprintln(c.stderr, oneLine(err.Error()))
		return 2
	}
	sc := newScrubber(a)
	dopts := gc.DirOptions{DataPrefix: o.DataPrefix}
	if *refsUnder != "" {
		dopts.Refs = gc.RefsUnder(*refsUnder)
	}
	dir, err := gc.OpenManifestDir(*manifests, dopts)
	if err != nil {
		return c.gcFail(prog, sc, err)
	}
	if !o.DryRun && *journal == "" {
		*journal = filepath.Join(dir.Dir(), ".byob-gc-journal.jsonl")
	}
	if *journal != "" {
		if problem := checkJournalPath(*journal); problem != "" {
			return c.fail(prog, "--journal "+strconv.Quote(*journal)+" "+problem, "give a file in a directory that exists: --journal PATH")
		}
		j := &lazyJournal{path: *journal}
		defer j.Close()
		o.Journal = j
	}
	reg, loc, code := c.openBucket(ctx, prog, a, sc)
	if reg == nil {
		return code
	}
	defer reg.Close()

	pp := c.newProgress()
	o.Progress = pp.update
	if hooks.progress != nil {
		o.Progress = func(p gc.Progress) { hooks.progress(p); pp.update(p) }
	}
	rep, runErr := gc.Run(ctx, loc, dir, o)
	pp.done()
	code = gcRunExit(rep, runErr)
	if code == 2 {
		return c.gcFail(prog, sc, runErr)
	}
	out := gcOut{OK: runErr == nil, Exit: code, RunID: rep.RunID, DryRun: rep.DryRun, Mode: string(rep.Mode),
		Location: locationText(a, loc), Manifests: dir.Dir(), Journal: *journal, Shard: o.Shard.String(),
		Scanned: rep.Scanned, Live: rep.Live, Candidates: rep.Candidates, TooYoung: rep.TooYoung, KeptOnClaim: rep.KeptOnClaim,
		Deleted: rep.Deleted, AlreadyGone: rep.AlreadyGone, Failed: rep.Failed, Skipped: rep.Skipped,
		BytesReclaimed: rep.BytesReclaimed, UploadsFound: rep.UploadsFound, UploadsAborted: rep.UploadsAborted,
		Requests: rep.Requests, Errors: map[string]int64{}, FirstErrors: []string{},
		Started: rep.Started.UTC(), DurationMs: rep.Duration.Milliseconds()}
	if runErr != nil {
		out.Error = sc.text(flagText(oneLine(runErr.Error())))
	}
	for k, v := range rep.Errors {
		out.Errors[k] = v
	}
	for _, e := range rep.FirstErrors {
		out.FirstErrors = append(out.FirstErrors, sc.text(flagText(oneLine(e.Error()))))
	}
	if *jsonOut {
		line, _ := json.Marshal(out)
		fmt.Fprintf(c.stdout, "%s\n", sc.text(string(line)))
	} else {
		c.gcSummary(out, a, c.style(c.stdout, false), sc)
	}
	if runErr != nil {
		fmt.Fprintf(c.stderr, "%s: %s\n", prog, out.Error)
	}
	return code
}

// parseShard reads --shard: i/N, or job/N with i from JOB_COMPLETION_INDEX.
func (c cli) parseShard(v string) (gc.Shard, error) {
	n, ok := strings.CutPrefix(v, "job/")
	if !ok {
		return gc.ParseShard(v)
	}
	count, err := strconv.Atoi(n)
	if err != nil || strings.Trim(n, "0123456789") != "" {
		return gc.ParseShard(v) // its error says what an i/N is
	}
	return gc.ShardFromJobIndex(func(k string) (string, bool) {
		s := c.getenv(k)
		return s, s != ""
	}, count)
}

// gcExit is the exit status of a run's error: 2 when the input is at fault
// or the run was refused before it deleted anything, 1 when it ran into
// errors (or was stopped), 0 without one.
func gcExit(err error) int {
	switch {
	case err == nil:
		return 0
	case errors.Is(err, gc.ErrInvalid), errors.Is(err, gc.ErrUnrecoverable), errors.Is(err, gc.ErrManifest):
		return 2
	}
	return 1
}

// gcRunExit is the exit status of a finished run: gcExit's, except that a
// run refused part way (a manifest broken between two batches) after it
// deleted or tried to delete something is a run with errors (1), whose
// summary and journal the operator needs, not a refusal of the input.
func gcRunExit(rep *gc.Report, err error) int {
	code := gcExit(err)
	if code == 2 && rep != nil && rep.Deleted+rep.AlreadyGone+rep.Failed+rep.UploadsAborted > 0 {
		return 1
	}
	return code
}

// gcFail prints a refusal on one line, in the CLI's words, and returns 2
// (or 1 when the error is not the input's fault).
func (c cli) gcFail(prog string, sc scrubber, err error) int {
	code := gcExit(err)
	if code == 0 {
		code = 2
	}
	c.refuse(prog, sc, err, "add --trash byob-trash/ to move the files aside first (byob restore brings them back), enable versioning (S3, GCS) or soft delete (GCS, Azure) on the bucket, or add --force to delete for good")
	return code
}

// refuse prints gc's refusal err on one line, in the CLI's words:
// ErrUnrecoverable's detail with unrecoverableFix, any other error's text.
func (c cli) refuse(prog string, sc scrubber, err error, unrecoverableFix string) {
	var ge *gc.Error
	if errors.Is(err, gc.ErrUnrecoverable) && errors.As(err, &ge) {
		fmt.Fprintf(c.stderr, "%s: refused: %s; fix: %s\n", prog, sc.text(flagText(oneLine(ge.Detail))), unrecoverableFix)
		return
	}
	fmt.Fprintf(c.stderr, "%s: %s\n", prog, sc.text(flagText(oneLine(strings.TrimPrefix(err.Error(), "byob gc: ")))))
}

// openBucket opens the bucket a names for gc and restore, which never
// create one: a file:// bucket must be a directory that exists, and an
// address naming no region takes AWS_REGION's. On failure it prints one
// line and returns a nil registry and the exit status.
func (c cli) openBucket(ctx context.Context, prog string, a *address.Address, sc scrubber) (*scope.Registry, *scope.Location, int) {
	var openOpts []provider.Option
	switch a.Provider {
	case address.File:
		if fi, err := os.Stat(filepath.FromSlash(a.Bucket)); err != nil || !fi.IsDir() {
			return nil, nil, c.fail(prog, "the file:// bucket "+strconv.Quote(a.Bucket)+" is not a directory", "give the directory the bucket lives in: file:///abs/path")
		}
		openOpts = append(openOpts, provider.WithExistingDir())
	default:
		openOpts = append(openOpts, provider.WithDefaultRegion(c.getenv("AWS_REGION")))
	}
	reg, loc, err := openLocation(ctx, a, openOpts...)
	if err != nil {
		fmt.Fprintf(c.stderr, "%s: %s\n", prog, sc.text(oneLine(err.Error())))
		return nil, nil, exitFor(err)
	}
	return reg, loc, 0
}

// gcDetail is a gc error's detail, or its text.
func gcDetail(err error) string {
	var ge *gc.Error
	if errors.As(err, &ge) && ge.Detail != "" {
		return ge.Detail
	}
	return err.Error()
}

// flagText names the command's flags where the library's messages name
// its options.
var flagText = strings.NewReplacer(
	"Options.MinAge", "--min-age", "Options.UploadExpiry", "--upload-expiry", "Options.Force", "--force",
	"Options.Trash", "--trash", "Options.Journal", "--journal", "Options.DryRun", "--dry-run",
	"Options.DataPrefix", "--data-prefix", "Options.Shard", "--shard", "Options.ClockSkew", "the clock skew (5m)",
	"RestoreOptions.Run", "--run",
).Replace

// errText is an error's text, on one line.
func errText(err error) string { return oneLine(err.Error()) }

// locationText is the location as messages show it: its address with
// REDACTED for every key (its sub-path included).
func locationText(a *address.Address, _ *scope.Location) string { return a.String() }

// checkJournalPath says what is wrong with a journal path, or "".
func checkJournalPath(p string) string {
	if fi, err := os.Stat(p); err == nil && !fi.Mode().IsRegular() {
		return "is not a regular file"
	}
	if fi, err := os.Stat(filepath.Dir(p)); err != nil || !fi.IsDir() {
		return "is in a directory that does not exist"
	}
	return ""
}

// lazyJournal opens the journal (appending, 0600) on the first record, so
// that a run refused before it starts leaves no file behind. Run syncs
// it through Sync.
type lazyJournal struct {
	path string
	f    *os.File
	err  error
}

func (j *lazyJournal) Write(p []byte) (int, error) {
	if j.f == nil && j.err == nil {
		j.f, j.err = os.OpenFile(j.path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	}
	if j.err != nil {
		return 0, j.err
	}
	return j.f.Write(p)
}

// Sync makes what was written durable.
func (j *lazyJournal) Sync() error {
	if j.f == nil {
		return j.err
	}
	return j.f.Sync()
}

// Close closes the file, if it was opened.
func (j *lazyJournal) Close() error {
	if j.f == nil {
		return nil
	}
	return j.f.Close()
}

// gcSummary prints the run's summary table.
func (c cli) gcSummary(o gcOut, a *address.Address, st style, sc scrubber) {
	w := c.stdout
	title := "byob gc: run " + o.RunID
	if o.DryRun {
		title += " (dry run: nothing deleted, nothing claimed)"
	}
	fmt.Fprintln(w, st.bold(sc.text(title)))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	row := func(name string, v any, note string) {
		fmt.Fprintf(tw, "  %s\t%v\t  %s\n", name, v, note)
	}
	row("scanned", o.Scanned, "objects under the data prefix")
	row("live", o.Live, "named by a manifest")
	row("candidates", o.Candidates, "named by none")
	row("too young", o.TooYoung, "modified within the grace period: kept")
	kept := any(o.KeptOnClaim)
	if o.KeptOnClaim < 0 {
		kept = "?"
	}
	row("kept on claim", kept, "the server still needs them")
	deleted := "deleted"
	if o.DryRun {
		deleted = "would delete"
	}
	row(deleted, o.Deleted, bytesText(o.BytesReclaimed))
	row("already gone", o.AlreadyGone, "")
	failed := strconv.FormatInt(o.Failed, 10)
	if o.Failed > 0 {
		failed = st.bad(failed)
	}
	row("failed", failed, "")
	row("skipped", o.Skipped, "keys a storage driver escapes: left alone")
	row("stale uploads", fmt.Sprintf("%d/%d", o.UploadsAborted, o.UploadsFound), "aborted/found")
	row("requests", o.Requests, "delete requests sent")
	row("duration", (time.Duration(o.DurationMs) * time.Millisecond).String(), "")
	tw.Flush()
	fmt.Fprintf(w, "  location: %s\n  mode:     %s\n  shard:    %s\n", sc.text(o.Location), o.Mode, o.Shard)
	writeErrors(w, st, o.Errors, o.FirstErrors)
	if o.Journal != "" {
		fmt.Fprintf(w, "  journal:  %s\n", o.Journal)
	}
	if !o.DryRun && o.Journal != "" && o.Mode != string(gc.ModeNone) {
		fmt.Fprintf(w, "  undo:     byob restore %s --journal %s --run %s\n", shellQuote(a.String()), shellQuote(o.Journal), o.RunID)
	}
	switch {
	case o.Exit == 0:
		fmt.Fprintln(w, st.ok("ok"))
	default:
		fmt.Fprintln(w, st.bad("finished with errors: fix their cause and run again; the next run collects what is left"))
	}
}

// writeErrors prints a summary's error counts, by kind, and its first
// errors.
func writeErrors(w io.Writer, st style, counts map[string]int64, first []string) {
	for _, k := range slices.Sorted(mapKeys(counts)) {
		fmt.Fprintf(w, "  %s %s: %d\n", st.bad("errors"), k, counts[k])
	}
	for _, e := range first {
		fmt.Fprintf(w, "  - %s\n", e)
	}
}

func mapKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// bytesText shows a byte count for people.
func bytesText(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

// scrubber replaces an address's secrets in any text: the library's
// messages are scrubbed already, and this is the second guard.
type scrubber struct{ r *strings.Replacer }

func newScrubber(a *address.Address) scrubber {
	var pairs []string
	for _, s := range []string{a.Secret, a.AccessKey} {
		if len(s) < 4 || (s == a.AccessKey && a.Provider == address.GCS) {
			continue // a GCS e-mail is no secret; a very short key would scrub words
		}
		for _, form := range []string{s, url.QueryEscape(s), url.PathEscape(s)} {
			pairs = append(pairs, form, address.Redacted)
		}
	}
	return scrubber{r: strings.NewReplacer(pairs...)}
}

func (s scrubber) text(t string) string { return s.r.Replace(t) }

// gcProgress prints a run's progress on stderr: a bar redrawn in place on
// a terminal, plain lines otherwise (and whenever CI is set): one at each
// phase change, and one every plainEvery in between.
type gcProgress struct {
	w     io.Writer
	bar   bool
	last  gc.Phase
	at    time.Time
	drawn bool
}

// plainEvery is the least time between two plain progress lines of a phase.
const plainEvery = 5 * time.Second

func (c cli) newProgress() *gcProgress {
	terminal := c.terminal
	if terminal == nil {
		terminal = isTerminal
	}
	return &gcProgress{w: c.stderr, bar: terminal(c.stderr) && c.getenv("CI") == "" && c.getenv("TERM") != "dumb"}
}

func (p *gcProgress) update(pr gc.Progress) {
	counts := fmt.Sprintf("scanned %d  candidates %d  deleted %d (%s)", pr.Scanned, pr.Candidates, pr.Deleted, bytesText(pr.Bytes))
	if p.bar {
		fmt.Fprintf(p.w, "\r\x1b[K%-7s %s %s", pr.Phase, barText(pr), counts)
		p.drawn = true
		return
	}
	now := time.Now()
	if pr.Phase == gc.PhaseCheck || pr.Phase == gc.PhaseDone || pr.Phase == p.last && now.Sub(p.at) < plainEvery {
		return // the summary follows, or a refusal
	}
	p.last, p.at = pr.Phase, now
	fmt.Fprintf(p.w, "byob gc: %s: %s\n", pr.Phase, counts)
}

// barText is a bar of the delete phase (deleted of the candidates), and a
// bar of the phase's position otherwise.
func barText(pr gc.Progress) string {
	const width = 20
	fill := 0
	switch pr.Phase {
	case gc.PhaseDelete:
		if pr.Candidates > 0 {
			fill = int(min(pr.Deleted, pr.Candidates) * width / pr.Candidates)
		}
	case gc.PhaseUploads, gc.PhaseDone:
		fill = width
	}
	return "[" + strings.Repeat("#", fill) + strings.Repeat(".", width-fill) + "]"
}

// done ends the bar's line.
func (p *gcProgress) done() {
	if p.bar && p.drawn {
		fmt.Fprint(p.w, "\r\x1b[K")
	}
}
