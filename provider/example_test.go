package provider_test

import (
	"context"
	"fmt"

	"github.com/byobkit/byob/address"
	"github.com/byobkit/byob/provider"
)

func ExampleOpen() {
	ctx := context.Background()
	a, err := address.Parse("mem://example-instance/team-a")
	if err != nil {
		panic(err)
	}
	b, err := provider.Open(ctx, a)
	if err != nil {
		panic(err)
	}
	defer b.Close()
	if err := b.Bucket().WriteAll(ctx, "runs/r1/config.yaml", []byte("lr: 0.1\n"), nil); err != nil {
		panic(err)
	}

	// The same name opens the same in-process store; unrooted, the object
	// shows under the address's sub-path.
	whole, err := provider.Open(ctx, &address.Address{Provider: address.Mem, Bucket: "example-instance"})
	if err != nil {
		panic(err)
	}
	defer whole.Close()
	p, err := whole.Bucket().ReadAll(ctx, "team-a/runs/r1/config.yaml")
	if err != nil {
		panic(err)
	}
	fmt.Printf("%s", p)
	// Output:
	// lr: 0.1
}
