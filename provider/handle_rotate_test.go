package provider_test

import (
	"context"
	"crypto/rsa"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/sas"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/service"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/byobkit/byob/address"
	"github.com/byobkit/byob/internal/testenv"
	"github.com/byobkit/byob/internal/testsecret"
	"github.com/byobkit/byob/provider"
	"github.com/fsouza/fake-gcs-server/fakestorage"
	"gocloud.dev/gcerrors"
)

const rotateKey, rotateData = "rotate/object", "written with the right keys"

// rotationTarget is a handle on a real server opened with keys the server
// refuses, and how to read one object through it.
type rotationTarget struct {
	h            *provider.Handle
	right, wrong address.Credentials
	// read reads the object through the portable bucket; native through
	// the handle's native client. Both return the error as is.
	read, native func(ctx context.Context) error
}

// s3RotationTarget opens a versitygw bucket holding one object with the
// wrong secret (of the right access key, so that the server answers
// SignatureDoesNotMatch).
func s3RotationTarget(t *testing.T) rotationTarget {
	srv := testenv.S3(t)
	bucket := uniqueName(t, "byob-rotate")
	createS3Bucket(t, srv, bucket)
	r := rotationTarget{
		right: address.Credentials{AccessKey: srv.AccessKey, Secret: srv.SecretKey},
		wrong: address.Credentials{AccessKey: srv.AccessKey, Secret: "wrong/" + srv.SecretKey + "+x="},
	}
	a := &address.Address{Provider: address.S3, Endpoint: srv.Endpoint, Bucket: bucket, Path: "team", Region: testenv.S3Region}
	writeWith(t, a.WithCredentials(r.right))
	r.h = openHandle(t, a.WithCredentials(r.wrong))
	r.read = readBack(r.h)
	r.native = func(ctx context.Context) error {
		_, err := r.h.S3().HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(r.h.Prefix() + rotateKey)})
		return err
	}
	return r
}

// azureRotationTarget is the same on Azurite, with the account key.
func azureRotationTarget(t *testing.T) rotationTarget {
	srv := testenv.Azurite(t)
	name := uniqueName(t, "byob-rotate")
	createContainer(t, srv, name)
	r := rotationTarget{
		right: address.Credentials{Secret: srv.Key},
		wrong: address.Credentials{Secret: base64.StdEncoding.EncodeToString([]byte(strings.Repeat("not the account key ", 3)))},
	}
	a := mustParse(t, "az://"+srv.Account+"/"+name+"/team?endpoint="+url.QueryEscape(srv.Endpoint))
	writeWith(t, a.WithCredentials(r.right))
	r.h = openHandle(t, a.WithCredentials(r.wrong))
	r.read = readBack(r.h)
	r.native = func(ctx context.Context) error {
		_, err := r.h.AzureContainer().NewBlobClient(r.h.Prefix()+rotateKey).GetProperties(ctx, nil)
		return err
	}
	return r
}

// writeWith writes the test object through a handle of its own.
func writeWith(t *testing.T, a *address.Address) {
	t.Helper()
	h := openHandle(t, a)
	if err := h.Bucket().WriteAll(t.Context(), rotateKey, []byte(rotateData), nil); err != nil {
		t.Fatalf("writing the test object with the right keys: %v", err)
	}
}

// readBack reads the test object and checks what it holds.
func readBack(h *provider.Handle) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		got, err := h.Bucket().ReadAll(ctx, rotateKey)
		if err == nil && string(got) != rotateData {
			return errors.New("read back " + string(got))
		}
		return err
	}
}

var rotationTargets = []struct {
	name string
	open func(t *testing.T) rotationTarget
}{
	{"versitygw", s3RotationTarget},
	{"Azurite", azureRotationTarget},
}

