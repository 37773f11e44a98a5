package scope_test

import (
	"context"
	"testing"

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
	cases := []struct {
		name, list, bucket string
		allowed            bool
	}{
		{"an empty list restricts nothing", "", minio, true},
		{"bare cw:// allows a CoreWeave bucket", "cw://", cwBucket, true},
		{"bare cw:// allows s3:// to a CoreWeave endpoint", "cw://", cwOverS3, true},
		{"bare cw:// allows CoreWeave's LOTA endpoint", "cw://", cwLota, true},
		{"bare cw:// refuses AWS", "cw://", awsBucket, false},
		{"bare cw:// refuses GCS", "cw://", gcs, false},
		{"bare s3:// allows AWS", "s3://", awsBucket, true},
		{"bare s3:// allows an S3-compatible store", "s3://", minio, true},
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
