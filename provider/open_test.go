package provider_test

import (
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/byobkit/byob/address"
	"github.com/byobkit/byob/internal/testenv"
	"github.com/byobkit/byob/internal/testsecret"
	"github.com/byobkit/byob/provider"
	"gocloud.dev/blob"
	"gocloud.dev/blob/memblob"
	"gocloud.dev/gcerrors"
)

func TestOpenMemSharesOneStorePerName(t *testing.T) {
	ctx := t.Context()
	name := uniqueName(t, "shared")
	a := &address.Address{Provider: address.Mem, Bucket: name}
	first, second := mustOpen(t, a), mustOpen(t, a)
	if err := first.WriteAll(ctx, "k", []byte("v"), nil); err != nil {
		t.Fatal(err)
	}
	if err := first.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	// Closing one handle neither breaks the others nor empties the store.
	if got, err := second.ReadAll(ctx, "k"); err != nil || string(got) != "v" {
		t.Errorf("second handle after the first closed: ReadAll = %q, %v; want %q", got, err, "v")
	}
	third := mustOpen(t, a)
	defer third.Close()
	if got, err := third.ReadAll(ctx, "k"); err != nil || string(got) != "v" {
		t.Errorf("handle opened after a Close: ReadAll = %q, %v; want %q", got, err, "v")
	}
	other := mustOpen(t, &address.Address{Provider: address.Mem, Bucket: name + "-other"})
	defer other.Close()
	if ok, err := other.Exists(ctx, "k"); err != nil || ok {
		t.Errorf("another name sees the object: Exists = %v, %v", ok, err)
	}
	if err := second.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
}

func TestOpenFileCreatesDirectory(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "does", "not", "exist")
	b := mustOpen(t, &address.Address{Provider: address.File, Bucket: dir, Path: "team"})
	defer b.Close()
	if err := b.WriteAll(t.Context(), "x", []byte("x"), nil); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "team", "x")); err != nil {
		t.Errorf("object not under the directory and sub-path: %v", err)
	}
}

// WithExistingDir is how the preflight check opens: a missing directory is
// an error wrapping fs.ErrNotExist, and is still missing afterwards; an
// existing one opens as usual.
func TestOpenFileWithExistingDir(t *testing.T) {
	parent := t.TempDir()
	missing := filepath.Join(parent, "missing", "dir")
	_, err := provider.Open(t.Context(), &address.Address{Provider: address.File, Bucket: missing}, provider.WithExistingDir())
	var pe *provider.Error
	if !errors.As(err, &pe) || pe.Op != provider.OpOpen || !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Open(missing directory, WithExistingDir) = %v, want an open *provider.Error wrapping fs.ErrNotExist", err)
	}
	if _, err := os.Lstat(filepath.Join(parent, "missing")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Open created the directory (Lstat: %v)", err)
	}
	h, err := provider.Open(t.Context(), &address.Address{Provider: address.File, Bucket: parent}, provider.WithExistingDir())
	if err != nil {
		t.Fatalf("Open(existing directory, WithExistingDir): %v", err)
	}
	h.Close()
}

