package scope_test

import (
	"errors"
	"net/url"
	"path"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/byobkit/byob/scope"
)

// FuzzKey checks the key confinement: CheckKey never panics, refuses only
// with ErrKey, and no accepted key resolves outside its location's prefix
// however it is read: as is, cleaned as a path, or after one or two rounds
// of percent-decoding. Seeds live in testdata/fuzz/FuzzKey.
func FuzzKey(f *testing.F) {
	for _, s := range []string{
		"a", "wandb_artifacts/1/abc/d41d8cd98f00b204e9800998ecf8427e", "entity/project/run/media/images/x.png",
		"..", "../x", "a/../../b", "./a", "a//b", "/etc/passwd", `..\..\x`, "a\x00b", "a\nb",
		"%2e%2e/x", "%2E%2e%2Fx", "%252e%252e/x", "%%32%65", "%C0%AE%C0%AE/x", "\xc0\xae\xc0\xae/x",
		"a%2fb", "100%", "%zz", "üñí/文件", "a\u0085b", "a.", "x.attrs",
	} {
		f.Add(s)
	}
	locations := fuzzLocations(f)
	f.Fuzz(func(t *testing.T, key string) {
		for _, l := range locations {
			err := l.CheckKey(key)
			if err != nil {
				var se *scope.Error
				if !errors.Is(err, scope.ErrKey) || !errors.As(err, &se) {
					t.Fatalf("CheckKey(%q) = %v, want a *scope.Error of kind ErrKey", key, err)
				}
				continue
			}
			confined(t, l, key)
		}
	})
}

// fuzzLocations are locations of several providers and prefixes.
func fuzzLocations(tb testing.TB) []*scope.Location {
	instanceS3 := "s3://ak:sk@minio.local:9000/instance?region=us-east-1"
	return []*scope.Location{
		keyLocation(tb, scope.Testing, "mem://instance", "mem://shared/teams/omega"),
		keyLocation(tb, scope.Testing, "mem://instance", ""),
		keyLocation(tb, scope.SelfManaged, instanceS3, "az://acct/cont/p"),
		keyLocation(tb, scope.SelfManaged, "file:///srv/byob", ""),
	}
}

// confined fails unless key, accepted in l, stays inside l's prefix under
// every reading.
func confined(t *testing.T, l *scope.Location, key string) {
	t.Helper()
	if !utf8.ValidString(key) {
		t.Fatalf("accepted invalid UTF-8 %q", key)
	}
	full, err := l.FullKey(key)
	if err != nil || full != l.Prefix()+key {
		t.Fatalf("FullKey(%q) = %q, %v after CheckKey accepted it", key, full, err)
	}
	once := lenientUnescape(key)
	readings := []string{key, once, lenientUnescape(once)}
	if strict, err := url.PathUnescape(key); err == nil {
		readings = append(readings, strict)
		if twice, err := url.PathUnescape(strict); err == nil {
			readings = append(readings, twice)
		}
	}
	for _, r := range readings {
		if strings.Count(r, "/") != strings.Count(key, "/") || strings.ContainsRune(r, '\\') {
			t.Fatalf("key %q reads as %q: decoding adds a separator", key, r)
		}
		for _, c := range r {
			if c < 0x20 || c == 0x7f {
				t.Fatalf("key %q reads as %q: a control character", key, r)
			}
		}
		joined := l.Prefix() + r
		if path.Clean("/"+joined) != "/"+joined {
			t.Fatalf("key %q reads as %q, which a path cleaner changes to %q", key, r, path.Clean("/"+joined))
		}
		if !strings.HasPrefix(path.Clean("/"+joined), "/"+l.Prefix()) {
			t.Fatalf("key %q reads as %q, outside the prefix %q", key, r, l.Prefix())
		}
	}
}

// TestFuzzLocationsAreConfined runs the fuzz property on fixed keys, so the
// property itself is checked in every test run.
func TestFuzzLocationsAreConfined(t *testing.T) {
	for _, l := range fuzzLocations(t) {
		confined(t, l, "a/b%20c/d.e")
	}
}

// lenientUnescape decodes every valid %XX and keeps anything else, as
// forgiving decoders do.
func lenientUnescape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) {
			if v, err := strconv.ParseUint(s[i+1:i+3], 16, 8); err == nil {
				b.WriteByte(byte(v))
				i += 2
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
