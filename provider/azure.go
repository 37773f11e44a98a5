package provider

import (
	"context"
	"errors"
	"strconv"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/service"
	"github.com/byobkit/byob/address"
	"gocloud.dev/blob"
	"gocloud.dev/blob/azureblob"
	"gocloud.dev/gcerrors"
)

// openAzure opens an Azure Blob container through azureblob: shared-key
// authentication with the address's account key, or, without one, the
// server's identity through azidentity's default credential chain (which
// resolves lazily: opening does no network I/O). The account's service
// client (bucket settings, user delegation keys) and the container client
// share one credential, which SetCredentials swaps in place.
//
// Open's wrapper routes its writes through Upload: gocloud v0.47.0's
// azureblob panics in Writer.Close when an upload through Writer.Write is
// refused (see wrapBucket and azureguard.go).
func openAzure(ctx context.Context, a *address.Address, o Options, h *Handle) (*blob.Bucket, error) {
	n, err := newAzureNative(a, o)
	if err != nil {
		return nil, WrapError(a, OpOpen, err)
	}
	b, err := azureblob.OpenBucket(ctx, n.container, nil)
	if err != nil {
		return nil, WrapError(a, OpOpen, err)
	}
	h.az = n
	return b, nil
}

// newAzureNative builds the service and container clients for a: the one
// constructor the opening code and the preflight checks share.
func newAzureNative(a *address.Address, o Options) (*azureNative, error) {
	sopts := &service.ClientOptions{}
	if o.HTTPClient != nil {
		sopts.Transport = o.HTTPClient
	}
	serviceURL := a.EndpointURL() + "/"
	n := &azureNative{}
	var err error
	if a.HasCredentials() {
		if n.shared, err = service.NewSharedKeyCredential(a.Account, a.Secret); err != nil {
			return nil, err
		}
		n.service, err = service.NewClientWithSharedKeyCredential(serviceURL, n.shared, sopts)
	} else {
		cred, cerr := azidentity.NewDefaultAzureCredential(&azidentity.DefaultAzureCredentialOptions{ClientOptions: sopts.ClientOptions})
		if cerr != nil {
			return nil, cerr
		}
		n.token = azureTokenGuard{cred: cred, loc: a.WithoutCredentials()}
		n.service, err = service.NewClient(serviceURL, n.token, sopts)
	}
	if err != nil {
		return nil, err
	}
	n.container = n.service.NewContainerClient(a.Bucket)
	return n, nil
}

// azureTokenGuard is the ambient identity's credential, with errors that
// quote nothing Entra ID answered: azidentity's AuthenticationFailedError
// quotes the token endpoint's body, which may echo the client secret or
// assertion. A refusal becomes a PermissionDenied *Error (which Code and
// WrapError find through the SDK's and the driver's wrapping); the
// original is not kept (see scrubbedCause).
type azureTokenGuard struct {
	cred azcore.TokenCredential
	loc  *address.Address // without credentials
}

// GetToken implements azcore.TokenCredential.
func (g azureTokenGuard) GetToken(ctx context.Context, o policy.TokenRequestOptions) (azcore.AccessToken, error) {
	t, err := g.cred.GetToken(ctx, o)
	var af *azidentity.AuthenticationFailedError
	if err == nil || !errors.As(err, &af) {
		return t, err
	}
	status := "no answer"
	if af.RawResponse != nil {
		status = "HTTP " + strconv.Itoa(af.RawResponse.StatusCode)
	}
	return t, &Error{Op: OpCredentials, Provider: g.loc.Provider, Bucket: g.loc.Bucket, Code: gcerrors.PermissionDenied,
		Err: scrubbedCause("Microsoft Entra ID refused the server's identity ("+status+"); see https://aka.ms/azsdk/go/identity/troubleshoot", err, nil)}
}
