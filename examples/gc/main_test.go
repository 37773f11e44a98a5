package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"
)

// TestGoRun builds the example and runs it as 'go run' would, with a
// TMPDIR of its own: the dry run deletes nothing, the run deletes v1's
// train.csv only (v2 still shares labels.txt), the server then refuses to
// deduplicate against it, the restore brings it back, and nothing is left
// behind.
func TestGoRun(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "gc")
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
	for _, want := range []string{
		`(?m)^server: v1 and v2 committed \(v2 shares v1's labels.txt\), v1 deleted$`,
		`(?m)^dry run: 3 files, 2 live, would delete 1 \(8 bytes\)$`,
		`(?m)^run [0-9]{8}T[0-9]{6}Z-[0-9a-f]{4}: deleted 1 \(8 bytes\), mode trash$`,
		`(?m)^v1's train.csv claimed: true$`,
		`(?m)^v3 deduplicating against it: refused with gc.ErrClaimed$`,
		`(?m)^v3 uploaded its own copy and committed$`,
		`(?m)^restored 1: v1's train.csv is back \("a,b\\n1,2\\n"\)$`,
	} {
		if !regexp.MustCompile(want).Match(out) {
			t.Errorf("output lacks %s", want)
		}
	}
	if left, _ := os.ReadDir(tmp); len(left) != 0 {
		t.Errorf("left behind in TMPDIR: %v", left)
	}
	if t.Failed() {
		t.Logf("output:\n%s", out)
	}
}
