package conformance

import (
	"bytes"
	"crypto/md5"
	"crypto/sha256"
	"io"
	"math/rand/v2"
	"path"
	"slices"
	"strings"

	"gocloud.dev/blob"
	"gocloud.dev/gcerrors"
)

// testRoundTrip: an object written through the rooted bucket reads back
// through it, lives at <prefix><key> in the bucket, and is gone from both
// views once deleted.
func testRoundTrip(t *caseT, h *Harness) {
	b, u := h.open(t), h.unrooted(t)
	const key, data = "roundtrip/obj.txt", "hello, byob"
	put(t, b, key, data, nil)
	if got := get(t, b, key); got != data {
		t.Errorf("rooted ReadAll(%q) = %q, want %q", key, got, data)
	}
	if got := get(t, u, h.Prefix+key); got != data {
		t.Errorf("unrooted ReadAll(%q) = %q, want %q", h.Prefix+key, got, data)
	}
	if err := b.Delete(ctxFor(t), key); err != nil {
		t.Fatalf("Delete(%q): %v", key, err)
	}
	if exists(t, b, key) {
		t.Errorf("rooted Exists(%q) after Delete = true", key)
	}
	if exists(t, u, h.Prefix+key) {
		t.Errorf("unrooted Exists(%q) after Delete = true", h.Prefix+key)
	}
}

// testAttributes: content type, user metadata and size survive a round
// trip; an MD5, when the store reports one, is the content's.
func testAttributes(t *caseT, h *Harness) {
	b := h.open(t)
	const key, data = "attrs/obj.json", `{"a":1}`
	put(t, b, key, data, &blob.WriterOptions{ContentType: "application/json", Metadata: map[string]string{"team": "kappa"}})
	a, err := b.Attributes(ctxFor(t), key)
	if err != nil {
		t.Fatalf("Attributes(%q): %v", key, err)
	}
	if a.ContentType != "application/json" {
		t.Errorf("ContentType = %q, want application/json", a.ContentType)
	}
	if a.Metadata["team"] != "kappa" {
		t.Errorf("Metadata = %v, want team=kappa", a.Metadata)
	}
	if a.Size != int64(len(data)) {
		t.Errorf("Size = %d, want %d", a.Size, len(data))
	}
	if sum := md5.Sum([]byte(data)); a.MD5 != nil && !bytes.Equal(a.MD5, sum[:]) {
		t.Errorf("MD5 = %x, want %x", a.MD5, sum)
	}
}

// testNotFound: every way of touching a missing object reports NotFound.
func testNotFound(t *caseT, h *Harness) {
	b := h.open(t)
	const key = "notfound/missing"
	_, err := b.ReadAll(ctxFor(t), key)
	wantCode(t, h, "ReadAll", err, gcerrors.NotFound)
	_, err = b.NewReader(ctxFor(t), key, nil)
	wantCode(t, h, "NewReader", err, gcerrors.NotFound)
	_, err = b.Attributes(ctxFor(t), key)
	wantCode(t, h, "Attributes", err, gcerrors.NotFound)
	wantCode(t, h, "Delete", b.Delete(ctxFor(t), key), gcerrors.NotFound)
	if exists(t, b, key) {
		t.Errorf("Exists(%q) = true", key)
	}
}

// listKeys are written in an order that is not the sorted one. They mix
// characters that sort before and after '/', upper case and non-ASCII, so
// a store that sorts per directory level instead of by whole key shows.
var listKeys = []string{"z", "é", "a0", "a/c/d", "a/b", "a-b", "a b", "A", "0", "b"}

// testListOrder: a listing is in lexicographic (byte) order of whole keys.
func testListOrder(t *caseT, h *Harness) {
	b := h.open(t)
	const base = "order/"
	for _, k := range listKeys {
		put(t, b, base+k, k, nil)
	}
	want := slices.Clone(listKeys)
	slices.Sort(want)
	got := list(t, b, base)
	for i := range got {
		got[i] = strings.TrimPrefix(got[i], base)
	}
	if !slices.Equal(got, want) {
		t.Errorf("List order:\n got %q\nwant %q", got, want)
	}
}

