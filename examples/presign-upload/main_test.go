package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"
)

// TestGoRun builds the example and runs it as 'go run' would, with a
// TMPDIR of its own: the small file goes up in one PUT, the large one in
// three signed parts, both come back identical, and nothing is left
// behind.
func TestGoRun(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "presign-upload")
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
		`(?m)^server: a file:// bucket in a temporary directory, served at http://127\.0\.0\.1:[0-9]+$`,
		`(?m)^uploaded config\.json \(27 bytes\) with one presigned PUT: ETag "[0-9a-f]{32}"$`,
		`(?m)^uploading weights\.bin \(12\.5 MiB\) in 3 parts \(multipart from 8 MiB here; the SDK's: from 2 GiB\):$`,
		`(?m)^  part 1: 5242880 bytes, ETag "[0-9a-f]{32}"\n  part 2: 5242880 bytes, ETag "[0-9a-f]{32}"\n  part 3: 2621440 bytes, ETag "[0-9a-f]{32}"$`,
		`(?m)^  completed: ETag "[0-9a-f]{32}-3"$`,
		`(?m)^downloaded config\.json: 27 bytes, the same SHA-256 as uploaded$`,
		`(?m)^downloaded weights\.bin: 13107200 bytes, the same SHA-256 as uploaded$`,
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
