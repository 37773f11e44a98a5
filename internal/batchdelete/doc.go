// Package batchdelete deletes many objects of one opened bucket
// (provider.Handle) through each provider's native batch API, and says of
// every key whether it was deleted, was already gone, or failed, with a
// classified, scrubbed error. It is the garbage collector's hands: the
// collector decides what may go; this package only makes the deletes
// efficient and their outcomes exact.
//
// # Keys
//
// Keys are object names as the service stores them, relative to the
// handle's prefix: the names presigned URLs address, and a native listing
// returns. They are not gocloud's portable keys, which its drivers
// hex-escape on the way in and unescape on the way out (s3blob: control
// characters and "../"; azureblob also " # % ? \ DEL and a trailing "/";
// gcsblob: CR and LF), so a portable key can name another object than the
// service's name of the same spelling. A sweep that joins listed keys with
// live keys must list natively, or the two sides normalise keys
// differently. mem and file have only the portable bucket, so there the
// keys are its keys.
//
// # How each provider deletes
//
//   - S3, CoreWeave and S3-compatible stores: DeleteObjects, up to
//     Rules().BatchDelete (1000) keys per request, quiet mode. The per-key
//     <Error> entries of the answer are read one by one. No version id is
//     ever sent: with versioning on, a delete without one leaves a delete
//     marker, which a restore removes, while a delete with one is
//     permanent. Flavors with Rules().LegacyChecksums also get a
//     Content-MD5 header: DeleteObjects needs Content-MD5 or an
//     x-amz-checksum-* header (versitygw v1.8.0 answers 400 InvalidRequest
//     without either), and stores that predate the CRC checksums know only
//     Content-MD5. S3 answers a key that does not exist as deleted, so on S3
//     "already gone" is reported as Deleted. A key XML 1.0 cannot carry
//     (most control characters, invalid UTF-8) is deleted alone with
//     DeleteObject: in a DeleteObjects body the SDK would write it as
//     U+FFFD, which names, and deletes, another key.
//   - Azure: Blob Batch, up to Rules().BatchDelete (256) subrequests per
//     request, each subrequest's status read on its own: 404 BlobNotFound is
//     already gone, 403 is an error. No version id or snapshot is named.
//     The SDK writes a "/" in a name as %2F in the subrequest's path,
//     which Azurite and, per the SDK's live tests, Azure accept.
//   - GCS: one native Delete per key, up to Rules().BatchDelete (100) in
//     flight, without a generation (so a versioned or soft-deleting bucket
//     keeps the object). Only an HTTP 404 is "already gone": gcsblob would
//     report a 403 as NotFound, and this package reads the status itself.
//   - mem, file, and a handle without native clients (provider.NewHandle):
//     the portable bucket's Delete, in parallel.
//
// # Errors and retries
//
// A delete refused for permissions is Failed with a PermissionDenied
// error, never Gone. Throttling (S3 SlowDown, HTTP 503 and 429, Azure
// ServerBusy), internal errors, timeouts and broken connections are
// temporary: the key is sent again, up to Options.MaxAttempts requests in
// all. The SDKs' own retries are turned off for the delete requests, so
// that every attempt is counted and paced here.
//
// Parallelism follows AIMD, as TCP does: a throttled answer halves the
// number of requests in flight (at most once per window of requests sent
// at the old limit) and pauses new requests for an exponential backoff;
// every window of clean answers (as many as the current limit) adds one
// request, back up to Options.Parallelism. A Deleter is safe for
// concurrent use, and all its calls share one limit, so several callers
// together stay within it.
//
// When the context ends, Delete stops sending and returns promptly: keys
// never sent are NotSent, keys in a request that was under way are Failed
// with a Canceled or DeadlineExceeded error (the service may or may not
// have deleted them; a later run finds them gone).
//
// # Incomplete multipart uploads
//
// ListStaleUploads lists the multipart uploads in progress under a prefix
// of the handle's (S3 ListMultipartUploads; GCS's XML API, GET
// /BUCKET?uploads; every page) initiated before a cutoff, and
// AbortUploads aborts them: two steps, so that a collector can journal
// the uploads in between. AbortStaleUploads does both for the whole
// prefix. On GCS the XML API requests carry an OAuth access token of the
// handle's identity (the address's service account, or the ambient
// credentials), made for them: the handle exposes no authenticated HTTP
// client, and internal/gcsv4 cannot sign a bucket-level URL. The client
// and its token are kept between requests, and made again once the
// handle's credentials change (a key rotation); an emulator address (plain
// HTTP) gets no token. The S3 code is tested against versitygw;
// fake-gcs-server does not implement the XML multipart API, so the GCS
// code is tested on answers in the documented shapes. Azure has no
// multipart uploads to abort (uncommitted blocks expire on their own).
package batchdelete
