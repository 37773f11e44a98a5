package preflight

import (
	"context"
	"fmt"
	"slices"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/container"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/service"
	"github.com/byobkit/byob/address"
	"github.com/byobkit/byob/provider"
	"gocloud.dev/gcerrors"
)

// The Azure checks read the blob service properties of the storage account
// (CORS and blob soft delete are account-wide there, not per container).
// Lifecycle management policies and customer-managed keys live in the
// Azure Resource Manager API, which the storage credentials cannot read:
// those checks always report could-not-check, with the command to look.

// azureServicePerm is the Azure RBAC action that reads blob service
// properties; a shared account key can always read them.
const azureServicePerm = "Microsoft.Storage/storageAccounts/blobServices/read"

// azureProps reads the account's blob service properties with the
// handle's service client, which shares the container client's credential.
func (run *checkRun) azureProps(ctx context.Context) (service.StorageServiceProperties, error) {
	return run.azure.get(func() (service.StorageServiceProperties, error) {
		if run.h == nil || run.h.AzureService() == nil {
			return service.StorageServiceProperties{}, errNoNativeClient
		}
		resp, err := run.h.AzureService().GetProperties(ctx, nil)
		return resp.StorageServiceProperties, err
	})
}

// azureCheck runs verdict on the account's blob service properties, or
// reports why they could not be read.
func azureCheck(check string, verdict func(run *checkRun, p service.StorageServiceProperties) Finding) checkFunc {
	return func(ctx context.Context, run *checkRun) Finding {
		p, err := run.azureProps(ctx)
		if err == errNoNativeClient {
			return couldNotCheck(check, err.Error(), "", "")
		}
		if err != nil {
			return unanswered(check, "Get Blob Service Properties", azureServicePerm, err)
		}
		return verdict(run, p)
	}
}

var azureCORS = azureCheck(CheckCORS, func(run *checkRun, p service.StorageServiceProperties) Finding {
	needs, _ := run.corsNeeds()
	return azureCORSFinding(p, run.a.Account, run.opts.Origin, needs)
})

func azureCORSFinding(p service.StorageServiceProperties, account, origin string, needs []corsNeed) Finding {
	rules := azureCORSRules(p.CORS)
	problems, saw := evalCORS(rules, origin, needs, corsDialects[address.Azure])
	return corsFinding(problems, saw, azureCORSFix(account, origin, needs, rules))
}

func azureCORSRules(in []*service.CORSRule) []corsRule {
	var out []corsRule
	for _, r := range in {
		if r == nil {
			continue
		}
		out = append(out, corsRule{
			Origins: splitList(valOrZero(r.AllowedOrigins)),
			Methods: splitList(valOrZero(r.AllowedMethods)),
			Headers: splitList(valOrZero(r.AllowedHeaders)),
			Expose:  splitList(valOrZero(r.ExposedHeaders)),
			MaxAge:  int(valOrZero(r.MaxAgeInSeconds)),
		})
	}
	return out
}

// azureMaxCORSRules is how many CORS rules a blob service takes.
const azureMaxCORSRules = 5

// azureCORSFix adds byob's rule to the account's blob service: any request
// header, ETag exposed. "az storage cors add" appends it after the rules
// there are, and the first rule allowing a method answers the request
// itself: when appending would not satisfy byob (an earlier rule answers
// without exposing ETag), or the service has no room for a rule, the fix
// clears the rules first.
func azureCORSFix(account, origin string, needs []corsNeed, rules []corsRule) string {
	methods := corsMethods(needs)
	acct := " --account-name " + shellQuote(account)
	add := azureCORSAdd(account, origin, methods)
	byob := documentedCORSRule(origin, methods)
	if problems, _ := evalCORS(append(slices.Clone(rules), byob), origin, needs, corsDialects[address.Azure]); len(problems) == 0 && len(rules) < azureMaxCORSRules {
		return add + "\n(CORS rules apply to every container of the storage account)"
	}
	return "az storage cors clear --services b" + acct + "\n" + add +
		"\n(CORS rules apply to every container of the storage account: clearing removes the account's other rules, add back any you still need)"
}

