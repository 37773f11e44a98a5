//go:build unix

package scope_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/byobkit/byob/address"
	"github.com/byobkit/byob/scope"
	"github.com/byobkit/byob/scope/storetest"
)

func TestFileStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) scope.Store { return openFileStore(t, filepath.Join(t.TempDir(), "teams.json")) })
}

func openFileStore(t testing.TB, path string) *scope.FileStore {
	t.Helper()
	s, err := scope.OpenFileStore(path)
	if err != nil {
		t.Fatalf("OpenFileStore: %v", err)
	}
	return s
}

const secretTeamBucket = "s3://AKIAFILESTORE:fs%2Fsecret%2Bkey@minio.local:9000/bkt/teams/omega?region=us-east-1"

var fileSecrets = []string{"AKIAFILESTORE", "fs/secret+key", "fs%2Fsecret"}

func TestFileStoreFileIsPrivate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "teams.json")
	s := openFileStore(t, path)
	a := mustParse(t, secretTeamBucket)
	err := s.Create(context.Background(), scope.Record{Team: "omega", Storage: a.WithoutCredentials(), Credentials: a.Credentials()},
		func([]scope.Record) error { return nil })
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	for _, p := range []string{path, path + ".lock"} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatalf("stat: %v", err)
		}
		if perm := fi.Mode().Perm(); perm != 0o600 {
			t.Errorf("%s has mode %o, want 600", filepath.Base(p), perm)
		}
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), "AKIAFILESTORE") {
		t.Errorf("the file does not keep the credentials, so the team's bucket could not be opened after a restart")
	}
	leftovers, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".teams.json.tmp-*"))
	if len(leftovers) != 0 {
		t.Errorf("temporary files left behind: %v", leftovers)
	}
}

// TestFileStoreReadsVersion1: a file written before credentials were kept
// apart (version 1: each storage URL with its keys) loads with the keys
// apart, and the next change rewrites it as version 2 without losing them.
func TestFileStoreReadsVersion1(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "teams.json")
	v1 := `{"version":1,"teams":[{"team":"kappa"},{"team":"omega","storage":"` + secretTeamBucket + `"}]}`
	if err := os.WriteFile(path, []byte(v1), 0o600); err != nil {
		t.Fatal(err)
	}
	s := openFileStore(t, path)
	want := mustParse(t, secretTeamBucket)
	check := func(when string) {
		t.Helper()
		rec, err := s.Get(ctx, "omega")
		if err != nil {
			t.Fatalf("%s: %v", when, err)
		}
		if rec.Storage.HasCredentials() || rec.Storage.URL() != want.WithoutCredentials().URL() || rec.Credentials != want.Credentials() {
			t.Fatalf("%s: omega = %v, want its storage without keys and the keys apart", when, rec)
		}
	}
	check("version 1")
	if err := s.Create(ctx, scope.Record{Team: "sigma"}, func([]scope.Record) error { return nil }); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var ff struct {
		Version int
		Teams   []struct{ Team, Storage string }
	}
	if err := json.Unmarshal(data, &ff); err != nil || ff.Version != 2 {
		t.Fatalf("rewritten file: version %d, %v; want version 2", ff.Version, err)
	}
	for _, tm := range ff.Teams {
		if strings.Contains(tm.Storage, "AKIAFILESTORE") {
			t.Errorf("version 2 keeps a key inside the storage URL of %s", tm.Team)
		}
	}
	check("rewritten as version 2")
	if got, _ := s.List(ctx); len(got) != 3 {
		t.Fatalf("%d records after the rewrite, want 3", len(got))
	}
}

func TestFileStoreRefusesExposedFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "teams.json")
	content := `{"version":1,"teams":[{"team":"omega","storage":"` + secretTeamBucket + `"}]}`
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	// WriteFile's mode passes through the umask (077 would make it 0600).
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := scope.OpenFileStore(path)
	e := wantKind(t, err, scope.ErrStore)
	if !strings.Contains(e.Fix, "chmod 600") {
		t.Errorf("fix = %q, want chmod 600", e.Fix)
	}
	noSecret(t, err.Error(), fileSecrets...)
}

