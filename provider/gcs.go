package provider

import (
	"context"
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

// openGCS opens a Google Cloud Storage bucket through gcsblob. The
// service-account e-mail and key also go into gcsblob's options, so the
// bucket can sign URLs with the address's own identity.
func openGCS(ctx context.Context, a *address.Address, o Options) (*blob.Bucket, error) {
	if os.Getenv(envStorageEmulator) != "" {
		return nil, &Error{Op: OpOpen, Provider: a.Provider, Bucket: a.Bucket, Code: gcerrors.FailedPrecondition, Err: errStorageEmulatorEnv}
	}
	if a.HasCredentials() {
		if err := checkPrivateKey(a.Secret); err != nil {
			return nil, &Error{Op: OpOpen, Provider: a.Provider, Bucket: a.Bucket, Code: gcerrors.InvalidArgument, Err: err}
		}
	}
	opts, err := gcsClientOptions(a, o)
	if err != nil {
		return nil, WrapError(a, OpOpen, err)
	}
	client, err := storage.NewClient(ctx, opts...)
	if err != nil {
		return nil, WrapError(a, OpOpen, err)
	}
	// gcsblob does not close a client it was given; the HTTP storage client
	// holds nothing a Close would release beyond idle connections.
	gopts := &gcsblob.Options{Client: client}
	if a.HasCredentials() {
		gopts.GoogleAccessID = a.AccessKey
		gopts.PrivateKey = []byte(a.Secret)
	}
	b, err := gcsblob.OpenBucket(ctx, nil, a.Bucket, gopts)
	if err != nil {
		return nil, WrapError(a, OpOpen, err)
	}
	return b, nil
}

var errStorageEmulatorEnv = errors.New(envStorageEmulator + " is set, which makes the Google storage library send requests without credentials; unset it and name an emulator with ?endpoint=http://host:port in the address")

// ErrPrivateKey is the cause of the *Error Open returns for a GCS address
// whose private key does not parse. The Google libraries would only report
// it on the first request, as an Unknown error.
var ErrPrivateKey = errors.New("the service account's private key in the address is not a PKCS #8 or PKCS #1 private key; " +
	"fix: put the private_key field of the service account's JSON key file in the address, URL-encoded")

// checkPrivateKey parses a PEM private key the way the Google libraries
// will, so a bad one fails at Open. Its errors never quote the key.
func checkPrivateKey(secret string) error {
	block, _ := pem.Decode([]byte(secret))
	if block == nil {
		return ErrPrivateKey
	}
	if _, err := x509.ParsePKCS8PrivateKey(block.Bytes); err == nil {
		return nil
	}
	if _, err := x509.ParsePKCS1PrivateKey(block.Bytes); err == nil {
		return nil
	}
	return ErrPrivateKey
}

// gcsScope is the OAuth scope byob's GCS client asks for: objects, plus the
// bucket settings (CORS, versioning) the preflight check reads.
const gcsScope = storage.ScopeFullControl

// gcsClientOptions builds the storage client's options from the address:
//
//   - with credentials: the service account built from e-mail and key,
//     type-checked by option.WithAuthCredentialsJSON;
//   - without, on an http:// endpoint= (fake-gcs-server and other local
//     emulators): no authentication at all, since an emulator checks none
//     and the server's ambient identity must not be sent in the clear;
//   - otherwise: Google application default credentials.
//
// endpoint= becomes the JSON API base URL. With Options.HTTPClient the
// client's transport carries the requests, under the same authentication.
func gcsClientOptions(a *address.Address, o Options) ([]option.ClientOption, error) {
	// Client metrics start exporters that only Client.Close stops, and
	// gcsblob does not close a client it was given: keep them off, whatever
	// GCP_STORAGE_GO_ENABLE_OTEL_METRICS says.
	opts := []option.ClientOption{storage.WithDisabledClientMetrics()}
	if a.Endpoint != "" {
		opts = append(opts, option.WithEndpoint(a.EndpointURL()+"/storage/v1/"))
	}
	saJSON, err := serviceAccountJSON(a)
	if err != nil {
		return nil, err
	}
	noAuth := gcsEmulator(a)
	if o.HTTPClient == nil {
		switch {
		case saJSON != nil:
			opts = append(opts, option.WithAuthCredentialsJSON(option.ServiceAccount, saJSON))
		case noAuth:
			opts = append(opts, option.WithoutAuthentication())
		}
		return opts, nil
	}
	// option.WithHTTPClient replaces the whole transport, authentication
	// included, so put the authentication on top of the caller's transport.
	hopts := &httptransport.Options{BaseRoundTripper: o.HTTPClient.Transport, DisableAuthentication: noAuth}
	if hopts.BaseRoundTripper == nil {
		hopts.BaseRoundTripper = http.DefaultTransport
	}
	if !noAuth {
		// The token endpoint is reached through the caller's client too, so
		// that a proxy (or a test's echo server) sees every request.
		do := &credentials.DetectOptions{Scopes: []string{gcsScope}, Client: o.HTTPClient}
		var creds *auth.Credentials
		if saJSON != nil {
			creds, err = credentials.NewCredentialsFromJSON(credentials.ServiceAccount, saJSON, do)
		} else {
			creds, err = credentials.DetectDefault(do)
		}
		if err != nil {
			return nil, err
		}
		hopts.Credentials = creds
		opts = append(opts, option.WithAuthCredentials(creds))
	} else {
		opts = append(opts, option.WithoutAuthentication())
	}
	hc, err := httptransport.NewClient(hopts)
	if err != nil {
		return nil, err
	}
	hc.Timeout = o.HTTPClient.Timeout
	return append(opts, option.WithHTTPClient(hc)), nil
}

// gcsEmulator reports whether a names a local emulator that takes no
// credentials: no keys, and a plain-HTTP endpoint.
func gcsEmulator(a *address.Address) bool {
	return !a.HasCredentials() && a.Endpoint != "" && strings.HasPrefix(a.EndpointURL(), "http://")
}

// serviceAccountJSON builds the service-account key file the Google
// libraries read, from the address's e-mail and PEM key; nil without keys.
func serviceAccountJSON(a *address.Address) ([]byte, error) {
	if !a.HasCredentials() {
		return nil, nil
	}
	return json.Marshal(struct {
		Type        string `json:"type"`
		ClientEmail string `json:"client_email"`
		PrivateKey  string `json:"private_key"`
		TokenURI    string `json:"token_uri"`
	}{"service_account", a.AccessKey, a.Secret, "https://oauth2.googleapis.com/token"})
}
