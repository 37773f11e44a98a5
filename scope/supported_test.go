package scope_test

import (
	"context"
	"strings"
	"testing"

	"github.com/byobkit/byob/address"
	"github.com/byobkit/byob/scope"
)

func TestSupportedStores(t *testing.T) {
	const (
		cwBucket   = "cw://ak:sk@cwobject.com/team-cw?region=US-EAST-04A&tls=true"
		cwOverS3   = "s3://ak:sk@cwobject.com/team-cw2?region=US-EAST-04A&tls=true"
		cwLota     = "cw://team-lota.cwlota.com"
		awsBucket  = "s3://ak:sk@s3.eu-central-1.amazonaws.com/team-bucket/omega"
		minio      = "s3://ak:sk@minio.local:9000/bkt/omega?region=us-east-1"
		minioOther = "s3://ak:sk@minio.local:9000/other/omega?region=us-east-1"
		otherMinio = "s3://ak:sk@minio2.local:9000/bkt/omega?region=us-east-1"
		gcs        = "gs://team-gcs/omega"
		azure      = "az://acct/cont/omega"
	)
	cases := []supportedCase{
		{"an empty list restricts nothing", "", minio, true},
		{"bare cw:// allows a CoreWeave bucket", "cw://", cwBucket, true},
		{"bare cw:// allows s3:// to a CoreWeave endpoint", "cw://", cwOverS3, true},
		{"bare cw:// allows CoreWeave's LOTA endpoint", "cw://", cwLota, true},
		{"bare cw:// refuses AWS", "cw://", awsBucket, false},
		{"bare cw:// refuses GCS", "cw://", gcs, false},
		{"bare s3:// allows AWS", "s3://", awsBucket, true},
		{"bare s3:// refuses an S3-compatible store: without an endpoint it is AWS's service", "s3://", minio, false},
		{"bare s3:// refuses CoreWeave over s3://", "s3://", cwOverS3, false},
		{"an entry's bucket allows it with other credentials", "s3://other:keys@minio.local:9000/bkt?region=us-east-1", minio, true},
		{"an entry's bucket refuses another bucket", "s3://ak:sk@minio.local:9000/bkt?region=us-east-1", minioOther, false},
		{"an entry's endpoint refuses another endpoint", "s3://ak:sk@minio.local:9000/bkt?region=us-east-1", otherMinio, false},
		{"an AWS entry allows the bucket through any AWS endpoint", "s3://team-bucket", awsBucket, true},
		{"an entry's sub-path allows paths below it", "s3://ak:sk@minio.local:9000/bkt?region=us-east-1 s3://team-bucket/omega", awsBucket, true},
		{"an entry's sub-path refuses a sibling that shares its spelling", "s3://team-bucket/ome", awsBucket, false},
		{"an entry's sub-path refuses the bucket's top", "s3://team-bucket/omega/deeper", awsBucket, false},
		{"a GCS entry allows its bucket", "gs://team-gcs", gcs, true},
		{"a GCS entry refuses an S3 bucket of the same name", "gs://bkt", minio, false},
		{"an Azure entry allows its container", "az://acct/cont", azure, true},
		{"an Azure entry refuses another account", "az://acct2/cont", azure, false},
		{"any entry of several may match", "gs://xyz, cw://\taz://acct/cont", azure, true},
		{"no entry of several matches", "gs://xyz, cw://", minio, false},
	}
	runSupportedCases(t, cases)
}

