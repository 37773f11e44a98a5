package address_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"testing"

	"github.com/byobkit/byob/address"
	"github.com/byobkit/byob/internal/testsecret"
)

// Credentials print redacted under every verb, as a value, a pointer and a
// field of another struct, under slog text and JSON and encoding/json.
func TestCredentialsPrintRedacted(t *testing.T) {
	c := address.Credentials{AccessKey: "AKIAIOSFODNN7EXAMPLE", Secret: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}
	type holder struct {
		Name  string
		Creds address.Credentials
		Ptr   *address.Credentials
	}
	h := holder{"team", c, &c}
	var text, js bytes.Buffer
	slog.New(slog.NewTextHandler(&text, nil)).Info("rotate", "creds", c, "ptr", &c, "holder", h)
	slog.New(slog.NewJSONHandler(&js, nil)).Info("rotate", "creds", c, "ptr", &c, "holder", h)
	enc, err := json.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	outputs := map[string]string{
		"String": c.String(), "slog text": text.String(), "slog JSON": js.String(), "json": string(enc),
	}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%d"} {
		outputs[verb+" value"] = fmt.Sprintf(verb, c)
		outputs[verb+" pointer"] = fmt.Sprintf(verb, &c)
		outputs[verb+" holder"] = fmt.Sprintf(verb, h)
	}
	for name, out := range outputs {
		for _, key := range []string{c.AccessKey, c.Secret} {
			if w := testsecret.Find(out, key); w != "" {
				t.Errorf("%s output holds %q: %s", name, w, out)
			}
		}
		if !strings.Contains(out, address.Redacted) {
			t.Errorf("%s output does not say the keys are set: %s", name, out)
		}
	}
	if got, want := (address.Credentials{Secret: "x"}).String(), "{AccessKey: Secret:REDACTED}"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}

var pemArmour = strings.NewReplacer("-----BEGIN PRIVATE KEY-----", "", "-----END PRIVATE KEY-----", "", `\n`, "\n")

// A location and its keys come apart and back together unchanged, and the
// location alone still parses to itself.
func TestAddressCredentials(t *testing.T) {
	tests := []string{
		"s3://ak:sk@minio.example:9000/bkt/team?region=r1",
		"s3://ak:sk@minio.example/bkt/team?region=r1", // no port: the location alone prints one
		"s3://ak:sk@s3.eu-west-1.amazonaws.com/bkt/team",
		"cw://ak:sk@cwobject.com/bkt?region=US-EAST-04A&tls=true",
		"gs://sa%40p.iam.gserviceaccount.com:" + url.QueryEscape(pemKey(t)) + "@bkt/team",
		"az://:" + url.QueryEscape(azKey) + "@acct1/cont/team",
	}
	for _, in := range tests {
		t.Run(in[:strings.Index(in, ":")], func(t *testing.T) {
			a := mustParse(t, in)
			orig := *a
			c := a.Credentials()
			if c.IsZero() || c.AccessKey != a.AccessKey || c.Secret != a.Secret {
				t.Fatalf("Credentials() = %#v", c)
			}
			loc := a.WithoutCredentials()
			if *a != orig {
				t.Fatal("WithoutCredentials changed the address")
			}
			if loc.HasCredentials() || !loc.Credentials().IsZero() || !loc.SameLocation(a) || loc.BucketID() != a.BucketID() {
				t.Fatalf("the location alone is another location: %v", loc)
			}
			if again := mustParse(t, loc.URL()); *again != *loc {
				t.Errorf("the location alone does not round-trip: %q", loc.URL())
			}
			if back := loc.WithCredentials(c); *back != *a {
				t.Errorf("WithCredentials(Credentials()) = %#v, want %#v", back, a)
			}
			rotated := a.WithCredentials(address.Credentials{AccessKey: c.AccessKey, Secret: c.Secret})
			if !rotated.SameLocation(a) || rotated.ServiceID() != a.ServiceID() {
				t.Error("new keys moved the location")
			}
			if err := address.ValidateCredentials(a.Provider, c); err != nil {
				t.Errorf("ValidateCredentials refuses keys Parse accepted: %v", err)
			}
		})
	}
}

