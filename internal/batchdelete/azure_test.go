package batchdelete_test

import (
	"bytes"
	"context"
	"net/http"
	"regexp"
	"strconv"
	"testing"

	"github.com/byobkit/byob/internal/batchdelete"
	"github.com/byobkit/byob/provider"
	"gocloud.dev/gcerrors"
)

// isSubmitBatch selects Azure Blob Batch requests.
func isSubmitBatch(r *http.Request) bool {
	return r.Method == http.MethodPost && r.URL.Query().Get("comp") == "batch"
}

// TestAzureBatchAzurite deletes real blobs on Azurite (3.37.0 implements
// Blob Batch) and counts the batch requests.
func TestAzureBatchAzurite(t *testing.T) {
	for _, tc := range []struct {
		name         string
		existing     int
		missing      int
		wantRequests int
	}{
		{"520 blobs take 3 batches of at most 256", 520, 0, 3},
		{"256 keys fit one batch", 0, 256, 1},
		{"a blob that does not exist is already gone (404 BlobNotFound)", 0, 2, 1},
		{"existing and missing blobs share a batch", 2, 2, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := azureAddress(t, "team/a")
			rec := &faults{match: isSubmitBatch}
			h := mustOpen(t, a, provider.WithHTTPClient(rec.client()))
			keys := keysN("k", tc.existing+tc.missing)
			put(t, h, keys[:tc.existing])
			res, err := mustNew(t, h, batchdelete.Options{}).Delete(t.Context(), keys)
			if err != nil {
				t.Fatalf("Delete: %v", err)
			}
			for i, r := range res {
				w := want{batchdelete.Deleted, gcerrors.OK, 1}
				if i >= tc.existing {
					w.status = batchdelete.Gone
				}
				checkResult(t, r, w)
			}
			if got := rec.count(); got != tc.wantRequests {
				t.Errorf("batch requests = %d, want %d", got, tc.wantRequests)
			}
			for i, body := range rec.allBodies() {
				if n := bytes.Count(body, []byte("DELETE ")); n > 256 {
					t.Errorf("batch %d has %d subrequests, more than 256", i, n)
				}
				if bytes.Contains(body, []byte("versionid=")) || bytes.Contains(body, []byte("snapshot=")) {
					t.Errorf("batch %d names a version or snapshot: %.300s", i, body)
				}
			}
			if left := listAll(t, h); len(left) != 0 {
				t.Errorf("%d blobs left, first %q", len(left), left[0])
			}
		})
	}
}

// subStatus rewrites the status line of subresponse id in a Blob Batch
// answer, and adds headers after it.
func subStatus(body []byte, id int, status string, headers string) []byte {
	re := regexp.MustCompile(`(Content-ID: ` + strconv.Itoa(id) + `\r?\n\r?\n)HTTP/1\.1 [^\r\n]*`)
	return re.ReplaceAll(body, []byte("${1}HTTP/1.1 "+status+"\r\n"+headers))
}

