package testenv

import (
	"context"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/service"
)

// AzuriteService returns a shared-key client of Azurite's blob service
// for a test that changes the account-wide service properties (CORS, soft
// delete). It takes LockAzuriteService first, since tests in other
// packages change them too, and restores the CORS rules and the delete
// retention policy when the test ends.
func AzuriteService(t testing.TB, srv AzuriteServer) *service.Client {
	t.Helper()
	LockAzuriteService(t)
	cred, err := service.NewSharedKeyCredential(srv.Account, srv.Key)
	if err != nil {
		t.Fatal(err)
	}
	c, err := service.NewClientWithSharedKeyCredential(srv.Endpoint+"/"+srv.Account+"/", cred, nil)
	if err != nil {
		t.Fatal(err)
	}
	orig, err := c.GetProperties(context.Background(), nil)
	if err != nil {
		t.Fatalf("get service properties: %v", err)
	}
	t.Cleanup(func() {
		cors := orig.CORS
		if cors == nil {
			cors = []*service.CORSRule{}
		}
		rp := orig.DeleteRetentionPolicy
		if rp == nil {
			rp = &service.RetentionPolicy{Enabled: to.Ptr(false)}
		}
		if _, err := c.SetProperties(context.Background(), &service.SetPropertiesOptions{CORS: cors, DeleteRetentionPolicy: rp}); err != nil {
			t.Errorf("restore service properties: %v", err)
		}
	})
	return c
}
