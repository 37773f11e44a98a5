package byob_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/byobkit/byob/address"
	"github.com/byobkit/byob/provider/preflight"
	"github.com/byobkit/byob/scope"
)

// The whole chain on the embedded default: an address is parsed, the
// registry opens and checks buckets through the provider package, and every
// request is authorized (team membership, key confinement) before the
// server touches the team's bucket.
func Example() {
	ctx := context.Background()
	instance, err := address.Parse("mem://byob-example-instance")
	if err != nil {
		panic(err)
	}
	reg, err := scope.New(ctx, scope.Config{
		Deployment: scope.Testing,
		Instance:   instance,
		Store:      scope.NewMemStore(),
		Open:       scope.ProviderOpen(),
		Check:      scope.ProviderCheck(preflight.Options{}),
	})
	if err != nil {
		panic(err)
	}
	defer reg.Close()

	teamBucket, err := address.Parse("mem://byob-example-team/omega")
	if err != nil {
		panic(err)
	}
	if _, err := reg.CreateTeam(ctx, "omega", teamBucket); err != nil {
		panic(err)
	}

	bob := scope.User{ID: "bob", Teams: []string{"omega"}}
	key := "artifacts/model.bin"
	l, err := reg.Authorize(ctx, bob, "omega", key, scope.Write)
	if err != nil {
		panic(err)
	}
	if err := l.Bucket().WriteAll(ctx, key, []byte("weights"), nil); err != nil {
		panic(err)
	}
	full, _ := l.FullKey(key)
	fmt.Println("bob wrote", full, "in", l.Address().String())

	alice := scope.User{ID: "alice"}
	_, err = reg.Authorize(ctx, alice, "omega", key, scope.Read)
	fmt.Println("alice may read it:", !errors.Is(err, scope.ErrAccessDenied))
	_, err = reg.Authorize(ctx, bob, "omega", "../elsewhere", scope.Read)
	fmt.Println("a key that leaves the location is refused:", errors.Is(err, scope.ErrKey))
	// Output:
	// bob wrote omega/artifacts/model.bin in mem://byob-example-team/omega
	// alice may read it: false
	// a key that leaves the location is refused: true
}
