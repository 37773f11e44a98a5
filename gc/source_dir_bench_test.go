package gc

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// benchDir writes versions manifests of files entries each, directly
// (as an export from a database would), and returns the directory.
func benchDir(b *testing.B, versions, files int) string {
	b.Helper()
	dir := b.TempDir()
	must := func(err error) {
		if err != nil {
			b.Fatal(err)
		}
	}
	must(os.Mkdir(filepath.Join(dir, "1"), 0o755))
	for v := range versions {
		m := &Manifest{Contents: map[string]Entry{}}
		for f := range files {
			e, err := checkEntry("bench", dirEntry(fmt.Sprintf("f%d", f), fmt.Sprintf("v%d", v), fmt.Sprintf("%d-%d", v, f)))
			must(err)
			m.Contents[e.Path] = e
		}
		must(os.WriteFile(filepath.Join(dir, "1", fmt.Sprintf("v%d.json", v)), encodeManifest(m), 0o644))
	}
	return dir
}

// BenchmarkManifestDirLive streams the live keys of 200 manifests of 500
// files (100,000 keys), sorted in memory and in spilled runs of 4096.
func BenchmarkManifestDirLive(b *testing.B) {
	dir := benchDir(b, 200, 500)
	for _, chunk := range []int{0, 4096} {
		b.Run(fmt.Sprintf("chunk=%d", chunk), func(b *testing.B) {
			d, err := OpenManifestDir(dir, DirOptions{SortChunk: chunk, SpoolDir: b.TempDir()})
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			n := 0
			for b.Loop() {
				for _, err := range d.Live(context.Background(), Shard{}) {
					if err != nil {
						b.Fatal(err)
					}
					n++
				}
			}
			b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "keys/s")
		})
	}
}

// BenchmarkManifestDirClaim claims a batch of 1000 keys against the same
// 100,000 live keys: one pass over the manifests under the lock.
func BenchmarkManifestDirClaim(b *testing.B) {
	dir := benchDir(b, 200, 500)
	d, err := OpenManifestDir(dir, DirOptions{})
	if err != nil {
		b.Fatal(err)
	}
	keys := make([]string, 1000)
	for i := range keys {
		keys[i] = dirKey(fmt.Sprintf("v%d", i%200), fmt.Sprintf("%d-%d", i%200, i)) // half live, half not
	}
	for b.Loop() {
		if _, err := d.Check(context.Background(), keys); err != nil {
			b.Fatal(err)
		}
	}
}
