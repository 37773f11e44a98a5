package gc

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"iter"
	"strconv"
	"time"
)

// JournalVersion is the version of the journal's records ("v"). A reader
// refuses records of another version rather than misread them.
const JournalVersion = 1

// The kinds of journal records ("rec").
const (
	// RecStart opens a run: what it covers and what makes it undoable.
	RecStart = "start"
	// RecIntent lists what a batch is about to delete. It is written and
	// synced BEFORE any of the batch's deletes is sent: a key that is in no
	// intent record was never deleted by byob.
	RecIntent = "intent"
	// RecOutcome says what became of an intent's keys.
	RecOutcome = "outcome"
	// RecEnd closes a run, with its report and its error, if any.
	RecEnd = "end"
)

// Why a journal's intent deletes its keys ("reason").
const (
	ReasonUnreferenced = "unreferenced" // no live version names the file (Run)
	ReasonRetention    = "retention"    // the run's folder outlived its retention (PurgePrefixes)
	ReasonStaleUpload  = "stale-upload" // an incomplete multipart upload older than MinAge
)

// What a run is ("purpose" of a start record).
const (
	PurposeGC    = "gc"
	PurposePurge = "purge"
)

// JournalRecord is one line of a run's journal: a JSON object, one per
// line (JSON Lines). Every record has V, Rec, Run and Time; the other
// fields belong to the kinds named beside them, and are left out of the
// line when empty. Keys are relative to the location, data prefix
// included, exactly as the run listed and deleted them.
//
// For a restore: every object of an intent may have been deleted, whether
// or not an outcome follows (a run can die between the two); an outcome
// says which were. An intent of stale uploads (ReasonStaleUpload, Uploads
// set) has nothing to restore: an aborted upload's parts are gone, and
// its outcome's Deleted names the uploads' keys. A start record with
// DryRun set opens a run that deleted nothing and wrote no intent.
//
// The journal holds no secret: the location is written without
// credentials, and error texts are the scrubbed ones.
type JournalRecord struct {
	V    int       `json:"v"`
	Rec  string    `json:"rec"`  // RecStart, RecIntent, RecOutcome or RecEnd
	Run  string    `json:"run"`  // the run's id (Options.RunID)
	Time time.Time `json:"time"` // when the record was written (RFC 3339, nanoseconds)

	// start
	Location   string   `json:"location,omitempty"`   // the location's address without credentials
	DataPrefix string   `json:"dataPrefix,omitempty"` // what the run swept (gc)
	Shard      string   `json:"shard,omitempty"`      // "i/N"
	MinAge     string   `json:"minAge,omitempty"`     // a Go duration, "48h0m0s"
	DryRun     bool     `json:"dryRun,omitempty"`
	Mode       Mode     `json:"mode,omitempty"`     // what makes the run undoable
	Trash      string   `json:"trash,omitempty"`    // Options.Trash: objects moved to Trash+Run+"/"+key
	Purpose    string   `json:"purpose,omitempty"`  // PurposeGC or PurposePurge
	Prefixes   []string `json:"prefixes,omitempty"` // purge: the run folders removed

	// intent and outcome
	Batch   int              `json:"batch,omitempty"`   // from 1, shared by an intent and its outcome
	Reason  string           `json:"reason,omitempty"`  // intent: Reason…
	Objects []JournalObject  `json:"objects,omitempty"` // intent: the objects to delete
	Uploads []JournalUpload  `json:"uploads,omitempty"` // intent: the multipart uploads to abort
	Kept    []string         `json:"kept,omitempty"`    // intent: the keys the claim kept
	Deleted []string         `json:"deleted,omitempty"` // outcome: deleted (or aborted)
	Gone    []string         `json:"gone,omitempty"`    // outcome: already gone
	Failed  []JournalFailure `json:"failed,omitempty"`  // outcome: still there, or unknown

	// end
	Report *JournalSummary `json:"report,omitempty"`
	Error  string          `json:"error,omitempty"` // end: the run's error (scrubbed), if any
}

// JournalObject is one object an intent deletes, as the run listed it.
type JournalObject struct {
	Key     string    `json:"key"`
	Size    int64     `json:"size"`
	ModTime time.Time `json:"modTime"`
}

