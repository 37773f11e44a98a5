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

// storage is a team's location as the registry hands it to a Store:
// without credentials, which travel apart in Record.Credentials.
const storage = "s3://minio.local:9000/bkt/teams/a?region=us-east-1"

// secret holds characters that need escaping in a URL or a JSON string, so
// that a store which keeps a redacted form, or mangles escapes, fails.
var secret = address.Credentials{AccessKey: "AKIASTORETEST", Secret: `se/cr+et=%2F:@"\`}

// rotated is another set of keys for the same location.
var rotated = address.Credentials{AccessKey: "AKIAROTATED", Secret: "n3w/s3cr3t+k3y="}

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
	{"create then get round-trips the storage and, apart, its credentials", roundTrip},
	{"a team without storage round-trips as nil storage", instanceRecord},
	{"create of an existing team is ErrExists and keeps the first record", duplicate},
	{"a validate error is returned and nothing is written", validateRefuses},
	{"validate sees every existing record", validateSees},
	{"list returns every record", list},
	{"concurrent creates of one team: exactly one wins", concurrentSameTeam},
	{"concurrent validated creates see each other", concurrentValidated},
	{"a cancelled context writes nothing", cancelled},
	{"records handed out are copies", copies},
	{"set credentials replaces them and nothing else", setCredentials},
	{"set credentials of an unknown team is ErrNotFound and writes nothing", setCredentialsUnknown},
	{"a set-credentials validate error is returned and nothing is written", setCredentialsRefused},
	{"set-credentials validate sees the current record", setCredentialsSees},
	{"concurrent set-credentials of one team are serialised: none is lost", concurrentSetCredentials},
	{"set credentials beside concurrent creates loses no record", setCredentialsBesideCreates},
	{"a cancelled context sets no credentials", setCredentialsCancelled},
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

// omega is team omega's record with its secret credentials.
func omega(t *testing.T) scope.Record {
	return scope.Record{Team: "omega", Storage: mustParse(t, storage), Credentials: secret}
}

// wantRecord fails unless team's stored record has storage at and
// credentials c.
func wantRecord(t *testing.T, s scope.Store, team, at string, c address.Credentials) {
	t.Helper()
	got, err := s.Get(context.Background(), team)
	if err != nil {
		t.Fatalf("Get(%s): %v", team, err)
	}
	if got.Team != team || got.Storage == nil || got.Storage.URL() != mustParse(t, at).URL() {
		t.Fatalf("Get(%s) returned team %q storage %v; want the storage %s", team, got.Team, got.Storage, at)
	}
	if got.Credentials != c {
		t.Fatalf("Get(%s) returned other credentials (access key %q); want access key %q and the same secret",
			team, got.Credentials.AccessKey, c.AccessKey)
	}
}

func roundTrip(t *testing.T, s scope.Store) {
	mustCreate(t, s, omega(t))
	wantRecord(t, s, "omega", storage, secret)
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
	mustCreate(t, s, omega(t))
	var seen []string
	err := s.Create(context.Background(), scope.Record{Team: "sigma"}, func(existing []scope.Record) error {
		for _, r := range existing {
			seen = append(seen, r.Team)
			if r.Team == "omega" && (r.Storage == nil || r.Storage.URL() != mustParse(t, storage).URL() || r.Credentials != secret) {
				t.Errorf("validate saw omega's storage as %v, want the stored address and credentials", r.Storage)
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

func setCredentials(t *testing.T, s scope.Store) {
	mustCreate(t, s, omega(t))
	mustCreate(t, s, scope.Record{Team: "sigma", Storage: mustParse(t, "mem://sigma"), Credentials: secret})
	if err := s.SetCredentials(context.Background(), "omega", rotated, func(scope.Record) error { return nil }); err != nil {
		t.Fatalf("SetCredentials: %v", err)
	}
	wantRecord(t, s, "omega", storage, rotated)
	wantRecord(t, s, "sigma", "mem://sigma", secret)
	// The same keys again are a valid rotation.
	if err := s.SetCredentials(context.Background(), "omega", rotated, func(scope.Record) error { return nil }); err != nil {
		t.Fatalf("SetCredentials with the same keys: %v", err)
	}
	wantRecord(t, s, "omega", storage, rotated)
}

func setCredentialsUnknown(t *testing.T, s scope.Store) {
	mustCreate(t, s, omega(t))
	called := false
	err := s.SetCredentials(context.Background(), "nobody", rotated, func(scope.Record) error { called = true; return nil })
	if !errors.Is(err, scope.ErrNotFound) {
		t.Fatalf("SetCredentials(unknown) = %v, want ErrNotFound", err)
	}
	if called {
		t.Errorf("validate was called for an unknown team")
	}
	if got := teams(t, s); !slices.Equal(got, []string{"omega"}) {
		t.Fatalf("teams after SetCredentials(unknown) = %v, want [omega]", got)
	}
	wantRecord(t, s, "omega", storage, secret)
}

func setCredentialsRefused(t *testing.T, s scope.Store) {
	mustCreate(t, s, omega(t))
	refuse := errors.New("refused by validate")
	err := s.SetCredentials(context.Background(), "omega", rotated, func(scope.Record) error { return refuse })
	if !errors.Is(err, refuse) {
		t.Fatalf("SetCredentials = %v, want the validate error", err)
	}
	wantRecord(t, s, "omega", storage, secret)
}

func setCredentialsSees(t *testing.T, s scope.Store) {
	mustCreate(t, s, omega(t))
	var seen scope.Record
	err := s.SetCredentials(context.Background(), "omega", rotated, func(cur scope.Record) error { seen = cur; return nil })
	if err != nil {
		t.Fatalf("SetCredentials: %v", err)
	}
	if seen.Team != "omega" || seen.Storage == nil || seen.Storage.URL() != mustParse(t, storage).URL() || seen.Credentials != secret {
		t.Fatalf("validate saw team %q storage %v, want omega's record before the change", seen.Team, seen.Storage)
	}
}

// concurrentSetCredentials checks that validate and the replacement are
// atomic: each rotation records the credentials its validate saw, so the
// keys seen form one chain from the first keys to the last written, with
// no keys seen twice (two rotations reading the same state, one lost).
func concurrentSetCredentials(t *testing.T, s scope.Store) {
	mustCreate(t, s, omega(t))
	const n = 8
	seen := make([]address.Credentials, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			c := address.Credentials{AccessKey: fmt.Sprintf("AKIA%d", i), Secret: fmt.Sprintf("secret/%d", i)}
			errs[i] = s.SetCredentials(context.Background(), "omega", c, func(cur scope.Record) error {
				seen[i] = cur.Credentials // the last call is the one that counts, should a store retry
				return nil
			})
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("SetCredentials %d: %v", i, err)
		}
	}
	got, err := s.Get(context.Background(), "omega")
	if err != nil {
		t.Fatal(err)
	}
	// Every written key but the last must be seen exactly once, and the
	// first keys exactly once.
	count := map[string]int{}
	for _, c := range seen {
		count[c.AccessKey]++
	}
	want := map[string]int{secret.AccessKey: 1}
	for i := range n {
		if k := fmt.Sprintf("AKIA%d", i); k != got.Credentials.AccessKey {
			want[k] = 1
		}
	}
	if len(want) != n || got.Credentials.Secret != "secret/"+got.Credentials.AccessKey[len("AKIA"):] {
		t.Fatalf("the stored keys are %q, not one of the rotations' whole", got.Credentials.AccessKey)
	}
	if fmt.Sprint(count) != fmt.Sprint(want) {
		t.Fatalf("the validates saw the access keys %v; want each earlier state once, %v (a rotation was lost or not atomic)", count, want)
	}
}

func setCredentialsBesideCreates(t *testing.T, s scope.Store) {
	mustCreate(t, s, omega(t))
	const n = 8
	errs := make([]error, 2*n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			errs[i] = s.Create(context.Background(), scope.Record{Team: fmt.Sprintf("t%d", i)}, none)
		})
		wg.Go(func() {
			errs[n+i] = s.SetCredentials(context.Background(), "omega", rotated, func(scope.Record) error { return nil })
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatalf("a concurrent call failed: %v", err)
		}
	}
	if got := teams(t, s); len(got) != n+1 {
		t.Fatalf("teams = %v, want omega and %d others", got, n)
	}
	wantRecord(t, s, "omega", storage, rotated)
}

func setCredentialsCancelled(t *testing.T, s scope.Store) {
	mustCreate(t, s, omega(t))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := s.SetCredentials(ctx, "omega", rotated, func(scope.Record) error { return nil })
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("SetCredentials with a cancelled context = %v, want context.Canceled", err)
	}
	wantRecord(t, s, "omega", storage, secret)
}
