package undelete_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/service"
	"github.com/byobkit/byob/internal/testenv"
	"github.com/byobkit/byob/internal/testsecret"
	"github.com/byobkit/byob/internal/undelete"
	"github.com/byobkit/byob/provider"
	"gocloud.dev/gcerrors"
)

// TestAzuriteKeepsNoDeletedBlobs shows what Azurite (3.37.0) does with
// soft delete: it accepts the account's delete retention policy, but a
// deleted blob is gone at once (a listing with include=deleted,versions
// does not show it), and Undelete Blob answers 501 APINotImplemented. So
// a restore there finds nothing to bring back (Lost), and the Azure
// restores are tested on recorded answers (TestAzureRecorded).
func TestAzuriteKeepsNoDeletedBlobs(t *testing.T) {
	srv := testenv.Azurite(t)
	svc := testenv.AzuriteService(t, srv) // restores the account's properties afterwards
	ctx := context.Background()
	if _, err := svc.SetProperties(ctx, &service.SetPropertiesOptions{
		DeleteRetentionPolicy: &service.RetentionPolicy{Enabled: to.Ptr(true), Days: to.Ptr[int32](7)}}); err != nil {
		t.Fatalf("SetProperties (soft delete on): %v", err)
	}
	p, err := svc.GetProperties(ctx, nil)
	if err != nil || p.DeleteRetentionPolicy == nil || p.DeleteRetentionPolicy.Enabled == nil || !*p.DeleteRetentionPolicy.Enabled {
		t.Fatalf("Azurite did not keep the soft delete policy: %+v, %v", p.DeleteRetentionPolicy, err)
	}
	a := mustParse(t, "az://:"+url.QueryEscape(srv.Key)+"@"+srv.Account+"/"+testenv.UniqueName(t, "byob-ud")+"/p?endpoint="+url.QueryEscape(srv.Endpoint))
	h := mustOpen(t, a)
	if _, err := h.AzureContainer().Create(ctx, nil); err != nil {
		t.Fatal(err)
	}
	write(t, h, "k", []byte("hello"))
	since := time.Now()
	deleteAll(t, h, []string{"k"})

	res, err := mustNew(t, h).Restore(ctx, since, undelete.Keys("k"))
	if err != nil || res[0].Status != undelete.Lost {
		t.Errorf("Restore on Azurite: %v (%s, %v), %v; want Lost: it keeps no deleted blob", res[0].Status, res[0].Reason, res[0].Err, err)
	}
	_, err = h.AzureContainer().NewBlobClient("p/k").Undelete(ctx, nil)
	var re *azcore.ResponseError
	if !errors.As(err, &re) || re.StatusCode != http.StatusNotImplemented || re.ErrorCode != "APINotImplemented" {
		t.Errorf("Undelete Blob on Azurite: %v; want 501 APINotImplemented", err)
	}
	if got := provider.Code(provider.WrapError(a, undelete.OpRestore, err)); got != gcerrors.Unimplemented {
		t.Errorf("Azurite's 501 is classified %v, want Unimplemented", got)
	}
}

// azBlob is one <Blob> of a recorded List Blobs answer.
type azBlob struct {
	name, version string
	current       bool
	deleted       bool
	size          int64
	deletedAt     time.Time
}

func (b azBlob) xml() string {
	var s strings.Builder
	s.WriteString("<Blob><Name>" + b.name + "</Name>")
	if b.deleted {
		s.WriteString("<Deleted>true</Deleted>")
	}
	if b.version != "" {
		s.WriteString("<VersionId>" + b.version + "</VersionId>")
		if b.current {
			s.WriteString("<IsCurrentVersion>true</IsCurrentVersion>")
		}
	}
	fmt.Fprintf(&s, "<Properties><Last-Modified>Tue, 01 Dec 2026 10:00:00 GMT</Last-Modified><Etag>0x8DD0000000000001</Etag><Content-Length>%d</Content-Length><BlobType>BlockBlob</BlobType>", b.size)
	if b.deleted {
		s.WriteString("<DeletedTime>" + b.deletedAt.UTC().Format(http.TimeFormat) + "</DeletedTime><RemainingRetentionDays>6</RemainingRetentionDays>")
	}
	s.WriteString("</Properties></Blob>")
	return s.String()
}

