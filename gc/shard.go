package gc

import (
	"strconv"
	"strings"
)

// MaxShards is the most shards a keyspace splits into: one per printable
// ASCII byte, which is what decides a key's shard (see Shard).
const MaxShards = 0x7f - 0x20

// JobIndexEnv is the environment variable a Kubernetes Indexed Job sets in
// each pod: the pod's completion index, from 0.
const JobIndexEnv = "JOB_COMPLETION_INDEX"

// Shard is one part of a data prefix's keyspace, so that Count workers
// (for example the pods of a Kubernetes Indexed Job) each sweep one part:
// the bucket listing and the live source are asked for the same shard, and
// together the shards cover every key exactly once.
//
// A key's shard is decided by the first byte after the data prefix, b:
//
//   - a printable ASCII byte (0x20 ' ' to 0x7e '~') belongs to shard
//     (b-0x20) mod Count;
//   - any other byte (control bytes, 0x7f, and the first byte of every
//     non-ASCII character) belongs to the last shard, Count-1;
//   - the key equal to the data prefix itself (nothing after it) belongs
//     to shard 0.
//
// Why the first byte, and not a hash: a shard is then a union of whole
// prefixes (the data prefix followed by one byte), so that each worker
// lists only its own part of the bucket, by prefix, and its source answers
// with byte ranges of an index (see Ranges); every filtered stream stays in
// byte order, which the merge-join needs. Why printable bytes only: a
// listing is never asked for a prefix ending in a control byte or in half
// a UTF-8 character, which some stores refuse; the last shard finds those
// rare keys by listing the top level of the data prefix instead.
//
// Balance follows the keys' first bytes. Keys of the default layout start
// with a decimal number, so at most 10 shards receive work; for more
// parallelism, sweep deeper data prefixes (one per number) in separate jobs.
//
// The zero Shard is the whole keyspace (0/1).
type Shard struct {
	Index int // from 0 to Count-1
	Count int // from 1 to MaxShards; 0 with Index 0 means 1
}

// whole is the shard of everything.
var whole = Shard{Index: 0, Count: 1}

// norm returns s with the zero value read as the whole keyspace.
func (s Shard) norm() Shard {
	if s == (Shard{}) {
		return whole
	}
	return s
}

// Validate reports whether s names a shard: 0 <= Index < Count <= MaxShards,
// or is the zero Shard.
func (s Shard) Validate() error { return s.norm().validate() }

// validate checks s as given: a Count of 0 is refused.
func (s Shard) validate() error {
	switch {
	case s.Count < 1 || s.Count > MaxShards:
		return &Error{Op: "check shard", Kind: ErrInvalid,
			Detail: "shard count " + strconv.Itoa(s.Count) + " is not between 1 and " + strconv.Itoa(MaxShards),
			Fix:    "split into at most " + strconv.Itoa(MaxShards) + " shards: one per printable first byte after the data prefix"}
	case s.Index < 0 || s.Index >= s.Count:
		return &Error{Op: "check shard", Kind: ErrInvalid,
			Detail: "shard index " + strconv.Itoa(s.Index) + " is not between 0 and " + strconv.Itoa(s.Count-1),
			Fix:    "indexes count from 0: the shards of " + strconv.Itoa(s.Count) + " are 0/" + strconv.Itoa(s.Count) + " to " + strconv.Itoa(s.Count-1) + "/" + strconv.Itoa(s.Count)}
	}
	return nil
}

// String returns "Index/Count", the form ParseShard reads.
func (s Shard) String() string {
	s = s.norm()
	return strconv.Itoa(s.Index) + "/" + strconv.Itoa(s.Count)
}

// ParseShard reads "i/N" (as the CLI takes it): shard i of N, i from 0.
func ParseShard(v string) (Shard, error) {
	i, n, ok := strings.Cut(v, "/")
	if !ok {
		return Shard{}, shardSyntax(v)
	}
	index, err1 := parseCount(i)
	count, err2 := parseCount(n)
	if err1 != nil || err2 != nil {
		return Shard{}, shardSyntax(v)
	}
	s := Shard{Index: index, Count: count}
	if err := s.validate(); err != nil {
		return Shard{}, err
	}
	return s, nil
}

