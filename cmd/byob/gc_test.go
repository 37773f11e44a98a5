package main

import (
	"context"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/byobkit/byob/address"
	"github.com/byobkit/byob/gc"
	"github.com/byobkit/byob/scope"
)

// gcFixture is a bucket and the manifest directory of its server: v1
// committed (a, b), v2 committed then deleted (c, and a deduplication of
// a), v3 pending (d, in flight), and a stray file no manifest names
// (under group 2, so that it falls in the other shard of two).
type gcFixture struct {
	addr      string
	loc       *scope.Location
	manifests string
	live      []string // a, b, d
	garbage   []string // c, stray
	data      map[string]string
}

func fileKey(group, birth, content string) (string, gc.Entry) {
	sum := md5.Sum([]byte(content))
	e := gc.Entry{Path: content + ".txt", Digest: base64.StdEncoding.EncodeToString(sum[:]), BirthArtifactID: birth, Size: int64(len(content))}
	return gc.DefaultDataPrefix + group + "/" + birth + "/" + hex.EncodeToString(sum[:]), e
}

// newGCFixture builds the fixture on a file:// bucket (kind "file") or a
// mem:// one (kind "mem").
func newGCFixture(t *testing.T, kind string) *gcFixture {
	t.Helper()
	if kind == "file" {
		return newGCFixtureAt(t, (&address.Address{Provider: address.File, Bucket: filepath.ToSlash(t.TempDir())}).URL())
	}
	return newGCFixtureAt(t, "mem://gc-"+strings.ToLower(regexp.MustCompile(`[^A-Za-z0-9]+`).ReplaceAllString(t.Name(), "-")))
}

