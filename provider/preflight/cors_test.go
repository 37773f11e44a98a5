package preflight

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"cloud.google.com/go/storage"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/service"
	"github.com/byobkit/byob/address"
	"github.com/google/go-cmp/cmp"
)

// The rules of the product's documented policy, in evalCORS's form.
var checkGoodRule = corsRule{Origins: []string{"*"}, Methods: []string{"GET", "HEAD", "PUT"}, Headers: []string{"*"}, Expose: []string{"ETag"}, MaxAge: 3000}

// corsRuleWith is checkGoodRule with other allowed request headers.
func corsRuleWith(headers ...string) corsRule {
	r := checkGoodRule
	r.Headers = headers
	return r
}

func TestCORSNeeds(t *testing.T) {
	putS3 := corsNeed{Method: "PUT", Headers: []string{"content-type", "content-md5"}, ETag: true}
	putAzure := corsNeed{Method: "PUT", Headers: []string{"content-type", "content-md5", "x-ms-blob-type"}, ETag: true}
	get, head := corsNeed{Method: "GET", ETag: true}, corsNeed{Method: "HEAD", ETag: true}
	post := corsNeed{Method: "POST", Headers: []string{"content-type"}}
	tests := []struct {
		name      string
		flavor    address.Flavor
		provider  address.Provider
		multipart bool
		want      []corsNeed
	}{
		{"AWS: GET and HEAD need no header, PUT the two byob binds", address.FlavorAWS, address.S3, false, []corsNeed{get, head, putS3}},
		{"S3-compatible: the same", address.FlavorS3Compatible, address.S3, false, []corsNeed{get, head, putS3}},
		{"CoreWeave: the same", address.FlavorCoreWeave, address.CoreWeave, false, []corsNeed{get, head, putS3}},
		{"GCS: the same", address.FlavorGCS, address.GCS, false, []corsNeed{get, head, putS3}},
		{"Azure: PUT also sends the flavor's x-ms-blob-type", address.FlavorAzure, address.Azure, false, []corsNeed{get, head, putAzure}},
		{"S3 with browser multipart: POST create and complete", address.FlavorS3Compatible, address.S3, true, []corsNeed{get, head, putS3, post}},
		{"GCS with browser multipart: the XML API's POSTs", address.FlavorGCS, address.GCS, true, []corsNeed{get, head, putS3, post}},
		{"Azure with browser multipart: Put Block and Put Block List are PUTs", address.FlavorAzure, address.Azure, true, []corsNeed{get, head, putAzure}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := corsNeeds(tt.flavor, corsDialects[tt.provider], tt.multipart)
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("needs (-want +got):\n%s", d)
			}
		})
	}
}