// testListDelimiter: with a delimiter, sub-directories collapse into one
// entry each, in order with the objects, with keys relative to the sub-path.
func testListDelimiter(t *caseT, h *Harness) {
	b := h.open(t)
	const base = "delim/"
	for _, k := range []string{"e/f", "b/d", "a", "b/c"} {
		put(t, b, base+k, k, nil)
	}
	var got []string
	it := b.List(&blob.ListOptions{Prefix: base, Delimiter: "/"})
	for {
		o, err := it.Next(ctxFor(t))
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("List: %v", err)
		}
		if o.IsDir != strings.HasSuffix(o.Key, "/") {
			t.Errorf("List entry %q: IsDir = %v", o.Key, o.IsDir)
		}
		got = append(got, o.Key)
	}
	want := []string{base + "a", base + "b/", base + "e/"}
	if !slices.Equal(got, want) {
		t.Errorf("List with delimiter = %q, want %q", got, want)
	}
}

// testListPages: paging through a listing, at several page sizes, yields
// every key exactly once and in order, each page within its size. The keys
// are listKeys, where a store whose pages do not follow the sorted order
// loses or repeats objects at page boundaries.
func testListPages(t *caseT, h *Harness) {
	b := h.open(t)
	const base = "pages/"
	for _, k := range listKeys {
		put(t, b, base+k, k, nil)
	}
	want := slices.Sorted(slices.Values(listKeys))
	for size := 1; size <= 4; size++ {
		var got []string
		token := blob.FirstPageToken
		for pages := 0; ; pages++ {
			if pages > len(listKeys) {
				t.Fatalf("page size %d: more than %d pages for %d objects", size, len(listKeys), len(listKeys))
			}
			objs, next, err := b.ListPage(ctxFor(t), token, size, &blob.ListOptions{Prefix: base})
			if err != nil {
				t.Fatalf("ListPage: %v", err)
			}
			if len(objs) > size {
				t.Errorf("page size %d: ListPage returned %d objects", size, len(objs))
			}
			for _, o := range objs {
				got = append(got, strings.TrimPrefix(o.Key, base))
			}
			if len(next) == 0 {
				break
			}
			token = next
		}
		if !slices.Equal(got, want) {
			t.Errorf("page size %d: paged List =\n %q\nwant\n %q", size, got, want)
		}
	}
}

// testListInside: the rooted bucket lists exactly the objects under its
// prefix, not those of neighbours whose names merely start the same way.
func testListInside(t *caseT, h *Harness) {
	if h.Prefix == "" {
		t.Skip("the address has no sub-path, so there is no outside to leak")
	}
	b, u := h.open(t), h.unrooted(t)
	stem := strings.TrimSuffix(h.Prefix, "/")
	for _, k := range []string{stem + "-sibling/x", stem + "0", "outside-conformance/x"} {
		put(t, u, k, "neighbour", nil)
	}
	put(t, b, "inside/x", "inside", nil)
	var want []string
	for _, k := range list(t, u, h.Prefix) {
		want = append(want, strings.TrimPrefix(k, h.Prefix))
	}
	if got := list(t, b, ""); !slices.Equal(got, want) {
		t.Errorf("rooted List = %q, want the keys under %q: %q", got, h.Prefix, want)
	}
}

// escapeKeys try to leave the sub-path by path tricks a driver, an SDK, a
// proxy or the server might resolve.
var escapeKeys = []string{
	"../escape", "../../escape", "a/../../escape", "./../escape",
	"..", "../", "a/..", "../..", ".", "./escape",
	"/escape", "//escape", "/../escape",
	"%2e%2e/escape", "..%2fescape", "..%2Fescape", `..\escape`, `..\..\escape`,
	"a/./../escape", "escape/..",
}

