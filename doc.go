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
//
// The presign and gc packages are added as they are built;
// see the README for the state of each. The operator's command is cmd/byob.
package byob
