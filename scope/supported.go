package scope

import (
	"strconv"
	"strings"

	"github.com/byobkit/byob/address"
)

// family is the provider an entry of the supported-stores list names: the
// scheme, except that an s3:// address to a CoreWeave endpoint is CoreWeave.
func family(a *address.Address) string {
	switch f := a.Flavor(); {
	case a.Provider == address.CoreWeave, f == address.FlavorCoreWeave, f == address.FlavorCoreWeaveLOTA:
		return "coreweave"
	}
	return string(a.Provider)
}

// matchesEntry reports whether a team bucket is allowed by one entry of the
// supported-stores list. The provider must match; the endpoint, account,
// bucket and sub-path must match when the entry names them (a sub-path allows
// itself and everything below it); credentials are not compared. A bare
// entry such as "cw://" allows any bucket of its provider.
func matchesEntry(entry, a *address.Address) bool {
	if family(entry) != family(a) {
		return false
	}
	if entry.IsBare() {
		return true
	}
	if entry.Endpoint != "" && endpointID(entry) != endpointID(a) {
		return false // endpointID knows that every AWS endpoint reaches the same buckets
	}
	if entry.Account != "" && entry.Account != a.Account {
		return false
	}
	if entry.Bucket != "" && entry.Bucket != a.Bucket {
		return false
	}
	return entry.Path == "" || a.Path == entry.Path || strings.HasPrefix(a.Path, entry.Path+"/")
}

// checkSupported applies the supported-stores list; an empty list allows
// everything the availability matrix allows.
func checkSupported(list []*address.Address, a *address.Address) error {
	if len(list) == 0 {
		return nil
	}
	for _, e := range list {
		if matchesEntry(e, a) {
			return nil
		}
	}
	return &Error{Op: "check supported stores", Kind: ErrNotSupportedStore,
		Detail: a.String() + " matches none of the " + plural(len(list), "entry", "entries") + " of the supported-stores list",
		Fix:    "use a bucket the list names, or add it to GORILLA_SUPPORTED_FILE_STORES (a bare scheme such as cw:// allows any bucket of that provider)"}
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}
