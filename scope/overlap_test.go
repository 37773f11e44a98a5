package scope_test

import (
	"context"
	"strings"
	"testing"

	"github.com/byobkit/byob/address"
	"github.com/byobkit/byob/scope"
)

const (
	minioInstanceTop = "s3://ak:sk@minio.local:9000/bkt?region=us-east-1"
	minioInstanceSub = "s3://ak:sk@minio.local:9000/bkt/instance?region=us-east-1"
	minioOther       = "s3://ak:sk@minio.local:9000/other?region=us-east-1"
)

func minioAt(path string) string {
	return "s3://ak:sk@minio.local:9000/" + path + "?region=us-east-1"
}

type team struct{ name, storage string }

func TestOverlap(t *testing.T) {
	cases := []struct {
		name       string
		deployment scope.Deployment
		instance   string
		existing   []team
		create     team
		other      string // "" when the create must succeed
		relation   string
	}{
		// Accepted topologies.
		{name: "the instance at a sub-path and teams beside it share one bucket", instance: minioInstanceSub,
			existing: []team{{"kappa", minioAt("bkt/teams/kappa")}}, create: team{"omega", minioAt("bkt/teams/omega")}},
		{name: "teams share a bucket under distinct sub-paths", instance: minioOther,
			existing: []team{{"a", minioAt("shared/a")}}, create: team{"b", minioAt("shared/b")}},
		{name: "sub-paths that share a spelling but not a segment", instance: minioOther,
			existing: []team{{"a", minioAt("shared/team")}, {"b", minioAt("shared/x/ab")}}, create: team{"c", minioAt("shared/team2")}},
		{name: "a longer segment beside a shorter one", instance: minioOther,
			existing: []team{{"a", minioAt("shared/x/a")}}, create: team{"b", minioAt("shared/x/ab")}},
		{name: "a bucket of the same name at another provider", instance: minioInstanceTop,
			create: team{"omega", "gs://bkt"}},
		{name: "a bucket of the same name at another S3 endpoint", instance: minioInstanceTop,
			create: team{"omega", "s3://ak:sk@minio2.local:9000/bkt?region=us-east-1"}},
		{name: "file directories beside each other", deployment: scope.Testing, instance: "file:///srv/byob/instance",
			create: team{"omega", "file:///srv/byob/omega"}},

		// Refused: every way two prefixes can coincide or nest.
		{name: "a team sub-path equal to the instance's", instance: minioInstanceSub,
			create: team{"omega", minioInstanceSub}, other: "instance", relation: "the same prefix as"},
		{name: "wandb_artifacts inside an instance at the bucket's top", instance: minioInstanceTop,
			create: team{"omega", minioAt("bkt/wandb_artifacts")}, other: "instance", relation: "inside"},
		{name: "any sub-path of a bucket whose top is the instance's", instance: minioInstanceTop,
			create: team{"omega", minioAt("bkt/teams/omega")}, other: "instance", relation: "inside"},
		{name: "a team inside the instance's sub-path", instance: minioInstanceSub,
			create: team{"omega", minioAt("bkt/instance/omega")}, other: "instance", relation: "inside"},
		{name: "a team at the top of the instance's bucket", instance: minioInstanceSub,
			create: team{"omega", minioAt("bkt")}, other: "instance", relation: "around"},
		{name: "a team at a parent of the instance's sub-path", instance: minioAt("bkt/a/instance"),
			create: team{"omega", minioAt("bkt/a")}, other: "instance", relation: "around"},
		{name: "a team equal to another team", instance: minioOther,
			existing: []team{{"a", minioAt("shared/a")}}, create: team{"b", minioAt("shared/a")}, other: `team "a"`, relation: "the same prefix as"},
		{name: "a team inside another team", instance: minioOther,
			existing: []team{{"a", minioAt("shared/a")}}, create: team{"b", minioAt("shared/a/b")}, other: `team "a"`, relation: "inside"},
		{name: "a team around another team", instance: minioOther,
			existing: []team{{"a", minioAt("shared/a/b")}}, create: team{"b", minioAt("shared/a")}, other: `team "a"`, relation: "around"},
		{name: "a team at the top of another team's bucket", instance: minioOther,
			existing: []team{{"a", minioAt("shared/a")}}, create: team{"b", minioAt("shared")}, other: `team "a"`, relation: "around"},
		{name: "the same bucket with other credentials", instance: minioOther,
			existing: []team{{"a", minioAt("shared/a")}}, create: team{"b", "s3://other:keys@minio.local:9000/shared/a?region=us-east-1"},
			other: `team "a"`, relation: "the same prefix as"},
		{name: "the same AWS bucket through another endpoint", instance: minioOther,
			existing: []team{{"a", "s3://ak:sk@s3.eu-central-1.amazonaws.com/aws-bkt/a"}}, create: team{"b", "s3://aws-bkt/a/b"},
			other: `team "a"`, relation: "inside"},
		{name: "the same CoreWeave bucket through cw:// and s3://", instance: minioOther,
			existing: []team{{"a", "cw://ak:sk@cwobject.com/team-cwbkt/a?region=US-EAST-04A&tls=true"}},
			create:   team{"b", "s3://ak:sk@cwobject.com/team-cwbkt?region=US-EAST-04A&tls=true"}, other: `team "a"`, relation: "around"},
		{name: "the same CoreWeave bucket through cwobject.com and cwlota.com", instance: minioOther,
			existing: []team{{"a", "cw://team-cwbkt.cwobject.com"}}, create: team{"b", "cw://team-cwbkt.cwlota.com"},
			other: `team "a"`, relation: "the same prefix as"},
		{name: "nested file directories", deployment: scope.Testing, instance: "file:///srv/byob",
			create: team{"omega", "file:///srv/byob/teams/omega"}, other: "instance", relation: "inside"},
		{name: "a team in a mem bucket whose top is the instance's", deployment: scope.Testing, instance: "mem://shared",
			create: team{"omega", "mem://shared/omega"}, other: "instance", relation: "inside"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := c.deployment
			if d == "" {
				d = scope.SelfManaged
			}
			e := newEnv(t, d, c.instance, withAnyStore())
			for _, x := range c.existing {
				e.create(t, x.name, x.storage)
			}
			before := e.teams(t)
			_, err := e.reg.CreateTeam(context.Background(), c.create.name, mustParse(t, c.create.storage))
			if c.other == "" {
				if err != nil {
					t.Fatalf("CreateTeam refused a safe topology: %v", err)
				}
				return
			}
			se := wantKind(t, err, scope.ErrOverlap)
			if se.Overlap == nil || se.Overlap.Other != c.other || se.Overlap.Relation != c.relation {
				t.Fatalf("conflict = %+v, want other %s, relation %q", se.Overlap, c.other, c.relation)
			}
			msg := err.Error()
			noSecret(t, msg, "ak:sk", "other:keys")
			if !strings.Contains(msg, c.other) || !strings.Contains(msg, c.create.name) {
				t.Errorf("the error does not name both locations: %s", msg)
			}
			if after := e.teams(t); strings.Join(after, ",") != strings.Join(before, ",") {
				t.Fatalf("a refused create changed the store: %v -> %v", before, after)
			}
		})
	}
}

