package presign

import (
	"hash/maphash"
	"net/http"
	"sync"
	"time"
)

// WithReuseWindow makes the Signer sign at the current time truncated to
// window and keep up to maxEntries results: the same request (location,
// key, options and user) asked for again within the window gets the same
// URL, which browsers can cache, at the cost of a map look-up. A URL then
// lives up to window less than asked (it is signed at the window's start);
// keep window well under the shortest expiry (at most a few minutes).
// An entry is dropped when its window ends, its credentials change or it
// expires. window <= 0 or maxEntries <= 0 turns reuse off.
func WithReuseWindow(window time.Duration, maxEntries int) Option {
	return func(s *Signer) {
		if window <= 0 || maxEntries <= 0 {
			s.window, s.cache = 0, nil
			return
		}
		s.window = window
		s.cache = newReuseCache(maxEntries)
	}
}

const reuseShards = 16

// reuseCache is a bounded, sharded map from request identity to signed
// request. Its key holds the location's state pointer, the key and the
// options, never a credential.
type reuseCache struct {
	seed     maphash.Seed
	perShard int
	shards   [reuseShards]reuseShard
}

type reuseShard struct {
	mu sync.Mutex
	m  map[reuseKey]reuseEntry
	_  [40]byte // keeps shards on separate cache lines
}

type reuseKey struct {
	st  *locState
	key string
	o   Options
}

type reuseEntry struct {
	window time.Time // the signing time the request was made at
	gen    uint64    // the credentials generation it was signed with
	r      Request
}

func newReuseCache(max int) *reuseCache {
	c := &reuseCache{seed: maphash.MakeSeed(), perShard: max/reuseShards + 1}
	for i := range c.shards {
		c.shards[i].m = make(map[reuseKey]reuseEntry)
	}
	return c
}

func (c *reuseCache) shard(key string) *reuseShard {
	return &c.shards[maphash.String(c.seed, key)%reuseShards]
}

func (c *reuseCache) get(st *locState, key string, o *Options, t time.Time, gen uint64, now time.Time) (Request, bool) {
	sh := c.shard(key)
	sh.mu.Lock()
	e, ok := sh.m[reuseKey{st, key, *o}]
	sh.mu.Unlock()
	if !ok || !e.window.Equal(t) || e.gen != gen || !now.Before(e.r.Expires) {
		return Request{}, false
	}
	r := e.r
	if r.Header != nil {
		r.Header = r.Header.Clone() // the caller may change its copy
	}
	return r, true
}

func (c *reuseCache) put(st *locState, key string, o *Options, t time.Time, gen uint64, r Request) {
	sh := c.shard(key)
	stored := r
	if r.Header != nil {
		stored.Header = http.Header(r.Header).Clone()
	}
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if len(sh.m) >= c.perShard {
		for k, e := range sh.m { // drop what another window made, then anything
			if !e.window.Equal(t) {
				delete(sh.m, k)
			}
		}
		for k := range sh.m {
			if len(sh.m) < c.perShard/2+1 {
				break
			}
			delete(sh.m, k)
		}
	}
	sh.m[reuseKey{st, key, *o}] = reuseEntry{window: t, gen: gen, r: stored}
}