func TestFileStoreNeverRewritesAFileItCannotRead(t *testing.T) {
	cases := []struct {
		name    string
		content string
	}{
		{"truncated JSON", `{"version":1,"teams":[{"team":"omega","storage":"` + secretTeamBucket},
		{"future version", `{"version":3,"teams":[]}`},
		{"version 2 with credentials inside the storage address", `{"version":2,"teams":[{"team":"omega","storage":"` + secretTeamBucket + `"}]}`},
		{"version 1 with credential fields", `{"version":1,"teams":[{"team":"omega","storage":"s3://minio.local:9000/bkt?region=us-east-1","secret":"fs/secret+key"}]}`},
		{"credentials without storage", `{"version":2,"teams":[{"team":"omega","access_key":"AKIAFILESTORE","secret":"fs/secret+key"}]}`},
		{"unknown field", `{"version":1,"teams":[],"extra":true}`},
		{"repeated team", `{"version":1,"teams":[{"team":"a"},{"team":"a"}]}`},
		{"bad team name", `{"version":1,"teams":[{"team":"../a"}]}`},
		{"unparsable address", `{"version":1,"teams":[{"team":"a","storage":"s3://AKIAFILESTORE:fs/secret+key@host/bkt"}]}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "teams.json")
			// Written after a successful open, as a concurrent corruption would be.
			s := openFileStore(t, path)
			if err := os.WriteFile(path, []byte(c.content), 0o600); err != nil {
				t.Fatal(err)
			}
			err := s.Create(context.Background(), scope.Record{Team: "kappa"}, func([]scope.Record) error { return nil })
			wantKind(t, err, scope.ErrStore)
			noSecret(t, err.Error(), fileSecrets...)
			after, _ := os.ReadFile(path)
			if string(after) != c.content {
				t.Fatalf("the file was rewritten: %q", after)
			}
			if _, err := scope.OpenFileStore(path); !errors.Is(err, scope.ErrStore) {
				t.Fatalf("OpenFileStore = %v, want ErrStore", err)
			}
		})
	}
}

// TestFileStoreContextEndingDuringAChangeWritesNothing: a context that
// ends while a change is validated ends the change before the file is
// written, for every change the store makes.
func TestFileStoreContextEndingDuringAChangeWritesNothing(t *testing.T) {
	a := mustParse(t, secretTeamBucket)
	cases := []struct {
		name   string
		change func(ctx context.Context, s *scope.FileStore, cancel func()) error
	}{
		{"Create", func(ctx context.Context, s *scope.FileStore, cancel func()) error {
			return s.Create(ctx, scope.Record{Team: "kappa"}, func([]scope.Record) error { cancel(); return nil })
		}},
		{"SetCredentials", func(ctx context.Context, s *scope.FileStore, cancel func()) error {
			c := address.Credentials{AccessKey: "AKIANEWFILESTORE", Secret: "new/secret+key"}
			return s.SetCredentials(ctx, "omega", c, func(scope.Record) error { cancel(); return nil })
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "teams.json")
			s := openFileStore(t, path)
			omega := scope.Record{Team: "omega", Storage: a.WithoutCredentials(), Credentials: a.Credentials()}
			if err := s.Create(context.Background(), omega, func([]scope.Record) error { return nil }); err != nil {
				t.Fatalf("Create: %v", err)
			}
			before, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if err := c.change(ctx, s, cancel); !errors.Is(err, context.Canceled) {
				t.Fatalf("%s = %v, want context.Canceled", c.name, err)
			}
			if after, _ := os.ReadFile(path); !bytes.Equal(after, before) {
				t.Fatalf("%s wrote the file after its context ended", c.name)
			}
		})
	}
}

func TestFileStoreMissingDirectory(t *testing.T) {
	_, err := scope.OpenFileStore(filepath.Join(t.TempDir(), "no", "such", "teams.json"))
	wantKind(t, err, scope.ErrStore)
}

// TestImmutableAcrossRestart creates teams, "restarts" (a new FileStore and
// registry on the same file) and tries to change their storage.
func TestImmutableAcrossRestart(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "teams.json")
	cloud := newFakeCloud()
	open := func() *scope.Registry {
		reg, err := scope.New(ctx, scope.Config{Deployment: scope.SelfManaged, Instance: mustParse(t, "s3://ak:sk@minio.local:9000/bkt/instance?region=us-east-1"),
			AnyStore: true, Store: openFileStore(t, path), Open: cloud.open, Check: cloud.check})
		if err != nil {
			t.Fatalf("scope.New: %v", err)
		}
		return reg
	}
	reg := open()
	if _, err := reg.CreateTeam(ctx, "kappa", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := reg.CreateTeam(ctx, "omega", mustParse(t, secretTeamBucket)); err != nil {
		t.Fatal(err)
	}
	l, err := reg.Location(ctx, "omega")
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Bucket().WriteAll(ctx, "omega/p/r/file.txt", []byte("omega's data"), nil); err != nil {
		t.Fatal(err)
	}
	if err := reg.Close(); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(path)

	reg = open() // the restart
	defer reg.Close()
	attempts := []struct {
		name string
		try  func() error
		kind error
	}{
		{"create omega again with another bucket", func() error {
			_, err := reg.CreateTeam(ctx, "omega", mustParse(t, "s3://ak:sk@minio.local:9000/other?region=us-east-1"))
			return err
		}, scope.ErrImmutable},
		{"create omega again on the instance bucket", func() error { _, err := reg.CreateTeam(ctx, "omega", nil); return err }, scope.ErrImmutable},
		{"give kappa a team bucket", func() error {
			_, err := reg.CreateTeam(ctx, "kappa", mustParse(t, "s3://ak:sk@minio.local:9000/kappa?region=us-east-1"))
			return err
		}, scope.ErrImmutable},
		{"rotate kappa's credentials, which are the instance's", func() error {
			_, err := reg.RotateCredentials(ctx, "kappa", mustParse(t, "s3://ak:sk@minio.local:9000/kappa?region=us-east-1"))
			return err
		}, scope.ErrNoTeamBucket},
		{"rotate omega's credentials to another bucket", func() error {
			_, err := reg.RotateCredentials(ctx, "omega", mustParse(t, "s3://AKIAFILESTORE:fs%2Fsecret%2Bkey@minio.local:9000/bkt/teams/omega2?region=us-east-1"))
			return err
		}, scope.ErrImmutable},
		{"create omega again, same bucket", func() error { _, err := reg.CreateTeam(ctx, "omega", mustParse(t, secretTeamBucket)); return err }, scope.ErrExists},
	}
	for _, a := range attempts {
		err := a.try()
		wantKind(t, err, a.kind)
		noSecret(t, err.Error(), fileSecrets...)
	}
	after, _ := os.ReadFile(path)
	if !bytes.Equal(before, after) {
		t.Fatalf("the store file changed:\nbefore %s\nafter  %s", before, after)
	}
	l, err = reg.Location(ctx, "omega")
	if err != nil {
		t.Fatal(err)
	}
	if got := l.Address(); got.URL() != mustParse(t, secretTeamBucket).URL() {
		t.Fatalf("omega's storage after restart = %v", &got)
	}
	data, err := l.Bucket().ReadAll(ctx, "omega/p/r/file.txt")
	if err != nil || string(data) != "omega's data" {
		t.Fatalf("omega's file after restart = %q, %v", data, err)
	}
}

// The helper process for TestFileStoreConcurrentProcesses: it creates
// teams in the store named by the environment and prints one line per team.
const helperEnv = "BYOB_SCOPE_FILESTORE_HELPER"

func TestFileStoreHelperProcess(t *testing.T) {
	spec := os.Getenv(helperEnv)
	if spec == "" {
		t.Skip("helper process for TestFileStoreConcurrentProcesses")
	}
	path, id, _ := strings.Cut(spec, ",")
	cloud := newFakeCloud()
	reg, err := scope.New(context.Background(), scope.Config{Deployment: scope.Testing, Instance: mustParse(t, "mem://instance"),
		Store: openFileStore(t, path), Open: cloud.open, Check: cloud.check})
	if err != nil {
		t.Fatal(err)
	}
	defer reg.Close()
	for i := range 5 {
		team := fmt.Sprintf("p%s-%d", id, i)
		_, err := reg.CreateTeam(context.Background(), team, mustParse(t, "mem://shared/"+team))
		fmt.Printf("result %s %v\n", team, err == nil)
		if err != nil {
			t.Errorf("create %s: %v", team, err)
		}
	}
	// Every process races for the same sub-path: one may win.
	_, err = reg.CreateTeam(context.Background(), "race-"+id, mustParse(t, "mem://shared/contested"))
	fmt.Printf("race %s %v\n", id, err == nil)
	if err != nil && !errors.Is(err, scope.ErrOverlap) {
		t.Errorf("race: %v", err)
	}
}

func TestFileStoreConcurrentProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "teams.json")
	const procs = 4
	cmds := make([]*exec.Cmd, procs)
	outs := make([]bytes.Buffer, procs)
	for i := range procs {
		cmds[i] = exec.Command(exe, "-test.run=^TestFileStoreHelperProcess$", "-test.count=1")
		cmds[i].Env = append(os.Environ(), helperEnv+"="+path+","+strconv.Itoa(i))
		cmds[i].Stdout, cmds[i].Stderr = &outs[i], &outs[i]
		if err := cmds[i].Start(); err != nil {
			t.Fatal(err)
		}
	}
	for i, c := range cmds {
		if err := c.Wait(); err != nil {
			t.Fatalf("helper %d: %v\n%s", i, err, outs[i].String())
		}
	}
	raceWins := 0
	for i := range procs {
		raceWins += strings.Count(outs[i].String(), fmt.Sprintf("race %d true", i))
	}
	recs, err := openFileStore(t, path).List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, r := range recs {
		names = append(names, r.Team)
	}
	var want []string
	for i := range procs {
		for j := range 5 {
			want = append(want, fmt.Sprintf("p%d-%d", i, j))
		}
	}
	slices.Sort(names)
	if raceWins != 1 {
		t.Errorf("%d processes won the race for one sub-path, want 1", raceWins)
	}
	names = slices.DeleteFunc(names, func(n string) bool { return strings.HasPrefix(n, "race-") })
	if !slices.Equal(names, want) {
		t.Fatalf("stored teams = %v\nwant %v", names, want)
	}
	if len(recs) != len(want)+1 {
		t.Fatalf("%d records, want %d (one race winner)", len(recs), len(want)+1)
	}
}
