package gc

import (
	"context"
	"errors"
	"io"
	"iter"
	"strconv"
	"strings"
)

// DefaultBatch is how many candidates Sweep hands over at a time unless
// told otherwise: one S3 DeleteObjects request.
const DefaultBatch = 1000

// SweepOptions say what a sweep covers and how it hands out candidates.
type SweepOptions struct {
	// DataPrefix is the prefix both streams cover: not empty, ending in
	// "/" (DefaultDataPrefix).
	DataPrefix string
	// Shard is the part of the keyspace both streams cover; the zero
	// Shard is all of it.
	Shard Shard
	// Batch is how many candidates each call of emit receives (the last
	// call may receive fewer); 0 means DefaultBatch.
	Batch int
	// CheckLive, if set, vets each live key before it is used: an error
	// stops the sweep (ErrOutOfRange, wrapping it). Pass the location's
	// CheckKey on file://, whose driver cleans "x/./y" into the file "x/y":
	// a live "x/./y" would leave the listed "x/y" unreferenced.
	CheckLive func(key string) error
}

// SweepStats count what a sweep saw.
type SweepStats struct {
	Scanned        int64 // objects listed
	Live           int64 // listed objects whose key is live
	Candidates     int64 // listed objects whose key is not live
	CandidateBytes int64 // their total size
	LiveKeys       int64 // keys the live stream yielded (listed or not)
}

// Sweep merge-joins a listing with the live keys of the same data prefix
// and shard, both in strictly increasing byte order, and hands every
// listed object whose key is not live to emit, in batches, in byte order.
// Keys are compared as bytes: never normalised, case-folded or cleaned,
// so "é" composed and decomposed, "A" and "a", "x" and "x/", "%2F" and
// "/" are different keys on both sides, as they are in the bucket.
//
// What a candidate means. Sweep emits an object only once the live stream
// has moved PAST its key: it has yielded a greater key, or ended without
// error. So at the moment of emitting, both streams have been verified in
// order up to and beyond the candidate, and the candidate's key was not
// among the live keys. Memory stays constant: one batch, and one key of
// each stream.
//
// When it stops. Sweep verifies both streams as it reads them, and reads
// each to its end (the live stream too, after the listing ends): a key out
// of order or repeated is an ErrLiveOrder or ErrListOrder error; a key
// outside the data prefix or shard (a source that yields keys without the
// data prefix, or for another shard) is ErrOutOfRange; a failed stream is
// ErrSource or ErrList; an ended context ErrStopped; an error from emit is
// returned unchanged. Sweep then returns at once: the batch being filled
// is dropped, and nothing is emitted once the offending key has been read.
// The listed key that is out of order is never decided.
//
// How the caller must treat the candidates. They are final only when
// Sweep returns nil. A live stream that goes backwards proves the source
// broken, and a broken source may have misplaced a live key anywhere,
// also before the point where the break shows: so on any error, delete
// nothing on the sweep's account. Write the batches down as they come (the
// run's journal), and delete them only after Sweep has returned nil; each
// deletion still goes through the source's Claim, and the grace period
// (MinAge), which Sweep does not apply.
//
// emit receives a slice Sweep reuses: copy what it keeps. The stats count
// what was read until Sweep returned.
func Sweep(ctx context.Context, listed Objects, live iter.Seq2[string, error], o SweepOptions, emit func(batch []Object) error) (SweepStats, error) {
	var st SweepStats
	if err := checkPrefix("sweep", o.DataPrefix); err != nil {
		return st, err
	}
	if err := o.Shard.Validate(); err != nil {
		return st, err
	}
	if listed == nil || live == nil || emit == nil {
		return st, &Error{Op: "sweep", Kind: ErrInvalid, Detail: "the listing, the live stream and emit are all required"}
	}
	size := o.Batch
	if size <= 0 {
		size = DefaultBatch
	}
	j := joiner{ctx: ctx, listed: listed, prefix: o.DataPrefix, shard: o.Shard.norm(), emit: emit, st: &st,
		check: o.CheckLive, batch: make([]Object, 0, size)}
	if err := j.pull(); err != nil {
		return st, err
	}
	for key, err := range live {
		if err != nil {
			return st, j.sourceError(err)
		}
		if err := j.live(key); err != nil {
			return st, err
		}
	}
	// The live stream ended cleanly: it is past every remaining key.
	for j.have {
		if err := j.candidate(); err != nil {
			return st, err
		}
	}
	if len(j.batch) > 0 {
		if err := emit(j.batch); err != nil {
			return st, err
		}
	}
	return st, nil
}

// checkEvery is how many keys pass between two looks at the context.
const checkEvery = 1 << 12

// joiner is the merge-join's state: the listed object waiting to be
// decided (cur, if have), and the last key of each stream.
//
// Whenever have is true and a live key has been taken, cur.Key is greater
// than prevLive: live leaves cur above the live key it took, or pulls the
// listed key that follows the one equal to it. So a live key that is not
// below cur is above prevLive, and the comparison with cur that the join
// needs anyway proves the live stream's order too; likewise a listed key
// not below the live key that the one before it was a candidate under
// follows that one. Each key is then compared once where the streams
// interleave, twice only where a comparison proves nothing.
type joiner struct {
	ctx    context.Context
	listed Objects
	prefix string
	shard  Shard
	emit   func([]Object) error
	check  func(string) error
	st     *SweepStats
	batch  []Object

	cur      Object
	have     bool
	prevLive string
	ticks    int
}

