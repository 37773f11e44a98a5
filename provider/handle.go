package provider

import (
	"context"
	"crypto/rsa"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"cloud.google.com/go/storage"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/container"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/service"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/byobkit/byob/address"
	"gocloud.dev/blob"
	"gocloud.dev/gcerrors"
)

// CredentialSource says where a Handle's credentials come from.
type CredentialSource string

// The credential sources.
const (
	// CredentialsAddress: the keys in the address.
	CredentialsAddress CredentialSource = "address"
	// CredentialsAmbient: the server's own identity (the AWS default
	// credential chain, Google application default credentials, Azure's
	// default credential), because the address carries no keys.
	CredentialsAmbient CredentialSource = "ambient"
	// CredentialsNone: nothing to authenticate with (file://, mem://, or a
	// plain-HTTP GCS emulator).
	CredentialsNone CredentialSource = "none"
)

// Handle is one opened bucket: the portable *blob.Bucket, and what Open
// resolved on the way that later packages need (presigning, garbage
// collection, preflight checks), so that none of them re-parses an address
// or builds a second client: the flavor and its rules, the region, the
// endpoint and addressing style, where credentials come from, the native
// clients, and the credentials URLs are signed with.
//
// A Handle is safe for concurrent use. Its credentials can be replaced
// while it is in use (SetCredentials): every client and signer switches to
// the new ones atomically. It prints redacted under every fmt verb, slog
// and encoding/json. Close it to release the bucket.
type Handle struct {
	loc      address.Address // the location without credentials
	region   string          // resolved: the address's, or the caller's default
	endpoint string          // service base URL, with scheme
	source   CredentialSource
	bucket   *blob.Bucket // rooted at the sub-path

	creds atomic.Pointer[address.Credentials] // current keys; zero unless source is CredentialsAddress
	mu    sync.Mutex                          // serialises SetCredentials

	s3  *s3Native
	gcs *gcsNative
	az  *azureNative
}

// Bucket returns the portable bucket, rooted at the address's sub-path.
// Every error it returns is a scrubbed, classified *Error.
func (h *Handle) Bucket() *blob.Bucket { return h.bucket }

// Address returns the address the handle was opened with, carrying the
// current credentials (after SetCredentials, the new ones). It prints
// redacted; do not log its URL().
func (h *Handle) Address() address.Address {
	a := h.loc
	if c := h.creds.Load(); c != nil {
		a.AccessKey, a.Secret = c.AccessKey, c.Secret
	}
	return a
}

// Location returns the address without its credentials: provider,
// endpoint, account, bucket, sub-path, region and TLS.
func (h *Handle) Location() address.Address { return h.loc }

// Flavor returns the kind of service the bucket is on.
func (h *Handle) Flavor() address.Flavor { return h.loc.Flavor() }

// Rules returns the flavor's rules: the per-provider facts byob keeps as data.
func (h *Handle) Rules() address.Rules { return h.loc.Flavor().Rules() }

// Region returns the region requests are signed for: the address's own or,
// where the flavor allows it, the caller's default (WithDefaultRegion);
// "" for providers without regions.
func (h *Handle) Region() string { return h.region }

// EndpointURL returns the service's base URL with its scheme, for the
// resolved region: https://s3.<region>.amazonaws.com for AWS without an
// endpoint in the address, the account's service URL for Azure, "" for
// file and mem.
func (h *Handle) EndpointURL() string { return h.endpoint }

// Style returns how requests name the bucket: path or virtual-hosted.
func (h *Handle) Style() address.Style { return h.loc.Style() }

// Prefix returns the key prefix the bucket is rooted at: "" or "<sub-path>/".
func (h *Handle) Prefix() string { return prefix(&h.loc) }

// CredentialSource says where the handle's credentials come from.
func (h *Handle) CredentialSource() CredentialSource { return h.source }

// S3 returns the native S3 client of an s3:// or cw:// bucket, nil otherwise.
// It authenticates with the handle's current credentials.
func (h *Handle) S3() *s3.Client {
	if h.s3 == nil {
		return nil
	}
	return h.s3.client
}

// GCS returns the native Google Cloud Storage client of a gs:// bucket,
// nil otherwise.
func (h *Handle) GCS() *storage.Client {
	if h.gcs == nil {
		return nil
	}
	return h.gcs.client
}

