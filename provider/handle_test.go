package provider_test

import (
	"bytes"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/byobkit/byob/address"
	"github.com/byobkit/byob/internal/testsecret"
	"github.com/byobkit/byob/provider"
	"gocloud.dev/blob/memblob"
	"gocloud.dev/gcerrors"
)

// Made-up keys, long enough for the 8-byte window check.
const (
	testAccessKey = "AKIAHANDLETESTKEY0001"
	testSecretKey = "hAndLe/Secret+Key=0123456789abcdefghijkl"
	testAzureKey  = "aGFuZGxlLXRlc3QtYXp1cmUtYWNjb3VudC1rZXktMDAwMQ=="
)

// writeGoogleCredentials writes a Google credentials file and points
// GOOGLE_APPLICATION_CREDENTIALS at it.
func writeGoogleCredentials(t *testing.T, v any) {
	t.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	f := filepath.Join(t.TempDir(), "application_default_credentials.json")
	if err := os.WriteFile(f, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("GOOGLE_APPLICATION_CREDENTIALS", f)
}

// authorizedUser is the credentials file `gcloud auth application-default
// login` writes, with made-up values.
func authorizedUser(refreshToken string) map[string]string {
	return map[string]string{
		"type":          "authorized_user",
		"client_id":     "123-handle-test.apps.googleusercontent.com",
		"client_secret": "handle-test-client-secret",
		"refresh_token": refreshToken,
	}
}

// TestHandleAccessors specifies what Open resolves and keeps, per provider,
// and that it does so without a single request.
func TestHandleAccessors(t *testing.T) {
	_, gsKey := testsecret.RSAKey(t)
	dir := t.TempDir()
	mem := uniqueName(t, "handle")
	type clients struct{ s3, gcs, az bool }
	for _, tc := range []struct {
		name  string
		a     *address.Address
		opts  []provider.Option
		setup func(t *testing.T)

		flavor   address.Flavor
		region   string
		endpoint string
		style    address.Style
		prefix   string
		source   provider.CredentialSource
		clients  clients
	}{
		{
			name: "aws with the region in the address",
			a: &address.Address{Provider: address.S3, Bucket: "bkt", Path: "runs", Region: "eu-west-1", TLS: true,
				AccessKey: testAccessKey, Secret: testSecretKey},
			flavor: address.FlavorAWS, region: "eu-west-1", endpoint: "https://s3.eu-west-1.amazonaws.com",
			style: address.StyleVirtualHosted, prefix: "runs/", source: provider.CredentialsAddress, clients: clients{s3: true},
		},
		{
			name:   "aws region only from WithDefaultRegion names that region's endpoint",
			a:      &address.Address{Provider: address.S3, Bucket: "bkt", TLS: true},
			opts:   []provider.Option{provider.WithDefaultRegion("ap-south-1")},
			flavor: address.FlavorAWS, region: "ap-south-1", endpoint: "https://s3.ap-south-1.amazonaws.com",
			style: address.StyleVirtualHosted, source: provider.CredentialsAmbient, clients: clients{s3: true},
		},
		{
			name:   "aws region in the address wins over the default",
			a:      &address.Address{Provider: address.S3, Bucket: "bkt", Region: "eu-north-1", TLS: true},
			opts:   []provider.Option{provider.WithDefaultRegion("ap-south-1")},
			flavor: address.FlavorAWS, region: "eu-north-1", endpoint: "https://s3.eu-north-1.amazonaws.com",
			style: address.StyleVirtualHosted, source: provider.CredentialsAmbient, clients: clients{s3: true},
		},
		{
			name: "s3-compatible is path style on its own endpoint",
			a: &address.Address{Provider: address.S3, Endpoint: "127.0.0.1:9000", Bucket: "bkt", Path: "team/a", Region: "us-east-1",
				AccessKey: testAccessKey, Secret: testSecretKey},
			flavor: address.FlavorS3Compatible, region: "us-east-1", endpoint: "http://127.0.0.1:9000",
			style: address.StylePath, prefix: "team/a/", source: provider.CredentialsAddress, clients: clients{s3: true},
		},
		{
			name: "coreweave is virtual-hosted over https",
			a: &address.Address{Provider: address.CoreWeave, Endpoint: "cwobject.com", Bucket: "bkt", Region: "US-EAST-04A", TLS: true,
				AccessKey: testAccessKey, Secret: testSecretKey},
			flavor: address.FlavorCoreWeave, region: "US-EAST-04A", endpoint: "https://cwobject.com",
			style: address.StyleVirtualHosted, source: provider.CredentialsAddress, clients: clients{s3: true},
		},
		{
			name:   "coreweave ambient takes the default region and keeps its endpoint",
			a:      &address.Address{Provider: address.CoreWeave, Endpoint: "cwobject.com", Bucket: "bkt", TLS: true},
			opts:   []provider.Option{provider.WithDefaultRegion("US-WEST-01A")},
			flavor: address.FlavorCoreWeave, region: "US-WEST-01A", endpoint: "https://cwobject.com",
			style: address.StyleVirtualHosted, source: provider.CredentialsAmbient, clients: clients{s3: true},
		},
		{
			name: "gcs with a service account key",
			a: &address.Address{Provider: address.GCS, Bucket: "bkt", Path: "p", TLS: true,
				AccessKey: "sa@p.iam.gserviceaccount.com", Secret: gsKey},
			flavor: address.FlavorGCS, endpoint: "https://storage.googleapis.com",
			style: address.StylePath, prefix: "p/", source: provider.CredentialsAddress, clients: clients{gcs: true},
		},
		{
			name:   "gcs ambient from a credentials file",
			a:      &address.Address{Provider: address.GCS, Bucket: "bkt", TLS: true},
			setup:  func(t *testing.T) { writeGoogleCredentials(t, authorizedUser("1//handle-test-refresh-token")) },
			flavor: address.FlavorGCS, endpoint: "https://storage.googleapis.com",
			style: address.StylePath, source: provider.CredentialsAmbient, clients: clients{gcs: true},
		},
		{
			name:   "gcs emulator on plain http has no credentials",
			a:      &address.Address{Provider: address.GCS, Bucket: "bkt", Endpoint: "127.0.0.1:4443"},
			flavor: address.FlavorGCS, endpoint: "http://127.0.0.1:4443",
			style: address.StylePath, source: provider.CredentialsNone, clients: clients{gcs: true},
		},
		{
			name: "azurite puts the account in the path",
			a: &address.Address{Provider: address.Azure, Account: "devstoreaccount1", Endpoint: "127.0.0.1:10000", Bucket: "cont", Path: "team",
				Secret: testAzureKey},
			flavor: address.FlavorAzure, endpoint: "http://127.0.0.1:10000/devstoreaccount1",
			style: address.StylePath, prefix: "team/", source: provider.CredentialsAddress, clients: clients{az: true},
		},
		{
			name:   "public azure ambient is the account's host",
			a:      &address.Address{Provider: address.Azure, Account: "acct", Bucket: "cont", TLS: true},
			flavor: address.FlavorAzure, endpoint: "https://acct.blob.core.windows.net",
			style: address.StyleVirtualHosted, source: provider.CredentialsAmbient, clients: clients{az: true},
		},
		{
			name:   "file has no endpoint, style or credentials",
			a:      &address.Address{Provider: address.File, Bucket: dir, Path: "team"},
			flavor: address.FlavorFile, style: address.StyleNone, prefix: "team/", source: provider.CredentialsNone,
		},
		{
			name:   "mem has no endpoint, style or credentials",
			a:      &address.Address{Provider: address.Mem, Bucket: mem, Path: "x/y"},
			flavor: address.FlavorMem, style: address.StyleNone, prefix: "x/y/", source: provider.CredentialsNone,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.setup != nil {
				tc.setup(t)
			}
			var calls atomic.Int32
			hc := &http.Client{Transport: roundTripFunc(func(*http.Request) (*http.Response, error) {
				calls.Add(1)
				return nil, errors.New("no network in this test")
			})}
			h := openHandle(t, tc.a, append(tc.opts, provider.WithHTTPClient(hc))...)
			if n := calls.Load(); n != 0 {
				t.Errorf("Open sent %d requests", n)
			}
			if h.Bucket() == nil {
				t.Fatal("Bucket() = nil")
			}
			for _, c := range []struct {
				what      string
				got, want any
			}{
				{"Flavor", h.Flavor(), tc.flavor},
				{"Rules().Family", h.Rules().Family, tc.flavor.Rules().Family},
				{"Region", h.Region(), tc.region},
				{"EndpointURL", h.EndpointURL(), tc.endpoint},
				{"Style", h.Style(), tc.style},
				{"Prefix", h.Prefix(), tc.prefix},
				{"CredentialSource", h.CredentialSource(), tc.source},
				{"CredentialSourceOf, before opening", provider.CredentialSourceOf(tc.a), tc.source},
				{"S3() != nil", h.S3() != nil, tc.clients.s3},
				{"GCS() != nil", h.GCS() != nil, tc.clients.gcs},
				{"AzureContainer() != nil", h.AzureContainer() != nil, tc.clients.az},
				{"AzureService() != nil", h.AzureService() != nil, tc.clients.az},
			} {
				if c.got != c.want {
					t.Errorf("%s = %v, want %v", c.what, c.got, c.want)
				}
			}
			if loc := h.Location(); loc.HasCredentials() || loc.Bucket != tc.a.Bucket || loc.Path != tc.a.Path || loc.Region != tc.a.Region {
				t.Errorf("Location() = %v, want the address without its credentials", loc)
			}
			if got := h.Address(); got.AccessKey != tc.a.AccessKey || got.Secret != tc.a.Secret {
				t.Errorf("Address() does not carry the address's credentials")
			}
			if n := calls.Load(); n != 0 {
				t.Errorf("the accessors sent %d requests", n)
			}
		})
	}
}

