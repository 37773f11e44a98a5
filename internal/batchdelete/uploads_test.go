package batchdelete_test

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/byobkit/byob/internal/batchdelete"
	"github.com/byobkit/byob/internal/testenv"
	"github.com/byobkit/byob/provider"
	"gocloud.dev/blob/memblob"
	"gocloud.dev/gcerrors"
)

// startUpload starts a multipart upload of the full key and returns its
// id and when versitygw says it was initiated.
func startUpload(t *testing.T, c *s3.Client, bucket, key string) (string, time.Time) {
	t.Helper()
	out, err := c.CreateMultipartUpload(t.Context(), &s3.CreateMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		t.Fatalf("CreateMultipartUpload(%s): %v", key, err)
	}
	l, err := c.ListMultipartUploads(t.Context(), &s3.ListMultipartUploadsInput{Bucket: aws.String(bucket), Prefix: aws.String(key)})
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range l.Uploads {
		if aws.ToString(u.UploadId) == aws.ToString(out.UploadId) {
			return aws.ToString(out.UploadId), aws.ToTime(u.Initiated)
		}
	}
	t.Fatalf("upload of %s not listed", key)
	return "", time.Time{}
}

// inProgress lists the ids of the uploads in progress in the bucket.
func inProgress(t *testing.T, c *s3.Client, bucket string) []string {
	t.Helper()
	l, err := c.ListMultipartUploads(t.Context(), &s3.ListMultipartUploadsInput{Bucket: aws.String(bucket)})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, u := range l.Uploads {
		ids = append(ids, aws.ToString(u.UploadId))
	}
	slices.Sort(ids)
	return ids
}

// TestAbortStaleUploadsVersitygw starts real multipart uploads on
// versitygw, inside and outside the prefix, and aborts those initiated
// before the cutoff. versitygw stamps Initiated to the second, so the
// cutoff is set relative to the stamp it reports rather than by waiting.
func TestAbortStaleUploadsVersitygw(t *testing.T) {
	for _, tc := range []struct {
		name      string
		cutoff    func(initiated time.Time) time.Time
		wantAbort bool
	}{
		{"an upload initiated before the cutoff is aborted", func(i time.Time) time.Time { return i.Add(time.Nanosecond) }, true},
		{"an upload initiated at the cutoff is kept", func(i time.Time) time.Time { return i }, false},
		{"an upload initiated after the cutoff is kept", func(i time.Time) time.Time { return i.Add(-time.Hour) }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, srv := s3Address(t, "pre")
			c := srv.Client()
			stale, initiated := startUpload(t, c, a.Bucket, "pre/wandb_artifacts/1/x")
			outside, _ := startUpload(t, c, a.Bucket, "other/y")
			beside, _ := startUpload(t, c, a.Bucket, "prefix-but-not-under/z") // shares the text "pre", not the folder
			h := mustOpen(t, a)
			d := mustNew(t, h, batchdelete.Options{})
			ups, err := d.AbortStaleUploads(t.Context(), tc.cutoff(initiated))
			if err != nil {
				t.Fatalf("AbortStaleUploads: %v", err)
			}
			want := []string{stale, outside, beside}
			if tc.wantAbort {
				if len(ups) != 1 || ups[0].Key != "wandb_artifacts/1/x" || ups[0].UploadID != stale ||
					ups[0].Status != batchdelete.Deleted || ups[0].Err != nil || !ups[0].Initiated.Equal(initiated) {
					t.Fatalf("uploads = %+v, want the one under the prefix, aborted", ups)
				}
				want = []string{outside, beside}
			} else if len(ups) != 0 {
				t.Fatalf("uploads = %+v, want none", ups)
			}
			slices.Sort(want)
			if got := inProgress(t, c, a.Bucket); !slices.Equal(got, want) {
				t.Errorf("in progress afterwards: %q, want %q", got, want)
			}
		})
	}
}