// newGCFixtureAt builds the fixture in the bucket at addr.
func newGCFixtureAt(t *testing.T, addr string) *gcFixture {
	t.Helper()
	ctx := context.Background()
	f := &gcFixture{addr: addr, manifests: t.TempDir(), data: map[string]string{}}
	a, err := address.Parse(f.addr)
	if err != nil {
		t.Fatal(err)
	}
	reg, loc, err := openLocation(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { reg.Close() })
	f.loc = loc
	d, err := gc.OpenManifestDir(f.manifests, gc.DirOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ka, ea := fileKey("1", "v1", "alpha")
	kb, eb := fileKey("1", "v1", "beta")
	kc, ec := fileKey("1", "v2", "gamma")
	kd, ed := fileKey("1", "v3", "delta")
	ks, _ := fileKey("2", "v0", "stray")
	for _, err := range []error{
		d.Upload(ctx, "1", "v1", ea), d.Upload(ctx, "1", "v1", eb), d.Commit(ctx, "1", "v1"),
		d.Upload(ctx, "1", "v2", ec), d.Reuse(ctx, "1", "v2", ea), d.Commit(ctx, "1", "v2"), d.Delete(ctx, "1", "v2"),
		d.Upload(ctx, "1", "v3", ed),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	f.live, f.garbage = []string{ka, kb, kd}, []string{kc, ks}
	for _, k := range append(slices.Clone(f.live), f.garbage...) {
		f.data[k] = "content of " + k
		if err := loc.Bucket().WriteAll(ctx, k, []byte(f.data[k]), nil); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

// present returns the fixture's keys that exist, live and garbage.
func (f *gcFixture) present(t *testing.T) (live, garbage []string) {
	t.Helper()
	for _, set := range []struct {
		keys []string
		into *[]string
	}{{f.live, &live}, {f.garbage, &garbage}} {
		for _, k := range set.keys {
			got, err := f.loc.Bucket().ReadAll(context.Background(), k)
			if err == nil {
				if string(got) != f.data[k] {
					t.Fatalf("%s holds %q, want %q", k, got, f.data[k])
				}
				*set.into = append(*set.into, k)
			}
		}
	}
	return live, garbage
}

// later is a clock three days ahead: the fixture's files are past the
// 48 h grace period.
var later = gcHooks{now: func() time.Time { return time.Now().Add(72 * time.Hour) }}

type cmdResult struct {
	code           int
	stdout, stderr string
}

func runGCCmd(t *testing.T, ctx context.Context, hooks gcHooks, env map[string]string, args ...string) cmdResult {
	t.Helper()
	var out, errOut strings.Builder
	c := cli{stdout: &out, stderr: &errOut, getenv: func(k string) string { return env[k] }}
	code := c.gc(ctx, args, hooks)
	return cmdResult{code, out.String(), errOut.String()}
}

// runRestoreCmd runs byob restore, allowing for runs that the later
// clock moved ahead.
func runRestoreCmd(t *testing.T, args ...string) cmdResult {
	t.Helper()
	var out, errOut strings.Builder
	c := cli{stdout: &out, stderr: &errOut, getenv: func(string) string { return "" }}
	code := c.restore(context.Background(), args, restoreHooks{clockSkew: 73 * time.Hour})
	return cmdResult{code, out.String(), errOut.String()}
}

// squash puts one space between words, so that checks do not depend on
// the summary table's column widths.
func squash(s string) string { return strings.Join(strings.Fields(s), " ") }

// TestGCCommand: every flag and exit status of byob gc, on file:// and
// mem://, which keep no versions.
func TestGCCommand(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name    string
		args    func(t *testing.T, f *gcFixture) []string // after the address
		hooks   gcHooks
		env     map[string]string
		code    int
		stdout  []string // substrings
		stderr  []string
		gone    bool // the garbage was collected (else: nothing was deleted, unless partial)
		partial bool // some of the garbage was collected
		trash   bool // and moved into byob-trash/
	}{
		{name: "refused without --trash or --force, with the fix", hooks: later, code: 2,
			args:   func(t *testing.T, f *gcFixture) []string { return []string{"--manifests", f.manifests} },
			stderr: []string{"byob gc: refused: ", "keeps no versions", "fix: add --trash byob-trash/", "--force"}},
		{name: "a dry run deletes and claims nothing", hooks: later, code: 0,
			args:   func(t *testing.T, f *gcFixture) []string { return []string{"--manifests", f.manifests, "--dry-run"} },
			stdout: []string{"(dry run: nothing deleted, nothing claimed)", "would delete     2", "live     3", "kept on claim     0", "ok\n"}},
		{name: "a dry run within the grace period keeps everything as too young", code: 0,
			args:   func(t *testing.T, f *gcFixture) []string { return []string{"--manifests", f.manifests, "--dry-run"} },
			stdout: []string{"too young     2", "would delete     0"}},
		{name: "--trash moves the garbage aside and prints how to undo", hooks: later, code: 0, gone: true, trash: true,
			args: func(t *testing.T, f *gcFixture) []string {
				return []string{"--manifests", f.manifests, "--trash", "byob-trash/"}
			},
			stdout: []string{"deleted     2", "mode:     trash", "undo:     byob restore ", "--journal ", ".byob-gc-journal.jsonl"}},
		{name: "--force deletes for good", hooks: later, code: 0, gone: true,
			args:   func(t *testing.T, f *gcFixture) []string { return []string{"--manifests", f.manifests, "--force"} },
			stdout: []string{"deleted     2", "mode:     none"}},
		{name: "--min-age shorter than the files' age collects them", code: 0, gone: true,
			hooks: gcHooks{now: func() time.Time { return time.Now().Add(30 * time.Hour) }},
			args: func(t *testing.T, f *gcFixture) []string {
				return []string{"--manifests", f.manifests, "--trash", "byob-trash/", "--min-age", "25h"}
			}, trash: true},
		{name: "--min-age below 1h is refused without --force", hooks: later, code: 2,
			args: func(t *testing.T, f *gcFixture) []string {
				return []string{"--manifests", f.manifests, "--trash", "byob-trash/", "--min-age", "30m"}
			}, stderr: []string{"--min-age 30m0s is below 1h0m0s", "--force"}},
		{name: "--min-age below the PUT expiry is refused even with --force", hooks: later, code: 2,
			args: func(t *testing.T, f *gcFixture) []string {
				return []string{"--manifests", f.manifests, "--trash", "byob-trash/", "--min-age", "2h", "--force"}
			}, stderr: []string{"--min-age 2h0m0s is below --upload-expiry+ClockSkew", "--upload-expiry if the server really issues shorter PUT URLs"}},
		{name: "--upload-expiry lowers the floor for a short --min-age", hooks: gcHooks{now: func() time.Time { return time.Now().Add(3 * time.Hour) }}, code: 0, gone: true, trash: true,
			args: func(t *testing.T, f *gcFixture) []string {
				return []string{"--manifests", f.manifests, "--trash", "byob-trash/", "--min-age", "2h", "--upload-expiry", "1h"}
			}},
		{name: "--min-age that is not a duration", code: 2,
			args: func(t *testing.T, f *gcFixture) []string {
				return []string{"--manifests", f.manifests, "--min-age", "two days"}
			},
			stderr: []string{`--min-age "two days" is not a positive duration; fix: write a Go duration such as --min-age 72h`}},
		{name: "--upload-expiry that is negative", code: 2,
			args: func(t *testing.T, f *gcFixture) []string {
				return []string{"--manifests", f.manifests, "--upload-expiry", "-1h"}
			},
			stderr: []string{"--upload-expiry \"-1h\" is not a positive duration"}},
		{name: "--trash inside the data prefix", hooks: later, code: 2,
			args: func(t *testing.T, f *gcFixture) []string {
				return []string{"--manifests", f.manifests, "--trash", "wandb_artifacts/trash/"}
			},
			stderr: []string{"--trash \"wandb_artifacts/trash/\" overlaps the data prefix"}},
		{name: "--trash without a trailing slash", hooks: later, code: 2,
			args: func(t *testing.T, f *gcFixture) []string {
				return []string{"--manifests", f.manifests, "--trash", "byob-trash"}
			},
			stderr: []string{"does not end in \"/\""}},
		{name: "--data-prefix elsewhere finds nothing of the fixture", hooks: later, code: 0,
			args: func(t *testing.T, f *gcFixture) []string {
				return []string{"--manifests", f.manifests, "--trash", "byob-trash/", "--data-prefix", "other/"}
			}, stdout: []string{"scanned     0"}},
		{name: "--data-prefix without a trailing slash", hooks: later, code: 2,
			args: func(t *testing.T, f *gcFixture) []string {
				return []string{"--manifests", f.manifests, "--dry-run", "--data-prefix", "other"}
			},
			stderr: []string{"byob gc: "}},
		{name: "--refs-under keeps the target of a reference into the bucket", hooks: later, code: 0,
			args: func(t *testing.T, f *gcFixture) []string {
				ref(t, f, "s3://bkt/team/"+f.garbage[0])
				return []string{"--manifests", f.manifests, "--trash", "byob-trash/", "--refs-under", "s3://bkt/team/"}
			}, stdout: []string{"live 4", "deleted 1"}, partial: true},
		{name: "--batch 1 claims and deletes one key at a time", hooks: later, code: 0, gone: true, trash: true,
			args: func(t *testing.T, f *gcFixture) []string {
				return []string{"--manifests", f.manifests, "--trash", "byob-trash/", "--batch", "1"}
			}, stdout: []string{"deleted 2", "requests 2"}},
		{name: "--batch that is negative", code: 2,
			args: func(t *testing.T, f *gcFixture) []string {
				return []string{"--manifests", f.manifests, "--batch", "-1"}
			},
			stderr: []string{"--batch -1 is not between 1 and 1000000"}},
		{name: "--skip-uploads", hooks: later, code: 0, gone: true, trash: true,
			args: func(t *testing.T, f *gcFixture) []string {
				return []string{"--manifests", f.manifests, "--trash", "byob-trash/", "--skip-uploads"}
			}},
		{name: "--shard 1/2 collects the half of group 1 only", hooks: later, code: 0,
			args: func(t *testing.T, f *gcFixture) []string {
				return []string{"--manifests", f.manifests, "--trash", "byob-trash/", "--shard", "1/2"}
			}, stdout: []string{"deleted     1", "shard:    1/2"}, partial: true},
		{name: "--shard job/2 reads the index from JOB_COMPLETION_INDEX", hooks: later, code: 0,
			env: map[string]string{"JOB_COMPLETION_INDEX": "0"},
			args: func(t *testing.T, f *gcFixture) []string {
				return []string{"--manifests", f.manifests, "--trash", "byob-trash/", "--shard", "job/2"}
			}, stdout: []string{"deleted     1", "shard:    0/2"}, partial: true},
		{name: "--shard job/2 outside a Job", code: 2,
			args: func(t *testing.T, f *gcFixture) []string {
				return []string{"--manifests", f.manifests, "--shard", "job/2"}
			},
			stderr: []string{"JOB_COMPLETION_INDEX is not set", "fix: "}},
		{name: "--shard out of range", code: 2,
			args: func(t *testing.T, f *gcFixture) []string {
				return []string{"--manifests", f.manifests, "--shard", "2/2"}
			},
			stderr: []string{`--shard "2/2": shard index 2 is not between 0 and 1`}},
		{name: "--shard that is not i/N", code: 2,
			args: func(t *testing.T, f *gcFixture) []string {
				return []string{"--manifests", f.manifests, "--shard", "half"}
			},
			stderr: []string{`--shard "half"`, "write --shard i/N"}},
		{name: "no --manifests", code: 2,
			args:   func(t *testing.T, f *gcFixture) []string { return nil },
			stderr: []string{"no --manifests directory; fix: "}},
		{name: "--manifests that does not exist", code: 2,
			args: func(t *testing.T, f *gcFixture) []string {
				return []string{"--manifests", filepath.Join(f.manifests, "nope"), "--dry-run"}
			},
			stderr: []string{"is not a directory", "fix: "}},
		{name: "--journal in a directory that does not exist", hooks: later, code: 2,
			args: func(t *testing.T, f *gcFixture) []string {
				return []string{"--manifests", f.manifests, "--trash", "byob-trash/", "--journal", filepath.Join(f.manifests, "no", "j.jsonl")}
			}, stderr: []string{"is in a directory that does not exist"}},
		{name: "an unknown flag", code: 2,
			args:   func(t *testing.T, f *gcFixture) []string { return []string{"--manifests", f.manifests, "--yes"} },
			stderr: []string{"flag provided but not defined: -yes; fix: run 'byob gc -h'"}},
		{name: "two addresses", code: 2,
			args:   func(t *testing.T, f *gcFixture) []string { return []string{"--manifests", f.manifests, "mem://other"} },
			stderr: []string{"want one address, got 2 arguments"}},
	}
	for _, kind := range []string{"file", "mem"} {
		for _, tc := range tests {
			t.Run(kind+"/"+tc.name, func(t *testing.T) {
				f := newGCFixture(t, kind)
				before := dirFiles(t, f.manifests)
				r := runGCCmd(t, ctx, tc.hooks, tc.env, append([]string{f.addr}, tc.args(t, f)...)...)
				if r.code != tc.code {
					t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, tc.code, r.stdout, r.stderr)
				}
				for _, s := range tc.stdout {
					if !strings.Contains(squash(r.stdout), squash(s)) {
						t.Errorf("stdout lacks %q:\n%s", s, r.stdout)
					}
				}
				for _, s := range tc.stderr {
					if !strings.Contains(r.stderr, s) {
						t.Errorf("stderr lacks %q:\n%s", s, r.stderr)
					}
				}
				if tc.code == 2 {
					if r.stdout != "" {
						t.Errorf("a refusal printed on stdout:\n%s", r.stdout)
					}
					if lines := strings.Count(r.stderr, "\n"); lines != 1 || !strings.Contains(r.stderr, "fix: ") {
						t.Errorf("a refusal is %d lines, want one naming the fix:\n%s", lines, r.stderr)
					}
					if after := dirFiles(t, f.manifests); !slices.Equal(before, after) {
						t.Errorf("a refused run wrote %q in the manifest directory (had %q)", after, before)
					}
				}
				live, garbage := f.present(t)
				if !slices.Equal(live, f.live) {
					t.Fatalf("live files left: %q, want all of %q", live, f.live)
				}
				if tc.gone && len(garbage) != 0 {
					t.Errorf("garbage left: %q", garbage)
				}
				if !tc.gone && !tc.partial && len(garbage) != len(f.garbage) {
					t.Errorf("garbage deleted: only %q left", garbage)
				}
				if tc.trash {
					for _, k := range f.garbage {
						if !inTrash(t, f, k) {
							t.Errorf("%s is not in the trash", k)
						}
					}
				}
			})
		}
	}
}

// ref commits a version whose only entry references target.
func ref(t *testing.T, f *gcFixture, target string) {
	t.Helper()
	d, err := gc.OpenManifestDir(f.manifests, gc.DirOptions{})
	if err != nil {
		t.Fatal(err)
	}
	e := gc.Entry{Path: "ref.txt", Digest: "etag-1", Ref: target, Size: -1}
	if err := errors.Join(d.Upload(context.Background(), "1", "v9", e), d.Commit(context.Background(), "1", "v9")); err != nil {
		t.Fatal(err)
	}
}

// dirFiles lists the regular files under dir, relative, except the lock
// (which opening the directory creates, and which is never deleted).
func dirFiles(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(dir, func(p string, e os.DirEntry, err error) error {
		if err == nil && !e.IsDir() && e.Name() != gc.DirLockFile {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, rel)
		}
		return nil
	})
	return out
}

// inTrash reports whether a copy of key is under byob-trash/<run>/.
func inTrash(t *testing.T, f *gcFixture, key string) bool {
	t.Helper()
	it := f.loc.Bucket().List(nil)
	for {
		o, err := it.Next(context.Background())
		if err == io.EOF {
			return false
		}
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(o.Key, "byob-trash/") && strings.HasSuffix(o.Key, "/"+key) {
			return true
		}
	}
}

// TestGCThenRestore: a run with --trash is undone by byob restore, byte
// for byte; restoring again finds every file present; a forced run (that
// kept nothing) is refused with the fix.
func TestGCThenRestore(t *testing.T) {
	ctx := context.Background()
	for _, kind := range []string{"file", "mem"} {
		t.Run(kind, func(t *testing.T) {
			f := newGCFixture(t, kind)
			journal := filepath.Join(t.TempDir(), "journal.jsonl")
			r := runGCCmd(t, ctx, later, nil, f.addr, "--manifests", f.manifests, "--trash", "byob-trash/", "--journal", journal, "--json")
			if r.code != 0 {
				t.Fatalf("gc: exit %d: %s", r.code, r.stderr)
			}
			var out gcOut
			if err := json.Unmarshal([]byte(r.stdout), &out); err != nil || out.Deleted != 2 || out.Journal != journal {
				t.Fatalf("gc --json: %v %+v", err, out)
			}
			if _, garbage := f.present(t); len(garbage) != 0 {
				t.Fatalf("garbage left: %q", garbage)
			}
			rr := runRestoreCmd(t, f.addr, "--journal", journal, "--run", out.RunID)
			if rr.code != 0 || !strings.Contains(squash(rr.stdout), "restored 2 back") {
				t.Fatalf("restore: exit %d\n%s\n%s", rr.code, rr.stdout, rr.stderr)
			}
			if live, garbage := f.present(t); len(live) != 3 || len(garbage) != 2 {
				t.Fatalf("after restore: live %q garbage %q, want every file back", live, garbage)
			}
			rr = runRestoreCmd(t, f.addr, "--journal", journal, "--json")
			var ro restoreOut
			if err := json.Unmarshal([]byte(rr.stdout), &ro); rr.code != 0 || err != nil || ro.Present != 2 || ro.Restored != 0 {
				t.Fatalf("restore again: exit %d %v %+v", rr.code, err, ro)
			}

			forced := filepath.Join(t.TempDir(), "forced.jsonl")
			if r := runGCCmd(t, ctx, later, nil, f.addr, "--manifests", f.manifests, "--force", "--journal", forced); r.code != 0 {
				t.Fatalf("gc --force: exit %d: %s", r.code, r.stderr)
			}
			rr = runRestoreCmd(t, f.addr, "--journal", forced)
			if rr.code != 2 || rr.stdout != "" || !strings.Contains(rr.stderr, "byob restore: refused: ") || !strings.Contains(rr.stderr, "fix: ") {
				t.Fatalf("restore of a forced run: exit %d\n%s\n%s", rr.code, rr.stdout, rr.stderr)
			}
		})
	}
}

func TestRestoreCommandBadInput(t *testing.T) {
	dir := t.TempDir()
	bucket := (&address.Address{Provider: address.File, Bucket: filepath.ToSlash(t.TempDir())}).URL()
	journal := filepath.Join(dir, "j.jsonl")
	other := filepath.Join(dir, "other.jsonl")
	os.WriteFile(journal, nil, 0o600)
	tests := []struct {
		name   string
		args   []string
		code   int
		stderr string
	}{
		{"no --journal", []string{bucket}, 2, "no --journal; fix: "},
		{"a journal that does not exist", []string{bucket, "--journal", filepath.Join(dir, "nope")}, 2, "cannot open the journal"},
		{"a run not in the journal", []string{bucket, "--journal", journal, "--run", "20260101T000000Z-0000"}, 2, "is not in the journal"},
		{"no address", []string{"--journal", journal}, 2, "no address given"},
		{"a bucket that does not exist", []string{"file:///nonexistent/byob-test", "--journal", journal}, 2, "is not a directory; fix: "},
		{"an unknown flag", []string{bucket, "--journal", journal, "--all"}, 2, "flag provided but not defined: -all"},
		{"a journal of another location", []string{bucket, "--journal", other}, 2, "not this location"},
	}
	// other holds a run of another bucket.
	f := newGCFixture(t, "file")
	if r := runGCCmd(t, context.Background(), later, nil, f.addr, "--manifests", f.manifests, "--trash", "byob-trash/", "--journal", other); r.code != 0 {
		t.Fatal(r.stderr)
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := runRestoreCmd(t, tc.args...)
			if r.code != tc.code || !strings.Contains(r.stderr, tc.stderr) || r.stdout != "" || strings.Count(r.stderr, "\n") != 1 {
				t.Fatalf("exit %d, want %d with one line holding %q\nstdout: %s\nstderr: %s", r.code, tc.code, tc.stderr, r.stdout, r.stderr)
			}
		})
	}
	t.Run("an empty journal restores nothing", func(t *testing.T) {
		r := runRestoreCmd(t, bucket, "--journal", journal)
		if r.code != 0 || !strings.Contains(r.stdout, "(none in the journal)") {
			t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
		}
	})
}

