// Package exampletest runs an example program for its test as a reader
// would run it with 'go run', so that the examples' tests check the same
// things the same way.
package exampletest

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"
)

// GoRun builds the example in the test's directory and runs it with a
// TMPDIR of its own. It fails the test now if the build or the run fails,
// and later if the output matches not every one of want (regular
// expressions) or the run left anything in TMPDIR. When the test has
// failed, by then or by the caller's own checks, it logs the output. It
// returns the output (stdout and stderr).
func GoRun(t *testing.T, want ...string) []byte {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), filepath.Base(wd))
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	tmp := t.TempDir()
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), "TMPDIR="+tmp)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("run: %v\n%s", err, out)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("output:\n%s", out)
		}
	})
	for _, w := range want {
		if !regexp.MustCompile(w).Match(out) {
			t.Errorf("output lacks %s", w)
		}
	}
	if left, _ := os.ReadDir(tmp); len(left) != 0 {
		t.Errorf("left behind in TMPDIR: %v", left)
	}
	return out
}
