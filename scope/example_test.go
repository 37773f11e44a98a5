package scope_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/byobkit/byob/address"
	"github.com/byobkit/byob/provider"
	"github.com/byobkit/byob/scope"
	"gocloud.dev/blob/memblob"
)

// A registry for the documentation's Kappa/Omega example. A server passes
// scope.ProviderOpen and scope.ProviderCheck instead of these in-memory
// stand-ins.
func Example() {
	ctx := context.Background()
	open := func(_ context.Context, a *address.Address) (*provider.Handle, error) {
		return provider.NewHandle(a, memblob.OpenBucket(nil)), nil
	}
	check := func(context.Context, *address.Address) ([]string, error) { return nil, nil }
	instance, _ := address.Parse("mem://instance")
	reg, err := scope.New(ctx, scope.Config{Deployment: scope.Testing, Instance: instance,
		Store: scope.NewMemStore(), Open: open, Check: check})
	if err != nil {
		panic(err)
	}
	defer reg.Close()

	omegaBucket, _ := address.Parse("mem://omega-bucket")
	if _, err := reg.CreateTeam(ctx, "kappa", nil); err != nil { // the instance bucket
		panic(err)
	}
	if _, err := reg.CreateTeam(ctx, "omega", omegaBucket); err != nil { // a team bucket
		panic(err)
	}

	alice := scope.User{ID: "alice", Teams: []string{"kappa"}}
	bob := scope.User{ID: "bob", Teams: []string{"omega"}}
	for _, u := range []scope.User{alice, bob} {
		for _, team := range []string{"kappa", "omega"} {
			l, err := reg.Authorize(ctx, u, team, team+"/project/run-1/notes.txt", scope.Read)
			switch {
			case err == nil:
				fmt.Printf("%s reads %s's files: allowed (%s scope, %s)\n", u.ID, team, l.Scope(), l.Address().String())
			case errors.Is(err, scope.ErrAccessDenied):
				fmt.Printf("%s reads %s's files: denied\n", u.ID, team)
			}
		}
	}

	_, err = reg.Authorize(ctx, alice, "kappa", "../omega-bucket/omega/notes.txt", scope.Read)
	fmt.Println("a key leaving its location:", errors.Is(err, scope.ErrKey))
	kappaBucket, _ := address.Parse("mem://kappa-bucket")
	_, err = reg.CreateTeam(ctx, "kappa", kappaBucket)
	fmt.Println("giving kappa a team bucket:", errors.Is(err, scope.ErrImmutable))
	// Output:
	// alice reads kappa's files: allowed (instance scope, mem://instance)
	// alice reads omega's files: denied
	// bob reads kappa's files: allowed (instance scope, mem://instance)
	// bob reads omega's files: allowed (team scope, mem://omega-bucket)
	// a key leaving its location: true
	// giving kappa a team bucket: true
}

// The documentation's dangerous topology: a team bucket inside the data of
// an instance rooted at the bucket's top.
func ExampleRegistry_CreateTeam_overlap() {
	ctx := context.Background()
	open := func(_ context.Context, a *address.Address) (*provider.Handle, error) {
		return provider.NewHandle(a, memblob.OpenBucket(nil)), nil
	}
	check := func(context.Context, *address.Address) ([]string, error) { return nil, nil }
	instance, _ := address.Parse("s3://AKIA:secret@minio.local:9000/bkt?region=us-east-1")
	stores, _ := address.ParseList("s3://minio.local:9000/bkt?region=us-east-1, s3://minio.local:9000/team-bucket?region=us-east-1")
	reg, err := scope.New(ctx, scope.Config{Deployment: scope.SelfManaged, Instance: instance, SupportedStores: stores,
		Store: scope.NewMemStore(), Open: open, Check: check})
	if err != nil {
		panic(err)
	}
	defer reg.Close()

	team, _ := address.Parse("s3://AKIA:secret@minio.local:9000/bkt/wandb_artifacts?region=us-east-1")
	_, err = reg.CreateTeam(ctx, "omega", team)
	var e *scope.Error
	if errors.As(err, &e) && errors.Is(err, scope.ErrOverlap) {
		c := e.Overlap
		fmt.Printf("%q is %s %s's %q\n", c.Prefix, c.Relation, c.Other, c.OtherPrefix)
		fmt.Println(c.OtherAddress)
	}
	sibling, _ := address.Parse("s3://AKIA:secret@minio.local:9000/team-bucket/omega?region=us-east-1")
	_, err = reg.CreateTeam(ctx, "omega", sibling)
	fmt.Println("another bucket:", err)
	// Output:
	// "wandb_artifacts/" is inside instance's ""
	// s3://minio.local:9000/bkt?region=us-east-1
	// another bucket: <nil>
}

// Keys rotate; the location does not. A rotation checks the new keys first
// (here a stand-in check that accepts them) and refuses any other bucket.
func ExampleRegistry_RotateCredentials() {
	ctx := context.Background()
	open := func(_ context.Context, a *address.Address) (*provider.Handle, error) {
		return provider.NewHandle(a, memblob.OpenBucket(nil)), nil
	}
	check := func(context.Context, *address.Address) ([]string, error) { return nil, nil }
	instance, _ := address.Parse("s3://AKIAINSTANCE:secret@minio.local:9000/instance?region=us-east-1")
	reg, err := scope.New(ctx, scope.Config{Deployment: scope.Dedicated, Instance: instance,
		Store: scope.NewMemStore(), Open: open, Check: check})
	if err != nil {
		panic(err)
	}
	defer reg.Close()
	omega, _ := address.Parse("s3://AKIAOLD:old-secret@minio.local:9000/team-bucket/omega?region=us-east-1")
	if _, err := reg.CreateTeam(ctx, "omega", omega); err != nil {
		panic(err)
	}

	rotated, _ := address.Parse("s3://AKIANEW:new-secret@minio.local:9000/team-bucket/omega?region=us-east-1")
	_, err = reg.RotateCredentials(ctx, "omega", rotated)
	fmt.Println("new keys for omega's bucket:", err)
	elsewhere, _ := address.Parse("s3://AKIANEW:new-secret@minio.local:9000/other-bucket?region=us-east-1")
	_, err = reg.RotateCredentials(ctx, "omega", elsewhere)
	fmt.Println("keys for another bucket:", errors.Is(err, scope.ErrImmutable))
	l, _ := reg.Location(ctx, "omega")
	fmt.Println(l)
	// Output:
	// new keys for omega's bucket: <nil>
	// keys for another bucket: true
	// team "omega" location s3://REDACTED:REDACTED@minio.local:9000/team-bucket/omega?region=us-east-1
}
