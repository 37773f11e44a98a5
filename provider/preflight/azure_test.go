package preflight

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"strings"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/container"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/service"
	"github.com/byobkit/byob/address"
	"github.com/byobkit/byob/internal/testenv"
	"github.com/google/go-cmp/cmp"
)

// checkAzuriteAddress is the address of a container on Azurite.
func checkAzuriteAddress(t *testing.T, srv testenv.AzuriteServer, ctr, path string) *address.Address {
	t.Helper()
	u, err := url.Parse(srv.Endpoint)
	if err != nil {
		t.Fatal(err)
	}
	return &address.Address{Provider: address.Azure, Endpoint: u.Host, TLS: u.Scheme == "https",
		Account: srv.Account, Bucket: ctr, Path: path, Secret: srv.Key}
}

// newCheckAzuriteContainer creates a container with a random name, deleted when
// the test ends.
func newCheckAzuriteContainer(t *testing.T, svc *service.Client) *container.Client {
	t.Helper()
	var r [5]byte
	rand.Read(r[:])
	name := "byob-check-" + hex.EncodeToString(r[:])
	c := svc.NewContainerClient(name)
	if _, err := c.Create(context.Background(), nil); err != nil {
		t.Fatalf("create container: %v", err)
	}
	t.Cleanup(func() { c.Delete(context.Background(), nil) })
	return c
}

