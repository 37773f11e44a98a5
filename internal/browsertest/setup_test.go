package browsertest

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/byobkit/byob/address"
	"github.com/byobkit/byob/presign"
	"github.com/byobkit/byob/scope"
)

// team is the team the tests sign for, on the instance bucket; user is its
// requester.
const (
	team = "kappa"
	user = "alice"
)

var anyone = scope.User{ID: "u-anyone"}

// registry opens a registry whose instance bucket is raw, with no bucket
// check (the tests set the bucket up themselves), and team kappa on it.
func registry(t *testing.T, raw string) (*scope.Registry, *address.Address) {
	t.Helper()
	a, err := address.Parse(raw)
	if err != nil {
		t.Fatalf("parse address: %v", err)
	}
	dep := scope.Dedicated
	if a.Provider == address.File || a.Provider == address.Mem {
		dep = scope.Testing
	}
	reg, err := scope.New(context.Background(), scope.Config{Deployment: dep, Instance: a, Store: scope.NewMemStore(),
		Open: scope.ProviderOpen(), Check: func(context.Context, *address.Address) ([]string, error) { return nil, nil }})
	if err != nil {
		t.Fatalf("registry: %v", err)
	}
	t.Cleanup(func() { _ = reg.Close() })
	if _, err := reg.CreateTeam(context.Background(), team, nil); err != nil {
		t.Fatalf("create team: %v", err)
	}
	return reg, a
}

// signPair signs the PUT of body (Content-Type and Content-MD5 bound where
// the provider can) and the GET of key, as the product's server does for a
// browser upload.
func signPair(t *testing.T, s *presign.Signer, key, md5 string) (put, get presign.Request) {
	t.Helper()
	ctx := context.Background()
	put, err := s.Sign(ctx, anyone, team, key, presign.Options{Method: "PUT", ContentType: "application/octet-stream", ContentMD5: md5, User: user})
	if err != nil {
		t.Fatalf("sign PUT: %v", err)
	}
	get, err = s.Sign(ctx, anyone, team, key, presign.Options{Method: "GET", User: user})
	if err != nil {
		t.Fatalf("sign GET: %v", err)
	}
	return put, get
}

// tamperParam changes the last character of query parameter name in raw,
// leaving the rest of the URL byte for byte as signed.
func tamperParam(t *testing.T, raw, name string) string {
	t.Helper()
	i := strings.Index(raw, "?")
	if i < 0 {
		t.Fatalf("URL without a query")
	}
	parts := strings.Split(raw[i+1:], "&")
	for j, p := range parts {
		k, v, _ := strings.Cut(p, "=")
		if k != name || v == "" {
			continue
		}
		last := "0"
		if v[len(v)-1] == '0' {
			last = "1"
		}
		parts[j] = k + "=" + v[:len(v)-1] + last
		return raw[:i+1] + strings.Join(parts, "&")
	}
	t.Fatalf("URL has no parameter %q", name)
	return ""
}

// escapeSecret is a secret as an address's userinfo holds it.
func escapeSecret(s string) string { return url.QueryEscape(s) }

func jsonUnmarshal(s string, v any) error { return json.Unmarshal([]byte(s), v) }

// afterPoll paces a wait for a browser event.
func afterPoll() <-chan time.Time { return time.After(50 * time.Millisecond) }
