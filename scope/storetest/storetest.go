// Package storetest checks a scope.Store implementation: one suite that
// byob's MemStore and FileStore pass, and that a server's own database-backed
// Store should pass too.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/byobkit/byob/address"
	"github.com/byobkit/byob/scope"
)

// secretAddress carries credentials with characters that need escaping, so
// that a store which keeps the redacted form, or mangles escapes, fails.
const secretAddress = "s3://AKIASTORETEST:se%2Fcr%2Bet%3D@minio.local:9000/bkt/teams/a?region=us-east-1"

// Run runs the suite. newStore must return a new, empty store each call.
func Run(t *testing.T, newStore func(t *testing.T) scope.Store) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { c.run(t, newStore(t)) })
	}
}

var cases = []struct {
	name string
	run  func(t *testing.T, s scope.Store)
}{
	{"get of an unknown team is ErrNotFound", getUnknown},
	{"create then get round-trips the address with its secret", roundTrip},
	{"a team without storage round-trips as nil storage", instanceRecord},
	{"create of an existing team is ErrExists and keeps the first record", duplicate},
	{"a validate error is returned and nothing is written", validateRefuses},
	{"validate sees every existing record", validateSees},
	{"list returns every record", list},
	{"concurrent creates of one team: exactly one wins", concurrentSameTeam},
	{"concurrent validated creates see each other", concurrentValidated},
	{"a cancelled context writes nothing", cancelled},
	{"records handed out are copies", copies},
}

func none([]scope.Record) error { return nil }

func mustParse(t *testing.T, s string) *address.Address {
	t.Helper()
	a, err := address.Parse(s)
	if err != nil {
		t.Fatalf("parse test address: %v", err)
	}
	return a
}

func mustCreate(t *testing.T, s scope.Store, rec scope.Record) {
	t.Helper()
	if err := s.Create(context.Background(), rec, none); err != nil {
		t.Fatalf("Create(%s): %v", rec.Team, err)
	}
}

// teams lists the stored team names, sorted.
func teams(t *testing.T, s scope.Store) []string {
	t.Helper()
	recs, err := s.List(context.Background())
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	var names []string
	for _, r := range recs {
		names = append(names, r.Team)
	}
	slices.Sort(names)
	return names
}

func getUnknown(t *testing.T, s scope.Store) {
	_, err := s.Get(context.Background(), "nobody")
	if !errors.Is(err, scope.ErrNotFound) {
		t.Fatalf("Get(unknown) = %v, want ErrNotFound", err)
	}
}

func roundTrip(t *testing.T, s scope.Store) {
	a := mustParse(t, secretAddress)
	mustCreate(t, s, scope.Record{Team: "omega", Storage: a})
	got, err := s.Get(context.Background(), "omega")
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	if got.Team != "omega" || got.Storage == nil || got.Storage.URL() != a.URL() {
		t.Fatalf("Get returned team %q storage %v; want omega with the same address and secret", got.Team, got.Storage)
	}
}

func instanceRecord(t *testing.T, s scope.Store) {
	mustCreate(t, s, scope.Record{Team: "kappa"})
	got, err := s.Get(context.Background(), "kappa")
	if err != nil || got.Storage != nil {
		t.Fatalf("Get = %v, %v; want nil storage", got.Storage, err)
	}
}

func duplicate(t *testing.T, s scope.Store) {
	first := mustParse(t, "mem://first/a")
	mustCreate(t, s, scope.Record{Team: "omega", Storage: first})
	err := s.Create(context.Background(), scope.Record{Team: "omega", Storage: mustParse(t, "mem://second")}, none)
	if !errors.Is(err, scope.ErrExists) {
		t.Fatalf("second Create = %v, want ErrExists", err)
	}
	got, err := s.Get(context.Background(), "omega")
	if err != nil || got.Storage.URL() != first.URL() {
		t.Fatalf("after a refused create, Get = %v, %v; want the first storage", got.Storage, err)
	}
}

