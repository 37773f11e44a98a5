package gc

import (
	"context"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/byobkit/byob/scope"
	"gocloud.dev/blob"
	"gocloud.dev/gcerrors"
)

// DefaultDataPrefix is where artifact files live in a location.
const DefaultDataPrefix = "wandb_artifacts/"

// Object is one listed object.
type Object struct {
	Key     string    // relative to the location, data prefix included
	Size    int64     // bytes
	ModTime time.Time // last modification, as the store reports it
}

// Objects is a stream of listed objects in strictly increasing byte order
// of their keys, read one at a time: Next returns io.EOF at the end. The
// sweep pulls the listing through it while it ranges over the live stream.
type Objects interface {
	Next(ctx context.Context) (Object, error)
}

// ListOptions say what List lists.
type ListOptions struct {
	// DataPrefix is the prefix the listing covers, relative to the
	// bucket's root: not empty, ending in "/" (DefaultDataPrefix). The key
	// equal to it (a "folder" some consoles create) is never listed.
	DataPrefix string
	// Shard is the part of the keyspace to list; the zero Shard is all.
	Shard Shard
	// Sorted says the bucket's own listings come back in byte order
	// (address.Rules.ListSorted). When false, List reads one directory
	// level at a time and sorts it itself: always correct, but one request
	// per directory, and memory bounded by the entries of the directories
	// on the current path rather than constant. ListLocation sets it from
	// the location's flavor.
	//
	// On file:// (gocloud v0.47.0's fileblob), keys below a directory whose
	// name holds a control byte are not listed, because the driver escapes
	// the name on disk but looks for it unescaped: such keys (which byob's
	// own CheckKey refuses) are never collected. Azurite 3.37.0, the Azure
	// emulator, lists out of byte order: trusted, its listing stops with
	// ErrListOrder (real Azure documents alphabetical order).
	Sorted bool
}

// checkPrefix refuses a data prefix a sweep must not cover.
func checkPrefix(op, p string) error {
	switch {
	case p == "":
		return &Error{Op: op, Kind: ErrInvalid,
			Detail: "the data prefix is empty: the sweep would cover the location's run files, manifests and journals too",
			Fix:    "use the artifact files' prefix, " + quote(DefaultDataPrefix)}
	case !strings.HasSuffix(p, "/"):
		return &Error{Op: op, Kind: ErrInvalid,
			Detail: "data prefix " + quote(p) + " does not end in \"/\": it would also cover every key that merely starts with it",
			Fix:    "end it with \"/\", e.g. " + quote(p+"/")}
	}
	return nil
}

// Listing lists one shard of a data prefix in strictly increasing byte
// order, and verifies that order itself: a key out of order or repeated
// is an ErrListOrder error, a key outside the prefix or shard an
// ErrOutOfRange one, and every later Next returns the same error. Memory
// stays constant over a sorted bucket (one page at a time).
//
// How a shard is listed (see Shard): the whole keyspace (1 shard) is one
// listing of the data prefix; otherwise one listing per printable first
// byte the shard owns (the data prefix followed by that byte), and the
// last shard also reads the data prefix's top level (with a "/" delimiter)
// for the keys whose first byte is not printable ASCII.
//
// A Listing is not safe for concurrent use.
type Listing struct {
	b      *blob.Bucket
	prefix string
	shard  Shard
	sorted bool

	parts []part  // what is left to list, in byte order
	stack []level // the directories being read, outermost first
	prev  string  // the last key returned
	any   bool    // a key has been returned
	err   error   // sticky: the first error, or io.EOF
}

// part is one prefix to list in full. A part with odd set is a top-level
// read (with a "/" delimiter) of the data prefix that keeps only the keys
// whose first byte after it is not printable ASCII: below 0x20 (low) or
// from 0x7f (high).
type part struct {
	prefix string
	odd    oddBytes
}

// oddBytes says which non-printable first bytes a top-level read keeps.
type oddBytes int

const (
	notOdd  oddBytes = iota
	oddLow           // 0x00 to 0x1f: they sort before every printable byte
	oddHigh          // 0x7f to 0xff: they sort after
)

// level is one directory being read.
type level interface {
	next(ctx context.Context) (*blob.ListObject, error) // io.EOF at the end
	prefix() string                                     // what it lists
}

