package batchdelete_test

import (
	"context"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/byobkit/byob/address"
	"github.com/byobkit/byob/gc"
	"github.com/byobkit/byob/provider"
	"github.com/byobkit/byob/scope"
)

// BenchmarkRunVersitygw is the collection of BenchmarkDeleteVersitygw
// through gc.Run: BYOB_BENCH_OBJECTS (default 100,000) unreferenced
// objects swept (native listing, merge-join with an empty live source),
// claimed, journaled to a synced file and deleted in batches; stale
// multipart uploads are listed too. Versioned is the run as the product
// makes it; Unversioned (Force, nothing could be restored) isolates
// versitygw's cost of writing delete markers. It reports every request
// the location's handle sent (listings included), the delete requests
// gc.Report counts, and keys/s; ns/op is the run's wall time. Run with
// -benchtime=1x.
func BenchmarkRunVersitygw(b *testing.B) {
	n := benchObjects(b, "BYOB_BENCH_OBJECTS", 100_000)
	keys := keysN("wandb_artifacts/1/k", n)
	for _, versioned := range []bool{false, true} {
		b.Run(versioning(versioned)+"/"+strconv.Itoa(n), func(b *testing.B) {
			var requests, deletes int
			var elapsed time.Duration
			b.StopTimer()
			for range b.N {
				a, srv := s3Address(b, "bench")
				c := fastS3Client(srv.Client())
				if versioned {
					enableVersioning(b, c, a.Bucket)
				}
				fillS3(b, c, a.Bucket, "bench/", keys)
				rec := &faults{}
				loc := benchLocation(b, a, rec)
				journal, err := os.Create(b.TempDir() + "/journal.jsonl")
				if err != nil {
					b.Fatal(err)
				}
				opts := gc.Options{Journal: journal, SpoolDir: b.TempDir(), Force: !versioned,
					// The objects were written just now; the run's clock
					// is past the grace period instead of the test
					// waiting it out.
					Now: func() time.Time { return time.Now().Add(gc.DefaultMinAge + time.Hour) }}
				b.StartTimer()
				start := time.Now()
				rep, err := gc.Run(context.Background(), loc, gc.NewMemServer(gc.DefaultDataPrefix), opts)
				elapsed += time.Since(start)
				b.StopTimer()
				journal.Close()
				want := gc.ModeNone
				if versioned {
					want = gc.ModeVersions
				}
				if err != nil || rep.Deleted != int64(n) || rep.Mode != want {
					b.Fatalf("Run: deleted %d of %d in mode %q, want %q: %v", rep.Deleted, n, rep.Mode, want, err)
				}
				requests += rec.count()
				deletes += int(rep.Requests)
			}
			b.ReportMetric(float64(requests)/float64(b.N), "requests/op")
			b.ReportMetric(float64(deletes)/float64(b.N), "delete-requests/op")
			b.ReportMetric(float64(n*b.N)/elapsed.Seconds(), "keys/s")
		})
	}
}

// benchLocation is a's instance location, its handle's requests counted
// by rec.
func benchLocation(b *testing.B, a *address.Address, rec *faults) *scope.Location {
	b.Helper()
	reg, err := scope.New(context.Background(), scope.Config{Deployment: scope.SelfManaged, Instance: a, Store: scope.NewMemStore(),
		Open:  scope.ProviderOpen(provider.WithHTTPClient(rec.client())),
		Check: func(context.Context, *address.Address) ([]string, error) { return nil, nil }})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { reg.Close() })
	loc, err := reg.Instance()
	if err != nil {
		b.Fatal(err)
	}
	return loc
}
