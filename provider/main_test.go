package provider

import (
	"os"
	"testing"

	"github.com/byobkit/byob/internal/testenv"
)

// TestMain runs the package's tests in a scrubbed cloud environment (see
// testenv.RunScrubbed): the ambient cases must not depend on the machine.
func TestMain(m *testing.M) {
	os.Exit(testenv.RunScrubbed(m))
}
