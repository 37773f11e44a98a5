package scope

import (
	"strconv"
	"strings"

	"github.com/byobkit/byob/address"
)

// matchesEntry reports whether a team bucket is allowed by one entry of the
// supported-stores list. The entry pins the service: the family
// (address.Rules.Family, so that s3:// to a CoreWeave endpoint counts as
// cw://) and the service identity (address.ServiceID) must match, and an
// entry without an endpoint means the provider's own service (AWS, GCS,
// Azure, CoreWeave), never some other server that speaks its protocol. The
// account, bucket and sub-path must match where the entry names them (a
// sub-path allows itself and everything below it); credentials are not
// compared. A bare entry such as "cw://" allows any bucket of its family on
// its own service.
func matchesEntry(entry, a *address.Address) bool {
	if entry.Flavor().Rules().Family != a.Flavor().Rules().Family || entry.ServiceID() != a.ServiceID() {
		return false
	}
	if entry.IsBare() {
		return true
	}
	if entry.Account != "" && entry.Account != a.Account {
		return false
	}
	if entry.Bucket != "" && entry.Bucket != a.Bucket {
		return false
	}
	return entry.Path == "" || a.Path == entry.Path || strings.HasPrefix(a.Path, entry.Path+"/")
}

// supportedStoresVariable is the setting that holds the instance's
// supported-stores list, named in the fixes of ErrNotSupportedStore.
const supportedStoresVariable = "GORILLA_SUPPORTED_FILE_STORES"

// checkSupported applies the supported-stores list. An empty list allows
// everything the availability matrix allows, except on a self-managed
// instance, whose team buckets must be listed unless Config.AnyStore.
func (r *Registry) checkSupported(a *address.Address) error {
	list := r.cfg.SupportedStores
	entry := a.WithoutCredentials().String()
	if len(list) == 0 {
		if r.cfg.Deployment != SelfManaged || r.cfg.AnyStore {
			return nil
		}
		return &Error{Op: "check supported stores", Kind: ErrNotSupportedStore,
			Detail: "self-managed instances accept only team buckets listed in " + supportedStoresVariable + ", and the list is empty",
			Fix: "set " + supportedStoresVariable + " to " + entry + " (add it to the list; entries are separated by commas or spaces), " +
				"then create the team again; a deployment that wants no list sets scope.Config.AnyStore"}
	}
	for _, e := range list {
		if matchesEntry(e, a) {
			return nil
		}
	}
	return &Error{Op: "check supported stores", Kind: ErrNotSupportedStore,
		Detail: a.String() + " matches none of the " + plural(len(list), "entry", "entries") + " of the supported-stores list",
		Fix: "use a bucket the list names, or add " + entry + " to " + supportedStoresVariable +
			" (entries are separated by commas or spaces; a bare scheme such as cw:// allows any bucket of that provider on its own service)"}
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}
