// Package undelete brings back objects a garbage-collection run deleted,
// through each provider's own way of keeping deleted objects: it is how
// gc.Restore undoes a run on a bucket with versioning or soft delete.
//
// Given an opened bucket (provider.Handle), keys relative to its prefix
// and the time the run started, it says of every key:
//
//   - Restored: the deleted object is current again;
//   - Present: a current object exists (never deleted, restored before,
//     or uploaded again after the delete): nothing was done, so
//     restoring twice is harmless;
//   - Lost: the service keeps no version to bring back, or only one that
//     is not the run's (deleted before the run started, or of another size
//     than the object deleted);
//   - Failed: a request failed, with a classified, scrubbed
//     *provider.Error. A refusal for permissions is Failed, never Lost:
//     "cannot see a version" is not "there is none".
//
// Keys are object names as the service stores them (as internal/batchdelete
// takes them), not gocloud's portable keys.
//
// # How each provider restores
//
//   - S3, CoreWeave and S3-compatible stores (versioning Enabled or
//     Suspended): ListObjectVersions with the key as prefix, keeping the
//     exact key only. If the latest entry is a delete marker made since
//     the run started, that marker is deleted by its own version id, and
//     the listing read again, until a version with data is current (a
//     retried delete request can leave more than one marker). This is
//     the one versioned delete byob ever makes, and it cannot lose data:
//     a delete marker holds no bytes, its version id names that marker
//     alone, and only ids the listing returned as delete markers are
//     sent. An object uploaded meanwhile stays current, and no data
//     version is ever deleted.
//   - GCS with object versioning: the newest noncurrent generation is
//     copied over the live name with ifGenerationMatch=0, so that an
//     object uploaded since is never overwritten (its 412 makes the key
//     Present). With soft delete: the newest soft-deleted generation is
//     restored (objects.restore), with the same precondition. A bucket
//     with neither has nothing to bring back: Lost.
//   - Azure with blob versioning: the newest previous version is copied
//     onto the base blob with If-None-Match: *. Azure records no time a
//     version stopped being current, so the run's start time cannot be
//     checked there. With soft delete alone: Undelete Blob, which never
//     replaces a live blob.
//   - mem://, file:// and handles without native clients: nothing keeps
//     deleted objects, so a key is Present or Lost. (gc keeps them under
//     a Trash prefix there, and restores those itself.)
//
// Where the size of the deleted object is known (Object.Size), a version
// of another size is not brought back: on S3 with versioning suspended a
// delete replaces the "null" version for good, and the version below the
// marker is an older object.
//
// # What the emulators show
//
// The S3 restore runs against versitygw (versioning Enabled), byte for
// byte. fake-gcs-server (v1.56.1) keeps noncurrent generations, so the
// GCS versioning restore runs against it too, but it ignores the copy's
// ifGenerationMatch=0 and implements neither soft delete nor
// objects.restore. Azurite (3.37.0) accepts a soft delete policy but
// keeps no deleted blob, and answers Undelete Blob with 501. Those paths
// (GCS's precondition and soft delete, every Azure restore, and the
// refusals) are tested on recorded answers in the documented shapes, not
// against a service.
package undelete
