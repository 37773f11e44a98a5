package main

import (
	"testing"

	"github.com/byobkit/byob/internal/exampletest"
)

// TestGoRun builds the example and runs it as 'go run' would, with a
// TMPDIR of its own: the dry run deletes nothing, the run deletes v1's
// train.csv only (v2 still shares labels.txt), the server then refuses to
// deduplicate against it, the restore brings it back, and nothing is left
// behind.
func TestGoRun(t *testing.T) {
	exampletest.GoRun(t,
		`(?m)^server: v1 and v2 committed \(v2 shares v1's labels.txt\), v1 deleted$`,
		`(?m)^dry run: 3 files, 2 live, would delete 1 \(8 bytes\)$`,
		`(?m)^run [0-9]{8}T[0-9]{6}Z-[0-9a-f]{4}: deleted 1 \(8 bytes\), mode trash$`,
		`(?m)^v1's train.csv claimed: true$`,
		`(?m)^v3 deduplicating against it: refused with gc.ErrClaimed$`,
		`(?m)^v3 uploaded its own copy and committed$`,
		`(?m)^restored 1: v1's train.csv is back \("a,b\\n1,2\\n"\)$`,
	)
}
