package scope_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/byobkit/byob/scope"
)

// keyLocation returns a location of team "omega" at storage, in a
// deployment that offers it.
func keyLocation(t testing.TB, d scope.Deployment, instance, storage string) *scope.Location {
	t.Helper()
	e := newEnv(t, d, instance, withAnyStore())
	if storage == "" {
		l, err := e.reg.Instance()
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	e.create(t, "omega", storage)
	return e.location(t, "omega")
}

func TestCheckKey(t *testing.T) {
	l := keyLocation(t, scope.Testing, "mem://instance", "mem://shared/teams/omega")
	accepted := []string{
		"a",
		"wandb_artifacts/1/0123456789abcdef/d41d8cd98f00b204e9800998ecf8427e",
		"entity/project/run-1/media/images/step_0.png",
		"a.b", "...", "a..b", ".hidden", "a.", "space in name", "~tilde", "a:b=c+d@e",
		"üñíçødé/文件/😀", "\uFFFD literal replacement character",
		"100%", "50%off", "a%", "%2", "%zz", "%41%42", "a%20b", "%7e",
	}
	for _, k := range accepted {
		if err := l.CheckKey(k); err != nil {
			t.Errorf("CheckKey(%q) = %v, want accepted", k, err)
		}
		full, err := l.FullKey(k)
		if err != nil || full != "teams/omega/"+k {
			t.Errorf("FullKey(%q) = %q, %v", k, full, err)
		}
	}
	refused := map[string]string{
		"":                  "empty",
		"/a":                "leading slash",
		"a/":                "trailing slash (empty last segment)",
		"a//b":              "empty segment",
		".":                 "dot segment",
		"..":                "dot-dot segment",
		"../a":              "escape at the start",
		"a/../../b":         "escape in the middle",
		"a/..":              "dot-dot at the end",
		"./a":               "dot at the start",
		"a/./b":             "dot in the middle",
		`a\b`:               "backslash",
		`..\a`:              "backslash dot-dot",
		"a\x00b":            "NUL",
		"a\nb":              "newline",
		"a\rb":              "carriage return",
		"a\tb":              "tab",
		"\x7f":              "DEL",
		"a\u0085b":          "C1 control (NEL)",
		"\x9b":              "a lone continuation byte",
		"a\xffb":            "invalid UTF-8",
		"\xc0\xae":          "overlong UTF-8 '.'",
		"%2e%2e/a":          "percent-encoded dot-dot",
		"%2E%2E/a":          "upper-case percent-encoded dot-dot",
		"a/%2e":             "percent-encoded dot",
		"x%2ey":             "any percent-encoded dot",
		"a%2Fb":             "percent-encoded slash",
		"a%2fb":             "lower-case percent-encoded slash",
		"a%5Cb":             "percent-encoded backslash",
		"%00":               "percent-encoded NUL",
		"a%0Ab":             "percent-encoded newline",
		"%7F":               "percent-encoded DEL",
		"%252e%252e":        "double-encoded dot-dot",
		"%25":               "percent-encoded percent",
		"%C0%AE%C0%AE/a":    "percent-encoded overlong dot",
		"%c3%a9":            "percent-encoded non-ASCII byte",
		"%%2e%2e":           "a literal percent before an encoded dot",
		"%%32%65":           "a bare percent that a second decoding completes to %2e",
		"%2%65/x":           "a bare percent completed by an escaped hex digit",
		"50%off%20sale":     "a bare percent beside an escape",
		"ok/%2e%2e%2f..%2f": "mixed",
	}
	for k, why := range refused {
		err := l.CheckKey(k)
		var se *scope.Error
		if !errors.Is(err, scope.ErrKey) || !errors.As(err, &se) || se.Team != "omega" {
			t.Errorf("CheckKey(%q) [%s] = %v, want ErrKey for team omega", k, why, err)
			continue
		}
		if strings.ContainsAny(err.Error(), "\x00\n\r\x7f") {
			t.Errorf("the error for %q carries a raw control character: %q", k, err.Error())
		}
		if _, err := l.FullKey(k); !errors.Is(err, scope.ErrKey) {
			t.Errorf("FullKey(%q) = %v, want ErrKey", k, err)
		}
	}
}

func TestCheckKeyLimits(t *testing.T) {
	const instanceS3 = "s3://ak:sk@minio.local:9000/instance?region=us-east-1"
	seg := func(n int, s string) string { return strings.Repeat(s, n) }
	cases := []struct {
		name      string
		location  *scope.Location
		key       string
		wantError bool
	}{
		// prefix "teams/omega/" is 12 bytes: the 1024 bytes count it.
		{"s3: full key of 1024 bytes", keyLocation(t, scope.SelfManaged, instanceS3, "s3://ak:sk@minio.local:9000/bkt/teams/omega?region=us-east-1"), seg(1012, "k"), false},
		{"s3: full key of 1025 bytes", keyLocation(t, scope.SelfManaged, instanceS3, "s3://ak:sk@minio.local:9000/bkt/teams/omega?region=us-east-1"), seg(1013, "k"), true},
		{"coreweave: 1025 bytes", keyLocation(t, scope.SelfManaged, instanceS3, "cw://ak:sk@cwobject.com/bkt?region=US-EAST-04A&tls=true"), seg(1025, "k"), true},
		{"s3: 1024 bytes of 2-byte characters", keyLocation(t, scope.SelfManaged, instanceS3, "s3://team-bkt"), seg(512, "é"), false},
		{"s3: 1026 bytes of 2-byte characters", keyLocation(t, scope.SelfManaged, instanceS3, "s3://team-bkt"), seg(513, "é"), true},
		{"gcs: 1024 bytes", keyLocation(t, scope.SelfManaged, instanceS3, "gs://team-bkt/p"), seg(1022, "k"), false},
		{"gcs: 1025 bytes", keyLocation(t, scope.SelfManaged, instanceS3, "gs://team-bkt/p"), seg(1023, "k"), true},
		// Azure counts characters: 1024 two-byte characters fit.
		{"azure: 1024 characters of 2 bytes", keyLocation(t, scope.SelfManaged, instanceS3, "az://acct/cont/p"), seg(1022, "é"), false},
		{"azure: 1025 characters", keyLocation(t, scope.SelfManaged, instanceS3, "az://acct/cont/p"), seg(1023, "é"), true},
		{"azure: 254 segments", keyLocation(t, scope.SelfManaged, instanceS3, "az://acct/cont/p"), seg(252, "a/") + "a", false},
		{"azure: 255 segments", keyLocation(t, scope.SelfManaged, instanceS3, "az://acct/cont/p"), seg(253, "a/") + "a", true},
		{"azure: a segment ending in a dot", keyLocation(t, scope.SelfManaged, instanceS3, "az://acct/cont/p"), "a./b", true},
		{"azure: a key ending in a dot", keyLocation(t, scope.SelfManaged, instanceS3, "az://acct/cont/p"), "a.", true},
		// file:///srv/byob: the path is "/srv/byob/" + key.
		{"file: 249-byte last segment", keyLocation(t, scope.SelfManaged, "file:///srv/byob", ""), seg(249, "f"), false},
		{"file: 250-byte last segment (no room for .attrs)", keyLocation(t, scope.SelfManaged, "file:///srv/byob", ""), seg(250, "f"), true},
		{"file: 255-byte directory segment", keyLocation(t, scope.SelfManaged, "file:///srv/byob", ""), seg(255, "d") + "/f", false},
		{"file: 256-byte directory segment", keyLocation(t, scope.SelfManaged, "file:///srv/byob", ""), seg(256, "d") + "/f", true},
		{"file: a .attrs key", keyLocation(t, scope.SelfManaged, "file:///srv/byob", ""), "a/b.attrs", true},
		{"file: a path of 4095 bytes", keyLocation(t, scope.SelfManaged, "file:///srv/byob", ""), seg(20, seg(200, "d")+"/") + seg(4095-10-20*201, "f"), false},
		{"file: a path of 4096 bytes", keyLocation(t, scope.SelfManaged, "file:///srv/byob", ""), seg(20, seg(200, "d")+"/") + seg(4096-10-20*201, "f"), true},
		{"mem: the clouds' 1024 bytes", keyLocation(t, scope.Testing, "mem://instance", ""), seg(1025, "k"), true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.location.CheckKey(c.key)
			if c.wantError != (err != nil) {
				t.Fatalf("CheckKey(%d bytes) = %v, want error: %v", len(c.key), err, c.wantError)
			}
			if err != nil && !errors.Is(err, scope.ErrKey) {
				t.Fatalf("error kind = %v, want ErrKey", err)
			}
		})
	}
}

// TestCheckKeyAllocations: the key check sits on every request; accepting
// a key must not allocate.
func TestCheckKeyAllocations(t *testing.T) {
	l := keyLocation(t, scope.SelfManaged, "s3://ak:sk@minio.local:9000/instance?region=us-east-1", "az://acct/cont/teams/omega")
	for _, k := range []string{benchKey, "üñíçødé/文件/😀/a%20b"} {
		if n := testing.AllocsPerRun(100, func() { _ = l.CheckKey(k) }); n != 0 {
			t.Errorf("CheckKey(%q) allocates %v times, want 0", k, n)
		}
	}
}

const benchKey = "wandb_artifacts/118/0a1b2c3d4e5f60718293a4b5c6d7e8f9/d41d8cd98f00b204e9800998ecf8427e"
