package batchdelete_test

import (
	"cmp"
	"context"
	"encoding/xml"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/byobkit/byob/internal/batchdelete"
	"github.com/byobkit/byob/provider"
	"gocloud.dev/gcerrors"
)

// gcsUpload is one multipart upload the recorded XML API holds.
type gcsUpload struct {
	key, id   string
	initiated string // as the listing says it; "" leaves the element out
}

// gcsXMLServer answers GCS's XML API multipart requests in the shapes its
// documentation gives (get-bucket-uploads, delete-multipart): no local
// server implements them (fake-gcs-server v1.56.1 does not). GET
// /BUCKET?uploads honours prefix, key-marker and upload-id-marker and
// pages pageSize uploads at a time (GCS: 1000), in name order; DELETE
// /BUCKET/OBJECT?uploadId= removes the upload (204) or answers 404
// NoSuchUpload. answer, if set, may answer a request itself.
type gcsXMLServer struct {
	bucket       string
	pageSize     int
	ignorePrefix bool // a store that lists the whole bucket whatever prefix says
	answer       func(r *http.Request) (status int, body string, ok bool)

	mu       sync.Mutex
	uploads  []gcsUpload
	requests []*http.Request
}

func (s *gcsXMLServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = append(s.requests, r)
	if s.answer != nil {
		if status, body, ok := s.answer(r); ok {
			w.WriteHeader(status)
			w.Write([]byte(body))
			return
		}
	}
	q := r.URL.Query()
	switch {
	case r.Method == http.MethodGet && r.URL.Path == "/"+s.bucket && q.Has("uploads"):
		w.Header().Set("Content-Type", "application/xml; charset=UTF-8")
		w.Write([]byte(s.list(q)))
	case r.Method == http.MethodDelete && strings.HasPrefix(r.URL.Path, "/"+s.bucket+"/") && q.Has("uploadId"):
		key := strings.TrimPrefix(r.URL.Path, "/"+s.bucket+"/")
		i := slices.IndexFunc(s.uploads, func(u gcsUpload) bool { return u.key == key && u.id == q.Get("uploadId") })
		if i < 0 {
			w.WriteHeader(http.StatusNotFound)
			w.Write([]byte(gcsXMLError("NoSuchUpload", "The requested upload was not found.")))
			return
		}
		s.uploads = slices.Delete(s.uploads, i, i+1)
		w.WriteHeader(http.StatusNoContent)
	default:
		w.WriteHeader(http.StatusBadRequest)
		w.Write([]byte(gcsXMLError("InvalidArgument", "unexpected request")))
	}
}

// list is one page of ListMultipartUploadsResult.
func (s *gcsXMLServer) list(q url.Values) string {
	slices.SortFunc(s.uploads, func(a, b gcsUpload) int { return cmp.Or(strings.Compare(a.key, b.key), strings.Compare(a.id, b.id)) })
	prefix, km, im := q.Get("prefix"), q.Get("key-marker"), q.Get("upload-id-marker")
	var page []gcsUpload
	truncated := false
	for _, u := range s.uploads {
		if !s.ignorePrefix && !strings.HasPrefix(u.key, prefix) || km != "" && (u.key < km || u.key == km && u.id <= im) {
			continue
		}
		if len(page) == s.pageSize {
			truncated = true
			break
		}
		page = append(page, u)
	}
	var b strings.Builder
	b.WriteString(`<?xml version='1.0' encoding='UTF-8'?><ListMultipartUploadsResult xmlns='http://s3.amazonaws.com/doc/2006-03-01/'>`)
	b.WriteString("<Bucket>" + s.bucket + "</Bucket><KeyMarker>" + esc(km) + "</KeyMarker><UploadIdMarker>" + esc(im) + "</UploadIdMarker>")
	if truncated {
		last := page[len(page)-1]
		b.WriteString("<NextKeyMarker>" + esc(last.key) + "</NextKeyMarker><NextUploadIdMarker>" + esc(last.id) + "</NextUploadIdMarker>")
	}
	b.WriteString("<Prefix>" + esc(prefix) + "</Prefix><MaxUploads>" + strconv.Itoa(s.pageSize) + "</MaxUploads><IsTruncated>" + strconv.FormatBool(truncated) + "</IsTruncated>")
	for _, u := range page {
		b.WriteString("<Upload><Key>" + esc(u.key) + "</Key><UploadId>" + esc(u.id) + "</UploadId><StorageClass>STANDARD</StorageClass>")
		if u.initiated != "" {
			b.WriteString("<Initiated>" + u.initiated + "</Initiated>")
		}
		b.WriteString("</Upload>")
	}
	b.WriteString("</ListMultipartUploadsResult>")
	return b.String()
}