// TestAbortStaleUploadsAnswers feeds ListMultipartUploads answers in front
// of versitygw: a store that ignores Prefix, a listing that pages without
// moving on, an upload gone meanwhile, an abort refused.
func TestAbortStaleUploadsAnswers(t *testing.T) {
	const old = "2020-01-01T00:00:00.000Z"
	upload := func(key, id string) string {
		return "<Upload><Key>" + key + "</Key><UploadId>" + id + "</UploadId><Initiated>" + old + "</Initiated></Upload>"
	}
	list := func(truncated bool, next string, uploads ...string) *http.Response {
		tr := "false"
		if truncated {
			tr = "true"
		}
		return response(http.StatusOK, "application/xml", `<?xml version="1.0" encoding="UTF-8"?><ListMultipartUploadsResult><Bucket>b</Bucket>`+
			`<IsTruncated>`+tr+`</IsTruncated><NextKeyMarker>`+next+`</NextKeyMarker><NextUploadIdMarker>`+next+`</NextUploadIdMarker>`+
			strings.Join(uploads, "")+`</ListMultipartUploadsResult>`)
	}
	isList := func(r *http.Request) bool { return r.Method == http.MethodGet && r.URL.Query().Has("uploads") }
	isAbort := func(r *http.Request) bool { return r.Method == http.MethodDelete && r.URL.Query().Has("uploadId") }
	for _, tc := range []struct {
		name    string
		answer  func(n int, r *http.Request) *http.Response
		want    []batchdelete.Status
		wantErr gcerrors.ErrorCode
		aborts  []string // the keys abort requests were sent for
	}{
		{
			name: "uploads the listing returns outside the prefix are never aborted",
			answer: func(_ int, r *http.Request) *http.Response {
				if isList(r) {
					return list(false, "", upload("other/y", "u1"), upload("pre/x", "u2"), upload("pre", "u3"))
				}
				return response(http.StatusNoContent, "application/xml", "")
			},
			want:   []batchdelete.Status{batchdelete.Deleted},
			aborts: []string{"/pre/x"},
		},
		{
			name: "every page is read",
			answer: func(_ int, r *http.Request) *http.Response {
				if isList(r) {
					if r.URL.Query().Get("key-marker") == "" {
						return list(true, "pre/a", upload("pre/a", "u1"))
					}
					return list(false, "", upload("pre/b", "u2"))
				}
				return response(http.StatusNoContent, "application/xml", "")
			},
			want:   []batchdelete.Status{batchdelete.Deleted, batchdelete.Deleted},
			aborts: []string{"/pre/a", "/pre/b"},
		},
		{
			name: "a listing that pages without moving on is an error, not a loop",
			answer: func(_ int, r *http.Request) *http.Response {
				return list(true, "pre/a", upload("pre/a", "u1"))
			},
			wantErr: gcerrors.Internal,
		},
		{
			name: "an upload gone meanwhile is already gone, a refused abort Failed",
			answer: func(_ int, r *http.Request) *http.Response {
				switch {
				case isList(r):
					return list(false, "", upload("pre/a", "u1"), upload("pre/b", "u2"))
				case strings.HasSuffix(r.URL.Path, "/pre/a"):
					return s3Error(http.StatusNotFound, "NoSuchUpload", "The specified upload does not exist.")
				default:
					return s3Error(http.StatusForbidden, "AccessDenied", "Access Denied")
				}
			},
			want:   []batchdelete.Status{batchdelete.Gone, batchdelete.Failed},
			aborts: []string{"/pre/a", "/pre/b"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, _ := s3Address(t, "pre")
			var aborts []string
			f := &faults{
				match: func(r *http.Request) bool { return isList(r) || isAbort(r) },
				answer: func(n int, r *http.Request, _ []byte) *http.Response {
					if isAbort(r) {
						aborts = append(aborts, strings.TrimPrefix(r.URL.Path, "/"+a.Bucket))
					}
					return tc.answer(n, r)
				},
			}
			h := mustOpen(t, a, provider.WithHTTPClient(f.client()))
			ups, err := mustNew(t, h, batchdelete.Options{}).AbortStaleUploads(t.Context(), time.Now())
			if tc.wantErr != gcerrors.OK {
				if provider.Code(err) != tc.wantErr {
					t.Fatalf("err %v, want %v", err, tc.wantErr)
				}
			} else if err != nil {
				t.Fatalf("AbortStaleUploads: %v", err)
			}
			var got []batchdelete.Status
			for _, u := range ups {
				got = append(got, u.Status)
				if u.Status == batchdelete.Failed && provider.Code(u.Err) != gcerrors.PermissionDenied {
					t.Errorf("%s: err %v, want PermissionDenied", u.Key, u.Err)
				}
			}
			if tc.wantErr == gcerrors.OK && !slices.Equal(got, tc.want) {
				t.Errorf("statuses %v, want %v (%+v)", got, tc.want, ups)
			}
			if !slices.Equal(aborts, tc.aborts) {
				t.Errorf("aborts sent for %q, want %q", aborts, tc.aborts)
			}
		})
	}
}