// TestAzureFaults rewrites the subresponses of real Azurite answers: each
// subrequest's status is read on its own. Faults hit k1.
func TestAzureFaults(t *testing.T) {
	deleted := func(n int) want { return want{batchdelete.Deleted, gcerrors.OK, n} }
	for _, tc := range []struct {
		name         string
		answer       func(n int, r *http.Request, body []byte) *http.Response
		rewrite      func(n int, r *http.Request, body []byte) []byte
		want         [3]want
		wantRequests int
	}{
		{
			name: "a 403 subresponse is Failed PermissionDenied, never gone, never retried",
			rewrite: func(_ int, _ *http.Request, b []byte) []byte {
				return subStatus(b, 1, "403 This request is not authorized to perform this operation using this permission.",
					"x-ms-error-code: AuthorizationPermissionMismatch")
			},
			want:         [3]want{deleted(1), {batchdelete.Failed, gcerrors.PermissionDenied, 1}, deleted(1)},
			wantRequests: 1,
		},
		{
			name: "a 404 that is not BlobNotFound is not gone",
			rewrite: func(_ int, _ *http.Request, b []byte) []byte {
				return subStatus(b, 1, "404 The specified container does not exist.", "x-ms-error-code: ContainerNotFound")
			},
			want:         [3]want{deleted(1), {batchdelete.Failed, gcerrors.NotFound, 1}, deleted(1)},
			wantRequests: 1,
		},
		{
			// Azurite did delete k1: the rewritten answer hid it, so the
			// second request finds it gone.
			name: "a 503 ServerBusy subresponse sends that blob again",
			rewrite: func(n int, _ *http.Request, b []byte) []byte {
				if n > 0 {
					return b
				}
				return subStatus(b, 1, "503 The server is busy.", "x-ms-error-code: ServerBusy")
			},
			want:         [3]want{deleted(1), {batchdelete.Gone, gcerrors.OK, 2}, deleted(1)},
			wantRequests: 2,
		},
		{
			name: "a whole answer of 503 ServerBusy is retried",
			answer: firstN(2, func() *http.Response {
				return response(http.StatusServiceUnavailable, "application/xml",
					`<?xml version="1.0" encoding="utf-8"?><Error><Code>ServerBusy</Code><Message>The server is busy.</Message></Error>`,
					"x-ms-error-code", "ServerBusy")
			}),
			want:         [3]want{deleted(3), deleted(3), deleted(3)},
			wantRequests: 3,
		},
		{
			name: "a failed subresponse without Content-ID is an error, not a panic",
			rewrite: func(_ int, _ *http.Request, b []byte) []byte {
				b = subStatus(b, 1, "500 Internal", "x-ms-error-code: InternalError")
				return bytes.Replace(b, []byte("Content-ID: 1\r\n"), nil, 1)
			},
			want: [3]want{{batchdelete.Failed, gcerrors.Unknown, 1}, {batchdelete.Failed, gcerrors.Unknown, 1},
				{batchdelete.Failed, gcerrors.Unknown, 1}},
			wantRequests: 1,
		},
		{
			name: "a Content-ID out of range is an error, not a panic",
			rewrite: func(_ int, _ *http.Request, b []byte) []byte {
				return bytes.Replace(b, []byte("Content-ID: 1\r\n"), []byte("Content-ID: 7\r\n"), 1)
			},
			want: [3]want{{batchdelete.Failed, gcerrors.Unknown, 1}, {batchdelete.Failed, gcerrors.Unknown, 1},
				{batchdelete.Failed, gcerrors.Unknown, 1}},
			wantRequests: 1,
		},
		{
			name: "a subresponse answered twice leaves the missing one unknown",
			rewrite: func(_ int, _ *http.Request, b []byte) []byte {
				return bytes.Replace(b, []byte("Content-ID: 2\r\n"), []byte("Content-ID: 0\r\n"), 1)
			},
			want:         [3]want{deleted(1), deleted(1), {batchdelete.Failed, gcerrors.Unknown, 1}},
			wantRequests: 1,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := azureAddress(t, "pre")
			f := &faults{match: isSubmitBatch, answer: tc.answer, rewrite: tc.rewrite}
			h := mustOpen(t, a, provider.WithHTTPClient(f.client()))
			keys := []string{"k0", "k1", "k2"}
			put(t, h, keys)
			d := mustNew(t, h, fast)
			res, err := d.Delete(context.Background(), keys)
			if err != nil {
				t.Fatalf("Delete: %v", err)
			}
			for i, r := range res {
				checkResult(t, r, tc.want[i])
			}
			if got := f.count(); got != tc.wantRequests {
				t.Errorf("requests = %d, want %d", got, tc.wantRequests)
			}
		})
	}
}

// TestAzureKeysAreServiceNames: keys name blobs as the service stores
// them (as presigned URLs do), not as gocloud's azureblob escapes them: it
// stores a key "a%b" as "a__0x25__b". A blob uploaded natively as "a%b"
// is deleted by the key "a%b"; the blob the portable bucket wrote for "a%b"
// is another blob, and stays.
func TestAzureKeysAreServiceNames(t *testing.T) {
	a := azureAddress(t, "pre")
	h := mustOpen(t, a)
	ctx := t.Context()
	for _, name := range []string{"pre/a%b", "pre/c#d?e", "pre/dir/f g+h"} {
		if _, err := h.AzureContainer().NewBlockBlobClient(name).UploadBuffer(ctx, []byte("x"), nil); err != nil {
			t.Fatalf("upload %q: %v", name, err)
		}
	}
	put(t, h, []string{"x%y"}) // stored as pre/x__0x25__y
	res, err := mustNew(t, h, batchdelete.Options{}).Delete(ctx, []string{"a%b", "c#d?e", "dir/f g+h", "x%y"})
	if err != nil {
		t.Fatal(err)
	}
	want := []batchdelete.Status{batchdelete.Deleted, batchdelete.Deleted, batchdelete.Deleted, batchdelete.Gone}
	for i, r := range res {
		if r.Status != want[i] {
			t.Errorf("%q: %v (%v), want %v", r.Key, r.Status, r.Err, want[i])
		}
	}
	var left []string
	pager := h.AzureContainer().NewListBlobsFlatPager(nil)
	for pager.More() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, b := range page.Segment.BlobItems {
			left = append(left, *b.Name)
		}
	}
	if len(left) != 1 || left[0] != "pre/x__0x25__y" {
		t.Errorf("left %q, want only the portable bucket's escaped blob", left)
	}
}