// TestGCJSONShape: --json prints one line holding every documented field.
func TestGCJSONShape(t *testing.T) {
	f := newGCFixture(t, "mem")
	r := runGCCmd(t, context.Background(), later, nil, f.addr, "--manifests", f.manifests, "--dry-run", "--json")
	if r.code != 0 || strings.Count(r.stdout, "\n") != 1 {
		t.Fatalf("exit %d, %d lines: %s %s", r.code, strings.Count(r.stdout, "\n"), r.stdout, r.stderr)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &m); err != nil {
		t.Fatal(err)
	}
	doc := gcUsage[strings.Index(gcUsage, `{"ok"`):strings.Index(gcUsage, "\n\nExit status")]
	for _, field := range regexp.MustCompile(`"([a-zA-Z]+)":`).FindAllStringSubmatch(doc, -1) {
		if field[1] == "KIND" {
			continue
		}
		if _, ok := m[field[1]]; !ok {
			t.Errorf("--json lacks the documented field %q", field[1])
		}
	}
	if len(m) != 27 {
		t.Errorf("--json has %d fields, the doc 27: %s", len(m), r.stdout)
	}
	if m["keptOnClaim"] != 0.0 || m["deleted"] != 2.0 || m["dryRun"] != true || m["mode"] != "none" || m["journal"] != "" {
		t.Errorf("--json: %s", r.stdout)
	}
	if fe, ok := m["firstErrors"].([]any); !ok || len(fe) != 0 {
		t.Errorf("firstErrors is %v, want []", m["firstErrors"])
	}
}

