package main

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/byobkit/byob/gc"
)

// demoTrash is where the demo's collector moves what it deletes: a
// file:// bucket keeps no versions, so the trash (gc.Options.Trash) is
// what makes a run undoable.
const demoTrash = "byob-trash/"

// demoLater is how far ahead the collector's clock runs in the demo: past
// the 48 h grace period (gc.DefaultMinAge) that protects uploads a
// presigned PUT may still be sending, which no run may shorten below the
// URLs' 24 h expiry.
const demoLater = gc.DefaultMinAge + time.Hour

// gcOptions are the demo's collector options.
func (d *demo) gcOptions(dryRun bool) gc.Options {
	return gc.Options{
		DataPrefix: demoDataPrefix,
		DryRun:     dryRun,
		Trash:      demoTrash,
		SpoolDir:   d.tmp,
		Now:        func() time.Time { return time.Now().Add(demoLater) },
	}
}

// collect runs the collector over Kappa's location (the instance bucket)
// with the server's database as its source: first a dry run, then the
// real one, whose journal it keeps.
func (d *demo) collect() error {
	d.step("The collector, two days later: a dry run, then the real run")
	v0train, shared := d.files["dataset:v0/train.csv"], d.files["dataset:v0/images.tar"]
	dry, err := gc.Run(d.ctx, d.kappa, d.db, d.gcOptions(true))
	if err != nil {
		return fmt.Errorf("dry run: %w", err)
	}
	if _, err := d.get(d.users["alice"], "kappa", v0train.key); err != nil {
		return fmt.Errorf("the dry run changed something: %w", err)
	}
	d.line("dry run: listed %d files under %s: %d live, %d unreferenced; %d kept by the server's check", dry.Scanned, demoDataPrefix, dry.Live, dry.Candidates, dry.KeptOnClaim)
	d.line("         would delete %d (%s); deleted nothing, claimed nothing", dry.Deleted, size(int(dry.BytesReclaimed)))

	d.journal = filepath.Join(d.tmp, "gc-journal.jsonl")
	j, err := os.OpenFile(d.journal, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	o := d.gcOptions(false)
	o.Journal = j
	r, err := gc.Run(d.ctx, d.kappa, d.db, o)
	if cerr := j.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("run: %w", err)
	}
	d.runID = r.RunID
	d.line("run %s: claimed and deleted %d, reclaimed %s (mode %s: moved to %s%s/)", r.RunID, r.Deleted, size(int(r.BytesReclaimed)), r.Mode, demoTrash, r.RunID)
	if !d.db.Claimed(v0train.key) {
		return errors.New("the run did not claim the file it deleted")
	}
	d.line("the server marked v0's train.csv claimed: no new version deduplicates against it")
	_, err = d.get(d.users["alice"], "kappa", v0train.key)
	var he *demoHTTPError
	if !errors.As(err, &he) || he.status != http.StatusNotFound {
		return fmt.Errorf("v0's train.csv after the run: %v, want HTTP 404", err)
	}
	got, err := d.get(d.users["alice"], "kappa", shared.key)
	if err != nil || !bytes.Equal(got, shared.data) {
		return fmt.Errorf("images.tar, which v1 shares, after the run: %v", err)
	}
	d.lineStyled(fmt.Sprintf("v0's train.csv: HTTP %d %s; images.tar still reads (HTTP 200): v1 shares it", he.status, he.code), d.st.ok)
	return nil
}

// showJournal prints the run's journal, one line per record.
func (d *demo) showJournal() error {
	d.step("The run's journal (JSON Lines; each intent is synced before its deletes)")
	f, err := os.Open(d.journal)
	if err != nil {
		return err
	}
	defer f.Close()
	for rec, err := range gc.ReadJournal(f) {
		if err != nil {
			return err
		}
		switch rec.Rec {
		case gc.RecStart:
			d.line("%-8s %s, mode %s, min age %s, trash %s", rec.Rec, rec.Location, rec.Mode, rec.MinAge, rec.Trash)
		case gc.RecIntent:
			d.line("%-8s batch %d, %s: delete %d (%s), %d kept by the claim", rec.Rec, rec.Batch, rec.Reason, len(rec.Objects), objectsText(rec.Objects), len(rec.Kept))
		case gc.RecOutcome:
			d.line("%-8s batch %d: %d deleted, %d already gone, %d failed", rec.Rec, rec.Batch, len(rec.Deleted), len(rec.Gone), len(rec.Failed))
		case gc.RecEnd:
			if rec.Report == nil {
				return errors.New("the end record has no report")
			}
			d.line("%-8s scanned %d, deleted %d, reclaimed %s", rec.Rec, rec.Report.Scanned, rec.Report.Deleted, size(int(rec.Report.BytesReclaimed)))
		}
	}
	return nil
}

// objectsText names an intent's objects, shortened.
func objectsText(objs []gc.JournalObject) string {
	if len(objs) == 1 {
		return shortKey(objs[0].Key) + ", " + size(int(objs[0].Size))
	}
	var n int64
	for _, o := range objs {
		n += o.Size
	}
	return size(int(n))
}

// restore undoes the run from its journal and reads the file again.
func (d *demo) restore() error {
	d.step("Restore from the journal")
	f, err := os.Open(d.journal)
	if err != nil {
		return err
	}
	defer f.Close()
	rr, err := gc.Restore(d.ctx, d.kappa, f, gc.RestoreOptions{Run: d.runID})
	if err != nil {
		return err
	}
	v0train := d.files["dataset:v0/train.csv"]
	got, err := d.get(d.users["alice"], "kappa", v0train.key)
	if err != nil || !bytes.Equal(got, v0train.data) {
		return fmt.Errorf("v0's train.csv after the restore: %v", err)
	}
	d.line("restored %d of %d keys, %d already present, %d lost", rr.Restored, rr.Keys, rr.Present, rr.Lost)
	left := 0
	filepath.WalkDir(filepath.Join(d.kappa.Address().Bucket, filepath.FromSlash(demoTrash), d.runID), func(_ string, e os.DirEntry, err error) error {
		if err == nil && !e.IsDir() {
			left++
		}
		return nil
	})
	d.lineStyled(fmt.Sprintf("v0's train.csv reads again: HTTP 200, the bytes uploaded; files left in the trash: %d", left), d.st.ok)
	return nil
}
