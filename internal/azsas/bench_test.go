package azsas_test

import (
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/service"

	"github.com/byobkit/byob/internal/azsas"
)

// benchValues is a typical artifact GET: an r SAS with a content
// disposition and a correlation id, for a key of the product's layout.
func benchValues() azsas.Values {
	return azsas.Values{
		Container: "byob-artifacts", Blob: "wandb_artifacts/1234/5678901/0f343b0931126a20f133d67c2b018a3b",
		Permissions: "r", Expiry: time.Date(2026, 3, 4, 6, 0, 0, 0, time.UTC), Protocol: azsas.ProtocolHTTPS,
		ContentDisposition: `attachment; filename="model.safetensors"`, CorrelationID: "alice@example.com",
	}
}

// Side by side, in one run: this package against azblob's sas, for a
// shared key and for a user delegation key, each signing in parallel
// (run with -cpu 1,2).
func BenchmarkSign(b *testing.B) {
	v := benchValues()
	sdkV := sdkValues(&v)
	key, err := azsas.NewSharedKey(testAccount, testKey)
	if err != nil {
		b.Fatal(err)
	}
	cred, err := service.NewSharedKeyCredential(testAccount, testKey)
	if err != nil {
		b.Fatal(err)
	}
	udk := ourUDK(b, testAccount, defaultUDK())
	udc := sdkUDC(b, testAccount, defaultUDK())
	// Both sides must sign the same bytes, or the race means nothing.
	ours, _ := key.Sign(&v)
	if want, _ := sdkSharedKey(b, testAccount, testKey, &v); ours != want {
		b.Fatalf("shared-key outputs differ:\n%s\n%s", ours, want)
	}
	oursUD, _ := azsas.SignUserDelegation(udk, &v)
	if want, _, _ := sdkUserDelegation(b, udc, &v); oursUD != want {
		b.Fatalf("user delegation outputs differ:\n%s\n%s", oursUD, want)
	}

	run := func(b *testing.B, sign func() (string, error)) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := sign(); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	b.Run("shared-key/native", func(b *testing.B) { run(b, func() (string, error) { return key.Sign(&v) }) })
	b.Run("shared-key/azblob", func(b *testing.B) {
		run(b, func() (string, error) {
			qp, err := sdkV.SignWithSharedKey(cred)
			return qp.Encode(), err
		})
	})
	b.Run("user-delegation/native", func(b *testing.B) { run(b, func() (string, error) { return azsas.SignUserDelegation(udk, &v) }) })
	b.Run("user-delegation/azblob", func(b *testing.B) {
		run(b, func() (string, error) {
			qp, err := sdkV.SignWithUserDelegation(udc)
			return qp.Encode(), err
		})
	})
	b.Run("blob-url/native", func(b *testing.B) {
		run(b, func() (string, error) {
			return azsas.BlobURL("https://"+testAccount+".blob.core.windows.net", v.Container, v.Blob)
		})
	})
}
