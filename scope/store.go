package scope

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"

	"github.com/byobkit/byob/address"
)

// Record is one team's storage, as a Store keeps it: where the team's files
// live, and apart from it the keys that reach them, so that a Store can keep
// the secret elsewhere (encrypted by the server's database, in a secrets
// manager) and replace it alone when the keys rotate.
//
// Persist the fields themselves: Storage.URL() (read back with
// address.Parse) and Credentials' two strings. Every printer of a Record
// (fmt, log/slog, encoding/json) is redacted, so json.Marshal(rec) does not
// keep the keys.
type Record struct {
	Team string
	// Storage is the team's bucket and sub-path, without credentials; nil
	// means the instance's storage. The registry refuses a record whose
	// Storage carries credentials (they belong in Credentials).
	Storage *address.Address
	// Credentials are the keys for Storage; zero when Storage is nil or
	// the team uses the server's ambient identity.
	Credentials address.Credentials
}

// clone returns a copy that shares nothing mutable with r.
func (r Record) clone() Record {
	if r.Storage != nil {
		a := *r.Storage
		r.Storage = &a
	}
	return r
}

// address returns the full address the record's storage is opened with.
func (r Record) address() *address.Address {
	return r.Storage.WithCredentials(r.Credentials)
}

// String describes the record, redacted.
func (r Record) String() string {
	s := "scope.Record{Team: " + quote(r.Team) + ", Storage: "
	if r.Storage == nil {
		s += "the instance's"
	} else {
		s += r.Storage.String()
	}
	if !r.Credentials.IsZero() {
		s += ", Credentials: " + address.Redacted
	}
	return s + "}"
}

// GoString is String, so that %#v prints no key.
func (r Record) GoString() string { return r.String() }

// Format prints String under every verb.
func (r Record) Format(f fmt.State, _ rune) { fmt.Fprint(f, r.String()) }

// LogValue makes log/slog print String.
func (r Record) LogValue() slog.Value { return slog.StringValue(r.String()) }

// MarshalJSON encodes the record redacted: it is for logs, not for storage.
func (r Record) MarshalJSON() ([]byte, error) {
	v := struct {
		Team        string `json:"team"`
		Storage     string `json:"storage,omitempty"`
		Credentials string `json:"credentials,omitempty"`
	}{Team: r.Team}
	if r.Storage != nil {
		v.Storage = r.Storage.String()
	}
	if !r.Credentials.IsZero() {
		v.Credentials = address.Redacted
	}
	return json.Marshal(v)
}

// Store keeps the registry's team records, so that a server can keep them in
// its own database. A record's storage never changes and records are never
// deleted through the registry: the only update replaces a team's
// credentials, and the registry checks inside it (validate) that the
// storage stays the same. Implementations must be safe for concurrent use;
// package storetest checks one.
type Store interface {
	// Create adds rec unless a record for rec.Team exists. Atomically with
	// the insertion (one lock or transaction), it calls validate with every
	// current record; when validate returns an error, Create returns that
	// error and writes nothing. validate does no I/O: it compares records
	// (overlap, existence), so it is cheap inside a transaction. When a
	// record for rec.Team exists after validate, Create returns an error
	// wrapping ErrExists and writes nothing.
	Create(ctx context.Context, rec Record, validate func(existing []Record) error) error
	// Get returns the record of team, or an error wrapping ErrNotFound.
	Get(ctx context.Context, team string) (Record, error)
	// List returns every record, in no particular order.
	List(ctx context.Context) ([]Record, error)
	// SetCredentials replaces the credentials of team's record with c and
	// changes nothing else. Atomically with the replacement, it calls
	// validate with the current record; when validate returns an error,
	// SetCredentials returns that error and writes nothing. validate does
	// no I/O. An unknown team is an error wrapping ErrNotFound, and nothing
	// is written.
	SetCredentials(ctx context.Context, team string, c address.Credentials, validate func(current Record) error) error
}

// MemStore is a Store in process memory, for tests and single-process
// servers that recreate their teams at start. It prints redacted.
type MemStore struct {
	mu    sync.Mutex
	teams map[string]sealed
}

// sealed is a Record as MemStore holds it. fmt prints the unexported fields
// of a copied MemStore raw, without calling any method (under %s even the
// targets of pointers), but it prints a func as its address under every
// verb: sealed in one, a record's keys reach no printer.
type sealed func() Record

func seal(r Record) sealed {
	r = r.clone()
	return func() Record { return r.clone() }
}

// NewMemStore returns an empty MemStore.
func NewMemStore() *MemStore { return &MemStore{teams: map[string]sealed{}} }

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
		return existsError(rec.Team, "")
	}
	s.teams[rec.Team] = seal(rec)
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
	return rec(), nil
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

// SetCredentials implements Store.
func (s *MemStore) SetCredentials(ctx context.Context, team string, c address.Credentials, validate func(Record) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.teams[team]
	if !ok {
		return notFoundError(team)
	}
	rec := m()
	if err := validate(rec.clone()); err != nil {
		return err
	}
	rec.Credentials = c
	s.teams[team] = seal(rec)
	return nil
}

// list returns copies of the records sorted by team; s.mu is held.
func (s *MemStore) list() []Record {
	out := make([]Record, 0, len(s.teams))
	for _, r := range s.teams {
		out = append(out, r())
	}
	sortRecords(out)
	return out
}

// String describes the store without its records.
func (s *MemStore) String() string {
	s.mu.Lock()
	n := len(s.teams)
	s.mu.Unlock()
	return "scope.MemStore(" + plural(n, "team", "teams") + ")"
}

// GoString is String, so that %#v prints no key.
func (s *MemStore) GoString() string { return s.String() }

// Format prints String under every verb.
func (s *MemStore) Format(f fmt.State, _ rune) { fmt.Fprint(f, s.String()) }

// LogValue makes log/slog print String.
func (s *MemStore) LogValue() slog.Value { return slog.StringValue(s.String()) }

// MarshalJSON encodes String: the records are not for logs.
func (s *MemStore) MarshalJSON() ([]byte, error) { return json.Marshal(s.String()) }

func sortRecords(rs []Record) {
	slices.SortFunc(rs, func(a, b Record) int { return strings.Compare(a.Team, b.Team) })
}

// existsError refuses to create a team that exists with this storage; note
// says more (e.g. that the credentials differ).
func existsError(team, note string) error {
	e := &Error{Op: "create team", Team: team, Kind: ErrExists, Detail: "the store already holds this team"}
	if note != "" {
		e.Detail += " " + note
	}
	return e
}

func notFoundError(team string) error {
	return &Error{Op: "get team", Team: team, Kind: ErrNotFound, Detail: "the store holds no such team",
		Fix: "create the team first (scope.Registry.CreateTeam)"}
}