// ShardFromJobIndex returns shard JOB_COMPLETION_INDEX of count, for a pod
// of a Kubernetes Indexed Job with count completions. lookup reads the
// environment: the CLI passes os.LookupEnv; the library itself reads none.
func ShardFromJobIndex(lookup func(string) (string, bool), count int) (Shard, error) {
	v, ok := lookup(JobIndexEnv)
	if !ok {
		return Shard{}, &Error{Op: "read job index", Kind: ErrInvalid,
			Detail: JobIndexEnv + " is not set",
			Fix:    "run as a Kubernetes Job with completionMode: Indexed, or give the shard as i/N"}
	}
	index, err := parseCount(v)
	if err != nil {
		return Shard{}, &Error{Op: "read job index", Kind: ErrInvalid,
			Detail: JobIndexEnv + "=" + quote(v) + " is not a decimal index",
			Fix:    "let Kubernetes set it (completionMode: Indexed)"}
	}
	s := Shard{Index: index, Count: count}
	if err := s.validate(); err != nil {
		return Shard{}, err
	}
	return s, nil
}

// parseCount reads a plain decimal number: digits only, no sign, no spaces.
func parseCount(v string) (int, error) {
	if v == "" || len(v) > 9 || strings.Trim(v, "0123456789") != "" {
		return 0, strconv.ErrSyntax
	}
	return strconv.Atoi(v)
}

func shardSyntax(v string) error {
	return &Error{Op: "parse shard", Kind: ErrInvalid,
		Detail: quote(v) + " is not of the form i/N",
		Fix:    "give the shard index from 0 and the shard count, e.g. 0/4 to 3/4"}
}

// owner returns the shard index of the first byte after the data prefix.
func (s Shard) owner(b byte) int {
	if b < 0x20 || b > 0x7e {
		return s.Count - 1
	}
	return int(b-0x20) % s.Count
}

// Contains reports whether key is in the shard of the keyspace under
// dataPrefix. A key outside dataPrefix is in no shard; so is every key of
// an invalid shard.
func (s Shard) Contains(dataPrefix, key string) bool {
	s = s.norm()
	if s.Validate() != nil || !strings.HasPrefix(key, dataPrefix) {
		return false
	}
	if len(key) == len(dataPrefix) {
		return s.Index == 0
	}
	return s.owner(key[len(dataPrefix)]) == s.Index
}

// KeyRange is a range of keys in byte order: Start <= key < End, where an
// End of "" has no upper bound.
type KeyRange struct {
	Start, End string
}

// Contains reports whether key is in the range.
func (r KeyRange) Contains(key string) bool {
	return key >= r.Start && (r.End == "" || key < r.End)
}

// Ranges returns the shard of dataPrefix's keyspace as byte ranges, in
// increasing order, for a source that reads its live keys from an index:
// for example
//
//	SELECT key FROM live WHERE key >= $start AND key < $end ORDER BY key
//
// Compare keys as bytes (PostgreSQL COLLATE "C" on a bytea or text column,
// MySQL a _bin collation, SQLite BINARY): a locale collation orders "a b"
// and "a/b", or "A" and "a", differently from the bucket, and breaks the
// merge-join. Start and End may hold bytes that are not UTF-8 (0x80 and
// up); bind them as bytes. Ranges returns nil for an invalid shard.
func (s Shard) Ranges(dataPrefix string) []KeyRange {
	s = s.norm()
	if s.Validate() != nil {
		return nil
	}
	var out []KeyRange
	add := func(start, end string) {
		if n := len(out); n > 0 && out[n-1].End == start {
			out[n-1].End = end
			return
		}
		out = append(out, KeyRange{Start: start, End: end})
	}
	last := s.Index == s.Count-1
	if s.Index == 0 {
		// The data prefix itself ([p, p+"\x00") holds p alone), and the
		// control bytes if they are ours too.
		if last {
			add(dataPrefix, dataPrefix+"\x20")
		} else {
			add(dataPrefix, dataPrefix+"\x00")
		}
	} else if last {
		add(dataPrefix+"\x00", dataPrefix+"\x20")
	}
	for b := 0x20; b <= 0x7e; b++ {
		if s.owner(byte(b)) == s.Index {
			add(dataPrefix+string(rune(b)), dataPrefix+string(rune(b+1)))
		}
	}
	if last {
		add(dataPrefix+"\x7f", successor(dataPrefix))
	}
	return out
}

// successor returns the least string greater than every string that has p
// as a prefix; "" when there is none (p is empty or all 0xff bytes).
func successor(p string) string {
	for i := len(p) - 1; i >= 0; i-- {
		if p[i] != 0xff {
			return p[:i] + string([]byte{p[i] + 1})
		}
	}
	return ""
}
