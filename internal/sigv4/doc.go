// Package sigv4 pre-signs S3 requests (AWS, CoreWeave, S3-compatible
// stores such as MinIO and versitygw) with AWS Signature Version 4 in the
// query string. For the same inputs and time it writes, byte for byte, the
// URL aws-sdk-go-v2's s3.PresignClient writes, at a few percent of the
// cost; it does no I/O and reads no clock.
//
// # What it signs
//
// One Op per URL: GetObject, HeadObject, PutObject, CreateMultipartUpload
// (POST ?uploads), UploadPart (PUT ?partNumber&uploadId),
// CompleteMultipartUpload (POST ?uploadId) and AbortMultipartUpload
// (DELETE ?uploadId). The Op fixes the method and the x-id parameter the
// SDK's serializers add (GetObject, PutObject, UploadPart and
// AbortMultipartUpload carry one; HeadObject, CreateMultipartUpload and
// CompleteMultipartUpload do not). The payload is UNSIGNED-PAYLOAD, as in
// every SDK presigned URL.
//
// The signature binds the method, the host, the escaped path (bucket and
// key), every query parameter (expiry, credential scope, session token,
// part number, upload id, response-content-type and
// response-content-disposition overrides, and extra parameters such as
// byob's X-User requester identity) and the headers the Request sets:
// always host, and Content-Type and Content-MD5 when given. A client must
// send exactly those header values; a server refuses any change with 403
// (and a body whose MD5 differs from a signed Content-MD5 with 400
// BadDigest). The signature does not bind the body of a
// CompleteMultipartUpload (the part list) nor a PUT's length.
//
// # What the caller supplies
//
// A Request holds no secret: the endpoint's scheme and host[:port], the
// bucket, the raw object key (escaped here as the SDK escapes keys), the
// addressing style, the region, the signing time, the expiry (1 s to 7
// days) and the operation's fields. Defaults are the caller's business:
// the signer refuses a missing expiry or time rather than guess one.
// Virtual-hosted requests fall back to path style where the SDK's endpoint
// rules do (a bucket that is not a DNS label, or an IP-address host), so
// the URL is the SDK's in both cases. S3 Express directory buckets
// (--x-s3), whose URLs the SDK signs with session credentials it fetches
// itself, are refused; access-point ARNs are not bucket names here; FIPS,
// dual-stack and accelerate endpoints are not modelled: give a host that
// already names the endpoint.
//
// Keys are signed as they are, dot segments included: a URL for
// "a/../b" is valid, but a browser normalises its path to "/b" before
// sending it, and the signature then fails. Refusing such keys is key
// confinement's job, before signing.
//
// Invalid input gets an *Error naming the field, the problem and the fix;
// errors never quote a secret, a token or a signature.
//
// # Credentials and the key cache
//
// NewSigner takes an access key id, a secret and an optional session
// token, and returns a Signer safe for concurrent use. Each Signer caches
// the derived signing key, as HMAC pads, for the last few (day, region)
// pairs it signed for, in a small fixed array of atomic pointers: a hit is
// a few loads and compares with no shared write, a miss derives the key
// (four HMACs) and replaces one slot. The cache belongs to the Signer and
// a Signer's secret never changes, so a rotated secret (a new Signer) can
// never sign with a key derived from the old one; the SDK's v4.Signer, by
// contrast, caches by access key id alone. The secret is kept two pointers
// away from anything a printer reaches, and a Signer prints as
// "sigv4.Signer(credentials REDACTED)" in fmt, log/slog and encoding/json.
//
// Presign returns the URL as a string, with one allocation; AppendPresign
// appends it to a caller's buffer with none.
package sigv4
