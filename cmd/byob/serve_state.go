package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/byobkit/byob/address"
	"github.com/byobkit/byob/presign"
	"github.com/byobkit/byob/provider"
	"github.com/byobkit/byob/scope"
)

// What 'byob serve --dir DIR' keeps beside the bucket's directory, never
// inside it: a file:// bucket is the whole directory, so anything inside
// would show in its listing and be fair game for the collector. Beside it,
// under DIR's parent, the bucket's own listing and a collector over
// file://DIR cannot reach it; presign.HandlerOptions.Staging asks the same
// of the staging directory.
//
//	<parent>/.<name>.byob-serve          the state file (0600): keys and base URL
//	<parent>/.<name>.byob-serve-staging/ the parts of multipart uploads
const (
	stateSuffix   = ".byob-serve"
	stagingSuffix = ".byob-serve-staging"
	// stateMaxBytes bounds what is read: a state file is a few hundred
	// bytes; anything larger is not one.
	stateMaxBytes = 64 << 10
	// stateVersion is the state file's format; a new format gets a new number.
	stateVersion = 1
)

// servePaths returns the state file and staging directory of the bucket
// in dir, a clean absolute directory (an address's Bucket).
func servePaths(dir string) (state, staging string) {
	parent, name := filepath.Dir(dir), filepath.Base(dir)
	return filepath.Join(parent, "."+name+stateSuffix), filepath.Join(parent, "."+name+stagingSuffix)
}

// serveState is what the state file holds: the keys the server verifies
// with and the base URL it is reached at, so that 'byob presign file://DIR'
// signs URLs the running server accepts, and a restart keeps them valid.
type serveState struct {
	BaseURL string
	Keys    *presign.LocalKeys
}

// stateFile is the state file's JSON form. Only readState and writeState
// touch it: Keys is the secret itself (EncodeSecret).
type stateFile struct {
	Version int    `json:"version"`
	BaseURL string `json:"baseURL"`
	Keys    string `json:"keys"`
}

// errNoState: the state file does not exist (serve has never run on DIR).
var errNoState = errors.New("no byob serve state")

// readState reads the state file at path. It refuses a file that others
// may read or write (mode looser than 0600) and anything but a regular
// file, and its errors never quote the file's contents.
func readState(path string) (*serveState, error) {
	fi, err := os.Lstat(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%w at %s", errNoState, path)
	}
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("the state file %s is not a regular file (%s); fix: remove it, and byob serve writes a new one", path, fi.Mode().Type())
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return nil, fmt.Errorf("the state file %s has mode %04o, so others may read its signing keys; fix: chmod 600 %s (and rotate the keys if others did read it: remove the file and restart byob serve)", path, perm, path)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	// The file opened must be the one checked, not a link put there since.
	if ofi, err := f.Stat(); err != nil || !os.SameFile(fi, ofi) {
		return nil, fmt.Errorf("the state file %s changed while it was read; fix: run the command again", path)
	}
	data, err := io.ReadAll(io.LimitReader(f, stateMaxBytes+1))
	if err != nil {
		return nil, err
	}
	bad := func(what string) error {
		return fmt.Errorf("the state file %s is not one byob serve wrote (%s); fix: remove it, and byob serve writes a new one (URLs signed before stop working)", path, what)
	}
	var sf stateFile
	// json's syntax errors quote a byte of the input: not shown.
	if len(data) > stateMaxBytes || json.Unmarshal(data, &sf) != nil {
		return nil, bad("it is not its JSON")
	}
	if sf.Version != stateVersion {
		return nil, bad(fmt.Sprintf("version %d, want %d", sf.Version, stateVersion))
	}
	if err := checkBaseURL(sf.BaseURL); err != nil {
		return nil, bad("its baseURL " + err.Error())
	}
	keys, err := presign.ParseLocalKeys(sf.Keys)
	if err != nil {
		return nil, bad("its keys do not parse")
	}
	return &serveState{BaseURL: sf.BaseURL, Keys: keys}, nil
}

// writeState writes st to path atomically with mode 0600: a temporary
// file beside it, synced, then renamed over it. With exclusive set it
// fails with os.ErrExist rather than replace an existing file, so two
// servers starting at once cannot each write keys of their own.
func writeState(path string, st *serveState, exclusive bool) error {
	data, err := json.Marshal(stateFile{Version: stateVersion, BaseURL: st.BaseURL, Keys: st.Keys.EncodeSecret()})
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(append(data, '\n')); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if exclusive {
		return os.Link(tmp.Name(), path)
	}
	return os.Rename(tmp.Name(), path)
}

// checkBaseURL checks a base URL as the handler needs it: http, a host,
// no userinfo, path, query or fragment.
func checkBaseURL(s string) error {
	u, err := url.Parse(s)
	switch {
	case err != nil:
		return errors.New("does not parse")
	case u.Scheme != "http" || u.Host == "" || u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "":
		return errors.New("is not http://host:port")
	}
	return nil
}

// fileAddress returns the file:// address of dir, made absolute.
func fileAddress(dir string) (*address.Address, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	a := &address.Address{Provider: address.File, Bucket: filepath.ToSlash(abs)}
	return address.Parse(a.URL())
}

// openLocation opens a as the one location of a registry of its own, for
// a command that signs or serves a single address: the instance bucket
// of a deployment that offers a's flavor there, or else a team bucket of
// a multi-tenant one (CoreWeave). The bucket is not checked: nothing is
// created. Close the registry when done.
func openLocation(ctx context.Context, a *address.Address, opts ...provider.Option) (*scope.Registry, *scope.Location, error) {
	noCheck := func(context.Context, *address.Address) ([]string, error) { return nil, nil }
	cfg := scope.Config{Store: scope.NewMemStore(), Open: scope.ProviderOpen(opts...), Check: noCheck}
	f := a.Flavor()
	const team = "byob"
	switch {
	case scope.Available(scope.Testing, scope.Instance, f) == nil:
		cfg.Deployment, cfg.Instance = scope.Testing, a
	case scope.Available(scope.SelfManaged, scope.Instance, f) == nil:
		cfg.Deployment, cfg.Instance = scope.SelfManaged, a
	default:
		cfg.Deployment = scope.MultiTenant
	}
	reg, err := scope.New(ctx, cfg)
	if err != nil {
		return nil, nil, err
	}
	var loc *scope.Location
	if cfg.Instance != nil {
		loc, err = reg.Instance()
	} else if _, err = reg.CreateTeam(ctx, team, a); err == nil {
		loc, err = reg.Location(ctx, team)
	}
	if err != nil {
		reg.Close()
		return nil, nil, err
	}
	return reg, loc, nil
}

// oneLine joins a multi-line message into one line.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
