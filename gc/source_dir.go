package gc

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"iter"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// ManifestDir is a reference implementation of the Source contract over
// manifest files on disk: the collector's side (Live, Claim, Check) and the
// server's writers (Upload, Reuse, Commit, Abort, Delete), which take the
// same lock, so that a claim and a deduplication never interleave. It is
// what 'byob gc --manifests DIR' runs on, and a layout a server without a
// database of its own (or a test) can copy.
//
// # The directory
//
//	DIR/
//	  .byob-gc.lock              the lock: flock(2), held by every writer and every claim
//	  .byob-gc-claims.jsonl      the claims: append-only, one line per Claim
//	  <group>/                   one directory per layout group (see DirOptions.Layout):
//	                             for DefaultLayout, the number after the data prefix
//	    <version>.json           a committed version's manifest: its keys are live
//	    <version>.pending.json   a version being uploaded: its keys are in flight
//	    <version>.deleted.json   a soft-deleted version: not live (removing the file is the same)
//
// Manifests are format version 1 (ParseManifest). Group and version names
// are 1 to 200 letters, digits and "-_=+:@" (a base64 GraphQL id fits once
// "/" is written as "_"). Names starting with "." are ignored (byob's own
// files, temporary files, and the journal 'byob gc' keeps there by
// default); any other file or directory is refused with
// ErrManifest, naming it, rather than skipped: a manifest under a name
// byob does not read would have its files collected.
//
// # Claims
//
// Each line of the claims file is one committed Claim:
//
//	{"v":1,"time":"2026-12-01T11:22:33Z","claimed":["wandb_artifacts/…",…]}
//
// A line is written with one write and synced before Claim returns; a torn
// last line (a crash mid-write: that Claim never returned, so nothing of
// its batch was deleted) is ignored and cut off by the next writer. Keys
// that are not valid UTF-8 cannot be written in JSON exactly, so Claim
// keeps them (they stay as harmless garbage). A claim is never undone.
//
// # Limits
//
// It is a reference, not a database. Claim and Check read every manifest
// under the lock, so each batch costs a pass over the directory (fine for
// thousands of versions; a database answers from an index): measured on a
// small shared machine, about 1 s per batch against 100,000 live keys, and
// Live about 100,000 keys/s, both mostly in ParseManifest. A pending
// version keeps its keys live until Commit or Abort: abort the versions
// whose uploads expired, or their files are never collected. Live holds one
// manifest and DirOptions.SortChunk keys in memory at a time, spilling
// sorted runs to DirOptions.SpoolDir (disk about the size of the live
// keys) and merging them with one small buffer per run. The claimed keys
// are kept in memory, read incrementally from the append-only file. Every
// process that writes the directory must use ManifestDir (or take the
// same flock and write files the same way): a tool that edits manifests
// without the lock breaks the contract. It needs flock(2), so Unix only.
type ManifestDir struct {
	dir string
	o   DirOptions
	mu  sync.Mutex // one transaction per process at a time; the flock covers processes
	cl  claimsCache
}

// DirOptions configure a ManifestDir.
type DirOptions struct {
	// DataPrefix is where the files live ("" → DefaultDataPrefix).
	DataPrefix string
	// Layout returns the layout of a group's manifests; nil means
	// DefaultLayout(DataPrefix, group).
	Layout func(group string) Layout
	// Refs maps references into the location, whose targets are live
	// too (RefsUnder); nil means no reference points into it.
	Refs RefKey
	// SpoolDir holds Live's sorted runs while it merges them; "" means
	// os.TempDir().
	SpoolDir string
	// SortChunk is how many keys Live sorts in memory before spilling a
	// run; 0 means 1<<16.
	SortChunk int
	// Now stamps claims; nil means time.Now.
	Now func() time.Time
}

// File names of the directory.
const (
	DirLockFile   = ".byob-gc.lock"
	DirClaimsFile = ".byob-gc-claims.jsonl"
)

// Suffixes of a version's manifest file, by state.
const (
	suffixCommitted = ".json"
	suffixPending   = ".pending.json"
	suffixDeleted   = ".deleted.json"
)

