package provider

import (
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/byobkit/byob/address"
)

// s3Quirks are the S3 SDK settings one kind of S3-protocol service needs
// that the SDK does not guess. They are not a table of their own: they are
// derived from the flavor's record in address (address.Rules), which holds
// every per-provider fact. Addressing style is address.Address.Style's.
type s3Quirks struct {
	// Checksums are the S3 SDK's integrity-checksum modes. Stores that
	// predate the CRC checksums AWS added in 2025 (most S3-compatible
	// servers, CoreWeave) reject or mangle uploads that carry them, so they
	// get "when required" instead of the SDK's "when supported"
	// (Rules.LegacyChecksums).
	RequestChecksum  aws.RequestChecksumCalculation
	ResponseChecksum aws.ResponseChecksumValidation

	// MinTLS is the lowest TLS version offered (tls.VersionTLS13 for
	// cwobject.com); 0 leaves the SDK's default.
	MinTLS uint16

	// SDKEndpoint: when the address names no endpoint, let the SDK derive it
	// from the region (AWS: partitions, FIPS, dual-stack) rather than
	// pointing it at address.Address.EndpointURL.
	SDKEndpoint bool
}

// s3QuirksOf translates a flavor's rules into S3 SDK settings.
func s3QuirksOf(f address.Flavor) s3Quirks {
	r := f.Rules()
	q := s3Quirks{
		RequestChecksum:  aws.RequestChecksumCalculationWhenSupported,
		ResponseChecksum: aws.ResponseChecksumValidationWhenSupported,
		MinTLS:           r.MinTLS,
		SDKEndpoint:      r.SDKEndpoint,
	}
	if r.LegacyChecksums {
		q.RequestChecksum = aws.RequestChecksumCalculationWhenRequired
		q.ResponseChecksum = aws.ResponseChecksumValidationWhenRequired
	}
	return q
}

// s3AuthCodes are error codes of S3-protocol services (and of AWS STS,
// which the ambient credential chain calls) that mean the request's
// credential was refused; Code classifies them as PermissionDenied.
// gocloud's s3blob classifies only AccessDenied and Forbidden, and leaves
// these Unknown or, for a 404, NotFound, which would send an operator
// looking for a missing bucket. Each entry names who answers it, and where
// that is documented or seen.
var s3AuthCodes = map[string]bool{
	// AWS (S3 error responses reference); also MinIO (minio/minio
	// cmd/api-errors.go), Ceph RGW (ceph/ceph src/rgw/rgw_common.cc),
	// SeaweedFS (seaweedfs/seaweedfs weed/s3api/s3err/s3api_errors.go) and
	// Backblaze B2 (peak/s5cmd#269, AlistGo/alist#8364), all with 403.
	"InvalidAccessKeyId":    true, // unknown or malformed access key
	"SignatureDoesNotMatch": true, // wrong secret key; same servers, 403
	// versitygw answers an unknown access key with 404 XAdminUserNotFound
	// (versity/versitygw s3err/s3err.go ErrAdminUserNotFound; seen by
	// byob's own requests, /work/shared/REFERENCE.md). A HEAD request has
	// no body, so an Attributes or Exists of it still reads NotFound.
	"XAdminUserNotFound": true,
	// Cloudflare R2 answers a refused credential <Code>Unauthorized</Code>
	// (AlistGo/alist#1214, vastsa/FileCodeBox#95), mostly with 401.
	"Unauthorized": true,
	// Ceph RGW: a suspended user's key, 403 (ceph/ceph src/rgw/rgw_common.cc).
	"UserSuspended": true,
	// AWS STS, for the ambient chain's role credentials: a session token
	// that is not valid (jrl84/amazon-sp-api#218) and a web identity token
	// the identity provider cannot vouch for (awslabs/aws-sdk-rust#827).
	"InvalidClientTokenId": true,
	"InvalidIdentityToken": true,
	// AWS S3 error responses reference: session tokens and account state.
	"InvalidToken":         true,
	"ExpiredToken":         true, // also STS (aws/aws-sdk-java-v2#5709)
	"TokenRefreshRequired": true,
	"RequestTimeTooSkewed": true, // the server's clock and ours differ by > 15 min; also MinIO, Ceph
	"AllAccessDisabled":    true, // also MinIO
	"AccountProblem":       true,
	"InvalidSecurity":      true,
}
