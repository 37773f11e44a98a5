package provider

import (
	"context"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/container"
	"github.com/byobkit/byob/address"
	"gocloud.dev/blob"
	"gocloud.dev/blob/azureblob"
)

// openAzure opens an Azure Blob container through azureblob: shared-key
// authentication with the address's account key, or, without one, the
// server's identity through azidentity's default credential chain (which
// resolves lazily: opening does no network I/O).
//
// The bucket is wrapped by guardAzure: gocloud v0.47.0's azureblob panics in
// Writer.Close when an upload through Writer.Write is refused, and leaves a
// 403 other than AuthenticationFailed (Azurite's AuthorizationFailure,
// Azure's AuthorizationPermissionMismatch) Unknown. See azureguard.go.
func openAzure(ctx context.Context, a *address.Address, o Options) (*blob.Bucket, error) {
	containerURL := a.EndpointURL() + "/" + a.Bucket
	copts := &container.ClientOptions{}
	if o.HTTPClient != nil {
		copts.Transport = o.HTTPClient
	}
	var (
		c   *container.Client
		err error
	)
	if a.HasCredentials() {
		var cred *container.SharedKeyCredential
		cred, err = container.NewSharedKeyCredential(a.Account, a.Secret)
		if err == nil {
			c, err = container.NewClientWithSharedKeyCredential(containerURL, cred, copts)
		}
	} else {
		var cred azcore.TokenCredential
		cred, err = azidentity.NewDefaultAzureCredential(&azidentity.DefaultAzureCredentialOptions{ClientOptions: copts.ClientOptions})
		if err == nil {
			c, err = container.NewClient(containerURL, cred, copts)
		}
	}
	if err != nil {
		return nil, WrapError(a, OpOpen, err)
	}
	b, err := azureblob.OpenBucket(ctx, c, nil)
	if err != nil {
		return nil, WrapError(a, OpOpen, err)
	}
	return guardAzure(b), nil
}
