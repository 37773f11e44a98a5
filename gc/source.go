package gc

import (
	"context"
	"iter"
	"slices"
)

// Source is the server's side of garbage collection: it knows which files
// its database still needs. The caller implements it over that database;
// MemServer (in memory) and ManifestDir (manifest files on disk) are
// reference implementations that follow the contract below, and
// SetSource is a fixed set for small cases.
//
// # The contract, for server engineers
//
// Live streams the keys your database still needs, for one shard:
//
//   - every key a live (not deleted) artifact version's manifest names,
//     built with the same layout your uploads use (Manifest.LiveKeys);
//     yielding more keys than that is safe, fewer loses files;
//   - relative to the location, data prefix included
//     ("wandb_artifacts/…"), exactly as the bucket names them;
//   - in strictly increasing byte order, each key once. Sort as bytes: a
//     binary collation (PostgreSQL COLLATE "C", MySQL a _bin collation),
//     never a locale one, and never normalise keys (Unicode, case, "/",
//     "%2F"): the sweep compares them byte for byte with the bucket's;
//   - only the keys of the shard asked for (Shard.Contains; Shard.Ranges
//     gives the byte ranges to query).
//
// A key out of order, repeated or outside the shard stops the sweep with
// an error, and nothing is deleted. The stream may be read while your
// server keeps writing: it need not be a consistent snapshot, because
// Claim below is what decides.
//
// Claim is asked, before each batch of deletes, about keys the sweep found
// unreferenced. In ONE transaction, it
//
//  1. keeps every key that is referenced now by a live version's
//     manifest, or has an upload in flight: a presigned PUT issued for it,
//     or a new version's deduplication already pointing at it, whose
//     manifest has not committed yet;
//  2. records every other key as claimed, durably, and returns the kept
//     keys.
//
// From then on your deduplication never points a new version at a
// claimed key: a version that has the same content uploads it again under
// a key of its own (its own birth artifact id). The check that a key is
// not claimed and the recording of the new reference (or upload) must be
// one transaction too, so that a claim cannot slip between them. This is
// what closes the race in which an old file becomes live again after the
// sweep saw it unreferenced: a deduplicated reference does not refresh the
// file's modification time, so no grace period can catch it.
//
// Claim returns only keys it was given. Claiming a claimed key again is
// not an error (a resumed run does it), and a claim is never undone: a
// claimed key whose delete failed stays claimed, and is collected by the
// next run. On an error, the collector deletes none of the batch.
type Source interface {
	// Live streams the live keys of shard in byte order (see above).
	Live(ctx context.Context, shard Shard) iter.Seq2[string, error]
	// Claim keeps the keys still needed and claims the rest (see above).
	Claim(ctx context.Context, keys []string) (kept []string, err error)
}

// SetSource is a Source over a fixed set of live keys, for small cases:
// a maintenance run while nothing writes to the location, or a set
// computed from manifests on disk. It keeps the keys sorted in memory.
//
// A fixed set cannot stop the server's deduplication, so Claim can only
// keep the keys of the set: use it only when no version is created or
// deleted while the collector runs.
type SetSource struct {
	prefix string
	keys   []string // sorted, unique
	member map[string]struct{}
}

// NewSetSource returns a source whose live keys are keys (relative to the
// location, data prefix included), under dataPrefix for sharding.
func NewSetSource(dataPrefix string, keys []string) *SetSource {
	s := &SetSource{prefix: dataPrefix, keys: slices.Compact(slices.Sorted(slices.Values(keys))),
		member: make(map[string]struct{}, len(keys))}
	for _, k := range s.keys {
		s.member[k] = struct{}{}
	}
	return s
}

// Live yields the set's keys in shard, in byte order.
func (s *SetSource) Live(ctx context.Context, shard Shard) iter.Seq2[string, error] {
	return func(yield func(string, error) bool) {
		for _, k := range s.keys {
			if err := ctx.Err(); err != nil {
				yield("", err)
				return
			}
			if shard.Contains(s.prefix, k) && !yield(k, nil) {
				return
			}
		}
	}
}

// Claim keeps the keys of the set.
func (s *SetSource) Claim(ctx context.Context, keys []string) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var kept []string
	for _, k := range keys {
		if _, ok := s.member[k]; ok {
			kept = append(kept, k)
		}
	}
	return kept, nil
}