// TestOverlapErrorNamesPrefixes checks the documented dangerous case's
// message: both locations, both prefixes, no secret.
func TestOverlapErrorNamesPrefixes(t *testing.T) {
	e := newEnv(t, scope.SelfManaged, "s3://AKIAINSTANCE:inst%2Fsecret@minio.local:9000/bkt?region=us-east-1", withAnyStore())
	_, err := e.reg.CreateTeam(context.Background(), "omega", mustParse(t, "s3://AKIATEAM:team%2Fsecret@minio.local:9000/bkt/wandb_artifacts?region=us-east-1"))
	se := wantKind(t, err, scope.ErrOverlap)
	c := se.Overlap
	if c.Prefix != "wandb_artifacts/" || c.OtherPrefix != "" || c.Other != "instance" {
		t.Fatalf("conflict = %+v", c)
	}
	msg := err.Error()
	for _, want := range []string{`"omega"`, `"wandb_artifacts/"`, `"" (the whole bucket)`, "instance", "s3://minio.local:9000/bkt?region=us-east-1"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message lacks %s: %s", want, msg)
		}
	}
	noSecret(t, msg, "AKIAINSTANCE", "AKIATEAM", "inst/secret", "team/secret", "secret")
}

// TestNewRefusesInstanceOverTeams: a changed instance address that now
// covers a team's bucket is refused at start, before any collector runs.
func TestNewRefusesInstanceOverTeams(t *testing.T) {
	store := scope.NewMemStore()
	e := newEnv(t, scope.Testing, "mem://instance", withStore(store))
	e.create(t, "omega", "mem://shared/omega")
	c := newFakeCloud()
	_, err := scope.New(context.Background(), scope.Config{Deployment: scope.Testing, Instance: mustParse(t, "mem://shared"),
		Store: store, Open: c.open, Check: c.check})
	se := wantKind(t, err, scope.ErrOverlap)
	if se.Overlap.Other != "instance" || se.Team != "omega" {
		t.Fatalf("error = %v", err)
	}
}

