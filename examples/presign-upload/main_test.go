package main

import (
	"testing"

	"github.com/byobkit/byob/internal/exampletest"
)

// TestGoRun builds the example and runs it as 'go run' would, with a
// TMPDIR of its own: the small file goes up in one PUT, the large one in
// three signed parts, both come back identical, and nothing is left
// behind.
func TestGoRun(t *testing.T) {
	exampletest.GoRun(t,
		`(?m)^server: a file:// bucket in a temporary directory, served at http://127\.0\.0\.1:[0-9]+$`,
		`(?m)^uploaded config\.json \(27 bytes\) with one presigned PUT: ETag "[0-9a-f]{32}"$`,
		`(?m)^uploading weights\.bin \(12\.5 MiB\) in 3 parts \(multipart from 8 MiB here; the SDK's: from 2 GiB\):$`,
		`(?m)^  part 1: 5242880 bytes, ETag "[0-9a-f]{32}"\n  part 2: 5242880 bytes, ETag "[0-9a-f]{32}"\n  part 3: 2621440 bytes, ETag "[0-9a-f]{32}"$`,
		`(?m)^  completed: ETag "[0-9a-f]{32}-3"$`,
		`(?m)^downloaded config\.json: 27 bytes, the same SHA-256 as uploaded$`,
		`(?m)^downloaded weights\.bin: 13107200 bytes, the same SHA-256 as uploaded$`,
	)
}
