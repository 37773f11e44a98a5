package provider

import (
	"bytes"
	"context"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"cloud.google.com/go/auth"
	"cloud.google.com/go/compute/metadata"
	"cloud.google.com/go/storage"
	"github.com/byobkit/byob/address"
	"google.golang.org/api/googleapi"
)

// gcsNative is a GCS bucket's native client and signing identity. For keys
// from the address it is itself the client's token provider, delegating to
// the current service account's (swapped by rotate); the parsed key signs
// URLs. For an ambient identity, ambient is the detected credential.
type gcsNative struct {
	loc        *address.Address // without credentials, for errors
	client     *storage.Client
	httpClient *http.Client // the caller's, for the token and IAM endpoints; nil: the default

	email   string
	key     atomic.Pointer[rsa.PrivateKey]
	tokens  atomic.Pointer[auth.Credentials]
	ambient *auth.Credentials
}

// Token implements auth.TokenProvider with the current service account.
//
// The Google HTTP transport wraps every token provider in a cache of its
// own, which would go on sending the previous key's token for up to an
// hour after a rotation. The token is therefore handed to it already
// expired, so that it asks again on every request; the current account's
// provider caches the real one, so asking costs no I/O.
func (n *gcsNative) Token(ctx context.Context) (*auth.Token, error) {
	tok, err := n.tokens.Load().Token(ctx)
	if err != nil {
		return nil, tokenError(err)
	}
	t := *tok
	t.Expiry = time.Unix(1, 0) // in the past; zero would mean "never expires"
	return &t, nil
}

// rotate switches to another key of the same service account.
func (n *gcsNative) rotate(_ context.Context, old *address.Credentials, c address.Credentials) error {
	if old != nil && c.AccessKey != old.AccessKey {
		return errors.New("the new key must belong to the same service account (" + old.AccessKey + "); to use another account, open the bucket again")
	}
	key, err := parseRSAKey(c.Secret)
	if err != nil {
		return err
	}
	tp, err := n.serviceAccount(c)
	if err != nil {
		return err
	}
	n.tokens.Store(tp)
	n.key.Store(key)
	return nil
}

// signer returns the signing identity: the address's key, the private key
// of an ambient service-account key file, or IAM signBlob for the ambient
// account found in the credentials or on the metadata server.
func (n *gcsNative) signer(ctx context.Context) (GoogleSigner, error) {
	if k := n.key.Load(); k != nil {
		return GoogleSigner{Email: n.email, Key: k}, nil
	}
	email, key, err := n.ambientIdentity(ctx)
	if err != nil {
		return GoogleSigner{}, WrapError(n.loc, OpCredentials, err)
	}
	if key != nil {
		return GoogleSigner{Email: email, Key: key}, nil
	}
	return GoogleSigner{Email: email, SignBytes: func(ctx context.Context, payload []byte) ([]byte, error) {
		sig, err := n.signBlob(ctx, email, payload)
		if err != nil {
			return nil, WrapError(n.loc, OpCredentials, err)
		}
		return sig, nil
	}}, nil
}

// ambientIdentity reads the ambient credential's service account: from a
// service-account key file (with its key) or impersonation target, else
// from the metadata server.
func (n *gcsNative) ambientIdentity(ctx context.Context) (email string, key *rsa.PrivateKey, err error) {
	var f struct {
		Type          string `json:"type"`
		ClientEmail   string `json:"client_email"`
		PrivateKey    string `json:"private_key"`
		Impersonation string `json:"service_account_impersonation_url"` // impersonated_service_account, external_account
	}
	if raw := n.ambient.JSON(); len(raw) > 0 && json.Unmarshal(raw, &f) == nil {
		if f.ClientEmail == "" {
			f.ClientEmail = impersonationTarget(f.Impersonation)
		}
	}
	if f.ClientEmail != "" {
		if f.Type == "service_account" && f.PrivateKey != "" {
			if k, err := parseRSAKey(f.PrivateKey); err == nil {
				return f.ClientEmail, k, nil
			}
		}
		return f.ClientEmail, nil, nil
	}
	email, err = metadata.NewClient(n.httpClient).EmailWithContext(ctx, "default")
	if err != nil {
		return "", nil, fmt.Errorf("no service account to sign URLs as: the credentials name none and the metadata server did not answer: %w", err)
	}
	return email, nil, nil
}

