package provider_test

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/byobkit/byob/address"
	"github.com/byobkit/byob/internal/testsecret"
	"github.com/byobkit/byob/provider"
	"gocloud.dev/gcerrors"
)

// Made-up values of an ambient Google identity, long enough for the 8-byte
// window check.
const (
	gRefreshToken = "1//0gHandleTestRefreshToken-abcdefghijklmnop"
	gClientSecret = "GOCSPX-handle-test-client-secret-0123"
	gUserToken    = "ya29.a0HandleTestUserAccessToken-qrstuvwxyz"
	gImpToken     = "ya29.c0HandleTestImpersonatedToken-0987654"
	gClientID     = "123-handle-test.apps.googleusercontent.com"
)

// newAmbientGoogle returns the fake Google endpoints for an identity
// without a key, the routes to them, and a handle on gs://bkt that finds
// the identity through Google's application default credentials (the file
// creds describes).
func newAmbientGoogle(t *testing.T, creds any) (*googleFake, *routes, *provider.Handle) {
	t.Helper()
	signKey, _ := testsecret.RSAKey(t)
	f := &googleFake{t: t, clientID: gClientID, clientSecret: gClientSecret, refreshToken: gRefreshToken, userToken: gUserToken, signKey: signKey}
	writeGoogleCredentials(t, creds)
	rt := newRoutes(t, f.routes())
	h := openHandle(t, &address.Address{Provider: address.GCS, Bucket: "bkt", TLS: true}, provider.WithHTTPClient(rt.client()))
	if h.CredentialSource() != provider.CredentialsAmbient {
		t.Fatalf("CredentialSource = %s, want ambient", h.CredentialSource())
	}
	return f, rt, h
}

func userCredentials() map[string]string {
	return map[string]string{"type": "authorized_user", "client_id": gClientID, "client_secret": gClientSecret, "refresh_token": gRefreshToken}
}

// TestGoogleSignerAmbient: for an identity without a key, GoogleSigner
// names the service account and signs through IAM signBlob with the
// identity's token; the signature is the account's.
func TestGoogleSignerAmbient(t *testing.T) {
	const (
		vmAccount     = "vm-default@p.iam.gserviceaccount.com"
		targetAccount = "target@p.iam.gserviceaccount.com"
	)
	for _, tc := range []struct {
		name  string
		creds any
		setup func(f *googleFake)
		email string
	}{
		{
			name:  "user credentials: the account from the metadata server",
			creds: userCredentials(),
			setup: func(f *googleFake) { f.metadataEmail, f.signAs, f.signToken = vmAccount, vmAccount, gUserToken },
			email: vmAccount,
		},
		{
			name: "impersonated service account: the impersonation target",
			creds: map[string]any{
				"type":                              "impersonated_service_account",
				"service_account_impersonation_url": "https://iamcredentials.googleapis.com/v1/projects/-/serviceAccounts/" + targetAccount + ":generateAccessToken",
				"source_credentials":                userCredentials(),
			},
			// The metadata server would name another account: it must not
			// be asked.
			setup: func(f *googleFake) {
				f.metadataEmail, f.impersonatedToken, f.signAs, f.signToken = vmAccount, gImpToken, targetAccount, gImpToken
			},
			email: targetAccount,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := t.Context()
			f, rt, h := newAmbientGoogle(t, tc.creds)
			tc.setup(f)
			s, err := h.GoogleSigner(ctx)
			if err != nil {
				t.Fatalf("GoogleSigner: %v", err)
			}
			if s.Email != tc.email || s.Key != nil || s.SignBytes == nil {
				t.Fatalf("GoogleSigner = %v, key set %v, SignBytes set %v; want %s, no key, SignBytes", s, s.Key != nil, s.SignBytes != nil, tc.email)
			}
			payload := []byte("GOOG4-RSA-SHA256\n20260101T000000Z\n20260101/auto/storage/goog4_request\nabc")
			sig, err := s.SignBytes(ctx, payload)
			if err != nil {
				t.Fatalf("SignBytes: %v", err)
			}
			sum := sha256.Sum256(payload)
			if err := rsa.VerifyPKCS1v15(&f.signKey.PublicKey, crypto.SHA256, sum[:], sig); err != nil {
				t.Errorf("the signature does not verify with the account's key: %v", err)
			}
			rt.checkAllRouted()
		})
	}
	t.Run("service account key file: its key, without a request", func(t *testing.T) {
		key, keyPEM := testsecret.RSAKey(t)
		_, rt, h := newAmbientGoogle(t, map[string]string{
			"type": "service_account", "client_email": "file@p.iam.gserviceaccount.com", "private_key": keyPEM,
			"token_uri": "https://oauth2.googleapis.com/token",
		})
		s, err := h.GoogleSigner(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if s.Email != "file@p.iam.gserviceaccount.com" || s.Key == nil || !s.Key.Equal(key) || s.SignBytes != nil {
			t.Errorf("GoogleSigner = %v, the file's key %v, SignBytes set %v", s, s.Key != nil && s.Key.Equal(key), s.SignBytes != nil)
		}
		for _, host := range []string{"oauth2.googleapis.com", "iamcredentials.googleapis.com", "169.254.169.254", "metadata.google.internal"} {
			if n := rt.count(host); n != 0 {
				t.Errorf("%d requests to %s", n, host)
			}
		}
	})
}