func TestOpenFileOnAFileFails(t *testing.T) {
	f := filepath.Join(t.TempDir(), "plain-file")
	if err := os.WriteFile(f, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := provider.Open(t.Context(), &address.Address{Provider: address.File, Bucket: f})
	var pe *provider.Error
	if !errors.As(err, &pe) || pe.Op != provider.OpOpen || pe.Provider != address.File || pe.Bucket != f {
		t.Fatalf("Open(file on a regular file) = %v, want *provider.Error for op open", err)
	}
	if data, _ := os.ReadFile(f); string(data) != "x" {
		t.Errorf("the file was changed to %q", data)
	}
}

func TestOpenRejectsAddressesWithoutBucket(t *testing.T) {
	for _, tc := range []struct {
		name string
		a    *address.Address
	}{
		{"nil address", nil},
		{"bare cw:// from a supported-stores list", &address.Address{Provider: address.CoreWeave}},
		{"s3 without bucket", &address.Address{Provider: address.S3, Endpoint: "minio:9000", Region: "us-east-1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := provider.Open(t.Context(), tc.a)
			if b != nil || !errors.Is(err, provider.ErrNoBucket) || provider.Code(err) != gcerrors.InvalidArgument {
				t.Errorf("Open = %v, %v; want nil and an InvalidArgument error wrapping ErrNoBucket", b, err)
			}
		})
	}
}

func TestOpenUnknownProvider(t *testing.T) {
	_, err := provider.Open(t.Context(), &address.Address{Provider: "ftp", Bucket: "b"})
	if !errors.Is(err, provider.ErrUnsupported) {
		t.Errorf("Open(ftp) = %v, want ErrUnsupported", err)
	}
}

func TestOpenRegionErrorIsTheAddressError(t *testing.T) {
	a := &address.Address{Provider: address.S3, Bucket: "bkt"} // AWS, ambient, no region
	_, err := provider.Open(t.Context(), a)
	var ae *address.Error
	if !errors.As(err, &ae) || ae.Field != address.FieldRegion || !errors.Is(err, address.ErrMissing) {
		t.Fatalf("Open without any region = %v, want the *address.Error for the region", err)
	}
	b, err := provider.Open(t.Context(), a, provider.WithDefaultRegion("eu-west-1"))
	if err != nil {
		t.Fatalf("Open with a default region: %v", err)
	}
	b.Close()
}

func TestOpenIgnoresAWSEnvironment(t *testing.T) {
	// An endpoint or region in the environment must not redirect a bucket.
	t.Setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1")
	t.Setenv("AWS_ENDPOINT_URL_S3", "http://127.0.0.1:1")
	t.Setenv("AWS_REGION", "ap-south-1")
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIAENV")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "envsecret")
	var seen atomic.Value
	hc := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		seen.Store(r.URL.Host)
		return nil, errors.New("stop here")
	})}
	a := &address.Address{Provider: address.S3, Bucket: "bkt", Region: "eu-central-1", TLS: true}
	b := mustOpen(t, a, provider.WithHTTPClient(hc))
	defer b.Close()
	_, _ = b.Exists(t.Context(), "k")
	if got, want := seen.Load(), "bkt.s3.eu-central-1.amazonaws.com"; got != want {
		t.Errorf("request went to %v, want %s", got, want)
	}
}

func TestOpenRefusesStorageEmulatorEnv(t *testing.T) {
	t.Setenv("STORAGE_EMULATOR_HOST", "127.0.0.1:1")
	_, err := provider.Open(t.Context(), &address.Address{Provider: address.GCS, Bucket: "bkt", Endpoint: "127.0.0.1:2"})
	var pe *provider.Error
	if !errors.As(err, &pe) || !strings.Contains(err.Error(), "STORAGE_EMULATOR_HOST") {
		t.Errorf("Open with STORAGE_EMULATOR_HOST set = %v, want an error naming it", err)
	}
}