func TestEvalCORS(t *testing.T) {
	const okS3 = "GET, HEAD, PUT allowed from origin * (PUT with content-type, content-md5); ETag exposed; max age 3000 s"
	const okAzure = "GET, HEAD, PUT allowed from origin * (PUT with content-type, content-md5, x-ms-blob-type); ETag exposed; max age 3000 s"
	s3, az, gs := address.S3, address.Azure, address.GCS
	tests := []struct {
		name      string
		provider  address.Provider
		multipart bool
		rules     []corsRule
		origin    string
		problems  []corsProblem
		saw       string
	}{
		{"no rules", s3, false, nil, "*", []corsProblem{{"no CORS rules", true}}, "no CORS rules"},
		{"the documented policy, AllowedHeaders *", s3, false, []corsRule{checkGoodRule}, "*", nil, okS3},
		{"the documented policy on Azure covers x-ms-blob-type", az, false, []corsRule{checkGoodRule}, "*", nil, okAzure},
		{"older docs' max age of 3600 is fine", s3, false, []corsRule{{Origins: []string{"*"}, Methods: []string{"GET", "HEAD", "PUT"}, Headers: []string{"*"}, Expose: []string{"etag"}, MaxAge: 3600}}, "*", nil,
			"GET, HEAD, PUT allowed from origin * (PUT with content-type, content-md5); ETag exposed; max age 3600 s"},

		// Methods.
		{"PUT missing", s3, false, []corsRule{{Origins: []string{"*"}, Methods: []string{"GET", "HEAD"}, Headers: []string{"*"}, Expose: []string{"ETag"}, MaxAge: 3000}}, "*",
			[]corsProblem{{"PUT not allowed from origin *", true}}, "1 CORS rule: PUT not allowed from origin *"},
		{"Azure: methods compare case-insensitively, as Azurite does", az, false, []corsRule{{Origins: []string{"*"}, Methods: []string{"get", "head", "put"}, Headers: []string{"*"}, Expose: []string{"ETag"}, MaxAge: 3000}}, "*", nil, okAzure},
		{"S3: methods compare case-sensitively, as HTTP does", s3, false, []corsRule{{Origins: []string{"*"}, Methods: []string{"get", "head", "put"}, Headers: []string{"*"}, Expose: []string{"ETag"}, MaxAge: 3000}}, "*",
			[]corsProblem{{"GET, HEAD, PUT not allowed from origin *", true}}, "1 CORS rule: GET, HEAD, PUT not allowed from origin *"},
		{"GCS: method * allows every method", gs, false, []corsRule{{Origins: []string{"*"}, Methods: []string{"*"}, Headers: []string{"Content-Type", "Content-MD5", "ETag"}, Expose: []string{"Content-Type", "Content-MD5", "ETag"}, MaxAge: 3000}}, "*", nil, okS3},
		{"S3: method * is not a wildcard", s3, false, []corsRule{{Origins: []string{"*"}, Methods: []string{"*"}, Headers: []string{"*"}, Expose: []string{"ETag"}, MaxAge: 3000}}, "*",
			[]corsProblem{{"GET, HEAD, PUT not allowed from origin *", true}}, "1 CORS rule: GET, HEAD, PUT not allowed from origin *"},
		{"browser multipart on S3 needs POST", s3, true, []corsRule{checkGoodRule}, "*",
			[]corsProblem{{"POST not allowed from origin *", true}}, "1 CORS rule: POST not allowed from origin *"},
		{"browser multipart on S3 with POST allowed", s3, true, []corsRule{{Origins: []string{"*"}, Methods: []string{"GET", "HEAD", "PUT", "POST"}, Headers: []string{"*"}, Expose: []string{"ETag"}, MaxAge: 3000}}, "*", nil,
			"GET, HEAD, PUT, POST allowed from origin * (PUT with content-type, content-md5; POST with content-type); ETag exposed; max age 3000 s"},
		{"browser multipart on Azure needs no POST", az, true, []corsRule{checkGoodRule}, "*", nil, okAzure},

		// Request headers.
		{"a rule without content-md5", s3, false, []corsRule{corsRuleWith("content-type")}, "*",
			[]corsProblem{{"PUT from origin *: AllowedHeaders lacks content-md5", true}}, "1 CORS rule: PUT from origin *: AllowedHeaders lacks content-md5"},
		{"a rule without content-type", s3, false, []corsRule{corsRuleWith("content-md5")}, "*",
			[]corsProblem{{"PUT from origin *: AllowedHeaders lacks content-type", true}}, "1 CORS rule: PUT from origin *: AllowedHeaders lacks content-type"},
		{"a rule without any allowed header names both", s3, false, []corsRule{corsRuleWith()}, "*",
			[]corsProblem{{"PUT from origin *: AllowedHeaders lacks content-type, content-md5", true}}, "1 CORS rule: PUT from origin *: AllowedHeaders lacks content-type, content-md5"},
		{"Azure: a rule without x-ms-blob-type", az, false, []corsRule{corsRuleWith("content-type", "content-md5")}, "*",
			[]corsProblem{{"PUT from origin *: AllowedHeaders lacks x-ms-blob-type", true}}, "1 CORS rule: PUT from origin *: AllowedHeaders lacks x-ms-blob-type"},
		{"case differences in allowed headers do not matter", az, false, []corsRule{corsRuleWith("Content-Type", "CONTENT-MD5", "X-Ms-Blob-Type")}, "*", nil, okAzure},
		{"S3: a prefix wildcard covers the headers it starts", s3, false, []corsRule{corsRuleWith("Content-*")}, "*", nil, okS3},
		{"S3: a prefix wildcard for other headers does not", s3, false, []corsRule{corsRuleWith("x-amz-*", "content-type")}, "*",
			[]corsProblem{{"PUT from origin *: AllowedHeaders lacks content-md5", true}}, "1 CORS rule: PUT from origin *: AllowedHeaders lacks content-md5"},
		{"Azure: a prefix x-ms-* covers x-ms-blob-type", az, false, []corsRule{corsRuleWith("content-type", "content-md5", "x-ms-*")}, "*", nil, okAzure},
		{"GCS: responseHeader naming both headers", gs, false, []corsRule{{Origins: []string{"*"}, Methods: []string{"GET", "HEAD", "PUT"}, Headers: []string{"content-type", "Content-MD5", "ETag"}, Expose: []string{"content-type", "Content-MD5", "ETag"}, MaxAge: 3000}}, "*", nil, okS3},
		{"GCS: responseHeader * is not a documented wildcard", gs, false, []corsRule{{Origins: []string{"*"}, Methods: []string{"GET", "HEAD", "PUT"}, Headers: []string{"*"}, Expose: []string{"*"}, MaxAge: 3000}}, "*",
			[]corsProblem{{"PUT from origin *: responseHeader lacks content-type, content-md5", true}}, "1 CORS rule: PUT from origin *: responseHeader lacks content-type, content-md5"},
		{"two rules that together cover the headers, neither alone: a preflight is matched against one", s3, false, []corsRule{corsRuleWith("content-type"), corsRuleWith("content-md5")}, "*",
			[]corsProblem{{"PUT from origin *: no one rule's AllowedHeaders covers content-type, content-md5 (rule #1 lacks content-md5; rule #2 lacks content-type), and a preflight is matched against one rule", true}},
			"2 CORS rules: PUT from origin *: no one rule's AllowedHeaders covers content-type, content-md5 (rule #1 lacks content-md5; rule #2 lacks content-type), and a preflight is matched against one rule"},
		{"a later rule with every header answers the preflight; its max age counts", s3, false, []corsRule{
			{Origins: []string{"*"}, Methods: []string{"GET", "HEAD", "PUT"}, Headers: []string{"content-type"}, Expose: []string{"ETag"}, MaxAge: 10},
			{Origins: []string{"*"}, Methods: []string{"PUT"}, Headers: []string{"*"}, MaxAge: 600},
		}, "*", nil, "GET, HEAD, PUT allowed from origin * (PUT with content-type, content-md5); ETag exposed; max age 600 s"},

		// Origins.
		{"another origin", s3, false, []corsRule{{Origins: []string{"https://app.example.com"}, Methods: []string{"GET", "HEAD", "PUT"}, Headers: []string{"*"}, Expose: []string{"ETag"}, MaxAge: 3000}}, "https://other.example.com",
			[]corsProblem{{"GET, HEAD, PUT not allowed from origin https://other.example.com", true}}, "1 CORS rule: GET, HEAD, PUT not allowed from origin https://other.example.com"},
		{"a rule for one site does not allow any origin", s3, false, []corsRule{{Origins: []string{"https://app.example.com"}, Methods: []string{"GET", "HEAD", "PUT"}, Headers: []string{"*"}, Expose: []string{"ETag"}, MaxAge: 3000}}, "*",
			[]corsProblem{{"GET, HEAD, PUT not allowed from origin *", true}}, "1 CORS rule: GET, HEAD, PUT not allowed from origin *"},
		{"S3: a wildcard pattern admits the server's origin", s3, false, []corsRule{{Origins: []string{"https://*.example.com"}, Methods: []string{"GET", "HEAD", "PUT"}, Headers: []string{"*"}, Expose: []string{"ETag"}, MaxAge: 3000}}, "https://wandb.example.com", nil,
			"GET, HEAD, PUT allowed from origin https://wandb.example.com (PUT with content-type, content-md5); ETag exposed; max age 3000 s"},
		{"Azure: origins are exact, a pattern admits nothing", az, false, []corsRule{{Origins: []string{"https://*.example.com"}, Methods: []string{"GET", "HEAD", "PUT"}, Headers: []string{"*"}, Expose: []string{"ETag"}, MaxAge: 3000}}, "https://wandb.example.com",
			[]corsProblem{{"GET, HEAD, PUT not allowed from origin https://wandb.example.com", true}}, "1 CORS rule: GET, HEAD, PUT not allowed from origin https://wandb.example.com"},

		// ETag and max age.
		{"ETag not exposed", s3, false, []corsRule{{Origins: []string{"*"}, Methods: []string{"GET", "HEAD", "PUT"}, Headers: []string{"*"}, MaxAge: 3000}}, "*",
			[]corsProblem{{"ETag not exposed to GET, HEAD, PUT", true}}, "1 CORS rule: ETag not exposed to GET, HEAD, PUT"},
		{"exposing every header counts as exposing ETag", s3, false, []corsRule{{Origins: []string{"*"}, Methods: []string{"GET", "HEAD", "PUT"}, Headers: []string{"*"}, Expose: []string{"*"}, MaxAge: 60}}, "*", nil,
			"GET, HEAD, PUT allowed from origin * (PUT with content-type, content-md5); ETag exposed; max age 60 s"},
		{"no max age only costs preflights: a warning, for PUT alone", s3, false, []corsRule{{Origins: []string{"*"}, Methods: []string{"GET", "HEAD", "PUT"}, Headers: []string{"*"}, Expose: []string{"ETag"}}}, "*",
			[]corsProblem{{"no max age for PUT: every such request costs a preflight", false}}, "1 CORS rule: no max age for PUT: every such request costs a preflight"},
		{"the first rule allowing a method answers the request and must expose ETag", s3, false, []corsRule{
			{Origins: []string{"*"}, Methods: []string{"GET"}, MaxAge: 10},
			checkGoodRule,
		}, "*", []corsProblem{{"ETag not exposed to GET", true}}, "2 CORS rules: ETag not exposed to GET"},
		{"methods split over two complete rules", s3, false, []corsRule{
			{Origins: []string{"*"}, Methods: []string{"GET", "HEAD"}, Expose: []string{"ETag"}, MaxAge: 3000},
			{Origins: []string{"*"}, Methods: []string{"PUT"}, Headers: []string{"*"}, Expose: []string{"ETag"}, MaxAge: 600},
		}, "*", nil, "GET, HEAD, PUT allowed from origin * (PUT with content-type, content-md5); ETag exposed; max age 600 s"},
	}
	flavors := map[address.Provider]address.Flavor{s3: address.FlavorS3Compatible, az: address.FlavorAzure, gs: address.FlavorGCS}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := corsDialects[tt.provider]
			problems, saw := evalCORS(tt.rules, tt.origin, corsNeeds(flavors[tt.provider], d, tt.multipart), d)
			if d := cmp.Diff(tt.problems, problems, cmp.AllowUnexported(corsProblem{})); d != "" {
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
	productCORS := []storage.CORS{{Origins: []string{"*"}, Methods: []string{"GET", "HEAD", "PUT"}, ResponseHeaders: []string{"Content-Type", "Content-MD5", "ETag"}, MaxAge: 3000 * time.Second}}
	const corsOK = "GET, HEAD, PUT allowed from origin * (PUT with content-type, content-md5); ETag exposed; max age 3000 s"
	tests := []struct {
		name  string
		attrs *storage.BucketAttrs
		gc    bool
		want  []Finding // CORS, then versioning
	}{
		{"the fix's CORS policy and versioning", &storage.BucketAttrs{CORS: productCORS, VersioningEnabled: true}, false, []Finding{
			{Check: CheckCORS, Saw: corsOK},
			{Check: CheckVersioning, Saw: "object versioning is on"},
		}},
		{"no CORS, soft delete only", &storage.BucketAttrs{SoftDeletePolicy: &storage.SoftDeletePolicy{RetentionDuration: 7 * 24 * time.Hour}}, true, []Finding{
			{Check: CheckCORS, Severity: SeverityError, Saw: "no CORS rules", Fix: gsCORSFix},
			{Check: CheckVersioning, Saw: "object versioning is off; soft delete keeps deleted objects 7 days"},
		}},
		{"CORS without ETag; nothing to undo deletes", &storage.BucketAttrs{CORS: []storage.CORS{{Origins: []string{"*"}, Methods: []string{"GET", "HEAD", "PUT"}, MaxAge: time.Hour}}}, false, []Finding{
			{Check: CheckCORS, Severity: SeverityError, Saw: "1 CORS rule: PUT from origin *: responseHeader lacks content-type, content-md5; ETag not exposed to GET, HEAD, PUT",
				Fix: gsCORSFix + "\n(this replaces the bucket's CORS rules: add any other rule you still need to the list)"},
			{Check: CheckVersioning, Severity: SeverityWarning, Saw: "object versioning is off and there is no soft-delete policy; garbage collection needs it as a safety net before it can be turned on", Fix: gsVersioningFix},
		}},
		{"responseHeader without Content-MD5: the upload's preflight fails", &storage.BucketAttrs{CORS: []storage.CORS{{Origins: []string{"*"}, Methods: []string{"GET", "HEAD", "PUT"}, ResponseHeaders: []string{"Content-Type", "ETag"}, MaxAge: 3000 * time.Second}}, VersioningEnabled: true}, false, []Finding{
			{Check: CheckCORS, Severity: SeverityError, Saw: "1 CORS rule: PUT from origin *: responseHeader lacks content-md5",
				Fix: gsCORSFix + "\n(this replaces the bucket's CORS rules: add any other rule you still need to the list)"},
			{Check: CheckVersioning, Saw: "object versioning is on"},
		}},
		{"a zero soft-delete policy is off; with GC on it is an error", &storage.BucketAttrs{CORS: productCORS, SoftDeletePolicy: &storage.SoftDeletePolicy{}}, true, []Finding{
			{Check: CheckCORS, Saw: corsOK},
			{Check: CheckVersioning, Severity: SeverityError, Saw: "object versioning is off and there is no soft-delete policy; garbage collection is on and relies on it to undo a wrong delete", Fix: gsVersioningFix},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			needs := corsNeeds(address.FlavorGCS, corsDialects[address.GCS], false)
			got := []Finding{gcsCORSFinding(tt.attrs, "bkt", "*", needs), gcsVersioningFinding(tt.attrs, "bkt", tt.gc)}
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
	const add = "az storage cors add --services b --account-name acct --origins '*' --methods GET HEAD PUT --allowed-headers '*' --exposed-headers ETag --max-age 3000"
	corsFix := add + "\n(CORS rules apply to every container of the storage account)"
	clearFix := "az storage cors clear --services b --account-name acct\n" + add +
		"\n(CORS rules apply to every container of the storage account: clearing removes the account's other rules, add back any you still need)"
	rule := func(methods, headers, expose string) *service.CORSRule {
		return &service.CORSRule{AllowedOrigins: to.Ptr("*"), AllowedMethods: to.Ptr(methods), AllowedHeaders: to.Ptr(headers), ExposedHeaders: to.Ptr(expose), MaxAgeInSeconds: to.Ptr(int32(3000))}
	}
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
			{Check: CheckCORS, Saw: "GET, HEAD, PUT allowed from origin * (PUT with content-type, content-md5, x-ms-blob-type); ETag exposed; max age 3000 s"},
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
		{"a rule without x-ms-blob-type: appending byob's rule fixes the preflight", service.StorageServiceProperties{
			CORS: []*service.CORSRule{rule("GET,HEAD,PUT", "content-type,content-md5", "ETag")},
		}, []Finding{
			{Check: CheckCORS, Severity: SeverityError, Saw: "1 CORS rule: PUT from origin *: AllowedHeaders lacks x-ms-blob-type", Fix: corsFix},
			{Check: CheckVersioning, Severity: SeverityWarning, Saw: "blob soft delete is off; garbage collection needs it as a safety net before it can be turned on", Fix: softFix},
		}},
		{"an earlier rule hides ETag: appending would not help, so the fix clears first", service.StorageServiceProperties{
			CORS: []*service.CORSRule{rule("GET,HEAD,PUT", "*", "")},
		}, []Finding{
			{Check: CheckCORS, Severity: SeverityError, Saw: "1 CORS rule: ETag not exposed to GET, HEAD, PUT", Fix: clearFix},
			{Check: CheckVersioning, Severity: SeverityWarning, Saw: "blob soft delete is off; garbage collection needs it as a safety net before it can be turned on", Fix: softFix},
		}},
		{"five rules already: no room to append, so the fix clears first", service.StorageServiceProperties{
			CORS: []*service.CORSRule{rule("GET", "*", "ETag"), rule("GET", "*", "ETag"), rule("GET", "*", "ETag"), rule("GET", "*", "ETag"), rule("GET", "*", "ETag")},
		}, []Finding{
			{Check: CheckCORS, Severity: SeverityError, Saw: "5 CORS rules: HEAD, PUT not allowed from origin *", Fix: clearFix},
			{Check: CheckVersioning, Severity: SeverityWarning, Saw: "blob soft delete is off; garbage collection needs it as a safety net before it can be turned on", Fix: softFix},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			needs := corsNeeds(address.FlavorAzure, corsDialects[address.Azure], false)
			got := []Finding{azureCORSFinding(tt.props, "acct", "*", needs), azureSoftDeleteFinding(tt.props, "acct", false)}
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("findings (-want +got):\n%s", d)
			}
		})
	}
}

// Every CORS fix, applied as its command says, leaves rules the check
// passes: the policies name every method and request header byob's URLs
// need. The S3 and Azure fixes are the documented policy (AllowedHeaders
// *); GCS names the headers, as its responseHeader has no wildcard.
func TestCORSFixesSatisfyTheCheck(t *testing.T) {
	a := &address.Address{Provider: address.S3, Endpoint: "127.0.0.1:9000", Bucket: "bkt", Region: "us-east-1"}
	broken := []corsRule{{Origins: []string{"*"}, Methods: []string{"GET"}, Headers: []string{"content-type"}}}
	for _, origin := range []string{"*", "https://wandb.example.com"} {
		for _, multipart := range []bool{false, true} {
			t.Run(fmt.Sprintf("origin %s, browser multipart %v", origin, multipart), func(t *testing.T) {
				check := func(t *testing.T, p address.Provider, f address.Flavor, rules []corsRule) {
					t.Helper()
					d := corsDialects[p]
					if problems, saw := evalCORS(rules, origin, corsNeeds(f, d, multipart), d); len(problems) > 0 {
						t.Errorf("after the fix: %s", saw)
					}
				}
				t.Run("S3", func(t *testing.T) {
					needs := corsNeeds(address.FlavorS3Compatible, corsDialects[address.S3], multipart)
					fix := s3CORSFix(a, origin, corsMethods(needs), true)
					var policy struct {
						CORSRules []struct {
							AllowedOrigins, AllowedMethods, AllowedHeaders, ExposeHeaders []string
							MaxAgeSeconds                                                 int
						}
					}
					if err := json.Unmarshal([]byte(quotedArg(t, fix, "--cors-configuration ")), &policy); err != nil {
						t.Fatalf("policy in %q: %v", fix, err)
					}
					var rules []corsRule
					for _, r := range policy.CORSRules {
						if !slices.Equal(r.AllowedHeaders, []string{"*"}) {
							t.Errorf("AllowedHeaders = %q, want the documented [*]", r.AllowedHeaders)
						}
						rules = append(rules, corsRule{Origins: r.AllowedOrigins, Methods: r.AllowedMethods, Headers: r.AllowedHeaders, Expose: r.ExposeHeaders, MaxAge: r.MaxAgeSeconds})
					}
					check(t, address.S3, address.FlavorS3Compatible, rules)
				})
				t.Run("GCS", func(t *testing.T) {
					needs := corsNeeds(address.FlavorGCS, corsDialects[address.GCS], multipart)
					fix := gcsCORSFix("bkt", origin, needs, true)
					var policy []struct {
						Origin, Method, ResponseHeader []string
						MaxAgeSeconds                  int
					}
					if err := json.Unmarshal([]byte(quotedArg(t, fix, "echo ")), &policy); err != nil {
						t.Fatalf("policy in %q: %v", fix, err)
					}
					var rules []corsRule
					for _, r := range policy {
						rules = append(rules, corsRule{Origins: r.Origin, Methods: r.Method, Headers: r.ResponseHeader, Expose: r.ResponseHeader, MaxAge: r.MaxAgeSeconds})
					}
					check(t, address.GCS, address.FlavorGCS, rules)
				})
				t.Run("Azure", func(t *testing.T) {
					needs := corsNeeds(address.FlavorAzure, corsDialects[address.Azure], multipart)
					for _, existing := range [][]corsRule{nil, broken, {checkGoodRule, {Origins: []string{"*"}, Methods: []string{"GET"}}}} {
						check(t, address.Azure, address.FlavorAzure, azureApply(t, azureCORSFix("acct", origin, needs, existing), existing))
					}
				})
			})
		}
	}
}

// quotedArg returns the single-quoted shell word that follows flag in cmd.
func quotedArg(t *testing.T, cmd, flag string) string {
	t.Helper()
	_, rest, ok := strings.Cut(cmd, flag+"'")
	if !ok {
		t.Fatalf("no %s'…' in %q", flag, cmd)
	}
	arg, _, ok := strings.Cut(rest, "'")
	if !ok {
		t.Fatalf("unterminated quote in %q", cmd)
	}
	return arg
}

// azureApply runs an Azure CORS fix the way the az CLI does on the rules
// there are: "clear" removes them all, "add" appends one.
func azureApply(t *testing.T, fix string, rules []corsRule) []corsRule {
	t.Helper()
	rules = slices.Clone(rules)
	for _, line := range strings.Split(fix, "\n") {
		switch {
		case strings.HasPrefix(line, "az storage cors clear "):
			rules = nil
		case strings.HasPrefix(line, "az storage cors add "):
			var r corsRule
			var list *[]string
			for _, w := range strings.Fields(line)[4:] {
				w = strings.Trim(w, "'")
				switch w {
				case "--origins":
					list = &r.Origins
				case "--methods":
					list = &r.Methods
				case "--allowed-headers":
					list = &r.Headers
				case "--exposed-headers":
					list = &r.Expose
				case "--max-age", "--services", "--account-name":
					list = nil
				default:
					if list != nil {
						*list = append(*list, w)
					} else if n, err := strconv.Atoi(w); err == nil {
						r.MaxAge = n
					}
				}
			}
			rules = append(rules, r)
		case strings.HasPrefix(line, "az "):
			t.Fatalf("unknown command %q", line)
		}
	}
	return rules
}

func TestCORSFindingSeverity(t *testing.T) {
	tests := []struct {
		name     string
		problems []corsProblem
		want     Severity
	}{
		{"complete rules", nil, SeverityOK},
		{"only a missing max age: uploads work, at the cost of preflights", []corsProblem{{"no max age for PUT", false}}, SeverityWarning},
		{"a missing header breaks uploads", []corsProblem{{"no max age for PUT", false}, {"PUT from origin *: AllowedHeaders lacks content-md5", true}}, SeverityError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := corsFinding(tt.problems, "saw", "fix").Severity; got != tt.want {
				t.Errorf("severity = %v, want %v", got, tt.want)
			}
		})
	}
}