// TestGoogleSignerAmbientRefusals: when IAM or the token endpoint refuses,
// and echoes the request back, the error reads PermissionDenied and quotes
// no token, refresh token or client secret.
func TestGoogleSignerAmbientRefusals(t *testing.T) {
	const account = "sa@p.iam.gserviceaccount.com"
	for _, tc := range []struct {
		name  string
		setup func(f *googleFake)
	}{
		{"signBlob refused with the token echoed", func(f *googleFake) { f.refuseSign = true }},
		{"the token endpoint refuses with the refresh token echoed", func(f *googleFake) { f.refuseToken = true }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := t.Context()
			f, rt, h := newAmbientGoogle(t, userCredentials())
			f.metadataEmail, f.signAs, f.signToken = account, account, gUserToken
			tc.setup(f)
			s, err := h.GoogleSigner(ctx)
			if err != nil {
				t.Fatalf("GoogleSigner: %v", err)
			}
			_, err = s.SignBytes(ctx, []byte("payload"))
			var pe *provider.Error
			if !errors.As(err, &pe) || provider.Code(err) != gcerrors.PermissionDenied || pe.Op != provider.OpCredentials {
				t.Fatalf("SignBytes error = %v (code %v), want a PermissionDenied *provider.Error for op %s", err, provider.Code(err), provider.OpCredentials)
			}
			t.Logf("the refusal: %v", err) // checked below
			for _, out := range []string{err.Error(), pe.Error()} {
				testsecret.Check(t, "the refusal", out, gUserToken, gRefreshToken, gClientSecret)
			}
			if !strings.Contains(err.Error(), account) {
				t.Errorf("the refusal %q does not name the account", err)
			}
			rt.checkAllRouted()
		})
	}
}

// TestGCSTokenRefusalsQuoteNothing: a storage request whose token the
// token endpoint refuses, echoing the request, fails PermissionDenied
// without quoting the refresh token, client secret, or signed assertion.
func TestGCSTokenRefusalsQuoteNothing(t *testing.T) {
	t.Run("ambient user credentials", func(t *testing.T) {
		f, rt, h := newAmbientGoogle(t, userCredentials())
		f.refuseToken = true
		_, err := h.Bucket().ReadAll(t.Context(), "k")
		if provider.Code(err) != gcerrors.PermissionDenied {
			t.Errorf("ReadAll error = %v (code %v), want PermissionDenied", err, provider.Code(err))
		}
		loc := h.Location()
		wrapped := provider.WrapError(&loc, "read", err)
		for _, out := range []string{err.Error(), wrapped.Error()} {
			testsecret.Check(t, "the error", out, gRefreshToken, gClientSecret)
		}
		rt.checkAllRouted()
	})
	t.Run("a service account key the endpoint does not know", func(t *testing.T) {
		_, keyPEM := testsecret.RSAKey(t)
		f := &googleFake{t: t}
		rt := newRoutes(t, f.routes())
		a := &address.Address{Provider: address.GCS, Bucket: "bkt", TLS: true, AccessKey: "sa@p.iam.gserviceaccount.com", Secret: keyPEM}
		h := openHandle(t, a, provider.WithHTTPClient(rt.client()))
		_, err := h.Bucket().ReadAll(t.Context(), "k")
		if provider.Code(err) != gcerrors.PermissionDenied {
			t.Errorf("ReadAll error = %v (code %v), want PermissionDenied", err, provider.Code(err))
		}
		f.mu.Lock()
		assertion := f.refusedAssertion
		f.mu.Unlock()
		if assertion == "" {
			t.Fatal("the token endpoint was not asked")
		}
		// The assertion's signature is what a replay needs.
		sig := assertion[strings.LastIndex(assertion, ".")+1:]
		wrapped := provider.WrapError(a, "read", err)
		for _, out := range []string{err.Error(), wrapped.Error()} {
			testsecret.Check(t, "the error", out, append(testsecret.PEMBody(t, keyPEM), sig)...)
		}
		rt.checkAllRouted()
	})
}

