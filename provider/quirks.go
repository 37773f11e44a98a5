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

// s3AuthCodes are S3 error codes that mean the request's credential was
// refused. gocloud's s3blob classifies only AccessDenied and Forbidden as
// PermissionDenied and leaves these Unknown; Open's S3 client relabels them
// so a wrong key reads as a permission error, not as an unknown one.
var s3AuthCodes = map[string]bool{
	"SignatureDoesNotMatch": true, // wrong secret key
	"InvalidAccessKeyId":    true, // unknown access key
	"InvalidToken":          true,
	"ExpiredToken":          true,
	"TokenRefreshRequired":  true,
	"RequestTimeTooSkewed":  true, // the server's clock and ours differ by > 15 min
	"AllAccessDisabled":     true,
	"AccountProblem":        true,
	"InvalidSecurity":       true,
}