// TestHandleAWSCredentials: the credentials S3 requests are signed with,
// from the address or from the default chain, with what presigning needs to
// know about their lifetime.
func TestHandleAWSCredentials(t *testing.T) {
	t.Run("keys from the address never expire", func(t *testing.T) {
		h := openHandle(t, &address.Address{Provider: address.S3, Endpoint: "127.0.0.1:9", Bucket: "bkt", Region: "us-east-1",
			AccessKey: testAccessKey, Secret: testSecretKey})
		c, err := h.AWSCredentials(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if c.AccessKeyID != testAccessKey || c.SecretAccessKey != testSecretKey || c.SessionToken != "" || c.CanExpire {
			t.Errorf("AWSCredentials = key %q, secret matches %v, session token set %v, CanExpire %v; want the address's keys, no token, no expiry",
				c.AccessKeyID, c.SecretAccessKey == testSecretKey, c.SessionToken != "", c.CanExpire)
		}
	})
	t.Run("ambient from the container credentials endpoint", func(t *testing.T) {
		const (
			ak    = "ASIAHANDLETESTTEMP01"
			sk    = "temporary/Secret+Key=from-the-container-endpoint"
			token = "IQoJb3JpZ2luX2VjEHandleTestSessionToken=="
		)
		expires := time.Now().Add(time.Hour).UTC().Truncate(time.Second)
		var served atomic.Int32
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			served.Add(1)
			if r.URL.Path != "/creds" {
				http.NotFound(w, r)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(w).Encode(map[string]string{
				"AccessKeyId": ak, "SecretAccessKey": sk, "Token": token, "Expiration": expires.Format(time.RFC3339),
			})
		}))
		defer srv.Close()
		t.Setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", srv.URL+"/creds")
		h := openHandle(t, &address.Address{Provider: address.S3, Bucket: "bkt", Region: "us-east-1", TLS: true})
		if served.Load() != 0 {
			t.Errorf("Open asked the credentials endpoint already")
		}
		c, err := h.AWSCredentials(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if c.AccessKeyID != ak || c.SecretAccessKey != sk || c.SessionToken != token {
			t.Errorf("AWSCredentials = key %q, secret matches %v, token matches %v; want the endpoint's", c.AccessKeyID, c.SecretAccessKey == sk, c.SessionToken == token)
		}
		// The SDK's cache reports them expiring a few minutes early, when it
		// will refresh them: never later than the real expiry.
		if !c.CanExpire || c.Expires.After(expires) || c.Expires.Before(expires.Add(-15*time.Minute)) {
			t.Errorf("CanExpire = %v, Expires = %v; want true, at most 15 minutes before %v and not after", c.CanExpire, c.Expires, expires)
		}
		if _, err := h.AWSCredentials(t.Context()); err != nil {
			t.Fatal(err)
		}
		if n := served.Load(); n != 1 {
			t.Errorf("the credentials endpoint was asked %d times for two calls; want 1 (cached until they expire)", n)
		}
	})
	t.Run("other providers have none", func(t *testing.T) {
		for _, a := range []*address.Address{
			{Provider: address.Mem, Bucket: uniqueName(t, "handle")},
			{Provider: address.GCS, Bucket: "bkt", Endpoint: "127.0.0.1:9"},
			{Provider: address.Azure, Account: "acct", Bucket: "cont", TLS: true, Secret: testAzureKey},
		} {
			h := openHandle(t, a)
			if _, err := h.AWSCredentials(t.Context()); !errors.Is(err, provider.ErrNoSigner) {
				t.Errorf("%s: AWSCredentials error = %v, want ErrNoSigner", a.Provider, err)
			}
		}
	})
}

