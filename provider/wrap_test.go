package provider_test

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"

	"cloud.google.com/go/storage"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/container"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/byobkit/byob/address"
	"github.com/byobkit/byob/internal/testenv"
	"github.com/byobkit/byob/internal/testsecret"
	"github.com/byobkit/byob/provider"
	"gocloud.dev/blob"
	"gocloud.dev/gcerrors"
)

// TestUnknownAccessKeyIsPermissionDenied: versitygw answers an access key
// it does not know with 404 XAdminUserNotFound; byob must report a refused
// credential, not a missing bucket, and write nothing. (A HEAD request,
// as Attributes and Exists send, gets the 404 without a body, which cannot
// be told from a missing object.)
func TestUnknownAccessKeyIsPermissionDenied(t *testing.T) {
	srv := testenv.S3(t)
	bucket := uniqueName(t, "byob-unknown-key")
	createS3Bucket(t, srv, bucket)
	a := &address.Address{Provider: address.S3, Endpoint: srv.Endpoint, Bucket: bucket, Region: "us-east-1",
		AccessKey: "byob-no-such-user", Secret: "a/secret+for=nobody0123456789"}
	b := mustOpen(t, a)
	defer b.Close()
	ctx := t.Context()
	for name, err := range map[string]error{
		"ListPage": func() error { _, _, err := b.ListPage(ctx, blob.FirstPageToken, 1, nil); return err }(),
		"ReadAll":  func() error { _, err := b.ReadAll(ctx, "k"); return err }(),
		"WriteAll": b.WriteAll(ctx, "k", []byte("must not be written"), nil),
	} {
		if got := gcerrors.Code(err); got != gcerrors.PermissionDenied {
			t.Errorf("%s: gcerrors.Code = %v, want PermissionDenied: %v", name, got, err)
		}
		if strings.Contains(err.Error(), a.Secret) || strings.Contains(err.Error(), url.QueryEscape(a.Secret)) {
			t.Errorf("%s: the error quotes the secret", name)
		}
	}
	good := mustOpen(t, &address.Address{Provider: address.S3, Endpoint: srv.Endpoint, Bucket: bucket, Region: "us-east-1",
		AccessKey: srv.AccessKey, Secret: srv.SecretKey})
	defer good.Close()
	if ok, err := good.Exists(ctx, "k"); err != nil || ok {
		t.Errorf("after the refused write, Exists = %v, %v; want false, nil", ok, err)
	}
}

// TestOpenedBucketAsReachesNativeClients: through the wrapper (and the
// sub-path) As still reaches each driver's native client.
func TestOpenedBucketAsReachesNativeClients(t *testing.T) {
	_, key := testsecret.RSAKey(t)
	for _, tc := range []struct {
		name string
		a    *address.Address
		as   func(b *blob.Bucket) bool
	}{
		{"s3", &address.Address{Provider: address.S3, Endpoint: "127.0.0.1:9", Bucket: "bkt", Path: "team/a", Region: "us-east-1", AccessKey: "ak", Secret: "sk"},
			func(b *blob.Bucket) bool { var c *s3.Client; return b.As(&c) && c != nil }},
		{"gs", &address.Address{Provider: address.GCS, Bucket: "bkt", Path: "team/a", TLS: true, AccessKey: "sa@p.iam.gserviceaccount.com", Secret: key},
			func(b *blob.Bucket) bool { var c *storage.Client; return b.As(&c) && c != nil }},
		{"az", &address.Address{Provider: address.Azure, Account: "acct", Bucket: "cont", Path: "team/a", TLS: true, Secret: "a2V5"},
			func(b *blob.Bucket) bool { var c *container.Client; return b.As(&c) && c != nil }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := mustOpen(t, tc.a)
			defer b.Close()
			if !tc.as(b) {
				t.Errorf("As did not reach the native client")
			}
		})
	}
}

// TestOpenedBucketErrors: on every provider, mem:// and file:// included,
// errors are *provider.Error values with the operation and the code, the
// caller's own hook errors and context errors still satisfy errors.Is, and
// readers end in io.EOF.
func TestOpenedBucketErrors(t *testing.T) {
	errHook := errors.New("the caller's hook refused")
	for _, a := range []*address.Address{
		{Provider: address.Mem, Bucket: uniqueName(t, "errs"), Path: "team/a"},
		{Provider: address.File, Bucket: t.TempDir(), Path: "team/a"},
	} {
		t.Run(string(a.Provider), func(t *testing.T) {
			b := mustOpen(t, a)
			defer b.Close()
			ctx := t.Context()
			if err := b.WriteAll(ctx, "there", []byte("data"), nil); err != nil {
				t.Fatalf("WriteAll: %v", err)
			}
			if got, err := b.ReadAll(ctx, "there"); err != nil || string(got) != "data" {
				t.Fatalf("ReadAll = %q, %v; want the data and no error (io.EOF ends the read)", got, err)
			}
			cancelled, cancel := context.WithCancel(ctx)
			cancel()
			for _, tc := range []struct {
				name string
				err  error
				op   string
				code gcerrors.ErrorCode
				is   error
			}{
				{"ReadAll of a missing key", func() error { _, err := b.ReadAll(ctx, "missing"); return err }(), provider.OpRead, gcerrors.NotFound, gcerrors.ErrNotFound},
				{"Attributes of a missing key", func() error { _, err := b.Attributes(ctx, "missing"); return err }(), provider.OpAttributes, gcerrors.NotFound, nil},
				{"Delete of a missing key", b.Delete(ctx, "missing"), provider.OpDelete, gcerrors.NotFound, nil},
				{"Copy of a missing key", b.Copy(ctx, "dst", "missing", nil), provider.OpCopy, gcerrors.NotFound, nil},
				{"WriteAll over an existing key with IfNotExist", b.WriteAll(ctx, "there", []byte("x"), &blob.WriterOptions{IfNotExist: true}), provider.OpWrite, gcerrors.FailedPrecondition, nil},
				{"NewReader with a refusing BeforeRead", func() error {
					_, err := b.NewReader(ctx, "there", &blob.ReaderOptions{BeforeRead: func(func(any) bool) error { return errHook }})
					return err
				}(), provider.OpRead, gcerrors.Unknown, errHook},
				{"WriteAll with a cancelled context", b.WriteAll(cancelled, "cancelled", []byte("x"), nil), provider.OpWrite, gcerrors.Canceled, context.Canceled},
			} {
				t.Run(tc.name, func(t *testing.T) {
					var pe *provider.Error
					if !errors.As(tc.err, &pe) || pe.Op != tc.op || pe.Provider != a.Provider {
						t.Fatalf("error = %#v, want a *provider.Error for op %q", tc.err, tc.op)
					}
					if got := gcerrors.Code(tc.err); got != tc.code {
						t.Errorf("gcerrors.Code = %v, want %v: %v", got, tc.code, tc.err)
					}
					if tc.is != nil && !errors.Is(tc.err, tc.is) {
						t.Errorf("errors.Is(%v, %v) = false", tc.err, tc.is)
					}
				})
			}
			if ok, err := b.Exists(ctx, "cancelled"); err != nil || ok {
				t.Errorf("the cancelled write left an object: Exists = %v, %v", ok, err)
			}
		})
	}
}