// impersonationTarget returns the service account an impersonation URL
// (.../serviceAccounts/<email>:generateAccessToken) names, "" if none.
func impersonationTarget(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	_, rest, ok := strings.Cut(u.EscapedPath(), "/serviceAccounts/")
	if !ok {
		return ""
	}
	rest, _, _ = strings.Cut(rest, ":")
	email, err := url.PathUnescape(rest)
	if err != nil || !strings.Contains(email, "@") {
		return ""
	}
	return email
}

// iamCredentialsURL is the IAM Credentials API's base URL.
const iamCredentialsURL = "https://iamcredentials.googleapis.com/v1/projects/-/serviceAccounts/"

// signBlob signs payload as email through the IAM Credentials API, with a
// token of the ambient credential (which needs
// iam.serviceAccounts.signBlob on email).
func (n *gcsNative) signBlob(ctx context.Context, email string, payload []byte) ([]byte, error) {
	tok, err := n.ambient.Token(ctx)
	if err != nil {
		return nil, fmt.Errorf("signing as %s through IAM signBlob: %w", email, err)
	}
	body, _ := json.Marshal(map[string]string{"payload": base64.StdEncoding.EncodeToString(payload)})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, iamCredentialsURL+url.PathEscape(email)+":signBlob", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+tok.Value)
	hc := n.httpClient
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, signBlobRefusal(resp.StatusCode, email, raw)
	}
	var out struct {
		SignedBlob string `json:"signedBlob"`
	}
	if err := json.Unmarshal(raw, &out); err != nil || out.SignedBlob == "" {
		return nil, errors.New("IAM signBlob answered without a signature")
	}
	return base64.StdEncoding.DecodeString(out.SignedBlob)
}

// signBlobRefusal is the error of a refused signBlob call: a
// *googleapi.Error, so that Code classifies it by status. It quotes only
// the status enum of the answer (PERMISSION_DENIED), never its message,
// which may echo the request's token.
func signBlobRefusal(status int, email string, body []byte) error {
	var e struct {
		Error struct {
			Status string `json:"status"`
		} `json:"error"`
	}
	msg := "IAM signBlob as " + email + " refused"
	if json.Unmarshal(body, &e) == nil && statusEnum.MatchString(e.Error.Status) {
		msg += " (" + e.Error.Status + ")"
	}
	if status == http.StatusForbidden || status == http.StatusUnauthorized {
		msg += "; fix: grant the server's identity iam.serviceAccounts.signBlob on " + email + " (role roles/iam.serviceAccountTokenCreator)"
	}
	return &googleapi.Error{Code: status, Message: msg}
}

// statusEnum matches a Google API status such as PERMISSION_DENIED.
var statusEnum = regexp.MustCompile(`^[A-Z][A-Z_]{0,40}$`)

// tokenGuard is a token provider whose errors quote nothing the token
// endpoint answered: auth.Error's text is the response body, and an
// endpoint may echo the request's refresh token, client secret or signed
// assertion. Its scrubbed stand-in keeps the original's Code, not the
// original (see scrubbedCause).
type tokenGuard struct{ auth.TokenProvider }

// Token implements auth.TokenProvider.
func (g tokenGuard) Token(ctx context.Context) (*auth.Token, error) {
	t, err := g.TokenProvider.Token(ctx)
	if err != nil {
		return nil, tokenError(err)
	}
	return t, nil
}

// tokenError is err from getting an access token, without the endpoint's
// answer in its message.
func tokenError(err error) error {
	var ae *auth.Error
	if !errors.As(err, &ae) {
		return err
	}
	status := "no answer"
	if ae.Response != nil {
		status = "HTTP " + strconv.Itoa(ae.Response.StatusCode)
	}
	return scrubbedCause("getting an access token: the token endpoint refused the credential ("+status+")", err, nil)
}
