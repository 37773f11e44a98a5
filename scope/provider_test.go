package scope_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/byobkit/byob/address"
	"github.com/byobkit/byob/provider"
	"github.com/byobkit/byob/provider/preflight"
	"github.com/byobkit/byob/scope"
)

// providerEnv is a registry backed by the provider package, with names
// unique to the test (provider's mem:// buckets live as long as the process).
func providerEnv(t testing.TB, instance string) *scope.Registry {
	t.Helper()
	reg, err := scope.New(context.Background(), scope.Config{Deployment: scope.Testing, Instance: mustParse(t, instance),
		Store: scope.NewMemStore(), Open: scope.ProviderOpen(), Check: scope.ProviderCheck(preflight.Options{})})
	if err != nil {
		t.Fatalf("scope.New: %v", err)
	}
	t.Cleanup(func() { _ = reg.Close() })
	return reg
}

func TestProviderFuncs(t *testing.T) {
	ctx := context.Background()
	reg := providerEnv(t, "mem://provider-funcs-instance")
	warnings, err := reg.CreateTeam(ctx, "omega", mustParse(t, "mem://provider-funcs-shared/teams/omega"))
	if err != nil || len(warnings) != 0 {
		t.Fatalf("CreateTeam = %v, %v", warnings, err)
	}
	l, err := reg.Authorize(ctx, scope.User{ID: "bob", Teams: []string{"omega"}}, "omega", "omega/p/r/f.txt", scope.Write)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Bucket().WriteAll(ctx, "omega/p/r/f.txt", []byte("data"), nil); err != nil {
		t.Fatal(err)
	}
	// The file is under the location's prefix in the shared bucket.
	raw, err := provider.Open(ctx, mustParse(t, "mem://provider-funcs-shared"))
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if data, err := raw.Bucket().ReadAll(ctx, "teams/omega/omega/p/r/f.txt"); err != nil || string(data) != "data" {
		t.Fatalf("raw read = %q, %v", data, err)
	}
}

// TestProviderCheckBlocksUnusable: a bucket preflight.Check finds errors in
// is refused with ErrUnusable, the report reachable through errors.As.
func TestProviderCheckBlocksUnusable(t *testing.T) {
	notADir := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(notADir, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	reg := providerEnv(t, "mem://provider-check-instance")
	_, err := reg.CreateTeam(context.Background(), "omega", &address.Address{Provider: address.File, Bucket: filepath.ToSlash(notADir)})
	wantKind(t, err, scope.ErrUnusable)
	var re *scope.CheckReportError
	if !errors.As(err, &re) || re.Report.Worst() != preflight.SeverityError {
		t.Fatalf("error = %v, want a *scope.CheckReportError with an error finding", err)
	}
	if !strings.Contains(err.Error(), "reachable") {
		t.Errorf("the error does not name the failed check: %v", err)
	}
	if _, err := reg.Location(context.Background(), "omega"); !errors.Is(err, scope.ErrNotFound) {
		t.Fatalf("the refused team was stored: %v", err)
	}
}

// BenchmarkLocationProvider compares the registry with opening a real
// provider bucket per request (S3 client set-up, no network I/O).
func BenchmarkLocationProvider(b *testing.B) {
	ctx := context.Background()
	reg := providerEnv(b, "mem://provider-bench-instance")
	s3 := mustParse(b, "s3://AKIAEXAMPLE:secret@minio.local:9000/bkt/teams/omega?region=us-east-1")
	if _, err := reg.CreateTeam(ctx, "omega", mustParse(b, "mem://provider-bench/teams/omega")); err != nil {
		b.Fatal(err)
	}
	b.Run("registry", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := reg.Location(ctx, "omega"); err != nil {
				b.Fatal(err)
			}
		}
	})
	for _, c := range []struct{ name, addr string }{
		{"naive-provider-open-mem", "mem://provider-bench/teams/omega"},
		{"naive-provider-open-s3", s3.URL()},
	} {
		a := mustParse(b, c.addr)
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				bkt, err := provider.Open(ctx, a)
				if err != nil {
					b.Fatal(err)
				}
				_ = bkt.Close()
			}
		})
	}
}