// List returns a listing of o.Shard of o.DataPrefix in b, a bucket rooted
// at a location's sub-path (keys are relative to it).
func List(b *blob.Bucket, o ListOptions) (*Listing, error) {
	if b == nil {
		return nil, &Error{Op: "list", Kind: ErrInvalid, Detail: "the bucket is nil", Fix: "pass the location's bucket"}
	}
	if err := checkPrefix("list", o.DataPrefix); err != nil {
		return nil, err
	}
	if err := o.Shard.Validate(); err != nil {
		return nil, err
	}
	s := o.Shard.norm()
	l := &Listing{b: b, prefix: o.DataPrefix, shard: s, sorted: o.Sorted}
	if s.Count == 1 {
		l.parts = []part{{prefix: o.DataPrefix}}
		return l, nil
	}
	for c := byte(0x20); c <= 0x7e; c++ {
		if s.owner(c) == s.Index {
			l.parts = append(l.parts, part{prefix: o.DataPrefix + string(rune(c))})
		}
	}
	if s.Index == s.Count-1 {
		// The last shard's non-printable first bytes sort before (control
		// bytes) and after (0x7f and up) the printable ones: read the top
		// level twice, once on each side, so that the output stays in order.
		l.parts = append([]part{{prefix: o.DataPrefix, odd: oddLow}}, l.parts...)
		l.parts = append(l.parts, part{prefix: o.DataPrefix, odd: oddHigh})
	}
	return l, nil
}

// ListLocation lists one shard of dataPrefix in loc's bucket, sorting it
// itself where the flavor's listings are not in byte order (file://).
func ListLocation(loc *scope.Location, dataPrefix string, s Shard) (*Listing, error) {
	if loc == nil || loc.Handle() == nil {
		return nil, &Error{Op: "list", Kind: ErrInvalid, Detail: "the location is nil", Fix: "pass a location from the registry"}
	}
	return List(loc.Bucket(), ListOptions{DataPrefix: dataPrefix, Shard: s, Sorted: loc.Handle().Rules().ListSorted})
}

// Next returns the next object in byte order; io.EOF after the last one.
func (l *Listing) Next(ctx context.Context) (Object, error) {
	for l.err == nil {
		if len(l.stack) == 0 {
			if len(l.parts) == 0 {
				l.err = io.EOF
				break
			}
			p := l.parts[0]
			l.parts = l.parts[1:]
			if err := l.push(ctx, p.prefix, p.odd); err != nil {
				l.err = err
				break
			}
			continue
		}
		depth := len(l.stack)
		o, err := l.stack[depth-1].next(ctx)
		if err == io.EOF {
			l.stack = l.stack[:depth-1]
			continue
		}
		if err != nil {
			l.err = l.listError(err)
			break
		}
		if o.IsDir {
			// A directory lies strictly inside the level that lists it, so
			// the walk always goes deeper and ends.
			if p := l.stack[depth-1].prefix(); len(o.Key) <= len(p) || !strings.HasPrefix(o.Key, p) {
				l.err = &Error{Op: "list", Kind: ErrOutOfRange, Key: o.Key,
					Detail: "the bucket listed the directory " + quote(o.Key) + " under " + quote(p),
					Fix:    "report the store: a directory must extend the prefix it is listed under"}
				break
			}
			if err := l.push(ctx, o.Key, notOdd); err != nil {
				l.err = err
				break
			}
			continue
		}
		if o.Key == l.prefix {
			continue // the data prefix's own "folder" object
		}
		if err := l.check(o.Key); err != nil {
			l.err = err
			break
		}
		l.prev, l.any = o.Key, true
		return Object{Key: o.Key, Size: o.Size, ModTime: o.ModTime}, nil
	}
	return Object{}, l.err
}

// check verifies that key may follow the keys already returned.
func (l *Listing) check(key string) error {
	if !l.shard.Contains(l.prefix, key) {
		return &Error{Op: "list", Kind: ErrOutOfRange, Key: key,
			Detail: "the bucket listed " + quote(key) + ", which is not in shard " + l.shard.String() + " of " + quote(l.prefix),
			Fix:    "report it: the store's listing ignored its prefix"}
	}
	if l.any && key <= l.prev {
		return listOrderError("list", l.prev, key)
	}
	return nil
}

// listOrderError reports a listed key that does not follow the previous one.
func listOrderError(op, prev, key string) error {
	what := "after"
	if key == prev {
		what = "again after"
	}
	return &Error{Op: op, Kind: ErrListOrder, Key: key,
		Detail: "the bucket listed " + quote(key) + " " + what + " " + quote(prev) + ": nothing from here on is trusted",
		Fix:    "list this flavor with ListOptions.Sorted false (byob sorts it), and report the store"}
}

// listError wraps an error of the bucket.
func (l *Listing) listError(err error) error {
	if isContextError(err) {
		return &Error{Op: "list", Kind: ErrStopped, Cause: err}
	}
	return &Error{Op: "list", Kind: ErrList, Cause: err}
}

