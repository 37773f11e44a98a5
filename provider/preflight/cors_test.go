package preflight

import (
	"testing"
	"time"

	"cloud.google.com/go/storage"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/service"
	"github.com/google/go-cmp/cmp"
)

var checkGoodRule = corsRule{Origins: []string{"*"}, Methods: []string{"GET", "HEAD", "PUT"}, Expose: []string{"ETag"}, MaxAge: 3000}

func TestEvalCORS(t *testing.T) {
	tests := []struct {
		name     string
		rules    []corsRule
		origin   string
		problems []string
		saw      string
	}{
		{"no rules", nil, "*", []string{"no CORS rules"}, "no CORS rules"},
		{"the product's policy", []corsRule{checkGoodRule}, "*", nil,
			"GET, HEAD, PUT allowed from origin *; ETag exposed; max age 3000 s"},
		{"older docs' max age of 3600 is fine", []corsRule{{Origins: []string{"*"}, Methods: []string{"GET", "HEAD", "PUT"}, Expose: []string{"etag"}, MaxAge: 3600}}, "*", nil,
			"GET, HEAD, PUT allowed from origin *; ETag exposed; max age 3600 s"},
		{"PUT missing", []corsRule{{Origins: []string{"*"}, Methods: []string{"GET", "HEAD"}, Expose: []string{"ETag"}, MaxAge: 3000}}, "*",
			[]string{"PUT not allowed from origin *"}, "1 CORS rule: PUT not allowed from origin *"},
		{"ETag not exposed", []corsRule{{Origins: []string{"*"}, Methods: []string{"GET", "HEAD", "PUT"}, MaxAge: 3000}}, "*",
			[]string{"ETag not exposed to GET, HEAD, PUT"}, "1 CORS rule: ETag not exposed to GET, HEAD, PUT"},
		{"no max age", []corsRule{{Origins: []string{"*"}, Methods: []string{"GET", "HEAD", "PUT"}, Expose: []string{"ETag"}}}, "*",
			[]string{"no max age for GET, HEAD, PUT"}, "1 CORS rule: no max age for GET, HEAD, PUT"},
		{"exposing every header counts as exposing ETag", []corsRule{{Origins: []string{"*"}, Methods: []string{"GET", "HEAD", "PUT"}, Expose: []string{"*"}, MaxAge: 60}}, "*", nil,
			"GET, HEAD, PUT allowed from origin *; ETag exposed; max age 60 s"},
		{"a rule for one site does not allow any origin", []corsRule{{Origins: []string{"https://app.example.com"}, Methods: []string{"GET", "HEAD", "PUT"}, Expose: []string{"ETag"}, MaxAge: 3000}}, "*",
			[]string{"GET, HEAD, PUT not allowed from origin *"}, "1 CORS rule: GET, HEAD, PUT not allowed from origin *"},
		{"a wildcard pattern admits the server's origin", []corsRule{{Origins: []string{"https://*.example.com"}, Methods: []string{"GET", "HEAD", "PUT"}, Expose: []string{"ETag"}, MaxAge: 3000}}, "https://wandb.example.com", nil,
			"GET, HEAD, PUT allowed from origin https://wandb.example.com; ETag exposed; max age 3000 s"},
		{"the first matching rule wins, as providers apply them", []corsRule{
			{Origins: []string{"*"}, Methods: []string{"GET"}, MaxAge: 10},
			checkGoodRule,
		}, "*", []string{"ETag not exposed to GET"}, "2 CORS rules: ETag not exposed to GET"},
		{"methods split over two complete rules", []corsRule{
			{Origins: []string{"*"}, Methods: []string{"GET", "HEAD"}, Expose: []string{"ETag"}, MaxAge: 3000},
			{Origins: []string{"*"}, Methods: []string{"PUT"}, Expose: []string{"ETag"}, MaxAge: 600},
		}, "*", nil, "GET, HEAD, PUT allowed from origin *; ETag exposed; max age 600/3000 s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			problems, saw := evalCORS(tt.rules, tt.origin)
			if d := cmp.Diff(tt.problems, problems); d != "" {
				t.Errorf("problems (-want +got):\n%s", d)
			}
			if saw != tt.saw {
				t.Errorf("saw = %q, want %q", saw, tt.saw)
			}
		})
	}
}

