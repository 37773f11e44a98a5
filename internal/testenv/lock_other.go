//go:build !unix

package testenv

import "testing"

// LockAzuriteService is a no-op where file locks are not available: run
// the packages that change Azurite's service properties with -p 1 there.
func LockAzuriteService(t testing.TB) {}
