package scope_test

import (
	"context"
	"testing"

	"github.com/byobkit/byob/scope"
)

// TestKappaOmega reproduces the documentation's example: Kappa uses the
// instance bucket, Omega is created with a team bucket. Omega's files are
// not accessible to Kappa's members; Kappa's files are accessible to Omega's
// members; a team created with its own bucket is isolated too, since Kappa
// itself can no longer be given one. It runs on separate buckets and on one
// bucket shared under sub-paths.
func TestKappaOmega(t *testing.T) {
	topologies := []struct {
		name, instance, omega, kappa2 string
	}{
		{"separate buckets", "mem://instance", "mem://omega-bkt", "mem://kappa-bkt"},
		{"one bucket under sub-paths", "mem://shared/instance", "mem://shared/teams/omega", "mem://shared/teams/kappa-2"},
	}
	for _, top := range topologies {
		t.Run(top.name, func(t *testing.T) { kappaOmega(t, top.instance, top.omega, top.kappa2) })
	}
}

func kappaOmega(t *testing.T, instance, omegaBucket, kappa2Bucket string) {
	ctx := context.Background()
	e := newEnv(t, scope.Testing, instance)
	e.create(t, "kappa", "")
	e.create(t, "omega", omegaBucket)
	alice := scope.User{ID: "alice", Teams: []string{"kappa"}}
	bob := scope.User{ID: "bob", Teams: []string{"omega"}}

	write := func(u scope.User, team, key, data string) {
		t.Helper()
		l, err := e.reg.Authorize(ctx, u, team, key, scope.Write)
		if err != nil {
			t.Fatalf("%s may not write %s's %s: %v", u.ID, team, key, err)
		}
		if err := l.Bucket().WriteAll(ctx, key, []byte(data), nil); err != nil {
			t.Fatal(err)
		}
	}
	read := func(u scope.User, team, key string) (string, error) {
		l, err := e.reg.Authorize(ctx, u, team, key, scope.Read)
		if err != nil {
			return "", err
		}
		data, err := l.Bucket().ReadAll(ctx, key)
		return string(data), err
	}
	write(alice, "kappa", "kappa/proj/run-1/notes.txt", "kappa's notes")
	write(bob, "omega", "omega/proj/run-1/notes.txt", "omega's notes")

	// Where the files landed: Kappa's in the instance bucket, Omega's in its own.
	if got := e.cloud.readRaw(t, mustParse(t, instance), prefixOf(t, instance)+"kappa/proj/run-1/notes.txt"); got != "kappa's notes" {
		t.Fatalf("kappa's file in the instance bucket = %q", got)
	}
	if got := e.cloud.readRaw(t, mustParse(t, omegaBucket), prefixOf(t, omegaBucket)+"omega/proj/run-1/notes.txt"); got != "omega's notes" {
		t.Fatalf("omega's file in omega's bucket = %q", got)
	}

	// Kappa's files are accessible to Omega's members.
	if got, err := read(bob, "kappa", "kappa/proj/run-1/notes.txt"); err != nil || got != "kappa's notes" {
		t.Fatalf("bob (omega) reading kappa's file = %q, %v; want allowed", got, err)
	}
	// Omega's files are not accessible to Kappa's members, by name or by a
	// key that tries to reach them from the instance's location.
	_, err := read(alice, "omega", "omega/proj/run-1/notes.txt")
	wantKind(t, err, scope.ErrAccessDenied)
	_, err = read(alice, "kappa", "../teams/omega/omega/proj/run-1/notes.txt")
	wantKind(t, err, scope.ErrKey)
	if got, err := read(bob, "omega", "omega/proj/run-1/notes.txt"); err != nil || got != "omega's notes" {
		t.Fatalf("bob reading omega's own file = %q, %v", got, err)
	}

	// Giving Kappa a team bucket is refused: storage is fixed at creation,
	// and Kappa has no credentials of its own to rotate.
	_, err = e.reg.CreateTeam(ctx, "kappa", mustParse(t, kappa2Bucket))
	wantKind(t, err, scope.ErrImmutable)
	_, err = e.reg.RotateCredentials(ctx, "kappa", mustParse(t, "s3://ak:sk@minio.local:9000/kappa-bkt?region=us-east-1"))
	wantKind(t, err, scope.ErrNoTeamBucket)
	if l := e.location(t, "kappa"); l.Scope() != scope.Instance {
		t.Fatalf("kappa's scope changed to %s", l.Scope())
	}

	// A team created with its own bucket is isolated.
	e.create(t, "kappa-2", kappa2Bucket)
	alice.Teams = append(alice.Teams, "kappa-2")
	write(alice, "kappa-2", "kappa-2/proj/run-1/notes.txt", "kappa-2's notes")
	_, err = read(bob, "kappa-2", "kappa-2/proj/run-1/notes.txt")
	wantKind(t, err, scope.ErrAccessDenied)
	if got, err := read(alice, "kappa-2", "kappa-2/proj/run-1/notes.txt"); err != nil || got != "kappa-2's notes" {
		t.Fatalf("alice reading kappa-2's file = %q, %v", got, err)
	}
}

func prefixOf(t *testing.T, addr string) string {
	if p := mustParse(t, addr).Path; p != "" {
		return p + "/"
	}
	return ""
}
