package preflight

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/aws/smithy-go"
	"github.com/byobkit/byob/address"
	"github.com/byobkit/byob/internal/testsecret"
	"github.com/byobkit/byob/provider"
	"github.com/google/go-cmp/cmp"
	"gocloud.dev/blob"
	"gocloud.dev/blob/memblob"
	"gocloud.dev/gcerrors"
)

// checkProbeKeyRE matches the random part of probe keys in findings.
var checkProbeKeyRE = regexp.MustCompile(`\.byob-check/[0-9a-f]{24}`)

// normalize replaces the random probe key, so findings compare exactly.
func checkNormalize(fs []Finding) []Finding {
	out := make([]Finding, len(fs))
	for i, f := range fs {
		f.Saw = checkProbeKeyRE.ReplaceAllString(f.Saw, ".byob-check/<random>")
		f.Fix = checkProbeKeyRE.ReplaceAllString(f.Fix, ".byob-check/<random>")
		out[i] = f
	}
	return out
}

func checkAddr(t *testing.T, s string) *address.Address {
	t.Helper()
	a, err := address.Parse(s)
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	return a
}

// checkNotApplicableRest are the findings after the first two for file:// and
// mem:// addresses.
var checkNotApplicableRest = []Finding{
	{Check: CheckCORS, Saw: "not applicable: browsers never reach this store"},
	{Check: CheckVersioning, Saw: "not applicable: the store keeps no versions; garbage collection has no safety net here"},
	{Check: CheckEncryption, Saw: "not applicable: the store has no bucket encryption settings"},
	{Check: CheckLifecycle, Saw: "not applicable: the store has no lifecycle rules"},
	{Check: CheckRegion, Saw: "not applicable: the address carries no region"},
	{Check: CheckTransport, Saw: "not applicable: no network is involved"},
}

func TestCheckEmbeddedStores(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name  string
		addr  string
		first []Finding
	}{
		{"mem bucket with a sub-path runs the data checks only", "mem://check-test-mem/team/a", []Finding{
			{Check: CheckReachable, Saw: `listed bucket "check-test-mem" under "team/a/"`},
			{Check: CheckReadWrite, Saw: `wrote, read back and deleted "team/a/.byob-check/<random>"; nothing left behind`},
		}},
		{"file directory runs the data checks only", fileURL(filepath.ToSlash(dir)), []Finding{
			{Check: CheckReachable, Saw: `listed directory "` + filepath.ToSlash(dir) + `"`},
			{Check: CheckReadWrite, Saw: `wrote, read back and deleted ".byob-check/<random>"; nothing left behind`},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := Check(context.Background(), checkAddr(t, tt.addr), Options{})
			if err != nil {
				t.Fatalf("Check: %v", err)
			}
			want := append(tt.first, checkNotApplicableRest...)
			if d := cmp.Diff(want, checkNormalize(r.Findings)); d != "" {
				t.Errorf("findings (-want +got):\n%s", d)
			}
			if r.Worst() != SeverityOK {
				t.Errorf("Worst = %v, want ok", r.Worst())
			}
		})
	}
	// Nothing is left behind: the mem store is empty, and the file bucket's
	// directory is empty.
	b, err := provider.Open(context.Background(), checkAddr(t, "mem://check-test-mem"))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if obj, err := b.Bucket().List(nil).Next(context.Background()); err == nil {
		t.Errorf("mem store holds %q after the check", obj.Key)
	}
	var left []string
	filepath.WalkDir(dir, func(p string, _ fs.DirEntry, _ error) error {
		if p != dir {
			left = append(left, p)
		}
		return nil
	})
	if len(left) > 0 {
		t.Errorf("file bucket holds %v after the check", left)
	}
}

// TestCheckRunsEachSettingWhereItExists: every bucket store runs the
// settings checks of the API it speaks (CoreWeave those of S3), and only
// the region check is not applicable, to GCS and Azure. The servers refuse
// every request, so the checks find nothing; what matters is that none
// that exists for the store is reported as not applicable.
func TestCheckRunsEachSettingWhereItExists(t *testing.T) {
	_, gcsKey := testsecret.RSAKey(t)
	tests := []struct {
		name, addr    string
		notApplicable []string
	}{
		{"S3", "s3://ak:sk@minio.internal:9000/bkt?region=us-east-1", nil},
		{"CoreWeave speaks S3", "cw://ak:sk@cwobject.com/bkt?region=US-EAST-04A&tls=true", nil},
		{"GCS has no region", "gs://sa%40p.iam.gserviceaccount.com:" + url.QueryEscape(gcsKey) + "@bkt", []string{CheckRegion}},
		{"Azure has no region", "az://:a2V5@acct/ctr?endpoint=http://azure.internal:10000", []string{CheckRegion}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hc := &http.Client{Transport: checkLeakyTransport{secret: "refused", status: http.StatusForbidden}}
			r, err := Check(context.Background(), checkAddr(t, tt.addr), Options{Open: []provider.Option{provider.WithHTTPClient(hc)}})
			if err != nil {
				t.Fatalf("Check: %v", err)
			}
			var got []string
			for _, f := range r.Findings {
				if strings.HasPrefix(f.Saw, "not applicable: ") {
					got = append(got, f.Check)
				}
			}
			if !slices.Equal(got, tt.notApplicable) {
				t.Errorf("not applicable: %q, want %q\n%s", got, tt.notApplicable, r)
			}
		})
	}
}

