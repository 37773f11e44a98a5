package gc_test

import (
	"context"
	"crypto/md5"
	"encoding/base64"
	"errors"
	"fmt"
	"os"

	"github.com/byobkit/byob/gc"
)

// A manifest directory as the server writes it and the collector claims
// from it: a deleted version's file is claimed, and the server then
// refuses to deduplicate against it.
func ExampleManifestDir() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "byob-manifests-*")
	defer os.RemoveAll(dir)
	server, err := gc.OpenManifestDir(dir, gc.DirOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	sum := md5.Sum([]byte("hello"))
	file := gc.Entry{Path: "hello.txt", Digest: base64.StdEncoding.EncodeToString(sum[:]), BirthArtifactID: "1001", Size: 5}
	_ = server.Upload(ctx, "7", "1001", file) // 7/1001.pending.json: in flight
	_ = server.Commit(ctx, "7", "1001")       // 7/1001.json: live
	for key := range server.Live(ctx, gc.Shard{}) {
		fmt.Println("live:", key)
	}
	_ = server.Delete(ctx, "7", "1001") // 7/1001.deleted.json

	kept, _ := server.Claim(ctx, []string{"wandb_artifacts/7/1001/5d41402abc4b2a76b9719d911017c592"})
	fmt.Println("kept on claim:", kept)
	err = server.Reuse(ctx, "7", "1002", file)
	fmt.Println("a new version deduplicating against it:", errors.Is(err, gc.ErrClaimed))
	// Output:
	// live: wandb_artifacts/7/1001/5d41402abc4b2a76b9719d911017c592
	// kept on claim: []
	// a new version deduplicating against it: true
}