// push starts reading the directory (or prefix) p; odd filters a
// top-level read.
func (l *Listing) push(ctx context.Context, p string, odd oddBytes) error {
	if err := ctx.Err(); err != nil {
		return &Error{Op: "list", Kind: ErrStopped, Cause: err}
	}
	var lv level
	switch {
	case l.sorted && odd == notOdd:
		// A flat listing: the store sorts it, and it holds no directories.
		lv = &flatLevel{p: p, it: l.b.List(&blob.ListOptions{Prefix: p})}
	case l.sorted:
		lv = &flatLevel{p: p, it: l.b.List(&blob.ListOptions{Prefix: p, Delimiter: "/"})}
	default:
		objs, err := readLevel(ctx, l.b, p)
		if err != nil {
			return l.listError(err)
		}
		lv = &sliceLevel{p: p, objs: objs}
	}
	if odd != notOdd {
		lv = &oddLevel{level: lv, odd: odd}
	}
	l.stack = append(l.stack, lv)
	return nil
}

// flatLevel reads a store's own listing, a page at a time.
type flatLevel struct {
	p  string
	it *blob.ListIterator
}

func (f *flatLevel) next(ctx context.Context) (*blob.ListObject, error) { return f.it.Next(ctx) }
func (f *flatLevel) prefix() string                                     { return f.p }

// sliceLevel returns one directory's entries, read whole and sorted.
type sliceLevel struct {
	p    string
	objs []*blob.ListObject
	i    int
}

func (s *sliceLevel) prefix() string { return s.p }

func (s *sliceLevel) next(context.Context) (*blob.ListObject, error) {
	if s.i == len(s.objs) {
		s.objs = nil // let the directory go while the walk continues
		return nil, io.EOF
	}
	o := s.objs[s.i]
	s.objs[s.i] = nil
	s.i++
	return o, nil
}

// oddLevel is a top-level read of the data prefix that keeps the entries
// whose first byte after it is odd (not printable ASCII) on one side.
type oddLevel struct {
	level
	odd oddBytes
}

func (f *oddLevel) next(ctx context.Context) (*blob.ListObject, error) {
	for {
		o, err := f.level.next(ctx)
		if err != nil {
			return nil, err
		}
		p := f.prefix()
		if len(o.Key) <= len(p) || !strings.HasPrefix(o.Key, p) {
			return o, nil // the "folder" object or a stray: Next decides
		}
		switch c := o.Key[len(p)]; {
		case f.odd == oddLow && c < 0x20, f.odd == oddHigh && c > 0x7e:
			return o, nil
		case f.odd == oddLow:
			// The level is in byte order: no control byte comes after a
			// printable one. (Were it not, keys would be missed, never
			// wrongly collected.)
			return nil, io.EOF
		}
	}
}

// levelPage is the first page size readLevel asks for.
const levelPage = 1000

// boolCompare orders false before true.
func boolCompare(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}

// readLevel reads the entries of directory p (the keys under p up to the
// next "/", with the deeper ones as directory entries ending in "/") and
// sorts them in byte order, a directory entry under its key with the "/".
// Every key under a directory entry d starts with d, and no other entry of
// the level does, so expanding each directory in place keeps the whole
// walk in byte order.
//
// The level is read in ONE page: fileblob (gocloud v0.47.0) walks files in
// its own order and resumes a page after the last key of the previous one,
// so a level read in several pages can lose or repeat entries. When the
// level does not fit, it is read again with a page four times larger;
// memory stays bounded by the directory's size.
//
// fileblob keeps a key ending in "/" as a file beside the directory (its
// last "/" escaped), so a listing shows it only as the directory entry p:
// when p ends in "/" and the level does not hold the key p itself, it is
// looked up, and comes first if it exists.
func readLevel(ctx context.Context, b *blob.Bucket, p string) ([]*blob.ListObject, error) {
	var objs []*blob.ListObject
	for size := levelPage; ; size *= 4 {
		page, next, err := b.ListPage(ctx, blob.FirstPageToken, size, &blob.ListOptions{Prefix: p, Delimiter: "/"})
		if err != nil {
			return nil, err
		}
		if len(next) == 0 {
			objs = page
			break
		}
	}
	slices.SortFunc(objs, func(x, y *blob.ListObject) int {
		if c := strings.Compare(x.Key, y.Key); c != 0 {
			return c
		}
		return boolCompare(y.IsDir, x.IsDir) // a directory first
	})
	// Azurite lists an object "d/" both as itself and as the directory
	// "d/", whose level holds it again: keep the directory only.
	// (CompactFunc keeps the first of a run: the directory, sorted first.)
	objs = slices.CompactFunc(objs, func(x, y *blob.ListObject) bool { return x.Key == y.Key && x.IsDir != y.IsDir })
	if !strings.HasSuffix(p, "/") || (len(objs) > 0 && objs[0].Key == p) {
		return objs, nil
	}
	a, err := b.Attributes(ctx, p)
	switch {
	case gcerrors.Code(err) == gcerrors.NotFound:
		return objs, nil
	case err != nil:
		return nil, err
	}
	return append([]*blob.ListObject{{Key: p, Size: a.Size, ModTime: a.ModTime}}, objs...), nil
}