// live takes the next live key: every listed key below it is a candidate
// (the live stream is past it), and the listed key equal to it is live.
func (j *joiner) live(key string) error {
	c := 1 // cur against key, 1 when there is no cur
	if j.have {
		c = strings.Compare(j.cur.Key, key)
	}
	// c <= 0: key >= cur > prevLive (see joiner), in order.
	if c > 0 && j.st.LiveKeys > 0 && key <= j.prevLive {
		return liveOrderError(j.prevLive, key)
	}
	if !j.inRange(key) {
		return &Error{Op: "sweep", Kind: ErrOutOfRange, Key: key,
			Detail: "the live source yielded " + quote(key) + ", which is not in shard " + j.shard.String() + " of " + quote(j.prefix),
			Fix:    "yield keys relative to the location, data prefix included, for the shard asked for (Shard.Contains, Shard.Ranges)"}
	}
	if j.check != nil {
		if err := j.check(key); err != nil {
			return &Error{Op: "sweep", Kind: ErrOutOfRange, Key: key,
				Detail: "the live source yielded " + quote(key) + ", which the location refuses", Cause: err,
				Fix: "a key the store would read as another cannot be matched with the listing; fix the source's layout"}
		}
	}
	j.prevLive = key
	j.st.LiveKeys++
	if err := j.tick(); err != nil {
		return err
	}
	for c <= 0 { // c > 0: cur is decided by a later live key, or there is none
		if c == 0 {
			j.st.Live++
			return j.pull()
		}
		if err := j.take(); err != nil {
			return err
		}
		var err error
		if c, err = j.next(key, true); err != nil {
			return err
		}
	}
	return nil
}

// candidate adds the waiting listed object to the batch and reads the
// next listed object.
func (j *joiner) candidate() error {
	if err := j.take(); err != nil {
		return err
	}
	return j.pull()
}

// take adds the waiting listed object to the batch, and hands the batch
// over when it is full.
func (j *joiner) take() error {
	j.batch = append(j.batch, j.cur)
	j.st.Candidates++
	j.st.CandidateBytes += j.cur.Size
	if len(j.batch) == cap(j.batch) {
		if err := j.emit(j.batch); err != nil {
			return err
		}
		clear(j.batch) // let the keys go
		j.batch = j.batch[:0]
	}
	return nil
}

// pull reads the next listed object into cur, verifying its order.
func (j *joiner) pull() error {
	_, err := j.next("", false)
	return err
}

// next reads the next listed object into cur, verifying its order. With
// bound, the caller has cur.Key < key, and next returns the new key
// compared with key (1 at the end of the listing): a new key not below
// key follows cur with no comparison of its own.
func (j *joiner) next(key string, bound bool) (int, error) {
	o, err := j.listed.Next(j.ctx)
	if err == io.EOF {
		j.have = false
		return 1, nil
	}
	if err != nil {
		var e *Error
		switch {
		case errors.As(err, &e):
			return 0, err // the Listing's own, already classified
		case isContextError(err):
			return 0, &Error{Op: "sweep", Kind: ErrStopped, Cause: err}
		}
		return 0, &Error{Op: "sweep", Kind: ErrList, Cause: err}
	}
	c := -1
	if bound {
		c = strings.Compare(o.Key, key)
	}
	// c >= 0: o.Key >= key > cur.Key, in order.
	if c < 0 && j.st.Scanned > 0 && o.Key <= j.cur.Key {
		return 0, listOrderError("sweep", j.cur.Key, o.Key)
	}
	if !j.inRange(o.Key) {
		return 0, &Error{Op: "sweep", Kind: ErrOutOfRange, Key: o.Key,
			Detail: "the listing yielded " + quote(o.Key) + ", which is not in shard " + j.shard.String() + " of " + quote(j.prefix),
			Fix:    "list the same data prefix and shard as the sweep (List)"}
	}
	j.cur, j.have = o, true
	j.st.Scanned++
	return c, j.tick()
}

// inRange is Shard.Contains, without re-validating the shard.
func (j *joiner) inRange(key string) bool {
	if len(key) < len(j.prefix) || key[:len(j.prefix)] != j.prefix {
		return false
	}
	if j.shard.Count == 1 {
		return true
	}
	if len(key) == len(j.prefix) {
		return j.shard.Index == 0
	}
	return j.shard.owner(key[len(j.prefix)]) == j.shard.Index
}

// tick looks at the context every checkEvery keys.
func (j *joiner) tick() error {
	j.ticks++
	if j.ticks < checkEvery {
		return nil
	}
	j.ticks = 0
	if err := j.ctx.Err(); err != nil {
		return &Error{Op: "sweep", Kind: ErrStopped, Cause: err}
	}
	return nil
}

// sourceError wraps an error the live stream yielded.
func (j *joiner) sourceError(err error) error {
	if isContextError(err) {
		return &Error{Op: "sweep", Kind: ErrStopped, Cause: err}
	}
	return &Error{Op: "sweep", Kind: ErrSource,
		Detail: "the live stream failed after " + strconv.FormatInt(j.st.LiveKeys, 10) + " keys", Cause: err}
}

// liveOrderError reports a live key that does not follow the previous one.
func liveOrderError(prev, key string) error {
	what := "after"
	if key == prev {
		what = "again after"
	}
	return &Error{Op: "sweep", Kind: ErrLiveOrder, Key: key,
		Detail: "the live source yielded " + quote(key) + " " + what + " " + quote(prev) + ": the source is broken, and nothing may be deleted on this sweep's account",
		Fix:    "yield each live key once, in byte order (compare keys as bytes: a binary collation, never a locale one)"}
}

// isContextError reports an ended context.
func isContextError(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}