func TestCheckFileRemovesOnlyWhatTheProbeCreated(t *testing.T) {
	dir := t.TempDir()
	keep := filepath.Join(dir, "team", "keep.txt")
	if err := os.MkdirAll(filepath.Dir(keep), 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keep, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	a := checkAddr(t, fileURL(filepath.ToSlash(dir)+"/team"))
	r, err := Check(context.Background(), a, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if r.Worst() != SeverityOK {
		t.Errorf("Worst = %v, want ok:\n%s", r.Worst(), r)
	}
	ents, err := os.ReadDir(filepath.Dir(keep))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	if d := cmp.Diff([]string{"keep.txt"}, names); d != "" {
		t.Errorf("directory after the check (-want +got):\n%s", d)
	}
}

// A check changes nothing but its probe: a file:// directory that does not
// exist is an error finding with the command that creates it, and is still
// missing afterwards, as is every directory above it that was missing.
func TestCheckFileMissingDirectoryIsReportedNotCreated(t *testing.T) {
	parent := t.TempDir()
	tests := []struct {
		name    string
		dir     string // the address's directory, under parent
		missing string // the outermost missing directory, under parent
	}{
		{"missing directory in an existing one", "new", "new"},
		{"missing directory under a missing one", "a/b/c", "a"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(parent, filepath.FromSlash(tt.dir))
			r, err := Check(context.Background(), checkAddr(t, fileURL(filepath.ToSlash(dir))), Options{})
			if err != nil {
				t.Fatalf("Check: %v", err)
			}
			want := append([]Finding{
				{Check: CheckReachable, Severity: SeverityError, Saw: `directory "` + filepath.ToSlash(dir) + `" does not exist`,
					Fix: "create it: mkdir -p -m 750 " + dir},
				{Check: CheckReadWrite, Severity: SeverityWarning, CouldNotCheck: true, Saw: "skipped: the bucket could not be opened (see reachable)"},
			}, checkNotApplicableRest...)
			if d := cmp.Diff(want, r.Findings); d != "" {
				t.Errorf("findings (-want +got):\n%s", d)
			}
			if r.Worst() != SeverityError {
				t.Errorf("Worst = %v, want error", r.Worst())
			}
			if _, err := os.Lstat(filepath.Join(parent, tt.missing)); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("the check created %s (Lstat: %v)", tt.missing, err)
			}
		})
	}
}

func TestCheckFileNotADirectory(t *testing.T) {
	f := filepath.Join(t.TempDir(), "plain")
	if err := os.WriteFile(f, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	r, err := Check(context.Background(), checkAddr(t, fileURL(filepath.ToSlash(f))), Options{})
	if err != nil {
		t.Fatalf("Check: %v", err)
	}
	got, _ := r.Finding(CheckReachable)
	if got.Severity != SeverityError || !strings.Contains(got.Saw, "is not a directory") ||
		got.Fix != "make "+f+" a directory that the server's user can read and write" {
		t.Errorf("reachable = %+v", got)
	}
	if b, err := os.ReadFile(f); err != nil || string(b) != "x" {
		t.Errorf("the file changed: %q, %v", b, err)
	}
}

func TestCheckCannotRun(t *testing.T) {
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name string
		ctx  context.Context
		a    *address.Address
		kind error // also in the chain, besides ErrCheck
	}{
		{"nil address", context.Background(), nil, ErrCheck},
		{"bare scheme names no bucket", context.Background(), &address.Address{Provider: address.CoreWeave}, ErrCheck},
		{"hand-built address with an invalid bucket name", context.Background(),
			&address.Address{Provider: address.S3, Endpoint: "127.0.0.1:9", Bucket: "Bad_Name", Region: "us-east-1"}, address.ErrInvalid},
		{"S3-compatible address without a region", context.Background(),
			&address.Address{Provider: address.S3, Endpoint: "minio.local:9000", Bucket: "bkt", AccessKey: "ak", Secret: "sk-secret"}, address.ErrMissing},
		{"cancelled context", cancelled, checkAddr(t, "mem://check-test-cancelled"), context.Canceled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := Check(tt.ctx, tt.a, Options{})
			if r != nil || !errors.Is(err, ErrCheck) || !errors.Is(err, tt.kind) {
				t.Fatalf("Check = %v, %v; want nil and an error wrapping ErrCheck and %v", r, err, tt.kind)
			}
			if tt.a != nil && tt.a.Secret != "" && strings.Contains(err.Error(), tt.a.Secret) {
				t.Errorf("error contains the secret: %v", err)
			}
		})
	}
	// The cancelled check wrote nothing.
	b, _ := provider.Open(context.Background(), checkAddr(t, "mem://check-test-cancelled"))
	defer b.Close()
	if obj, err := b.Bucket().List(nil).Next(context.Background()); err == nil {
		t.Errorf("cancelled check left %q", obj.Key)
	}
}