// OpenManifestDir opens the manifest directory dir, which must exist, and
// reads its claims file once, so that a broken one is reported now.
func OpenManifestDir(dir string, o DirOptions) (*ManifestDir, error) {
	if !haveFileLocks {
		return nil, &Error{Op: "open manifest directory", Kind: ErrInvalid,
			Detail: "this system has no flock(2), which the claim transaction needs",
			Fix:    "run the collector on Unix, or implement Source over your database"}
	}
	if o.DataPrefix == "" {
		o.DataPrefix = DefaultDataPrefix
	}
	if err := checkPrefix("open manifest directory", o.DataPrefix); err != nil {
		return nil, err
	}
	if o.Layout == nil {
		prefix := o.DataPrefix
		o.Layout = func(group string) Layout { return DefaultLayout(prefix, group) }
	}
	if o.SortChunk <= 0 {
		o.SortChunk = 1 << 16
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, dirError("open manifest directory", dir, "cannot resolve the path", err)
	}
	fi, err := os.Stat(abs)
	if err != nil || !fi.IsDir() {
		return nil, &Error{Op: "open manifest directory", Kind: ErrInvalid,
			Detail: quote(abs) + " is not a directory", Cause: err,
			Fix: "give the directory that holds <group>/<version>.json manifests (see gc.ManifestDir)"}
	}
	d := &ManifestDir{dir: abs, o: o}
	if err := d.transaction(context.Background(), func() error { return nil }); err != nil {
		return nil, err
	}
	return d, nil
}

// Dir returns the directory's absolute path.
func (d *ManifestDir) Dir() string { return d.dir }

// transaction runs fn under the lock, with the claims read up to date.
func (d *ManifestDir) transaction(ctx context.Context, fn func() error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	unlock, err := lockFile(ctx, filepath.Join(d.dir, DirLockFile))
	if err != nil {
		if isContextError(err) {
			return err
		}
		return lockError(filepath.Join(d.dir, DirLockFile), err)
	}
	defer unlock()
	if err := d.cl.refresh(filepath.Join(d.dir, DirClaimsFile)); err != nil {
		return err
	}
	return fn()
}

// Live streams the keys of shard that a committed or pending version
// names, in byte order, each once (see Source, and the limits above). It
// takes no lock: the stream need not be a snapshot, since Claim decides. A
// manifest that vanishes while Live reads the directory (a commit renames
// it) is passed over; a manifest that does not parse stops the stream with
// ErrManifest naming the file.
func (d *ManifestDir) Live(ctx context.Context, shard Shard) iter.Seq2[string, error] {
	return d.live(ctx, shard)
}

// Claim keeps the keys a committed or pending version names now, and
// records the others as claimed, in one transaction against every writer
// (see Source).
func (d *ManifestDir) Claim(ctx context.Context, keys []string) ([]string, error) {
	return d.claim(ctx, keys, true)
}

// Check is Claim without the record: the keys Claim would keep now. A dry
// run asks it, and claims nothing.
func (d *ManifestDir) Check(ctx context.Context, keys []string) ([]string, error) {
	return d.claim(ctx, keys, false)
}

