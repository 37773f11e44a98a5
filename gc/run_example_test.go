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

// A collection on an in-memory location: one version deleted, one live.
// mem:// keeps no versions, so the run moves what it deletes into a trash
// folder (a restore copies it back); on a versioned bucket it would not
// need one. The journal says, ahead of each batch, what is deleted.
func ExampleRun() {
	ctx := context.Background()
	instance, _ := address.Parse("mem://example-gc-run")
	reg, err := scope.New(ctx, scope.Config{Deployment: scope.Testing, Instance: instance, Store: scope.NewMemStore(),
		Open: scope.ProviderOpen(), Check: func(context.Context, *address.Address) ([]string, error) { return nil, nil }})
	if err != nil {
		panic(err)
	}
	defer reg.Close()
	loc, _ := reg.Instance()

	server := gc.NewMemServer(gc.DefaultDataPrefix)
	old := gc.DefaultDataPrefix + "626357751/1/d41d8cd98f00b204e9800998ecf8427e"
	kept := gc.DefaultDataPrefix + "626357751/2/0cc175b9c0f1b6a831c399e269772661"
	for _, up := range []struct{ version, key string }{{"v1", old}, {"v2", kept}} {
		_ = server.Upload(up.version, up.key)
		_ = loc.Bucket().WriteAll(ctx, up.key, []byte("data"), nil)
	}
	_ = server.Commit("v1")
	_ = server.Commit("v2")
	_ = server.Delete("v1")

	var journal bytes.Buffer // a server gives an *os.File, which is synced
	rep, err := gc.Run(ctx, loc, server, gc.Options{
		Journal: &journal,
		Trash:   "byob-trash/",
		RunID:   "example",
		// Three days later: the files are past the 48 h grace period.
		Now: func() time.Time { return time.Now().Add(72 * time.Hour) },
	})
	fmt.Println("error:", err)
	fmt.Println("mode:", rep.Mode, "scanned:", rep.Scanned, "live:", rep.Live, "deleted:", rep.Deleted, "bytes:", rep.BytesReclaimed)
	for rec, err := range gc.ReadJournal(&journal) {
		if err == nil && rec.Rec == gc.RecIntent {
			fmt.Println("intent:", rec.Reason, rec.Objects[0].Key)
		}
	}
	ok, _ := loc.Bucket().Exists(ctx, "byob-trash/example/"+old)
	fmt.Println("in the trash:", ok)
	// Output:
	// error: <nil>
	// mode: trash scanned: 2 live: 1 deleted: 1 bytes: 4
	// intent: unreferenced wandb_artifacts/626357751/1/d41d8cd98f00b204e9800998ecf8427e
	// in the trash: true
}
