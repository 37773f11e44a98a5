package presign

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/sas"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/service"
	"github.com/byobkit/byob/address"
	"github.com/byobkit/byob/provider"
	"github.com/byobkit/byob/scope"
)

// entraFake plays Microsoft Entra ID (client credentials) and the storage
// account's Get User Delegation Key, in-process: it is the transport of
// every client the test builds, so nothing leaves the machine.
type entraFake struct {
	t                          *testing.T
	tenant, clientID, secret   string
	token, account, keyValue   string
	oid, tid, service, version string

	mu       sync.Mutex
	keyCalls int
	other    []string // requests it does not serve
}

func newEntraFake(t *testing.T) *entraFake {
	return &entraFake{t: t, tenant: "00000000-1111-2222-3333-444444444444", clientID: "55555555-6666-7777-8888-999999999999",
		secret: "presign~test~client~secret~0123456789", token: "eyJ0eXAiOiJKV1QiPresignTestAzureToken.x.y", account: "acct",
		keyValue: base64.StdEncoding.EncodeToString([]byte("Zq9-w3Lp-kT7v~presign~udk-0nly!")),
		oid:      "oid-aaaa", tid: "tid-bbbb", service: "b", version: "2025-01-05"}
}

func (f *entraFake) RoundTrip(r *http.Request) (*http.Response, error) {
	rec := httptest.NewRecorder()
	switch r.URL.Host {
	case "login.microsoftonline.com":
		f.login(rec, r)
	case f.account + ".blob.core.windows.net":
		f.blob(rec, r)
	default:
		f.mu.Lock()
		f.other = append(f.other, r.Method+" "+r.URL.Host)
		f.mu.Unlock()
		http.NotFound(rec, r)
	}
	resp := rec.Result()
	resp.Request = r
	return resp, nil
}

func (f *entraFake) Do(r *http.Request) (*http.Response, error) { return f.RoundTrip(r) }