func (d *ManifestDir) claim(ctx context.Context, keys []string, record bool) ([]string, error) {
	var kept []string
	err := d.transaction(ctx, func() error {
		asked := make(map[string]bool, len(keys)) // key → named by a live or pending version
		for _, k := range keys {
			asked[k] = false
		}
		err := d.scan(ctx, func(name string, st versionState, live []string) error {
			for _, k := range live {
				if _, ok := asked[k]; ok {
					asked[k] = true
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		var claim []string
		for _, k := range keys {
			if asked[k] || !utf8.ValidString(k) {
				kept = append(kept, k)
				continue
			}
			if !d.cl.has(k) && !(len(claim) > 0 && containsFrom(claim, k)) {
				claim = append(claim, k)
			}
		}
		if !record || len(claim) == 0 {
			return ctx.Err()
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		return d.cl.append(filepath.Join(d.dir, DirClaimsFile), d.o.Now(), claim)
	})
	if err != nil {
		return nil, err
	}
	return kept, nil
}

// containsFrom reports whether k is in claim; claim is a batch's keys, so
// this stays small, and a map would cost more than it saves.
func containsFrom(claim []string, k string) bool {
	for i := len(claim) - 1; i >= 0; i-- {
		if claim[i] == k {
			return true
		}
	}
	return false
}

// Claimed reports whether the collector has claimed key.
func (d *ManifestDir) Claimed(ctx context.Context, key string) (bool, error) {
	var ok bool
	err := d.transaction(ctx, func() error { ok = d.cl.has(key); return nil })
	return ok, err
}

// Upload records that pending version (its manifest created on first use)
// uploads a new file for entry: the entry joins <group>/<version>.pending.json,
// and its key is in flight until the version commits or aborts. A claimed
// key is refused with ErrClaimed and nothing is written: the version must
// upload under a key of its own. Issue the presigned PUT only after Upload
// returned nil.
func (d *ManifestDir) Upload(ctx context.Context, group, version string, e Entry) error {
	return d.stage(ctx, "upload", group, version, e)
}

// Reuse records that pending version deduplicates against the existing
// file of entry (another version's birth artifact id and digest) instead
// of uploading it. A claimed key is refused with ErrClaimed and nothing is
// written: the version must upload the content again, under a key of its
// own. The check and the record are one transaction, so no claim slips
// between them.
func (d *ManifestDir) Reuse(ctx context.Context, group, version string, e Entry) error {
	return d.stage(ctx, "reuse", group, version, e)
}

func (d *ManifestDir) stage(ctx context.Context, op, group, version string, e Entry) error {
	if err := checkNames(op, group, version); err != nil {
		return err
	}
	ent, err := checkEntry(op, e)
	if err != nil {
		return err
	}
	return d.transaction(ctx, func() error {
		if _, err := os.Lstat(d.path(group, version, stCommitted)); err == nil {
			return &Error{Op: op, Kind: ErrInvalid, Detail: "version " + quote(version) + " of group " + quote(group) + " is committed",
				Fix: "a committed version's manifest does not change: stage the files of a new version"}
		}
		pending := d.path(group, version, stPending)
		m, err := readManifestFile(pending)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			m = &Manifest{Version: ManifestVersion, StoragePolicy: StoragePolicy, Contents: map[string]Entry{}}
		case err != nil:
			return err
		}
		if key, err := d.key(group, ent); err != nil {
			return err
		} else if key != "" && d.cl.has(key) {
			return &Error{Op: op, Kind: ErrClaimed, Key: key,
				Detail: quote(key) + " is claimed by the collector and will be deleted",
				Fix:    "upload the content under a key of the version's own (its own birth artifact id)"}
		}
		m.Contents[ent.Path] = ent
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := os.MkdirAll(filepath.Join(d.dir, group), 0o755); err != nil {
			return dirError(op, filepath.Join(d.dir, group), "cannot create the group directory", err)
		}
		return writeFileAtomic(pending, encodeManifest(m))
	})
}

// Commit commits pending version: <version>.pending.json becomes
// <version>.json (one rename), and its keys are live. A key claimed in the
// meantime (only a writer that skipped the lock could cause it) refuses
// the commit with ErrClaimed.
func (d *ManifestDir) Commit(ctx context.Context, group, version string) error {
	if err := checkNames("commit", group, version); err != nil {
		return err
	}
	return d.transaction(ctx, func() error {
		pending, committed := d.path(group, version, stPending), d.path(group, version, stCommitted)
		m, err := readManifestFile(pending)
		if errors.Is(err, fs.ErrNotExist) {
			return &Error{Op: "commit", Kind: ErrInvalid, Detail: "version " + quote(version) + " of group " + quote(group) + " is not pending",
				Fix: "Upload or Reuse its files first; commit a version once"}
		}
		if err != nil {
			return err
		}
		if _, err := os.Lstat(committed); err == nil {
			return &Error{Op: "commit", Kind: ErrInvalid, Detail: "version " + quote(version) + " of group " + quote(group) + " is committed already",
				Fix: "commit a version once"}
		}
		keys, err := m.LiveKeys(d.o.Layout(group), d.o.Refs)
		if err != nil {
			return fileError(pending, err)
		}
		for _, k := range keys {
			if d.cl.has(k) {
				return &Error{Op: "commit", Kind: ErrClaimed, Key: k,
					Detail: quote(k) + " was claimed by the collector while the version was pending",
					Fix:    "every writer must take the directory's lock; upload the file again under the version's own key"}
			}
		}
		if err := os.Rename(pending, committed); err != nil {
			return dirError("commit", committed, "cannot rename the pending manifest", err)
		}
		return syncDir(filepath.Dir(committed))
	})
}

// Abort gives up pending version (or records that its uploads expired):
// its manifest is removed, and its keys are garbage unless another version
// names them.
func (d *ManifestDir) Abort(ctx context.Context, group, version string) error {
	return d.drop(ctx, "abort", group, version, stPending, "")
}

// Delete soft-deletes committed version: <version>.json becomes
// <version>.deleted.json, and its keys are no longer live through it.
func (d *ManifestDir) Delete(ctx context.Context, group, version string) error {
	return d.drop(ctx, "delete", group, version, stCommitted, d.path(group, version, stDeleted))
}

// drop removes (to == "") or renames a version's manifest of state from.
func (d *ManifestDir) drop(ctx context.Context, op, group, version string, from versionState, to string) error {
	if err := checkNames(op, group, version); err != nil {
		return err
	}
	return d.transaction(ctx, func() error {
		p := d.path(group, version, from)
		if _, err := os.Lstat(p); err != nil {
			return &Error{Op: op, Kind: ErrInvalid, Detail: "version " + quote(version) + " of group " + quote(group) + " is not " + from.String(), Cause: err}
		}
		var err error
		if to == "" {
			err = os.Remove(p)
		} else {
			err = os.Rename(p, to)
		}
		if err != nil {
			return dirError(op, p, "cannot change the manifest", err)
		}
		return syncDir(filepath.Dir(p))
	})
}

// key is the entry's key in group, or "" for a reference outside the
// location.
func (d *ManifestDir) key(group string, e Entry) (string, error) {
	m := Manifest{Contents: map[string]Entry{e.Path: e}}
	keys, err := m.LiveKeys(d.o.Layout(group), d.o.Refs)
	if err != nil || len(keys) == 0 {
		return "", err
	}
	return keys[0], nil
}

// versionState is the state a manifest's file name gives its version.
type versionState int

const (
	stCommitted versionState = iota
	stPending
	stDeleted
)

func (s versionState) String() string {
	return [...]string{"committed", "pending", "deleted"}[s]
}

func (s versionState) suffix() string {
	return [...]string{suffixCommitted, suffixPending, suffixDeleted}[s]
}

func (d *ManifestDir) path(group, version string, st versionState) string {
	return filepath.Join(d.dir, group, version+st.suffix())
}

// parseName reads a manifest file's name: its version and state.
func parseName(name string) (version string, st versionState, ok bool) {
	for _, st := range []versionState{stPending, stDeleted, stCommitted} {
		if v, found := strings.CutSuffix(name, st.suffix()); found && validName(v) {
			return v, st, true
		}
	}
	return "", 0, false
}

// validName reports whether s may name a group or a version: 1 to 200
// letters, digits and "-_=+:@", so that it is one file name everywhere and
// no suffix can be read into it.
func validName(s string) bool {
	if s == "" || len(s) > 200 {
		return false
	}
	for _, c := range []byte(s) {
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte("-_=+:@", c) >= 0:
		default:
			return false
		}
	}
	return true
}

func checkNames(op, group, version string) error {
	for _, n := range [][2]string{{"group", group}, {"version", version}} {
		if !validName(n[1]) {
			return &Error{Op: op, Kind: ErrInvalid, Detail: "the " + n[0] + " name " + quote(n[1]) + " is not 1 to 200 letters, digits and -_=+:@",
				Fix: "write \"/\" of a base64 id as \"_\", and leave out dots"}
		}
	}
	return nil
}

// checkEntry validates an entry as ParseManifest would read it back, and
// fills its derived fields (DigestHex, Algorithm).
func checkEntry(op string, e Entry) (Entry, error) {
	if !utf8.ValidString(e.Path) || e.Path == "" {
		return Entry{}, &Error{Op: op, Kind: ErrInvalid, Detail: "the entry's path " + quote(e.Path) + " is empty or not UTF-8",
			Fix: "name the file by its path in the artifact"}
	}
	ej := entryJSON{Digest: &e.Digest, Extra: e.Extra}
	if e.BirthArtifactID != "" {
		ej.BirthArtifactID = &e.BirthArtifactID
	}
	if e.Size >= 0 {
		ej.Size = &e.Size
	}
	if e.Ref != "" {
		ej.Ref = &e.Ref
	}
	out, err := parseEntry(e.Path, &ej)
	if err != nil {
		return Entry{}, err
	}
	return out, nil
}

// scan reads every manifest of the directory, and passes each committed or
// pending one's live keys (all of them, every shard) to fn.
func (d *ManifestDir) scan(ctx context.Context, fn func(path string, st versionState, live []string) error) error {
	return d.walk(ctx, func(group, path string, st versionState) error {
		if st == stDeleted {
			return nil
		}
		m, err := readManifestFile(path)
		if errors.Is(err, fs.ErrNotExist) {
			return nil // renamed or removed since the directory was read
		}
		if err != nil {
			return err
		}
		keys, err := m.LiveKeys(d.o.Layout(group), d.o.Refs)
		if err != nil {
			return fileError(path, err)
		}
		return fn(path, st, keys)
	})
}

// walk visits every manifest file of the directory, group by group,
// reading directories a page at a time, and refuses what does not belong.
func (d *ManifestDir) walk(ctx context.Context, fn func(group, path string, st versionState) error) error {
	return readDirPaged(d.dir, func(top fs.DirEntry) error {
		name := top.Name()
		if strings.HasPrefix(name, ".") {
			return nil
		}
		gdir := filepath.Join(d.dir, name)
		if !validName(name) || !isDir(top, gdir) {
			return unexpected(gdir, "is not a group directory",
				"put manifests in <group>/<version>.json, a group named by 1 to 200 letters, digits and -_=+:@")
		}
		return readDirPaged(gdir, func(e fs.DirEntry) error {
			if err := ctx.Err(); err != nil {
				return err
			}
			fname := e.Name()
			if strings.HasPrefix(fname, ".") {
				return nil
			}
			p := filepath.Join(gdir, fname)
			_, st, ok := parseName(fname)
			if !ok || isDir(e, p) {
				return unexpected(p, "is not a manifest file this directory may hold",
					"name manifests <version>.json, <version>.pending.json or <version>.deleted.json, a version named by letters, digits and -_=+:@")
			}
			return fn(name, p, st)
		})
	})
}

// readDirPaged calls fn for each entry of dir, reading it a page at a time
// so that a directory of a million versions does not sit in memory.
func readDirPaged(dir string, fn func(fs.DirEntry) error) error {
	f, err := os.Open(dir)
	if err != nil {
		return dirError("read manifest directory", dir, "cannot open it", err)
	}
	defer f.Close()
	for {
		ents, err := f.ReadDir(1024)
		for _, e := range ents {
			if err := fn(e); err != nil {
				return err
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return dirError("read manifest directory", dir, "cannot read it", err)
		}
	}
}

// isDir reports whether e is a directory, following a symbolic link.
func isDir(e fs.DirEntry, path string) bool {
	if e.Type()&fs.ModeSymlink != 0 {
		fi, err := os.Stat(path)
		return err == nil && fi.IsDir()
	}
	return e.IsDir()
}

func unexpected(path, what, fix string) error {
	return &Error{Op: "read manifest directory", Kind: ErrManifest, Detail: quote(path) + " " + what, Fix: fix}
}

// readManifestFile reads and parses one manifest; its errors name the file.
func readManifestFile(path string) (*Manifest, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	if err != nil {
		return nil, dirError("read manifest", path, "cannot read it", err)
	}
	m, err := ParseManifest(data)
	if err != nil {
		return nil, fileError(path, err)
	}
	return m, nil
}

// fileError names the manifest file in a manifest error: "read manifest
// \"/dir/1/v1.json\" entry \"a.txt\": manifest refused: …".
func fileError(path string, err error) error {
	var e *Error
	if !errors.As(err, &e) {
		return &Error{Op: "read manifest " + quote(path), Kind: ErrManifest, Cause: err}
	}
	out := *e
	rest := strings.TrimPrefix(strings.TrimPrefix(e.Op, "parse manifest"), "build key")
	out.Op = "read manifest " + quote(path) + rest
	if !errors.Is(e.Kind, ErrManifest) {
		out.Kind, out.Cause = ErrManifest, err
		out.Detail, out.Fix = "", ""
	}
	return &out
}

// lockError is a lock that could not be taken. A directory the collector
// may not write is the caller's to fix (ErrInvalid): the claims live
// there, where the server's writers check them, so a read-only export of
// manifests cannot close the deduplication race.
func lockError(path string, err error) error {
	if errors.Is(err, fs.ErrPermission) || isReadOnlyFS(err) {
		return &Error{Op: "lock manifest directory", Kind: ErrInvalid, Cause: err,
			Detail: quote(path) + " cannot be created: the directory is read-only to the collector",
			Fix: "mount the manifest directory read-write: the collector records its claims there, where the server's writers check them " +
				"(a read-only export cannot stop a deduplication against a file being deleted)"}
	}
	return dirError("lock manifest directory", path, "cannot take the lock", err)
}

// dirError is a failed file operation in the directory (kind ErrSource:
// the source cannot answer, so nothing may be deleted).
func dirError(op, path, detail string, cause error) error {
	return &Error{Op: op, Kind: ErrSource, Detail: quote(path) + ": " + detail, Cause: cause}
}

// manifestOut and entryOut write a manifest that ParseManifest reads back
// as it was.
type manifestOut struct {
	Version             int                 `json:"version"`
	StoragePolicy       string              `json:"storagePolicy"`
	StoragePolicyConfig json.RawMessage     `json:"storagePolicyConfig,omitempty"`
	Contents            map[string]entryOut `json:"contents"`
}

type entryOut struct {
	Digest          string          `json:"digest"`
	BirthArtifactID *string         `json:"birthArtifactID,omitempty"`
	Size            *int64          `json:"size,omitempty"`
	Ref             *string         `json:"ref,omitempty"`
	Extra           json.RawMessage `json:"extra,omitempty"`
}

// encodeManifest writes m as format version 1 (paths are UTF-8: checkEntry
// refuses others, which JSON could not carry exactly).
func encodeManifest(m *Manifest) []byte {
	out := manifestOut{Version: ManifestVersion, StoragePolicy: StoragePolicy, StoragePolicyConfig: m.StoragePolicyConfig,
		Contents: make(map[string]entryOut, len(m.Contents))}
	for p, e := range m.Contents {
		eo := entryOut{Digest: e.Digest, Extra: e.Extra}
		if e.BirthArtifactID != "" {
			eo.BirthArtifactID = &e.BirthArtifactID
		}
		if e.Size >= 0 {
			eo.Size = &e.Size
		}
		if e.Ref != "" {
			eo.Ref = &e.Ref
		}
		out.Contents[p] = eo
	}
	data, _ := json.Marshal(out) // plain strings and numbers: cannot fail
	return append(data, '\n')
}

// writeFileAtomic replaces path with data: a temporary file in the same
// directory (named with a leading "." so readers pass it over), synced,
// renamed over path, and the directory synced. A reader sees the old or
// the new file, never a mix.
func writeFileAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, ".tmp-"+filepath.Base(path)+"-*")
	if err != nil {
		return dirError("write manifest", path, "cannot create a temporary file", err)
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		_ = os.Remove(tmp)
		return dirError("write manifest", path, "cannot write it", err)
	}
	return syncDir(dir)
}

// syncDir makes a rename in dir durable.
func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return dirError("sync directory", dir, "cannot open it", err)
	}
	defer f.Close()
	if err := f.Sync(); err != nil && !errors.Is(err, os.ErrInvalid) {
		return dirError("sync directory", dir, "cannot sync it", err)
	}
	return nil
}

