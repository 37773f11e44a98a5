// Package gc collects unreferenced artifact files safely: the files under
// a location's data prefix ("wandb_artifacts/") that no live artifact
// version's manifest names any more, after the server soft-deleted the
// versions that did. It also purges whole run folders for run data
// retention.
//
// Deleting a live file is the worst thing byob can do, while leaving
// garbage for a while is harmless, and every piece is built for that
// asymmetry.
//
// The collector:
//
//   - Run collects one shard of a location: it sweeps, keeps what is
//     younger than the grace period (Options.MinAge, 48 h by default,
//     longer than any presigned PUT), asks the server to claim each batch,
//     writes the batch to the journal and syncs it, and only then deletes
//     it through the provider's native batch API; it also aborts stale
//     multipart uploads. It refuses a bucket that keeps nothing a deleted
//     file could be restored from (no versioning, no soft delete, no
//     Options.Trash) unless forced, and a DryRun reports everything
//     without deleting or claiming. A run killed anywhere is finished by
//     the next one.
//   - PurgePrefixes removes whole run folders ("<entity>/<project>/<run_id>/")
//     whose retention the server decided has passed, with the same
//     batching, journal and dry run.
//   - The journal (JournalRecord, ReadJournal): JSON Lines, one record
//     per line, written where the caller says and never deleted by byob;
//     a crash never loses the record of a delete, since each intent is
//     synced before its deletes.
//
// The sweep core underneath:
//
//   - Source, the server's side: a stream of live keys in byte order, and
//     Claim, the transaction that closes the race of a deduplicated
//     reference to an old file (the contract is written out on Source);
//     SetSource for small cases and MemServer, a reference implementation
//     in memory; Checker, a read-only claim for dry runs;
//   - ParseManifest and Manifest.LiveKeys, which turn manifests (format
//     version 1) into live keys through a Layout;
//   - List, a listing of one shard of the data prefix in byte order,
//     verified as it is read, and sorted by byob where the store's own
//     listing is not (file://);
//   - Sweep, the merge-join of the listing with the live stream, in
//     constant memory however many objects there are;
//   - Shard, which splits the keyspace between workers (a Kubernetes
//     Indexed Job) so that together they visit every key exactly once.
//
// Keys are compared as bytes everywhere: never normalised, case-folded or
// cleaned, since the two sides of the join disagreeing about a key is how
// collectors lose files. For the same reason a listed key that a storage
// driver would escape (control bytes, `" # % ? \`, "../", "__0x", a
// trailing "/") is never deleted: it is counted as Report.Skipped.
package gc