// TestSetCredentialsOnRealServers: the same handle and bucket are refused,
// accepted, and refused again as the keys are switched under them; the
// native client and the signing credentials follow.
func TestSetCredentialsOnRealServers(t *testing.T) {
	for _, target := range rotationTargets {
		t.Run(target.name, func(t *testing.T) {
			ctx := t.Context()
			r := target.open(t)
			for _, step := range []struct {
				name string
				set  *address.Credentials
				want gcerrors.ErrorCode
			}{
				{"opened with the wrong key: refused", nil, gcerrors.PermissionDenied},
				{"rotated to the right key: accepted", &r.right, gcerrors.OK},
				{"rotated back to the wrong key: refused again", &r.wrong, gcerrors.PermissionDenied},
				{"and to the right key once more: accepted", &r.right, gcerrors.OK},
			} {
				if step.set != nil {
					if err := r.h.SetCredentials(ctx, *step.set); err != nil {
						t.Fatalf("%s: SetCredentials: %v", step.name, err)
					}
					if a := r.h.Address(); a.Credentials() != *step.set {
						t.Errorf("%s: Address() does not carry the new keys", step.name)
					}
				}
				err := r.read(ctx)
				if got := gcerrors.Code(err); got != step.want {
					t.Errorf("%s: read through the bucket: gcerrors.Code = %v, want %v (%v)", step.name, got, step.want, err)
				}
				err = r.native(ctx)
				if got := codeOrOK(err); got != step.want {
					t.Errorf("%s: read through the native client: provider.Code = %v, want %v (%v)", step.name, got, step.want, err)
				}
			}
			checkSignerFollows(t, r.h, r.right)
		})
	}
}

// codeOrOK is provider.Code, with OK for no error.
func codeOrOK(err error) gcerrors.ErrorCode {
	if err == nil {
		return gcerrors.OK
	}
	return provider.Code(err)
}

// checkSignerFollows checks that the handle signs with c.
func checkSignerFollows(t *testing.T, h *provider.Handle, c address.Credentials) {
	t.Helper()
	switch {
	case h.S3() != nil:
		got, err := h.AWSCredentials(t.Context())
		if err != nil || got.AccessKeyID != c.AccessKey || got.SecretAccessKey != c.Secret {
			t.Errorf("AWSCredentials after rotation: key %q, secret is the new one %v, %v", got.AccessKeyID, got.SecretAccessKey == c.Secret, err)
		}
	case h.AzureService() != nil:
		s, err := h.AzureSigner(t.Context())
		if err != nil || s.SharedKey == nil {
			t.Fatalf("AzureSigner after rotation: %v, %v", s, err)
		}
		want, err := service.NewSharedKeyCredential(h.Location().Account, c.Secret)
		if err != nil {
			t.Fatal(err)
		}
		if azureSAS(t, s.SharedKey) != azureSAS(t, want) {
			t.Errorf("AzureSigner's shared key does not sign with the new key")
		}
	}
}

// azureSAS signs a fixed service SAS with c.
func azureSAS(t *testing.T, c *service.SharedKeyCredential) string {
	t.Helper()
	q, err := sas.BlobSignatureValues{
		Protocol: sas.ProtocolHTTPSandHTTP, ExpiryTime: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC),
		Permissions: "r", ContainerName: "c", BlobName: "b",
	}.SignWithSharedKey(c)
	if err != nil {
		t.Fatalf("SignWithSharedKey: %v", err)
	}
	return q.Signature()
}

