//go:build !unix

package gc

import (
	"context"
	"errors"
)

// lockFile fails where flock(2) is not available: a manifest directory
// without a lock would let a claim slip between a writer's check and its
// write, so OpenManifestDir refuses rather than run unlocked.
func lockFile(context.Context, string) (func(), error) {
	return nil, errors.New("file locks are not available on this system")
}

// haveFileLocks says lockFile does not work here.
const haveFileLocks = false

// isReadOnlyFS reports a write refused by a read-only file system.
func isReadOnlyFS(error) bool { return false }