// claimsCache is the claimed keys, read from the append-only claims file
// up to off (the end of its last complete line).
type claimsCache struct {
	keys map[string]struct{}
	off  int64
	file os.FileInfo // the file read, to notice it was replaced
}

// claimLine is one line of the claims file.
type claimLine struct {
	V       int       `json:"v"`
	Time    time.Time `json:"time"`
	Claimed []string  `json:"claimed"`
}

func (c *claimsCache) has(k string) bool { _, ok := c.keys[k]; return ok }

// refresh reads the lines appended since the last read; it reads the file
// again from the start if it was replaced or shortened.
func (c *claimsCache) refresh(path string) error {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		c.keys, c.off, c.file = map[string]struct{}{}, 0, nil
		return nil
	}
	if err != nil {
		return dirError("read claims", path, "cannot open it", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return dirError("read claims", path, "cannot stat it", err)
	}
	if c.keys == nil || c.file == nil || !os.SameFile(c.file, fi) || fi.Size() < c.off {
		c.keys, c.off = map[string]struct{}{}, 0
	}
	c.file = fi
	if _, err := f.Seek(c.off, io.SeekStart); err != nil {
		return dirError("read claims", path, "cannot seek", err)
	}
	r := bufio.NewReaderSize(f, 64<<10)
	for n := 1; ; n++ {
		line, err := r.ReadBytes('\n')
		if err == io.EOF {
			return nil // a torn last line (no newline) is a claim that never committed
		}
		if err != nil {
			return dirError("read claims", path, "cannot read it", err)
		}
		var cl claimLine
		if jerr := json.Unmarshal(line, &cl); jerr != nil || cl.V != 1 {
			return &Error{Op: "read claims", Kind: ErrSource,
				Detail: quote(path) + ": the line at byte " + strconv.FormatInt(c.off, 10) + " is not a claim record of version 1",
				Fix:    "restore the file from a backup; never edit it by hand: without it, deduplication may point at deleted files"}
		}
		for _, k := range cl.Claimed {
			c.keys[k] = struct{}{}
		}
		c.off += int64(len(line))
	}
}

