package scope_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/byobkit/byob/address"
	"github.com/byobkit/byob/scope"
)

const dedicatedInstance = "s3://AKIAINSTANCE:inst%2Fsecret@minio.local:9000/instance?region=us-east-1"

var registrySecrets = []string{"AKIAINSTANCE", "inst/secret", "inst%2Fsecret", "AKIATEAM", "team/secret", "team%2Fsecret"}

// TestCreateTeamRefusals: each bad input is refused by the rule the order
// says, with the exact kind, and nothing is written.
func TestCreateTeamRefusals(t *testing.T) {
	unusable := errors.New("HeadBucket: 403 Forbidden")
	cases := []struct {
		name       string
		existing   []team
		team       string
		storage    *address.Address
		supported  string
		broken     string // a bucket whose check fails besides "broken"
		kind       error
		wantChecks int // how far the rules got: the check runs third
	}{
		{name: "an empty team name", team: "", storage: nil, kind: scope.ErrInvalid},
		{name: "a team name with a path separator", team: "a/b", kind: scope.ErrInvalid},
		{name: "a team name with a newline", team: "a\nb", kind: scope.ErrInvalid},
		{name: "a team name of 129 bytes", team: strings.Repeat("a", 129), kind: scope.ErrInvalid},
		{name: "a bare storage address", team: "omega", storage: &address.Address{Provider: address.CoreWeave}, kind: scope.ErrInvalid},
		{name: "a hand-built address not in the form Parse gives", team: "omega", storage: &address.Address{Provider: address.S3,
			Endpoint: "MINIO.local:9000", Bucket: "team-bkt", Region: "us-east-1", AccessKey: "AKIATEAM", Secret: "team/secret"}, kind: scope.ErrInvalid},
		{name: "not available comes before the supported-stores list", team: "omega", supported: "gs://somebucket",
			storage: mustParse(t, "mem://omega"), kind: scope.ErrNotAvailable},
		{name: "CoreWeave refused by a list of S3 buckets", team: "omega", supported: "s3://team-bkt",
			storage: mustParse(t, "cw://team-bkt.cwobject.com"), kind: scope.ErrNotSupportedStore},
		{name: "a bucket whose check fails", team: "omega",
			storage: mustParse(t, "s3://AKIATEAM:team%2Fsecret@minio.local:9000/broken?region=us-east-1"), kind: scope.ErrUnusable, wantChecks: 1},
		{name: "unusable comes before overlap", team: "omega", broken: "instance",
			storage: mustParse(t, "s3://AKIATEAM:team%2Fsecret@minio.local:9000/instance/x?region=us-east-1"), kind: scope.ErrUnusable, wantChecks: 1},
		{name: "overlap comes before exists", existing: []team{{"omega", "s3://ak:sk@minio.local:9000/team/omega?region=us-east-1"}},
			team: "omega", storage: mustParse(t, "s3://AKIATEAM:team%2Fsecret@minio.local:9000/instance/x?region=us-east-1"), kind: scope.ErrOverlap, wantChecks: 2},
		{name: "an existing team with the same bucket", existing: []team{{"omega", "s3://ak:sk@minio.local:9000/team/omega?region=us-east-1"}},
			team: "omega", storage: mustParse(t, "s3://ak:sk@minio.local:9000/team/omega?region=us-east-1"), kind: scope.ErrExists, wantChecks: 2},
		{name: "an existing team with another bucket", existing: []team{{"omega", "s3://ak:sk@minio.local:9000/team/omega?region=us-east-1"}},
			team: "omega", storage: mustParse(t, "s3://AKIATEAM:team%2Fsecret@minio.local:9000/team/omega2?region=us-east-1"), kind: scope.ErrImmutable, wantChecks: 2},
		{name: "an existing team on the instance bucket", existing: []team{{"kappa", ""}},
			team: "kappa", storage: nil, kind: scope.ErrExists},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t, scope.Dedicated, dedicatedInstance, withSupported(t, c.supported))
			e.cloud.broken["broken"] = unusable
			if c.broken != "" {
				e.cloud.broken[c.broken] = unusable
			}
			for _, x := range c.existing {
				e.create(t, x.name, x.storage)
			}
			before := e.teams(t)
			_, err := e.reg.CreateTeam(context.Background(), c.team, c.storage)
			wantKind(t, err, c.kind)
			noSecret(t, err.Error(), registrySecrets...)
			if c.kind == scope.ErrUnusable && !errors.Is(err, unusable) {
				t.Errorf("the check's error is not wrapped: %v", err)
			}
			if after := e.teams(t); strings.Join(after, " ") != strings.Join(before, " ") {
				t.Fatalf("a refused create changed the store: %v -> %v", before, after)
			}
			if checks, _ := e.cloud.counts(); checks != c.wantChecks {
				t.Fatalf("the bucket check ran %d times, want %d", checks, c.wantChecks)
			}
		})
	}
}