func esc(s string) string {
	var b strings.Builder
	xml.EscapeText(&b, []byte(s))
	return b.String()
}

// gcsXMLError is an XML API error answer.
func gcsXMLError(code, msg string) string {
	return `<?xml version='1.0' encoding='UTF-8'?><Error><Code>` + code + `</Code><Message>` + msg + `</Message></Error>`
}

// left returns the keys of the uploads still in progress, with their ids.
func (s *gcsXMLServer) left() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, u := range s.uploads {
		out = append(out, u.key+"#"+u.id)
	}
	slices.Sort(out)
	return out
}

// sent returns each request as "METHOD path?query", in order.
func (s *gcsXMLServer) sent() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, r := range s.requests {
		out = append(out, r.Method+" "+r.URL.RequestURI())
	}
	return out
}

// startGCSXML starts srv and opens its bucket, rooted at "pre", as a GCS
// emulator's address (plain HTTP, no credentials).
func startGCSXML(t *testing.T, srv *gcsXMLServer) *provider.Handle {
	t.Helper()
	if srv.bucket == "" {
		srv.bucket = "b-uploads"
	}
	if srv.pageSize == 0 {
		srv.pageSize = 1000
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	return mustOpen(t, mustParse(t, "gs://"+srv.bucket+"/pre?endpoint="+url.QueryEscape(ts.URL)))
}

// TestAbortStaleUploadsGCS lists and aborts XML API multipart uploads on a
// server that answers as GCS documents, and checks what was aborted, what
// is left, and every request sent.
func TestAbortStaleUploadsGCS(t *testing.T) {
	const (
		old    = "2020-01-01T00:00:00.000Z"
		cutoff = "2026-01-01T00:00:00Z"
		young  = "2026-06-01T00:00:00.000Z"
	)
	list := "GET /b-uploads?uploads&prefix=pre%2F"
	isList := func(r *http.Request) bool { return r.Method == http.MethodGet }
	onKey := func(key string, status int, body string) func(r *http.Request) (int, string, bool) {
		return func(r *http.Request) (int, string, bool) {
			return status, body, r.Method == http.MethodDelete && r.URL.Path == "/b-uploads/"+key
		}
	}
	for _, tc := range []struct {
		name         string
		uploads      []gcsUpload
		pageSize     int
		ignorePrefix bool
		answer       func(r *http.Request) (int, string, bool)
		want         map[string]batchdelete.Status // key#id → status
		wantCode     map[string]gcerrors.ErrorCode // key#id → code of a Failed upload's error
		wantErr      gcerrors.ErrorCode
		wantLeft     []string
		wantSent     []string
	}{
		{
			name: "a stale upload under the prefix is aborted; one at or after the cutoff, or with no start, is kept",
			uploads: []gcsUpload{
				{"pre/a", "u1", old}, {"pre/b", "u2", "2026-01-01T00:00:00.000Z"}, {"pre/c", "u3", young}, {"pre/d", "u4", ""},
				{"pre/e", "u5", "yesterday"},
			},
			want:     map[string]batchdelete.Status{"a#u1": batchdelete.Deleted},
			wantLeft: []string{"pre/b#u2", "pre/c#u3", "pre/d#u4", "pre/e#u5"},
			wantSent: []string{list, "DELETE /b-uploads/pre/a?uploadId=u1"},
		},
		{
			name:         "uploads a server lists outside the prefix, or of the prefix itself, are never aborted",
			ignorePrefix: true,
			uploads:      []gcsUpload{{"other/x", "u1", old}, {"pre", "u2", old}, {"pre/", "u3", old}, {"prefix-not-under/y", "u4", old}, {"pre/z", "u5", old}},
			want:         map[string]batchdelete.Status{"z#u5": batchdelete.Deleted},
			wantLeft:     []string{"other/x#u1", "pre#u2", "pre/#u3", "prefix-not-under/y#u4"},
			wantSent:     []string{list, "DELETE /b-uploads/pre/z?uploadId=u5"},
		},
		{
			name:     "every page is read, and two uploads of one name are told apart by their ids",
			pageSize: 2,
			uploads:  []gcsUpload{{"pre/a", "u1", old}, {"pre/a", "u2", old}, {"pre/b", "u3", old}, {"pre/c", "u4", old}, {"pre/d", "u5", old}},
			want: map[string]batchdelete.Status{"a#u1": batchdelete.Deleted, "a#u2": batchdelete.Deleted, "b#u3": batchdelete.Deleted,
				"c#u4": batchdelete.Deleted, "d#u5": batchdelete.Deleted},
			wantSent: []string{list, list + "&key-marker=pre%2Fa&upload-id-marker=u2", list + "&key-marker=pre%2Fc&upload-id-marker=u4",
				"DELETE /b-uploads/pre/a?uploadId=u1", "DELETE /b-uploads/pre/a?uploadId=u2", "DELETE /b-uploads/pre/b?uploadId=u3",
				"DELETE /b-uploads/pre/c?uploadId=u4", "DELETE /b-uploads/pre/d?uploadId=u5"},
		},
		{
			name:    "a name the path must escape is aborted under its own name",
			uploads: []gcsUpload{{"pre/a b#?%+é&=;", "u1", old}},
			want:    map[string]batchdelete.Status{"a b#?%+é&=;#u1": batchdelete.Deleted},
			wantSent: []string{list,
				"DELETE /b-uploads/pre/a%20b%23%3F%25+%C3%A9&=%3B?uploadId=u1"},
		},
		{
			name:    "an upload gone meanwhile (404 NoSuchUpload) is already gone",
			uploads: []gcsUpload{{"pre/a", "u1", old}},
			answer:  onKey("pre/a", http.StatusNotFound, gcsXMLError("NoSuchUpload", "The requested upload was not found.")),
			want:    map[string]batchdelete.Status{"a#u1": batchdelete.Gone},
			// The answer stood in for the server: the upload is still in
			// its list, which is what a race would look like from here.
			wantLeft: []string{"pre/a#u1"},
			wantSent: []string{list, "DELETE /b-uploads/pre/a?uploadId=u1"},
		},
		{
			name:     "a 404 that is not NoSuchUpload (the bucket is gone) is a failure, not gone",
			uploads:  []gcsUpload{{"pre/a", "u1", old}},
			answer:   onKey("pre/a", http.StatusNotFound, gcsXMLError("NoSuchBucket", "The specified bucket does not exist.")),
			want:     map[string]batchdelete.Status{"a#u1": batchdelete.Failed},
			wantCode: map[string]gcerrors.ErrorCode{"a#u1": gcerrors.NotFound},
			wantLeft: []string{"pre/a#u1"},
			wantSent: []string{list, "DELETE /b-uploads/pre/a?uploadId=u1"},
		},
		{
			name:     "a refused abort is PermissionDenied, never gone, and the next upload is still aborted",
			uploads:  []gcsUpload{{"pre/a", "u1", old}, {"pre/b", "u2", old}},
			answer:   onKey("pre/a", http.StatusForbidden, gcsXMLError("AccessDenied", "sa@p.iam.gserviceaccount.com does not have storage.multipartUploads.abort access.")),
			want:     map[string]batchdelete.Status{"a#u1": batchdelete.Failed, "b#u2": batchdelete.Deleted},
			wantCode: map[string]gcerrors.ErrorCode{"a#u1": gcerrors.PermissionDenied},
			wantLeft: []string{"pre/a#u1"},
			wantSent: []string{list, "DELETE /b-uploads/pre/a?uploadId=u1", "DELETE /b-uploads/pre/b?uploadId=u2"},
		},
		{
			name:     "a throttled abort is Failed as ResourceExhausted",
			uploads:  []gcsUpload{{"pre/a", "u1", old}},
			answer:   onKey("pre/a", http.StatusTooManyRequests, gcsXMLError("SlowDown", "slow down")),
			want:     map[string]batchdelete.Status{"a#u1": batchdelete.Failed},
			wantCode: map[string]gcerrors.ErrorCode{"a#u1": gcerrors.ResourceExhausted},
			wantLeft: []string{"pre/a#u1"},
			wantSent: []string{list, "DELETE /b-uploads/pre/a?uploadId=u1"},
		},
		{
			name:    "a refused listing is an error, and nothing is aborted",
			uploads: []gcsUpload{{"pre/a", "u1", old}},
			answer: func(r *http.Request) (int, string, bool) {
				return http.StatusForbidden, gcsXMLError("AccessDenied", "no storage.multipartUploads.list"), isList(r)
			},
			wantErr:  gcerrors.PermissionDenied,
			wantLeft: []string{"pre/a#u1"},
			wantSent: []string{list},
		},
		{
			name:    "an answer that is not an upload listing (an object listing) is an error, and nothing is aborted",
			uploads: []gcsUpload{{"pre/a", "u1", old}},
			answer: func(r *http.Request) (int, string, bool) {
				return http.StatusOK, `<?xml version='1.0' encoding='UTF-8'?><ListBucketResult><Contents><Key>pre/a</Key></Contents></ListBucketResult>`, isList(r)
			},
			wantErr:  gcerrors.Internal,
			wantLeft: []string{"pre/a#u1"},
			wantSent: []string{list},
		},
		{
			name:    "a listing that says it goes on without a marker is an error, not a loop",
			uploads: []gcsUpload{{"pre/a", "u1", old}},
			answer: func(r *http.Request) (int, string, bool) {
				return http.StatusOK, `<ListMultipartUploadsResult><IsTruncated>true</IsTruncated><Upload><Key>pre/a</Key><UploadId>u1</UploadId><Initiated>` + old +
					`</Initiated></Upload></ListMultipartUploadsResult>`, isList(r)
			},
			wantErr:  gcerrors.Internal,
			wantLeft: []string{"pre/a#u1"},
			wantSent: []string{list},
		},
		{
			name:    "a listing that pages without moving on is an error, not a loop",
			uploads: []gcsUpload{{"pre/a", "u1", old}},
			answer: func(r *http.Request) (int, string, bool) {
				return http.StatusOK, `<ListMultipartUploadsResult><IsTruncated>true</IsTruncated><NextKeyMarker>pre/a</NextKeyMarker>` +
					`<NextUploadIdMarker>u1</NextUploadIdMarker></ListMultipartUploadsResult>`, isList(r)
			},
			wantErr:  gcerrors.Internal,
			wantLeft: []string{"pre/a#u1"},
			wantSent: []string{list, list + "&key-marker=pre%2Fa&upload-id-marker=u1"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := &gcsXMLServer{pageSize: tc.pageSize, ignorePrefix: tc.ignorePrefix, answer: tc.answer, uploads: slices.Clone(tc.uploads)}
			h := startGCSXML(t, srv)
			before, _ := time.Parse(time.RFC3339, cutoff)
			ups, err := mustNew(t, h, batchdelete.Options{}).AbortStaleUploads(t.Context(), before)
			if got := provider.Code(err); got != tc.wantErr {
				t.Fatalf("err %v (%v), want %v", err, got, tc.wantErr)
			}
			got := map[string]batchdelete.Status{}
			for _, u := range ups {
				if tc.wantErr != gcerrors.OK {
					// A listing error returns the uploads found until
					// then, none of them aborted.
					if u.Status != batchdelete.NotSent {
						t.Errorf("%s#%s is %v after a listing error, want not sent", u.Key, u.UploadID, u.Status)
					}
					continue
				}
				id := u.Key + "#" + u.UploadID
				got[id] = u.Status
				if want := tc.wantCode[id]; provider.Code(u.Err) != want {
					t.Errorf("%s: err %v, want %v", id, u.Err, want)
				}
				if u.Initiated.IsZero() {
					t.Errorf("%s: no Initiated time", id)
				}
			}
			if tc.want == nil {
				tc.want = map[string]batchdelete.Status{}
			}
			if !mapsEqual(got, tc.want) {
				t.Errorf("outcomes %v, want %v", got, tc.want)
			}
			if left := srv.left(); !slices.Equal(left, tc.wantLeft) {
				t.Errorf("uploads left %q, want %q", left, tc.wantLeft)
			}
			if sent := srv.sent(); !slices.Equal(sent, tc.wantSent) {
				t.Errorf("requests sent:\n%s\nwant:\n%s", strings.Join(sent, "\n"), strings.Join(tc.wantSent, "\n"))
			}
			for _, r := range srv.requests {
				if a := r.Header.Get("Authorization"); a != "" {
					t.Errorf("%s %s carries Authorization to an emulator that takes no credentials", r.Method, r.URL)
				}
			}
		})
	}
}

func mapsEqual[K comparable, V comparable](a, b map[K]V) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// TestAbortStaleUploadsGCSCanceled: a context that ends during an abort
// leaves that upload Failed as Canceled (the service may or may not have
// aborted it) and the uploads not yet sent NotSent, with the context's
// error.
func TestAbortStaleUploadsGCSCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	srv := &gcsXMLServer{uploads: []gcsUpload{{"pre/a", "u1", "2020-01-01T00:00:00Z"}, {"pre/b", "u2", "2020-01-01T00:00:00Z"}}}
	srv.answer = func(r *http.Request) (int, string, bool) {
		if r.Method == http.MethodDelete {
			cancel()
			<-r.Context().Done() // the client gave up on the request
		}
		return 0, "", false
	}
	h := startGCSXML(t, srv)
	ups, err := mustNew(t, h, batchdelete.Options{}).AbortStaleUploads(ctx, time.Now())
	if err != context.Canceled {
		t.Fatalf("err %v, want context.Canceled", err)
	}
	if len(ups) != 2 || ups[0].Status != batchdelete.Failed || provider.Code(ups[0].Err) != gcerrors.Canceled ||
		ups[1].Status != batchdelete.NotSent || ups[1].Err != context.Canceled {
		t.Errorf("uploads %+v, want the first Failed as Canceled and the second NotSent", ups)
	}
	if sent := srv.sent(); len(sent) != 2 {
		t.Errorf("requests %q, want the listing and one abort", sent)
	}
}

