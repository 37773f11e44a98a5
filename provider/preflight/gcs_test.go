package preflight

import (
	"context"
	"testing"

	"github.com/byobkit/byob/address"
	"github.com/byobkit/byob/internal/testenv"
	"github.com/fsouza/fake-gcs-server/fakestorage"
	"github.com/google/go-cmp/cmp"
)

// fake-gcs-server keeps versioning but no CORS, lifecycle or encryption
// settings: the live run covers reachability, the probe (with noncurrent
// generations to purge) and versioning; TestGCSBucketVerdicts covers the
// rest on recorded attributes.
func TestCheckFakeGCS(t *testing.T) {
	srv, host := testenv.FakeGCS(t)
	corsFix := "echo '[{\"maxAgeSeconds\":3000,\"method\":[\"GET\",\"HEAD\",\"PUT\"],\"origin\":[\"*\"],\"responseHeader\":[\"Content-Type\",\"Content-MD5\",\"ETag\"]}]' > cors-policy.json\ngsutil cors set cors-policy.json gs://"
	tests := []struct {
		name       string
		bucket     string
		versioning bool
		path       string
		versionSaw Finding
	}{
		{"versioned bucket with a sub-path", "byob-check-versioned", true, "team",
			Finding{Check: CheckVersioning, Saw: "object versioning is on"}},
		{"unversioned bucket, whole bucket", "byob-check-plain", false, "",
			Finding{Check: CheckVersioning, Severity: SeverityWarning, Saw: "object versioning is off and there is no soft-delete policy; garbage collection needs it as a safety net before it can be turned on",
				Fix: "gsutil versioning set on gs://byob-check-plain\nor keep deleted objects 7 days: gcloud storage buckets update gs://byob-check-plain --soft-delete-duration=7d"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv.CreateBucketWithOpts(fakestorage.CreateBucketOpts{Name: tt.bucket, VersioningEnabled: tt.versioning})
			a := &address.Address{Provider: address.GCS, Endpoint: host, Bucket: tt.bucket, Path: tt.path}
			r, err := Check(context.Background(), a, Options{})
			if err != nil {
				t.Fatalf("Check: %v", err)
			}
			reach, probe := `listed bucket "`+tt.bucket+`"`, `wrote, read back and deleted ".byob-check/<random>"; nothing left behind`
			if tt.path != "" {
				reach += ` under "` + tt.path + `/"`
				probe = `wrote, read back and deleted "` + tt.path + `/.byob-check/<random>"; nothing left behind`
			}
			want := []Finding{
				{Check: CheckReachable, Saw: reach},
				{Check: CheckReadWrite, Saw: probe},
				{Check: CheckCORS, Severity: SeverityError, Saw: "no CORS rules", Fix: corsFix + tt.bucket},
				tt.versionSaw,
				{Check: CheckEncryption, Saw: "not required: no KMS key named (Google-managed encryption)"},
				{Check: CheckLifecycle, Saw: "0 lifecycle rules; none deletes live objects under the sub-path"},
				{Check: CheckRegion, Saw: "not applicable: the address carries no region"},
				{Check: CheckTransport, Saw: "plain HTTP to " + host + ", but no credentials are sent"},
			}
			if d := cmp.Diff(want, checkNormalize(r.Findings)); d != "" {
				t.Errorf("findings (-want +got):\n%s", d)
			}
			resp, err := srv.ListObjectsWithOptionsPaginated(tt.bucket, fakestorage.ListOptions{Versions: true})
			if err != nil {
				t.Fatal(err)
			}
			for _, o := range resp.Objects {
				t.Errorf("the check left %s (generation %d) behind", o.Name, o.Generation)
			}
		})
	}
}
