// Package presign makes pre-signed requests: the only way clients (SDKs,
// browsers) touch a customer's bucket. The server signs one request per
// file; the client sends it to the storage service directly, with no
// credentials of its own.
//
// A Request carries the method, the signed URL, the headers the client
// must send and when it expires; it prints redacted everywhere, so a
// signature never reaches a log.
//
// # Signing
//
// A Signer (New) signs for the locations of a scope.Registry. Sign
// authorises the user first (Registry.Authorize: read for GET and HEAD,
// write for PUT and multipart) and returns scope's own error when the user
// or the key is refused; SignLocation is for callers that authorised
// already. Per provider it uses a native signer, byte-identical to the
// provider's SDK: SigV4 for S3, CoreWeave and S3-compatible stores, V4 for
// GCS, a service SAS for Azure, and byob's local protocol (LocalSigner,
// served by a Handler) for file:// and mem://.
//
// Expiry: zero means 1 h for GET and HEAD and 24 h for PUT and multipart
// steps; at most 7 days. With temporary credentials the URL dies with them
// and Request.Expires says when.
//
// # What the signature binds, and what the server must check
//
// Binds reports it per location:
//
//   - S3, CoreWeave, S3-compatible (SigV4) and GCS (V4): Content-Type,
//     Content-MD5 and X-User are signed; a change is refused (403), and a
//     body whose MD5 differs from the signed one is refused (400 BadDigest
//     on S3). Nothing binds the body's size: check it after upload.
//   - Azure, shared-key SAS: no request header is signed, nor scid (which
//     anyone can change: logs only). Azure checks a Content-MD5 the client
//     sends against the body, but a client may send another body with its
//     own MD5, or none, and any Content-Type. After upload the server must
//     compare the stored blob's Content-MD5, type and size with what it
//     expected. A PUT must send x-ms-blob-type: BlockBlob (in
//     Request.Header).
//   - Azure, user delegation SAS (ambient identities; the handle fetches and
//     caches the key, WithAzureDelegation overrides it):
//     scid and the request headers (srh) are signed; how Azure enforces srh
//     could not be observed on Azurite.
//   - file:// and mem://: everything but the host and the body's size.
//
// # Multipart uploads
//
// The product's SDK switches to multipart from 2 GiB (MultipartThreshold)
// with 100 MiB parts (PartSize), at most 10,000 (MaxParts). Options.Op
// names the step; each is one Request:
//
//   - S3 family, GCS (XML API) and local: OpCreateUpload (POST ?uploads),
//     OpUploadPart (PUT ?partNumber&uploadId, Content-MD5 signed),
//     OpCompleteUpload (POST ?uploadId with the parts' ETags),
//     OpAbortUpload (DELETE ?uploadId). No local server implements GCS's
//     XML multipart API: those URLs are tested by their form only.
//   - Azure: OpUploadPart is Put Block with BlockID(part); OpCompleteUpload
//     is Put Block List (a PUT) with BlockListXML. Put Block returns no
//     ETag: the block ids are the part list. There is no start or abort.
//
// # Reuse window
//
// WithReuseWindow signs at the time truncated to a window and keeps the
// results in a bounded cache keyed by location, key, options and user:
// the same request within the window gets the same URL (browsers can cache
// it) for a map look-up, which matters on GCS where each RSA signature
// costs about a millisecond. Entries die with their window, their expiry
// and a credentials rotation.
package presign