// AzureContainer returns the native client of an az:// bucket's container,
// nil otherwise.
func (h *Handle) AzureContainer() *container.Client {
	if h.az == nil {
		return nil
	}
	return h.az.container
}

// AzureService returns the native client of an az:// bucket's account blob
// service (CORS, soft delete, user delegation keys), nil otherwise.
func (h *Handle) AzureService() *service.Client {
	if h.az == nil {
		return nil
	}
	return h.az.service
}

// ErrNoSigner is the kind of the *Error a Handle's signing-credential
// methods return for a bucket of another provider, or one without
// credentials to sign with.
var ErrNoSigner = errors.New("no signing credentials of this kind")

// AWSCredentials returns the credentials S3 requests and pre-signed URLs
// are signed with: the address's keys, or the AWS default chain's
// (possibly temporary: then SessionToken is set, CanExpire is true and
// Expires is no later than when they lapse; the SDK's cache moves it a few
// minutes earlier, to when it will fetch new ones, so a URL signed before
// Expires has that margin). It may do I/O for an ambient identity; the
// chain's result is cached until Expires.
func (h *Handle) AWSCredentials(ctx context.Context) (aws.Credentials, error) {
	if h.s3 == nil {
		return aws.Credentials{}, h.noSigner("AWS")
	}
	c, err := h.s3.creds.Retrieve(ctx)
	if err != nil {
		return aws.Credentials{}, WrapError(&h.loc, OpCredentials, err)
	}
	return c, nil
}

// GoogleSigner signs GCS V4 URLs: with the service account's RSA key from
// the address, or, for an identity without a key, through the IAM
// Credentials API's signBlob (SignBytes).
type GoogleSigner struct {
	// Email is the service account the signature is made for
	// (GoogleAccessID).
	Email string
	// Key is the parsed private key; nil when SignBytes must be used.
	Key *rsa.PrivateKey
	// SignBytes signs a payload with RSA-SHA256 as the service account;
	// set when Key is nil. It does network I/O.
	SignBytes func(ctx context.Context, payload []byte) ([]byte, error)
}

// String prints the e-mail only.
func (s GoogleSigner) String() string { return "provider.GoogleSigner(" + s.Email + ")" }

// GoString prints the e-mail only, for %#v.
func (s GoogleSigner) GoString() string { return s.String() }

// Format prints the e-mail only, under every verb.
func (s GoogleSigner) Format(f fmt.State, _ rune) { fmt.Fprint(f, s.String()) }

// LogValue prints the e-mail only.
func (s GoogleSigner) LogValue() slog.Value { return slog.StringValue(s.String()) }

// MarshalJSON encodes the e-mail only.
func (s GoogleSigner) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct{ Email string }{s.Email})
}

// GoogleSigner returns what GCS URLs are signed with. For an ambient
// identity it finds the service account's e-mail (from the credentials
// file, or the metadata server) and signs through IAM signBlob, which
// needs iam.serviceAccounts.signBlob on that account.
func (h *Handle) GoogleSigner(ctx context.Context) (GoogleSigner, error) {
	if h.gcs == nil || h.source == CredentialsNone {
		return GoogleSigner{}, h.noSigner("Google")
	}
	return h.gcs.signer(ctx)
}

// AzureSigner signs Azure SAS tokens: a service SAS with the account's
// shared key from the address, or, for an identity without a key, a user
// delegation SAS with a key UserDelegation fetches from the service.
type AzureSigner struct {
	// Account is the storage account.
	Account string
	// SharedKey is the account key credential; nil for an ambient identity.
	SharedKey *service.SharedKeyCredential
	// UserDelegation fetches a user delegation key valid from start to
	// expiry (Get User Delegation Key); set when SharedKey is nil. It does
	// network I/O.
	UserDelegation func(ctx context.Context, start, expiry time.Time) (AzureDelegationKey, error)
}

// AzureDelegationKey is a user delegation key as the service returned it.
// azblob hands it out only inside its opaque UserDelegationCredential; a
// native signer needs the model itself. It prints, logs and encodes as
// its validity only: the key's value is a secret.
type AzureDelegationKey struct{ k service.UserDelegationKey }

// Model returns the key as azblob's model (for internal/azsas). Its Value
// is the secret: do not print or encode it.
func (k AzureDelegationKey) Model() service.UserDelegationKey { return k.k }