func TestCreateTeamReturnsWarnings(t *testing.T) {
	e := newEnv(t, scope.Dedicated, dedicatedInstance)
	e.cloud.warning["team-bkt"] = []string{"bucket versioning is off: garbage collection stays disabled"}
	warnings, err := e.reg.CreateTeam(context.Background(), "omega", mustParse(t, "s3://team-bkt/omega"))
	if err != nil || len(warnings) != 1 || !strings.Contains(warnings[0], "versioning") {
		t.Fatalf("CreateTeam = %v, %v; want the check's warning and no error", warnings, err)
	}
	if got := e.teams(t); len(got) != 1 {
		t.Fatalf("a warning blocked the creation: %v", got)
	}
}

func TestMultiTenant(t *testing.T) {
	e := newEnv(t, scope.MultiTenant, "")
	if _, err := e.reg.Instance(); !errors.Is(err, scope.ErrNotAvailable) {
		t.Fatalf("Instance() = %v, want ErrNotAvailable", err)
	}
	_, err := e.reg.CreateTeam(context.Background(), "kappa", nil)
	wantKind(t, err, scope.ErrNotAvailable)
	e.create(t, "omega", "cw://ak:sk@cwobject.com/omega-bkt?region=US-EAST-04A&tls=true")
	if l := e.location(t, "omega"); l.Scope() != scope.Team {
		t.Fatalf("omega's scope = %s", l.Scope())
	}
	if got := e.teams(t); len(got) != 1 {
		t.Fatalf("store = %v, want only omega", got)
	}
}

func TestNewRefusesBadConfig(t *testing.T) {
	c := newFakeCloud()
	inst := mustParse(t, dedicatedInstance)
	good := scope.Config{Deployment: scope.Dedicated, Instance: inst, Store: scope.NewMemStore(), Open: c.open, Check: c.check}
	cases := []struct {
		name   string
		change func(*scope.Config)
		kind   error
	}{
		{"no store", func(c *scope.Config) { c.Store = nil }, scope.ErrInvalid},
		{"no open func", func(c *scope.Config) { c.Open = nil }, scope.ErrInvalid},
		{"no check func", func(c *scope.Config) { c.Check = nil }, scope.ErrInvalid},
		{"no instance bucket", func(c *scope.Config) { c.Instance = nil }, scope.ErrInvalid},
		{"a bare instance address", func(c *scope.Config) { c.Instance = &address.Address{Provider: address.S3} }, scope.ErrInvalid},
		{"a nil supported-stores entry", func(c *scope.Config) { c.SupportedStores = []*address.Address{nil} }, scope.ErrInvalid},
		{"an unknown deployment", func(c *scope.Config) { c.Deployment = "hybrid" }, scope.ErrInvalid},
		{"an instance bucket on multi-tenant", func(c *scope.Config) { c.Deployment = scope.MultiTenant }, scope.ErrInvalid},
		{"CoreWeave as the instance bucket", func(c *scope.Config) {
			c.Instance = mustParse(t, "cw://AKIAINSTANCE:inst%2Fsecret@cwobject.com/inst?region=US-EAST-04A&tls=true")
		}, scope.ErrNotAvailable},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := good
			tc.change(&cfg)
			_, err := scope.New(context.Background(), cfg)
			wantKind(t, err, tc.kind)
			noSecret(t, err.Error(), registrySecrets...)
		})
	}
	if _, opens := c.counts(); opens != 0 {
		t.Fatalf("a refused configuration opened %d buckets", opens)
	}
}

