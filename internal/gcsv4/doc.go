// Package gcsv4 signs Google Cloud Storage V4 URLs (GOOG4-RSA-SHA256).
//
// For the same inputs and signing time, [Signer.Sign] returns byte for byte
// the URL that cloud.google.com/go/storage's SignedURL returns with
// SigningSchemeV4 (v1.70.0): the same escaping of the object name and the
// query, the same header canonicalization, the same X-Goog-Expires
// arithmetic. It differs in what it costs and in what it refuses:
//
//   - The private key is validated and precomputed once, in [New]; each URL
//     then costs one RSA-2048 signature and a few microseconds around it.
//     The SDK decodes the PEM key on every call.
//   - A URL is a pure function of its [Request] and identity, apart from
//     the signing call: there is no clock (Request.Time is required) and
//     STORAGE_EMULATOR_HOST is never read (the SDK honours it silently).
//   - Inputs the SDK signs although GCS would refuse them or read them
//     otherwise are errors here (ErrInvalid, naming the field):
//     an expiry under 1 s; a bucket or object name GCS forbids;
//     an object starting with '/' in virtual-hosted style (the SDK signs
//     "//x" but its URL reads "/x"); virtual-hosted style with an IPv6
//     endpoint (the SDK's URL does not parse); a Content-MD5 that is not
//     exactly a base64 MD5 (the SDK's decoder skips newlines, which would
//     then be signed); a header named twice, or repeating Content-Type,
//     Content-MD5 or Host; a header or query parameter without a value
//     (the SDK drops it silently); the signature's own X-Goog-* parameters
//     in Request.Query; header values with control or non-ASCII
//     characters; a method not in upper case.
//
// On every Request it accepts, the URL is the SDK's.
//
// Identities without a key sign through a function, such as IAM
// Credentials signBlob ([NewWithSignBytes]); given the same signature, the
// URL is the same.
//
// # What the signature binds
//
// The method, bucket, object, expiry, host, every Request.Query parameter
// (X-User, response-content-type, response-content-disposition, partNumber,
// uploadId, uploads), and the headers Content-Type, Content-MD5 and those
// in Request.Header. It cannot bind the body's size: a server must check
// the size (and, without a signed Content-MD5, the content) after upload.
// GCS documents that it checks a Content-MD5 header against the body; no
// local server can show it. The host header is signed without its port,
// as the SDK does.
//
// The XML multipart API is served by POST ?uploads= (start), PUT
// ?partNumber=N&uploadId=U (each part), POST ?uploadId=U (complete) and
// DELETE ?uploadId=U (abort): those are ordinary Requests with Query set.
//
// # How it is tested
//
// Signatures and multipart URLs are tested by byte identity with the SDK
// only: a table of inputs and a fuzz target compare every URL with
// storage.SignedURL's. No local server verifies GCS V4 signatures:
// fake-gcs-server, which the end-to-end tests use for GET, HEAD and PUT,
// accepts a zeroed signature, an expired URL or an unsigned request alike,
// returns no ETag on PUT, and does not implement the XML multipart API. Those
// tests show that the URLs address the right object and carry the signed
// headers, not that GCS would accept the signature.
//
// # Secrets
//
// Errors and every printed form of a [Signer] hold no key and no
// signature. The URL Sign returns is a bearer credential until it expires:
// do not log it whole.
package gcsv4
