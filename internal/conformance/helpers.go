package conformance

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/byobkit/byob/internal/testsecret"
	"gocloud.dev/blob"
	"gocloud.dev/gcerrors"
)

// put writes data at key, failing the test on error, and deletes the key
// when the test ends.
func put(t T, b *blob.Bucket, key, data string, opts *blob.WriterOptions) {
	t.Helper()
	if err := b.WriteAll(ctxFor(t), key, []byte(data), opts); err != nil {
		t.Fatalf("WriteAll(%q): %v", key, err)
	}
	cleanupKey(t, b, key)
}

// cleanupKey deletes key when the test ends; a key already gone is fine.
func cleanupKey(t T, b *blob.Bucket, key string) {
	t.Helper()
	t.Cleanup(func() {
		// t.Context is already canceled when cleanups run.
		err := b.Delete(context.Background(), key)
		if err != nil && gcerrors.Code(err) != gcerrors.NotFound {
			t.Errorf("cleanup: Delete(%q): %v", key, err)
		}
	})
}

// get reads key, failing the test on error.
func get(t T, b *blob.Bucket, key string) string {
	t.Helper()
	p, err := b.ReadAll(ctxFor(t), key)
	if err != nil {
		t.Fatalf("ReadAll(%q): %v", key, err)
	}
	return string(p)
}

// exists reports whether key exists, failing the test on error.
func exists(t T, b *blob.Bucket, key string) bool {
	t.Helper()
	ok, err := b.Exists(ctxFor(t), key)
	if err != nil {
		t.Fatalf("Exists(%q): %v", key, err)
	}
	return ok
}

// list returns the keys under prefix, in the order the bucket lists them.
func list(t T, b *blob.Bucket, prefix string) []string {
	t.Helper()
	var keys []string
	it := b.List(&blob.ListOptions{Prefix: prefix})
	for {
		o, err := it.Next(ctxFor(t))
		if err == io.EOF {
			return keys
		}
		if err != nil {
			t.Fatalf("List(%q): %v", prefix, err)
		}
		keys = append(keys, o.Key)
	}
}

// snapshot returns every object of the bucket with its content.
func snapshot(t T, b *blob.Bucket) map[string]string {
	t.Helper()
	m := map[string]string{}
	for _, k := range list(t, b, "") {
		m[k] = get(t, b, k)
	}
	return m
}

// compareOutside fails the test if, outside prefix, after differs from
// before: an object appeared, disappeared or changed.
func compareOutside(t T, prefix string, before, after map[string]string, what string) {
	t.Helper()
	for k, v := range after {
		if strings.HasPrefix(k, prefix) {
			continue
		}
		if old, ok := before[k]; !ok {
			t.Errorf("%s created %q outside the sub-path %q", what, k, prefix)
		} else if old != v {
			t.Errorf("%s changed %q outside the sub-path %q", what, k, prefix)
		}
	}
	for k := range before {
		if _, ok := after[k]; !ok && !strings.HasPrefix(k, prefix) {
			t.Errorf("%s deleted %q outside the sub-path %q", what, k, prefix)
		}
	}
}

// wantCode fails the test unless err has the given gcerrors code.
func wantCode(t T, h *Harness, what string, err error, want gcerrors.ErrorCode) {
	t.Helper()
	if err == nil {
		t.Errorf("%s: got no error, want %v", what, want)
		return
	}
	noSecrets(t, h, what, err)
	if got := h.Code(err); got != want {
		t.Errorf("%s: error code %v, want %v (error: %v)", what, got, want, err)
	}
}

// noSecrets fails the test if the text of err, or of any error in its
// chain, contains one of the harness's secrets.
func noSecrets(t T, h *Harness, what string, err error) {
	t.Helper()
	texts := []string{fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", err)}
	for _, e := range testsecret.Chain(err) {
		texts = append(texts, e.Error())
	}
	for _, s := range h.Secrets {
		if s == "" {
			continue
		}
		if slices.ContainsFunc(texts, func(x string) bool { return strings.Contains(x, s) }) {
			t.Errorf("%s: the error text contains a secret", what)
			return
		}
	}
}
