package provider

import (
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"net/http"
	"os"
	"strings"

	"cloud.google.com/go/auth"
	"cloud.google.com/go/auth/credentials"
	"cloud.google.com/go/auth/httptransport"
	"cloud.google.com/go/storage"
	"github.com/byobkit/byob/address"
	"gocloud.dev/blob"
	"gocloud.dev/blob/gcsblob"
	"gocloud.dev/gcerrors"
	"google.golang.org/api/option"
)

// envStorageEmulator is read only to refuse it: cloud.google.com/go/storage
// silently disables authentication and redirects requests when it is set.
const envStorageEmulator = "STORAGE_EMULATOR_HOST"

// openGCS opens a Google Cloud Storage bucket through gcsblob, and keeps
// the storage client and the signing identity on the handle.
func openGCS(ctx context.Context, a *address.Address, o Options, h *Handle) (*blob.Bucket, error) {
	if os.Getenv(envStorageEmulator) != "" {
		return nil, &Error{Op: OpOpen, Provider: a.Provider, Bucket: a.Bucket, Code: gcerrors.FailedPrecondition, Err: errStorageEmulatorEnv}
	}
	n := &gcsNative{loc: a.WithoutCredentials(), httpClient: o.HTTPClient}
	if a.HasCredentials() {
		key, err := parseRSAKey(a.Secret)
		if err != nil {
			return nil, &Error{Op: OpOpen, Provider: a.Provider, Bucket: a.Bucket, Code: gcerrors.InvalidArgument, Err: err}
		}
		n.email = a.AccessKey
		n.key.Store(key)
	}
	opts, err := n.clientOptions(a, o)
	if err != nil {
		return nil, WrapError(a, OpOpen, err)
	}
	client, err := storage.NewClient(ctx, opts...)
	if err != nil {
		return nil, WrapError(a, OpOpen, err)
	}
	n.client = client
	// gcsblob does not close a client it was given; the HTTP storage client
	// holds nothing a Close would release beyond idle connections.
	gopts := &gcsblob.Options{Client: client}
	if a.HasCredentials() {
		// Signed through the handle's current key, so that gocloud's
		// SignedURL follows a rotation too.
		gopts.GoogleAccessID = a.AccessKey
		gopts.MakeSignBytes = func(context.Context) gcsblob.SignBytesFunc {
			return func(b []byte) ([]byte, error) { return signRSA(n.key.Load(), b) }
		}
	}
	b, err := gcsblob.OpenBucket(ctx, nil, a.Bucket, gopts)
	if err != nil {
		return nil, WrapError(a, OpOpen, err)
	}
	h.gcs = n
	return b, nil
}

var errStorageEmulatorEnv = errors.New(envStorageEmulator + " is set, which makes the Google storage library send requests without credentials; unset it and name an emulator with ?endpoint=http://host:port in the address")

// ErrPrivateKey is the cause of the *Error Open returns for a GCS address
// whose private key does not parse as an RSA key (service-account keys are
// RSA). The Google libraries would only report it on the first request, as
// an Unknown error.
var ErrPrivateKey = errors.New("the service account's private key in the address is not an RSA private key (PKCS #8 or PKCS #1); " +
	"fix: put the private_key field of the service account's JSON key file in the address, URL-encoded")

// parseRSAKey parses a PEM private key the way the Google libraries will,
// so a bad one fails at Open. Its errors never quote the key.
func parseRSAKey(secret string) (*rsa.PrivateKey, error) {
	block, _ := pem.Decode([]byte(secret))
	if block == nil {
		return nil, ErrPrivateKey
	}
	if k, err := x509.ParsePKCS8PrivateKey(block.Bytes); err == nil {
		if rk, ok := k.(*rsa.PrivateKey); ok {
			return rk, nil
		}
		return nil, ErrPrivateKey
	}
	if k, err := x509.ParsePKCS1PrivateKey(block.Bytes); err == nil {
		return k, nil
	}
	return nil, ErrPrivateKey
}

// signRSA signs b with RSA PKCS #1 v1.5 over SHA-256, as GCS V4 and IAM
// signBlob do.
func signRSA(key *rsa.PrivateKey, b []byte) ([]byte, error) {
	sum := sha256.Sum256(b)
	return rsa.SignPKCS1v15(nil, key, crypto.SHA256, sum[:])
}

