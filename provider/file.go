package provider

import (
	"context"

	"github.com/byobkit/byob/address"
	"gocloud.dev/blob"
	"gocloud.dev/blob/fileblob"
)

// FileDirMode is the mode of the directories Open creates for a file://
// bucket (unless WithExistingDir): the server's own data, not meant for
// other users. The preflight check's fix for a missing directory uses it.
const FileDirMode = 0o750

// openFile opens a directory through fileblob, creating it if needed.
//
// fileblob keeps each object's attributes (content type, user metadata,
// MD5) in a sidecar file named "<key>.attrs". byob keeps them
// (fileblob.MetadataInSidecar, the default) rather than skipping them
// (MetadataDontWrite), because without them a file:// bucket would lose the
// content type and MD5 the other providers keep, and behave differently in
// the conformance suite. Listings hide the sidecars; in exchange, keys
// ending in ".attrs" are refused with this provider.
//
// Temporary files are written in os.TempDir and renamed into place, so a
// listing never shows a half-written object; TMPDIR must therefore be on
// the same file system as the bucket's directory, or writes fail (loudly).
func openFile(_ context.Context, a *address.Address, o Options, _ *Handle) (*blob.Bucket, error) {
	b, err := fileblob.OpenBucket(a.Bucket, &fileblob.Options{CreateDir: !o.existingDir, DirFileMode: FileDirMode})
	if err != nil {
		return nil, WrapError(a, OpOpen, err)
	}
	return b, nil
}
