package gc_test

import (
	"context"
	"fmt"

	"github.com/byobkit/byob/gc"
	"gocloud.dev/blob/memblob"
)

// A sweep of a bucket against a server's live keys: one version deleted,
// one still live, and a deduplication that the claim protects.
func ExampleSweep() {
	ctx := context.Background()
	bucket := memblob.OpenBucket(nil)
	defer bucket.Close()
	server := gc.NewMemServer(gc.DefaultDataPrefix)

	old := gc.DefaultDataPrefix + "626357751/1/7e8ff39b55a1a62101758a6dc7a69f70"
	gone := gc.DefaultDataPrefix + "626357751/1/d41d8cd98f00b204e9800998ecf8427e"
	kept := gc.DefaultDataPrefix + "626357751/2/0cc175b9c0f1b6a831c399e269772661"
	for _, up := range []struct{ version, key string }{{"v1", old}, {"v1", gone}, {"v2", kept}} {
		_ = server.Upload(up.version, up.key)
		_ = bucket.WriteAll(ctx, up.key, []byte(up.key), nil)
	}
	_ = server.Commit("v1")
	_ = server.Commit("v2")
	_ = server.Delete("v1") // v1's files are now unreferenced

	listing, _ := gc.List(bucket, gc.ListOptions{DataPrefix: gc.DefaultDataPrefix, Sorted: true})
	var candidates []string
	stats, err := gc.Sweep(ctx, listing, server.Live(ctx, gc.Shard{}), gc.SweepOptions{DataPrefix: gc.DefaultDataPrefix},
		func(batch []gc.Object) error {
			for _, o := range batch {
				candidates = append(candidates, o.Key)
			}
			return nil
		})
	fmt.Println("scanned", stats.Scanned, "live", stats.Live, "candidates", stats.Candidates, "error", err)

	// Before the delete, a new version deduplicates against the old file.
	_ = server.Reuse("v3", old)
	keep, _ := server.Claim(ctx, candidates)
	fmt.Println("kept on claim:", keep)
	fmt.Println("claimed:", server.Claimed(gone))
	// Output:
	// scanned 3 live 1 candidates 2 error <nil>
	// kept on claim: [wandb_artifacts/626357751/1/7e8ff39b55a1a62101758a6dc7a69f70]
	// claimed: true
}
