package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"
)

// TestGoRun builds the example and runs it as 'go run' would, with a
// TMPDIR of its own: each step's line is printed, the file comes back
// through the signed URL, and nothing is left behind.
func TestGoRun(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "quickstart")
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
		`(?m)^opened file:///.*/byob-quickstart-[0-9]+/bucket as the instance bucket; team kappa uses it$`,
		`(?m)^wrote kappa/quickstart/run-1/notes.txt$`,
		`(?m)^presigned GET http://127\.0\.0\.1:[0-9]+/kappa/quickstart/run-1/notes\.txt\?.*byob-signature=REDACTED.*$`,
		`(?m)^read back through the URL: HTTP 200 "hello from byob\\n"$`,
	} {
		if !regexp.MustCompile(want).Match(out) {
			t.Errorf("output lacks %s", want)
		}
	}
	if regexp.MustCompile(`byob-signature=[0-9a-f]`).Match(out) {
		t.Errorf("output shows a signature")
	}
	if left, _ := os.ReadDir(tmp); len(left) != 0 {
		t.Errorf("left behind in TMPDIR: %v", left)
	}
	if t.Failed() {
		t.Logf("output:\n%s", out)
	}
}