var azureSoftDelete = azureCheck(CheckVersioning, func(run *checkRun, p service.StorageServiceProperties) Finding {
	return azureSoftDeleteFinding(p, run.a.Account, run.opts.GCEnabled)
})

func azureSoftDeleteFinding(p service.StorageServiceProperties, account string, gc bool) Finding {
	on, n := false, 0
	if rp := p.DeleteRetentionPolicy; rp != nil && valOrZero(rp.Enabled) {
		on, n = true, int(valOrZero(rp.Days))
	}
	saw := "blob soft delete is off"
	if on {
		saw = fmt.Sprintf("blob soft delete keeps deleted blobs %d %s", n, plural(n, "day"))
	}
	fix := "az storage blob service-properties delete-policy update --account-name " + shellQuote(account) + " --enable true --days-retained 7"
	return versioningFinding(on, saw, fix, gc)
}

func azureEncryption(_ context.Context, run *checkRun) Finding {
	if run.opts.KMSKeyID == "" {
		return okFinding(CheckEncryption, "not required: no KMS key named")
	}
	return couldNotCheck(CheckEncryption,
		"customer-managed keys are a storage account setting that the blob API does not show",
		"Microsoft.Storage/storageAccounts/read",
		"look by hand: az storage account show --name "+shellQuote(run.a.Account)+" --query encryption")
}

func azureLifecycle(_ context.Context, run *checkRun) Finding {
	return couldNotCheck(CheckLifecycle,
		"lifecycle management policies are a storage account setting that the blob API does not show",
		"Microsoft.Storage/storageAccounts/managementPolicies/read",
		"look by hand for rules that delete base blobs under the sub-path: az storage account management-policy show --account-name "+
			shellQuote(run.a.Account)+" --resource-group <resource group>")
}

// azurePurge removes the probe's previous versions, which blob versioning
// keeps after a delete. A soft-deleted copy cannot be removed before its
// retention ends; the finding says so.
func (run *checkRun) azurePurge(ctx context.Context, fullKey string) purgeResult {
	if run.h == nil || run.h.AzureContainer() == nil {
		return purgeResult{}
	}
	c := run.h.AzureContainer()
	var res purgeResult
	if p, err := run.azureProps(ctx); err == nil && p.DeleteRetentionPolicy != nil && valOrZero(p.DeleteRetentionPolicy.Enabled) {
		res.Remark = "soft delete keeps a recoverable copy of it until its retention ends"
	}
	pager := c.NewListBlobsFlatPager(&container.ListBlobsFlatOptions{Prefix: to.Ptr(fullKey), Include: container.ListBlobsInclude{Versions: true}})
	left := 0
	var lastErr error
	for pager.More() {
		page, err := pager.NextPage(ctx)
		switch checkErrKindOf(err) {
		case kindUnsupported:
			return res
		case kindDenied:
			res.Left, res.Permission = "its old versions could not be listed ("+errText(err)+")", dataPerms[address.Azure].list
			return res
		}
		if err != nil {
			res.Left = "its old versions could not be listed (" + errText(err) + ")"
			return res
		}
		if page.Segment == nil {
			continue
		}
		for _, item := range page.Segment.BlobItems {
			if item == nil || valOrZero(item.Name) != fullKey || item.VersionID == nil {
				continue
			}
			if err := deleteAzureVersion(ctx, c, fullKey, *item.VersionID); err != nil {
				left++
				lastErr = err
			}
		}
	}
	if left > 0 {
		res.Left = remainText(left, "version") + " (" + errText(lastErr) + ")"
		res.Permission = permIfDenied(lastErr, "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/deleteBlobVersion/action")
	}
	return res
}

func deleteAzureVersion(ctx context.Context, c *container.Client, name, version string) error {
	bc, err := c.NewBlobClient(name).WithVersionID(version)
	if err != nil {
		return err
	}
	_, err = bc.Delete(ctx, nil)
	if provider.Code(err) == gcerrors.NotFound { // gone already
		return nil
	}
	return err
}

// valOrZero dereferences the SDK's optional fields.
func valOrZero[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}