// GCS CORS and versioning verdicts on recorded BucketAttrs: fake-gcs-server
// keeps no CORS configuration, so the live test cannot exercise them.
func TestGCSBucketVerdicts(t *testing.T) {
	gsCORSFix := "echo '[{\"maxAgeSeconds\":3000,\"method\":[\"GET\",\"HEAD\",\"PUT\"],\"origin\":[\"*\"],\"responseHeader\":[\"Content-Type\",\"Content-MD5\",\"ETag\"]}]' > cors-policy.json\ngsutil cors set cors-policy.json gs://bkt"
	gsVersioningFix := "gsutil versioning set on gs://bkt\nor keep deleted objects 7 days: gcloud storage buckets update gs://bkt --soft-delete-duration=7d"
	productCORS := []storage.CORS{{Origins: []string{"*"}, Methods: []string{"GET", "HEAD", "PUT"}, ResponseHeaders: []string{"Content-Type", "ETag"}, MaxAge: 3000 * time.Second}}
	tests := []struct {
		name  string
		attrs *storage.BucketAttrs
		gc    bool
		want  []Finding // CORS, then versioning
	}{
		{"product's CORS policy and versioning", &storage.BucketAttrs{CORS: productCORS, VersioningEnabled: true}, false, []Finding{
			{Check: CheckCORS, Saw: "GET, HEAD, PUT allowed from origin *; ETag exposed; max age 3000 s"},
			{Check: CheckVersioning, Saw: "object versioning is on"},
		}},
		{"no CORS, soft delete only", &storage.BucketAttrs{SoftDeletePolicy: &storage.SoftDeletePolicy{RetentionDuration: 7 * 24 * time.Hour}}, true, []Finding{
			{Check: CheckCORS, Severity: SeverityError, Saw: "no CORS rules", Fix: gsCORSFix},
			{Check: CheckVersioning, Saw: "object versioning is off; soft delete keeps deleted objects 7 days"},
		}},
		{"CORS without ETag; nothing to undo deletes", &storage.BucketAttrs{CORS: []storage.CORS{{Origins: []string{"*"}, Methods: []string{"GET", "HEAD", "PUT"}, MaxAge: time.Hour}}}, false, []Finding{
			{Check: CheckCORS, Severity: SeverityError, Saw: "1 CORS rule: ETag not exposed to GET, HEAD, PUT",
				Fix: gsCORSFix + "\n(this replaces the bucket's CORS rules: add any other rule you still need to the list)"},
			{Check: CheckVersioning, Severity: SeverityWarning, Saw: "object versioning is off and there is no soft-delete policy; garbage collection needs it as a safety net before it can be turned on", Fix: gsVersioningFix},
		}},
		{"a zero soft-delete policy is off; with GC on it is an error", &storage.BucketAttrs{CORS: productCORS, SoftDeletePolicy: &storage.SoftDeletePolicy{}}, true, []Finding{
			{Check: CheckCORS, Saw: "GET, HEAD, PUT allowed from origin *; ETag exposed; max age 3000 s"},
			{Check: CheckVersioning, Severity: SeverityError, Saw: "object versioning is off and there is no soft-delete policy; garbage collection is on and relies on it to undo a wrong delete", Fix: gsVersioningFix},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := []Finding{gcsCORSFinding(tt.attrs, "bkt", "*"), gcsVersioningFinding(tt.attrs, "bkt", tt.gc)}
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("findings (-want +got):\n%s", d)
			}
		})
	}
}

