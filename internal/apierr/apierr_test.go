package apierr

import (
	"errors"
	"fmt"
	"net/http"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"google.golang.org/api/googleapi"
)

func TestStatus(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want int
	}{
		{"nil has none", nil, 0},
		{"a transport failure has none", errors.New("dial tcp: connection refused"), 0},
		{"AWS response, wrapped", fmt.Errorf("op: %w", &smithyhttp.ResponseError{
			Response: &smithyhttp.Response{Response: &http.Response{StatusCode: http.StatusMethodNotAllowed}}, Err: errors.New("x")}), http.StatusMethodNotAllowed},
		{"AWS error without a response has none", &smithyhttp.ResponseError{Err: errors.New("x")}, 0},
		{"Azure response", &azcore.ResponseError{StatusCode: http.StatusForbidden, ErrorCode: "AuthorizationFailure"}, http.StatusForbidden},
		{"Google response", fmt.Errorf("op: %w", &googleapi.Error{Code: http.StatusNotFound}), http.StatusNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Status(tt.err); got != tt.want {
				t.Errorf("Status = %d, want %d", got, tt.want)
			}
		})
	}
}