// checkFailingStore is a memblob bucket whose steps can be made to fail.
type checkFailingStore struct {
	*blob.Bucket
	refuseWrite error // fail the write with this error, storing nothing
	failExists  error // fail existence checks with this error
	failWrite   bool  // fail after writing the object
	failRead    bool
	corruptRead bool
	failDeletes int          // fail this many deletes
	onRead      func()       // called before the read
	readErr     func() error // the read's error, when failRead
	deletes     int          // deletes attempted
	deleteErrs  []error      // each delete's ctx.Err() when it ran
}

var errCheckInjected = errors.New("injected failure")

// checkDenied is a refused permission, as Open's buckets report it.
var checkDenied = &provider.Error{Code: gcerrors.PermissionDenied, Err: &smithy.GenericAPIError{Code: "AccessDenied", Message: "Access Denied"}}

func (s *checkFailingStore) Upload(ctx context.Context, key string, r io.Reader, o *blob.WriterOptions) error {
	if s.refuseWrite != nil {
		return s.refuseWrite
	}
	if err := s.Bucket.Upload(ctx, key, r, o); err != nil {
		return err
	}
	if s.failWrite {
		return errCheckInjected // the object exists although the write "failed"
	}
	return nil
}

func (s *checkFailingStore) ReadAll(ctx context.Context, key string) ([]byte, error) {
	if s.onRead != nil {
		s.onRead()
	}
	if s.failRead {
		if s.readErr != nil {
			return nil, s.readErr()
		}
		return nil, errCheckInjected
	}
	b, err := s.Bucket.ReadAll(ctx, key)
	if s.corruptRead && len(b) > 0 {
		b[0] ^= 0xff
	}
	return b, err
}

func (s *checkFailingStore) Exists(ctx context.Context, key string) (bool, error) {
	if s.failExists != nil {
		return false, s.failExists
	}
	return s.Bucket.Exists(ctx, key)
}