// roundTripFunc is an http.RoundTripper made of a function.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestOpenDoesNoNetworkIO opens every network provider with a transport
// that counts requests: opening must send none.
func TestOpenDoesNoNetworkIO(t *testing.T) {
	var calls atomic.Int32
	hc := &http.Client{Transport: roundTripFunc(func(*http.Request) (*http.Response, error) {
		calls.Add(1)
		return nil, errors.New("no network in this test")
	})}
	_, key := testsecret.RSAKey(t)
	for _, tc := range []struct {
		name string
		a    *address.Address
	}{
		{"aws with keys", &address.Address{Provider: address.S3, Bucket: "bkt", Region: "us-east-1", TLS: true, AccessKey: "AKIA", Secret: "sk"}},
		{"aws ambient", &address.Address{Provider: address.S3, Bucket: "bkt", Region: "us-east-1", TLS: true}},
		{"s3-compatible", &address.Address{Provider: address.S3, Endpoint: "127.0.0.1:9", Bucket: "bkt", Region: "us-east-1", AccessKey: "ak", Secret: "sk"}},
		{"coreweave", &address.Address{Provider: address.CoreWeave, Endpoint: "cwobject.com", Bucket: "bkt", Region: "US-EAST-04A", TLS: true, AccessKey: "ak", Secret: "sk"}},
		{"gcs with service account", &address.Address{Provider: address.GCS, Bucket: "bkt", TLS: true, AccessKey: "sa@p.iam.gserviceaccount.com", Secret: key}},
		{"gcs emulator", &address.Address{Provider: address.GCS, Bucket: "bkt", Endpoint: "127.0.0.1:9"}},
		{"azure with key", &address.Address{Provider: address.Azure, Account: "acct", Bucket: "cont", TLS: true, Secret: "a2V5"}},
		{"azure ambient", &address.Address{Provider: address.Azure, Account: "acct", Bucket: "cont", TLS: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := mustOpen(t, tc.a, provider.WithHTTPClient(hc))
			if err := b.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
			if n := calls.Load(); n != 0 {
				t.Errorf("Open sent %d requests", n)
			}
		})
	}
}

// BenchmarkOpen compares opening a mem:// address with provider.Open, per
// team, against memblob.OpenBucket directly, side by side in one run.
func BenchmarkOpen(b *testing.B) {
	ctx := b.Context()
	openLoop := func(a *address.Address) func(*testing.B) {
		return func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				bk, err := provider.Open(ctx, a)
				if err != nil {
					b.Fatal(err)
				}
				bk.Close()
			}
		}
	}
	b.Run("provider.Open/mem", openLoop(&address.Address{Provider: address.Mem, Bucket: "bench", Path: "team/a"}))
	// For scale: a network provider builds an SDK client (no I/O).
	b.Run("provider.Open/s3-compatible", openLoop(&address.Address{Provider: address.S3, Endpoint: "127.0.0.1:9",
		Bucket: "bkt", Path: "team/a", Region: "us-east-1", AccessKey: "ak", Secret: "sk"}))
	b.Run("memblob.OpenBucket", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var bk *blob.Bucket = memblob.OpenBucket(nil)
			bk.Close()
		}
	})
}

// TestWrongCredentialErrors: against real servers, a refused credential
// gives an error that reads as PermissionDenied (through gcerrors.Code for
// S3, whose signature errors byob relabels, and through provider.Code for
// every provider), and whose text, wrapped or not, has no secret in it.
func TestWrongCredentialErrors(t *testing.T) {
	t.Run("S3", func(t *testing.T) {
		srv := testenv.S3(t)
		bucket := uniqueName(t, "byob-wrong")
		createS3Bucket(t, srv, bucket)
		wrong := "Wrong/" + srv.SecretKey + "+="
		a := &address.Address{Provider: address.S3, Endpoint: srv.Endpoint, Bucket: bucket, Region: "us-east-1", AccessKey: srv.AccessKey, Secret: wrong}
		checkWrongCredential(t, a, true, wrong, srv.SecretKey, srv.AccessKey)
	})
	t.Run("Azure", func(t *testing.T) {
		srv := testenv.Azurite(t)
		name := uniqueName(t, "byob-wrong")
		createContainer(t, srv, name)
		a := mustParse(t, "az://:"+url.QueryEscape(srv.Key)+"@"+srv.Account+"/"+name+"?endpoint="+url.QueryEscape(srv.Endpoint))
		wrong := base64.StdEncoding.EncodeToString([]byte("a wrong key, long enough to look real"))
		a.Secret = wrong
		// gocloud's azureblob maps only AuthenticationFailed to
		// PermissionDenied; Azurite answers AuthorizationFailure.
		checkWrongCredential(t, a, false, wrong, srv.Key)
	})
}