// azureFake plays Microsoft Entra ID (instance discovery, tenant metadata,
// the client-credentials token endpoint) and a storage account's Get User
// Delegation Key, in-process through routes.
type azureFake struct {
	t                                  *testing.T
	tenant, clientID, secret, token    string
	account                            string
	keyValue, oid, tid, service, skVer string

	// refuseToken answers the token request 401, echoing the client
	// secret; refuseKey answers Get User Delegation Key 403, echoing the
	// bearer token.
	refuseToken, refuseKey bool

	// garble answers Get User Delegation Key 200 with a body that is not
	// a key, quoting the key; noValue answers a key without its
	// Value.
	garble, noValue bool

	mu       sync.Mutex
	keyInfo  string // the last Get User Delegation Key request body
	keyCalls int    // how many keys were handed out
}

func (f *azureFake) routes() map[string]http.Handler {
	return map[string]http.Handler{
		"login.microsoftonline.com":          http.HandlerFunc(f.login),
		f.account + ".blob.core.windows.net": http.HandlerFunc(f.blob),
	}
}

func (f *azureFake) login(w http.ResponseWriter, r *http.Request) {
	authority := "https://login.microsoftonline.com/" + f.tenant
	switch {
	case r.Method == http.MethodGet && r.URL.Path == "/common/discovery/instance":
		writeJSON(w, http.StatusOK, map[string]any{
			"tenant_discovery_endpoint": authority + "/v2.0/.well-known/openid-configuration",
			"api-version":               "1.1",
			"metadata": []map[string]any{{
				"preferred_network": "login.microsoftonline.com", "preferred_cache": "login.windows.net",
				"aliases": []string{"login.microsoftonline.com", "login.windows.net"},
			}},
		})
	case r.Method == http.MethodGet && r.URL.Path == "/"+f.tenant+"/v2.0/.well-known/openid-configuration":
		writeJSON(w, http.StatusOK, map[string]any{
			"token_endpoint":         authority + "/oauth2/v2.0/token",
			"authorization_endpoint": authority + "/oauth2/v2.0/authorize",
			"issuer":                 authority + "/v2.0",
		})
	case r.Method == http.MethodPost && r.URL.Path == "/"+f.tenant+"/oauth2/v2.0/token" && f.refuseToken:
		_ = r.ParseForm()
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_client",
			"error_description": "AADSTS7000215: Invalid client secret provided: " + r.PostForm.Get("client_secret")})
	case r.Method == http.MethodPost && r.URL.Path == "/"+f.tenant+"/oauth2/v2.0/token":
		if r.ParseForm() != nil || r.PostForm.Get("grant_type") != "client_credentials" ||
			r.PostForm.Get("client_id") != f.clientID || r.PostForm.Get("client_secret") != f.secret ||
			!strings.Contains(r.PostForm.Get("scope"), "https://storage.azure.com/.default") {
			writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_client"})
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599, "access_token": f.token})
	default:
		f.t.Errorf("fake Entra ID: unexpected %s %s", r.Method, r.URL)
		http.NotFound(w, r)
	}
}