// testEscape: whatever the key, writing, copying, reading and deleting
// through the rooted bucket never create, change, remove or reveal an
// object outside the sub-path. Writes may fail; they must not land outside.
func testEscape(t *caseT, h *Harness) {
	if h.Prefix == "" {
		t.Skip("the address has no sub-path, so there is no outside to reach")
	}
	b, u := h.open(t), h.unrooted(t)
	// Sentinels where the tricks above would land. (Not "escape/x" too: on
	// file-system backed stores "escape" cannot be both object and directory.)
	parent := path.Dir(strings.TrimSuffix(h.Prefix, "/"))
	sentinels := []string{"escape"}
	if parent != "." {
		sentinels = append(sentinels, parent+"/escape")
	}
	for _, k := range sentinels {
		put(t, u, k, sentinel+k, nil)
	}
	put(t, b, "escape-src", "inside", nil)
	before := snapshot(t, u)
	ctx := ctxFor(t)
	revealed := func(what, k string, got []byte) {
		t.Helper()
		if strings.HasPrefix(string(got), sentinel) {
			t.Errorf("%s %q revealed %q, an object outside the sub-path", what, k, got)
		}
	}

	for _, k := range escapeKeys {
		if err := b.WriteAll(ctx, k, []byte("escaped "+k), nil); err != nil {
			noSecrets(t, h, "WriteAll "+k, err)
			continue
		}
		cleanupKey(t, b, k)
		if got, err := b.ReadAll(ctx, k); err != nil || string(got) != "escaped "+k {
			t.Errorf("key %q: written, but ReadAll = %q, %v", k, got, err)
		}
	}
	compareOutside(t, h.Prefix, before, snapshot(t, u), "writing tricky keys")

	for _, k := range escapeKeys {
		if err := b.Copy(ctx, k, "escape-src", nil); err == nil {
			cleanupKey(t, b, k)
		}
		if err := b.Copy(ctx, "escape-dst", k, nil); err == nil {
			cleanupKey(t, b, "escape-dst")
			got, _ := b.ReadAll(ctx, "escape-dst")
			revealed("Copy from", k, got)
		}
		got, _ := b.ReadAll(ctx, k)
		revealed("ReadAll", k, got)
	}
	compareOutside(t, h.Prefix, before, snapshot(t, u), "copying tricky keys")

	for _, k := range escapeKeys {
		_ = b.Delete(ctx, k)
	}
	compareOutside(t, h.Prefix, before, snapshot(t, u), "deleting tricky keys")
}

// sentinel starts the content of the objects testEscape plants outside.
const sentinel = "sentinel "

// testCopy: Copy reads and writes inside the sub-path.
func testCopy(t *caseT, h *Harness) {
	b, u := h.open(t), h.unrooted(t)
	put(t, b, "copy/src", "copied", nil)
	if err := b.Copy(ctxFor(t), "copy/dst", "copy/src", nil); err != nil {
		t.Fatalf("Copy: %v", err)
	}
	cleanupKey(t, b, "copy/dst")
	if got := get(t, u, h.Prefix+"copy/dst"); got != "copied" {
		t.Errorf("unrooted ReadAll(%q) = %q, want %q", h.Prefix+"copy/dst", got, "copied")
	}
}

// testIfNotExist: a write that must not replace an existing object fails
// with FailedPrecondition and leaves the object as it was.
func testIfNotExist(t *caseT, h *Harness) {
	b := h.open(t)
	const key = "ifnotexist/obj"
	put(t, b, key, "first", nil)
	err := b.WriteAll(ctxFor(t), key, []byte("second"), &blob.WriterOptions{IfNotExist: true})
	wantCode(t, h, "WriteAll with IfNotExist over an existing object", err, gcerrors.FailedPrecondition)
	if got := get(t, b, key); got != "first" {
		t.Errorf("after the refused write, the object holds %q, want %q", got, "first")
	}
}

