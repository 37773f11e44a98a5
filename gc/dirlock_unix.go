//go:build unix

package gc

import (
	"context"
	"errors"
	"os"
	"syscall"
)

// lockFile takes an exclusive flock(2) on path (created 0600 if missing,
// never deleted); ctx ends the wait. The lock spans
// processes, and the kernel drops it if the holder dies, so a crashed
// writer never leaves the directory locked.
func lockFile(ctx context.Context, path string) (unlock func(), err error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	fd := int(f.Fd())
	release := func() {
		_ = syscall.Flock(fd, syscall.LOCK_UN)
		_ = f.Close()
	}
	err = syscall.Flock(fd, syscall.LOCK_EX|syscall.LOCK_NB)
	if err == nil {
		return release, nil
	}
	if !errors.Is(err, syscall.EWOULDBLOCK) && !errors.Is(err, syscall.EINTR) {
		_ = f.Close()
		return nil, err
	}
	// Busy: wait in the kernel's queue (polling would let a writer that
	// takes the lock in a tight loop starve this one), in a goroutine so
	// that ctx can end the wait; a lock granted after ctx ended is dropped.
	got := make(chan error, 1)
	go func() {
		for {
			err := syscall.Flock(fd, syscall.LOCK_EX)
			if !errors.Is(err, syscall.EINTR) {
				got <- err
				return
			}
		}
	}()
	select {
	case err := <-got:
		if err != nil {
			_ = f.Close()
			return nil, err
		}
		return release, nil
	case <-ctx.Done():
		go func() {
			if <-got == nil {
				release()
				return
			}
			_ = f.Close()
		}()
		return nil, ctx.Err()
	}
}

// haveFileLocks says lockFile works here.
const haveFileLocks = true

// isReadOnlyFS reports a write refused by a read-only file system.
func isReadOnlyFS(err error) bool { return errors.Is(err, syscall.EROFS) }
