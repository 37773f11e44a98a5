package address

import (
	"go/ast"
	"go/parser"
	"go/token"
	"slices"
	"testing"
)

// flavorConstants reads the Flavor constants from flavor.go's source, so a
// constant added there without a record in the table fails the test below.
func flavorConstants(t *testing.T) []Flavor {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), "flavor.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var out []Flavor
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.CONST {
			continue
		}
		for _, spec := range g.Specs {
			vs := spec.(*ast.ValueSpec)
			if id, ok := vs.Type.(*ast.Ident); !ok || id.Name != "Flavor" {
				continue
			}
			for _, name := range vs.Names {
				out = append(out, Flavor(constValue(t, f, name.Name)))
			}
		}
	}
	if len(out) == 0 {
		t.Fatal("found no Flavor constants in flavor.go")
	}
	return out
}

func constValue(t *testing.T, f *ast.File, name string) string {
	obj := f.Scope.Lookup(name)
	if obj == nil {
		t.Fatalf("constant %s not found", name)
	}
	lit, ok := obj.Decl.(*ast.ValueSpec).Values[0].(*ast.BasicLit)
	if !ok || lit.Kind != token.STRING {
		t.Fatalf("constant %s is not a string literal", name)
	}
	return lit.Value[1 : len(lit.Value)-1]
}

// Every flavor has a whole record, so a new flavor cannot be half-added:
// the facts other packages derive their tables from are all there.
func TestEveryFlavorHasACompleteRecord(t *testing.T) {
	consts := flavorConstants(t)
	if !slices.Equal(consts, allFlavors) {
		t.Fatalf("Flavors() = %v, but flavor.go declares %v", allFlavors, consts)
	}
	if len(flavorRules) != len(consts) {
		t.Fatalf("the table has %d records for %d flavors", len(flavorRules), len(consts))
	}
	for _, f := range consts {
		r, ok := flavorRules[f]
		if !ok {
			t.Errorf("%s: no record", f)
			continue
		}
		network := r.TLS != TLSNone
		fam, ok := flavorRules[r.Family]
		switch {
		case r.Family == "" || !ok:
			t.Errorf("%s: Family %q is not a flavor", f, r.Family)
		case fam.Family != r.Family:
			t.Errorf("%s: its family %s is not its own family", f, r.Family)
		}
		if r.Style == "" {
			t.Errorf("%s: no Style", f)
		}
		if r.Keys == (KeyLimits{}) {
			t.Errorf("%s: no key limits", f)
		}
		if r.service == "" && r.anyEndpoint {
			t.Errorf("%s: every endpoint reaches a service without a name", f)
		}
		if network != (r.UserParam != "") || network != (r.BatchDelete > 0) || network != (r.bucket.docs != "") {
			t.Errorf("%s: network=%v but UserParam %q, BatchDelete %d, bucket rules %v",
				f, network, r.UserParam, r.BatchDelete, r.bucket.docs != "")
		}
		if !network && (r.DefaultHost != "" || r.EndpointParam || r.LegacyChecksums || r.MinTLS != 0 || r.SDKEndpoint || r.RegionStrict) {
			t.Errorf("%s: network facts on a flavor without a network", f)
		}
		if (r.DefaultHost != "") && r.service == "" {
			t.Errorf("%s: a default host but no service name for it", f)
		}
	}
}

// Rules returns a copy: what a caller does to it changes nothing.
func TestRulesIsACopy(t *testing.T) {
	r := FlavorAzure.Rules()
	r.PutHeaders[0].Value = "AppendBlob"
	r.PutHeaders = append(r.PutHeaders, Header{"x", "y"})
	if got := FlavorAzure.Rules().PutHeaders; len(got) != 1 || got[0].Value != "BlockBlob" {
		t.Fatalf("the table changed: %v", got)
	}
	fl := Flavors()
	fl[0] = "changed"
	if Flavors()[0] != FlavorAWS {
		t.Fatal("Flavors() shares its slice")
	}
}
