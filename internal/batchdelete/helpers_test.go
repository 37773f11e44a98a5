package batchdelete_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/byobkit/byob/address"
	"github.com/byobkit/byob/internal/batchdelete"
	"github.com/byobkit/byob/internal/testenv"
	"github.com/byobkit/byob/provider"
	"github.com/fsouza/fake-gcs-server/fakestorage"
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

func mustNew(t testing.TB, h *provider.Handle, o batchdelete.Options) *batchdelete.Deleter {
	t.Helper()
	d, err := batchdelete.New(h, o)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return d
}

// s3Address creates a fresh bucket on versitygw and returns its address,
// rooted at path ("" for the bucket's root).
func s3Address(t testing.TB, path string) (*address.Address, testenv.S3Server) {
	t.Helper()
	srv := testenv.S3(t)
	return mustParse(t, srv.Address(srv.NewBucket(t, "byob-bd", false), path)), srv
}

// azureAddress creates a fresh container on Azurite and returns its
// address, rooted at path.
func azureAddress(t testing.TB, path string) *address.Address {
	t.Helper()
	srv := testenv.Azurite(t)
	name := testenv.UniqueName(t, "byob-bd")
	a := mustParse(t, "az://:"+url.QueryEscape(srv.Key)+"@"+srv.Account+"/"+name+"/"+path+"?endpoint="+url.QueryEscape(srv.Endpoint))
	h := mustOpen(t, a)
	if _, err := h.AzureContainer().Create(context.Background(), nil); err != nil {
		t.Fatalf("create container: %v", err)
	}
	return a
}

// gcsAddress starts fake-gcs-server with a fresh bucket and returns its
// address, rooted at path.
func gcsAddress(t testing.TB, path string) (*address.Address, *fakestorage.Server) {
	t.Helper()
	srv, _ := testenv.FakeGCS(t)
	bucket := testenv.UniqueName(t, "byob-bd")
	srv.CreateBucketWithOpts(fakestorage.CreateBucketOpts{Name: bucket})
	return mustParse(t, "gs://"+bucket+"/"+path+"?endpoint="+url.QueryEscape(srv.URL())), srv
}

// put writes each key (relative to the handle's prefix) with a small body,
// in parallel, through the portable bucket.
func put(t testing.TB, h *provider.Handle, keys []string) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, len(keys))
	sem := make(chan struct{}, 16)
	for _, k := range keys {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if err := h.Bucket().WriteAll(context.Background(), k, []byte("x"), nil); err != nil {
				errs <- fmt.Errorf("write %q: %w", k, err)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

// exists reports whether key (relative to the handle's prefix) is there.
func exists(t testing.TB, h *provider.Handle, key string) bool {
	t.Helper()
	ok, err := h.Bucket().Exists(context.Background(), key)
	if err != nil {
		t.Fatalf("Exists(%q): %v", key, err)
	}
	return ok
}

func keysN(prefix string, n int) []string {
	keys := make([]string, n)
	for i := range keys {
		keys[i] = fmt.Sprintf("%s%05d", prefix, i)
	}
	return keys
}

// faults is an HTTP transport that records the requests it carries and
// injects faults: fail, if set, may fail a request with a transport error
// and answer may answer it itself (either way it never reaches the
// server); rewrite, if set, may change the body of the server's answer.
// n counts the requests match selects, from 0; requests match does not
// select pass untouched.
type faults struct {
	next    http.RoundTripper
	match   func(r *http.Request) bool
	fail    func(n int, r *http.Request) error
	answer  func(n int, r *http.Request, body []byte) *http.Response
	rewrite func(n int, r *http.Request, body []byte) []byte

	mu          sync.Mutex
	n           int
	bodies      [][]byte
	inflight    int
	maxInflight int
}

func (f *faults) client() *http.Client { return &http.Client{Transport: f} }

func (f *faults) RoundTrip(r *http.Request) (*http.Response, error) {
	next := f.next
	if next == nil {
		next = http.DefaultTransport
	}
	if f.match != nil && !f.match(r) {
		return next.RoundTrip(r)
	}
	var body []byte
	if r.Body != nil {
		var err error
		if body, err = io.ReadAll(r.Body); err != nil {
			return nil, err
		}
		r.Body.Close()
		r.Body = io.NopCloser(bytes.NewReader(body))
	}
	f.mu.Lock()
	n := f.n
	f.n++
	f.bodies = append(f.bodies, body)
	f.inflight++
	f.maxInflight = max(f.maxInflight, f.inflight)
	f.mu.Unlock()
	defer func() {
		f.mu.Lock()
		f.inflight--
		f.mu.Unlock()
	}()
	if f.fail != nil {
		if err := f.fail(n, r); err != nil {
			return nil, err
		}
	}
	if f.answer != nil {
		if resp := f.answer(n, r, body); resp != nil {
			resp.Request = r
			return resp, nil
		}
	}
	resp, err := next.RoundTrip(r)
	if err != nil || f.rewrite == nil {
		return resp, err
	}
	rb, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	rb = f.rewrite(n, r, rb)
	resp.Body = io.NopCloser(bytes.NewReader(rb))
	resp.ContentLength = int64(len(rb))
	resp.Header.Del("Content-Length")
	resp.TransferEncoding = nil
	return resp, nil
}

// count returns how many requests match selected.
func (f *faults) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.n
}

func (f *faults) peak() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.maxInflight
}

func (f *faults) allBodies() [][]byte {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([][]byte(nil), f.bodies...)
}

// isDeleteObjects selects S3 DeleteObjects requests.
func isDeleteObjects(r *http.Request) bool {
	return r.Method == http.MethodPost && r.URL.Query().Has("delete")
}

// response builds an answer with status, content type and body.
func response(status int, contentType, body string, header ...string) *http.Response {
	h := http.Header{"Content-Type": {contentType}}
	for i := 0; i+1 < len(header); i += 2 {
		h.Set(header[i], header[i+1])
	}
	return &http.Response{
		StatusCode: status, Status: fmt.Sprintf("%d %s", status, http.StatusText(status)),
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: h, Body: io.NopCloser(strings.NewReader(body)), ContentLength: int64(len(body)),
	}
}

// s3Error is an S3 error answer.
func s3Error(status int, code, msg string) *http.Response {
	return response(status, "application/xml",
		`<?xml version="1.0" encoding="UTF-8"?><Error><Code>`+code+`</Code><Message>`+msg+`</Message><RequestId>r</RequestId></Error>`)
}

// count tallies results by status.
func tally(res []batchdelete.Result) map[batchdelete.Status]int {
	m := map[batchdelete.Status]int{}
	for _, r := range res {
		m[r.Status]++
	}
	return m
}