// TestAbortStaleUploadsFakeGCSServer: fake-gcs-server does not implement
// the XML API's upload listing. Its answer is not a listing, so the call
// is an error and nothing is aborted; the recorded answers above stand in
// for GCS.
func TestAbortStaleUploadsFakeGCSServer(t *testing.T) {
	a, _ := gcsAddress(t, "pre")
	ups, err := mustNew(t, mustOpen(t, a), batchdelete.Options{}).AbortStaleUploads(t.Context(), time.Now())
	if err == nil || ups != nil {
		t.Fatalf("= %+v, %v; want an error: the emulator cannot list uploads", ups, err)
	}
	t.Logf("fake-gcs-server: %v", err)
}

// TestListStaleUploadsGCSUnderPrefix lists under a prefix inside the
// handle's (a collector's data prefix) without aborting anything, then
// aborts what it listed: the two steps a dry run and a journal need.
func TestListStaleUploadsGCSUnderPrefix(t *testing.T) {
	const old = "2020-01-01T00:00:00Z"
	srv := &gcsXMLServer{ignorePrefix: true, uploads: []gcsUpload{
		{"pre/wandb_artifacts/1/a", "u1", old}, {"pre/other/b", "u2", old}, {"pre/wandb_artifacts/1/c", "u3", "2999-01-01T00:00:00Z"},
		{"pre/wandb_artifactsX", "u4", old},
	}}
	d := mustNew(t, startGCSXML(t, srv), batchdelete.Options{})
	ups, err := d.ListStaleUploads(t.Context(), "wandb_artifacts/", time.Now())
	if err != nil {
		t.Fatalf("ListStaleUploads: %v", err)
	}
	if len(ups) != 1 || ups[0].Key != "wandb_artifacts/1/a" || ups[0].UploadID != "u1" || ups[0].Status != batchdelete.NotSent {
		t.Fatalf("listed %+v, want the one stale upload under the prefix, not sent", ups)
	}
	want := []string{"GET /b-uploads?uploads&prefix=pre%2Fwandb_artifacts%2F"}
	if sent := srv.sent(); !slices.Equal(sent, want) {
		t.Fatalf("requests %q, want only the listing %q", sent, want)
	}
	if err := d.AbortUploads(t.Context(), ups); err != nil || ups[0].Status != batchdelete.Deleted {
		t.Fatalf("AbortUploads: %v, %+v", err, ups)
	}
	if left := srv.left(); !slices.Equal(left, []string{"pre/other/b#u2", "pre/wandb_artifacts/1/c#u3", "pre/wandb_artifactsX#u4"}) {
		t.Errorf("uploads left %q", left)
	}
}