func (s *checkFailingStore) Delete(ctx context.Context, key string) error {
	s.deletes++
	s.deleteErrs = append(s.deleteErrs, ctx.Err())
	if s.deletes <= s.failDeletes {
		return errCheckInjected
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.Bucket.Delete(ctx, key)
}

func TestProbeLeavesNothingBehind(t *testing.T) {
	const key = ProbeDir + "/0123"
	perms := dataPerms[address.S3]
	tests := []struct {
		name   string
		store  func(cancel context.CancelFunc) *checkFailingStore
		want   Finding
		remain bool // the probe is expected to survive (every delete fails)
	}{
		{"all steps work", func(context.CancelFunc) *checkFailingStore { return &checkFailingStore{} },
			Finding{Check: CheckReadWrite, Saw: `wrote, read back and deleted "team/.byob-check/0123"; nothing left behind`}, false},
		{"write reports failure after storing the object", func(context.CancelFunc) *checkFailingStore { return &checkFailingStore{failWrite: true} },
			Finding{Check: CheckReadWrite, Severity: SeverityError, Saw: "cannot write the probe: injected failure; the probe was removed"}, false},
		{"write refused and its absence cannot be confirmed", func(context.CancelFunc) *checkFailingStore {
			return &checkFailingStore{refuseWrite: checkDenied, failDeletes: 99, failExists: checkDenied}
		}, Finding{Check: CheckReadWrite, Severity: SeverityError, Permission: "s3:PutObject", Fix: "grant s3:PutObject on the bucket to its credentials",
			Saw: `cannot write the probe: AccessDenied: Access Denied; the probe "team/.byob-check/0123" was most likely never stored, but that could not be confirmed (delete failed: injected failure)`}, false},
		{"read-back fails", func(context.CancelFunc) *checkFailingStore { return &checkFailingStore{failRead: true} },
			Finding{Check: CheckReadWrite, Severity: SeverityError, Saw: "wrote the probe but cannot read it back: injected failure; the probe was removed"}, false},
		{"read-back is denied: the finding names the permission", func(context.CancelFunc) *checkFailingStore {
			return &checkFailingStore{failRead: true, readErr: func() error { return checkDenied }}
		}, Finding{Check: CheckReadWrite, Severity: SeverityError, Permission: "s3:GetObject", Fix: "grant s3:GetObject on the bucket to its credentials",
			Saw: "wrote the probe but cannot read it back: AccessDenied: Access Denied; the probe was removed"}, false},
		{"read-back differs", func(context.CancelFunc) *checkFailingStore { return &checkFailingStore{corruptRead: true} },
			Finding{Check: CheckReadWrite, Severity: SeverityError, Saw: "the probe read back differs from what was written (64 bytes, wrote 64); the probe was removed"}, false},
		{"first delete fails, the cleanup's succeeds", func(context.CancelFunc) *checkFailingStore { return &checkFailingStore{failDeletes: 1} },
			Finding{Check: CheckReadWrite, Severity: SeverityError, Saw: "wrote and read the probe but cannot delete it: injected failure; the probe was removed"}, false},
		{"context cancelled during the read: cleanup still deletes", func(cancel context.CancelFunc) *checkFailingStore {
			return &checkFailingStore{onRead: cancel, failRead: true, readErr: func() error { return context.Canceled }}
		}, Finding{Check: CheckReadWrite, Severity: SeverityError, Saw: "wrote the probe but cannot read it back: context canceled; the probe was removed"}, false},
		{"every delete fails: the finding says what is left and where", func(context.CancelFunc) *checkFailingStore { return &checkFailingStore{failDeletes: 99} },
			Finding{Check: CheckReadWrite, Severity: SeverityError,
				Saw: `wrote and read the probe but cannot delete it: injected failure; the probe "team/.byob-check/0123" may be left behind (delete failed: injected failure): delete it by hand`}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			s := tt.store(cancel)
			s.Bucket = memblob.OpenBucket(nil)
			defer s.Bucket.Close()
			got, _ := runProbe(ctx, s, key, perms, nil, "team/"+key)
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("finding (-want +got):\n%s", d)
			}
			exists, err := s.Bucket.Exists(context.Background(), key)
			if err != nil || exists != tt.remain {
				t.Errorf("probe exists = %v, %v; want %v", exists, err, tt.remain)
			}
			// The last delete is the cleanup's: it must not see ctx's cancellation.
			if n := len(s.deleteErrs); n == 0 || s.deleteErrs[n-1] != nil {
				t.Errorf("deletes ran on contexts with errors %v; the last must be live", s.deleteErrs)
			}
		})
	}
}

func TestProbeReportsPurgeResult(t *testing.T) {
	tests := []struct {
		name  string
		purge purgeResult
		want  Finding
	}{
		{"old version refused: warning with the permission", purgeResult{Left: "1 old version of it remain (AccessDenied: no)", Permission: "s3:DeleteObjectVersion"},
			Finding{Check: CheckReadWrite, Severity: SeverityWarning, Permission: "s3:DeleteObjectVersion",
				Saw: `wrote, read back and deleted "p/.byob-check/k", but 1 old version of it remain (AccessDenied: no)`,
				Fix: `grant s3:DeleteObjectVersion, or remove the old versions of "p/.byob-check/k" by hand`}},
		{"remark on a clean probe stays ok", purgeResult{Remark: "soft delete keeps a copy"},
			Finding{Check: CheckReadWrite, Saw: `wrote, read back and deleted "p/.byob-check/k"; nothing left behind (soft delete keeps a copy)`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := memblob.OpenBucket(nil)
			defer b.Close()
			purge := func(context.Context, string) purgeResult { return tt.purge }
			got, _ := runProbe(context.Background(), b, ProbeDir+"/k", dataPerms[address.S3], purge, "p/"+ProbeDir+"/k")
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("finding (-want +got):\n%s", d)
			}
		})
	}
}

// fileURL is the file:// address of dir, escaped, so that a temporary
// directory with '%', '#' or '?' in its name still parses.
func fileURL(dir string) string {
	return (&address.Address{Provider: address.File, Bucket: dir}).URL()
}
