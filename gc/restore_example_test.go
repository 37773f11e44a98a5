package gc_test

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"github.com/byobkit/byob/address"
	"github.com/byobkit/byob/gc"
	"github.com/byobkit/byob/scope"
)

// Undoing a collection from its journal. mem:// keeps no versions, so
// the run moved the file into a trash folder, and the restore copies it
// back from there; on a versioned bucket it would remove the run's delete
// markers instead. Restoring twice changes nothing: the file is Present.
func ExampleRestore() {
	ctx := context.Background()
	instance, _ := address.Parse("mem://example-gc-restore")
	reg, err := scope.New(ctx, scope.Config{Deployment: scope.Testing, Instance: instance, Store: scope.NewMemStore(),
		Open: scope.ProviderOpen(), Check: func(context.Context, *address.Address) ([]string, error) { return nil, nil }})
	if err != nil {
		panic(err)
	}
	defer reg.Close()
	loc, _ := reg.Instance()

	server := gc.NewMemServer(gc.DefaultDataPrefix)
	file := gc.DefaultDataPrefix + "626357751/1/d41d8cd98f00b204e9800998ecf8427e"
	_ = server.Upload("v1", file)
	_ = loc.Bucket().WriteAll(ctx, file, []byte("data"), nil)
	_ = server.Commit("v1")
	_ = server.Delete("v1")

	var journal bytes.Buffer
	if _, err := gc.Run(ctx, loc, server, gc.Options{Journal: &journal, Trash: "byob-trash/", RunID: "example",
		Now: func() time.Time { return time.Now().Add(72 * time.Hour) }}); err != nil {
		panic(err)
	}
	for range 2 {
		rep, err := gc.Restore(ctx, loc, bytes.NewReader(journal.Bytes()), gc.RestoreOptions{})
		fmt.Println("error:", err, "runs:", rep.Runs, "restored:", rep.Restored, "present:", rep.Present, "lost:", rep.Lost)
	}
	back, _ := loc.Bucket().ReadAll(ctx, file)
	fmt.Printf("%s\n", back)
	// Output:
	// error: <nil> runs: [example] restored: 1 present: 0 lost: 0
	// error: <nil> runs: [example] restored: 0 present: 1 lost: 0
	// data
}