// TestGCBrokenManifest: a manifest byob cannot read stops the run before
// anything is deleted, exit 2 naming the file.
func TestGCBrokenManifest(t *testing.T) {
	f := newGCFixture(t, "file")
	bad := filepath.Join(f.manifests, "1", "v9.json")
	os.WriteFile(bad, []byte(`{"version":1,"storagePolicy":"wandb-storage-policy-v1","contents":{"a":`), 0o644)
	r := runGCCmd(t, context.Background(), later, nil, f.addr, "--manifests", f.manifests, "--trash", "byob-trash/")
	if r.code != 2 || !strings.Contains(r.stderr, bad) || !strings.Contains(r.stderr, "manifest refused") {
		t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if _, garbage := f.present(t); len(garbage) != 2 {
		t.Fatalf("a run with a broken manifest deleted files: %q left", garbage)
	}
}

// TestGCExitOne: a run that stops, or whose source fails, exits 1.
func TestGCExitOne(t *testing.T) {
	t.Run("stopped during the sweep", func(t *testing.T) {
		f := newGCFixture(t, "file")
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		hooks := later
		hooks.progress = func(p gc.Progress) {
			if p.Phase == gc.PhaseSweep {
				cancel()
			}
		}
		r := runGCCmd(t, ctx, hooks, nil, f.addr, "--manifests", f.manifests, "--trash", "byob-trash/", "--json")
		var out gcOut
		if err := json.Unmarshal([]byte(r.stdout), &out); r.code != 1 || err != nil || out.Exit != 1 || out.OK || out.Error == "" {
			t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
		}
		if _, garbage := f.present(t); len(garbage) != 2 {
			t.Fatalf("a stopped run deleted %q", garbage)
		}
	})
	t.Run("a claims file that cannot be read", func(t *testing.T) {
		f := newGCFixture(t, "file")
		os.WriteFile(filepath.Join(f.manifests, gc.DirClaimsFile), []byte("not a claim\n"), 0o600)
		r := runGCCmd(t, context.Background(), later, nil, f.addr, "--manifests", f.manifests, "--trash", "byob-trash/")
		if r.code != 1 || !strings.Contains(r.stderr, gc.DirClaimsFile) {
			t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
		}
	})
}

// TestGCProgress: a bar redrawn in place on a terminal; plain lines into
// a pipe and whenever CI is set.
func TestGCProgress(t *testing.T) {
	tests := []struct {
		name     string
		terminal bool
		env      map[string]string
		bar      bool
	}{
		{"a terminal gets a bar", true, nil, true},
		{"a terminal under CI gets plain lines", true, map[string]string{"CI": "true"}, false},
		{"a pipe gets plain lines", false, nil, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newGCFixture(t, "mem")
			var out, errOut strings.Builder
			c := cli{stdout: &out, stderr: &errOut, getenv: func(k string) string { return tc.env[k] },
				terminal: func(io.Writer) bool { return tc.terminal }}
			if code := c.gc(context.Background(), []string{f.addr, "--manifests", f.manifests, "--dry-run"}, later); code != 0 {
				t.Fatal(errOut.String())
			}
			got := errOut.String()
			if hasBar := strings.Contains(got, "\r\x1b[K") && strings.Contains(got, "[####################]"); hasBar != tc.bar {
				t.Fatalf("bar = %v, want %v: %q", hasBar, tc.bar, got)
			}
			if !tc.bar && (!strings.Contains(got, "byob gc: sweep: ") || strings.Contains(got, "\x1b")) {
				t.Fatalf("plain progress: %q", got)
			}
			if strings.Contains(out.String(), "\x1b") && !tc.terminal {
				t.Fatalf("colour into a pipe: %q", out.String())
			}
		})
	}
}