// TestLocationIsResolvedOnceAndShared: the store is read once per team and
// each distinct address is opened once; teams without a bucket share the
// instance's location.
func TestLocationIsResolvedOnceAndShared(t *testing.T) {
	ctx := context.Background()
	store := &countingStore{Store: scope.NewMemStore()}
	e := newEnv(t, scope.Testing, "mem://instance", withStore(store))
	e.create(t, "kappa", "")
	e.create(t, "sigma", "")
	e.create(t, "omega", "mem://omega-bkt/data")

	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for _, team := range []string{"kappa", "sigma", "omega"} {
				for range 10 {
					if _, err := e.reg.Location(ctx, team); err != nil {
						t.Error(err)
					}
				}
			}
		})
	}
	wg.Wait()
	kappa, sigma, omega := e.location(t, "kappa"), e.location(t, "sigma"), e.location(t, "omega")
	inst, _ := e.reg.Instance()
	if kappa != inst || sigma != inst || kappa.Scope() != scope.Instance || kappa.Team() != "" {
		t.Fatalf("teams without a bucket do not share the instance location")
	}
	if omega.Scope() != scope.Team || omega.Team() != "omega" || omega.Prefix() != "data/" {
		t.Fatalf("omega = %v scope %s team %q prefix %q", omega, omega.Scope(), omega.Team(), omega.Prefix())
	}
	if _, opens := e.cloud.counts(); opens != 2 {
		t.Fatalf("%d bucket opens, want 2 (instance, omega)", opens)
	}
	if gets := store.gets(); gets > 3*8 || gets < 3 {
		t.Fatalf("%d store reads for 240 look-ups of 3 teams", gets)
	}
	// Once cached, look-ups never read the store.
	before := store.gets()
	for range 100 {
		_, _ = e.reg.Location(ctx, "omega")
	}
	if store.gets() != before {
		t.Fatalf("a cached location read the store")
	}
}

// TestLocationAllocations: a resolved location costs no allocation on the
// request path.
func TestLocationAllocations(t *testing.T) {
	e := newEnv(t, scope.Testing, "mem://instance")
	e.create(t, "omega", "mem://omega-bkt")
	e.create(t, "kappa", "")
	u := scope.User{ID: "bob", Teams: []string{"omega"}}
	for _, team := range []string{"omega", "kappa"} {
		e.location(t, team)
		n := testing.AllocsPerRun(100, func() {
			if _, err := e.reg.Authorize(context.Background(), u, team, benchKey, scope.Read); err != nil {
				t.Fatal(err)
			}
		})
		if n != 0 {
			t.Errorf("Authorize(%s) allocates %v times, want 0", team, n)
		}
	}
}

type countingStore struct {
	scope.Store
	mu sync.Mutex
	n  int
}

func (s *countingStore) Get(ctx context.Context, team string) (scope.Record, error) {
	s.mu.Lock()
	s.n++
	s.mu.Unlock()
	return s.Store.Get(ctx, team)
}

func (s *countingStore) gets() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.n
}

// TestLocationSeesTeamsOfOtherServers: two registries on one store, as two
// server processes; a team created by one resolves in the other.
func TestLocationSeesTeamsOfOtherServers(t *testing.T) {
	store := scope.NewMemStore()
	a := newEnv(t, scope.Testing, "mem://instance", withStore(store))
	b := newEnv(t, scope.Testing, "mem://instance", withStore(store))
	if _, err := b.reg.Location(context.Background(), "omega"); !errors.Is(err, scope.ErrNotFound) {
		t.Fatalf("Location before creation = %v, want ErrNotFound", err)
	}
	a.create(t, "omega", "mem://omega-bkt")
	if l := b.location(t, "omega"); l.Team() != "omega" {
		t.Fatalf("the other server resolved %v", l)
	}
}

// TestLocationRefusesOverlappingRecord: a record written by another
// configuration, overlapping this instance, is not served.
func TestLocationRefusesOverlappingRecord(t *testing.T) {
	store := scope.NewMemStore()
	e := newEnv(t, scope.Testing, "mem://shared/instance", withStore(store))
	other := newEnv(t, scope.Testing, "mem://elsewhere", withStore(store))
	other.create(t, "omega", "mem://shared/instance/omega")
	_, err := e.reg.Location(context.Background(), "omega")
	wantKind(t, err, scope.ErrOverlap)
	if _, opens := e.cloud.counts(); opens != 1 {
		t.Fatalf("the overlapping bucket was opened")
	}
}

