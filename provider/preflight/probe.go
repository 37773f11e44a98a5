package preflight

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/byobkit/byob/address"
	"github.com/byobkit/byob/provider"
	"gocloud.dev/blob"
	"gocloud.dev/gcerrors"
)

// probeCleanupTimeout bounds the removal of the probe object, which runs on
// a context of its own so that a cancelled Check still cleans up.
const probeCleanupTimeout = 30 * time.Second

// checkPerms are the permissions, per provider, that the data checks need.
type checkPerms struct{ list, write, read, delete string }

var dataPerms = map[address.Provider]checkPerms{
	address.S3:        {"s3:ListBucket", "s3:PutObject", "s3:GetObject", "s3:DeleteObject"},
	address.CoreWeave: {"s3:ListBucket", "s3:PutObject", "s3:GetObject", "s3:DeleteObject"},
	address.GCS:       {"storage.objects.list", "storage.objects.create", "storage.objects.get", "storage.objects.delete"},
	address.Azure: {
		"Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read",
		"Microsoft.Storage/storageAccounts/blobServices/containers/blobs/write",
		"Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read",
		"Microsoft.Storage/storageAccounts/blobServices/containers/blobs/delete",
	},
}

// reachable lists one page under the sub-path: the bucket exists, answers,
// and takes the credentials.
func (run *checkRun) reachable(ctx context.Context, openErr error) Finding {
	where := run.where()
	switch {
	case openErr != nil && run.a.Provider == address.File:
		return run.fileOpenFinding(openErr)
	case openErr != nil:
		return errFinding(CheckReachable, "cannot open "+where+": "+errText(openErr),
			"check the address's endpoint and credentials")
	}
	_, err := run.h.Bucket().List(nil).Next(ctx)
	if err == nil || err == io.EOF {
		run.reached = true
		run.signedBy = CheckReachable
		return okFinding(CheckReachable, "listed "+where)
	}
	perm := dataPerms[run.a.Provider].list
	switch checkErrKindOf(err) {
	case kindDenied:
		f := errFinding(CheckReachable, "access denied listing "+where+" ("+errText(err)+")",
			"check the credentials, and grant "+perm+" on the bucket")
		f.Permission = perm
		return f
	case kindNotFound:
		return errFinding(CheckReachable, where+" does not exist ("+errText(err)+")",
			"create it, or correct the bucket name in the address")
	}
	return errFinding(CheckReachable, "cannot list "+where+": "+errText(err),
		"check the endpoint, the network path to it, and the region")
}

// where names the bucket and sub-path for messages.
func (run *checkRun) where() string {
	what := "bucket"
	switch run.a.Provider {
	case address.Azure:
		what = "container"
	case address.File:
		what = "directory"
	}
	s := what + " " + quote(run.a.Bucket)
	if run.a.Path != "" {
		s += " under " + quote(run.a.Path+"/")
	}
	return s
}

// probeStore is what the probe needs of a bucket; *blob.Bucket has it.
// Tests wrap a bucket to make single steps fail.
//
// The probe writes with Upload, not WriteAll: gocloud v0.47.0's azureblob
// writer dereferences a nil pipe, and panics, when an upload made through
// Write fails (a refused permission, say); Upload takes another path.
type probeStore interface {
	Upload(ctx context.Context, key string, r io.Reader, opts *blob.WriterOptions) error
	ReadAll(ctx context.Context, key string) ([]byte, error)
	Delete(ctx context.Context, key string) error
	Exists(ctx context.Context, key string) (bool, error)
}

// probeCheck writes, reads back and deletes a probe object.
func probeCheck(ctx context.Context, run *checkRun) Finding {
	key, err := probeKey()
	if err != nil {
		return couldNotCheck(CheckReadWrite, "cannot make a probe name: "+err.Error(), "", "")
	}
	f, worked := runProbe(ctx, run.h.Bucket(), key, dataPerms[run.a.Provider], run.purger(), run.fullKey(key))
	if worked {
		run.signedBy = CheckReadWrite
	}
	return f
}

// probeKey returns a fresh key under ProbeDir, relative to the sub-path.
func probeKey() (string, error) {
	var b [12]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return ProbeDir + "/" + hex.EncodeToString(b[:]), nil
}

// fullKey is key as the native clients see it, with the sub-path.
func (run *checkRun) fullKey(key string) string { return run.h.Prefix() + key }

// purgeResult is what a purge of old versions achieved.
type purgeResult struct {
	Left       string // what could not be removed ("3 old versions of it remain"); "" when nothing
	Permission string // the permission the removal was refused, if it was
	Remark     string // a note for an otherwise clean probe (soft delete keeps a copy)
}

// purgeFunc removes every remaining version of the object fullKey, which
// versioning keeps after a plain delete.
type purgeFunc func(ctx context.Context, fullKey string) purgeResult

