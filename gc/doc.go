// Package gc collects unreferenced artifact files safely: the files under
// a location's data prefix ("wandb_artifacts/") that no live artifact
// version's manifest names any more, after the server soft-deleted the
// versions that did.
//
// Deleting a live file is the worst thing byob can do, while leaving
// garbage for a while is harmless, and every piece is built for that
// asymmetry. This first part is the sweep core:
//
//   - Source, the server's side: a stream of live keys in byte order, and
//     Claim, the transaction that closes the race of a deduplicated
//     reference to an old file (the contract is written out on Source);
//     SetSource for small cases and MemServer, a reference implementation
//     in memory;
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
// collectors lose files.
package gc
