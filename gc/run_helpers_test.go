package gc

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/byobkit/byob/address"
	"github.com/byobkit/byob/provider"
	"github.com/byobkit/byob/scope"
	"gocloud.dev/blob"
)

// runEnv is a location, a server model and a journal for Run's tests.
type runEnv struct {
	t       *testing.T
	loc     *scope.Location
	server  *MemServer
	journal *syncBuffer
	dir     string    // file:// only: the bucket's directory
	now     time.Time // the run's clock: well past every object's ModTime
}

// openLocation opens the instance location of url through a registry.
func openLocation(t *testing.T, url string, opts ...provider.Option) *scope.Location {
	t.Helper()
	a, err := address.Parse(url)
	if err != nil {
		t.Fatal(err)
	}
	return openAddress(t, a, scope.ProviderOpen(opts...))
}

func openAddress(t *testing.T, a *address.Address, open scope.OpenFunc) *scope.Location {
	t.Helper()
	ctx := context.Background()
	d := scope.SelfManaged // every provider at instance level
	if f := a.Flavor(); f == address.FlavorFile || f == address.FlavorMem {
		d = scope.Testing
	}
	reg, err := scope.New(ctx, scope.Config{Deployment: d, Instance: a, Store: scope.NewMemStore(),
		Open: open, Check: func(context.Context, *address.Address) ([]string, error) { return nil, nil }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { reg.Close() })
	loc, err := reg.Instance()
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func randomName(t testing.TB) string {
	var b [4]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b[:])
}

// memEnv is a fresh mem:// bucket, rooted at a sub-path.
func memEnv(t *testing.T) *runEnv {
	t.Helper()
	return &runEnv{t: t, loc: openLocation(t, "mem://gc-run-"+randomName(t)+"/team/sub"), server: NewMemServer(pfx),
		journal: &syncBuffer{}, now: time.Now().Add(DefaultMinAge + time.Hour)}
}

// fileEnv is a fresh file:// bucket.
func fileEnv(t *testing.T) *runEnv {
	t.Helper()
	dir := t.TempDir()
	return &runEnv{t: t, loc: openLocation(t, "file://"+dir), server: NewMemServer(pfx), dir: dir,
		journal: &syncBuffer{}, now: time.Now().Add(DefaultMinAge + time.Hour)}
}

// envs are the kinds of bucket the table tests run on.
var envs = []struct {
	name string
	new  func(t *testing.T) *runEnv
}{{"mem", memEnv}, {"file", fileEnv}}

// opts are options for a full run of e: its journal and clock, forced
// (mem and file keep no versions).
func (e *runEnv) opts() Options {
	return Options{Journal: e.journal, Now: func() time.Time { return e.now }, Force: true}
}

// upload writes each key (its name as content) and records it as an
// upload of version.
func (e *runEnv) upload(version string, ks ...string) {
	e.t.Helper()
	for _, k := range ks {
		if err := e.server.Upload(version, k); err != nil {
			e.t.Fatal(err)
		}
		e.write(k)
	}
}

func (e *runEnv) write(ks ...string) {
	e.t.Helper()
	for _, k := range ks {
		if err := e.loc.Bucket().WriteAll(context.Background(), k, []byte(k), nil); err != nil {
			e.t.Fatalf("write %q: %v", k, err)
		}
	}
}

// age sets a file:// object's modification time (file:// only).
func (e *runEnv) age(key string, mt time.Time) {
	e.t.Helper()
	if e.dir == "" {
		e.t.Fatal("age needs a file:// bucket")
	}
	if err := os.Chtimes(filepath.Join(e.dir, filepath.FromSlash(key)), mt, mt); err != nil {
		e.t.Fatal(err)
	}
}

// must runs ops of the server model, failing the test on an error.
func (e *runEnv) must(errs ...error) {
	e.t.Helper()
	for _, err := range errs {
		if err != nil {
			e.t.Fatal(err)
		}
	}
}

// keys lists every key of the location's bucket.
func (e *runEnv) keys() []string {
	e.t.Helper()
	return bucketKeys(e.t, e.loc.Bucket())
}

func bucketKeys(t *testing.T, b *blob.Bucket) []string {
	t.Helper()
	var out []string
	it := b.List(nil)
	for {
		o, err := it.Next(context.Background())
		if err != nil {
			break
		}
		out = append(out, o.Key)
	}
	slices.Sort(out)
	return out
}

// records reads e's journal, failing on any bad line.
func (e *runEnv) records() []JournalRecord {
	e.t.Helper()
	recs, errs := readAllRecords(e.t, bytes.NewReader(e.journal.Bytes()))
	if len(errs) > 0 {
		e.t.Fatalf("journal: %v", errs)
	}
	return recs
}

// intended is every key of every intent record in recs.
func intended(recs []JournalRecord) map[string]bool {
	out := map[string]bool{}
	for _, r := range recs {
		if r.Rec == RecIntent {
			for _, o := range r.Objects {
				out[o.Key] = true
			}
		}
	}
	return out
}

// recKinds is the rec field of each record.
func recKinds(recs []JournalRecord) []string {
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = r.Rec
	}
	return out
}

// without returns all minus the given keys.
func without(all []string, minus ...string) []string {
	return slices.DeleteFunc(slices.Clone(all), func(k string) bool { return slices.Contains(minus, k) })
}

func sorted(ks ...string) []string {
	return slices.Sorted(slices.Values(ks))
}

// hasLine reports whether some line of s contains every part.
func hasLine(s string, parts ...string) bool {
	for l := range strings.Lines(s) {
		ok := true
		for _, p := range parts {
			ok = ok && strings.Contains(l, p)
		}
		if ok {
			return true
		}
	}
	return false
}