// TestSelfManagedTeamBucketsMustBeListed: the product requires a
// self-managed instance's team buckets to be listed in
// GORILLA_SUPPORTED_FILE_STORES. Without a list, a team bucket is refused
// before it is checked, with a fix that names the variable and the exact
// entry to add; adding that entry admits the bucket.
func TestSelfManagedTeamBucketsMustBeListed(t *testing.T) {
	const instance = "s3://AKIAINSTANCE:inst%2Fsecret@minio.local:9000/instance?region=us-east-1"
	cases := []struct {
		name, bucket, entry string
	}{
		{"an S3-compatible bucket with keys", "s3://AKIATEAM:team%2Fsecret@minio.local:9000/bkt/teams/omega?region=us-east-1",
			"s3://minio.local:9000/bkt/teams/omega?region=us-east-1"},
		{"an AWS bucket with keys", "s3://AKIATEAM:team%2Fsecret@s3.eu-central-1.amazonaws.com/team-bucket/omega",
			"s3://s3.eu-central-1.amazonaws.com/team-bucket/omega?region=eu-central-1"},
		{"an AWS bucket of the ambient identity", "s3://team-bucket", "s3://team-bucket"},
		{"a CoreWeave bucket", "cw://AKIATEAM:team%2Fsecret@cwobject.com/team-cw?region=US-EAST-04A&tls=true",
			"cw://cwobject.com/team-cw?region=US-EAST-04A&tls=true"},
		{"an Azure container with its account key", "az://:dGVhbS9zZWNyZXQ%3D@acct/cont/omega", "az://acct/cont/omega"},
		{"a GCS bucket", "gs://team-gcs/omega", "gs://team-gcs/omega"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t, scope.SelfManaged, instance)
			_, err := e.reg.CreateTeam(context.Background(), "omega", mustParse(t, c.bucket))
			se := wantKind(t, err, scope.ErrNotSupportedStore)
			if !strings.Contains(se.Fix, "GORILLA_SUPPORTED_FILE_STORES") || !strings.Contains(se.Fix, " "+c.entry+" ") {
				t.Errorf("fix = %q, want one naming GORILLA_SUPPORTED_FILE_STORES and the entry %s", se.Fix, c.entry)
			}
			noSecret(t, err.Error(), append(registrySecrets, "dGVhbS9zZWNyZXQ")...)
			if got := e.teams(t); len(got) != 0 {
				t.Fatalf("a refused create wrote %v", got)
			}
			if checks, _ := e.cloud.counts(); checks != 0 {
				t.Fatalf("the bucket was checked before the supported-stores rule refused")
			}

			// Following the fix admits the bucket.
			listed := newEnv(t, scope.SelfManaged, instance, withSupported(t, c.entry))
			if _, err := listed.reg.CreateTeam(context.Background(), "omega", mustParse(t, c.bucket)); err != nil {
				t.Fatalf("with the fix's entry listed, CreateTeam = %v", err)
			}
		})
	}
}

// TestSupportedStoresOtherDeploymentsAndAnyStore: teams on the instance
// bucket need no list; Config.AnyStore lifts the rule for a self-managed
// instance; other deployments keep "an empty list restricts nothing".
func TestSupportedStoresOtherDeploymentsAndAnyStore(t *testing.T) {
	const (
		instance = "s3://ak:sk@minio.local:9000/instance?region=us-east-1"
		bucket   = "s3://ak:sk@minio.local:9000/bkt/teams/omega?region=us-east-1"
	)
	cases := []struct {
		name       string
		deployment scope.Deployment
		opts       []envOption
		storage    string
		kind       error
	}{
		{"self-managed: a team on the instance bucket needs no list", scope.SelfManaged, nil, "", nil},
		{"self-managed with AnyStore: any team bucket", scope.SelfManaged, []envOption{withAnyStore()}, bucket, nil},
		{"self-managed with a list: a listed bucket", scope.SelfManaged, []envOption{withSupported(t, "s3://minio.local:9000/bkt?region=us-east-1")}, bucket, nil},
		{"self-managed without a list: a team bucket", scope.SelfManaged, nil, bucket, scope.ErrNotSupportedStore},
		{"dedicated without a list: any team bucket", scope.Dedicated, nil, bucket, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t, c.deployment, instance, c.opts...)
			var a *address.Address
			if c.storage != "" {
				a = mustParse(t, c.storage)
			}
			_, err := e.reg.CreateTeam(context.Background(), "omega", a)
			if c.kind == nil {
				if err != nil {
					t.Fatalf("CreateTeam: %v", err)
				}
				return
			}
			wantKind(t, err, c.kind)
		})
	}
	c := newFakeCloud()
	stores, _ := address.ParseList("s3://minio.local:9000/bkt?region=us-east-1")
	_, err := scope.New(context.Background(), scope.Config{Deployment: scope.SelfManaged, Instance: mustParse(t, instance),
		SupportedStores: stores, AnyStore: true, Store: scope.NewMemStore(), Open: c.open, Check: c.check})
	wantKind(t, err, scope.ErrInvalid)
}