func (f *entraFake) login(w http.ResponseWriter, r *http.Request) {
	authority := "https://login.microsoftonline.com/" + f.tenant
	js := func(v any) { w.Header().Set("Content-Type", "application/json"); _ = json.NewEncoder(w).Encode(v) }
	switch {
	case r.URL.Path == "/common/discovery/instance":
		js(map[string]any{"tenant_discovery_endpoint": authority + "/v2.0/.well-known/openid-configuration", "api-version": "1.1",
			"metadata": []map[string]any{{"preferred_network": "login.microsoftonline.com", "preferred_cache": "login.windows.net",
				"aliases": []string{"login.microsoftonline.com", "login.windows.net"}}}})
	case r.URL.Path == "/"+f.tenant+"/v2.0/.well-known/openid-configuration":
		js(map[string]any{"token_endpoint": authority + "/oauth2/v2.0/token", "authorization_endpoint": authority + "/oauth2/v2.0/authorize", "issuer": authority + "/v2.0"})
	case r.Method == http.MethodPost && r.URL.Path == "/"+f.tenant+"/oauth2/v2.0/token":
		if r.ParseForm() != nil || r.PostForm.Get("client_secret") != f.secret {
			w.WriteHeader(http.StatusUnauthorized)
			js(map[string]string{"error": "invalid_client"})
			return
		}
		js(map[string]any{"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599, "access_token": f.token})
	default:
		f.t.Errorf("fake Entra ID: unexpected %s %s", r.Method, r.URL)
		http.NotFound(w, r)
	}
}

// blob answers Get User Delegation Key with a key valid as asked: the same
// key info always gets the same key, so that azblob can be handed the key
// presign was.
func (f *entraFake) blob(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if r.Method != http.MethodPost || q.Get("restype") != "service" || q.Get("comp") != "userdelegationkey" {
		f.t.Errorf("fake blob service: unexpected %s %s", r.Method, r.URL)
		http.NotFound(w, r)
		return
	}
	if r.Header.Get("Authorization") != "Bearer "+f.token {
		w.Header().Set("x-ms-error-code", "InvalidAuthenticationInfo")
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	body, _ := io.ReadAll(r.Body)
	var in struct{ Start, Expiry string }
	if err := xml.Unmarshal(body, &in); err != nil {
		http.Error(w, "bad KeyInfo", http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	f.keyCalls++
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/xml")
	fmt.Fprintf(w, `<?xml version="1.0" encoding="utf-8"?><UserDelegationKey><SignedOid>%s</SignedOid><SignedTid>%s</SignedTid>`+
		`<SignedStart>%s</SignedStart><SignedExpiry>%s</SignedExpiry><SignedService>%s</SignedService><SignedVersion>%s</SignedVersion>`+
		`<Value>%s</Value></UserDelegationKey>`, f.oid, f.tid, in.Start, in.Expiry, f.service, f.version, f.keyValue)
}

func (f *entraFake) calls() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.keyCalls
}

// sdkCredential is azblob's credential for the key the fake hands out for
// start to expiry, through azblob's own Get User Delegation Key.
func (f *entraFake) sdkCredential(t *testing.T, start, expiry time.Time) *service.UserDelegationCredential {
	t.Helper()
	opts := &service.ClientOptions{ClientOptions: azcore.ClientOptions{Transport: f}}
	c, err := service.NewClient("https://"+f.account+".blob.core.windows.net/", staticToken(f.token), opts)
	if err != nil {
		t.Fatal(err)
	}
	st, ex := start.UTC().Format(sas.TimeFormat), expiry.UTC().Format(sas.TimeFormat)
	udc, err := c.GetUserDelegationCredential(context.Background(), service.KeyInfo{Start: &st, Expiry: &ex}, nil)
	if err != nil {
		t.Fatalf("azblob GetUserDelegationCredential: %v", err)
	}
	return udc
}

type staticToken string

func (s staticToken) GetToken(context.Context, policy.TokenRequestOptions) (azcore.AccessToken, error) {
	return azcore.AccessToken{Token: string(s), ExpiresOn: time.Now().Add(time.Hour)}, nil
}

// ambientAzure returns a Signer on az://acct/cont/inst opened with the
// fake's client credentials in the environment (no account key: an
// ambient identity), its clock, and the instance location.
func ambientAzure(t *testing.T, f *entraFake, now func() time.Time) (*Signer, *scope.Location) {
	t.Helper()
	t.Setenv("AZURE_TENANT_ID", f.tenant)
	t.Setenv("AZURE_CLIENT_ID", f.clientID)
	t.Setenv("AZURE_CLIENT_SECRET", f.secret)
	a, err := address.Parse("az://" + f.account + "/cont/inst")
	if err != nil {
		t.Fatal(err)
	}
	reg, err := scope.New(context.Background(), scope.Config{Deployment: scope.Dedicated, Instance: a, Store: scope.NewMemStore(),
		Open:  scope.ProviderOpen(provider.WithHTTPClient(&http.Client{Transport: f})),
		Check: func(context.Context, *address.Address) ([]string, error) { return nil, nil }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = reg.Close() })
	if _, err := reg.CreateTeam(context.Background(), "kappa", nil); err != nil {
		t.Fatal(err)
	}
	loc, err := reg.Instance()
	if err != nil {
		t.Fatal(err)
	}
	if src := loc.Handle().CredentialSource(); src != provider.CredentialsAmbient {
		t.Fatalf("CredentialSource = %s, want ambient", src)
	}
	return New(reg, WithClock(now)), loc
}

// TestAzureUserDelegationAmbient: for an Azure location with an ambient
// identity the Signer signs a user delegation SAS, byte for byte the URL
// azblob's SignWithUserDelegation makes with the same key and values, with
// scid and the request headers signed; the key is fetched once per its
// lifetime, not once per URL, and a URL never outlives it.
func TestAzureUserDelegationAmbient(t *testing.T) {
	f := newEntraFake(t)
	var clock atomic.Int64
	t0 := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	clock.Store(t0.UnixNano())
	now := func() time.Time { return time.Unix(0, clock.Load()).UTC() }
	s, loc := ambientAzure(t, f, now)
	ctx := context.Background()

	b, err := s.Binds(ctx, loc)
	if err != nil || !b.User || !b.ContentType || !b.ContentMD5 {
		t.Fatalf("Binds = %+v, %v; want User, ContentType and ContentMD5 bound", b, err)
	}
	key := "runs/a b/ü+%.txt"
	full, err := loc.FullKey(key)
	if err != nil {
		t.Fatal(err)
	}
	blobURL, err := azblobURL(f.account, "cont", full)
	if err != nil {
		t.Fatal(err)
	}
	// The key presign asked for: backdated, 7 days long.
	kStart, kExpiry := t0.Add(-azureBackdate), t0.Add(azureKeyLife-azureBackdate)
	udc := f.sdkCredential(t, kStart, kExpiry)
	sdkCalls := 1

	for _, c := range []struct {
		name    string
		o       Options
		sdk     sas.BlobSignatureValues
		headers []string // the signed request headers, in presign's order
	}{
		{"GET with response overrides and a user",
			Options{Method: http.MethodGet, ResponseContentType: "text/csv", ResponseContentDisposition: `attachment; filename="a b.csv"`, User: "alice@example.com"},
			sas.BlobSignatureValues{Permissions: "r", ContentType: "text/csv", ContentDisposition: `attachment; filename="a b.csv"`, CorrelationID: "alice@example.com", ExpiryTime: t0.Add(time.Hour)},
			nil},
		{"HEAD without a user", Options{Method: http.MethodHead},
			sas.BlobSignatureValues{Permissions: "r", ExpiryTime: t0.Add(time.Hour)}, nil},
		{"PUT binds its content type, MD5 and blob type",
			Options{Method: http.MethodPut, ContentType: "application/x-parquet", ContentMD5: md5Of([]byte("body")), User: "bob", Expires: 2 * time.Hour},
			sas.BlobSignatureValues{Permissions: "cw", CorrelationID: "bob", ExpiryTime: t0.Add(2 * time.Hour)},
			[]string{"Content-Md5", "Content-Type", "X-Ms-Blob-Type"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			r, err := s.SignLocation(ctx, loc, key, c.o)
			if err != nil {
				t.Fatal(err)
			}
			if !r.Expires.Equal(c.sdk.ExpiryTime) {
				t.Errorf("Expires = %v, want %v", r.Expires, c.sdk.ExpiryTime)
			}
			v := c.sdk
			v.Protocol, v.ContainerName, v.BlobName = sas.ProtocolHTTPS, "cont", full
			if len(c.headers) > 0 {
				v.SignedRequestHeaders = map[string]string{}
				for _, h := range c.headers {
					if r.Header.Get(h) == "" {
						t.Fatalf("Request.Header lacks %s: %v", h, r.Header)
					}
					v.SignedRequestHeaders[h] = r.Header.Get(h)
				}
			}
			// azblob lists srh in its map's order: sign until it is presign's
			// (sorted) order, then compare byte for byte.
			var want string
			for i := 0; i < 1000 && want == ""; i++ {
				qp, err := v.SignWithUserDelegation(udc)
				if err != nil {
					t.Fatalf("SignWithUserDelegation: %v", err)
				}
				if qp.SignedRequestHeaders() == strings.Join(c.headers, ",") {
					want = blobURL + "?" + qp.Encode()
				}
			}
			if r.URL != want {
				t.Errorf("URL differs from azblob's:\n got %s\nwant %s", RedactURL(r.URL), RedactURL(want))
			}
			q, err := url.ParseQuery(r.URL[strings.IndexByte(r.URL, '?')+1:])
			if err != nil {
				t.Fatal(err)
			}
			if q.Get("scid") != c.o.User || q.Get("skoid") != f.oid || q.Get("sktid") != f.tid {
				t.Errorf("scid %q skoid %q sktid %q", q.Get("scid"), q.Get("skoid"), q.Get("sktid"))
			}
			if got := strings.ToLower(q.Get("srh")); got != strings.ToLower(strings.Join(c.headers, ",")) {
				t.Errorf("srh = %q, want %q", got, strings.Join(c.headers, ","))
			}
		})
	}
	t.Run("scid is signed: another user gets another signature", func(t *testing.T) {
		a, err := s.SignLocation(ctx, loc, key, Options{Method: http.MethodGet, User: "alice"})
		if err != nil {
			t.Fatal(err)
		}
		b, err := s.SignLocation(ctx, loc, key, Options{Method: http.MethodGet, User: "alicf"})
		if err != nil {
			t.Fatal(err)
		}
		if sigOf(t, a.URL) == sigOf(t, b.URL) {
			t.Error("the signature does not change with scid")
		}
	})

	if got := f.calls() - sdkCalls; got != 1 {
		t.Fatalf("presign fetched %d user delegation keys for its URLs, want 1", got)
	}
	for i := 0; i < 80; i++ {
		clock.Add(int64(time.Hour))
		if _, err := s.SignLocation(ctx, loc, key, Options{Method: http.MethodGet}); err != nil {
			t.Fatal(err)
		}
	}
	// 80 h later, more than half the key's life remains: still one key.
	if got := f.calls() - sdkCalls; got != 1 {
		t.Errorf("after 80 h of URLs presign fetched %d keys, want 1", got)
	}

	// A 7-day URL now would outlive the key: it is capped to the key's
	// expiry, and Request.Expires says so.
	r, err := s.SignLocation(ctx, loc, key, Options{Method: http.MethodGet, Expires: MaxExpiry})
	if err != nil {
		t.Fatal(err)
	}
	if !r.Expires.Equal(kExpiry) {
		t.Errorf("a 7-day URL on a key expiring %v expires %v, want the key's expiry", kExpiry, r.Expires)
	}

	// Past half the key's life the next URL fetches a new key, once.
	clock.Store(t0.Add(azureKeyLife - azureRefresh + time.Minute).UnixNano())
	for i := 0; i < 10; i++ {
		if _, err := s.SignLocation(ctx, loc, key, Options{Method: http.MethodGet}); err != nil {
			t.Fatal(err)
		}
	}
	if got := f.calls() - sdkCalls; got != 2 {
		t.Errorf("past half the key's life presign fetched %d keys in all, want 2", got)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.other) > 0 {
		t.Errorf("requests the fake does not serve: %v", f.other)
	}
}

// azblobURL is the blob URL azblob's clients use for blob in container.
func azblobURL(account, container, blob string) (string, error) {
	c, err := service.NewClientWithNoCredential("https://"+account+".blob.core.windows.net/", nil)
	if err != nil {
		return "", err
	}
	return c.NewContainerClient(container).NewBlobClient(blob).URL(), nil
}

func sigOf(t *testing.T, u string) string {
	t.Helper()
	q, err := url.ParseQuery(u[strings.IndexByte(u, '?')+1:])
	if err != nil || q.Get("sig") == "" {
		t.Fatalf("no sig in %s", RedactURL(u))
	}
	return q.Get("sig")
}
