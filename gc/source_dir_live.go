package gc

import (
	"bufio"
	"container/heap"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"iter"
	"os"
	"slices"
)

// live is Live: it reads every committed and pending manifest, keeps the
// keys of shard, sorts them in runs of SortChunk keys (spilled to disk
// once there is more than one), and merges the runs, yielding each key
// once. Nothing is yielded before every manifest has been read, so a
// broken manifest stops the stream before its first key.
func (d *ManifestDir) live(ctx context.Context, shard Shard) iter.Seq2[string, error] {
	return func(yield func(string, error) bool) {
		if err := shard.Validate(); err != nil {
			yield("", err)
			return
		}
		s := &extSort{dir: d.o.SpoolDir, chunk: d.o.SortChunk}
		defer s.close()
		err := d.scan(ctx, func(_ string, _ versionState, keys []string) error {
			for _, k := range keys {
				if shard.Contains(d.o.DataPrefix, k) {
					if err := s.add(k); err != nil {
						return err
					}
				}
			}
			return nil
		})
		if err != nil {
			yield("", err)
			return
		}
		s.merge(ctx, yield)
	}
}

// extSort is an external sort of strings with repeats removed: runs of at
// most chunk strings are sorted in memory and written to temporary files,
// which merge reads back with one small buffer each.
type extSort struct {
	dir   string
	chunk int
	buf   []string
	runs  []*os.File
}

func (s *extSort) add(k string) error {
	s.buf = append(s.buf, k)
	if len(s.buf) >= s.chunk {
		return s.spill()
	}
	return nil
}

// spill writes the buffer, sorted, as a run: each key as its length
// (uvarint) and its bytes, so that any byte may be in a key.
func (s *extSort) spill() error {
	slices.Sort(s.buf)
	s.buf = slices.Compact(s.buf)
	f, err := os.CreateTemp(s.dir, "byob-gc-live-*")
	if err != nil {
		return spoolError("create a sort run", err)
	}
	s.runs = append(s.runs, f)
	w := bufio.NewWriterSize(f, 64<<10)
	var n [binary.MaxVarintLen64]byte
	for _, k := range s.buf {
		w.Write(n[:binary.PutUvarint(n[:], uint64(len(k)))])
		w.WriteString(k)
	}
	if err := w.Flush(); err != nil {
		return spoolError("write a sort run", err)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return spoolError("rewind a sort run", err)
	}
	clear(s.buf)
	s.buf = s.buf[:0]
	return nil
}

// merge yields the keys in byte order, each once.
func (s *extSort) merge(ctx context.Context, yield func(string, error) bool) {
	if len(s.runs) == 0 {
		slices.Sort(s.buf)
		for i, k := range slices.Compact(s.buf) {
			if i%checkEvery == 0 && ctx.Err() != nil {
				yield("", ctx.Err())
				return
			}
			if !yield(k, nil) {
				return
			}
		}
		return
	}
	if len(s.buf) > 0 {
		if err := s.spill(); err != nil {
			yield("", err)
			return
		}
	}
	h := make(runHeap, 0, len(s.runs))
	for _, f := range s.runs {
		r := &run{r: bufio.NewReaderSize(f, 4<<10)}
		if ok, err := r.next(); err != nil {
			yield("", err)
			return
		} else if ok {
			h = append(h, r)
		}
	}
	heap.Init(&h)
	var last string
	for n := 0; len(h) > 0; n++ {
		if n%checkEvery == 0 && ctx.Err() != nil {
			yield("", ctx.Err())
			return
		}
		r := h[0]
		if k := r.cur; n == 0 || k != last {
			if !yield(k, nil) {
				return
			}
			last = k
		}
		ok, err := r.next()
		if err != nil {
			yield("", err)
			return
		}
		if ok {
			heap.Fix(&h, 0)
		} else {
			heap.Pop(&h)
		}
	}
}

// close removes the runs.
func (s *extSort) close() {
	for _, f := range s.runs {
		_ = f.Close()
		_ = os.Remove(f.Name())
	}
	s.runs, s.buf = nil, nil
}

// run is one sorted run being read back; cur is its current key.
type run struct {
	r   *bufio.Reader
	cur string
}

// next reads the next key; false at the run's end.
func (r *run) next() (bool, error) {
	n, err := binary.ReadUvarint(r.r)
	if err == io.EOF {
		return false, nil
	}
	if err != nil {
		return false, spoolError("read a sort run", err)
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(r.r, b); err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return false, spoolError("read a sort run", err)
	}
	r.cur = string(b)
	return true, nil
}

type runHeap []*run

func (h runHeap) Len() int           { return len(h) }
func (h runHeap) Less(i, j int) bool { return h[i].cur < h[j].cur }
func (h runHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *runHeap) Push(x any)        { *h = append(*h, x.(*run)) }
func (h *runHeap) Pop() any {
	old := *h
	r := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return r
}

func spoolError(what string, err error) error {
	return &Error{Op: "live keys", Kind: ErrSource, Detail: "cannot " + what + " in the spool directory", Cause: err,
		Fix: "give a writable DirOptions.SpoolDir with room for the live keys"}
}
