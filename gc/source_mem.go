package gc

import (
	"context"
	"iter"
	"slices"
	"sync"
)

// MemServer is a reference implementation of the server's side of the
// Source contract, in memory: artifact versions that upload files or
// deduplicate against existing ones, commit their manifests, and get
// deleted, while a collector streams live keys and claims the rest. It is
// what byob's own randomized tests and CLI run against, and a model of
// what a server must do: each method is one transaction (one mutex).
//
// A version goes through pending (Upload, Reuse), then Commit or Abort,
// and a committed version through Delete. A key is live while a committed,
// undeleted version names it, and in flight while a pending version does.
type MemServer struct {
	prefix string

	mu       sync.Mutex
	versions map[string]*memVersion
	refs     map[string]int // key → committed, undeleted versions naming it
	inFlight map[string]int // key → pending versions naming it
	claimed  map[string]struct{}
}

type memVersion struct {
	keys  []string
	state memState
}

type memState int

const (
	memPending memState = iota
	memCommitted
	memAborted
	memDeleted
)

// NewMemServer returns an empty server whose keys live under dataPrefix
// (for sharding).
func NewMemServer(dataPrefix string) *MemServer {
	return &MemServer{prefix: dataPrefix, versions: map[string]*memVersion{}, refs: map[string]int{},
		inFlight: map[string]int{}, claimed: map[string]struct{}{}}
}

// Upload records that pending version (created on first use) uploads a
// file under key: a presigned PUT is issued, and key is in flight until
// the version commits or aborts. A claimed key is refused with ErrClaimed:
// the version must upload under a key of its own.
func (s *MemServer) Upload(version, key string) error { return s.add("upload", version, key) }

// Reuse records that pending version (created on first use) deduplicates
// against the existing file key instead of uploading it. A claimed key is
// refused with ErrClaimed: the version must upload the content again,
// under a key of its own. The check and the record are one transaction, so
// no claim slips between them.
func (s *MemServer) Reuse(version, key string) error { return s.add("reuse", version, key) }

func (s *MemServer) add(op, version, key string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.claimed[key]; ok {
		return &Error{Op: op, Kind: ErrClaimed, Key: key,
			Detail: quote(key) + " is claimed by the collector and will be deleted",
			Fix:    "upload the content under a key of the version's own"}
	}
	v := s.versions[version]
	if v == nil {
		v = &memVersion{}
		s.versions[version] = v
	}
	if v.state != memPending {
		return s.stateError(op, version, v.state)
	}
	if slices.Contains(v.keys, key) {
		return nil
	}
	v.keys = append(v.keys, key)
	s.inFlight[key]++
	return nil
}

// Commit commits a pending version's manifest: its keys become live.
func (s *MemServer) Commit(version string) error {
	return s.move("commit", version, memPending, memCommitted, func(k string) {
		s.release(k)
		s.refs[k]++
	})
}

// Abort gives up a pending version (or lets its uploads expire): its keys
// are no longer in flight, and are garbage unless something else names
// them.
func (s *MemServer) Abort(version string) error {
	return s.move("abort", version, memPending, memAborted, s.release)
}

// Delete deletes a committed version (the product's soft delete): its
// keys are no longer live through it.
func (s *MemServer) Delete(version string) error {
	return s.move("delete", version, memCommitted, memDeleted, func(k string) {
		if s.refs[k]--; s.refs[k] == 0 {
			delete(s.refs, k)
		}
	})
}

func (s *MemServer) release(k string) {
	if s.inFlight[k]--; s.inFlight[k] == 0 {
		delete(s.inFlight, k)
	}
}

// move changes a version's state from one to another, applying each to
// its keys.
func (s *MemServer) move(op, version string, from, to memState, each func(string)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	v := s.versions[version]
	if v == nil {
		return &Error{Op: op, Kind: ErrInvalid, Detail: "no version " + quote(version)}
	}
	if v.state != from {
		return s.stateError(op, version, v.state)
	}
	for _, k := range v.keys {
		each(k)
	}
	v.state = to
	return nil
}

func (s *MemServer) stateError(op, version string, st memState) error {
	names := map[memState]string{memPending: "pending", memCommitted: "committed", memAborted: "aborted", memDeleted: "deleted"}
	return &Error{Op: op, Kind: ErrInvalid, Detail: "version " + quote(version) + " is " + names[st]}
}

// Referenced reports whether a committed, undeleted version names key.
func (s *MemServer) Referenced(key string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.refs[key] > 0
}

// Claimed reports whether the collector has claimed key.
func (s *MemServer) Claimed(key string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.claimed[key]
	return ok
}

// Live yields, in byte order, the keys of shard that are live or in
// flight (a superset of the live keys, which is safe), as of the call. It
// copies them at the call: memory grows with the live set, as befits a
// reference implementation, not a database.
func (s *MemServer) Live(ctx context.Context, shard Shard) iter.Seq2[string, error] {
	s.mu.Lock()
	keys := make([]string, 0, len(s.refs)+len(s.inFlight))
	for k := range s.refs {
		if shard.Contains(s.prefix, k) {
			keys = append(keys, k)
		}
	}
	for k := range s.inFlight {
		if _, live := s.refs[k]; !live && shard.Contains(s.prefix, k) {
			keys = append(keys, k)
		}
	}
	s.mu.Unlock()
	slices.Sort(keys)
	return func(yield func(string, error) bool) {
		for _, k := range keys {
			if err := ctx.Err(); err != nil {
				yield("", err)
				return
			}
			if !yield(k, nil) {
				return
			}
		}
	}
}

// Claim keeps the keys that are live or in flight, and claims the others,
// in one transaction.
func (s *MemServer) Claim(ctx context.Context, keys []string) ([]string, error) {
	return s.keep(ctx, keys, true)
}

var (
	_ Source = (*MemServer)(nil)
	_ Source = (*SetSource)(nil)
)

// Check is Claim without the claim, for a dry run: it returns the keys
// that are live or in flight now, and records nothing.
func (s *MemServer) Check(ctx context.Context, keys []string) ([]string, error) {
	return s.keep(ctx, keys, false)
}

// keep returns the keys that are live or in flight, and claims the others
// if claim is set: Claim and Check share it so that a dry run keeps what a
// run would.
func (s *MemServer) keep(ctx context.Context, keys []string, claim bool) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var kept []string
	for _, k := range keys {
		switch {
		case s.refs[k] > 0 || s.inFlight[k] > 0:
			kept = append(kept, k)
		case claim:
			s.claimed[k] = struct{}{}
		}
	}
	return kept, nil
}

var _ Checker = (*MemServer)(nil)
