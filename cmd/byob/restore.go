package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/byobkit/byob/address"
	"github.com/byobkit/byob/gc"
)

const restoreUsage = `usage: byob restore '<address>' --journal PATH [--run ID] [flags]

Undoes 'byob gc' runs from their journal: every file a run meant to delete
(each key of its intent records) is brought back: on a bucket with versions
by removing the delete marker the run left (S3) or restoring the previous
or soft-deleted generation (GCS) or blob (Azure); after a --trash run by
copying it back from the trash. A file that exists is left alone (present),
so restoring twice is harmless. A run that kept nothing (--force without
versions or --trash) cannot be undone, and is refused. Without --run, every
run in the journal is restored, newest first.

--json prints one object on stdout, a stable shape (every field always
present; lists [] and errors {} when empty; run "" when every run was asked):
  {"ok":true,"exit":0,"error":"","location":"<address, REDACTED>","journal":"PATH","run":"",
   "runs":["…"],"keys":0,"restored":0,"present":0,"lost":0,"failed":0,"alreadyGone":0,
   "uploadsNotRestorable":0,"firstLost":["…"],"errors":{"KIND":0},"firstErrors":["…"],
   "started":"RFC 3339 time","durationMs":0}

Exit status: 0 every file is back (or present); 1 some failed or are lost,
or journal lines could not be read: see errors, fix, and restore again;
2 bad input or refused (flags, address, journal, a run that cannot be
undone), with one line on stderr naming the fix, and nothing restored.

examples:
  byob restore file:///srv/bucket --journal /srv/manifests/.byob-gc-journal.jsonl
  byob restore 's3://AK:SK@s3.eu-west-1.amazonaws.com/bkt' --journal /var/lib/byob/gc.jsonl --run 20261201T112233Z-9f3a
`

// restoreOut is the --json shape of restore; restoreUsage documents it.
type restoreOut struct {
	OK                   bool             `json:"ok"`
	Exit                 int              `json:"exit"`
	Error                string           `json:"error"`
	Location             string           `json:"location"`
	Journal              string           `json:"journal"`
	Run                  string           `json:"run"`
	Runs                 []string         `json:"runs"`
	Keys                 int64            `json:"keys"`
	Restored             int64            `json:"restored"`
	Present              int64            `json:"present"`
	Lost                 int64            `json:"lost"`
	Failed               int64            `json:"failed"`
	AlreadyGone          int64            `json:"alreadyGone"`
	UploadsNotRestorable int64            `json:"uploadsNotRestorable"`
	FirstLost            []string         `json:"firstLost"`
	Errors               map[string]int64 `json:"errors"`
	FirstErrors          []string         `json:"firstErrors"`
	Started              time.Time        `json:"started"`
	DurationMs           int64            `json:"durationMs"`
}

// runRestore is 'byob restore'.
func (c cli) runRestore(args []string) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return c.restore(ctx, args, restoreHooks{})
}

// restoreHooks let a test steer a restore: clockSkew is
// RestoreOptions.ClockSkew, for a run whose clock a test moved ahead
// (gcHooks.now), so that its delete markers look older than its start.
type restoreHooks struct {
	clockSkew time.Duration
}

