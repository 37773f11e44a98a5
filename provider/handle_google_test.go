package provider_test

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// googleFake plays the Google endpoints a GCS handle talks to besides
// storage: the OAuth token endpoint (service-account JWT grants and
// refresh-token grants), the metadata server, and the IAM Credentials API
// (signBlob, generateAccessToken). It answers in-process through routes.
type googleFake struct {
	t *testing.T

	// accounts are the service-account keys a JWT grant may be signed
	// with, by name; the token issued names the key.
	accounts map[string]*rsa.PublicKey

	// The authorized_user refresh grant: the values it must carry, and
	// the access token it returns.
	clientID, clientSecret, refreshToken, userToken string
	// refuseToken makes the token endpoint answer 400, echoing the
	// request's refresh token.
	refuseToken bool

	// metadataEmail is the default service account the metadata server
	// names; "" answers 404.
	metadataEmail string

	// impersonatedToken is what generateAccessToken returns for userToken.
	impersonatedToken string

	// signKey signs signBlob payloads for signAs, given a request with
	// signToken; refuseSign answers 403 echoing the caller's token.
	signKey    *rsa.PrivateKey
	signAs     string
	signToken  string
	refuseSign bool

	mu               sync.Mutex
	issued           map[string]int // JWT grants per key name
	refusedAssertion string         // the last JWT grant refused (and echoed)
}

func (f *googleFake) routes() map[string]http.Handler {
	md := http.HandlerFunc(f.metadata)
	return map[string]http.Handler{
		"oauth2.googleapis.com":         http.HandlerFunc(f.token),
		"iamcredentials.googleapis.com": http.HandlerFunc(f.iam),
		"169.254.169.254":               md,
		"metadata.google.internal":      md,
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (f *googleFake) token(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/token" || r.ParseForm() != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_request"})
		return
	}
	switch r.PostForm.Get("grant_type") {
	case "urn:ietf:params:oauth:grant-type:jwt-bearer":
		name, ok := f.verifyJWT(r.PostForm.Get("assertion"))
		if !ok {
			f.mu.Lock()
			f.refusedAssertion = r.PostForm.Get("assertion")
			f.mu.Unlock()
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_grant",
				"error_description": "Invalid JWT Signature: " + r.PostForm.Get("assertion")})
			return
		}
		f.mu.Lock()
		if f.issued == nil {
			f.issued = map[string]int{}
		}
		f.issued[name]++
		n := f.issued[name]
		f.mu.Unlock()
		writeJSON(w, http.StatusOK, map[string]any{"access_token": fmt.Sprintf("token-of-%s-%d", name, n), "expires_in": 3600, "token_type": "Bearer"})
	case "refresh_token":
		if f.refuseToken {
			// What an attacker-controlled or buggy endpoint may do: echo
			// the request back.
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_grant",
				"error_description": "Bad refresh token " + r.PostForm.Get("refresh_token") + " for client " + r.PostForm.Get("client_secret")})
			return
		}
		if r.PostForm.Get("refresh_token") != f.refreshToken || r.PostForm.Get("client_id") != f.clientID || r.PostForm.Get("client_secret") != f.clientSecret {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_grant"})
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"access_token": f.userToken, "expires_in": 3600, "token_type": "Bearer"})
	default:
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "unsupported_grant_type"})
	}
}

// verifyJWT returns the name of the account key that signed the RS256
// assertion.
func (f *googleFake) verifyJWT(assertion string) (string, bool) {
	parts := strings.Split(assertion, ".")
	if len(parts) != 3 {
		return "", false
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return "", false
	}
	sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	for name, pub := range f.accounts {
		if rsa.VerifyPKCS1v15(pub, crypto.SHA256, sum[:], sig) == nil {
			return name, true
		}
	}
	return "", false
}

// tokensIssued returns how many tokens were issued for the named key.
func (f *googleFake) tokensIssued(name string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.issued[name]
}

func (f *googleFake) metadata(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Metadata-Flavor") != "Google" {
		http.Error(w, "missing Metadata-Flavor", http.StatusForbidden)
		return
	}
	if r.URL.Path != "/computeMetadata/v1/instance/service-accounts/default/email" || f.metadataEmail == "" {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Metadata-Flavor", "Google")
	_, _ = io.WriteString(w, f.metadataEmail)
}

func (f *googleFake) iam(w http.ResponseWriter, r *http.Request) {
	const base = "/v1/projects/-/serviceAccounts/"
	rest, ok := strings.CutPrefix(r.URL.EscapedPath(), base)
	if !ok || r.Method != http.MethodPost {
		http.NotFound(w, r)
		return
	}
	escaped, method, _ := strings.Cut(rest, ":")
	email, err := url.PathUnescape(escaped)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	bearer := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	switch method {
	case "generateAccessToken":
		if bearer != f.userToken || f.impersonatedToken == "" {
			writeJSON(w, http.StatusForbidden, map[string]any{"error": map[string]any{"code": 403, "status": "PERMISSION_DENIED"}})
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"accessToken": f.impersonatedToken, "expireTime": time.Now().Add(time.Hour).UTC().Format(time.RFC3339)})
	case "signBlob":
		if f.refuseSign || bearer != f.signToken || email != f.signAs {
			writeJSON(w, http.StatusForbidden, map[string]any{"error": map[string]any{
				"code": 403, "status": "PERMISSION_DENIED",
				"message": "Permission 'iam.serviceAccounts.signBlob' denied on resource " + email + " for token " + bearer + " (refresh token " + f.refreshToken + ")",
			}})
			return
		}
		var in struct{ Payload string }
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]any{"error": map[string]any{"code": 400}})
			return
		}
		payload, err := base64.StdEncoding.DecodeString(in.Payload)
		if err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]any{"error": map[string]any{"code": 400}})
			return
		}
		sum := sha256.Sum256(payload)
		sig, err := rsa.SignPKCS1v15(nil, f.signKey, crypto.SHA256, sum[:])
		if err != nil {
			f.t.Errorf("fake signBlob: %v", err)
		}
		writeJSON(w, http.StatusOK, map[string]string{"keyId": "fake-key-id", "signedBlob": base64.StdEncoding.EncodeToString(sig)})
	default:
		http.NotFound(w, r)
	}
}

// bearerRecorder passes requests on to a local server and remembers the
// bearer token of the last one.
type bearerRecorder struct {
	mu   sync.Mutex
	last string
}

func (b *bearerRecorder) RoundTrip(r *http.Request) (*http.Response, error) {
	b.mu.Lock()
	b.last = strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	b.mu.Unlock()
	return http.DefaultTransport.RoundTrip(r)
}

func (b *bearerRecorder) lastToken() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.last
}
