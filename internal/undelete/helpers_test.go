package undelete_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"io"
	"net/http"
	"net/url"
	"os"
	"sync"
	"testing"

	"github.com/byobkit/byob/address"
	"github.com/byobkit/byob/internal/batchdelete"
	"github.com/byobkit/byob/internal/testenv"
	"github.com/byobkit/byob/internal/undelete"
	"github.com/byobkit/byob/provider"
	"gocloud.dev/gcerrors"
)

// TestMain runs the tests in a scrubbed cloud environment: the Google
// library must not see STORAGE_EMULATOR_HOST, nor the AWS chain a profile.
func TestMain(m *testing.M) { os.Exit(testenv.RunScrubbed(m)) }

func mustParse(t testing.TB, s string) *address.Address {
	t.Helper()
	a, err := address.Parse(s)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return a
}

func mustOpen(t testing.TB, a *address.Address, opts ...provider.Option) *provider.Handle {
	t.Helper()
	h, err := provider.Open(context.Background(), a, opts...)
	if err != nil {
		t.Fatalf("Open(%v): %v", a, err)
	}
	t.Cleanup(func() { h.Close() })
	return h
}

func mustNew(t testing.TB, h *provider.Handle) *undelete.Restorer {
	t.Helper()
	r, err := undelete.New(h, undelete.Options{})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return r
}

// versionedS3 creates a fresh bucket on versitygw with versioning
// Enabled and returns its address rooted at path, and the bucket's name.
func versionedS3(t testing.TB, path string) (*address.Address, string) {
	t.Helper()
	srv := testenv.S3(t)
	bucket := srv.NewBucket(t, "byob-ud", true)
	return mustParse(t, srv.Address(bucket, path)), bucket
}

// write writes body under key (relative to the handle's prefix).
func write(t testing.TB, h *provider.Handle, key string, body []byte) {
	t.Helper()
	if err := h.Bucket().WriteAll(context.Background(), key, body, nil); err != nil {
		t.Fatalf("write %q: %v", key, err)
	}
}

// read returns key's body, or nil if it does not exist.
func read(t testing.TB, h *provider.Handle, key string) []byte {
	t.Helper()
	b, err := h.Bucket().ReadAll(context.Background(), key)
	if provider.Code(err) == gcerrors.NotFound {
		return nil
	}
	if err != nil {
		t.Fatalf("read %q: %v", key, err)
	}
	return b
}

// randomBody returns n random bytes.
func randomBody(t testing.TB, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

// deleteAll deletes keys through batchdelete, as a gc run does, and
// fails the test unless every one is done.
func deleteAll(t testing.TB, h *provider.Handle, keys []string) {
	t.Helper()
	d, err := batchdelete.New(h, batchdelete.Options{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := d.Delete(context.Background(), keys)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res {
		if !r.Done() {
			t.Fatalf("delete %q: %v %v", r.Key, r.Status, r.Err)
		}
	}
}

// recorder is an HTTP transport that records the requests it carries
// (method, URL and body) and, if answer is set, may answer a request
// itself.
type recorder struct {
	next   http.RoundTripper
	answer func(r *http.Request, body []byte) *http.Response

	mu   sync.Mutex
	reqs []recorded
}

type recorded struct {
	method string
	url    *url.URL
	body   []byte
}

func (rc *recorder) client() *http.Client { return &http.Client{Transport: rc} }

func (rc *recorder) RoundTrip(r *http.Request) (*http.Response, error) {
	var body []byte
	if r.Body != nil {
		var err error
		if body, err = io.ReadAll(r.Body); err != nil {
			return nil, err
		}
		r.Body.Close()
		r.Body = io.NopCloser(bytes.NewReader(body))
	}
	rc.mu.Lock()
	rc.reqs = append(rc.reqs, recorded{r.Method, r.URL, body})
	rc.mu.Unlock()
	if rc.answer != nil {
		if resp := rc.answer(r, body); resp != nil {
			resp.Request = r
			return resp, nil
		}
	}
	next := rc.next
	if next == nil {
		next = http.DefaultTransport
	}
	return next.RoundTrip(r)
}

func (rc *recorder) all() []recorded {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]recorded(nil), rc.reqs...)
}

func errorsAs(err error, target any) bool { return errors.As(err, target) }
