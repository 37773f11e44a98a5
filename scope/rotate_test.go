package scope_test

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/byobkit/byob/address"
	"github.com/byobkit/byob/internal/testsecret"
	"github.com/byobkit/byob/scope"
)

const (
	rotInstance = "s3://AKIAINSTANCE:inst%2Fsecret@minio.local:9000/instance?region=us-east-1"
	rotOmega    = "s3://AKIAOLDKEY:old%2Fsecret@minio.local:9000/bkt/teams/omega?region=us-east-1"
	rotNewOmega = "s3://AKIANEWKEY:new%2Fsecret@minio.local:9000/bkt/teams/omega?region=us-east-1"
)

// rotationEnv is a dedicated instance whose keyed buckets get real
// provider clients (whose credentials can switch), with team omega on
// rotOmega and team kappa on the instance's bucket.
func rotationEnv(t *testing.T, opts ...envOption) *env {
	t.Helper()
	e := newEnv(t, scope.Dedicated, rotInstance, append([]envOption{withNative()}, opts...)...)
	e.create(t, "omega", rotOmega)
	e.create(t, "kappa", "")
	return e
}

// wantKeys fails unless l's address and the access key its S3 client
// signs with are ak's.
func wantKeys(t *testing.T, l *scope.Location, ak, secret string) {
	t.Helper()
	a := l.Address()
	if a.AccessKey != ak || a.Secret != secret {
		t.Fatalf("the location's address has access key %q, want %q", a.AccessKey, ak)
	}
	c, err := l.Handle().AWSCredentials(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if c.AccessKeyID != ak || c.SecretAccessKey != secret {
		t.Fatalf("the open bucket signs with access key %q, want %q", c.AccessKeyID, ak)
	}
}

// wantStored fails unless team's record holds storage at and access key ak.
func wantStored(t *testing.T, e *env, team, at, ak, secret string) {
	t.Helper()
	rec, err := e.store.Get(context.Background(), team)
	if err != nil {
		t.Fatal(err)
	}
	if rec.Storage.URL() != mustParse(t, at).WithoutCredentials().URL() || rec.Credentials.AccessKey != ak || rec.Credentials.Secret != secret {
		t.Fatalf("stored %v with access key %q; want %s with %q", rec.Storage, rec.Credentials.AccessKey, at, ak)
	}
}

func TestRotateCredentials(t *testing.T) {
	ctx := context.Background()
	e := rotationEnv(t)
	before := e.location(t, "omega")
	wantKeys(t, before, "AKIAOLDKEY", "old/secret")
	checks, opens := e.cloud.counts()

	warnings, err := e.reg.RotateCredentials(ctx, "omega", mustParse(t, rotNewOmega))
	if err != nil || len(warnings) != 0 {
		t.Fatalf("RotateCredentials = %v, %v", warnings, err)
	}
	after := e.location(t, "omega")
	if after != before {
		t.Fatalf("the rotation replaced the location instead of switching its bucket's keys")
	}
	wantKeys(t, after, "AKIANEWKEY", "new/secret")
	wantStored(t, e, "omega", rotOmega, "AKIANEWKEY", "new/secret")
	if c, o := e.cloud.counts(); c != checks+1 || o != opens {
		t.Fatalf("the rotation ran %d checks and %d opens, want 1 and 0", c-checks, o-opens)
	}

	// The same keys again are a valid rotation.
	if _, err := e.reg.RotateCredentials(ctx, "omega", mustParse(t, rotNewOmega)); err != nil {
		t.Fatalf("rotating to the same keys: %v", err)
	}
	wantKeys(t, after, "AKIANEWKEY", "new/secret")
}

// TestRotateCredentialsBeforeFirstLookUp: a team not yet open in this
// registry has only its record changed, and opens with the new keys.
func TestRotateCredentialsBeforeFirstLookUp(t *testing.T) {
	e := rotationEnv(t)
	if _, err := e.reg.RotateCredentials(context.Background(), "omega", mustParse(t, rotNewOmega)); err != nil {
		t.Fatal(err)
	}
	wantKeys(t, e.location(t, "omega"), "AKIANEWKEY", "new/secret")
}

// TestRotateCredentialsKeepsTheStoredSpelling: an address naming the same
// location another way (another AWS endpoint of the partition, s3:// for
// cw://) rotates the keys; the record keeps its own spelling, and the check
// runs on it with the new keys.
func TestRotateCredentialsKeepsTheStoredSpelling(t *testing.T) {
	cases := []struct{ name, stored, rotation, checked string }{
		{"another AWS regional endpoint",
			"s3://AKIAOLDKEY:old%2Fsecret@s3.eu-central-1.amazonaws.com/aws-bkt/omega",
			"s3://AKIANEWKEY:new%2Fsecret@s3.us-east-1.amazonaws.com/aws-bkt/omega",
			"s3://REDACTED:REDACTED@s3.eu-central-1.amazonaws.com/aws-bkt/omega?region=eu-central-1"},
		{"s3:// to the CoreWeave endpoint of a cw:// team",
			"cw://AKIAOLDKEY:old%2Fsecret@cwobject.com/team-cwbkt/omega?region=US-EAST-04A&tls=true",
			"s3://AKIANEWKEY:new%2Fsecret@cwobject.com/team-cwbkt/omega?region=US-EAST-04A&tls=true",
			"cw://REDACTED:REDACTED@cwobject.com/team-cwbkt/omega?region=US-EAST-04A&tls=true"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t, scope.Dedicated, rotInstance, withNative())
			e.create(t, "omega", c.stored)
			e.location(t, "omega")
			if _, err := e.reg.RotateCredentials(context.Background(), "omega", mustParse(t, c.rotation)); err != nil {
				t.Fatal(err)
			}
			wantStored(t, e, "omega", c.stored, "AKIANEWKEY", "new/secret")
			wantKeys(t, e.location(t, "omega"), "AKIANEWKEY", "new/secret")
			if got := e.cloud.checked[len(e.cloud.checked)-1]; got != c.checked {
				t.Fatalf("the rotation checked %s, want %s", got, c.checked)
			}
		})
	}
}