// TestSetCredentialsRefused: a rotation that cannot be done is refused
// with ErrRotation, quotes none of the refused keys, and leaves the handle
// working with its old ones.
func TestSetCredentialsRefused(t *testing.T) {
	ctx := t.Context()
	refusedSecret := "refused/Secret+Key=0123456789abcdefghij"
	type row struct {
		name string
		open func(t *testing.T) (h *provider.Handle, stillWorks func(ctx context.Context) error)
		c    address.Credentials
	}
	memHandle := func(t *testing.T) (*provider.Handle, func(context.Context) error) {
		h := openHandle(t, &address.Address{Provider: address.Mem, Bucket: uniqueName(t, "rotate")})
		return h, writeRead(h)
	}
	fileHandle := func(t *testing.T) (*provider.Handle, func(context.Context) error) {
		h := openHandle(t, &address.Address{Provider: address.File, Bucket: t.TempDir()})
		return h, writeRead(h)
	}
	ambientS3 := func(t *testing.T) (*provider.Handle, func(context.Context) error) {
		h := openHandle(t, &address.Address{Provider: address.S3, Bucket: "bkt", TLS: true}, provider.WithDefaultRegion("us-east-1"))
		return h, func(context.Context) error {
			if h.CredentialSource() != provider.CredentialsAmbient {
				return errors.New("no longer ambient")
			}
			return nil
		}
	}
	rightS3 := func(t *testing.T) (*provider.Handle, func(context.Context) error) {
		r := s3RotationTarget(t)
		if err := r.h.SetCredentials(ctx, r.right); err != nil {
			t.Fatal(err)
		}
		return r.h, r.read
	}
	rightAzure := func(t *testing.T) (*provider.Handle, func(context.Context) error) {
		r := azureRotationTarget(t)
		if err := r.h.SetCredentials(ctx, r.right); err != nil {
			t.Fatal(err)
		}
		return r.h, r.read
	}
	for _, tc := range []row{
		{"mem has no credentials", memHandle, address.Credentials{AccessKey: "AKIAREFUSED000000", Secret: refusedSecret}},
		{"file has no credentials", fileHandle, address.Credentials{AccessKey: "AKIAREFUSED000000", Secret: refusedSecret}},
		{"an ambient identity is not switched to keys", ambientS3, address.Credentials{AccessKey: "AKIAREFUSED000000", Secret: refusedSecret}},
		{"s3: empty credentials", rightS3, address.Credentials{}},
		{"s3: a secret without an access key", rightS3, address.Credentials{Secret: refusedSecret}},
		{"s3: an access key without a secret", rightS3, address.Credentials{AccessKey: "AKIAREFUSED000000"}},
		{"azure: empty credentials", rightAzure, address.Credentials{}},
		{"azure: an access key beside the account key", rightAzure, address.Credentials{AccessKey: "AKIAREFUSED000000", Secret: testAzureKey}},
		{"azure: an account key that is not base64", rightAzure, address.Credentials{Secret: refusedSecret + "!!"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, stillWorks := tc.open(t)
			before := h.Address()
			err := h.SetCredentials(ctx, tc.c)
			if !errors.Is(err, provider.ErrRotation) || provider.Code(err) != gcerrors.InvalidArgument {
				t.Fatalf("SetCredentials = %v, want an InvalidArgument error wrapping ErrRotation", err)
			}
			testsecret.Check(t, "the refusal", err.Error(), refusedSecret, testAzureKey)
			if after := h.Address(); after.Credentials() != before.Credentials() {
				t.Errorf("a refused rotation changed Address()'s credentials")
			}
			if err := stillWorks(ctx); err != nil {
				t.Errorf("the handle after a refused rotation: %v", err)
			}
		})
	}
}

// writeRead writes and reads back an object.
func writeRead(h *provider.Handle) func(context.Context) error {
	return func(ctx context.Context) error {
		if err := h.Bucket().WriteAll(ctx, "k", []byte("v"), nil); err != nil {
			return err
		}
		got, err := h.Bucket().ReadAll(ctx, "k")
		if err == nil && string(got) != "v" {
			return errors.New("read back " + string(got))
		}
		return err
	}
}

