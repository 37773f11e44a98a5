package gc

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"slices"
	"strconv"
	"strings"
)

// The manifest format byob reads: version 1 with the W&B storage policy.
const (
	ManifestVersion = 1
	StoragePolicy   = "wandb-storage-policy-v1"
)

// Manifest is an artifact version's manifest, format version 1:
//
//	{"version":1,"storagePolicy":"wandb-storage-policy-v1","storagePolicyConfig":{...},
//	 "contents":{"<path>":{"digest":"<base64>","birthArtifactID":"<id>","size":N,"ref":"...","extra":{}}}}
type Manifest struct {
	Version       int    // always ManifestVersion
	StoragePolicy string // always StoragePolicy
	// StoragePolicyConfig is the policy's configuration as written
	// ({"storageLayout":"V1|V2","storageRegion":...}); nil when absent.
	StoragePolicyConfig json.RawMessage
	// StorageLayout is storagePolicyConfig.storageLayout ("V1", "V2"); ""
	// when absent.
	StorageLayout string
	Contents      map[string]Entry // by path in the artifact
}

// Entry is one file of a manifest.
type Entry struct {
	Path string // its path in the artifact (the key of "contents")
	// Digest is the digest as written: for a stored file, the base64 of
	// its 16-byte MD5 (or XXH128, see Algorithm); for a reference,
	// whatever the reference's store reports (an ETag, a URI...).
	Digest string
	// DigestHex is the stored file's digest in lowercase hex, as keys
	// carry it; "" for a reference.
	DigestHex string
	// Algorithm is the digest's algorithm: "MD5" unless extra.alg says
	// "XXH128".
	Algorithm       string
	BirthArtifactID string // the version that first uploaded the file; "" if absent
	Size            int64  // bytes; -1 when absent
	// Ref is set for a reference to a file outside the artifact store
	// (s3://, gs://, https://, file://, or wandb-artifact:// for another
	// artifact's entry): such an entry has no file of its own under the
	// data prefix, and is never collected.
	Ref       string
	Extra     json.RawMessage // as written; nil when absent
	LocalPath string          // local_path, written by some SDK versions; unused
	SkipCache bool            // skip_cache, written by some SDK versions; unused
}

// IsRef reports whether the entry is a reference rather than a stored file.
func (e *Entry) IsRef() bool { return e.Ref != "" }

// manifestJSON is the document, with presence told apart from zero.
type manifestJSON struct {
	Version             json.RawMessage       `json:"version"`
	StoragePolicy       *string               `json:"storagePolicy"`
	StoragePolicyConfig json.RawMessage       `json:"storagePolicyConfig"`
	Contents            map[string]*entryJSON `json:"contents"`
}

// entryJSON is one entry. Its fields are those the W&B SDK writes
// (ArtifactManifestEntry.to_json): any other is refused.
type entryJSON struct {
	Digest          *string         `json:"digest"`
	BirthArtifactID *string         `json:"birthArtifactID"`
	Size            *int64          `json:"size"`
	Ref             *string         `json:"ref"`
	Extra           json.RawMessage `json:"extra"`
	LocalPath       *string         `json:"local_path"`
	SkipCache       *bool           `json:"skip_cache"`
}

