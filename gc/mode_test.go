package gc

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/bloberror"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/container"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/service"
	"github.com/byobkit/byob/internal/testenv"
	"github.com/byobkit/byob/provider"
	"github.com/fsouza/fake-gcs-server/fakestorage"
)

// TestDetectModeOnGCS reads the bucket's attributes from fake-gcs-server,
// with the soft delete policy (which the emulator does not keep) and a
// refusal given as recorded answers.
func TestDetectModeOnGCS(t *testing.T) {
	for _, tc := range []struct {
		name       string
		versioning bool
		answer     string // a bucket resource to answer with instead of the emulator's
		status     int
		want       Mode
		wantErr    error
	}{
		{"object versioning", true, "", 0, ModeVersions, nil},
		{"neither versioning nor soft delete", false, "", 0, ModeNone, nil},
		{"soft delete for 7 days", false, `{"kind":"storage#bucket","name":"%s","softDeletePolicy":{"retentionDurationSeconds":"604800"}}`, 200, ModeSoftDelete, nil},
		{"soft delete turned off (0 s)", false, `{"kind":"storage#bucket","name":"%s","softDeletePolicy":{"retentionDurationSeconds":"0"}}`, 200, ModeNone, nil},
		{"versioning and soft delete: versions win", false, `{"kind":"storage#bucket","name":"%s","versioning":{"enabled":true},"softDeletePolicy":{"retentionDurationSeconds":"604800"}}`, 200, ModeVersions, nil},
		{"attributes refused", false, `{"error":{"code":403,"message":"does not have storage.buckets.get access"}}`, 403, "", ErrMode},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake, _ := testenv.FakeGCS(t)
			bucket := uniqueBucket(t)
			fake.CreateBucketWithOpts(fakestorage.CreateBucketOpts{Name: bucket, VersioningEnabled: tc.versioning})
			tr := answering{func(r *http.Request) *http.Response {
				if tc.answer != "" && r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/b/"+bucket) {
					return httpAnswer(tc.status, "application/json; charset=UTF-8", strings.ReplaceAll(tc.answer, "%s", bucket))
				}
				return nil
			}}
			loc := openLocation(t, "gs://"+bucket+"/team?endpoint="+url.QueryEscape(fake.URL()), provider.WithHTTPClient(&http.Client{Transport: tr}))
			mode, why, err := detectMode(context.Background(), loc, "")
			if tc.wantErr != nil {
				wantKind(t, err, tc.wantErr)
				return
			}
			if err != nil || mode != tc.want || why == "" {
				t.Fatalf("detectMode = %q (%q), %v; want %q", mode, why, err, tc.want)
			}
		})
	}
}

func TestDetectModeTrashAndEmbedded(t *testing.T) {
	for _, tc := range []struct {
		name, url, trash string
		want             Mode
	}{
		{"mem keeps nothing", "mem://gc-mode-" + randomName(t), "", ModeNone},
		{"file keeps nothing", "file://" + t.TempDir(), "", ModeNone},
		{"a trash makes it undoable", "mem://gc-mode-" + randomName(t), "trash/", ModeTrash},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mode, _, err := detectMode(context.Background(), openLocation(t, tc.url), tc.trash)
			if err != nil || mode != tc.want {
				t.Fatalf("detectMode = %q, %v; want %q", mode, err, tc.want)
			}
		})
	}
}

// TestRunOnAzurite: with blob soft delete on, the run is undoable and
// deletes through Blob Batch; with it off, it is refused.
func TestRunOnAzurite(t *testing.T) {
	srv := testenv.Azurite(t)
	svc := testenv.AzuriteService(t, srv)
	for _, tc := range []struct {
		name       string
		softDelete bool
		want       error
	}{
		{"soft delete on: collected", true, nil},
		{"soft delete off: refused", false, ErrUnrecoverable},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rp := &service.RetentionPolicy{Enabled: to.Ptr(tc.softDelete)}
			if tc.softDelete {
				rp.Days = to.Ptr[int32](7)
			}
			if _, err := svc.SetProperties(t.Context(), &service.SetPropertiesOptions{DeleteRetentionPolicy: rp}); err != nil {
				t.Fatalf("set soft delete: %v", err)
			}
			name := uniqueBucket(t)
			cred, err := container.NewSharedKeyCredential(srv.Account, srv.Key)
			if err != nil {
				t.Fatal(err)
			}
			cc, err := container.NewClientWithSharedKeyCredential(srv.Endpoint+"/"+srv.Account+"/"+name, cred, nil)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := cc.Create(t.Context(), nil); err != nil && !bloberror.HasCode(err, bloberror.ContainerAlreadyExists) {
				t.Fatalf("create container: %v", err)
			}
			e := &runEnv{t: t, loc: openLocation(t, "az://:"+url.QueryEscape(srv.Key)+"@"+srv.Account+"/"+name+"/team?endpoint="+url.QueryEscape(srv.Endpoint)),
				server: NewMemServer(pfx), journal: &syncBuffer{}, now: time.Now().Add(DefaultMinAge + time.Hour)}
			garbage, kept := scenario(e)
			before := e.keys()
			o := e.opts()
			o.Force = false
			rep, err := Run(context.Background(), e.loc, e.server, o)
			wantKind(t, err, tc.want)
			if tc.want != nil {
				if got := e.keys(); !slices.Equal(got, before) || rep.Deleted != 0 {
					t.Fatalf("refused run changed the container: %q", got)
				}
				return
			}
			if rep.Mode != ModeSoftDelete || rep.Deleted != int64(len(garbage)) || rep.Requests != 1 {
				t.Errorf("report %+v", *rep)
			}
			if got := e.keys(); !slices.Equal(got, kept) {
				t.Errorf("container %q, want %q", got, kept)
			}
		})
	}
}