func TestRotateInstanceCredentials(t *testing.T) {
	ctx := context.Background()
	e := rotationEnv(t)
	kappa := e.location(t, "kappa")
	wantKeys(t, kappa, "AKIAINSTANCE", "inst/secret")
	_, err := e.reg.RotateInstanceCredentials(ctx, mustParse(t, "s3://AKIAINSTNEW:inst%2Fnew@minio.local:9000/instance?region=us-east-1"))
	if err != nil {
		t.Fatal(err)
	}
	inst, _ := e.reg.Instance()
	wantKeys(t, inst, "AKIAINSTNEW", "inst/new")
	wantKeys(t, e.location(t, "kappa"), "AKIAINSTNEW", "inst/new") // teams on the instance bucket share it
}

// failingStore refuses every SetCredentials, after the registry has
// switched the open bucket.
type failingStore struct{ scope.Store }

var errStoreDown = errors.New("the database is down")

func (failingStore) SetCredentials(context.Context, string, address.Credentials, func(scope.Record) error) error {
	return errStoreDown
}

// TestRotateCredentialsRefusals: each refusal has its kind, writes nothing,
// and leaves the old keys in use; the check runs only once the rules that
// need no I/O have passed.
func TestRotateCredentialsRefusals(t *testing.T) {
	const gcsOld = "gs://sa%40proj.iam.gserviceaccount.com:"
	_, gcsPEM := testsecret.RSAKey(t)
	gcsKey := url.QueryEscape(gcsPEM)
	checkFails := errors.New("HeadBucket: 403 SignatureDoesNotMatch")
	cases := []struct {
		name       string
		team       string
		storage    *address.Address
		store      func(scope.Store) scope.Store
		broken     bool // the bucket check fails
		kind       error
		wantChecks int
	}{
		{name: "another bucket", team: "omega", storage: mustParse(t, "s3://AKIANEWKEY:new%2Fsecret@minio.local:9000/other/teams/omega?region=us-east-1"), kind: scope.ErrImmutable},
		{name: "another sub-path", team: "omega", storage: mustParse(t, "s3://AKIANEWKEY:new%2Fsecret@minio.local:9000/bkt/teams/sigma?region=us-east-1"), kind: scope.ErrImmutable},
		{name: "a sub-path below the team's", team: "omega", storage: mustParse(t, "s3://AKIANEWKEY:new%2Fsecret@minio.local:9000/bkt/teams/omega/x?region=us-east-1"), kind: scope.ErrImmutable},
		{name: "the bucket's top", team: "omega", storage: mustParse(t, "s3://AKIANEWKEY:new%2Fsecret@minio.local:9000/bkt?region=us-east-1"), kind: scope.ErrImmutable},
		{name: "another endpoint, which is another service", team: "omega", storage: mustParse(t, "s3://AKIANEWKEY:new%2Fsecret@minio2.local:9000/bkt/teams/omega?region=us-east-1"), kind: scope.ErrImmutable},
		{name: "the same host over https, which is another service", team: "omega", storage: mustParse(t, "s3://AKIANEWKEY:new%2Fsecret@minio.local:9000/bkt/teams/omega?region=us-east-1&tls=true"), kind: scope.ErrImmutable},
		{name: "a hand-built address that is not in the form Parse gives", team: "omega", storage: &address.Address{Provider: address.S3,
			Endpoint: "MINIO.local:9000", Bucket: "bkt", Path: "teams/omega", Region: "us-east-1", AccessKey: "AKIANEWKEY", Secret: "new/secret"}, kind: scope.ErrInvalid},
		{name: "another port, which is another service", team: "omega", storage: mustParse(t, "s3://AKIANEWKEY:new%2Fsecret@minio.local:9001/bkt/teams/omega?region=us-east-1"), kind: scope.ErrImmutable},
		{name: "another provider", team: "omega", storage: mustParse(t, "gs://sa%40proj.iam.gserviceaccount.com:"+gcsKey+"@bkt/teams/omega"), kind: scope.ErrImmutable},
		{name: "an address without credentials", team: "omega", storage: mustParse(t, "s3://minio.local:9000/bkt/teams/omega?region=us-east-1"), kind: scope.ErrInvalid},
		{name: "a bare address", team: "omega", storage: &address.Address{Provider: address.S3}, kind: scope.ErrInvalid},
		{name: "no address", team: "omega", kind: scope.ErrInvalid},
		{name: "a bad team name", team: "../omega", storage: mustParse(t, rotNewOmega), kind: scope.ErrInvalid},
		{name: "an unknown team", team: "nobody", storage: mustParse(t, rotNewOmega), kind: scope.ErrNotFound},
		{name: "a team on the instance bucket", team: "kappa", storage: mustParse(t, rotInstance), kind: scope.ErrNoTeamBucket},
		{name: "a team of the server's ambient identity", team: "ambient", storage: mustParse(t, "s3://AKIANEWKEY:new%2Fsecret@s3.eu-central-1.amazonaws.com/ambient-bkt"), kind: scope.ErrInvalid},
		{name: "new keys the check refuses", team: "omega", storage: mustParse(t, rotNewOmega), broken: true, kind: scope.ErrUnusable, wantChecks: 1},
		{name: "a GCS key of another service account", team: "gcs", storage: mustParse(t, "gs://other%40proj.iam.gserviceaccount.com:"+gcsKey+"@gcs-bkt/omega"), kind: scope.ErrInvalid, wantChecks: 1},
		{name: "a store that fails after the bucket switched", team: "omega", storage: mustParse(t, rotNewOmega),
			store: func(s scope.Store) scope.Store { return failingStore{s} }, kind: scope.ErrStore, wantChecks: 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ctx := context.Background()
			var store scope.Store = scope.NewMemStore()
			if c.store != nil {
				store = c.store(store)
			}
			e := rotationEnv(t, withStore(store))
			e.create(t, "ambient", "s3://s3.eu-central-1.amazonaws.com/ambient-bkt")
			e.create(t, "gcs", gcsOld+gcsKey+"@gcs-bkt/omega")
			omega, kappa := e.location(t, "omega"), e.location(t, "kappa")
			e.location(t, "gcs")
			before := strings.Join(e.teams(t), " ")
			checks, _ := e.cloud.counts()
			if c.broken {
				e.cloud.broken["bkt"] = checkFails
			}

			_, err := e.reg.RotateCredentials(ctx, c.team, c.storage)
			wantKind(t, err, c.kind)
			noSecret(t, fmt.Sprintf("%v %+v %#v", err, err, err), "new/secret", "new%2Fsecret", "AKIANEWKEY", "old/secret", "AKIAOLDKEY", gcsPEM[40:80])
			if c.broken && !errors.Is(err, checkFails) {
				t.Errorf("the check's error is not wrapped: %v", err)
			}
			if after := strings.Join(e.teams(t), " "); after != before {
				t.Fatalf("a refused rotation changed the store:\n%s\n%s", before, after)
			}
			wantKeys(t, omega, "AKIAOLDKEY", "old/secret")
			wantKeys(t, kappa, "AKIAINSTANCE", "inst/secret")
			if got, _ := e.cloud.counts(); got-checks != c.wantChecks {
				t.Fatalf("the bucket check ran %d times, want %d", got-checks, c.wantChecks)
			}
		})
	}
}