// TestNewHandleOverACallersBucket: a bucket opened some other way has the
// address's location and nothing else; closing the handle closes it.
func TestNewHandleOverACallersBucket(t *testing.T) {
	ctx := t.Context()
	a := &address.Address{Provider: address.S3, Endpoint: "127.0.0.1:9", Bucket: "bkt", Path: "team", Region: "us-east-1",
		AccessKey: testAccessKey, Secret: testSecretKey}
	b := memblob.OpenBucket(nil)
	h := provider.NewHandle(a, b)
	if h.Flavor() != address.FlavorS3Compatible || h.Region() != "us-east-1" || h.Prefix() != "team/" ||
		h.CredentialSource() != provider.CredentialsAddress || h.EndpointURL() != "http://127.0.0.1:9" {
		t.Errorf("NewHandle: flavor %s, region %q, prefix %q, source %s, endpoint %q",
			h.Flavor(), h.Region(), h.Prefix(), h.CredentialSource(), h.EndpointURL())
	}
	if h.S3() != nil || h.GCS() != nil || h.AzureContainer() != nil || h.AzureService() != nil {
		t.Errorf("NewHandle has native clients")
	}
	// The handle's bucket is the caller's, behind the same error wrapper
	// as Open's: writes land in b, and errors are classified *Errors.
	if err := h.Bucket().WriteAll(ctx, "through-handle", []byte("v"), nil); err != nil {
		t.Fatalf("write through the handle: %v", err)
	}
	if got, err := b.ReadAll(ctx, "through-handle"); err != nil || string(got) != "v" {
		t.Errorf("the caller's bucket reads %q, %v; want what the handle wrote", got, err)
	}
	_, err := h.Bucket().ReadAll(ctx, "missing")
	var pe *provider.Error
	if !errors.As(err, &pe) || gcerrors.Code(err) != gcerrors.NotFound {
		t.Errorf("reading a missing key through NewHandle's bucket = %v, want a NotFound *provider.Error", err)
	}
	_, errAWS := h.AWSCredentials(ctx)
	_, errGoogle := h.GoogleSigner(ctx)
	_, errAzure := h.AzureSigner(ctx)
	for name, err := range map[string]error{"AWSCredentials": errAWS, "GoogleSigner": errGoogle, "AzureSigner": errAzure} {
		if !errors.Is(err, provider.ErrNoSigner) {
			t.Errorf("%s error = %v, want ErrNoSigner", name, err)
		}
	}
	if err := h.SetCredentials(ctx, address.Credentials{AccessKey: "AKIANEWKEY", Secret: "a new secret"}); !errors.Is(err, provider.ErrRotation) {
		t.Errorf("SetCredentials on a handle without native clients = %v, want ErrRotation", err)
	}
	if err := b.WriteAll(ctx, "k", []byte("v"), nil); err != nil {
		t.Fatalf("the caller's bucket before Close: %v", err)
	}
	if err := h.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if _, err := b.ReadAll(ctx, "k"); err == nil {
		t.Errorf("the caller's bucket still works after the handle's Close")
	}
}

