// Package provider turns a bucket address into a *blob.Bucket, and checks
// that a bucket's settings are what byob needs.
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
// Errors from Open are *Error values naming provider, bucket and
// operation, scrubbed of secrets; WrapError gives the same form to errors
// of later operations. Classify errors with Code: it returns what
// gcerrors.Code does where the driver decided, and refines what a driver
// leaves Unknown, so that a refused credential reads as PermissionDenied.
//
// Check runs the preflight checks on a bucket: reachable with the
// address's credentials, writable, and set up as byob needs (CORS,
// versioning, encryption, lifecycle), and reports each as a Finding.
//
// The package keeps one piece of process-wide state, deliberately: the
// registry behind mem:// addresses, so that the same name opens the same
// in-process bucket for the life of the process.
package provider