func (f *azureFake) blob(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if r.Method != http.MethodPost || q.Get("restype") != "service" || q.Get("comp") != "userdelegationkey" {
		f.t.Errorf("fake blob service: unexpected %s %s", r.Method, r.URL)
		http.NotFound(w, r)
		return
	}
	if f.refuseKey {
		w.Header().Set("x-ms-error-code", "AuthorizationPermissionMismatch")
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(http.StatusForbidden)
		fmt.Fprintf(w, `<?xml version="1.0" encoding="utf-8"?><Error><Code>AuthorizationPermissionMismatch</Code>`+
			`<Message>This request is not authorized (%s)</Message></Error>`, r.Header.Get("Authorization"))
		return
	}
	if r.Header.Get("Authorization") != "Bearer "+f.token {
		w.Header().Set("x-ms-error-code", "InvalidAuthenticationInfo")
		http.Error(w, "", http.StatusUnauthorized)
		return
	}
	body, _ := io.ReadAll(r.Body)
	var in struct {
		Start, Expiry string
	}
	if err := xml.Unmarshal(body, &in); err != nil {
		http.Error(w, "bad KeyInfo", http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	f.keyInfo = in.Start + "/" + in.Expiry
	f.keyCalls++
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/xml")
	if f.garble {
		// The XML parser quotes an unknown entity's name in its error.
		fmt.Fprintf(w, `<?xml version="1.0" encoding="utf-8"?><UserDelegationKey><Value>&%s;</Value>`, f.keyValue)
		return
	}
	if f.noValue {
		fmt.Fprintf(w, `<UserDelegationKey><SignedOid>%s</SignedOid><SignedTid>%s</SignedTid><SignedStart>%s</SignedStart><SignedExpiry>%s</SignedExpiry>`+
			`<SignedService>%s</SignedService><SignedVersion>%s</SignedVersion></UserDelegationKey>`, f.oid, f.tid, in.Start, in.Expiry, f.service, f.skVer)
		return
	}
	fmt.Fprintf(w, `<?xml version="1.0" encoding="utf-8"?><UserDelegationKey><SignedOid>%s</SignedOid><SignedTid>%s</SignedTid>`+
		`<SignedStart>%s</SignedStart><SignedExpiry>%s</SignedExpiry><SignedService>%s</SignedService><SignedVersion>%s</SignedVersion>`+
		`<Value>%s</Value></UserDelegationKey>`, f.oid, f.tid, in.Start, in.Expiry, f.service, f.skVer, f.keyValue)
}

// TestAzureSigner: with the account key, the signer is the shared key;
// for an identity without one (Entra ID client credentials from the
// environment), UserDelegation fetches a user delegation key with the
// identity's token.
func TestAzureSigner(t *testing.T) {
	t.Run("shared key", func(t *testing.T) {
		h := openHandle(t, &address.Address{Provider: address.Azure, Account: "acct", Bucket: "cont", TLS: true, Secret: testAzureKey})
		s, err := h.AzureSigner(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if s.Account != "acct" || s.SharedKey == nil || s.UserDelegation != nil || s.SharedKey.AccountName() != "acct" {
			t.Errorf("AzureSigner = %v, shared key set %v, UserDelegation set %v", s, s.SharedKey != nil, s.UserDelegation != nil)
		}
	})
	t.Run("user delegation for an ambient identity", func(t *testing.T) {
		ctx := t.Context()
		f, rt, h := newAmbientAzure(t)
		s, err := h.AzureSigner(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if s.Account != f.account || s.SharedKey != nil || s.UserDelegation == nil {
			t.Fatalf("AzureSigner = %v, shared key set %v, UserDelegation set %v; want only UserDelegation", s, s.SharedKey != nil, s.UserDelegation != nil)
		}
		start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
		k, err := s.UserDelegation(ctx, start, start.Add(time.Hour))
		if err != nil {
			t.Fatalf("UserDelegation: %v", err)
		}
		f.mu.Lock()
		keyInfo, asked := f.keyInfo, f.keyCalls
		f.mu.Unlock()
		if want := "2026-01-02T03:04:05Z/2026-01-02T04:04:05Z"; keyInfo != want || asked != 1 {
			t.Errorf("the key was asked for %q (%d calls), want %q once", keyInfo, asked, want)
		}
		// The model is the service's answer, field for field.
		m := k.Model()
		got := []string{deref(m.Value), deref(m.SignedOID), deref(m.SignedTID), deref(m.SignedService), deref(m.SignedVersion)}
		want := []string{f.keyValue, f.oid, f.tid, f.service, f.skVer}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("key value/oid/tid/service/version = %q, want %q", got, want)
		}
		if m.SignedStart == nil || !m.SignedStart.Equal(start) || m.SignedExpiry == nil || !m.SignedExpiry.Equal(start.Add(time.Hour)) {
			t.Errorf("key validity = %v to %v, want %v to %v", m.SignedStart, m.SignedExpiry, start, start.Add(time.Hour))
		}
		rt.checkAllRouted()
	})
}

func deref(p *string) string {
	if p == nil {
		return "<nil>"
	}
	return *p
}

// TestAzureDelegationKeyPrintsNoSecret: the key azblob's model holds as a
// plain string never reaches fmt, slog or encoding/json through
// AzureDelegationKey, nor through the AzureSigner that fetched it.
func TestAzureDelegationKeyPrintsNoSecret(t *testing.T) {
	f, _, h := newAmbientAzure(t)
	s, err := h.AzureSigner(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now().UTC().Truncate(time.Second)
	k, err := s.UserDelegation(t.Context(), start, start.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	var buf strings.Builder
	for _, v := range []any{k, &k, s, struct{ K provider.AzureDelegationKey }{k}} {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q"} {
			fmt.Fprintf(&buf, verb+"\n", v)
		}
		j, err := json.Marshal(v)
		if err != nil {
			t.Fatalf("json.Marshal: %v", err)
		}
		buf.Write(j)
		slog.New(slog.NewTextHandler(&buf, nil)).Info("k", "key", v)
		slog.New(slog.NewJSONHandler(&buf, nil)).Info("k", "key", v)
	}
	if !strings.Contains(buf.String(), start.Format(time.RFC3339)) {
		t.Errorf("the key's start is not printed: %s", buf.String())
	}
	testsecret.Check(t, "printed key", buf.String(), f.keyValue, mustDecode(t, f.keyValue))
}

func mustDecode(t *testing.T, s string) string {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// newAmbientAzure returns the fake Entra ID and storage account, the
// routes to them, and a handle on az://acct/cont that authenticates with
// client credentials from the environment (EnvironmentCredential, first in
// azidentity's default chain).
func newAmbientAzure(t *testing.T) (*azureFake, *routes, *provider.Handle) {
	t.Helper()
	f := &azureFake{
		t: t, tenant: "00000000-1111-2222-3333-444444444444", clientID: "55555555-6666-7777-8888-999999999999",
		secret: "handle~test~client~secret~0123456789", token: "eyJ0eXAiOiJKV1QiHandleTestAzureToken.x.y",
		account: "acct", keyValue: base64.StdEncoding.EncodeToString([]byte("q7Zr-K3y-bYt3s~f0r~th3-t3st-0nly")),
		oid: "oid-aaaa", tid: "tid-bbbb", service: "b", skVer: "2025-01-05",
	}
	t.Setenv("AZURE_TENANT_ID", f.tenant)
	t.Setenv("AZURE_CLIENT_ID", f.clientID)
	t.Setenv("AZURE_CLIENT_SECRET", f.secret)
	rt := newRoutes(t, f.routes())
	h := openHandle(t, &address.Address{Provider: address.Azure, Account: f.account, Bucket: "cont", TLS: true}, provider.WithHTTPClient(rt.client()))
	if h.CredentialSource() != provider.CredentialsAmbient {
		t.Fatalf("CredentialSource = %s, want ambient", h.CredentialSource())
	}
	return f, rt, h
}

// TestAzureSignerRefusals: a refused token or user delegation key reads
// PermissionDenied and quotes neither the client secret nor the token,
// even when the service echoes them.
func TestAzureSignerRefusals(t *testing.T) {
	for _, tc := range []struct {
		name  string
		setup func(f *azureFake)
		// read: a storage request fails the same way, and is checked too.
		// A storage error that echoes an ambient token is not scrubbed
		// (see the errors package's scrub, which knows only the address's
		// secrets), so the second row does not read.
		read bool
		code gcerrors.ErrorCode
	}{
		{"the token endpoint refuses, echoing the client secret", func(f *azureFake) { f.refuseToken = true }, true, gcerrors.PermissionDenied},
		{"Get User Delegation Key refused, echoing the token", func(f *azureFake) { f.refuseKey = true }, false, gcerrors.PermissionDenied},
		{"Get User Delegation Key answers garbage that quotes the key", func(f *azureFake) { f.garble = true }, false, gcerrors.Unknown},
		{"Get User Delegation Key answers a key without its value", func(f *azureFake) { f.noValue = true }, false, gcerrors.Unknown},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := t.Context()
			f, rt, h := newAmbientAzure(t)
			tc.setup(f)
			s, err := h.AzureSigner(ctx)
			if err != nil {
				t.Fatal(err)
			}
			k, err := s.UserDelegation(ctx, time.Now(), time.Now().Add(time.Hour))
			if err == nil {
				t.Fatalf("UserDelegation = %v, want an error", k)
			}
			errs := map[string]error{"UserDelegation's error": err}
			if tc.read {
				_, errs["ReadAll's error"] = h.Bucket().ReadAll(ctx, "k")
			}
			for what, e := range errs {
				if provider.Code(e) != tc.code {
					t.Errorf("%s = %v (code %v), want %v", what, e, provider.Code(e), tc.code)
				}
				loc := h.Location()
				out := provider.WrapError(&loc, "read", e).Error() + fmt.Sprintf("\n%+v", e)
				t.Logf("%s: %s", what, out) // checked below
				testsecret.Check(t, what, out, f.secret, f.token, f.keyValue)
			}
			rt.checkAllRouted()
		})
	}
}