// ParseManifest reads a manifest strictly, because a live key misread is a
// file lost: it refuses another version or storage policy, a field it does
// not know (at the top or in an entry), a member name given twice in any
// object (encoding/json would silently keep the last), a missing or null
// "contents", an entry without a digest, a stored file whose digest is not
// the base64 of 16 bytes, a negative size, an unknown digest algorithm,
// and anything after the document. Every refusal is an ErrManifest error.
func ParseManifest(data []byte) (*Manifest, error) {
	if err := checkDuplicates(data); err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var raw manifestJSON
	if err := dec.Decode(&raw); err != nil {
		return nil, manifestError("", "not a manifest: "+err.Error(), "")
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, manifestError("", "data after the manifest's closing brace", "")
	}
	if raw.Version == nil {
		return nil, manifestError("", "no \"version\"", "")
	}
	// The number 1 exactly: not "1", 1.0 or 1e0, which no writer produces.
	if v := string(bytes.TrimSpace(raw.Version)); v != strconv.Itoa(ManifestVersion) {
		return nil, manifestError("", "manifest version "+v+" is not one byob reads (1)",
			"update byob; never collect with a manifest it cannot read")
	}
	if raw.StoragePolicy == nil || *raw.StoragePolicy != StoragePolicy {
		got := "none"
		if raw.StoragePolicy != nil {
			got = quote(*raw.StoragePolicy)
		}
		return nil, manifestError("", "storage policy "+got+" is not "+quote(StoragePolicy),
			"byob knows where the files of "+quote(StoragePolicy)+" live, and of no other policy")
	}
	m := &Manifest{Version: ManifestVersion, StoragePolicy: StoragePolicy, Contents: make(map[string]Entry, len(raw.Contents))}
	if cfg := bytes.TrimSpace(raw.StoragePolicyConfig); len(cfg) > 0 && string(cfg) != "null" {
		var c map[string]json.RawMessage
		if err := json.Unmarshal(cfg, &c); err != nil {
			return nil, manifestError("", "\"storagePolicyConfig\" is not an object", "")
		}
		if l, ok := c["storageLayout"]; ok {
			if err := json.Unmarshal(l, &m.StorageLayout); err != nil {
				return nil, manifestError("", "\"storagePolicyConfig.storageLayout\" is not a string", "")
			}
		}
		m.StoragePolicyConfig = slices.Clone(raw.StoragePolicyConfig)
	}
	if raw.Contents == nil {
		// An absent or null "contents" is a broken manifest, not an empty
		// artifact ({}): reading it as empty would free every file.
		return nil, manifestError("", "no \"contents\" object", "an empty artifact has \"contents\":{}")
	}
	for path, rj := range raw.Contents {
		e, err := parseEntry(path, rj)
		if err != nil {
			return nil, err
		}
		m.Contents[path] = e
	}
	return m, nil
}

// parseEntry checks one entry and fills its derived fields.
func parseEntry(path string, rj *entryJSON) (Entry, error) {
	if rj == nil {
		return Entry{}, manifestError(path, "the entry is null", "")
	}
	if rj.Digest == nil || *rj.Digest == "" {
		return Entry{}, manifestError(path, "the entry has no digest", "")
	}
	e := Entry{Path: path, Digest: *rj.Digest, Size: -1, Algorithm: "MD5"}
	if rj.Ref != nil {
		e.Ref = *rj.Ref
	}
	if rj.BirthArtifactID != nil {
		e.BirthArtifactID = *rj.BirthArtifactID
	}
	if rj.Size != nil {
		if *rj.Size < 0 {
			return Entry{}, manifestError(path, "negative size "+strconv.FormatInt(*rj.Size, 10), "")
		}
		e.Size = *rj.Size
	}
	if rj.LocalPath != nil {
		e.LocalPath = *rj.LocalPath
	}
	if rj.SkipCache != nil {
		e.SkipCache = *rj.SkipCache
	}
	if x := bytes.TrimSpace(rj.Extra); len(x) > 0 && string(x) != "null" {
		var extra map[string]json.RawMessage
		if err := json.Unmarshal(x, &extra); err != nil {
			return Entry{}, manifestError(path, "\"extra\" is not an object", "")
		}
		if alg, ok := extra["alg"]; ok {
			if err := json.Unmarshal(alg, &e.Algorithm); err != nil || (e.Algorithm != "MD5" && e.Algorithm != "XXH128") {
				return Entry{}, manifestError(path, "unknown digest algorithm "+string(alg), "byob knows MD5 and XXH128")
			}
		}
		e.Extra = slices.Clone(rj.Extra)
	}
	if rj.Ref != nil && e.Ref == "" {
		return Entry{}, manifestError(path, "\"ref\" is empty", "omit \"ref\" for a stored file")
	}
	if e.IsRef() {
		return e, nil // a reference's digest is the remote store's business
	}
	sum, err := base64.StdEncoding.Strict().DecodeString(e.Digest)
	if err != nil || len(sum) != 16 {
		return Entry{}, manifestError(path, "digest "+quote(e.Digest)+" is not the standard base64 of a 16-byte "+e.Algorithm, "")
	}
	e.DigestHex = hex.EncodeToString(sum)
	return e, nil
}

func manifestError(path, detail, fix string) error {
	op := "parse manifest"
	if path != "" {
		op += " entry " + quote(path)
	}
	return &Error{Op: op, Kind: ErrManifest, Detail: detail, Fix: fix}
}