// azAnswer scripts a recorded Azure container.
type azAnswer struct {
	blobs      []azBlob
	listStatus int               // nonzero: the listing gets this error
	copyStatus int               // Copy Blob's status; 0: 202
	copyState  string            // x-ms-copy-status of Copy Blob; "": success
	undelete   int               // Undelete Blob's status; 0: 200
	echo       func(auth string) // if set, a refusal quotes the request's Authorization and the account key, and echo sees it
}

func azError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/xml")
	w.Header().Set("x-ms-error-code", code)
	w.WriteHeader(status)
	io.WriteString(w, `<?xml version="1.0" encoding="utf-8"?><Error><Code>`+code+`</Code><Message>`+msg+"\nRequestId:00000000-0000-0000-0000-000000000000\nTime:2026-12-01T11:00:00.0000000Z</Message></Error>")
}

// recordedAzure serves a's answers as Blob Storage does (status codes and
// bodies from the REST reference: List Blobs, Undelete Blob, Copy Blob,
// Get Blob Properties), and records each request as method, path, query
// and the copy headers.
func recordedAzure(t *testing.T, a azAnswer) (*provider.Handle, func() []string) {
	t.Helper()
	var mu sync.Mutex
	var reqs []string
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		q := r.URL.Query()
		mu.Lock()
		reqs = append(reqs, fmt.Sprintf("%s %s?%s copy-source=%s if-none-match=%s", r.Method, r.URL.EscapedPath(), r.URL.RawQuery,
			r.Header.Get("x-ms-copy-source"), r.Header.Get("If-None-Match")))
		mu.Unlock()
		w.Header().Set("x-ms-version", "2025-01-05")
		w.Header().Set("x-ms-request-id", "00000000-0000-0000-0000-000000000000")
		switch {
		case r.Method == http.MethodGet && q.Get("comp") == "list":
			if a.listStatus != 0 {
				msg := "This request is not authorized to perform this operation using this permission."
				if a.echo != nil {
					a.echo(r.Header.Get("Authorization"))
					msg += " Authorization: " + r.Header.Get("Authorization") + " key " + azKey
				}
				azError(w, a.listStatus, "AuthorizationPermissionMismatch", msg)
				return
			}
			var body strings.Builder
			body.WriteString(`<?xml version="1.0" encoding="utf-8"?><EnumerationResults ServiceEndpoint="http://acct.blob.core.windows.net/" ContainerName="c"><Prefix>` + q.Get("prefix") + `</Prefix><Blobs>`)
			for _, b := range a.blobs {
				body.WriteString(b.xml())
			}
			body.WriteString(`</Blobs><NextMarker /></EnumerationResults>`)
			w.Header().Set("Content-Type", "application/xml")
			io.WriteString(w, body.String())
		case r.Method == http.MethodPut && q.Get("comp") == "undelete":
			if a.undelete != 0 {
				azError(w, a.undelete, "AuthorizationPermissionMismatch", "This request is not authorized to perform this operation using this permission.")
				return
			}
			w.WriteHeader(http.StatusOK)
		case r.Method == http.MethodPut && r.Header.Get("x-ms-copy-source") != "":
			switch a.copyStatus {
			case http.StatusConflict:
				azError(w, a.copyStatus, "BlobAlreadyExists", "The specified blob already exists.")
				return
			case http.StatusPreconditionFailed:
				azError(w, a.copyStatus, "ConditionNotMet", "The condition specified using HTTP conditional header(s) is not met.")
				return
			}
			state := a.copyState
			if state == "" {
				state = "success"
			}
			w.Header().Set("ETag", `"0x8DD0000000000002"`)
			w.Header().Set("Last-Modified", "Tue, 01 Dec 2026 11:02:00 GMT")
			w.Header().Set("x-ms-copy-id", "c0000000-0000-0000-0000-000000000001")
			w.Header().Set("x-ms-copy-status", state)
			w.WriteHeader(http.StatusAccepted)
		case r.Method == http.MethodHead:
			// Get Blob Properties while a copy is pending: it has ended.
			w.Header().Set("x-ms-copy-status", "success")
			w.Header().Set("Content-Length", "5")
			w.WriteHeader(http.StatusOK)
		default:
			azError(w, http.StatusNotImplemented, "NotRecorded", "not recorded: "+r.Method+" "+r.URL.String())
		}
	}))
	t.Cleanup(s.Close)
	h := mustOpen(t, mustParse(t, "az://:"+url.QueryEscape(azKey)+"@acct/ctr/p?endpoint="+url.QueryEscape(s.URL)))
	return h, func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), reqs...)
	}
}