func TestCheckAzurite(t *testing.T) {
	srv := testenv.Azurite(t)
	svc := testenv.AzuriteService(t, srv)
	productCORS := []*service.CORSRule{{AllowedOrigins: to.Ptr("*"), AllowedMethods: to.Ptr("GET,HEAD,PUT"), AllowedHeaders: to.Ptr("*"),
		ExposedHeaders: to.Ptr("ETag"), MaxAgeInSeconds: to.Ptr(int32(3000))}}
	softOn := &service.RetentionPolicy{Enabled: to.Ptr(true), Days: to.Ptr(int32(7))}
	softOff := &service.RetentionPolicy{Enabled: to.Ptr(false)}
	corsAdd := "az storage cors add --services b --account-name " + srv.Account +
		" --origins '*' --methods GET HEAD PUT --allowed-headers '*' --exposed-headers ETag --max-age 3000"
	corsFix := corsAdd + "\n(CORS rules apply to every container of the storage account)"
	// A rule there is answers before an appended one: the fix clears first.
	corsClearFix := "az storage cors clear --services b --account-name " + srv.Account + "\n" + corsAdd +
		"\n(CORS rules apply to every container of the storage account: clearing removes the account's other rules, add back any you still need)"
	softFix := "az storage blob service-properties delete-policy update --account-name " + srv.Account + " --enable true --days-retained 7"
	host := checkAzuriteAddress(t, srv, "x", "").Endpoint
	good := func(ctr string) []Finding {
		return []Finding{
			{Check: CheckReachable, Saw: `listed container "` + ctr + `" under "team/"`},
			{Check: CheckReadWrite, Saw: `wrote, read back and deleted "team/.byob-check/<random>"; nothing left behind (soft delete keeps a recoverable copy of it until its retention ends)`},
			{Check: CheckCORS, Saw: "GET, HEAD, PUT allowed from origin * (PUT with content-type, content-md5, x-ms-blob-type); ETag exposed; max age 3000 s"},
			{Check: CheckVersioning, Saw: "blob soft delete keeps deleted blobs 7 days"},
			{Check: CheckEncryption, Saw: "not required: no KMS key named"},
			{Check: CheckLifecycle, Severity: SeverityWarning, CouldNotCheck: true,
				Saw:        "lifecycle management policies are a storage account setting that the blob API does not show",
				Permission: "Microsoft.Storage/storageAccounts/managementPolicies/read",
				Fix:        "look by hand for rules that delete base blobs under the sub-path: az storage account management-policy show --account-name " + srv.Account + " --resource-group <resource group>"},
			{Check: CheckRegion, Saw: "not applicable: the address carries no region"},
			{Check: CheckTransport, Saw: "plain HTTP, but only to this machine (" + host + ")"},
		}
	}
	tests := []struct {
		name  string
		props service.SetPropertiesOptions
		opts  Options
		want  func(ctr string) []Finding
		worst Severity
	}{
		{"good configuration: only lifecycle, an account setting, is unknown",
			service.SetPropertiesOptions{CORS: productCORS, DeleteRetentionPolicy: softOn}, Options{}, good, SeverityWarning},
		{"CORS missing is an error",
			service.SetPropertiesOptions{CORS: []*service.CORSRule{}, DeleteRetentionPolicy: softOn}, Options{},
			func(ctr string) []Finding {
				f := good(ctr)
				f[2] = Finding{Check: CheckCORS, Severity: SeverityError, Saw: "no CORS rules", Fix: corsFix}
				return f
			}, SeverityError},
		{"CORS without ETag, soft delete off",
			service.SetPropertiesOptions{CORS: []*service.CORSRule{{AllowedOrigins: to.Ptr("*"), AllowedMethods: to.Ptr("GET,HEAD,PUT"), AllowedHeaders: to.Ptr("*"),
				ExposedHeaders: to.Ptr(""), MaxAgeInSeconds: to.Ptr(int32(3000))}}, DeleteRetentionPolicy: softOff}, Options{},
			func(ctr string) []Finding {
				f := good(ctr)
				f[1].Saw = `wrote, read back and deleted "team/.byob-check/<random>"; nothing left behind`
				f[2] = Finding{Check: CheckCORS, Severity: SeverityError, Saw: "1 CORS rule: ETag not exposed to GET, HEAD, PUT", Fix: corsClearFix}
				f[3] = Finding{Check: CheckVersioning, Severity: SeverityWarning, Fix: softFix,
					Saw: "blob soft delete is off; garbage collection needs it as a safety net before it can be turned on"}
				return f
			}, SeverityError},
		{"soft delete off with garbage collection on is an error; a KMS key cannot be checked",
			service.SetPropertiesOptions{CORS: productCORS, DeleteRetentionPolicy: softOff}, Options{GCEnabled: true, KMSKeyID: "https://vault.example/keys/k"},
			func(ctr string) []Finding {
				f := good(ctr)
				f[1].Saw = `wrote, read back and deleted "team/.byob-check/<random>"; nothing left behind`
				f[3] = Finding{Check: CheckVersioning, Severity: SeverityError, Fix: softFix,
					Saw: "blob soft delete is off; garbage collection is on and relies on it to undo a wrong delete"}
				f[4] = Finding{Check: CheckEncryption, Severity: SeverityWarning, CouldNotCheck: true,
					Saw:        "customer-managed keys are a storage account setting that the blob API does not show",
					Permission: "Microsoft.Storage/storageAccounts/read",
					Fix:        "look by hand: az storage account show --name " + srv.Account + " --query encryption"}
				return f
			}, SeverityError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			if _, err := svc.SetProperties(ctx, &tt.props); err != nil {
				t.Fatalf("set service properties: %v", err)
			}
			ctr := newCheckAzuriteContainer(t, svc)
			name := ctr.URL()[strings.LastIndexByte(ctr.URL(), '/')+1:]
			r, err := Check(ctx, checkAzuriteAddress(t, srv, name, "team"), tt.opts)
			if err != nil {
				t.Fatalf("Check: %v", err)
			}
			if d := cmp.Diff(tt.want(name), checkNormalize(r.Findings)); d != "" {
				t.Errorf("findings (-want +got):\n%s", d)
			}
			if r.Worst() != tt.worst {
				t.Errorf("Worst = %v, want %v", r.Worst(), tt.worst)
			}
			pager := ctr.NewListBlobsFlatPager(&container.ListBlobsFlatOptions{Include: container.ListBlobsInclude{Versions: true, Deleted: true}})
			for pager.More() {
				page, err := pager.NextPage(ctx)
				if err != nil {
					t.Fatalf("list: %v", err)
				}
				for _, b := range page.Segment.BlobItems {
					t.Errorf("the check left %q behind", valOrZero(b.Name))
				}
			}
			if strings.Contains(r.String(), srv.Key) {
				t.Errorf("report contains the account key")
			}
		})
	}
}