// TestOverlapOneBucketSpelledTwoWays: one bucket spelled two ways is one
// bucket (address.BucketID), so two teams cannot be given nested prefixes
// in it (issue #7 defect 8). Team a's record is written to the store as a
// server's database might hand it back, spelled by hand; team b is created
// with the canonical spelling.
func TestOverlapOneBucketSpelledTwoWays(t *testing.T) {
	s3 := func(endpoint string, tls bool, path string) *address.Address {
		return &address.Address{Provider: address.S3, Endpoint: endpoint, TLS: tls, Bucket: "bkt", Path: path, Region: "us-east-1"}
	}
	cases := []struct {
		name   string
		stored *address.Address // team a
		create string           // team b
	}{
		{"gs://b/teams/a beside gs://b with Google's endpoint spelled out",
			&address.Address{Provider: address.GCS, Bucket: "bkt-g", Path: "teams/a"},
			"gs://bkt-g?endpoint=https://storage.googleapis.com"},
		{"gs://b with Google's endpoint spelled out beside gs://b/teams/a",
			&address.Address{Provider: address.GCS, Endpoint: "storage.googleapis.com", TLS: true, Bucket: "bkt-g"},
			"gs://bkt-g/teams/a"},
		{"an Azure container with the account's endpoint spelled out",
			&address.Address{Provider: address.Azure, Endpoint: "acct.blob.core.windows.net", TLS: true, Account: "acct", Bucket: "cont"},
			"az://acct/cont/teams/a"},
		{"host beside host:80 over http", s3("minio.local:80", false, ""), "s3://ak:sk@minio.local/bkt/teams/a?region=us-east-1"},
		{"host:80 beside host over http", s3("minio.local", false, "teams/a"), "s3://ak:sk@minio.local:80/bkt?region=us-east-1"},
		{"host beside host:443 over https", s3("minio.local:443", true, ""), "s3://ak:sk@minio.local/bkt/teams/a?region=us-east-1&tls=true"},
		{"IPv6 in long form beside its short form", s3("[fd00:0:0:0:0:0:0:1]:9000", false, ""), "s3://ak:sk@[fd00::1]:9000/bkt/teams/a?region=us-east-1"},
		{"a host name in another case", s3("MINIO.Local:9000", false, ""), "s3://ak:sk@minio.local:9000/bkt/teams/a?region=us-east-1"},
		{"a host name with a trailing dot", s3("minio.local.:9000", false, ""), "s3://ak:sk@minio.local:9000/bkt/teams/a?region=us-east-1"},
		{"an AWS bucket through a regional endpoint and none", &address.Address{Provider: address.S3, Endpoint: "s3.eu-central-1.amazonaws.com", TLS: true,
			Bucket: "aws-bkt", Region: "eu-central-1"}, "s3://aws-bkt/teams/a"},
		{"CoreWeave through cwobject.com and coreweave.com", &address.Address{Provider: address.CoreWeave, Endpoint: "cwobject.com", TLS: true,
			Bucket: "team-cwbkt", Region: "US-EAST-04A"}, "cw://ak:sk@coreweave.com/team-cwbkt/teams/a?region=US-EAST-04A&tls=true"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t, scope.Dedicated, minioOther)
			if err := e.store.Create(context.Background(), scope.Record{Team: "a", Storage: c.stored}, func([]scope.Record) error { return nil }); err != nil {
				t.Fatal(err)
			}
			before := e.teams(t)
			_, err := e.reg.CreateTeam(context.Background(), "b", mustParse(t, c.create))
			se := wantKind(t, err, scope.ErrOverlap)
			if se.Overlap.Other != `team "a"` {
				t.Fatalf("conflict = %+v, want one with team a", se.Overlap)
			}
			if after := e.teams(t); strings.Join(after, ",") != strings.Join(before, ",") {
				t.Fatalf("a refused create changed the store: %v -> %v", before, after)
			}
		})
	}
	// The instance's bucket spelled another way is the instance's bucket.
	e := newEnv(t, scope.Dedicated, "gs://bkt-g?endpoint=https://storage.googleapis.com")
	_, err := e.reg.CreateTeam(context.Background(), "omega", mustParse(t, "gs://bkt-g/teams/omega"))
	if se := wantKind(t, err, scope.ErrOverlap); se.Overlap.Other != "instance" {
		t.Fatalf("conflict = %+v, want one with the instance", se.Overlap)
	}
}
