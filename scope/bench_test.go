package scope_test

import (
	"context"
	"net/url"
	"path"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/byobkit/byob/scope"
)

// benchEnv is a registry with a hundred teams, a third of them on the
// instance bucket, each already resolved once.
func benchEnv(b *testing.B) *env {
	e := newEnv(b, scope.Testing, "mem://instance")
	for i := range 100 {
		name := "team-" + string(rune('a'+i/26)) + string(rune('a'+i%26))
		storage := "mem://teams/" + name
		if i%3 == 0 {
			storage = ""
		}
		e.create(b, name, storage)
		e.location(b, name)
	}
	e.create(b, "omega", "mem://omega-bkt/data")
	e.location(b, "omega")
	return e
}

// BenchmarkLocation compares resolving a team's location through the
// registry with what a server would otherwise do per request: read the
// team's record and open its bucket. The -parallel variants show how a
// cached look-up scales with cores (run with -cpu 1,2,4): with no shared
// write on the read path, ns/op falls as cores are added.
func BenchmarkLocation(b *testing.B) {
	ctx := context.Background()
	e := benchEnv(b)
	b.Run("registry", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := e.reg.Location(ctx, "omega"); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("registry-parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := e.reg.Location(ctx, "omega"); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
	b.Run("registry-authorize", func(b *testing.B) {
		u := scope.User{ID: "bob", Teams: []string{"sigma", "omega"}}
		b.ReportAllocs()
		for b.Loop() {
			if _, err := e.reg.Authorize(ctx, u, "omega", benchKey, scope.Read); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("registry-authorize-parallel", func(b *testing.B) {
		u := scope.User{ID: "bob", Teams: []string{"sigma", "omega"}}
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := e.reg.Authorize(ctx, u, "omega", benchKey, scope.Read); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
	b.Run("naive-store-get-and-open-memblob", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			rec, err := e.store.Get(ctx, "omega")
			if err != nil {
				b.Fatal(err)
			}
			bkt, err := e.cloud.open(ctx, rec.Storage)
			if err != nil {
				b.Fatal(err)
			}
			_ = bkt.Close()
		}
	})
}

// BenchmarkCheckKey compares CheckKey with the checks a server might write
// by hand: decode, clean, compare the prefix.
func BenchmarkCheckKey(b *testing.B) {
	e := benchEnv(b)
	l := e.location(b, "omega")
	for _, k := range []struct{ name, key string }{
		{"ascii-88B", benchKey},
		{"unicode", "entity/project/run-1/media/images/üñíçødé_文件_😀_step_1.png"},
		{"long-1000B", strings.Repeat("abcdefghi/", 99) + "abcdefghi"},
	} {
		b.Run("CheckKey/"+k.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(k.key)))
			for b.Loop() {
				if err := l.CheckKey(k.key); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("naive-unescape-clean/"+k.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(k.key)))
			for b.Loop() {
				if !naiveKeyOK(l.Prefix(), k.key) {
					b.Fatal("naive check refused a good key")
				}
			}
		})
	}
}

// naiveKeyOK is the hand-written check CheckKey replaces. It is weaker (it
// cleans what it should refuse, and misses double encoding, control
// characters and provider limits) and is here only for the comparison.
func naiveKeyOK(prefix, key string) bool {
	dec, err := url.PathUnescape(key)
	if err != nil || !utf8.ValidString(dec) || strings.Contains(dec, `\`) {
		return false
	}
	full := path.Clean("/" + prefix + dec)
	return strings.HasPrefix(full, "/"+prefix) && len(prefix)+len(key) <= 1024
}

// BenchmarkResolveManyTeams resolves 5000 teams for the first time: what a
// server's warm-up costs. It is why the registry's cache of resolved teams
// is a sync.Map and not a map copied on each insert (O(teams) per team).
func BenchmarkResolveManyTeams(b *testing.B) {
	const n = 5000
	names := make([]string, n)
	for i := range names {
		names[i] = "team-" + strconv.Itoa(i)
	}
	for b.Loop() {
		b.StopTimer()
		e := newEnv(b, scope.Testing, "mem://instance")
		for _, name := range names {
			e.create(b, name, "")
		}
		b.StartTimer()
		for _, name := range names {
			if _, err := e.reg.Location(context.Background(), name); err != nil {
				b.Fatal(err)
			}
		}
	}
}
