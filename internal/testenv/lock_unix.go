//go:build unix

package testenv

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// LockAzuriteService holds, until the test ends, a lock that every test
// changing Azurite's blob service properties (CORS, soft delete) takes:
// those settings are account-wide, and 'go test ./...' runs the packages'
// test binaries at the same time. The lock is a file lock, so it spans
// processes; the kernel drops it if the process dies.
func LockAzuriteService(t testing.TB) {
	t.Helper()
	f, err := os.OpenFile(filepath.Join(os.TempDir(), "byob-test-azurite-service.lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		t.Fatalf("open the Azurite service lock: %v", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		t.Fatalf("take the Azurite service lock: %v", err)
	}
	t.Cleanup(func() {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	})
}