func TestGCSEncryptionAndLifecycleVerdicts(t *testing.T) {
	const key = "projects/p/locations/us/keyRings/r/cryptoKeys/k"
	tests := []struct {
		name    string
		attrs   *storage.BucketAttrs
		kms     string
		subPath string
		want    []Finding // encryption, lifecycle
	}{
		{"no key asked, no rules", &storage.BucketAttrs{}, "", "team", []Finding{
			{Check: CheckEncryption, Saw: "not required: no KMS key named (Google-managed encryption)"},
			{Check: CheckLifecycle, Saw: "0 lifecycle rules; none deletes live objects under the sub-path"},
		}},
		{"the named key; rules only for noncurrent versions or other prefixes", &storage.BucketAttrs{
			Encryption: &storage.BucketEncryption{DefaultKMSKeyName: key},
			Lifecycle: storage.Lifecycle{Rules: []storage.LifecycleRule{
				{Action: storage.LifecycleAction{Type: storage.DeleteAction}, Condition: storage.LifecycleCondition{Liveness: storage.Archived, AgeInDays: 30}},
				{Action: storage.LifecycleAction{Type: storage.DeleteAction}, Condition: storage.LifecycleCondition{NumNewerVersions: 3}},
				{Action: storage.LifecycleAction{Type: storage.DeleteAction}, Condition: storage.LifecycleCondition{AgeInDays: 1, MatchesPrefix: []string{"tmp/"}}},
				{Action: storage.LifecycleAction{Type: storage.SetStorageClassAction, StorageClass: "NEARLINE"}, Condition: storage.LifecycleCondition{AgeInDays: 30}},
			}},
		}, key, "team", []Finding{
			{Check: CheckEncryption, Saw: "default encryption uses " + key},
			{Check: CheckLifecycle, Saw: "4 lifecycle rules; none deletes live objects under the sub-path"},
		}},
		{"Google-managed instead of the key; a rule deleting live objects under the sub-path", &storage.BucketAttrs{
			Lifecycle: storage.Lifecycle{Rules: []storage.LifecycleRule{
				{Action: storage.LifecycleAction{Type: storage.DeleteAction}, Condition: storage.LifecycleCondition{AgeInDays: 90, MatchesPrefix: []string{"tmp/", "team/"}}},
				{Action: storage.LifecycleAction{Type: storage.DeleteAction}, Condition: storage.LifecycleCondition{Liveness: storage.Archived}},
			}},
		}, key, "team", []Finding{
			{Check: CheckEncryption, Severity: SeverityError, Saw: "the bucket uses Google-managed encryption, not the key " + key, Fix: "gsutil kms encryption -k " + key + " gs://bkt"},
			{Check: CheckLifecycle, Severity: SeverityWarning, Saw: `rule #1 deletes objects under "team/" after 90 days: run history stored there would be lost`,
				Fix: "gsutil lifecycle get gs://bkt > lifecycle.json\nremove those rules from lifecycle.json (or narrow their conditions), then\ngsutil lifecycle set lifecycle.json gs://bkt"},
		}},
		{"another key; a bucket-wide delete rule that is the only one", &storage.BucketAttrs{
			Encryption: &storage.BucketEncryption{DefaultKMSKeyName: key + "2"},
			Lifecycle:  storage.Lifecycle{Rules: []storage.LifecycleRule{{Action: storage.LifecycleAction{Type: storage.DeleteAction}, Condition: storage.LifecycleCondition{AgeInDays: 7}}}},
		}, key, "", []Finding{
			{Check: CheckEncryption, Severity: SeverityError, Saw: "the bucket's default key is " + key + "2, not " + key, Fix: "gsutil kms encryption -k " + key + " gs://bkt"},
			{Check: CheckLifecycle, Severity: SeverityWarning, Saw: `rule #1 deletes objects under "" after 7 days: run history stored there would be lost`,
				Fix: "gcloud storage buckets update gs://bkt --clear-lifecycle"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := []Finding{gcsEncryptionFinding(tt.attrs, "bkt", tt.kms), gcsLifecycleFinding(tt.attrs, "bkt", tt.subPath)}
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("findings (-want +got):\n%s", d)
			}
		})
	}
}

func TestAzureServiceVerdicts(t *testing.T) {
	corsFix := "az storage cors add --services b --account-name acct --origins '*' --methods GET HEAD PUT --allowed-headers '*' --exposed-headers ETag --max-age 3000\n(CORS rules apply to every container of the storage account)"
	softFix := "az storage blob service-properties delete-policy update --account-name acct --enable true --days-retained 7"
	tests := []struct {
		name  string
		props service.StorageServiceProperties
		want  []Finding // CORS, soft delete
	}{
		{"comma-separated fields and soft delete on", service.StorageServiceProperties{
			CORS:                  []*service.CORSRule{{AllowedOrigins: to.Ptr("*"), AllowedMethods: to.Ptr("GET, HEAD,PUT"), AllowedHeaders: to.Ptr("*"), ExposedHeaders: to.Ptr("x-ms-meta-*,ETag"), MaxAgeInSeconds: to.Ptr(int32(3000))}},
			DeleteRetentionPolicy: &service.RetentionPolicy{Enabled: to.Ptr(true), Days: to.Ptr(int32(7))},
		}, []Finding{
			{Check: CheckCORS, Saw: "GET, HEAD, PUT allowed from origin *; ETag exposed; max age 3000 s"},
			{Check: CheckVersioning, Saw: "blob soft delete keeps deleted blobs 7 days"},
		}},
		{"nothing set", service.StorageServiceProperties{}, []Finding{
			{Check: CheckCORS, Severity: SeverityError, Saw: "no CORS rules", Fix: corsFix},
			{Check: CheckVersioning, Severity: SeverityWarning, Saw: "blob soft delete is off; garbage collection needs it as a safety net before it can be turned on", Fix: softFix},
		}},
		{"PUT missing; policy present but disabled", service.StorageServiceProperties{
			CORS:                  []*service.CORSRule{{AllowedOrigins: to.Ptr("*"), AllowedMethods: to.Ptr("GET,HEAD"), ExposedHeaders: to.Ptr("ETag"), MaxAgeInSeconds: to.Ptr(int32(3000))}},
			DeleteRetentionPolicy: &service.RetentionPolicy{Enabled: to.Ptr(false), Days: to.Ptr(int32(7))},
		}, []Finding{
			{Check: CheckCORS, Severity: SeverityError, Saw: "1 CORS rule: PUT not allowed from origin *", Fix: corsFix},
			{Check: CheckVersioning, Severity: SeverityWarning, Saw: "blob soft delete is off; garbage collection needs it as a safety net before it can be turned on", Fix: softFix},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := []Finding{azureCORSFinding(tt.props, "acct", "*"), azureSoftDeleteFinding(tt.props, "acct", false)}
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("findings (-want +got):\n%s", d)
			}
		})
	}
}