// JournalUpload is one incomplete multipart upload an intent aborts.
type JournalUpload struct {
	Key       string    `json:"key"`
	UploadID  string    `json:"uploadId"`
	Initiated time.Time `json:"initiated"`
}

// JournalFailure is a key whose delete (or abort) failed. For an upload,
// Key is the upload's key and UploadID names it.
type JournalFailure struct {
	Key      string `json:"key"`
	UploadID string `json:"uploadId,omitempty"`
	Kind     string `json:"kind"`  // as in Report.Errors: "PermissionDenied", "Canceled"…
	Error    string `json:"error"` // the scrubbed message
}

// JournalSummary is the report of an end record: Report's counts.
type JournalSummary struct {
	Scanned        int64            `json:"scanned"`
	Live           int64            `json:"live"`
	Candidates     int64            `json:"candidates"`
	TooYoung       int64            `json:"tooYoung"`
	KeptOnClaim    int64            `json:"keptOnClaim"`
	Deleted        int64            `json:"deleted"`
	AlreadyGone    int64            `json:"alreadyGone"`
	Failed         int64            `json:"failed"`
	Skipped        int64            `json:"skipped"`
	BytesReclaimed int64            `json:"bytesReclaimed"`
	UploadsFound   int64            `json:"uploadsFound"`
	UploadsAborted int64            `json:"uploadsAborted"`
	Errors         map[string]int64 `json:"errors,omitempty"`
	Requests       int64            `json:"requests"`
	Duration       string           `json:"duration"` // a Go duration
}

// syncer is what *os.File offers to make a write durable.
type syncer interface{ Sync() error }

// journalWriter writes one run's records. Its first error is sticky:
// once a record could not be written (or synced), every later write
// fails too, and the run deletes nothing more.
type journalWriter struct {
	w     io.Writer
	run   string
	now   func() time.Time
	first bool // no record written yet
	err   error
}

func newJournalWriter(w io.Writer, run string, now func() time.Time) *journalWriter {
	return &journalWriter{w: w, run: run, now: now, first: true}
}

// write appends rec as one line, with one Write call, and syncs the
// writer (if it can) when sync is set. The first line of a run is preceded
// by an empty one: a record an earlier run left torn at the end of the
// same file (a crash mid-write) then stays a line of its own, and this
// run's start record is not glued to it.
func (j *journalWriter) write(ctx context.Context, rec JournalRecord, sync bool) error {
	if j.err != nil {
		return j.err
	}
	if err := ctx.Err(); err != nil {
		return &Error{Op: "write journal", Kind: ErrStopped, Cause: err}
	}
	rec.V, rec.Run, rec.Time = JournalVersion, j.run, j.now().UTC()
	line, err := json.Marshal(&rec)
	if err != nil {
		j.err = &Error{Op: "write journal", Kind: ErrJournal, Detail: "a " + rec.Rec + " record could not be encoded", Cause: err}
		return j.err
	}
	var buf []byte
	if j.first {
		buf = append(buf, '\n')
	}
	buf = append(append(buf, line...), '\n')
	if _, err := j.w.Write(buf); err != nil {
		j.err = &Error{Op: "write journal", Kind: ErrJournal,
			Detail: "the " + rec.Rec + " record could not be written; nothing more is deleted", Cause: err,
			Fix: "give Options.Journal a writable file with space left, and run again"}
		return j.err
	}
	j.first = false
	if s, ok := j.w.(syncer); ok && sync {
		if err := s.Sync(); err != nil {
			j.err = &Error{Op: "write journal", Kind: ErrJournal,
				Detail: "the " + rec.Rec + " record could not be synced to storage; nothing more is deleted", Cause: err,
				Fix: "give Options.Journal a file on a disk that supports fsync, and run again"}
			return j.err
		}
	}
	return nil
}

// maxJournalLine bounds one line ReadJournal reads: an intent of a
// thousand long keys is well under a megabyte.
const maxJournalLine = 64 << 20

