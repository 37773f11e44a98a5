package preflight_test

import (
	"context"
	"fmt"
	"log"

	"github.com/byobkit/byob/address"
	"github.com/byobkit/byob/provider/preflight"
)

// Check a bucket before trusting it with data. On mem:// only the data
// checks apply; on a real bucket every finding carries its fix.
func ExampleCheck() {
	a, err := address.Parse("mem://example-check/team-a")
	if err != nil {
		log.Fatal(err)
	}
	r, err := preflight.Check(context.Background(), a, preflight.Options{})
	if err != nil {
		log.Fatal(err) // only when the check cannot run at all
	}
	for _, f := range r.Findings[:2] {
		fmt.Println(f.Label(), f.Check)
	}
	fmt.Println("worst:", r.Worst())
	// Output:
	// ok reachable
	// ok read-write-delete
	// worst: ok
}