// TestGCHelp: -h prints the usage, the --json shape and examples.
func TestGCHelp(t *testing.T) {
	for _, cmd := range []string{"gc", "restore"} {
		var out, errOut strings.Builder
		if code := run([]string{cmd, "-h"}, &out, &errOut, func(string) string { return "" }); code != 0 {
			t.Fatalf("%s -h: exit %d", cmd, code)
		}
		for _, s := range []string{"usage: byob " + cmd, "--json prints", "examples:", "Exit status", "-journal"} {
			if !strings.Contains(out.String(), s) {
				t.Errorf("%s -h lacks %q", cmd, s)
			}
		}
	}
	var out, errOut strings.Builder
	run([]string{"help"}, &out, &errOut, func(string) string { return "" })
	if !strings.Contains(out.String(), "byob gc ") || !strings.Contains(out.String(), "byob restore ") {
		t.Errorf("byob help does not list gc and restore:\n%s", out.String())
	}
}

// TestGCShardsTogether: the two shards of two, run one after the other,
// collect all the garbage between them, and nothing live.
func TestGCShardsTogether(t *testing.T) {
	f := newGCFixture(t, "file")
	var deleted int64
	for _, sh := range []string{"0/2", "1/2"} {
		r := runGCCmd(t, context.Background(), later, nil, f.addr, "--manifests", f.manifests, "--trash", "byob-trash/", "--shard", sh, "--json")
		var out gcOut
		if err := json.Unmarshal([]byte(r.stdout), &out); r.code != 0 || err != nil || out.Shard != sh {
			t.Fatalf("shard %s: exit %d %v\n%s", sh, r.code, err, r.stderr)
		}
		deleted += out.Deleted
	}
	live, garbage := f.present(t)
	if deleted != 2 || len(garbage) != 0 || !slices.Equal(live, f.live) {
		t.Fatalf("deleted %d; live %q; garbage left %q", deleted, live, garbage)
	}
}