// TestAbortStaleUploadsElsewhere: a GCS handle without its native client
// says plainly that it cannot list uploads; providers without multipart
// uploads have none to abort.
func TestAbortStaleUploadsElsewhere(t *testing.T) {
	t.Run("GCS without a native client is Unimplemented", func(t *testing.T) {
		h := provider.NewHandle(mustParse(t, "gs://"+testenv.UniqueName(t, "bd")+"/pre"), memblob.OpenBucket(nil))
		_, err := mustNew(t, h, batchdelete.Options{}).AbortStaleUploads(t.Context(), time.Now())
		if !errors.Is(err, batchdelete.ErrUploadsUnsupported) || provider.Code(err) != gcerrors.Unimplemented {
			t.Errorf("err %v, want Unimplemented ErrUploadsUnsupported", err)
		}
	})
	t.Run("mem has none", func(t *testing.T) {
		ups, err := mustNew(t, mustOpen(t, mustParse(t, "mem://"+testenv.UniqueName(t, "bd"))), batchdelete.Options{}).AbortStaleUploads(t.Context(), time.Now())
		if ups != nil || err != nil {
			t.Errorf("= %v, %v; want nil, nil", ups, err)
		}
	})
}

// TestListThenAbortUploadsUnderAPrefix: a collector lists the stale
// uploads under its data prefix only, without aborting them, journals
// them, then aborts them; an upload aborted twice is already gone.
func TestListThenAbortUploadsUnderAPrefix(t *testing.T) {
	a, srv := s3Address(t, "pre")
	c := srv.Client()
	data, initiated := startUpload(t, c, a.Bucket, "pre/wandb_artifacts/1/x")
	other, _ := startUpload(t, c, a.Bucket, "pre/run/files/y")
	beside, _ := startUpload(t, c, a.Bucket, "pre/wandb_artifacts_old/z") // shares the text, not the folder
	d := mustNew(t, mustOpen(t, a), batchdelete.Options{})
	ups, err := d.ListStaleUploads(t.Context(), "wandb_artifacts/", initiated.Add(time.Second))
	if err != nil {
		t.Fatalf("ListStaleUploads: %v", err)
	}
	if len(ups) != 1 || ups[0].Key != "wandb_artifacts/1/x" || ups[0].UploadID != data || ups[0].Status != batchdelete.NotSent {
		t.Fatalf("listed %+v, want the data prefix's upload, not yet aborted", ups)
	}
	all := []string{data, other, beside}
	slices.Sort(all)
	if got := inProgress(t, c, a.Bucket); !slices.Equal(got, all) {
		t.Fatalf("listing aborted something: in progress %q, want %q", got, all)
	}
	if err := d.AbortUploads(t.Context(), ups); err != nil || ups[0].Status != batchdelete.Deleted {
		t.Fatalf("AbortUploads: %v, %+v", err, ups)
	}
	want := []string{other, beside}
	slices.Sort(want)
	if got := inProgress(t, c, a.Bucket); !slices.Equal(got, want) {
		t.Errorf("in progress afterwards %q, want %q", got, want)
	}
	ups[0].Status = batchdelete.NotSent
	if err := d.AbortUploads(t.Context(), ups); err != nil || ups[0].Status != batchdelete.Gone {
		t.Errorf("aborting again: %v, %+v; want already gone", err, ups)
	}
}

func TestAbortUploadsStopsWithTheContext(t *testing.T) {
	a, _ := s3Address(t, "pre")
	d := mustNew(t, mustOpen(t, a), batchdelete.Options{})
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	ups := []batchdelete.Upload{{Key: "k", UploadID: "u"}}
	if err := d.AbortUploads(ctx, ups); !errors.Is(err, context.Canceled) || ups[0].Status != batchdelete.NotSent {
		t.Errorf("= %v, %+v; want Canceled and NotSent", err, ups)
	}
}