// printedForms is everything a value may be turned into by fmt, log/slog
// and encoding/json, labelled.
func printedForms(t *testing.T, v any) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q"} {
		out[verb] = fmt.Sprintf(verb, v)
	}
	out["%v in a struct"] = fmt.Sprintf("%+v", struct{ V any }{v})
	for name, newHandler := range map[string]func(*bytes.Buffer) slog.Handler{
		"slog text": func(b *bytes.Buffer) slog.Handler { return slog.NewTextHandler(b, nil) },
		"slog JSON": func(b *bytes.Buffer) slog.Handler { return slog.NewJSONHandler(b, nil) },
	} {
		var buf bytes.Buffer
		slog.New(newHandler(&buf)).Info("msg", "value", v)
		out[name] = buf.String()
	}
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("json.Marshal(%T): %v", v, err)
	}
	out["json.Marshal"] = string(raw)
	return out
}

func checkPrintsNoSecret(t *testing.T, what string, v any, secrets ...string) {
	t.Helper()
	for form, text := range printedForms(t, v) {
		testsecret.Check(t, what+" under "+form, text, secrets...)
	}
}

// TestHandlePrintsNoSecret: a handle, its address and its signers print
// redacted whatever prints them, before and after a rotation.
func TestHandlePrintsNoSecret(t *testing.T) {
	ctx := t.Context()
	t.Run("s3", func(t *testing.T) {
		h := openHandle(t, &address.Address{Provider: address.S3, Endpoint: "127.0.0.1:9", Bucket: "bkt", Region: "us-east-1",
			AccessKey: testAccessKey, Secret: testSecretKey})
		checkPrintsNoSecret(t, "*Handle", h, testAccessKey, testSecretKey)
		checkPrintsNoSecret(t, "Address()", h.Address(), testAccessKey, testSecretKey)
		const newKey, newSecret = "AKIAROTATEDKEY000002", "rotated/Secret+Key=zyxwvutsrqponmlkjih"
		if err := h.SetCredentials(ctx, address.Credentials{AccessKey: newKey, Secret: newSecret}); err != nil {
			t.Fatal(err)
		}
		checkPrintsNoSecret(t, "*Handle after rotation", h, newKey, newSecret, testAccessKey, testSecretKey)
		checkPrintsNoSecret(t, "Address() after rotation", h.Address(), newKey, newSecret)
	})
	t.Run("gcs", func(t *testing.T) {
		_, key := testsecret.RSAKey(t)
		h := openHandle(t, &address.Address{Provider: address.GCS, Bucket: "bkt", TLS: true, AccessKey: "sa@p.iam.gserviceaccount.com", Secret: key})
		secrets := testsecret.PEMBody(t, key)
		checkPrintsNoSecret(t, "*Handle", h, secrets...)
		checkPrintsNoSecret(t, "Address()", h.Address(), secrets...)
		s, err := h.GoogleSigner(ctx)
		if err != nil {
			t.Fatal(err)
		}
		// The private exponent and primes too, in every base fmt prints.
		for _, n := range append([]interface{ Text(int) string }{s.Key.D}, primes(s.Key)...) {
			secrets = append(secrets, n.Text(10), n.Text(16))
		}
		checkPrintsNoSecret(t, "GoogleSigner", s, secrets...)
		checkPrintsNoSecret(t, "*GoogleSigner", &s, secrets...)
		if got := fmt.Sprintf("%#v", s); !strings.Contains(got, "sa@p.iam.gserviceaccount.com") {
			t.Errorf("%%#v of GoogleSigner = %q, want it to name the account", got)
		}
	})
	t.Run("azure", func(t *testing.T) {
		h := openHandle(t, &address.Address{Provider: address.Azure, Account: "acct", Bucket: "cont", TLS: true, Secret: testAzureKey})
		checkPrintsNoSecret(t, "*Handle", h, testAzureKey)
		checkPrintsNoSecret(t, "Address()", h.Address(), testAzureKey)
		s, err := h.AzureSigner(ctx)
		if err != nil {
			t.Fatal(err)
		}
		checkPrintsNoSecret(t, "AzureSigner", s, testAzureKey)
		checkPrintsNoSecret(t, "*AzureSigner", &s, testAzureKey)
	})
}

func primes(k *rsa.PrivateKey) []interface{ Text(int) string } {
	var out []interface{ Text(int) string }
	for _, p := range k.Primes {
		out = append(out, p)
	}
	return out
}