// TestGCRunExit: a refusal is exit 2 only while nothing was deleted; once a
// batch went, the same error is a run with errors (1), with its summary.
func TestGCRunExit(t *testing.T) {
	manifest := &gc.Error{Op: "run", Kind: gc.ErrManifest, Detail: "broken"}
	for _, tc := range []struct {
		name string
		rep  *gc.Report
		err  error
		want int
	}{
		{"no error is 0", &gc.Report{Deleted: 3}, nil, 0},
		{"a broken manifest before any delete is a refusal", &gc.Report{Scanned: 10}, manifest, 2},
		{"a broken manifest after a batch was deleted is a run with errors", &gc.Report{Deleted: 1}, manifest, 1},
		{"after keys failed to delete, too", &gc.Report{Failed: 1}, manifest, 1},
		{"after keys were found gone, too", &gc.Report{AlreadyGone: 1}, manifest, 1},
		{"after uploads were aborted, too", &gc.Report{UploadsAborted: 1}, manifest, 1},
		{"an invalid option with no report is a refusal", nil, &gc.Error{Op: "run", Kind: gc.ErrInvalid}, 2},
		{"a stopped run is 1", &gc.Report{}, &gc.Error{Op: "run", Kind: gc.ErrStopped}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := gcRunExit(tc.rep, tc.err); got != tc.want {
				t.Errorf("gcRunExit = %d, want %d", got, tc.want)
			}
		})
	}
}
