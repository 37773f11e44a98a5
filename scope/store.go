package scope

import (
	"context"
	"slices"
	"strings"
	"sync"

	"github.com/byobkit/byob/address"
)

// Record is one team's storage, as a Store keeps it.
type Record struct {
	Team string
	// Storage is the team's bucket; nil means the instance's storage.
	// It carries credentials: persist Storage.URL() (and read it back with
	// address.Parse), never json.Marshal(Storage), which is redacted, and
	// never log the URL.
	Storage *address.Address
}

// clone returns a copy that shares nothing mutable with r.
func (r Record) clone() Record {
	if r.Storage != nil {
		a := *r.Storage
		r.Storage = &a
	}
	return r
}

// Store keeps the registry's team records, so that a server can keep them in
// its own database. Records are never updated nor deleted through the
// registry: there is no such method, which is what makes team storage
// immutable whatever the store. Implementations must be safe for concurrent
// use; package storetest checks one.
type Store interface {
	// Create adds rec unless a record for rec.Team exists. Atomically with
	// the insertion (one lock or transaction), it calls validate with every
	// current record; when validate returns an error, Create returns that
	// error and writes nothing. validate does no I/O: it compares records
	// (overlap, existence), so it is cheap inside a transaction. When a record for rec.Team exists after
	// validate, Create returns an error wrapping ErrExists and writes
	// nothing.
	Create(ctx context.Context, rec Record, validate func(existing []Record) error) error
	// Get returns the record of team, or an error wrapping ErrNotFound.
	Get(ctx context.Context, team string) (Record, error)
	// List returns every record, in no particular order.
	List(ctx context.Context) ([]Record, error)
}

// MemStore is a Store in process memory, for tests and single-process
// servers that recreate their teams at start.
type MemStore struct {
	mu    sync.Mutex
	teams map[string]Record
}

// NewMemStore returns an empty MemStore.
func NewMemStore() *MemStore { return &MemStore{teams: map[string]Record{}} }

// Create implements Store.
func (s *MemStore) Create(ctx context.Context, rec Record, validate func([]Record) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := validate(s.list()); err != nil {
		return err
	}
	if _, ok := s.teams[rec.Team]; ok {
		return existsError(rec.Team)
	}
	s.teams[rec.Team] = rec.clone()
	return nil
}

// Get implements Store.
func (s *MemStore) Get(ctx context.Context, team string) (Record, error) {
	if err := ctx.Err(); err != nil {
		return Record{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	rec, ok := s.teams[team]
	if !ok {
		return Record{}, notFoundError(team)
	}
	return rec.clone(), nil
}

// List implements Store.
func (s *MemStore) List(ctx context.Context) ([]Record, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.list(), nil
}

// list returns copies of the records sorted by team; s.mu is held.
func (s *MemStore) list() []Record {
	out := make([]Record, 0, len(s.teams))
	for _, r := range s.teams {
		out = append(out, r.clone())
	}
	sortRecords(out)
	return out
}

func sortRecords(rs []Record) {
	slices.SortFunc(rs, func(a, b Record) int { return strings.Compare(a.Team, b.Team) })
}

func existsError(team string) error {
	return &Error{Op: "create team", Team: team, Kind: ErrExists, Detail: "the store already holds this team"}
}

func notFoundError(team string) error {
	return &Error{Op: "get team", Team: team, Kind: ErrNotFound, Detail: "the store holds no such team",
		Fix: "create the team first (scope.Registry.CreateTeam)"}
}
