package gc

// Mode is what makes a run's deletes undoable (Restore).
type Mode string

// The modes.
const (
	// ModeVersions: the bucket keeps versions (S3 and GCS object
	// versioning, Azure blob versioning): a delete leaves the previous
	// version behind.
	ModeVersions Mode = "versions"
	// ModeSoftDelete: the bucket keeps deleted objects for a while (GCS
	// soft delete, Azure blob soft delete).
	ModeSoftDelete Mode = "soft-delete"
	// ModeTrash: byob moved the objects under Options.Trash before
	// deleting them.
	ModeTrash Mode = "trash"
	// ModeNone: nothing keeps them; Restore cannot undo the run, which
	// needs Options.Force.
	ModeNone Mode = "none"
)