// azKey is the account key of the recorded Azure account.
const azKey = "c2VjcmV0LWFjY291bnQta2V5LWZvci10ZXN0cw=="

// TestAzureRefusalHidesWhatTheServerEchoes: a refusal whose answer quotes
// the request's SharedKey signature and the account key is Failed
// PermissionDenied, and no 8-byte window of either is in the Result under
// any printer or in its error chain.
func TestAzureRefusalHidesWhatTheServerEchoes(t *testing.T) {
	var seen []string
	h, _ := recordedAzure(t, azAnswer{listStatus: http.StatusForbidden, echo: func(auth string) {
		if _, sig, ok := strings.Cut(auth, ":"); ok {
			seen = append(seen, sig)
		}
	}})
	res, err := mustNew(t, h).Restore(context.Background(), time.Time{}, undelete.Keys("k"))
	if err != nil || res[0].Status != undelete.Failed || provider.Code(res[0].Err) != gcerrors.PermissionDenied {
		t.Fatalf("Restore: %+v, %v; want Failed PermissionDenied", res[0], err)
	}
	if len(seen) == 0 {
		t.Fatal("no signed request was refused: the test proves nothing")
	}
	js, _ := json.Marshal(res)
	out := []string{fmt.Sprintf("%v %+v %#v %s %q", res, res, res, res[0].Err, res[0].Err), string(js)}
	for _, c := range testsecret.Chain(res[0].Err) {
		out = append(out, fmt.Sprintf("%v %#v", c, c))
	}
	if w := testsecret.NewSet(testsecret.Spellings(append(seen, azKey)...)...).Find(strings.Join(out, "\n")); w != "" {
		t.Errorf("the result holds a secret window %q", w)
	}
}