// TestSetCredentialsWhileInUse: readers keep using a handle (bucket, native
// client, signing credentials, Address) while another goroutine switches
// its keys back and forth. Run under -race. The only error a reader may
// see is the refusal of the wrong keys; once the rotations stop, the keys
// last set are the ones used.
func TestSetCredentialsWhileInUse(t *testing.T) {
	const readers, rotations = 4, 20
	for _, target := range rotationTargets {
		t.Run(target.name, func(t *testing.T) {
			ctx := t.Context()
			r := target.open(t)
			use := func() error {
				for _, err := range []error{r.read(ctx), r.native(ctx)} {
					if err != nil && codeOrOK(err) != gcerrors.PermissionDenied {
						return err
					}
				}
				_ = r.h.Address().String()
				if r.h.S3() != nil {
					_, err := r.h.AWSCredentials(ctx)
					return err
				}
				_, err := r.h.AzureSigner(ctx)
				return err
			}
			errs := whileInUse(readers, use, func() {
				for i := range rotations {
					c := r.right
					if i%2 == 1 {
						c = r.wrong
					}
					if err := r.h.SetCredentials(ctx, c); err != nil {
						t.Errorf("rotation %d: %v", i, err)
					}
					if err := r.read(ctx); (err == nil) != (c == r.right) {
						t.Errorf("rotation %d: read right after SetCredentials: %v", i, err)
					}
				}
			})
			for _, err := range errs {
				t.Errorf("a reader failed other than by a refused key: %v", err)
			}
		})
	}
}