func (c cli) restore(ctx context.Context, args []string, hooks restoreHooks) int {
	const prog = "byob restore"
	sh := newShield(args)
	fs := newFlags(prog)
	journal := fs.String("journal", "", "the journal 'byob gc' wrote (required)")
	run := fs.String("run", "", "restore this run only (its id, from the journal or gc's summary)")
	jsonOut := fs.Bool("json", false, "print one JSON object (see -h)")
	pos, code, done := c.parseFlags(fs, sh, restoreUsage+"\nflags, before or after the address:\n")
	if done {
		return code
	}
	if len(pos) != 1 {
		return c.fail(prog, wantOne(pos), "usage: byob restore '<address>' --journal PATH [--run ID]")
	}
	*journal, *run = sh.reveal(*journal), sh.reveal(*run)
	if *journal == "" {
		return c.fail(prog, "no --journal", "give the journal file the gc run wrote: --journal PATH (gc's summary names it)")
	}
	if mayHoldSecret(*journal) || mayHoldSecret(*run) {
		return c.fail(prog, "--journal takes a local file and --run a run id", "give the journal's path on this machine, and the id gc printed")
	}
	a, err := address.Parse(pos[0])
	if err != nil {
		fmt.Fprintln(c.stderr, oneLine(err.Error()))
		return 2
	}
	sc := newScrubber(a)
	j, err := os.Open(*journal)
	if err != nil {
		return c.fail(prog, "cannot open the journal "+strconv.Quote(*journal)+": "+sc.text(errText(err)),
			"give the journal file the gc run wrote: --journal PATH (gc's summary names it)")
	}
	defer j.Close()
	reg, loc, code := c.openBucket(ctx, prog, a, sc)
	if reg == nil {
		return code
	}
	defer reg.Close()

	rep, rerr := gc.Restore(ctx, loc, j, gc.RestoreOptions{Run: *run, ClockSkew: hooks.clockSkew})
	code = restoreExit(rerr, rep)
	if code == 2 {
		c.refuse(prog, sc, rerr, "nothing kept that run's files; restore the journal's other runs one by one with --run ID")
		return 2
	}
	out := restoreOut{OK: rerr == nil, Exit: code, Location: locationText(a, loc), Journal: *journal, Run: *run,
		Runs: append([]string{}, rep.Runs...), Keys: rep.Keys, Restored: rep.Restored, Present: rep.Present, Lost: rep.Lost,
		Failed: rep.Failed, AlreadyGone: rep.AlreadyGone, UploadsNotRestorable: rep.UploadsNotRestorable,
		FirstLost: []string{}, Errors: map[string]int64{}, FirstErrors: []string{},
		Started: rep.Started.UTC(), DurationMs: rep.Duration.Milliseconds()}
	if rerr != nil {
		out.Error = sc.text(flagText(oneLine(rerr.Error())))
	}
	for _, l := range rep.FirstLost {
		out.FirstLost = append(out.FirstLost, sc.text(l))
	}
	for k, v := range rep.Errors {
		out.Errors[k] = v
	}
	for _, e := range rep.FirstErrors {
		out.FirstErrors = append(out.FirstErrors, sc.text(oneLine(e.Error())))
	}
	if *jsonOut {
		line, _ := json.Marshal(out)
		fmt.Fprintf(c.stdout, "%s\n", sc.text(string(line)))
	} else {
		c.restoreSummary(out, c.style(c.stdout, false), sc)
	}
	if rerr != nil {
		fmt.Fprintf(c.stderr, "%s: %s\n", prog, out.Error)
	}
	return code
}

// restoreExit is the exit status of Restore's error: a journal that
// yields no run to restore is bad input, like a refusal.
func restoreExit(err error, rep *gc.RestoreReport) int {
	switch {
	case err == nil:
		return 0
	case errors.Is(err, gc.ErrInvalid), errors.Is(err, gc.ErrUnrecoverable),
		errors.Is(err, gc.ErrJournal) && len(rep.Runs) == 0:
		return 2
	}
	return 1
}

// restoreSummary prints the restore's summary table.
func (c cli) restoreSummary(o restoreOut, st style, sc scrubber) {
	w := c.stdout
	runs := "(none in the journal)"
	if len(o.Runs) > 0 {
		runs = strings.Join(o.Runs, ", ")
	}
	fmt.Fprintln(w, st.bold("byob restore: runs "+runs))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	row := func(name string, v any, note string) { fmt.Fprintf(tw, "  %s\t%v\t  %s\n", name, v, note) }
	row("keys", o.Keys, "the runs meant to delete")
	row("restored", o.Restored, "back")
	row("present", o.Present, "there already: nothing done")
	lost, failed := strconv.FormatInt(o.Lost, 10), strconv.FormatInt(o.Failed, 10)
	if o.Lost > 0 {
		lost = st.bad(lost)
	}
	if o.Failed > 0 {
		failed = st.bad(failed)
	}
	row("lost", lost, "nothing kept them")
	row("failed", failed, "a request failed: restore again")
	row("already gone", o.AlreadyGone, "gone before the run: not its to bring back")
	row("uploads", o.UploadsNotRestorable, "aborted multipart uploads: their clients start them again")
	row("duration", (time.Duration(o.DurationMs) * time.Millisecond).String(), "")
	tw.Flush()
	fmt.Fprintf(w, "  location: %s\n  journal:  %s\n", sc.text(o.Location), o.Journal)
	for _, l := range o.FirstLost {
		fmt.Fprintf(w, "  %s %s\n", st.bad("lost:"), l)
	}
	writeErrors(w, st, o.Errors, o.FirstErrors)
	if o.Exit == 0 {
		fmt.Fprintln(w, st.ok("ok"))
	} else {
		fmt.Fprintln(w, st.bad("finished with errors: fix their cause and restore again; what is back stays present"))
	}
}
