package scope_test

import (
	"context"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/byobkit/byob/address"
	"github.com/byobkit/byob/scope"
)

// One address per column of the matrix, with CoreWeave reached three ways.
var matrixColumns = []struct {
	name, addr string
}{
	{"aws", "s3://ak:sk@s3.eu-central-1.amazonaws.com/bkt-aws/p"},
	{"s3c", "s3://ak:sk@minio.local:9000/bkt-s3c?region=us-east-1"},
	{"cw", "cw://ak:sk@cwobject.com/bkt-cw?region=US-EAST-04A&tls=true"},
	{"cw-over-s3", "s3://ak:sk@cwobject.com/bkt-cws3?region=US-EAST-04A&tls=true"},
	{"cw-lota", "cw://bkt-lota.cwlota.com"},
	{"gcs", "gs://bkt-gcs"},
	{"azure", "az://acct/cont"},
	{"file", "file:///var/lib/byob"},
	{"mem", "mem://bkt"},
}

// The product's table, with byob's decisions for file:// and mem://, written
// out independently of the package's data.
var wantMatrix = map[scope.Deployment]map[scope.Scope]string{
	scope.Dedicated:   {scope.Instance: "aws s3c gcs azure", scope.Team: "aws s3c cw cw-over-s3 cw-lota gcs azure"},
	scope.MultiTenant: {scope.Instance: "", scope.Team: "aws cw cw-over-s3 cw-lota gcs"},
	scope.SelfManaged: {scope.Instance: "aws s3c gcs azure file", scope.Team: "aws s3c cw cw-over-s3 cw-lota gcs azure"},
	scope.Testing:     {scope.Instance: "file mem", scope.Team: "file mem"},
}

var instanceFor = map[scope.Deployment]string{
	scope.Dedicated:   "s3://ak:sk@minio.local:9000/instance-bkt?region=us-east-1",
	scope.SelfManaged: "s3://ak:sk@minio.local:9000/instance-bkt?region=us-east-1",
	scope.Testing:     "mem://instance",
}

func TestAvailabilityMatrix(t *testing.T) {
	for _, d := range []scope.Deployment{scope.Dedicated, scope.MultiTenant, scope.SelfManaged, scope.Testing} {
		for _, s := range []scope.Scope{scope.Instance, scope.Team} {
			allowed := strings.Fields(wantMatrix[d][s])
			for _, col := range matrixColumns {
				want := slices.Contains(allowed, col.name)
				t.Run(string(d)+"/"+string(s)+"/"+col.name, func(t *testing.T) {
					a := mustParse(t, col.addr)
					err := scope.Available(d, s, a.Flavor())
					if want && err != nil || !want && !errors.Is(err, scope.ErrNotAvailable) {
						t.Fatalf("Available = %v, want allowed=%v", err, want)
					}
					if s == scope.Instance {
						checkInstanceCell(t, d, a, want)
					} else {
						checkTeamCell(t, d, a, want)
					}
				})
			}
		}
	}
}

// checkInstanceCell checks that scope.New applies the cell.
func checkInstanceCell(t *testing.T, d scope.Deployment, a *address.Address, want bool) {
	c := newFakeCloud()
	reg, err := scope.New(context.Background(), scope.Config{Deployment: d, Instance: a,
		Store: scope.NewMemStore(), Open: c.open, Check: c.check})
	switch {
	case want && err != nil:
		t.Fatalf("New refused an allowed instance bucket: %v", err)
	case want:
		_ = reg.Close()
	case d == scope.MultiTenant:
		wantKind(t, err, scope.ErrInvalid) // no instance bucket at all
	default:
		wantKind(t, err, scope.ErrNotAvailable)
	}
}

// checkTeamCell checks that CreateTeam applies the cell and writes nothing
// when it refuses.
func checkTeamCell(t *testing.T, d scope.Deployment, a *address.Address, want bool) {
	e := newEnv(t, d, instanceFor[d], withAnyStore()) // the supported-stores rule is not under test
	_, err := e.reg.CreateTeam(context.Background(), "omega", a)
	if want {
		if err != nil {
			t.Fatalf("CreateTeam refused an allowed team bucket: %v", err)
		}
		return
	}
	wantKind(t, err, scope.ErrNotAvailable)
	if got := e.teams(t); len(got) != 0 {
		t.Fatalf("a refused create wrote %v", got)
	}
	if checks, _ := e.cloud.counts(); checks != 0 {
		t.Fatalf("the bucket was checked %d times before the availability rule refused", checks)
	}
}

// TestMatrixDocTable keeps the table in the package documentation true.
func TestMatrixDocTable(t *testing.T) {
	src, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	flavors := []address.Flavor{address.FlavorAWS, address.FlavorS3Compatible, address.FlavorCoreWeave,
		address.FlavorGCS, address.FlavorAzure, address.FlavorFile, address.FlavorMem}
	rows := 0
	for line := range strings.Lines(string(src)) {
		f := strings.Fields(strings.TrimPrefix(line, "//"))
		if len(f) < 2 || !slices.Contains([]string{"dedicated", "multi-tenant", "self-managed", "testing"}, f[0]) {
			continue
		}
		cells := slices.DeleteFunc(f[2:], func(s string) bool { return strings.HasPrefix(s, "(") })
		if len(cells) != len(flavors) {
			t.Fatalf("doc row %q has %d cells, want %d", line, len(cells), len(flavors))
		}
		for i, fl := range flavors {
			got := scope.Available(scope.Deployment(f[0]), scope.Scope(f[1]), fl) == nil
			if (cells[i] == "yes") != got {
				t.Errorf("doc says %s %s %s = %s, the package says %v", f[0], f[1], fl, cells[i], got)
			}
		}
		rows++
	}
	if rows != 8 {
		t.Fatalf("found %d matrix rows in doc.go, want 8", rows)
	}
}

func TestAvailableRejectsUnknownInput(t *testing.T) {
	wantKind(t, scope.Available("hybrid", scope.Team, address.FlavorAWS), scope.ErrInvalid)
	wantKind(t, scope.Available(scope.Dedicated, "org", address.FlavorAWS), scope.ErrInvalid)
	wantKind(t, scope.Available(scope.Dedicated, scope.Team, ""), scope.ErrNotAvailable)
}