func TestRotateInstanceCredentialsRefusals(t *testing.T) {
	cases := []struct {
		name       string
		deployment scope.Deployment
		instance   string
		storage    string
		broken     bool
		kind       error
		wantChecks int
	}{
		{"another bucket", scope.Dedicated, rotInstance, "s3://AKIANEWKEY:new%2Fsecret@minio.local:9000/other?region=us-east-1", false, scope.ErrImmutable, 0},
		{"a sub-path of the instance's bucket", scope.Dedicated, rotInstance, "s3://AKIANEWKEY:new%2Fsecret@minio.local:9000/instance/x?region=us-east-1", false, scope.ErrImmutable, 0},
		{"an address without credentials", scope.Dedicated, rotInstance, "s3://minio.local:9000/instance?region=us-east-1", false, scope.ErrInvalid, 0},
		{"an instance of the server's ambient identity", scope.Dedicated, "s3://instance-bkt", "s3://AKIANEWKEY:new%2Fsecret@s3.amazonaws.com/instance-bkt?region=us-east-1", false, scope.ErrInvalid, 0},
		{"an embedded instance has no keys", scope.Testing, "mem://instance", "s3://AKIANEWKEY:new%2Fsecret@minio.local:9000/instance?region=us-east-1", false, scope.ErrInvalid, 0},
		{"new keys the check refuses", scope.Dedicated, rotInstance, "s3://AKIANEWKEY:new%2Fsecret@minio.local:9000/instance?region=us-east-1", true, scope.ErrUnusable, 1},
		{"a deployment without an instance bucket", scope.MultiTenant, "", "s3://AKIANEWKEY:new%2Fsecret@minio.local:9000/instance?region=us-east-1", false, scope.ErrNotAvailable, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t, c.deployment, c.instance, withNative())
			if c.broken {
				e.cloud.broken["instance"] = errors.New("403")
			}
			_, err := e.reg.RotateInstanceCredentials(context.Background(), mustParse(t, c.storage))
			wantKind(t, err, c.kind)
			noSecret(t, err.Error(), "new/secret", "AKIANEWKEY", "inst/secret", "AKIAINSTANCE")
			if inst, err := e.reg.Instance(); err == nil && c.instance == rotInstance {
				wantKeys(t, inst, "AKIAINSTANCE", "inst/secret")
			}
			if checks, _ := e.cloud.counts(); checks != c.wantChecks {
				t.Fatalf("the bucket check ran %d times, want %d", checks, c.wantChecks)
			}
		})
	}
}

