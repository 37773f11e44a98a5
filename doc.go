// Package byob lets an ML experiment-tracking server keep its customers'
// files in the customers' own object storage: "bring your own bucket".
//
// The server keeps metadata in its database; artifact files, run files, media
// and exported history live in a bucket the customer owns, on AWS S3, Google
// Cloud Storage, Azure Blob, CoreWeave AI Object Storage or any S3-compatible
// store. Clients never get bucket credentials: they read and write through
// pre-signed URLs.
//
// Data flows one way, and no package reaches back up the chain:
//
//	address → provider → scope → presign / gc
//
// The packages:
//
//   - address parses and prints bucket addresses (s3://, cw://, gs://, az://,
//     file://, mem://), with errors that name the field and the fix and never
//     a secret.
//   - provider opens an address as a gocloud *blob.Bucket rooted at its
//     sub-path, with credentials from the address alone, and keeps the
//     native clients and signing credentials on a Handle; its preflight
//     package checks a bucket's settings (CORS, versioning, encryption,
//     lifecycle, region) before byob trusts it with data.
//   - scope decides which bucket and sub-path serves a team or the
//     instance, who may touch it, and that keys stay inside it; team
//     storage is immutable and locations in one bucket never overlap.
//   - presign signs the requests clients send straight to the bucket
//     (SigV4 for S3, CoreWeave and S3-compatible stores, V4 for GCS, a SAS
//     for Azure, byob's own protocol and Handler for file:// and mem://),
//     after the registry authorised the user, and says what each
//     signature binds.
//   - gc collects the artifact files no live version's manifest names:
//     a sorted merge-join of the bucket listing with the server's live
//     keys, a claim transaction against the server before each batch, a
//     grace period longer than any presigned PUT, a journal synced before
//     every delete, native batch deletes, shards for many workers, and
//     Restore, which undoes a run from its journal. It refuses to delete
//     in a bucket that keeps nothing a delete could be undone from (no
//     versioning, no soft delete, no trash) unless forced. Its Source
//     documents the contract a server must implement.
//
// The command cmd/byob is the operator's tool on top: address, check,
// policy, presign, serve (a file:// bucket behind the signed-URL handler),
// gc and restore over manifest files on disk, and demo, the whole story on
// the embedded default with nothing installed (go run ./cmd/byob demo).
// examples/ holds small programs to copy from, each run by the tests, and
// examples/k8s-gc a Kubernetes Indexed Job that runs the collector in
// shards.
package byob