// checkDuplicates refuses a JSON document in which an object names a
// member twice.
func checkDuplicates(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	type frame struct {
		names map[string]bool // nil for an array
		key   bool            // the next token of an object is a name
	}
	var stack []*frame
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return manifestError("", "not JSON: "+err.Error(), "")
		}
		var top *frame
		if n := len(stack); n > 0 {
			top = stack[n-1]
		}
		if top != nil && top.names != nil && top.key {
			if d, ok := tok.(json.Delim); ok && d == '}' {
				stack = stack[:len(stack)-1]
				continue
			}
			name, _ := tok.(string)
			if top.names[name] {
				return manifestError("", "member "+quote(name)+" appears twice in one object",
					"write each member once; readers disagree on which one wins")
			}
			top.names[name] = true
			top.key = false
			continue
		}
		if top != nil && top.names != nil {
			top.key = true // this token is a member's value (or opens it)
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, &frame{names: map[string]bool{}, key: true})
		case json.Delim('['):
			stack = append(stack, &frame{})
		case json.Delim(']'):
			stack = stack[:len(stack)-1]
		}
	}
}

// Layout turns a stored file's manifest entry into its key, relative to
// the location, data prefix included. It is given entries that are not
// references, with DigestHex set.
type Layout func(e *Entry) (string, error)

// DefaultLayout is the layout of W&B artifact files,
//
//	<dataPrefix><n>/<birthArtifactID>/<digest hex>
//
// e.g. wandb_artifacts/626357751/1698362507/7e8ff39b55a1a62101758a6dc7a69f70.
// What the first number n stands for is not public, so the caller gives it
// (the server knows it). The birth artifact id is used as the manifest
// spells it: public SDK data shows decimal ids in keys while manifests may
// carry the GraphQL form of the id; if the server's keys spell it another
// way, supply a Layout of your own. dataPrefix must end in "/"; an entry
// without a birth artifact id, or with one that is empty, ".", ".." or
// holds a "/", is an ErrManifest error.
func DefaultLayout(dataPrefix, n string) Layout {
	return func(e *Entry) (string, error) {
		if err := checkPrefix("build key", dataPrefix); err != nil {
			return "", err
		}
		if !validSegment(n) {
			return "", &Error{Op: "build key", Kind: ErrInvalid, Detail: "the layout's number " + quote(n) + " is not one path segment",
				Fix: "give DefaultLayout the number the server puts after the data prefix"}
		}
		if !validSegment(e.BirthArtifactID) {
			return "", manifestError(e.Path, "birth artifact id "+quote(e.BirthArtifactID)+" is not one path segment: the file's key cannot be built", "")
		}
		if e.DigestHex == "" {
			return "", manifestError(e.Path, "the entry has no digest to build a key with", "")
		}
		return dataPrefix + n + "/" + e.BirthArtifactID + "/" + e.DigestHex, nil
	}
}

// validSegment reports whether s is one non-empty path segment.
func validSegment(s string) bool {
	return s != "" && s != "." && s != ".." && !strings.Contains(s, "/")
}

// RefKey says whether a reference points into the location being swept,
// and at which key (relative to the location). A reference into the
// location keeps its target live; one elsewhere concerns no file here.
type RefKey func(ref string) (key string, inLocation bool)

// RefsUnder returns the RefKey of a location whose files references name
// as locationURI followed by the key, e.g. "s3://my-bucket/team/prefix/".
// The reference is compared as bytes, like every key. An artifact can
// reference any URI, also a file of another artifact in the same bucket:
// where that can happen, pass this to LiveKeys, or that file is collected
// while a reference still names it.
func RefsUnder(locationURI string) RefKey {
	return func(ref string) (string, bool) {
		key, ok := strings.CutPrefix(ref, locationURI)
		return key, ok && key != ""
	}
}

// LiveKeys returns the keys of the manifest's stored files under layout,
// sorted in byte order with repeats removed: what the manifest keeps live.
// References are never collected and have no key, except those refs (if
// not nil) maps into the location, whose targets are live too.
// wandb-artifact:// references name another version's entry: the source
// must keep that version's files live as long as the reference exists.
func (m *Manifest) LiveKeys(layout Layout, refs RefKey) ([]string, error) {
	if layout == nil {
		return nil, &Error{Op: "build keys", Kind: ErrInvalid, Detail: "no layout", Fix: "pass DefaultLayout(prefix, n) or your own"}
	}
	keys := make([]string, 0, len(m.Contents))
	for path := range m.Contents {
		e := m.Contents[path]
		if e.IsRef() {
			if refs != nil {
				if k, ok := refs(e.Ref); ok {
					keys = append(keys, k)
				}
			}
			continue
		}
		k, err := layout(&e)
		if err != nil {
			return nil, err
		}
		if k == "" {
			return nil, manifestError(path, "the layout gave an empty key", "")
		}
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return slices.Compact(keys), nil
}
