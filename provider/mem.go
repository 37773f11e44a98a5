package provider

import (
	"sync"

	"gocloud.dev/blob"
	"gocloud.dev/blob/memblob"
)

// memStores is the registry of in-process buckets behind mem:// addresses:
// the same name opens the same store for the life of the process, so a demo
// or a test can open the instance bucket twice and see the same objects.
// It is the package's one deliberate process-wide state. Stores are never
// freed; mem:// is for tests and demos, not for data that must survive.
var memStores = struct {
	sync.Mutex
	m map[string]*blob.Bucket
}{m: map[string]*blob.Bucket{}}

// openMem returns a new handle on the named in-process store, unrooted.
//
// Each memblob.OpenBucket call makes a separate store, so the registry keeps
// one *blob.Bucket per name and hands out handles made by
// blob.PrefixedBucket on its driver (with an empty prefix: Open roots it).
// PrefixedBucket marks the registry's own handle closed, which does not
// matter: it is never used directly. Closing a handed-out bucket closes
// only that handle (memblob's Close discards nothing), so the store
// outlives every handle.
func openMem(name string) *blob.Bucket {
	memStores.Lock()
	defer memStores.Unlock()
	base, ok := memStores.m[name]
	if !ok {
		base = memblob.OpenBucket(nil)
		memStores.m[name] = base
	}
	return blob.PrefixedBucket(base, "")
}