// whileInUse runs rotate while readers goroutines call use over and over,
// and returns, once rotate has returned and every reader has stopped, the
// error that stopped each reader that failed.
func whileInUse(readers int, use func() error, rotate func()) []error {
	stop := make(chan struct{})
	errs := make(chan error, readers)
	var wg sync.WaitGroup
	for range readers {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				if err := use(); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	rotate()
	close(stop)
	wg.Wait()
	close(errs)
	var out []error
	for err := range errs {
		out = append(out, err)
	}
	return out
}

// gcsRotation is a handle on fake-gcs-server opened with a service
// account's first key, with the token endpoint played by googleFake (which
// tells the keys apart) and the bearer token of each storage request
// recorded. fake-gcs-server itself verifies no credential.
type gcsRotation struct {
	h          *provider.Handle
	email      string
	key1, key2 *rsa.PrivateKey
	pem1, pem2 string
	google     *googleFake
	bearer     *bearerRecorder
}

func newGCSRotation(t *testing.T) *gcsRotation {
	srv, host := testenv.FakeGCS(t)
	bucket := uniqueName(t, "byob-rotate")
	srv.CreateBucketWithOpts(fakestorage.CreateBucketOpts{Name: bucket})
	g := &gcsRotation{email: "rotating@p.iam.gserviceaccount.com", bearer: &bearerRecorder{}}
	g.key1, g.pem1 = testsecret.RSAKey(t)
	g.key2, g.pem2 = testsecret.RSAKey(t)
	g.google = &googleFake{t: t, accounts: map[string]*rsa.PublicKey{"key1": &g.key1.PublicKey, "key2": &g.key2.PublicKey}}
	rt := newRoutes(t, g.google.routes())
	rt.pass = g.bearer
	a := &address.Address{Provider: address.GCS, Bucket: bucket, Endpoint: host, AccessKey: g.email, Secret: g.pem1}
	g.h = openHandle(t, a, provider.WithHTTPClient(rt.client()))
	if err := g.h.Bucket().WriteAll(t.Context(), rotateKey, []byte(rotateData), nil); err != nil {
		t.Fatalf("WriteAll: %v", err)
	}
	return g
}

// TestSetCredentialsGCS: fake-gcs-server accepts any credential, so what is
// checked is that the handle switched: the signer holds the new key, and
// storage requests carry a token the new key obtained. Keys of another
// account, and keys that are not RSA, are refused and change nothing.
func TestSetCredentialsGCS(t *testing.T) {
	ctx := t.Context()
	g := newGCSRotation(t)
	_, otherPEM := testsecret.RSAKey(t)
	for _, step := range []struct {
		name    string
		set     *address.Credentials
		refused error // the kind of refusal; nil: accepted
		key     *rsa.PrivateKey
		token   string
	}{
		{"opened with the first key", nil, nil, g.key1, "key1"},
		{"rotated to the second key", &address.Credentials{AccessKey: g.email, Secret: g.pem2}, nil, g.key2, "key2"},
		{"a key of another service account is refused", &address.Credentials{AccessKey: "other@p.iam.gserviceaccount.com", Secret: otherPEM}, provider.ErrRotation, g.key2, "key2"},
		{"a key that is not RSA is refused", &address.Credentials{AccessKey: g.email, Secret: testsecret.ECKeyPEM(t)}, provider.ErrPrivateKey, g.key2, "key2"},
		{"a secret that is no key is refused", &address.Credentials{AccessKey: g.email, Secret: "bm90LWEta2V5LWp1c3QtdGV4dC0wMTIz"}, provider.ErrPrivateKey, g.key2, "key2"},
		{"rotated back to the first key", &address.Credentials{AccessKey: g.email, Secret: g.pem1}, nil, g.key1, "key1"},
	} {
		if step.set != nil {
			err := g.h.SetCredentials(ctx, *step.set)
			switch {
			case step.refused == nil && err != nil:
				t.Fatalf("%s: SetCredentials: %v", step.name, err)
			case step.refused != nil && (!errors.Is(err, provider.ErrRotation) || !errors.Is(err, step.refused)):
				t.Errorf("%s: SetCredentials = %v, want ErrRotation and %v", step.name, err, step.refused)
			case step.refused != nil:
				testsecret.Check(t, step.name+": the refusal", err.Error(), testsecret.PEMBody(t, step.set.Secret)...)
			}
		}
		s, err := g.h.GoogleSigner(ctx)
		if err != nil {
			t.Fatalf("%s: GoogleSigner: %v", step.name, err)
		}
		if s.Email != g.email || s.Key == nil || !s.Key.Equal(step.key) || s.SignBytes != nil {
			t.Errorf("%s: GoogleSigner = %v with the expected key %v, SignBytes set %v; want %s's key", step.name, s,
				s.Key != nil && s.Key.Equal(step.key), s.SignBytes != nil, step.token)
		}
		if err := readBack(g.h)(ctx); err != nil {
			t.Fatalf("%s: read: %v", step.name, err)
		}
		if got := g.bearer.lastToken(); !strings.HasPrefix(got, "token-of-"+step.token+"-") {
			t.Errorf("%s: the storage request carried %q, want a token of %s", step.name, got, step.token)
		}
	}
	// A token per switch to a key, not per request.
	if n1, n2 := g.google.tokensIssued("key1"), g.google.tokensIssued("key2"); n1 != 2 || n2 != 1 {
		t.Errorf("tokens issued: %d for key1, %d for key2; want 2 and 1", n1, n2)
	}
}

// TestSetCredentialsGCSWhileInUse: readers use the bucket and the signer
// while the keys are switched back and forth (run under -race); nothing
// fails, and once the rotations stop the last key is the one used.
func TestSetCredentialsGCSWhileInUse(t *testing.T) {
	const readers, rotations = 4, 20
	ctx := t.Context()
	g := newGCSRotation(t)
	use := func() error {
		if err := readBack(g.h)(ctx); err != nil {
			return err
		}
		if s, err := g.h.GoogleSigner(ctx); err != nil || s.Key == nil {
			return fmt.Errorf("GoogleSigner: %v, %w", s, err)
		}
		_ = g.h.Address().String()
		return nil
	}
	pems := []string{g.pem2, g.pem1}
	errs := whileInUse(readers, use, func() {
		for i := range rotations {
			if err := g.h.SetCredentials(ctx, address.Credentials{AccessKey: g.email, Secret: pems[i%2]}); err != nil {
				t.Errorf("rotation %d: %v", i, err)
			}
		}
	})
	for _, err := range errs {
		t.Errorf("a reader failed: %v", err)
	}
	// The last rotation (the twentieth) was to the first key.
	if err := readBack(g.h)(ctx); err != nil {
		t.Fatal(err)
	}
	if got := g.bearer.lastToken(); !strings.HasPrefix(got, "token-of-key1-") {
		t.Errorf("after the rotations the storage request carried %q, want a token of key1", got)
	}
	if s, _ := g.h.GoogleSigner(ctx); s.Key == nil || !s.Key.Equal(g.key1) {
		t.Errorf("after the rotations GoogleSigner does not hold key1")
	}
}
