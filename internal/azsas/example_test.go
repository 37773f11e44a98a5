package azsas_test

import (
	"fmt"
	"time"

	"github.com/byobkit/byob/internal/azsas"
)

// A pre-signed GET for one artifact file: decode the key once, then sign
// per file.
func Example() {
	key, err := azsas.NewSharedKey("devstoreaccount1", "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==")
	if err != nil {
		panic(err)
	}
	v := azsas.Values{
		Container:   "byob",
		Blob:        "wandb_artifacts/1/2/model weights.bin",
		Permissions: "r",
		Expiry:      time.Date(2026, 3, 4, 6, 0, 0, 0, time.UTC),
		Protocol:    azsas.ProtocolHTTPS,
	}
	q, err := key.Sign(&v)
	if err != nil {
		panic(err)
	}
	u, err := azsas.BlobURL("https://devstoreaccount1.blob.core.windows.net", v.Container, v.Blob)
	if err != nil {
		panic(err)
	}
	fmt.Println(u + "?" + q)
	fmt.Println(key)
	// Output:
	// https://devstoreaccount1.blob.core.windows.net/byob/wandb_artifacts%2F1%2F2%2Fmodel%20weights.bin?se=2026-03-04T06%3A00%3A00Z&sig=e0zfCYQblqDIuBxR9MvNuscgFz1PzWJsNDlFnH8Os0c%3D&sp=r&spr=https&sr=b&sv=2026-12-06
	// azsas.SharedKey{Account:devstoreaccount1 Key:REDACTED}
}
