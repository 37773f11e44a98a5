package scope_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/byobkit/byob/address"
	"github.com/byobkit/byob/internal/testsecret"
	"github.com/byobkit/byob/provider/preflight"
	"github.com/byobkit/byob/scope"
)

// Real-looking secrets: the instance's, a team's, an Azure account key, a
// supported-stores entry's, and a GCS private key made for the test.
const (
	printInstanceKey    = "AKIAIOSFODNN7EXAMPLE"
	printInstanceSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	printTeamKey        = "AKIAZ3TEAMKEY0000042"
	printTeamSecret     = "tEaMsEcReT/xK9+w2ZqL0pYvB8nR4mJ7hGfDsA1c"
	printRotatedKey     = "AKIAR0TATEDKEY777777"
	printRotatedSecret  = "r0tAtEd/SeCrEt+q8Wn3Zk5Lm2Pv9Xb4Yc7Td1Uf"
	printAzureKey       = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
	printListKey        = "AKIALISTENTRY0123456"
	printListSecret     = "l1stSeCrEt/abcdefghijklmnopqrstuvwxyz0123"
)

// printedValue is one value of an exported type of the package.
type printedValue struct {
	typ string // the exported type it stands for
	v   any
}

// TestEveryTypePrintsRedacted prints a value of every exported type of the
// package, filled from a registry whose instance, teams and supported-stores
// entries carry keys (and from refusals a server's echo fed), through every
// printer a server might use, and looks for every 8-byte window of every
// secret in each output. Pointers are printed, and the values they point
// to, which fmt reads field by field without calling any method of
// unexported fields.
func TestEveryTypePrintsRedacted(t *testing.T) {
	values, secrets := printFixture(t)
	covered := map[string]bool{}
	for _, pv := range values {
		covered[pv.typ] = true
		forms := []any{pv.v}
		if rv := reflect.ValueOf(pv.v); rv.Kind() == reflect.Pointer && !rv.IsNil() {
			forms = append(forms, rv.Elem().Interface()) // a copy: what %v of *p prints
		}
		for i, v := range forms {
			form := "value"
			if i == 0 && len(forms) == 2 {
				form = "pointer"
			}
			for printer, out := range printings(v) {
				if w := secrets.Find(out); w != "" {
					t.Errorf("%s (%s) leaks under %s: the output holds the secret window %q", pv.typ, form, printer, w)
				}
			}
		}
	}
	for _, name := range exportedTypes(t) {
		if !covered[name] {
			t.Errorf("exported type %s is not in the table: add a value of it that holds credentials", name)
		}
	}
}

// printings prints v every way a server might.
func printings(v any) map[string]string {
	out := map[string]string{}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q"} {
		out[verb] = fmt.Sprintf(verb, v)
		out[verb+" as a field"] = fmt.Sprintf(verb, struct{ X any }{v})
		out[verb+" in a slice"] = fmt.Sprintf(verb, []any{v})
	}
	var text, js bytes.Buffer
	slog.New(slog.NewTextHandler(&text, nil)).Info("m", "v", v)
	slog.New(slog.NewJSONHandler(&js, nil)).Info("m", "v", v)
	slog.New(slog.NewTextHandler(&text, nil)).Info("m", slog.Group("g", "v", v))
	out["slog text"], out["slog json"] = text.String(), js.String()
	b, err := json.Marshal(v)
	out["encoding/json"] = string(b) + fmt.Sprint(err)
	if e, ok := v.(error); ok {
		out["Error()"] = e.Error()
		for u := errors.Unwrap(e); u != nil; u = errors.Unwrap(u) {
			out["Error() of the chain"] += u.Error()
		}
	}
	return out
}

// exportedTypes lists the exported types the package declares.
func exportedTypes(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	fset := token.NewFileSet()
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, f, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range file.Decls {
			if g, ok := d.(*ast.GenDecl); ok && g.Tok == token.TYPE {
				for _, s := range g.Specs {
					if ts := s.(*ast.TypeSpec); ts.Name.IsExported() {
						names = append(names, ts.Name.Name)
					}
				}
			}
		}
	}
	if len(names) < 10 {
		t.Fatalf("found only %d exported types: is the test in the package directory?", len(names))
	}
	return names
}

// echoServer answers every request with 403 and a body that copies the
// request (headers, query and body), as XML, the way a misbehaving S3
// server might.
func echoServer(t *testing.T) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		dump, _ := httputil.DumpRequest(r, true)
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(http.StatusForbidden)
		_, _ = io.WriteString(w, "<Error><Code>AccessDenied</Code><Message>denied: "+
			strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(string(dump))+"</Message></Error>")
	}))
	t.Cleanup(srv.Close)
	return srv
}

