// Package gc collects unreferenced artifact files safely: the files under
// a location's data prefix ("wandb_artifacts/") that no live artifact
// version's manifest names any more, after the server soft-deleted the
// versions that did. It also purges whole run folders for run data
// retention, and undoes either from its journal.
//
// Deleting a live file is the worst thing byob can do, while leaving
// garbage for a while is harmless, and every piece is built for that
// asymmetry.
//
// # Run
//
// Run collects one shard of one location (the steps are listed on Run):
//
//   - Grace period. Objects modified within Options.MinAge (DefaultMinAge,
//     48 h: the 24 h of the longest presigned PUT, whose multipart object
//     is stamped when the upload started, plus a day for the manifest to
//     commit) are never deleted (Report.TooYoung). A MinAge below
//     MinMinAge (1 h) is refused unless Options.Force; one below
//     UploadExpiry+ClockSkew is refused even then. Every refusal is an
//     ErrInvalid *Error naming the field and the fix.
//   - Claim. Before each batch the run asks the Source to claim the keys
//     in one transaction; what it keeps (Report.KeptOnClaim) is not
//     deleted. This, not the grace period, closes the race of a
//     deduplicated reference to an old file.
//   - Journal, written ahead. The start record, and each batch's intent
//     record, are written to Options.Journal and synced before any delete
//     of theirs is sent; an outcome record follows each batch, and an end
//     record the run. A run killed anywhere is finished by the next one.
//   - Undoable or refused. The run reads what the bucket keeps of a
//     deleted object (Mode): ModeVersions (S3 or GCS object versioning),
//     ModeSoftDelete (GCS soft delete, Azure blob soft delete), or, with
//     Options.Trash, ModeTrash: each object is copied to
//     Trash+RunID+"/"+key and the copy verified before the delete (for
//     file:// and mem://, which keep nothing). A bucket that keeps nothing
//     (ModeNone: also S3 with versioning suspended, and Azure with blob
//     versioning alone, which the blob service does not show) is refused
//     with ErrUnrecoverable unless Force; settings it cannot read are an
//     ErrMode error, never taken for "none".
//   - Dry run. Options.DryRun reports everything and deletes nothing: it
//     never claims, but asks a Source that is a Checker which keys Claim
//     would keep (without one, KeptOnClaim is -1), and journals only the
//     start and end records.
//   - Shards. Options.Shard limits a run to one part of the keyspace, and
//     the Source is asked for the same part, so that the pods of a
//     Kubernetes Indexed Job (ShardFromJobIndex, JobIndexEnv,
//     examples/k8s-gc) together visit every key exactly once.
//   - Stale multipart uploads. Unless Options.SkipUploads, the uploads
//     under the data prefix (and shard) initiated longer ago than MinAge
//     are aborted, journalled like deletes (S3, CoreWeave, S3-compatible
//     stores, and GCS's XML API; Azure has none to abort).
//   - Report. Run returns a Report always, also with an error; its
//     MarshalJSON is the CLI's --json. Options.Progress is called at each
//     Phase change and at most about ten times a second in between;
//     Options.Logger (log/slog) gets the run's log. No report, log line or journal record carries a
//     secret.
//
// PurgePrefixes removes whole run folders ("<entity>/<project>/<run_id>/")
// whose retention the server decided has passed, with the same options,
// refusals, batching, journal (reason "retention") and dry run.
//
// # Restore
//
// Restore reads a journal (ReadJournal, JournalRecord) and brings back
// every object an intent record names (but those its outcome found
// already gone), newest run first: on S3 and
// S3-compatible stores by removing the run's delete marker (the one
// versioned delete byob makes), on GCS by copying the newest noncurrent
// generation back or restoring the soft-deleted one, on Azure by
// Undelete Blob or copying the previous version back, and after a trash
// run by copying back from the trash. A run in ModeNone is refused. The
// provider code is internal/undelete.
//
// What byob's tests could show on the emulators: versitygw keeps S3
// versions and delete markers, and fake-gcs-server noncurrent
// generations, so those restores run for real, byte for byte. GCS soft
// delete and objects.restore, the ifGenerationMatch=0 precondition that
// keeps an object uploaded meanwhile, and every Azure restore (Azurite
// keeps no deleted blob, and answers Undelete Blob with 501) are tested on
// recorded answers only. So are GCS's stale multipart uploads
// (fake-gcs-server has no XML multipart API).
//
// # The live source
//
// Source is the server's side: a stream of live keys in byte order, and
// Claim. Its contract, for server engineers, is written out on Source.
// The reference implementations follow it:
//
//   - MemServer, in memory, with the server's writers (Upload, Reuse,
//     Commit, Abort, Delete) under one mutex, and a Checker;
//   - ManifestDir (OpenManifestDir), over manifest files on disk, which
//     'byob gc --manifests DIR' runs on: DIR/<group>/<version>.json for a
//     committed version, .pending.json for one uploading, .deleted.json
//     for one soft-deleted; the claims appended to DirClaimsFile, and
//     every writer and every claim under an flock(2) of DirLockFile, so
//     Unix only. Its doc gives the layout, the costs and the limits;
//   - SetSource, a fixed set of keys, for a location nothing writes to
//     while the collector runs (its Claim cannot stop a deduplication).
//
// ParseManifest reads a manifest (format version 1) strictly, and
// Manifest.LiveKeys turns it into keys through a Layout: DefaultLayout
// is "<dataPrefix><n>/<birthArtifactID>/<digest hex>", and a server whose
// keys differ supplies its own. References are never collected; RefsUnder
// keeps live the files that references into the location name.
//
// # The sweep core
//
// List (ListLocation) lists one shard of the data prefix in byte order,
// verified as it is read, and sorted by byob where the store's own
// listing is not (file://). Sweep merge-joins it with the live stream in
// constant memory, however many objects there are; its candidates are
// final only when it returns nil. Shard splits the keyspace.
//
// Keys are compared as bytes everywhere: never normalised, case-folded or
// cleaned, since the two sides of the join disagreeing about a key is how
// collectors lose files. For the same reason a listed key that a storage
// driver would escape (control bytes, `" # % ? \`, "../", "__0x", a
// trailing "/") is never deleted: it is counted as Report.Skipped.
//
// The errors Run, PurgePrefixes and Restore return are *Error values,
// whose Kind is one of the Err… values, for errors.Is; so are those of
// the reference sources, but for a context's error, which they return as
// it is.
package gc