// append writes one claim line after the last complete one (cutting off a
// torn tail), syncs it, and adds its keys.
func (c *claimsCache) append(path string, now time.Time, keys []string) error {
	line, err := json.Marshal(claimLine{V: 1, Time: now.UTC(), Claimed: keys})
	if err != nil {
		return &Error{Op: "claim", Kind: ErrSource, Detail: "cannot encode the claim", Cause: err}
	}
	line = append(line, '\n')
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return dirError("claim", path, "cannot open the claims file", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return dirError("claim", path, "cannot stat the claims file", err)
	}
	if c.file == nil || !os.SameFile(c.file, fi) {
		c.off = 0 // created just now
	}
	if fi.Size() > c.off {
		if err := f.Truncate(c.off); err != nil {
			return dirError("claim", path, "cannot cut off a torn claim line", err)
		}
	}
	if _, err := f.WriteAt(line, c.off); err != nil {
		return dirError("claim", path, "cannot write the claim", err)
	}
	if err := f.Sync(); err != nil {
		return dirError("claim", path, "cannot sync the claim", err)
	}
	for _, k := range keys {
		c.keys[k] = struct{}{}
	}
	c.off += int64(len(line))
	c.file = fi
	if c.off == int64(len(line)) {
		return syncDir(filepath.Dir(path)) // the file is new: make its name durable
	}
	return nil
}

var _ Source = (*ManifestDir)(nil)
var _ Checker = (*ManifestDir)(nil)