func checkWrongCredential(t *testing.T, a *address.Address, viaGCErrors bool, secrets ...string) {
	t.Helper()
	b := mustOpen(t, a)
	defer b.Close()
	_, err := b.ReadAll(t.Context(), "any/key")
	if err == nil {
		t.Fatal("ReadAll with a wrong credential succeeded")
	}
	wrapped := provider.WrapError(a, "read", err)
	t.Logf("wrapped: %v", wrapped) // checked below to hold no secret
	if got := provider.Code(wrapped); got != gcerrors.PermissionDenied {
		t.Errorf("provider.Code = %v, want PermissionDenied: %v", got, wrapped)
	}
	if got := gcerrors.Code(err); viaGCErrors && got != gcerrors.PermissionDenied || got == gcerrors.NotFound {
		t.Errorf("gcerrors.Code = %v: %v", got, err)
	}
	for _, text := range []string{err.Error(), fmt.Sprintf("%+v", err), wrapped.Error(), fmt.Sprintf("%+v", wrapped)} {
		for _, s := range secrets {
			for _, form := range secretForms(s) {
				if strings.Contains(text, form) {
					t.Fatalf("error text contains a secret")
				}
			}
		}
	}
	if !strings.Contains(wrapped.Error(), string(a.Provider)+` bucket "`+a.Bucket+`": read: PermissionDenied`) {
		t.Errorf("wrapped error %q does not name provider, bucket, operation and kind", wrapped)
	}
}

func TestOpenGCSRejectsABadPrivateKey(t *testing.T) {
	const bad = "-----BEGIN PRIVATE KEY-----\nTk9UQUtFWVNFQ1JFVFZBTFVFWFhYWA==\n-----END PRIVATE KEY-----\n"
	for _, tc := range []struct{ name, key string }{
		{"PEM armour around something else", bad},
		{"no PEM at all", "TkOTAKEY"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := &address.Address{Provider: address.GCS, Bucket: "bkt", TLS: true, AccessKey: "sa@p.iam.gserviceaccount.com", Secret: tc.key}
			b, err := provider.Open(t.Context(), a)
			if b != nil || !errors.Is(err, provider.ErrPrivateKey) || provider.Code(err) != gcerrors.InvalidArgument {
				t.Fatalf("Open = %v, %v; want an InvalidArgument error wrapping ErrPrivateKey", b, err)
			}
			if strings.Contains(err.Error(), "Tk9UQUtF") || strings.Contains(err.Error(), tc.key) {
				t.Errorf("error quotes the key: %v", err)
			}
		})
	}
	_, goodKey := testsecret.RSAKey(t)
	good := &address.Address{Provider: address.GCS, Bucket: "bkt", TLS: true, AccessKey: "sa@p.iam.gserviceaccount.com", Secret: goodKey}
	b := mustOpen(t, good)
	b.Close()
}

// TestCodeOverridesGCSForbiddenAsNotFound: gcsblob reports a GCS 403 as
// NotFound; provider.Code says PermissionDenied.
func TestCodeOverridesGCSForbiddenAsNotFound(t *testing.T) {
	hc := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		body := `{"error":{"code":403,"message":"sa@p does not have storage.objects.get access"}}`
		return &http.Response{
			StatusCode: http.StatusForbidden, Status: "403 Forbidden", Request: r,
			Header: http.Header{"Content-Type": {"application/json"}},
			Body:   io.NopCloser(strings.NewReader(body)),
		}, nil
	})}
	a := &address.Address{Provider: address.GCS, Bucket: "bkt", Endpoint: "127.0.0.1:9"}
	b := mustOpen(t, a, provider.WithHTTPClient(hc))
	defer b.Close()
	_, err := b.Attributes(t.Context(), "k")
	if gcerrors.Code(err) != gcerrors.NotFound {
		t.Logf("gcsblob now classifies a 403 as %v; the override may be unneeded", gcerrors.Code(err))
	}
	if got := provider.Code(err); got != gcerrors.PermissionDenied {
		t.Errorf("provider.Code = %v, want PermissionDenied: %v", got, err)
	}
}
