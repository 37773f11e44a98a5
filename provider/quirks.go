package provider

import (
	"crypto/tls"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/byobkit/byob/address"
)

// Quirks are the settings one kind of service needs that its SDK does not
// guess. They are data, kept in one table keyed by flavor, so that a new
// S3-compatible store is a row here rather than a branch in the code.
// Addressing style is not here: address.Address.Style decides it.
type Quirks struct {
	// Checksums are the S3 SDK's integrity-checksum modes. Stores that
	// predate the CRC checksums AWS added in 2025 (most S3-compatible
	// servers, CoreWeave) reject or mangle uploads that carry them, so they
	// get "when required" instead of the SDK's "when supported".
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

// quirks is the table. Flavors absent from it need nothing special.
var quirks = map[address.Flavor]Quirks{
	address.FlavorAWS: {
		RequestChecksum:  aws.RequestChecksumCalculationWhenSupported,
		ResponseChecksum: aws.ResponseChecksumValidationWhenSupported,
		SDKEndpoint:      true,
	},
	address.FlavorS3Compatible: {
		RequestChecksum:  aws.RequestChecksumCalculationWhenRequired,
		ResponseChecksum: aws.ResponseChecksumValidationWhenRequired,
	},
	address.FlavorCoreWeave: {
		RequestChecksum:  aws.RequestChecksumCalculationWhenRequired,
		ResponseChecksum: aws.ResponseChecksumValidationWhenRequired,
		MinTLS:           tls.VersionTLS13,
	},
	address.FlavorCoreWeaveLOTA: {
		RequestChecksum:  aws.RequestChecksumCalculationWhenRequired,
		ResponseChecksum: aws.ResponseChecksumValidationWhenRequired,
	},
}

// QuirksOf returns the quirks of a flavor; the zero Quirks for a flavor
// that has none.
func QuirksOf(f address.Flavor) Quirks { return quirks[f] }

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