func TestValidateCredentials(t *testing.T) {
	pemText := pemKey(t)
	const email = "sa@p.iam.gserviceaccount.com"
	tests := []struct {
		name  string
		p     address.Provider
		c     address.Credentials
		kind  error
		field address.Field
	}{
		{"S3 keys", address.S3, address.Credentials{AccessKey: "AKIA", Secret: "se/cr@t+="}, nil, ""},
		{"ambient identity on S3", address.S3, address.Credentials{}, nil, ""},
		{"ambient identity on mem", address.Mem, address.Credentials{}, nil, ""},
		{"CoreWeave keys", address.CoreWeave, address.Credentials{AccessKey: "ak", Secret: "sk"}, nil, ""},
		{"GCS service account", address.GCS, address.Credentials{AccessKey: email, Secret: pemText}, nil, ""},
		{"Azure account key", address.Azure, address.Credentials{Secret: azKey}, nil, ""},
		{"S3 without access key", address.S3, address.Credentials{Secret: "sk"}, address.ErrMissing, address.FieldAccessKey},
		{"S3 without secret", address.S3, address.Credentials{AccessKey: "ak"}, address.ErrMissing, address.FieldSecret},
		{"S3 secret with a newline", address.S3, address.Credentials{AccessKey: "ak", Secret: "s\nk"}, address.ErrInvalid, address.FieldSecret},
		{"S3 access key with a space", address.CoreWeave, address.Credentials{AccessKey: "a k", Secret: "sk"}, address.ErrInvalid, address.FieldAccessKey},
		{"GCS user not an e-mail", address.GCS, address.Credentials{AccessKey: "someone", Secret: pemText}, address.ErrInvalid, address.FieldAccessKey},
		{"GCS key not PEM", address.GCS, address.Credentials{AccessKey: email, Secret: "notakey"}, address.ErrInvalid, address.FieldSecret},
		{"GCS key with \\n escapes", address.GCS, address.Credentials{AccessKey: email, Secret: strings.ReplaceAll(pemText, "\n", `\n`)}, address.ErrInvalid, address.FieldSecret},
		{"GCS without key", address.GCS, address.Credentials{AccessKey: email}, address.ErrMissing, address.FieldSecret},
		{"Azure with a user name", address.Azure, address.Credentials{AccessKey: "acct1", Secret: azKey}, address.ErrInvalid, address.FieldAccessKey},
		{"Azure key not base64", address.Azure, address.Credentials{Secret: "not-base64!"}, address.ErrInvalid, address.FieldSecret},
		{"keys on file://", address.File, address.Credentials{AccessKey: "ak", Secret: "sk"}, address.ErrInvalid, address.FieldSecret},
		{"unknown provider", "ftp", address.Credentials{}, address.ErrScheme, address.FieldScheme},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := address.ValidateCredentials(tt.p, tt.c)
			if tt.kind == nil {
				if err != nil {
					t.Fatalf("ValidateCredentials = %v", err)
				}
				return
			}
			var e *address.Error
			if !errors.As(err, &e) || !errors.Is(err, tt.kind) || e.Field != tt.field {
				t.Fatalf("ValidateCredentials = %v; want kind %v on %q", err, tt.kind, tt.field)
			}
			// The PEM armour is no secret: the fix names it.
			keys := []string{pemArmour.Replace(tt.c.Secret)}
			if tt.p != address.GCS { // a service account's e-mail is no secret
				keys = append(keys, tt.c.AccessKey)
			}
			for _, key := range keys {
				if w := testsecret.Find(err.Error(), key); w != "" {
					t.Errorf("error quotes %q: %v", w, err)
				}
			}
		})
	}
}