// TestRotationDuringLookUps: look-ups and key checks go on while the keys
// rotate back and forth; every look-up succeeds, sees a whole set of keys,
// and the last rotation's keys are the ones in use. Run with -race.
func TestRotationDuringLookUps(t *testing.T) {
	ctx := context.Background()
	e := rotationEnv(t)
	e.location(t, "omega")
	keys := []string{rotOmega, rotNewOmega}
	var stop atomic.Bool
	var wg sync.WaitGroup
	u := scope.User{ID: "bob", Teams: []string{"omega"}}
	for range 4 {
		wg.Go(func() {
			for !stop.Load() {
				l, err := e.reg.Authorize(ctx, u, "omega", benchKey, scope.Read)
				if err != nil {
					t.Error(err)
					return
				}
				if a := l.Address(); a.AccessKey == "AKIAOLDKEY" && a.Secret != "old/secret" || a.AccessKey == "AKIANEWKEY" && a.Secret != "new/secret" {
					t.Errorf("a look-up saw a torn set of keys: access key %q", a.AccessKey)
					return
				}
			}
		})
	}
	for i := range 20 {
		if _, err := e.reg.RotateCredentials(ctx, "omega", mustParse(t, keys[(i+1)%2])); err != nil {
			t.Error(err)
		}
	}
	stop.Store(true)
	wg.Wait()
	wantKeys(t, e.location(t, "omega"), "AKIAOLDKEY", "old/secret") // 20 rotations end where they began
	wantStored(t, e, "omega", rotOmega, "AKIAOLDKEY", "old/secret")
}