// gcsScope is the OAuth scope byob's GCS client asks for: objects, plus the
// bucket settings (CORS, versioning) the preflight check reads.
const gcsScope = storage.ScopeFullControl

// clientOptions builds the storage client's options from the address:
//
//   - with credentials: the service account built from e-mail and key,
//     behind a token provider that SetCredentials can switch;
//   - without, on an http:// endpoint= (fake-gcs-server and other local
//     emulators): no authentication at all, since an emulator checks none
//     and the server's ambient identity must not be sent in the clear;
//   - otherwise: Google application default credentials.
//
// endpoint= becomes the JSON API base URL. With Options.HTTPClient the
// client's transport carries the requests (the token exchange included),
// under the same authentication.
func (n *gcsNative) clientOptions(a *address.Address, o Options) ([]option.ClientOption, error) {
	// Client metrics start exporters that only Client.Close stops, and
	// gcsblob does not close a client it was given: keep them off, whatever
	// GCP_STORAGE_GO_ENABLE_OTEL_METRICS says.
	opts := []option.ClientOption{storage.WithDisabledClientMetrics()}
	if a.Endpoint != "" {
		opts = append(opts, option.WithEndpoint(a.EndpointURL()+"/storage/v1/"))
	}
	noAuth := gcsEmulator(a)
	var creds *auth.Credentials
	switch {
	case noAuth:
		opts = append(opts, option.WithoutAuthentication())
	case a.HasCredentials():
		inner, err := n.serviceAccount(a.Credentials())
		if err != nil {
			return nil, err
		}
		n.tokens.Store(inner)
		creds = auth.NewCredentials(&auth.CredentialsOptions{TokenProvider: n})
		opts = append(opts, option.WithAuthCredentials(creds))
	default:
		var err error
		creds, err = credentials.DetectDefault(&credentials.DetectOptions{Scopes: []string{gcsScope}, Client: o.HTTPClient})
		if err != nil {
			return nil, err
		}
		creds.TokenProvider = tokenGuard{creds.TokenProvider}
		n.ambient = creds
		opts = append(opts, option.WithAuthCredentials(creds))
	}
	if o.HTTPClient == nil {
		return opts, nil
	}
	// option.WithHTTPClient replaces the whole transport, authentication
	// included, so put the authentication on top of the caller's transport.
	hopts := &httptransport.Options{BaseRoundTripper: o.HTTPClient.Transport, DisableAuthentication: noAuth, Credentials: creds}
	if hopts.BaseRoundTripper == nil {
		hopts.BaseRoundTripper = http.DefaultTransport
	}
	hc, err := httptransport.NewClient(hopts)
	if err != nil {
		return nil, err
	}
	hc.Timeout = o.HTTPClient.Timeout
	return append(opts, option.WithHTTPClient(hc)), nil
}

// serviceAccount returns the token provider of the service account c
// names. The token endpoint is reached through the caller's client too, so
// that a proxy (or a test's echo server) sees every request.
func (n *gcsNative) serviceAccount(c address.Credentials) (*auth.Credentials, error) {
	saJSON, err := serviceAccountJSON(c)
	if err != nil {
		return nil, err
	}
	return credentials.NewCredentialsFromJSON(credentials.ServiceAccount, saJSON,
		&credentials.DetectOptions{Scopes: []string{gcsScope}, Client: n.httpClient})
}

// gcsEmulator reports whether a names a local emulator that takes no
// credentials: no keys, and a plain-HTTP endpoint.
func gcsEmulator(a *address.Address) bool {
	return !a.HasCredentials() && a.Endpoint != "" && strings.HasPrefix(a.EndpointURL(), "http://")
}

// serviceAccountJSON builds the service-account key file the Google
// libraries read, from the e-mail and PEM key.
func serviceAccountJSON(c address.Credentials) ([]byte, error) {
	return json.Marshal(struct {
		Type        string `json:"type"`
		ClientEmail string `json:"client_email"`
		PrivateKey  string `json:"private_key"`
		TokenURI    string `json:"token_uri"`
	}{"service_account", c.AccessKey, c.Secret, "https://oauth2.googleapis.com/token"})
}
