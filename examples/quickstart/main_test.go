package main

import (
	"regexp"
	"testing"

	"github.com/byobkit/byob/internal/exampletest"
)

// TestGoRun builds the example and runs it as 'go run' would, with a
// TMPDIR of its own: each step's line is printed, the file comes back
// through the signed URL, and nothing is left behind.
func TestGoRun(t *testing.T) {
	out := exampletest.GoRun(t,
		`(?m)^opened file:///.*/byob-quickstart-[0-9]+/bucket as the instance bucket; team kappa uses it$`,
		`(?m)^wrote kappa/quickstart/run-1/notes.txt$`,
		`(?m)^presigned GET http://127\.0\.0\.1:[0-9]+/kappa/quickstart/run-1/notes\.txt\?.*byob-signature=REDACTED.*$`,
		`(?m)^read back through the URL: HTTP 200 "hello from byob\\n"$`,
	)
	if regexp.MustCompile(`byob-signature=[0-9a-f]`).Match(out) {
		t.Errorf("output shows a signature")
	}
}
