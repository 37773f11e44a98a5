// Command kappa-omega runs the documentation's Kappa/Omega example on
// in-memory (mem://) buckets: team Kappa uses the instance bucket, team
// Omega is created with a team bucket; each writes a file, and the program
// prints who can read what. Then it shows how Kappa is isolated: a team's
// storage cannot change after creation (only a team bucket's credentials
// can rotate), so the registry refuses to give Kappa a bucket
// (ErrImmutable), and the isolated team is one created with its own bucket
// from the start (kappa-2).
//
//	go run ./examples/kappa-omega
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/byobkit/byob/address"
	"github.com/byobkit/byob/provider/preflight"
	"github.com/byobkit/byob/scope"
)

func main() {
	if err := run(context.Background(), os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "kappa-omega:", err)
		os.Exit(1)
	}
}

// demo is the example's state: the registry and its users.
type demo struct {
	ctx   context.Context
	w     io.Writer
	reg   *scope.Registry
	users []scope.User
	files map[string]string // team -> the key of the file written for it
}

func run(ctx context.Context, w io.Writer) error {
	instance := mustParse("mem://instance")
	reg, err := scope.New(ctx, scope.Config{
		Deployment: scope.Testing, // mem:// is offered to tests and examples only
		Instance:   instance,
		Store:      scope.NewMemStore(),
		Open:       scope.ProviderOpen(),
		Check:      scope.ProviderCheck(preflight.Options{}),
	})
	if err != nil {
		return err
	}
	defer reg.Close()
	d := &demo{ctx: ctx, w: w, reg: reg, files: map[string]string{}, users: []scope.User{
		{ID: "alice", Teams: []string{"kappa"}},
		{ID: "bob", Teams: []string{"omega"}},
	}}

	fmt.Fprintf(w, "deployment %q, instance bucket %s\n\n", scope.Testing, instance)
	if err := d.create("kappa", nil); err != nil {
		return err
	}
	if err := d.create("omega", mustParse("mem://omega-bucket")); err != nil {
		return err
	}
	fmt.Fprintln(w)
	for _, x := range []struct{ user, team string }{{"alice", "kappa"}, {"bob", "omega"}} {
		if err := d.write(x.user, x.team); err != nil {
			return err
		}
	}
	d.table("kappa", "omega")

	fmt.Fprintln(w, "\ngiving kappa a team bucket:")
	kappaBucket := mustParse("mem://kappa-bucket")
	_, err = reg.CreateTeam(ctx, "kappa", kappaBucket)
	if !errors.Is(err, scope.ErrImmutable) {
		return fmt.Errorf("CreateTeam(kappa, a bucket) = %v, want ErrImmutable", err)
	}
	fmt.Fprintf(w, "  refused with scope.ErrImmutable: %v\n", err)
	fmt.Fprintln(w, "  chosen here: storage is fixed when a team is created, so the isolated team is a new team,")
	fmt.Fprintln(w, "  kappa-2, created with its own bucket; kappa's members join it. kappa's existing files stay")
	fmt.Fprintln(w, "  in the instance bucket (moving them is a migration outside byob).")
	fmt.Fprintln(w)
	if err := d.create("kappa-2", kappaBucket); err != nil {
		return err
	}
	d.users[0].Teams = append(d.users[0].Teams, "kappa-2")
	if err := d.write("alice", "kappa-2"); err != nil {
		return err
	}
	d.table("kappa", "omega", "kappa-2")
	return nil
}

func (d *demo) create(team string, bucket *address.Address) error {
	if _, err := d.reg.CreateTeam(d.ctx, team, bucket); err != nil {
		return err
	}
	l, err := d.reg.Location(d.ctx, team)
	if err != nil {
		return err
	}
	how := "with its own bucket"
	if bucket == nil {
		how = "without a bucket"
	}
	fmt.Fprintf(d.w, "created team %-7s %-19s -> %s scope, files in %s\n", team, how, l.Scope(), l.Address().String())
	return nil
}

func (d *demo) user(id string) scope.User {
	for _, u := range d.users {
		if u.ID == id {
			return u
		}
	}
	panic("unknown user " + id)
}

// write stores a run file for team, as user, through Authorize.
func (d *demo) write(id, team string) error {
	key := team + "/project/run-1/notes.txt"
	l, err := d.reg.Authorize(d.ctx, d.user(id), team, key, scope.Write)
	if err != nil {
		return err
	}
	if err := l.Bucket().WriteAll(d.ctx, key, []byte(team+"'s notes"), nil); err != nil {
		return err
	}
	d.files[team] = key
	fmt.Fprintf(d.w, "%s (member of %s) wrote %s to %s\n", id, strings.Join(d.user(id).Teams, ", "), key, l.Address().String())
	return nil
}

// table prints, for every user and team, whether the user may read the
// team's file, and what a permitted read returns.
func (d *demo) table(teams ...string) {
	fmt.Fprintln(d.w, "\nwho can read what:")
	tw := tabwriter.NewWriter(d.w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  user\tmember of\treads the file of\tresult")
	for _, u := range d.users {
		for _, team := range teams {
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", u.ID, strings.Join(u.Teams, ", "), team, d.read(u, team))
		}
	}
	tw.Flush()
}

func (d *demo) read(u scope.User, team string) string {
	l, err := d.reg.Authorize(d.ctx, u, team, d.files[team], scope.Read)
	switch {
	case errors.Is(err, scope.ErrAccessDenied):
		return "denied (team bucket, not a member)"
	case err != nil:
		return "error: " + err.Error()
	}
	data, err := l.Bucket().ReadAll(d.ctx, d.files[team])
	if err != nil {
		return "error: " + err.Error()
	}
	return fmt.Sprintf("allowed (%s scope): %q", l.Scope(), data)
}

func mustParse(s string) *address.Address {
	a, err := address.Parse(s)
	if err != nil {
		panic(err)
	}
	return a
}
