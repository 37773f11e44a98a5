package gc

import (
	"bufio"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"time"
)

// spool holds a sweep's candidates in a temporary file until the sweep
// has ended, since they are final only then (see Sweep): memory stays one
// buffer however many there are. Each object is the key's length and
// bytes, the size and the modification time (Unix nanoseconds), as
// varints.
type spool struct {
	f     *os.File
	w     *bufio.Writer
	r     *bufio.Reader
	count int64
	buf   [3 * binary.MaxVarintLen64]byte
}

// newSpool creates the spool's file in dir ("" for os.TempDir()).
func newSpool(dir string) (*spool, error) {
	f, err := os.CreateTemp(dir, "byob-gc-spool-*")
	if err != nil {
		return nil, &Error{Op: "spool", Kind: ErrSpool, Detail: "the candidates' temporary file could not be created", Cause: err,
			Fix: "set Options.SpoolDir to a writable directory with room for the candidates' keys"}
	}
	return &spool{f: f, w: bufio.NewWriterSize(f, 1<<16)}, nil
}

// add appends o.
func (s *spool) add(o Object) error {
	n := binary.PutUvarint(s.buf[:], uint64(len(o.Key)))
	if _, err := s.w.Write(s.buf[:n]); err != nil {
		return s.fail(err)
	}
	if _, err := s.w.WriteString(o.Key); err != nil {
		return s.fail(err)
	}
	n = binary.PutVarint(s.buf[:], o.Size)
	n += binary.PutVarint(s.buf[n:], o.ModTime.UnixNano())
	if _, err := s.w.Write(s.buf[:n]); err != nil {
		return s.fail(err)
	}
	s.count++
	return nil
}

// rewind ends writing and starts reading from the first object.
func (s *spool) rewind() error {
	if err := s.w.Flush(); err != nil {
		return s.fail(err)
	}
	if _, err := s.f.Seek(0, io.SeekStart); err != nil {
		return s.fail(err)
	}
	s.r = bufio.NewReaderSize(s.f, 1<<16)
	return nil
}

// next reads up to n objects into batch (reused); an empty batch at the
// end.
func (s *spool) next(batch []Object, n int) ([]Object, error) {
	batch = batch[:0]
	for len(batch) < n {
		l, err := binary.ReadUvarint(s.r)
		if err == io.EOF {
			break
		}
		if err != nil {
			return batch, s.fail(err)
		}
		key := make([]byte, l)
		if _, err := io.ReadFull(s.r, key); err != nil {
			return batch, s.fail(err)
		}
		size, err := binary.ReadVarint(s.r)
		if err != nil {
			return batch, s.fail(err)
		}
		mt, err := binary.ReadVarint(s.r)
		if err != nil {
			return batch, s.fail(err)
		}
		batch = append(batch, Object{Key: string(key), Size: size, ModTime: time.Unix(0, mt).UTC()})
	}
	return batch, nil
}

// close removes the file.
func (s *spool) close() error {
	return errors.Join(s.f.Close(), os.Remove(s.f.Name()))
}

func (s *spool) fail(err error) error {
	return &Error{Op: "spool", Kind: ErrSpool, Detail: "the candidates' temporary file failed", Cause: err,
		Fix: "set Options.SpoolDir to a writable directory with room for the candidates' keys"}
}
