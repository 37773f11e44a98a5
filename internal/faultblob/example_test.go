package faultblob_test

import (
	"context"
	"fmt"

	"github.com/byobkit/byob/internal/faultblob"
	"gocloud.dev/blob/memblob"
	"gocloud.dev/gcerrors"
)

// A bucket on which every delete of one key is refused the way gcsblob
// refuses it (a 403 reported as NotFound), while the others succeed: a
// batch that partly fails.
func Example() {
	ctx := context.Background()
	inner := memblob.OpenBucket(nil)
	for _, k := range []string{"a", "b"} {
		_ = inner.WriteAll(ctx, k, []byte("x"), nil)
	}
	fb := faultblob.New(inner, faultblob.Options{Seed: 1, Rules: []faultblob.Rule{
		{Op: faultblob.OpDelete, Kind: faultblob.DisguisedDenied, Rate: 1, Keys: []string{"b"}},
	}})
	b := fb.Open()
	for _, k := range []string{"a", "b"} {
		err := b.Delete(ctx, k)
		still, _ := inner.Exists(ctx, k)
		fmt.Printf("delete %s: code %v, still there: %v\n", k, gcerrors.Code(err), still)
	}
	fmt.Println("injected:", fb.Injected())
	// Output:
	// delete a: code OK, still there: false
	// delete b: code NotFound, still there: true
	// injected: [{delete b denied as not found}]
}
