package undelete_test

import (
	"context"
	"fmt"
	"time"

	"github.com/byobkit/byob/address"
	"github.com/byobkit/byob/internal/undelete"
	"github.com/byobkit/byob/provider"
)

// A mem:// bucket keeps no versions: a key that exists is Present, a
// deleted one is Lost. On a versioned S3 bucket the same call removes the
// run's delete markers and reports Restored.
func Example() {
	ctx := context.Background()
	a, err := address.Parse("mem://undelete-example/team")
	if err != nil {
		fmt.Println(err)
		return
	}
	h, err := provider.Open(ctx, a)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer h.Close()
	if err := h.Bucket().WriteAll(ctx, "kept", []byte("x"), nil); err != nil {
		fmt.Println(err)
		return
	}
	r, err := undelete.New(h, undelete.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	res, err := r.Restore(ctx, time.Time{}, undelete.Keys("kept", "deleted"))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, x := range res {
		fmt.Printf("%s: %v (%s)\n", x.Key, x.Status, x.Reason)
	}
	// Output:
	// kept: present (the object exists)
	// deleted: lost (the store keeps no earlier versions of deleted objects)
}