// forgedStore hands team sigma a copy of omega's record, as a hand edit of
// a database could.
type forgedStore struct{ scope.Store }

func (s forgedStore) Get(ctx context.Context, team string) (scope.Record, error) {
	if team == "sigma" {
		rec, err := s.Store.Get(ctx, "omega")
		rec.Team = "sigma"
		return rec, err
	}
	return s.Store.Get(ctx, team)
}

// keyedStore hands back omega's record with the keys inside Storage, as a
// Store written for the old Record might.
type keyedStore struct{ scope.Store }

func (s keyedStore) Get(ctx context.Context, team string) (scope.Record, error) {
	rec, err := s.Store.Get(ctx, team)
	if err == nil && rec.Storage != nil {
		rec.Storage = rec.Storage.WithCredentials(rec.Credentials)
	}
	return rec, err
}

// TestLocationRefusesKeysInsideStorage: a record must keep its keys in
// Credentials; one with keys inside Storage is refused, not opened.
func TestLocationRefusesKeysInsideStorage(t *testing.T) {
	e := newEnv(t, scope.Dedicated, dedicatedInstance, withStore(keyedStore{scope.NewMemStore()}))
	e.create(t, "omega", "s3://AKIATEAM:team%2Fsecret@minio.local:9000/team-bkt?region=us-east-1")
	_, err := e.reg.Location(context.Background(), "omega")
	wantKind(t, err, scope.ErrStore)
	noSecret(t, err.Error(), registrySecrets...)
	if _, opens := e.cloud.counts(); opens != 1 {
		t.Fatalf("the record was opened")
	}
}

// TestLocationRefusesTwoRecordsOfOneLocation: a team whose record names
// another team's location is refused, not handed the other's bucket.
func TestLocationRefusesTwoRecordsOfOneLocation(t *testing.T) {
	e := newEnv(t, scope.Testing, "mem://instance", withStore(forgedStore{scope.NewMemStore()}))
	e.create(t, "omega", "mem://omega-bkt/data")
	e.location(t, "omega")
	_, err := e.reg.Location(context.Background(), "sigma")
	wantKind(t, err, scope.ErrOverlap)
}

func TestLocationErrors(t *testing.T) {
	e := newEnv(t, scope.Testing, "mem://instance")
	_, err := e.reg.Location(context.Background(), "nobody")
	wantKind(t, err, scope.ErrNotFound)
	_, err = e.reg.Location(context.Background(), "../etc")
	wantKind(t, err, scope.ErrInvalid)
	_, err = e.reg.RotateCredentials(context.Background(), "nobody", mustParse(t, "s3://ak:sk@minio.local:9000/xyz?region=us-east-1"))
	wantKind(t, err, scope.ErrNotFound)
}

func TestClose(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, scope.Testing, "mem://instance")
	e.create(t, "omega", "mem://omega-bkt")
	l := e.location(t, "omega")
	if err := e.reg.Close(); err != nil {
		t.Fatal(err)
	}
	if err := l.Bucket().WriteAll(ctx, "a", []byte("x"), nil); err == nil {
		t.Fatalf("a closed registry's bucket still writes")
	}
	_, err := e.reg.Location(ctx, "omega")
	wantKind(t, err, scope.ErrClosed)
	_, err = e.reg.CreateTeam(ctx, "sigma", nil)
	wantKind(t, err, scope.ErrClosed)
	if err := e.reg.Close(); err != nil {
		t.Fatalf("a second Close = %v", err)
	}
}

