package preflight

import (
	"context"
	"errors"
	"fmt"
	"github.com/byobkit/byob/provider"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// fileOpenFinding is the reachable finding of a file:// directory that
// could not be opened: missing, not a directory, or not readable.
func (run *checkRun) fileOpenFinding(openErr error) Finding {
	dir := filepath.FromSlash(run.a.Bucket)
	if errors.Is(openErr, fs.ErrNotExist) {
		return errFinding(CheckReachable, run.where()+" does not exist",
			fmt.Sprintf("create it: mkdir -p -m %o %s", provider.FileDirMode, shellQuote(dir)))
	}
	return errFinding(CheckReachable, "cannot open "+run.where()+": "+errText(openErr),
		"make "+shellQuote(dir)+" a directory that the server's user can read and write")
}

// filePurger returns the purge for a file:// bucket: fileblob deletes the
// probe's file but leaves the directories the write created, so the purge
// removes ProbeDir and any sub-path directory the probe brought into being,
// each only while empty. It must be called before the probe is written.
func (run *checkRun) filePurger() purgeFunc {
	dir := filepath.FromSlash(run.a.Bucket)
	var created []string // sub-path directories that do not exist yet, outermost first
	if run.a.Path != "" {
		for _, seg := range strings.Split(run.a.Path, "/") {
			dir = filepath.Join(dir, seg)
			if _, err := os.Lstat(dir); errors.Is(err, fs.ErrNotExist) {
				created = append(created, dir)
			}
		}
	}
	remove := []string{filepath.Join(dir, ProbeDir)}
	for i := len(created) - 1; i >= 0; i-- {
		remove = append(remove, created[i])
	}
	return func(context.Context, string) purgeResult {
		for _, d := range remove {
			err := os.Remove(d)
			if err != nil && !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, syscall.ENOTEMPTY) && !errors.Is(err, syscall.EEXIST) {
				return purgeResult{Left: "the empty directory " + quote(d) + " remains (" + err.Error() + ")"}
			}
		}
		return purgeResult{}
	}
}