func validateRefuses(t *testing.T, s scope.Store) {
	mustCreate(t, s, scope.Record{Team: "kappa"})
	refuse := errors.New("refused by validate")
	err := s.Create(context.Background(), scope.Record{Team: "omega"}, func([]scope.Record) error { return refuse })
	if !errors.Is(err, refuse) {
		t.Fatalf("Create = %v, want the validate error", err)
	}
	if got := teams(t, s); !slices.Equal(got, []string{"kappa"}) {
		t.Fatalf("teams after a refused create = %v, want [kappa]", got)
	}
}

func validateSees(t *testing.T, s scope.Store) {
	mustCreate(t, s, scope.Record{Team: "kappa"})
	mustCreate(t, s, scope.Record{Team: "omega", Storage: mustParse(t, secretAddress)})
	var seen []string
	err := s.Create(context.Background(), scope.Record{Team: "sigma"}, func(existing []scope.Record) error {
		for _, r := range existing {
			seen = append(seen, r.Team)
			if r.Team == "omega" && (r.Storage == nil || r.Storage.URL() != mustParse(t, secretAddress).URL()) {
				t.Errorf("validate saw omega's storage as %v, want the stored address", r.Storage)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	slices.Sort(seen)
	if !slices.Equal(seen, []string{"kappa", "omega"}) {
		t.Fatalf("validate saw %v, want [kappa omega]", seen)
	}
}

func list(t *testing.T, s scope.Store) {
	if got := teams(t, s); len(got) != 0 {
		t.Fatalf("empty store lists %v", got)
	}
	for _, n := range []string{"b", "a", "c"} {
		mustCreate(t, s, scope.Record{Team: n})
	}
	if got := teams(t, s); !slices.Equal(got, []string{"a", "b", "c"}) {
		t.Fatalf("List = %v, want [a b c]", got)
	}
}

func concurrentSameTeam(t *testing.T, s scope.Store) {
	const n = 8
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			a := mustParse(t, fmt.Sprintf("mem://b%d", i))
			errs[i] = s.Create(context.Background(), scope.Record{Team: "omega", Storage: a}, none)
		})
	}
	wg.Wait()
	wins := 0
	for _, err := range errs {
		switch {
		case err == nil:
			wins++
		case !errors.Is(err, scope.ErrExists):
			t.Errorf("Create = %v, want nil or ErrExists", err)
		}
	}
	if wins != 1 {
		t.Fatalf("%d creates of one team succeeded, want 1", wins)
	}
}

// concurrentValidated checks that validate and the insertion are atomic: each
// create refuses when any team exists, so exactly one of them may succeed.
func concurrentValidated(t *testing.T, s scope.Store) {
	const n = 8
	taken := errors.New("another team exists")
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			errs[i] = s.Create(context.Background(), scope.Record{Team: fmt.Sprintf("t%d", i)}, func(existing []scope.Record) error {
				if len(existing) > 0 {
					return taken
				}
				return nil
			})
		})
	}
	wg.Wait()
	wins := 0
	for _, err := range errs {
		switch {
		case err == nil:
			wins++
		case !errors.Is(err, taken):
			t.Errorf("Create = %v, want nil or the validate error", err)
		}
	}
	if wins != 1 || len(teams(t, s)) != 1 {
		t.Fatalf("%d creates succeeded and %d teams are stored; want 1 and 1", wins, len(teams(t, s)))
	}
}

func cancelled(t *testing.T, s scope.Store) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := s.Create(ctx, scope.Record{Team: "omega"}, none)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Create with a cancelled context = %v, want context.Canceled", err)
	}
	if got := teams(t, s); len(got) != 0 {
		t.Fatalf("teams after a cancelled create = %v, want none", got)
	}
}

func copies(t *testing.T, s scope.Store) {
	a := mustParse(t, "mem://first/a")
	rec := scope.Record{Team: "omega", Storage: a}
	mustCreate(t, s, rec)
	a.Bucket = "changed-after-create"
	got, err := s.Get(context.Background(), "omega")
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	got.Storage.Bucket = "changed-after-get"
	again, err := s.Get(context.Background(), "omega")
	if err != nil || again.Storage.Bucket != "first" {
		t.Fatalf("stored bucket = %v, %v; want first (the store must copy records)", again.Storage, err)
	}
}
