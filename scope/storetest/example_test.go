package storetest_test

import (
	"testing"

	"github.com/byobkit/byob/scope"
	"github.com/byobkit/byob/scope/storetest"
)

// A server that keeps team storage in its own database runs the suite
// from a test in its store's package. The suite needs a *testing.T, so
// this example shows the wiring without running it.
func Example() {
	testStore := func(t *testing.T) {
		storetest.Run(t, func(t *testing.T) scope.Store {
			// Return a new, empty store: here byob's in-memory one; a
			// server returns its database-backed Store over a fresh schema.
			return scope.NewMemStore()
		})
	}
	_ = testStore
}