func TestAuthorize(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, scope.Testing, "mem://instance")
	e.create(t, "kappa", "")
	e.create(t, "omega", "mem://omega-bkt")
	alice := scope.User{ID: "alice", Teams: []string{"kappa"}}
	bob := scope.User{ID: "bob", Teams: []string{"omega"}}
	nobody := scope.User{ID: "carol"}
	cases := []struct {
		user      scope.User
		team, key string
		acc       scope.Access
		kind      error
	}{
		{alice, "kappa", "kappa/p/r/f", scope.Write, nil},
		{bob, "kappa", "kappa/p/r/f", scope.Read, nil},
		{nobody, "kappa", "kappa/p/r/f", scope.Read, nil},
		{bob, "omega", "omega/p/r/f", scope.Write, nil},
		{alice, "omega", "omega/p/r/f", scope.Read, scope.ErrAccessDenied},
		{alice, "omega", "omega/p/r/f", scope.Write, scope.ErrAccessDenied},
		{nobody, "omega", "omega/p/r/f", scope.Read, scope.ErrAccessDenied},
		{bob, "omega", "../instance/kappa/p/r/f", scope.Read, scope.ErrKey},
		{alice, "kappa", "%2e%2e/omega", scope.Read, scope.ErrKey},
		{alice, "nobody", "f", scope.Read, scope.ErrNotFound},
		{alice, "kappa", "f", scope.Access("delete"), scope.ErrInvalid},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%s %s %s %s", c.user.ID, c.acc, c.team, c.key), func(t *testing.T) {
			l, err := e.reg.Authorize(ctx, c.user, c.team, c.key, c.acc)
			if c.kind == nil {
				if err != nil || l == nil {
					t.Fatalf("Authorize = %v, want allowed", err)
				}
				return
			}
			if l != nil {
				t.Fatalf("a refusal returned a location")
			}
			wantKind(t, err, c.kind)
		})
	}
}

// TestErrorsCarryNoSecret prints every refusal a registry with secret-laden
// addresses can produce, through every fmt verb.
func TestErrorsCarryNoSecret(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, scope.Dedicated, dedicatedInstance, withSupported(t, "s3://AKIATEAM:team%2Fsecret@minio.local:9000/team?region=us-east-1"))
	e.cloud.broken["broken"] = errors.New("403")
	team := "s3://AKIATEAM:team%2Fsecret@minio.local:9000/team/omega?region=us-east-1"
	e.create(t, "omega", team)
	var errs []error
	add := func(_ any, err error) { errs = append(errs, err) }
	add(e.reg.CreateTeam(ctx, "x", mustParse(t, "s3://AKIATEAM:team%2Fsecret@minio.local:9000/instance?region=us-east-1")))
	add(e.reg.CreateTeam(ctx, "x", mustParse(t, "s3://AKIATEAM:team%2Fsecret@minio.local:9000/team/omega/x?region=us-east-1")))
	add(e.reg.CreateTeam(ctx, "omega", mustParse(t, "s3://AKIATEAM:team%2Fsecret@minio.local:9000/team/other?region=us-east-1")))
	add(e.reg.CreateTeam(ctx, "x", mustParse(t, "s3://AKIATEAM:team%2Fsecret@minio.local:9000/broken?region=us-east-1")))
	add(e.reg.CreateTeam(ctx, "x", mustParse(t, "s3://AKIATEAM:team%2Fsecret@minio.local:9000/elsewhere?region=us-east-1")))
	add(e.reg.RotateCredentials(ctx, "omega", mustParse(t, "s3://AKIATEAM:team%2Fsecret@minio.local:9000/team/other?region=us-east-1")))
	add(e.reg.RotateCredentials(ctx, "omega", mustParse(t, "s3://AKIATEAM:team%2Fsecret@minio.local:9000/broken?region=us-east-1")))
	l := e.location(t, "omega")
	add(nil, l.Allow(scope.User{ID: "alice"}, scope.Read))
	add(nil, l.CheckKey("../x"))
	for _, err := range errs {
		if err == nil {
			t.Fatalf("an attempt that must fail succeeded")
		}
		var se *scope.Error
		if !errors.As(err, &se) {
			t.Fatalf("not a *scope.Error: %v", err)
		}
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q"} {
			noSecret(t, fmt.Sprintf(verb, err), registrySecrets...)
		}
		if se.Overlap != nil {
			noSecret(t, fmt.Sprintf("%+v", *se.Overlap), registrySecrets...)
		}
	}
	for _, verb := range []string{"%v", "%+v", "%s"} {
		noSecret(t, fmt.Sprintf(verb, l), registrySecrets...)
	}
}