// String prints the key's validity only.
func (k AzureDelegationKey) String() string {
	return "provider.AzureDelegationKey(" + deref(k.k.SignedStart) + " to " + deref(k.k.SignedExpiry) + ")"
}

// GoString prints the key's validity only, for %#v.
func (k AzureDelegationKey) GoString() string { return k.String() }

// Format prints the key's validity only, under every verb.
func (k AzureDelegationKey) Format(f fmt.State, _ rune) { fmt.Fprint(f, k.String()) }

// LogValue prints the key's validity only.
func (k AzureDelegationKey) LogValue() slog.Value { return slog.StringValue(k.String()) }

// MarshalJSON encodes the key's validity only.
func (k AzureDelegationKey) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct{ Start, Expiry string }{deref(k.k.SignedStart), deref(k.k.SignedExpiry)})
}

func deref(t *time.Time) string {
	if t == nil {
		return "?"
	}
	return t.UTC().Format(time.RFC3339)
}

// String prints the account only.
func (s AzureSigner) String() string { return "provider.AzureSigner(" + s.Account + ")" }

// GoString prints the account only, for %#v.
func (s AzureSigner) GoString() string { return s.String() }

// Format prints the account only, under every verb.
func (s AzureSigner) Format(f fmt.State, _ rune) { fmt.Fprint(f, s.String()) }

// LogValue prints the account only.
func (s AzureSigner) LogValue() slog.Value { return slog.StringValue(s.String()) }

// MarshalJSON encodes the account only.
func (s AzureSigner) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct{ Account string }{s.Account})
}

// AzureSigner returns what Azure SAS tokens are signed with.
func (h *Handle) AzureSigner(ctx context.Context) (AzureSigner, error) {
	if h.az == nil {
		return AzureSigner{}, h.noSigner("Azure")
	}
	s := AzureSigner{Account: h.loc.Account}
	if h.az.shared != nil {
		s.SharedKey = h.az.shared
		return s, nil
	}
	svc := h.az.service
	loc := h.loc
	s.UserDelegation = func(ctx context.Context, start, expiry time.Time) (AzureDelegationKey, error) {
		k, err := getUserDelegationKey(ctx, svc, start, expiry)
		if err != nil {
			return AzureDelegationKey{}, WrapError(&loc, OpCredentials, err)
		}
		return AzureDelegationKey{k}, nil
	}
	return s, nil
}

// getUserDelegationKey calls Get User Delegation Key through the service
// client's own pipeline (its retries, its bearer-token and challenge
// policies) and reads the model from the answer it captured: azblob's
// GetUserDelegationCredential parses the model but returns it only inside
// an opaque credential, and the pipeline keeps the body it read.
func getUserDelegationKey(ctx context.Context, svc *service.Client, start, expiry time.Time) (service.UserDelegationKey, error) {
	st, ex := start.UTC().Format(time.RFC3339), expiry.UTC().Format(time.RFC3339)
	var resp *http.Response
	if _, err := svc.GetUserDelegationCredential(policy.WithCaptureResponse(ctx, &resp), service.KeyInfo{Start: &st, Expiry: &ex}, nil); err != nil {
		return service.UserDelegationKey{}, userDelegationError(err)
	}
	if resp == nil {
		return service.UserDelegationKey{}, errors.New("get user delegation key: the pipeline captured no answer")
	}
	body, err := runtime.Payload(resp)
	var k service.UserDelegationKey
	if err == nil {
		err = xml.Unmarshal(body, &k)
	}
	if err != nil {
		// The parser's message may quote the body, which holds the key.
		return service.UserDelegationKey{}, errors.New("get user delegation key: the answer cannot be read again")
	}
	if k.Value == nil || k.SignedOID == nil || k.SignedTID == nil || k.SignedStart == nil || k.SignedExpiry == nil || k.SignedService == nil || k.SignedVersion == nil {
		return service.UserDelegationKey{}, errors.New("get user delegation key: the answer lacks a field of the key (Value, SignedOid, SignedTid, SignedStart, SignedExpiry, SignedService or SignedVersion)")
	}
	return k, nil
}

