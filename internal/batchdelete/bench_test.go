package batchdelete_test

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/byobkit/byob/internal/batchdelete"
	"github.com/byobkit/byob/provider"
)

// benchObjects is how many objects BenchmarkDeleteVersitygw collects:
// BYOB_BENCH_OBJECTS, or 100,000 as the issue asks.
func benchObjects(b *testing.B) int {
	if s := os.Getenv("BYOB_BENCH_OBJECTS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n <= 0 {
			b.Fatalf("BYOB_BENCH_OBJECTS=%q is not a positive count", s)
		}
		return n
	}
	return 100_000
}

// BenchmarkDeleteVersitygw collects the same number of objects on
// versitygw in batches (DeleteObjects, 1000 keys per request) and with one
// gocloud Delete per key (16 in flight, as a careful caller would), and
// reports the requests each sent and the wall time. Writing the objects
// is not timed.
func BenchmarkDeleteVersitygw(b *testing.B) {
	n := benchObjects(b)
	for _, bc := range []struct {
		name string
		run  func(b *testing.B, h *provider.Handle, keys []string)
	}{
		{"Batched", func(b *testing.B, h *provider.Handle, keys []string) {
			res, err := mustNew(b, h, batchdelete.Options{}).Delete(context.Background(), keys)
			if err != nil || tally(res)[batchdelete.Deleted] != len(keys) {
				b.Fatalf("Delete: %v, %v", tally(res), err)
			}
		}},
		{"GocloudPerKey", func(b *testing.B, h *provider.Handle, keys []string) {
			var wg sync.WaitGroup
			work := make(chan string)
			for range 16 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for k := range work {
						if err := h.Bucket().Delete(context.Background(), k); err != nil {
							b.Errorf("Delete(%q): %v", k, err)
						}
					}
				}()
			}
			for _, k := range keys {
				work <- k
			}
			close(work)
			wg.Wait()
		}},
	} {
		b.Run(bc.name+"/"+strconv.Itoa(n), func(b *testing.B) {
			var requests int
			var elapsed time.Duration
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				a, srv := s3Address(b, "bench")
				keys := keysN("wandb_artifacts/1/k", n)
				fill(b, srv.Client(), a.Bucket, "bench/", keys)
				rec := &faults{match: func(r *http.Request) bool { return r.Method == http.MethodPost || r.Method == http.MethodDelete }}
				h := mustOpen(b, a, provider.WithHTTPClient(rec.client()))
				b.StartTimer()
				start := time.Now()
				bc.run(b, h, keys)
				elapsed += time.Since(start)
				b.StopTimer()
				requests += rec.count()
			}
			b.ReportMetric(float64(requests)/float64(b.N), "requests/op")
			b.ReportMetric(float64(n*b.N)/elapsed.Seconds(), "keys/s")
		})
	}
}

// fill writes the keys under prefix with the native client, 32 at a time.
func fill(b *testing.B, c *s3.Client, bucket, prefix string, keys []string) {
	var wg sync.WaitGroup
	work := make(chan string)
	for range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range work {
				if _, err := c.PutObject(context.Background(), &s3.PutObjectInput{
					Bucket: aws.String(bucket), Key: aws.String(prefix + k), Body: bytes.NewReader(nil),
				}); err != nil {
					b.Errorf("PutObject: %v", err)
				}
			}
		}()
	}
	for _, k := range keys {
		work <- k
	}
	close(work)
	wg.Wait()
}
