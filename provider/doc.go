// Package provider opens the bucket an address names: Open returns a
// *Handle holding the portable *blob.Bucket and what Open resolved on the
// way (flavor, region, endpoint, credential source, the native clients and
// the credentials URLs are signed with), so that presigning, garbage
// collection and the preflight check (package provider/preflight) never
// re-parse an address nor build a second client.
//
// Open builds each driver explicitly from an *address.Address: s3blob on an
// aws-sdk-go-v2 client for AWS, S3-compatible stores and CoreWeave;
// gcsblob for Google Cloud Storage; azureblob for Azure Blob; fileblob and
// memblob for the embedded default. It never goes through gocloud's URL
// openers, which read ambient credentials and environment variables:
// credentials come from the address, and only an address without them
// uses the server's ambient identity (the AWS default credential chain,
// Google application default credentials, Azure's default credential).
// Region and endpoint never come from the environment; the caller may
// supply a default region (WithDefaultRegion).
//
// The bucket Open returns is rooted at the address's sub-path: keys are
// relative to it and nothing done through the bucket reaches outside it.
// What differs between S3-protocol services (checksum modes, minimum TLS
// version, who picks the endpoint) is data in address's one table of flavors (address.Rules).
//
// The bucket of every Handle Open returns (Handle.Bucket), mem:// and
// file:// included, passes each operation through one wrapper, so that
// every error it returns is an
// *Error naming provider, bucket and operation (OpRead, OpWrite, OpList,
// OpDelete, OpAttributes, OpCopy, OpSign, OpClose), classified once by Code
// and scrubbed of secrets. gcerrors.Code on such an error agrees with Code:
// a refused credential is PermissionDenied whatever the service calls it (a
// GCS 403, which gcsblob reports as NotFound; S3's SignatureDoesNotMatch;
// Azure's AuthorizationFailure; versitygw's 404 XAdminUserNotFound for an
// unknown access key). Scrubbing removes the address's keys and every
// credential a request carries, in the forms a server may echo it back in
// its error body (headers, query, form and JSON bodies, XML): Authorization
// values, signatures, SAS sig=, security tokens, Bearer tokens, JWT
// assertions, OAuth tokens and client secrets, private keys. An *Error's
// unwrap chain holds only scrubbed text and well-known sentinels (context,
// io, fs errors, the gcerrors value of the code), so errors.Is keeps
// working; the SDK's own error value is reached only by the bucket's
// ErrorAs. Errors of Open itself are *Error values too, and WrapError gives
// the same form to errors a caller gets elsewhere (use Code on those). A
// bucket the caller opened itself and hands to NewHandle is kept as it is.
//
// Known limits: errors gocloud's portable layer raises before the driver
// is reached (a key that is not UTF-8, Upload without a content type, a
// closed bucket) are gocloud's own; they hold only the caller's arguments.
// An S3 HEAD request (Attributes, Exists, and the check s3blob's Delete
// makes first) gets no error body, so versitygw's 404 for an unknown access
// key still reads NotFound there; listing, reading and writing say
// PermissionDenied.
//
// On Azure, the wrapper sends every write through the container's Upload:
// gocloud v0.47.0's azureblob Writer.Close panics when an upload fed
// through Writer.Write is refused.
//
// Checking that a bucket's settings are what byob needs (CORS,
// versioning, encryption, lifecycle, region) is package preflight's job; it
// opens through Open and reads settings with the Handle's native clients.
// Scrub, WithExistingDir and CredentialSourceOf serve it and any other
// caller that reports on a bucket.
//
// The package keeps one piece of process-wide state, deliberately: the
// registry behind mem:// addresses, so that the same name opens the same
// in-process bucket for the life of the process.
package provider