// runProbe is the read-write-delete check on store. Whatever step fails,
// the probe is deleted again (and, with purge, its old versions) on a
// context that ctx's cancellation does not reach, and the finding says if
// anything was left behind. fullKey is key as the operator sees it.
// The bool says the write, the read back and the delete all succeeded.
func runProbe(ctx context.Context, store probeStore, key string, perms checkPerms, purge purgeFunc, fullKey string) (Finding, bool) {
	body := make([]byte, 64)
	if _, err := rand.Read(body); err != nil {
		return couldNotCheck(CheckReadWrite, "cannot make probe content: "+err.Error(), "", ""), false
	}
	problem, perm, deleted := probeSteps(ctx, store, key, body, perms)

	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), probeCleanupTimeout)
	defer cancel()
	left := probeCleanup(cctx, store, key, deleted)
	var pr purgeResult
	if purge != nil && left == "" {
		pr = purge(cctx, fullKey)
	}
	return probeFinding(problem, perm, fullKey, left, pr), problem == ""
}

// probeFinding is the read-write-delete finding, given the first failed
// step (problem, with the permission it needs), what the cleanup left and
// what the purge of old versions achieved.
func probeFinding(problem, perm, fullKey, left string, pr purgeResult) Finding {
	switch {
	case problem != "":
		f := errFinding(CheckReadWrite, problem+probeLeftText(fullKey, left, pr.Left, perm != "" && strings.HasPrefix(problem, writeFailed)), "")
		if perm != "" {
			f.Permission = perm
			f.Fix = "grant " + perm + " on the bucket to its credentials"
		}
		return f
	case left != "":
		return errFinding(CheckReadWrite, "the probe "+quote(fullKey)+" could not be removed: "+left,
			"delete "+quote(fullKey)+" by hand")
	case pr.Left != "":
		f := warnFinding(CheckReadWrite, "wrote, read back and deleted "+quote(fullKey)+", but "+pr.Left,
			"remove the old versions of "+quote(fullKey)+" by hand")
		if pr.Permission != "" {
			f.Permission = pr.Permission
			f.Fix = "grant " + pr.Permission + ", or " + f.Fix
		}
		return f
	}
	saw := "wrote, read back and deleted " + quote(fullKey) + "; nothing left behind"
	if pr.Remark != "" {
		saw += " (" + pr.Remark + ")"
	}
	return okFinding(CheckReadWrite, saw)
}

// probeSteps writes, reads and deletes; it returns the first problem, the
// permission that step needs, and whether the delete succeeded.
func probeSteps(ctx context.Context, store probeStore, key string, body []byte, perms checkPerms) (problem, perm string, deleted bool) {
	if err := store.Upload(ctx, key, bytes.NewReader(body), &blob.WriterOptions{ContentType: "application/octet-stream"}); err != nil {
		return writeFailed + errText(err), permIfDenied(err, perms.write), false
	}
	got, err := store.ReadAll(ctx, key)
	switch {
	case err != nil:
		return "wrote the probe but cannot read it back: " + errText(err), permIfDenied(err, perms.read), false
	case !bytes.Equal(got, body):
		return fmt.Sprintf("the probe read back differs from what was written (%d bytes, wrote %d)", len(got), len(body)), "", false
	}
	if err := store.Delete(ctx, key); err != nil {
		return "wrote and read the probe but cannot delete it: " + errText(err), permIfDenied(err, perms.delete), false
	}
	return "", "", true
}

// permIfDenied names perm when err is a refused permission.
func permIfDenied(err error, perm string) string {
	if checkErrKindOf(err) == kindDenied {
		return perm
	}
	return ""
}

// probeCleanup makes sure the probe is gone; it returns "" when it is, or
// why it may remain.
func probeCleanup(ctx context.Context, store probeStore, key string, deleted bool) string {
	var delErr error
	if !deleted {
		if delErr = store.Delete(ctx, key); provider.Code(delErr) == gcerrors.NotFound {
			delErr = nil
		}
	}
	exists, err := store.Exists(ctx, key)
	switch {
	case err == nil && !exists:
		return ""
	case delErr != nil:
		return "delete failed: " + errText(delErr)
	case err != nil:
		return "cannot confirm it is gone: " + errText(err)
	}
	return "it still exists after delete"
}

// writeFailed starts the problem of a failed write.
const writeFailed = "cannot write the probe: "

// probeLeftText completes a failed probe's description with what the
// cleanup achieved. refused: the write itself was refused, so the probe was
// most likely never stored even if its absence cannot be confirmed.
func probeLeftText(fullKey, left, note string, refused bool) string {
	switch {
	case left != "" && refused:
		return "; the probe " + quote(fullKey) + " was most likely never stored, but that could not be confirmed (" + left + ")"
	case left != "":
		return "; the probe " + quote(fullKey) + " may be left behind (" + left + "): delete it by hand"
	case note != "":
		return "; the probe was deleted, but " + note
	}
	return "; the probe was removed"
}

// purger returns the provider's purge of old versions, nil where deletes
// leave none.
func (run *checkRun) purger() purgeFunc {
	switch run.a.Provider {
	case address.S3, address.CoreWeave:
		return run.s3Purge
	case address.GCS:
		return run.gcsPurge
	case address.Azure:
		return run.azurePurge
	case address.File:
		return run.filePurger()
	}
	return nil
}

// errNoNativeClient: the handle lacks the provider's native client. Every
// handle provider.Open returns has one; only a handle over a caller's own
// bucket (provider.NewHandle) lacks it.
var errNoNativeClient = errors.New("the bucket's handle has no native client to read its settings with")