// userDelegationError is a failed Get User Delegation Key, quoting of the
// service's answer only its status and error code: its body may echo the
// request's bearer token.
func userDelegationError(err error) error {
	var re *azcore.ResponseError
	var pe *Error
	switch {
	case errors.As(err, &pe), errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return err // the token guard's scrubbed refusal, or the caller's context
	case !errors.As(err, &re):
		// Such as the SDK's XML error, which quotes the answer (the key).
		return scrubbedCause("Get User Delegation Key failed (the cause is not quoted: it may quote the answer, which holds the key)", err, nil)
	}
	msg := fmt.Sprintf("Get User Delegation Key refused: HTTP %d %s", re.StatusCode, re.ErrorCode)
	if re.StatusCode == http.StatusForbidden {
		msg += "; fix: give the server's identity a role with generateUserDelegationKey on the account (Storage Blob Delegator, or a Storage Blob Data role)"
	}
	return scrubbedCause(msg, err, nil)
}

func (h *Handle) noSigner(kind string) error {
	return &Error{Op: OpCredentials, Provider: h.loc.Provider, Bucket: h.loc.Bucket, Code: gcerrors.FailedPrecondition,
		Err: fmt.Errorf("%w: the bucket has no %s signing credentials", ErrNoSigner, kind)}
}

// OpCredentials is Error.Op for getting or replacing a handle's credentials.
const OpCredentials = "credentials"

// ErrRotation is the kind of the *Error SetCredentials returns when the
// new credentials cannot replace the old ones.
var ErrRotation = errors.New("credentials cannot be replaced")

// SetCredentials replaces the keys the handle authenticates and signs
// with. Requests already under way finish with the old keys; every request
// and signature after SetCredentials returns uses the new ones. Only a
// handle opened with keys in its address can switch, to keys of the same
// kind (and, for GCS, of the same service account: gocloud's SignedURL
// keeps the account it was opened with). SetCredentials does not check
// that the service accepts the new keys: the caller checks them first (the
// scope package runs its bucket check).
func (h *Handle) SetCredentials(ctx context.Context, c address.Credentials) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	fail := func(detail string, err error) error {
		if err == nil {
			err = ErrRotation
		} else {
			err = fmt.Errorf("%w: %w", ErrRotation, err)
		}
		return &Error{Op: OpCredentials, Provider: h.loc.Provider, Bucket: h.loc.Bucket, Code: gcerrors.InvalidArgument,
			Err: scrubbedCause(ErrRotation.Error()+": "+scrub(detail, secretsOf(h.loc.WithCredentials(c))), err, secretsOf(h.loc.WithCredentials(c)))}
	}
	if h.source != CredentialsAddress {
		return fail("the bucket was opened without keys in its address; open it again with keys", nil)
	}
	if c.IsZero() || c.Secret == "" {
		return fail("the new credentials are empty", nil)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	var err error
	switch {
	case h.s3 != nil:
		err = h.s3.rotate(ctx, c)
	case h.gcs != nil:
		err = h.gcs.rotate(ctx, h.creds.Load(), c)
	case h.az != nil:
		err = h.az.rotate(c)
	default:
		return fail("the handle wraps a bucket opened elsewhere (NewHandle) and has no client whose keys it could switch", nil)
	}
	if err != nil {
		return fail(err.Error(), err)
	}
	cc := c
	h.creds.Store(&cc)
	return nil
}

// Close closes the bucket.
func (h *Handle) Close() error { return h.bucket.Close() }

// String describes the handle, redacted.
func (h *Handle) String() string {
	a := h.Address()
	return "provider.Handle(" + a.String() + ")"
}

// GoString is String, so %#v leaks nothing.
func (h *Handle) GoString() string { return h.String() }

// Format prints String under every verb.
func (h *Handle) Format(f fmt.State, _ rune) { fmt.Fprint(f, h.String()) }

// LogValue makes log/slog print String.
func (h *Handle) LogValue() slog.Value { return slog.StringValue(h.String()) }

// MarshalJSON encodes String.
func (h *Handle) MarshalJSON() ([]byte, error) { return json.Marshal(h.String()) }

// azureNative holds an Azure bucket's native clients; shared is nil for an
// ambient identity.
type azureNative struct {
	container *container.Client
	service   *service.Client
	shared    *service.SharedKeyCredential
	token     azcore.TokenCredential
}

// rotate swaps the account key in place: the SDK reads it on every request.
func (n *azureNative) rotate(c address.Credentials) error {
	if c.AccessKey != "" {
		return errors.New("an Azure credential is the account key alone; leave the access key empty")
	}
	return n.shared.SetAccountKey(c.Secret)
}
