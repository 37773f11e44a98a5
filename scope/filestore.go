//go:build unix

package scope

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/byobkit/byob/address"
)

// FileStore is a Store in one JSON file, for servers without a database of
// their own and for tests. The file holds every team's address and, beside
// it, the team's credentials, so it is created with mode 0600 and FileStore
// refuses to read one that other users may read or write.
//
// FileStore writes version 2 of the file (each team's storage without
// credentials, and its access_key and secret apart); it reads version 1
// too (the storage URL with its credentials), and rewrites it as version 2
// at the next change. A byob that reads only version 1 refuses the new
// file without rewriting it.
//
// Writes replace the file atomically (a temporary file in the same
// directory, fsync, rename, fsync of the directory), so a reader sees the
// old or the new file, never a mix. Several processes may share the file:
// every read-modify-write holds an exclusive flock(2) on "<path>.lock",
// which is never deleted. The file store is for Unix systems.
type FileStore struct {
	path string
	mu   sync.Mutex // one writer per process at a time; flock covers processes
}

// fileFormat is the file's JSON.
type fileFormat struct {
	Version int        `json:"version"`
	Teams   []fileTeam `json:"teams"`
}

// fileTeam is one team. Version 1 kept Storage as a.URL() with the
// credentials inside; version 2 keeps them apart.
type fileTeam struct {
	Team      string `json:"team"`
	Storage   string `json:"storage,omitempty"`    // a.URL() without credentials (v1: with); "" = the instance's
	AccessKey string `json:"access_key,omitempty"` // v2 only
	Secret    string `json:"secret,omitempty"`     // v2 only
}

const (
	fileVersion1 = 1 // storage URLs with their credentials
	fileVersion  = 2 // storage and credentials apart
)

// OpenFileStore opens the store kept at path, reading it once to report a
// broken or exposed file now rather than on the first request. The directory
// must exist; the file is created by the first Create.
func OpenFileStore(path string) (*FileStore, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, storeError("open file store", "cannot resolve the path", err)
	}
	dir, err := os.Stat(filepath.Dir(abs))
	if err != nil || !dir.IsDir() {
		return nil, &Error{Op: "open file store", Kind: ErrStore,
			Detail: "the directory of " + quote(abs) + " does not exist", Fix: "create the directory first"}
	}
	s := &FileStore{path: abs}
	if _, err := s.read(); err != nil {
		return nil, err
	}
	return s, nil
}

// Path returns the file's absolute path.
func (s *FileStore) Path() string { return s.path }

// Create implements Store.
func (s *FileStore) Create(ctx context.Context, rec Record, validate func([]Record) error) error {
	return s.update(ctx, func(recs []Record) ([]Record, error) {
		if err := validate(recs); err != nil {
			return nil, err
		}
		for _, r := range recs {
			if r.Team == rec.Team {
				return nil, existsError(rec.Team, "")
			}
		}
		recs = append(recs, rec.clone())
		sortRecords(recs)
		return recs, nil
	})
}

// Get implements Store.
func (s *FileStore) Get(ctx context.Context, team string) (Record, error) {
	if err := ctx.Err(); err != nil {
		return Record{}, err
	}
	recs, err := s.read()
	if err != nil {
		return Record{}, err
	}
	for _, r := range recs {
		if r.Team == team {
			return r, nil
		}
	}
	return Record{}, notFoundError(team)
}

// List implements Store.
func (s *FileStore) List(ctx context.Context) ([]Record, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return s.read()
}

// SetCredentials implements Store.
func (s *FileStore) SetCredentials(ctx context.Context, team string, c address.Credentials, validate func(Record) error) error {
	return s.update(ctx, func(recs []Record) ([]Record, error) {
		i := slices.IndexFunc(recs, func(r Record) bool { return r.Team == team })
		if i < 0 {
			return nil, notFoundError(team)
		}
		if err := validate(recs[i].clone()); err != nil {
			return nil, err
		}
		recs[i].Credentials = c
		return recs, nil
	})
}

// update is every read-modify-write of the file: under s.mu (this process)
// and the flock (other processes), it reads the records, passes them to
// change and writes back what change returns. An error from change, or a
// context that ends before the write, leaves the file as it was.
func (s *FileStore) update(ctx context.Context, change func([]Record) ([]Record, error)) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	unlock, err := s.lock(ctx)
	if err != nil {
		return err
	}
	defer unlock()
	recs, err := s.read()
	if err != nil {
		return err
	}
	if recs, err = change(recs); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.write(recs)
}

// lock takes the inter-process lock, polling so that ctx can end the wait.
func (s *FileStore) lock(ctx context.Context) (unlock func(), err error) {
	f, err := os.OpenFile(s.path+".lock", os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, storeError("lock file store", "cannot open the lock file", err)
	}
	fd := int(f.Fd())
	for delay := time.Millisecond; ; delay = min(2*delay, 50*time.Millisecond) {
		err := syscall.Flock(fd, syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return func() {
				_ = syscall.Flock(fd, syscall.LOCK_UN)
				_ = f.Close()
			}, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) && !errors.Is(err, syscall.EINTR) {
			_ = f.Close()
			return nil, storeError("lock file store", "flock failed", err)
		}
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			_ = f.Close()
			return nil, ctx.Err()
		case <-t.C:
		}
	}
}

