package scope_test

import (
	"testing"

	"github.com/byobkit/byob/scope"
	"github.com/byobkit/byob/scope/storetest"
)

func TestMemStore(t *testing.T) {
	storetest.Run(t, func(*testing.T) scope.Store { return scope.NewMemStore() })
}