// TestSupportedStoreEntryPinsTheService: an entry names a bucket on one
// service, and an entry without an endpoint means the provider's own
// service; the same bucket name on another server that speaks the
// protocol is another bucket (issue #7 defect 9).
func TestSupportedStoreEntryPinsTheService(t *testing.T) {
	cases := []supportedCase{
		{"an AWS entry refuses its bucket name on an S3-compatible server", "s3://allowed",
			"s3://ak:sk@minio.evil.example:9000/allowed/teams/a?region=us-east-1", false},
		{"an AWS entry refuses its bucket name in another AWS partition", "s3://allowed",
			"s3://ak:sk@s3.cn-north-1.amazonaws.com.cn/allowed/teams/a", false},
		{"an AWS entry allows its bucket through a regional endpoint", "s3://allowed",
			"s3://ak:sk@s3.eu-west-1.amazonaws.com/allowed/teams/a", true},
		{"a GCS entry refuses its bucket on another endpoint", "gs://gbkt", "gs://gbkt/x?endpoint=https://gcs.evil.example", false},
		{"a GCS entry refuses its bucket on an emulator", "gs://gbkt", "gs://gbkt/x?endpoint=http://127.0.0.1:4443", false},
		{"a GCS entry allows its bucket with Google's endpoint spelled out", "gs://gbkt", "gs://gbkt/x?endpoint=https://storage.googleapis.com", true},
		{"a GCS entry on an endpoint allows only that endpoint", "gs://gbkt?endpoint=https://gcs.corp.example", "gs://gbkt/x", false},
		{"an Azure entry refuses its container on another endpoint", "az://acct/cont", "az://acct/cont/omega?endpoint=https://blob.evil.example", false},
		{"an Azure entry refuses its container on an emulator", "az://acct/cont", "az://acct/cont/omega?endpoint=http://127.0.0.1:10000", false},
		{"an Azure entry allows the account's own endpoint spelled out", "az://acct/cont", "az://acct/cont/omega?endpoint=https://acct.blob.core.windows.net", true},
		{"bare az:// refuses an Azure emulator", "az://", "az://acct/cont?endpoint=http://127.0.0.1:10000", false},
		{"bare gs:// refuses another GCS endpoint", "gs://", "gs://gbkt?endpoint=https://gcs.evil.example", false},
		{"bare gs:// allows Google's own", "gs://", "gs://gbkt", true},
		{"bare cw:// refuses a CoreWeave bucket name on an S3-compatible server", "cw://",
			"s3://ak:sk@minio.evil.example:9000/team-cw?region=US-EAST-04A", false},
		// Without keys, s3://host/bkt would name AWS's bucket "host": an
		// entry spells the default port to name an endpoint.
		{"an S3-compatible entry with the default port allows the host without it", "s3://minio.local:80/bkt?region=us-east-1",
			"s3://ak:sk@minio.local/bkt/omega?region=us-east-1", true},
		{"an S3-compatible entry refuses the same host over https", "s3://minio.local:80/bkt?region=us-east-1",
			"s3://ak:sk@minio.local/bkt/omega?region=us-east-1&tls=true", false},
	}
	runSupportedCases(t, cases)
}

// supportedCase is a team bucket under a supported-stores list, and
// whether a dedicated instance lets a team be created on it.
type supportedCase struct {
	name, list, bucket string
	allowed            bool
}

// runSupportedCases creates team omega on each case's bucket: an allowed
// one is created; a refused one fails with ErrNotSupportedStore, quotes no
// key, writes nothing and is refused before the bucket is checked.
func runSupportedCases(t *testing.T, cases []supportedCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t, scope.Dedicated, "s3://ak:sk@minio.local:9000/instance-bkt?region=us-east-1", withSupported(t, c.list))
			_, err := e.reg.CreateTeam(context.Background(), "omega", mustParse(t, c.bucket))
			if c.allowed {
				if err != nil {
					t.Fatalf("CreateTeam: %v", err)
				}
				return
			}
			wantKind(t, err, scope.ErrNotSupportedStore)
			noSecret(t, err.Error(), "ak:sk")
			if got := e.teams(t); len(got) != 0 {
				t.Fatalf("a refused create wrote %v", got)
			}
			if checks, _ := e.cloud.counts(); checks != 0 {
				t.Fatalf("the bucket was checked before the supported-stores rule refused")
			}
		})
	}
}
