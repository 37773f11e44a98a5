package gc

import (
	"context"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/byobkit/byob/address"
	"github.com/byobkit/byob/provider"
	"github.com/byobkit/byob/scope"
)

// Mode is what makes a run's deletes undoable (Restore).
type Mode string

// The modes.
const (
	// ModeVersions: the bucket keeps versions (S3 and GCS object
	// versioning): a delete leaves the previous version behind. Azure
	// blob versioning is an account setting the blob service does not
	// show, so an Azure run is ModeSoftDelete or ModeNone (Restore still
	// copies a previous version back where it finds one).
	ModeVersions Mode = "versions"
	// ModeSoftDelete: the bucket keeps deleted objects for a while (GCS
	// soft delete, Azure blob soft delete).
	ModeSoftDelete Mode = "soft-delete"
	// ModeTrash: byob moved the objects under Options.Trash before
	// deleting them.
	ModeTrash Mode = "trash"
	// ModeNone: nothing keeps them (file://, mem://, S3 with versioning
	// off or suspended, GCS without versioning or soft delete, Azure
	// without soft delete);
	// Restore cannot undo the run, which needs Options.Force.
	ModeNone Mode = "none"
)

// modeDetectors read what a provider's bucket keeps of a deleted object.
// A provider without one (file, mem) keeps nothing.
var modeDetectors = map[address.Provider]func(ctx context.Context, h *provider.Handle) (Mode, string, error){
	address.S3:        s3Mode,
	address.CoreWeave: s3Mode,
	address.GCS:       gcsMode,
	address.Azure:     azureMode,
}

// detectMode says what makes the run's deletes undoable: the Trash if one
// is given, else what the bucket keeps, with a word on why for the log
// and the refusal. A bucket whose settings cannot be read is an ErrMode
// error, never taken for ModeNone.
func detectMode(ctx context.Context, loc *scope.Location, trash string) (Mode, string, error) {
	if trash != "" {
		return ModeTrash, "objects are copied under Options.Trash before they are deleted", nil
	}
	h := loc.Handle()
	detect, ok := modeDetectors[h.Location().Provider]
	if !ok {
		return ModeNone, "a " + string(h.Location().Provider) + ":// bucket keeps no versions", nil
	}
	m, why, err := detect(ctx, h)
	if err != nil {
		a := h.Location()
		return "", "", &Error{Op: "check bucket", Kind: ErrMode,
			Detail: "could not read whether the bucket keeps deleted objects (versioning, soft delete)",
			Cause:  provider.WrapError(&a, "check versioning", err),
			Fix:    "grant the permission to read the bucket's versioning (S3 GetBucketVersioning, GCS storage.buckets.get, Azure account service properties)"}
	}
	return m, why, nil
}

func s3Mode(ctx context.Context, h *provider.Handle) (Mode, string, error) {
	c := h.S3()
	if c == nil {
		return ModeNone, "the handle has no native S3 client to read the bucket's versioning with", nil
	}
	out, err := c.GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: aws.String(h.Location().Bucket)})
	if err != nil {
		return "", "", err
	}
	switch out.Status {
	case types.BucketVersioningStatusEnabled:
		return ModeVersions, "bucket versioning is enabled", nil
	case types.BucketVersioningStatusSuspended:
		// A delete then replaces the "null" version of every object
		// written while suspended: those could not be restored.
		return ModeNone, "bucket versioning is suspended: a delete replaces the null version of objects written while it was", nil
	}
	return ModeNone, "bucket versioning is off", nil
}

func gcsMode(ctx context.Context, h *provider.Handle) (Mode, string, error) {
	c := h.GCS()
	if c == nil {
		return ModeNone, "the handle has no native GCS client to read the bucket's attributes with", nil
	}
	attrs, err := c.Bucket(h.Location().Bucket).Attrs(ctx)
	if err != nil {
		return "", "", err
	}
	switch {
	case attrs.VersioningEnabled:
		return ModeVersions, "object versioning is enabled", nil
	case attrs.SoftDeletePolicy != nil && attrs.SoftDeletePolicy.RetentionDuration > 0:
		return ModeSoftDelete, "soft delete keeps deleted objects for " + attrs.SoftDeletePolicy.RetentionDuration.String(), nil
	}
	return ModeNone, "neither object versioning nor soft delete is enabled", nil
}

func azureMode(ctx context.Context, h *provider.Handle) (Mode, string, error) {
	c := h.AzureService()
	if c == nil {
		return ModeNone, "the handle has no native Azure client to read the account's soft delete with", nil
	}
	props, err := c.GetProperties(ctx, nil)
	if err != nil {
		return "", "", err
	}
	// Blob versioning is an account setting only the management API
	// shows; soft delete is what the blob service says.
	if p := props.DeleteRetentionPolicy; p != nil && p.Enabled != nil && *p.Enabled {
		days := "some"
		if p.Days != nil {
			days = strconv.Itoa(int(*p.Days))
		}
		return ModeSoftDelete, "blob soft delete keeps deleted blobs for " + days + " days", nil
	}
	return ModeNone, "blob soft delete is off", nil
}

// unrecoverable is the refusal of a run in a bucket that keeps nothing.
func unrecoverable(op, why string) error {
	return &Error{Op: op, Kind: ErrUnrecoverable,
		Detail: "nothing would keep the deleted objects (" + why + "): the run could not be undone",
		Fix:    "enable bucket versioning (S3, GCS) or soft delete (GCS, Azure), or set Options.Trash to move the objects aside, or set Options.Force to delete for good"}
}