// testLarge: a multi-part upload arrives intact, whole and in ranges that
// cross part boundaries.
func testLarge(t *caseT, h *Harness) {
	b := h.open(t)
	const key = "large/blob.bin"
	data := make([]byte, h.LargeSize)
	r := rand.New(rand.NewChaCha8([32]byte{'b', 'y', 'o', 'b'}))
	for i := range data {
		data[i] = byte(r.Uint32())
	}
	w, err := b.NewWriter(ctxFor(t), key, &blob.WriterOptions{
		BufferSize:     h.PartSize,
		MaxConcurrency: 2,
		ContentType:    "application/octet-stream",
	})
	if err != nil {
		t.Fatalf("NewWriter: %v", err)
	}
	// Small writes, so the writer has to assemble the parts itself.
	for off := 0; off < len(data); off += 256 << 10 {
		if _, err := w.Write(data[off:min(off+256<<10, len(data))]); err != nil {
			_ = w.Close()
			t.Fatalf("Write at %d: %v", off, err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatalf("Close (completes the upload): %v", err)
	}
	cleanupKey(t, b, key)

	a, err := b.Attributes(ctxFor(t), key)
	if err != nil {
		t.Fatalf("Attributes: %v", err)
	}
	if a.Size != int64(len(data)) {
		t.Errorf("Size = %d, want %d", a.Size, len(data))
	}
	got, err := b.ReadAll(ctxFor(t), key)
	if err != nil {
		t.Fatalf("ReadAll: %v", err)
	}
	if sha256.Sum256(got) != sha256.Sum256(data) {
		t.Errorf("content read back (%d bytes) differs from the %d bytes written", len(got), len(data))
	}
	off := int64(h.PartSize) - 10 // across the first part boundary
	rr, err := b.NewRangeReader(ctxFor(t), key, off, 100, nil)
	if err != nil {
		t.Fatalf("NewRangeReader: %v", err)
	}
	part, err := io.ReadAll(rr)
	_ = rr.Close()
	if err != nil || !bytes.Equal(part, data[off:off+100]) {
		t.Errorf("range [%d, +100) differs from what was written (err %v)", off, err)
	}
}

// wrongCredentials opens the bucket with the wrong credential, or skips.
func wrongCredentials(t *caseT, h *Harness) *blob.Bucket {
	if h.OpenWrongCredentials == nil {
		t.Skip(h.WrongCredentialsSkip)
	}
	return closing(t, h.OpenWrongCredentials(t.testingT()))
}

// testWrongCredentialsRead: with a refused credential, reading, stat-ing
// and listing fail with PermissionDenied, not NotFound (which would send an
// operator looking for a missing object or bucket), and the errors carry
// no secret.
func testWrongCredentialsRead(t *caseT, h *Harness) {
	b := wrongCredentials(t, h)
	ctx := ctxFor(t)
	const key = "wrongcreds/missing"
	_, err := b.ReadAll(ctx, key)
	wantCode(t, h, "ReadAll of a missing key", err, gcerrors.PermissionDenied)
	notNotFound(t, err)
	_, err = b.Attributes(ctx, key)
	wantCode(t, h, "Attributes of a missing key", err, gcerrors.PermissionDenied)
	notNotFound(t, err)
	_, _, err = b.ListPage(ctx, blob.FirstPageToken, 10, nil)
	wantCode(t, h, "ListPage", err, gcerrors.PermissionDenied)
	notNotFound(t, err)
}

// notNotFound fails the test if the driver's own classification of a
// credential failure is NotFound: callers that use gcerrors.Code directly
// would then report a missing bucket or object instead of a bad key.
func notNotFound(t T, err error) {
	t.Helper()
	if gcerrors.Code(err) == gcerrors.NotFound {
		t.Errorf("gcerrors.Code of a credential failure is NotFound: %v", err)
	}
}

// testWrongCredentialsWrite: with a refused credential, writing fails with
// PermissionDenied, carries no secret, and writes nothing.
func testWrongCredentialsWrite(t *caseT, h *Harness) {
	b := wrongCredentials(t, h)
	u := h.unrooted(t)
	const key = "wrongcreds/x"
	wantCode(t, h, "WriteAll", b.WriteAll(ctxFor(t), key, []byte("x"), nil), gcerrors.PermissionDenied)
	if exists(t, u, h.Prefix+key) {
		t.Errorf("an object was written with the wrong credentials")
	}
}