// printFixture builds a value of every exported type, each holding keys
// somewhere, and returns them with the secrets' windows, in every spelling
// a printer may give them.
func printFixture(t *testing.T) ([]printedValue, *testsecret.Set) {
	ctx := context.Background()
	_, gcsPEM := testsecret.RSAKey(t)
	gcsBody := strings.Join(testsecret.PEMBody(t, gcsPEM), "\n") // the secret part
	secrets := testsecret.NewSet(testsecret.Spellings(printInstanceKey, printInstanceSecret, printTeamKey, printTeamSecret, printRotatedKey, printRotatedSecret,
		printAzureKey, printListKey, printListSecret, gcsBody)...)
	withKeys := func(ak, sk, rest string) string {
		return "s3://" + url.QueryEscape(ak) + ":" + url.QueryEscape(sk) + "@" + rest
	}
	omegaAddr := withKeys(printTeamKey, printTeamSecret, "minio.local:9000/teams/omega?region=us-east-1")
	azureAddr := "az://:" + url.QueryEscape(printAzureKey) + "@acct/cont/team"
	gcsAddr := "gs://sa%40proj.iam.gserviceaccount.com:" + url.QueryEscape(gcsPEM) + "@gcs-bkt/team"

	// A real report of a bucket check, from a server that echoes the
	// request (with its Authorization header) into its error body.
	echo := echoServer(t)
	echoAddr := mustParse(t, withKeys(printTeamKey, printTeamSecret, strings.TrimPrefix(echo.URL, "http://")+"/echo-bkt?region=us-east-1"))
	_, checkErr := scope.ProviderCheck(preflight.Options{})(ctx, echoAddr)
	var report *scope.CheckReportError
	if !errors.As(checkErr, &report) {
		t.Fatalf("the check against the echo server = %v, want a *scope.CheckReportError", checkErr)
	}

	cloud := newFakeCloud()
	list, err := address.ParseList(withKeys(printListKey, printListSecret, "minio.local:9000/teams?region=us-east-1") +
		" " + azureAddr + " gs://gcs-bkt")
	if err != nil {
		t.Fatal(err)
	}
	cfg := scope.Config{Deployment: scope.Dedicated,
		Instance:        mustParse(t, withKeys(printInstanceKey, printInstanceSecret, "minio.local:9000/instance?region=us-east-1")),
		SupportedStores: list, Store: scope.NewMemStore(), Open: cloud.open, Check: cloud.check}
	reg, err := scope.New(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = reg.Close() })
	var locations []printedValue
	for team, storage := range map[string]string{"omega": omegaAddr, "azteam": azureAddr, "gcsteam": gcsAddr, "kappa": ""} {
		var a *address.Address
		if storage != "" {
			a = mustParse(t, storage)
		}
		if _, err := reg.CreateTeam(ctx, team, a); err != nil {
			t.Fatalf("CreateTeam(%s): %v", team, err)
		}
		l, err := reg.Location(ctx, team)
		if err != nil {
			t.Fatal(err)
		}
		locations = append(locations, printedValue{"Location", l})
	}
	inst, _ := reg.Instance()
	rec, err := cfg.Store.Get(ctx, "omega")
	if err != nil || rec.Credentials.IsZero() {
		t.Fatalf("the stored record = %v, %v; want one with credentials", rec, err)
	}

	// Refusals that name addresses with keys.
	var errs []printedValue
	refuse := func(_ any, err error) {
		if err == nil {
			t.Fatalf("an attempt that must fail succeeded")
		}
		var se *scope.Error
		if !errors.As(err, &se) {
			t.Fatalf("not a *scope.Error: %v", err)
		}
		errs = append(errs, printedValue{"Error", se})
		if se.Overlap != nil {
			errs = append(errs, printedValue{"Conflict", se.Overlap})
		}
	}
	refuse(reg.CreateTeam(ctx, "x", mustParse(t, withKeys(printRotatedKey, printRotatedSecret, "minio.local:9000/teams/omega/x?region=us-east-1"))))
	refuse(reg.CreateTeam(ctx, "x", mustParse(t, withKeys(printRotatedKey, printRotatedSecret, "minio.local:9000/elsewhere?region=us-east-1"))))
	refuse(reg.CreateTeam(ctx, "omega", mustParse(t, withKeys(printRotatedKey, printRotatedSecret, "minio.local:9000/teams/other?region=us-east-1"))))
	refuse(reg.RotateCredentials(ctx, "omega", mustParse(t, withKeys(printRotatedKey, printRotatedSecret, "minio.local:9000/teams/other?region=us-east-1"))))
	refuse(reg.RotateCredentials(ctx, "kappa", mustParse(t, withKeys(printRotatedKey, printRotatedSecret, "minio.local:9000/teams/kappa?region=us-east-1"))))
	cloud.broken["teams"] = report // the bucket check fails from here on
	refuse(reg.CreateTeam(ctx, "x", mustParse(t, withKeys(printRotatedKey, printRotatedSecret, "minio.local:9000/teams/new?region=us-east-1"))))
	refuse(reg.RotateCredentials(ctx, "omega", mustParse(t, withKeys(printRotatedKey, printRotatedSecret, "minio.local:9000/teams/omega?region=us-east-1"))))
	refuse(reg.RotateInstanceCredentials(ctx, mustParse(t, withKeys(printRotatedKey, printRotatedSecret, "minio.local:9000/other-instance?region=us-east-1"))))
	omega, _ := reg.Location(ctx, "omega")
	refuse(nil, omega.Allow(scope.User{ID: "alice"}, scope.Read))
	refuse(nil, omega.CheckKey("../x"))

	fs, err := scope.OpenFileStore(filepath.Join(t.TempDir(), "teams.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := fs.Create(ctx, rec, func([]scope.Record) error { return nil }); err != nil {
		t.Fatal(err)
	}
	var store scope.Store = fs

	values := []printedValue{
		{"Registry", reg},
		{"Config", &cfg},
		{"Location", inst},
		{"Record", &rec},
		{"CheckReportError", report},
		{"FileStore", fs},
		{"MemStore", cfg.Store},
		{"Store", store},
		{"OpenFunc", scope.OpenFunc(cloud.open)},
		{"CheckFunc", scope.CheckFunc(cloud.check)},
		{"User", &scope.User{ID: "alice", Teams: []string{"omega"}}},
		{"Access", scope.Read},
		{"Scope", scope.Team},
		{"Deployment", scope.Dedicated},
	}
	values = append(values, locations...)
	return append(values, errs...), secrets
}