// read loads every record; a missing file is an empty store.
func (s *FileStore) read() ([]Record, error) {
	f, err := os.Open(s.path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, storeError("read file store", "cannot open the file", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, storeError("read file store", "cannot stat the file", err)
	}
	if !fi.Mode().IsRegular() {
		return nil, &Error{Op: "read file store", Kind: ErrStore, Detail: quote(s.path) + " is not a regular file"}
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return nil, &Error{Op: "read file store", Kind: ErrStore,
			Detail: quote(s.path) + " holds bucket credentials but other users may read or write it (mode " + strconv.FormatUint(uint64(perm), 8) + ")",
			Fix:    "chmod 600 " + s.path}
	}
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(f); err != nil {
		return nil, storeError("read file store", "cannot read the file", err)
	}
	return s.decode(buf.Bytes())
}

// decode parses the file. Its errors never quote the file's content, which
// holds secrets.
func (s *FileStore) decode(data []byte) ([]Record, error) {
	var ff fileFormat
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&ff); err != nil {
		return nil, s.corrupt("it is not a team store file (JSON object with version and teams)")
	}
	if ff.Version != fileVersion1 && ff.Version != fileVersion {
		return nil, s.corrupt("its version is " + strconv.Itoa(ff.Version) + ", this byob reads versions 1 and " + strconv.Itoa(fileVersion))
	}
	recs := make([]Record, 0, len(ff.Teams))
	seen := make(map[string]bool, len(ff.Teams))
	for i, t := range ff.Teams {
		if err := checkTeamName(t.Team); err != nil || seen[t.Team] {
			return nil, s.corrupt("entry " + strconv.Itoa(i+1) + " has a bad or repeated team name")
		}
		seen[t.Team] = true
		rec, err := s.decodeTeam(ff.Version, i, t)
		if err != nil {
			return nil, err
		}
		recs = append(recs, rec)
	}
	return recs, nil
}

// decodeTeam reads entry i of a file of the given version.
func (s *FileStore) decodeTeam(version, i int, t fileTeam) (Record, error) {
	rec := Record{Team: t.Team}
	creds := address.Credentials{AccessKey: t.AccessKey, Secret: t.Secret}
	if version == fileVersion1 && !creds.IsZero() {
		return Record{}, s.corrupt("entry " + strconv.Itoa(i+1) + " has credential fields, which version 1 files do not have")
	}
	if t.Storage == "" {
		if !creds.IsZero() {
			return Record{}, s.corrupt("entry " + strconv.Itoa(i+1) + " has credentials but no storage")
		}
		return rec, nil
	}
	a, err := address.Parse(t.Storage)
	if err != nil { // address errors never contain a secret
		return Record{}, &Error{Op: "read file store", Team: t.Team, Kind: ErrStore,
			Detail: quote(s.path) + ": the team's stored address does not parse", Cause: err}
	}
	if version == fileVersion1 {
		creds = a.Credentials()
	} else if a.HasCredentials() {
		return Record{}, s.corrupt("entry " + strconv.Itoa(i+1) + " has credentials inside its storage address, which version 2 keeps apart")
	}
	rec.Storage, rec.Credentials = a.WithoutCredentials(), creds
	return rec, nil
}

func (s *FileStore) corrupt(problem string) error {
	return &Error{Op: "read file store", Kind: ErrStore, Detail: quote(s.path) + ": " + problem,
		Fix: "restore the file from a backup; byob never rewrites a file it cannot read"}
}

// write replaces the file atomically with recs. s.mu and the lock are held.
func (s *FileStore) write(recs []Record) (err error) {
	ff := fileFormat{Version: fileVersion, Teams: make([]fileTeam, len(recs))}
	for i, r := range recs {
		t := &ff.Teams[i]
		t.Team = r.Team
		if r.Storage != nil {
			t.Storage = r.Storage.WithoutCredentials().URL()
			t.AccessKey, t.Secret = r.Credentials.AccessKey, r.Credentials.Secret
		}
	}
	data, err := json.MarshalIndent(ff, "", "  ")
	if err != nil {
		return storeError("write file store", "cannot encode the records", err)
	}
	dir := filepath.Dir(s.path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(s.path)+".tmp-*") // mode 0600
	if err != nil {
		return storeError("write file store", "cannot create a temporary file", err)
	}
	defer func() {
		if err != nil {
			_ = os.Remove(tmp.Name())
		}
	}()
	_, err = tmp.Write(append(data, '\n'))
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), s.path)
	}
	if err != nil {
		return storeError("write file store", "cannot replace the file", err)
	}
	return syncDir(dir)
}

// syncDir makes the rename durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return storeError("write file store", "cannot open the directory to sync it", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return storeError("write file store", "cannot sync the directory", err)
	}
	return nil
}

func storeError(op, detail string, cause error) error {
	return &Error{Op: op, Kind: ErrStore, Detail: detail, Cause: cause}
}
