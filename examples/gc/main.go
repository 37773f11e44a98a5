// Command gc is a garbage collector for artifact files, fed from manifests,
// on the embedded default: what a server engineer copies to collect the
// files of deleted artifact versions safely.
//
// The server's side is gc.ManifestDir, a directory of manifests that
// follows the claim contract (see gc.Source): every write of the server
// (an upload, a deduplication, a commit, a deletion) and every claim of
// the collector take one lock, so a new version can never point at a file
// the collector is about to delete. A server with a database implements
// gc.Source over it the same way: Live streams the keys its live and
// pending versions name, in byte order; Claim, in one transaction, keeps
// those still named and marks the rest claimed; its deduplication refuses
// a claimed key.
//
// It makes a file:// bucket in a temporary directory, has the server
// upload two versions (the second sharing a file with the first), deletes
// the first, runs the collector (a dry run, then for real, moving what it
// deletes into a trash since file:// keeps no versions), shows that the
// server now refuses to deduplicate against the collected file, and
// restores the run from its journal. It removes everything it made.
//
//	go run ./examples/gc
package main

import (
	"context"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/byobkit/byob/address"
	"github.com/byobkit/byob/gc"
	"github.com/byobkit/byob/provider/preflight"
	"github.com/byobkit/byob/scope"
)

func main() {
	if err := run(context.Background(), os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "gc example:", err)
		os.Exit(1)
	}
}

// group is the number after the data prefix in the files' keys
// (gc.DefaultLayout): the manifest directory keeps one folder per group.
const group = "626357751"

func run(ctx context.Context, w io.Writer) error {
	tmp, err := os.MkdirTemp("", "byob-gc-example-*")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)

	// The instance bucket: a file:// directory, opened as the server does.
	instance, err := address.Parse("file://" + filepath.ToSlash(filepath.Join(tmp, "bucket")))
	if err != nil {
		return err
	}
	reg, err := scope.New(ctx, scope.Config{Deployment: scope.SelfManaged, Instance: instance,
		Store: scope.NewMemStore(), Open: scope.ProviderOpen(), Check: scope.ProviderCheck(preflight.Options{})})
	if err != nil {
		return err
	}
	defer reg.Close()
	loc, err := reg.Instance()
	if err != nil {
		return err
	}

	// The server's manifests: <group>/<version>.json once committed.
	manifests := filepath.Join(tmp, "manifests")
	if err := os.Mkdir(manifests, 0o755); err != nil {
		return err
	}
	server, err := gc.OpenManifestDir(manifests, gc.DirOptions{})
	if err != nil {
		return err
	}
	layout := gc.DefaultLayout(gc.DefaultDataPrefix, group)

	// upload records the file in the version's pending manifest (its key
	// is then in flight: the collector keeps it), and only then writes it,
	// as a client's presigned PUT would.
	upload := func(version, path, content string) (string, error) {
		e := entry(path, version, content)
		if err := server.Upload(ctx, group, version, e); err != nil {
			return "", err
		}
		key, err := keyOf(layout, e)
		if err != nil {
			return "", err
		}
		return key, loc.Bucket().WriteAll(ctx, key, []byte(content), nil)
	}
	trainV1, err := upload("v1", "train.csv", "a,b\n1,2\n")
	if err != nil {
		return err
	}
	if _, err := upload("v1", "labels.txt", "cat\ndog\n"); err != nil {
		return err
	}
	if err := server.Commit(ctx, group, "v1"); err != nil {
		return err
	}
	// v2 shares labels.txt with v1 (deduplication: the same key, born in
	// v1) and uploads a new train.csv.
	if err := server.Reuse(ctx, group, "v2", entry("labels.txt", "v1", "cat\ndog\n")); err != nil {
		return err
	}
	if _, err := upload("v2", "train.csv", "a,b\n1,2\n3,4\n"); err != nil {
		return err
	}
	if err := server.Commit(ctx, group, "v2"); err != nil {
		return err
	}
	// The user deletes v1: the product's soft delete. Its train.csv is now
	// garbage; its labels.txt is still v2's.
	if err := server.Delete(ctx, group, "v1"); err != nil {
		return err
	}
	fmt.Fprintln(w, "server: v1 and v2 committed (v2 shares v1's labels.txt), v1 deleted")

	// The collector. Its grace period (48 h) keeps files younger than any
	// upload still in progress could be; these were written just now, so
	// the example's clock runs three days ahead. In production, leave Now
	// nil. file:// keeps no versions, so the run moves what it deletes
	// under Trash, from where Restore brings it back; on a bucket with
	// versioning or soft delete, leave Trash empty.
	opts := gc.Options{
		Trash:    "byob-trash/",
		SpoolDir: tmp,
		Now:      func() time.Time { return time.Now().Add(72 * time.Hour) },
	}
	dry := opts
	dry.DryRun = true // never claims: the ManifestDir is asked read-only (gc.Checker)
	rep, err := gc.Run(ctx, loc, server, dry)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "dry run: %d files, %d live, would delete %d (%d bytes)\n", rep.Scanned, rep.Live, rep.Deleted, rep.BytesReclaimed)

	// The journal records every batch, synced, before it is deleted:
	// keep it outside the bucket, and never delete it.
	journalPath := filepath.Join(tmp, "gc-journal.jsonl")
	journal, err := os.OpenFile(journalPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	opts.Journal = journal
	rep, err = gc.Run(ctx, loc, server, opts)
	if cerr := journal.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "run %s: deleted %d (%d bytes), mode %s\n", rep.RunID, rep.Deleted, rep.BytesReclaimed, rep.Mode)
	claimed, err := server.Claimed(ctx, trainV1)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "v1's train.csv claimed: %v\n", claimed)

	// A new version with the same content as v1's train.csv must not
	// deduplicate against the collected file: the server refuses, and
	// the version uploads the content again under a key of its own.
	err = server.Reuse(ctx, group, "v3", entry("train.csv", "v1", "a,b\n1,2\n"))
	if !errors.Is(err, gc.ErrClaimed) {
		return fmt.Errorf("a deduplication against a claimed file was not refused: %v", err)
	}
	fmt.Fprintln(w, "v3 deduplicating against it: refused with gc.ErrClaimed")
	if _, err := upload("v3", "train.csv", "a,b\n1,2\n"); err != nil {
		return err
	}
	if err := server.Commit(ctx, group, "v3"); err != nil {
		return err
	}
	fmt.Fprintln(w, "v3 uploaded its own copy and committed")

	// Undo the run from its journal.
	j, err := os.Open(journalPath)
	if err != nil {
		return err
	}
	defer j.Close()
	rr, err := gc.Restore(ctx, loc, j, gc.RestoreOptions{})
	if err != nil {
		return err
	}
	back, err := loc.Bucket().ReadAll(ctx, trainV1)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "restored %d: v1's train.csv is back (%q)\n", rr.Restored, back)
	return nil
}

// entry is a manifest entry for a file with content, first uploaded by
// the version birth (its birth artifact id).
func entry(path, birth, content string) gc.Entry {
	sum := md5.Sum([]byte(content))
	return gc.Entry{Path: path, Digest: base64.StdEncoding.EncodeToString(sum[:]), DigestHex: hex.EncodeToString(sum[:]),
		BirthArtifactID: birth, Size: int64(len(content))}
}

// keyOf is the key the layout gives the entry:
// wandb_artifacts/<group>/<birth artifact id>/<md5 hex>.
func keyOf(layout gc.Layout, e gc.Entry) (string, error) { return layout(&e) }
