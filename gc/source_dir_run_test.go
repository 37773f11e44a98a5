package gc

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"
)

// TestRunWithManifestDir: a run whose source is a ManifestDir, with the
// classic race played between the sweep and the claim: a new version
// deduplicates against a file the sweep found unreferenced. The claim
// keeps it, the run deletes only the rest, and afterwards the server
// refuses to deduplicate against what was deleted. A dry run (Check)
// reports the same, and claims nothing.
func TestRunWithManifestDir(t *testing.T) {
	ctx := context.Background()
	for _, dry := range []bool{true, false} {
		name := map[bool]string{true: "dry run", false: "run"}[dry]
		t.Run(name, func(t *testing.T) {
			loc := openLocation(t, "mem://gc-dir-run-"+randomName(t))
			d := openDir(t, t.TempDir(), DirOptions{})
			reused, gone := dirEntry("a", "v1", "reused"), dirEntry("b", "v1", "gone")
			must(t, d.Upload(ctx, "1", "v1", reused), d.Upload(ctx, "1", "v1", gone), d.Commit(ctx, "1", "v1"), d.Delete(ctx, "1", "v1"))
			for _, k := range []string{dirKey("v1", "reused"), dirKey("v1", "gone")} {
				must(t, loc.Bucket().WriteAll(ctx, k, []byte(k), nil))
			}
			raced := false
			var journal bytes.Buffer
			o := Options{DryRun: dry, Trash: "byob-trash/", SpoolDir: t.TempDir(),
				Now: func() time.Time { return time.Now().Add(DefaultMinAge + time.Hour) },
				Progress: func(p Progress) {
					if p.Phase == PhaseDelete && !raced { // swept, not yet claimed
						raced = true
						must(t, d.Reuse(ctx, "1", "v2", reused))
					}
				}}
			if !dry {
				o.Journal = &journal
			}
			rep, err := Run(ctx, loc, d, o)
			if err != nil {
				t.Fatal(err)
			}
			if !raced || rep.Candidates != 2 || rep.KeptOnClaim != 1 || rep.Deleted != 1 {
				t.Fatalf("raced %v; report %+v: want 2 candidates, 1 kept on claim, 1 deleted", raced, rep)
			}
			if ok, _ := loc.Bucket().Exists(ctx, dirKey("v1", "reused")); !ok {
				t.Fatal("the file a new version deduplicated against was deleted")
			}
			claimed, err := d.Claimed(ctx, dirKey("v1", "gone"))
			must(t, err)
			exists, _ := loc.Bucket().Exists(ctx, dirKey("v1", "gone"))
			if claimed == dry || exists != dry {
				t.Fatalf("the unreferenced file: claimed %v, exists %v (dry run %v)", claimed, exists, dry)
			}
			err = d.Reuse(ctx, "1", "v3", dirEntry("b", "v1", "gone"))
			if refused := errors.Is(err, ErrClaimed); refused == dry || (dry && err != nil) {
				t.Fatalf("deduplicating against the unreferenced file after the %s: %v", name, err)
			}
		})
	}
}