// TestConcurrentRotations: rotations of one team at once leave the store
// and the open bucket with the same keys.
func TestConcurrentRotations(t *testing.T) {
	ctx := context.Background()
	e := rotationEnv(t)
	l := e.location(t, "omega")
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			a := mustParse(t, fmt.Sprintf("s3://AKIAKEY%d:secret%%2F%d@minio.local:9000/bkt/teams/omega?region=us-east-1", i, i))
			if _, err := e.reg.RotateCredentials(ctx, "omega", a); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	rec, err := e.store.Get(ctx, "omega")
	if err != nil {
		t.Fatal(err)
	}
	wantKeys(t, l, rec.Credentials.AccessKey, rec.Credentials.Secret)
}

// TestRotationDuringFirstOpen: a rotation while the team's bucket is being
// opened (with the keys read before) waits for the open, then switches it.
func TestRotationDuringFirstOpen(t *testing.T) {
	var gate *gatedOpen
	e := newEnv(t, scope.Dedicated, rotInstance, withNative(), withGate(&gate, "bkt"))
	e.create(t, "omega", rotOmega)

	first := lookUpInBackground(context.Background(), e)
	<-gate.entered // the open is in flight with the old keys
	checked := make(chan struct{})
	e.cloud.onCheck = func(*address.Address) { close(checked) }
	rotated := make(chan error, 1)
	go func() {
		_, err := e.reg.RotateCredentials(context.Background(), "omega", mustParse(t, rotNewOmega))
		rotated <- err
	}()
	// Once its check is done, give the rotation time to reach the bucket
	// while it is still opening.
	<-checked
	select {
	case err := <-rotated:
		t.Fatalf("the rotation finished while the bucket was still opening: %v", err)
	case <-time.After(50 * time.Millisecond):
	}
	close(gate.release)
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	if err := <-rotated; err != nil {
		t.Fatal(err)
	}
	wantKeys(t, e.location(t, "omega"), "AKIANEWKEY", "new/secret")
}

// rotatingStore runs a rotation right after the first Get of omega, so that
// the look-up that made the Get holds keys the store no longer has.
type rotatingStore struct {
	scope.Store
	done   atomic.Bool
	rotate func()
}

func (s *rotatingStore) Get(ctx context.Context, team string) (scope.Record, error) {
	rec, err := s.Store.Get(ctx, team)
	if team == "omega" && s.rotate != nil && s.done.CompareAndSwap(false, true) {
		s.rotate() // its own Get sees done set
	}
	return rec, err
}

// TestRotationBetweenReadAndOpen: a look-up that read the record, then
// loses the race to a rotation before it opens the bucket, opens it with
// the new keys: the one that opens reads the record again.
func TestRotationBetweenReadAndOpen(t *testing.T) {
	store := &rotatingStore{Store: scope.NewMemStore()}
	e := newEnv(t, scope.Dedicated, rotInstance, withNative(), withStore(store))
	e.create(t, "omega", rotOmega)
	store.rotate = func() {
		if _, err := e.reg.RotateCredentials(context.Background(), "omega", mustParse(t, rotNewOmega)); err != nil {
			t.Error(err)
		}
	}
	wantKeys(t, e.location(t, "omega"), "AKIANEWKEY", "new/secret")
}
