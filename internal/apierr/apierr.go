// Package apierr reads the HTTP status of a cloud service's error answer,
// whichever SDK returned it (AWS smithy, Azure azcore, Google googleapi).
// The provider package classifies errors by it, and the preflight check
// tells a missing bucket API (405) from other failures by it.
package apierr

import (
	"errors"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"google.golang.org/api/googleapi"
)

// Status returns the HTTP status of the service response behind err, 0 if
// none: a transport failure, or an error whose chain no longer holds the
// SDK's value (a scrubbed *provider.Error, for one).
func Status(err error) int {
	var se *smithyhttp.ResponseError
	if errors.As(err, &se) && se.Response != nil {
		return se.HTTPStatusCode()
	}
	var ze *azcore.ResponseError
	if errors.As(err, &ze) {
		return ze.StatusCode
	}
	var ge *googleapi.Error
	if errors.As(err, &ge) {
		return ge.Code
	}
	return 0
}
