package provider_test

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"errors"
	"strings"
	"testing"

	"github.com/byobkit/byob/address"
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
	signKey, _ := rsaKey(t)
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
		key, keyPEM := rsaKey(t)
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
				checkNoSecretWindows(t, "the refusal", out, gUserToken, gRefreshToken, gClientSecret)
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
			checkNoSecretWindows(t, "the error", out, gRefreshToken, gClientSecret)
		}
		rt.checkAllRouted()
	})
	t.Run("a service account key the endpoint does not know", func(t *testing.T) {
		_, keyPEM := rsaKey(t)
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
			checkNoSecretWindows(t, "the error", out, append(pemBody(t, keyPEM), sig)...)
		}
		rt.checkAllRouted()
	})
}
