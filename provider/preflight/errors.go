package preflight

import (
	"errors"
	"fmt"
	"github.com/byobkit/byob/provider"
	"net/http"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/aws/smithy-go"
	"github.com/byobkit/byob/internal/apierr"
	"gocloud.dev/gcerrors"
	"google.golang.org/api/googleapi"
)

// checkErrKind is what a failed settings request means for the check.
type checkErrKind int

const (
	kindOther       checkErrKind = iota
	kindDenied                   // the credentials lack the permission
	kindUnsupported              // the store does not implement the request
	kindNotFound                 // the bucket (or the object) does not exist
)

// unsupportedCodes are S3 error codes of stores that lack a bucket API.
var unsupportedCodes = map[string]bool{
	"NotImplemented":   true,
	"MethodNotAllowed": true,
	"XNotImplemented":  true,
}

func checkErrKindOf(err error) checkErrKind {
	var ae smithy.APIError
	if errors.As(err, &ae) && unsupportedCodes[ae.ErrorCode()] {
		return kindUnsupported
	}
	if apierr.Status(err) == http.StatusMethodNotAllowed {
		return kindUnsupported
	}
	switch provider.Code(err) {
	case gcerrors.PermissionDenied:
		return kindDenied
	case gcerrors.Unimplemented:
		return kindUnsupported
	case gcerrors.NotFound:
		return kindNotFound
	}
	return kindOther
}

// apiErrorCode returns the provider's error code ("NoSuchCORSConfiguration",
// "ContainerNotFound"), "" when err carries none.
func apiErrorCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	var ze *azcore.ResponseError
	if errors.As(err, &ze) {
		return ze.ErrorCode
	}
	var ge *googleapi.Error
	if errors.As(err, &ge) && len(ge.Errors) > 0 {
		return ge.Errors[0].Reason
	}
	return ""
}

// errText is a one-line description of err for a finding: the provider's
// code and message rather than the SDKs' multi-line dumps. The report is
// scrubbed of secrets as a whole before Check returns it.
func errText(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode() + ": " + ae.ErrorMessage()
	}
	var ze *azcore.ResponseError
	if errors.As(err, &ze) {
		return fmt.Sprintf("%s (HTTP %d)", ze.ErrorCode, ze.StatusCode)
	}
	var ge *googleapi.Error
	if errors.As(err, &ge) {
		return fmt.Sprintf("HTTP %d: %s", ge.Code, ge.Message)
	}
	s := err.Error()
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return s
}

// unanswered turns the failure of the request op, which needs permission,
// into a could-not-check finding.
func unanswered(check, op, permission string, err error) Finding {
	switch checkErrKindOf(err) {
	case kindDenied:
		return couldNotCheck(check, "access denied to "+op+" ("+errText(err)+")", permission,
			"grant "+permission+" to the bucket's credentials")
	case kindUnsupported:
		return couldNotCheck(check, "the store does not implement "+op+" ("+errText(err)+"); check this setting by hand", "", "")
	}
	return couldNotCheck(check, op+" failed: "+errText(err), permission, "")
}