// ReadJournal reads a journal written by Run or PurgePrefixes (one or
// more runs, appended to the same file), and yields its records in order.
//
// A line that is not a record is yielded as an error and reading goes on:
// the caller decides whether to continue (Restore and the CLI report it
// and restore the rest). A record torn by a crash mid-write (the file's
// last line, or a line directly followed by a later run's opening empty
// line or start record) that is not even JSON is an ErrTornRecord
// error: harmless,
// because an intent is synced before any of its deletes is sent, so a
// torn record never describes a delete that happened. Any other bad line
// (a record of another version or kind, a line that is not JSON in the
// middle of a run) is an ErrJournal error, with its line number. An error of the reader itself is yielded
// last, as ErrJournal.
func ReadJournal(r io.Reader) iter.Seq2[JournalRecord, error] {
	return func(yield func(JournalRecord, error) bool) {
		br := bufio.NewReader(r)
		var (
			pending    []byte // a bad line waiting to be judged by what follows
			pendingNo  int
			pendingErr error
			tearable   bool // pending is not even JSON, as a torn write leaves it
			lineNo     int
		)
		flush := func(torn bool) bool {
			if pending == nil {
				return true
			}
			kind, what := ErrJournal, "is not a journal record"
			if torn && tearable {
				kind, what = ErrTornRecord, "is a record torn by a crash mid-write (its run deleted nothing on its account)"
			}
			err := &Error{Op: "read journal", Kind: kind, Detail: "line " + strconv.Itoa(pendingNo) + " " + what, Cause: pendingErr}
			pending = nil
			return yield(JournalRecord{}, err)
		}
		for {
			line, err := readLine(br)
			if err != nil && err != io.EOF {
				if flush(false) {
					yield(JournalRecord{}, &Error{Op: "read journal", Kind: ErrJournal,
						Detail: "reading failed after line " + strconv.Itoa(lineNo), Cause: err})
				}
				return
			}
			if err == io.EOF && len(line) == 0 {
				flush(true) // the last line, torn
				return
			}
			lineNo++
			complete := bytes.HasSuffix(line, []byte("\n"))
			line = bytes.TrimRight(line, "\r\n")
			if len(bytes.TrimSpace(line)) == 0 {
				// A run's opening empty line: a bad line just before it is
				// the torn tail of an earlier run.
				if !flush(true) {
					return
				}
				continue
			}
			rec, perr := parseRecord(line)
			// A bad line just before a run's start record is the torn tail
			// of an earlier run (the new run's opening newline ended it).
			if !flush(perr == nil && rec.Rec == RecStart) {
				return
			}
			if perr == nil {
				if !yield(rec, nil) {
					return
				}
			} else {
				pending, pendingNo, pendingErr, tearable = line, lineNo, perr, !json.Valid(line)
			}
			if !complete {
				flush(true)
				return
			}
		}
	}
}

// readLine reads one line, newline included, of at most maxJournalLine
// bytes.
func readLine(br *bufio.Reader) ([]byte, error) {
	var line []byte
	for {
		chunk, err := br.ReadSlice('\n')
		line = append(line, chunk...)
		if len(line) > maxJournalLine {
			return nil, errors.New("a line is longer than " + strconv.Itoa(maxJournalLine) + " bytes")
		}
		if err != bufio.ErrBufferFull {
			return line, err
		}
	}
}

// parseRecord decodes one line and checks what every record must have.
func parseRecord(line []byte) (JournalRecord, error) {
	var rec JournalRecord
	if err := json.Unmarshal(line, &rec); err != nil {
		return JournalRecord{}, err
	}
	switch {
	case rec.V != JournalVersion:
		return JournalRecord{}, errors.New("version " + strconv.Itoa(rec.V) + " is not " + strconv.Itoa(JournalVersion) + ": read it with the byob that wrote it")
	case rec.Rec != RecStart && rec.Rec != RecIntent && rec.Rec != RecOutcome && rec.Rec != RecEnd:
		return JournalRecord{}, errors.New("unknown record kind " + quote(rec.Rec))
	case rec.Run == "":
		return JournalRecord{}, errors.New("the record names no run")
	}
	return rec, nil
}