// TestAzureRecorded restores against recorded Blob Storage answers: the
// soft delete and blob versioning paths Azurite does not implement, and
// refusals.
func TestAzureRecorded(t *testing.T) {
	since := time.Date(2026, 12, 1, 11, 0, 0, 0, time.UTC)
	after, before := since.Add(time.Minute), since.Add(-time.Hour)
	const v1, v2 = "2026-11-30T09:00:00.0000001Z", "2026-12-01T10:00:00.1234567Z"
	for _, tc := range []struct {
		name    string
		answer  azAnswer
		size    int64
		want    undelete.Status
		code    gcerrors.ErrorCode
		version string
		request []string // parts of requests that must have been sent
		never   string   // a part no request may have
	}{
		{name: "a soft-deleted blob is undeleted",
			answer: azAnswer{blobs: []azBlob{{name: "p/k", deleted: true, size: 5, deletedAt: after}}},
			size:   5, want: undelete.Restored, version: "soft-deleted", request: []string{"PUT /acct/ctr/p%2Fk?comp=undelete"}},
		{name: "a live blob is Present, nothing is written",
			answer: azAnswer{blobs: []azBlob{{name: "p/k", size: 5}, {name: "p/k", deleted: true, size: 5, deletedAt: after}}},
			size:   -1, want: undelete.Present, never: "PUT"},
		{name: "a blob deleted before the run started is not the run's",
			answer: azAnswer{blobs: []azBlob{{name: "p/k", deleted: true, size: 5, deletedAt: before}}},
			size:   -1, want: undelete.Lost, never: "PUT"},
		{name: "a soft-deleted blob of another size is not the one deleted",
			answer: azAnswer{blobs: []azBlob{{name: "p/k", deleted: true, size: 9, deletedAt: after}}},
			size:   5, want: undelete.Lost, never: "PUT"},
		{name: "only longer names are listed: Lost",
			answer: azAnswer{blobs: []azBlob{{name: "p/k2", deleted: true, size: 5, deletedAt: after}}},
			size:   -1, want: undelete.Lost, never: "PUT"},
		{name: "with versioning the newest previous version is copied back, only if no blob exists",
			answer: azAnswer{blobs: []azBlob{{name: "p/k", version: v1, size: 3}, {name: "p/k", version: v2, size: 5}}},
			size:   5, want: undelete.Restored, version: v2,
			request: []string{"copy-source=http://", "/acct/ctr/p/k?versionid=" + v2, "if-none-match=*"}, never: "comp=undelete"},
		{name: "a current version is Present",
			answer: azAnswer{blobs: []azBlob{{name: "p/k", version: v1, size: 3}, {name: "p/k", version: v2, current: true, size: 5}}},
			size:   -1, want: undelete.Present, never: "PUT"},
		{name: "a deleted version is not brought back by an undelete of the base blob",
			answer: azAnswer{blobs: []azBlob{{name: "p/k", version: v2, deleted: true, size: 5, deletedAt: after}}},
			size:   -1, want: undelete.Lost, never: "PUT"},
		{name: "a blob uploaded before the copy back (409 BlobAlreadyExists) is Present",
			answer: azAnswer{blobs: []azBlob{{name: "p/k", version: v2, size: 5}}, copyStatus: http.StatusConflict},
			size:   -1, want: undelete.Present},
		{name: "a blob uploaded before the copy back (412 ConditionNotMet) is Present",
			answer: azAnswer{blobs: []azBlob{{name: "p/k", version: v2, size: 5}}, copyStatus: http.StatusPreconditionFailed},
			size:   -1, want: undelete.Present},
		{name: "a pending copy is waited for",
			answer: azAnswer{blobs: []azBlob{{name: "p/k", version: v2, size: 5}}, copyState: "pending"},
			size:   -1, want: undelete.Restored, version: v2, request: []string{"HEAD /acct/ctr/p%2Fk"}},
		{name: "a refused listing (403) is Failed PermissionDenied, never Lost",
			answer: azAnswer{listStatus: http.StatusForbidden},
			size:   -1, want: undelete.Failed, code: gcerrors.PermissionDenied, never: "PUT"},
		{name: "a refused undelete (403) is Failed PermissionDenied",
			answer: azAnswer{blobs: []azBlob{{name: "p/k", deleted: true, size: 5, deletedAt: after}}, undelete: http.StatusForbidden},
			size:   -1, want: undelete.Failed, code: gcerrors.PermissionDenied},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, reqs := recordedAzure(t, tc.answer)
			res, err := mustNew(t, h).Restore(context.Background(), since, []undelete.Object{{Key: "k", Size: tc.size}})
			if err != nil {
				t.Fatal(err)
			}
			r := res[0]
			if r.Status != tc.want || provider.Code(r.Err) != tc.code || r.Version != tc.version {
				t.Errorf("Restore: %v version %q (%s, %v), want %v version %q code %v", r.Status, r.Version, r.Reason, r.Err, tc.want, tc.version, tc.code)
			}
			all := strings.Join(reqs(), "\n")
			for _, part := range tc.request {
				if !strings.Contains(all, part) {
					t.Errorf("no request with %q among\n%s", part, all)
				}
			}
			if tc.never != "" && strings.Contains(all, tc.never) {
				t.Errorf("a request with %q was sent:\n%s", tc.never, all)
			}
		})
	}
}
