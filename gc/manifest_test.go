package gc

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

// sdkManifest is shaped like the W&B SDK writes it, with the file and
// digest of its public test data (digest fo/zm1WhpiEBdYptx6afcA== is
// stored as wandb_artifacts/626357751/1698362507/7e8ff39b55a1a62101758a6dc7a69f70).
const sdkManifest = `{
  "version": 1,
  "storagePolicy": "wandb-storage-policy-v1",
  "storagePolicyConfig": {"storageLayout": "V2", "storageRegion": "default"},
  "contents": {
    "random_image.png": {"digest": "fo/zm1WhpiEBdYptx6afcA==", "birthArtifactID": "1698362507", "size": 30168},
    "copy.png": {"digest": "fo/zm1WhpiEBdYptx6afcA==", "birthArtifactID": "1698362507", "size": 30168, "skip_cache": false},
    "fast.bin": {"digest": "AAECAwQFBgcICQoLDA0ODw==", "birthArtifactID": "1698362600", "size": 5, "extra": {"alg": "XXH128"}, "local_path": "/tmp/fast.bin"},
    "remote.csv": {"digest": "\"9a0364b9e99bb480dd25e1f0284c8555\"", "ref": "s3://other-bucket/data/remote.csv", "size": 12},
    "sibling.txt": {"digest": "1B2M2Y8AsgTpgAmY7PhCfg==", "ref": "s3://my-bucket/team/wandb_artifacts/626357751/42/d41d8cd98f00b204e9800998ecf8427e"}
  }
}`

func TestParseManifest(t *testing.T) {
	m, err := ParseManifest([]byte(sdkManifest))
	wantKind(t, err, nil)
	if m.Version != 1 || m.StoragePolicy != StoragePolicy || m.StorageLayout != "V2" || len(m.Contents) != 5 {
		t.Fatalf("manifest %+v", m)
	}
	img := m.Contents["random_image.png"]
	if img.Path != "random_image.png" || img.DigestHex != "7e8ff39b55a1a62101758a6dc7a69f70" || img.Size != 30168 ||
		img.BirthArtifactID != "1698362507" || img.IsRef() || img.Algorithm != "MD5" {
		t.Fatalf("entry %+v", img)
	}
	if fast := m.Contents["fast.bin"]; fast.Algorithm != "XXH128" || fast.DigestHex != "000102030405060708090a0b0c0d0e0f" || fast.LocalPath != "/tmp/fast.bin" {
		t.Fatalf("entry %+v", fast)
	}
	if remote := m.Contents["remote.csv"]; !remote.IsRef() || remote.DigestHex != "" || remote.Size != 12 {
		t.Fatalf("reference %+v: a reference's digest is not read", remote)
	}
}

func TestManifestLiveKeys(t *testing.T) {
	m, err := ParseManifest([]byte(sdkManifest))
	wantKind(t, err, nil)
	layout := DefaultLayout(pfx, "626357751")

	t.Run("stored files by the default layout, sorted, each once; references skipped", func(t *testing.T) {
		got, err := m.LiveKeys(layout, nil)
		wantKind(t, err, nil)
		want := []string{
			"wandb_artifacts/626357751/1698362507/7e8ff39b55a1a62101758a6dc7a69f70",
			"wandb_artifacts/626357751/1698362600/000102030405060708090a0b0c0d0e0f",
		}
		if !slices.Equal(got, want) {
			t.Fatalf("LiveKeys = %q, want %q", got, want)
		}
	})
	t.Run("a reference into the location keeps its target live", func(t *testing.T) {
		got, err := m.LiveKeys(layout, RefsUnder("s3://my-bucket/team/"))
		wantKind(t, err, nil)
		if !slices.Contains(got, "wandb_artifacts/626357751/42/d41d8cd98f00b204e9800998ecf8427e") || len(got) != 3 {
			t.Fatalf("LiveKeys = %q, want the sibling's key too", got)
		}
		if slices.ContainsFunc(got, func(k string) bool { return strings.Contains(k, "remote.csv") }) {
			t.Fatalf("LiveKeys = %q: a reference elsewhere has no key here", got)
		}
	})
	t.Run("a caller's own layout", func(t *testing.T) {
		flat := func(e *Entry) (string, error) { return pfx + e.DigestHex, nil }
		got, err := m.LiveKeys(flat, nil)
		wantKind(t, err, nil)
		if len(got) != 2 || got[0] != pfx+"000102030405060708090a0b0c0d0e0f" {
			t.Fatalf("LiveKeys = %q", got)
		}
	})
	t.Run("no layout", func(t *testing.T) {
		_, err := m.LiveKeys(nil, nil)
		wantKind(t, err, ErrInvalid)
	})
}

func TestDefaultLayoutRefuses(t *testing.T) {
	e := Entry{Path: "f", BirthArtifactID: "7", DigestHex: "7e8ff39b55a1a62101758a6dc7a69f70"}
	tests := []struct {
		name       string
		prefix, n  string
		birth, hex string
		kind       error
	}{
		{name: "no birth artifact id", prefix: pfx, n: "1", birth: "", hex: e.DigestHex, kind: ErrManifest},
		{name: "a birth artifact id with a slash", prefix: pfx, n: "1", birth: "a/b", hex: e.DigestHex, kind: ErrManifest},
		{name: "a birth artifact id of ..", prefix: pfx, n: "1", birth: "..", hex: e.DigestHex, kind: ErrManifest},
		{name: "no digest", prefix: pfx, n: "1", birth: "7", kind: ErrManifest},
		{name: "a number with a slash", prefix: pfx, n: "1/2", birth: "7", hex: e.DigestHex, kind: ErrInvalid},
		{name: "no number", prefix: pfx, n: "", birth: "7", hex: e.DigestHex, kind: ErrInvalid},
		{name: "a data prefix without a slash", prefix: "wandb_artifacts", n: "1", birth: "7", hex: e.DigestHex, kind: ErrInvalid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := Entry{Path: "f", BirthArtifactID: tc.birth, DigestHex: tc.hex}
			k, err := DefaultLayout(tc.prefix, tc.n)(&e)
			wantKind(t, err, tc.kind)
			if k != "" {
				t.Fatalf("a refused entry got key %q", k)
			}
		})
	}
}

func TestParseManifestRefuses(t *testing.T) {
	entry := `{"digest":"fo/zm1WhpiEBdYptx6afcA==","birthArtifactID":"1","size":1}`
	doc := func(contents string) string {
		return `{"version":1,"storagePolicy":"wandb-storage-policy-v1","storagePolicyConfig":{},"contents":{` + contents + `}}`
	}
	tests := []struct {
		name, in, detail string
	}{
		{name: "another version", in: `{"version":2,"storagePolicy":"wandb-storage-policy-v1","contents":{}}`, detail: "manifest version 2"},
		{name: "the version as a string", in: `{"version":"1","storagePolicy":"wandb-storage-policy-v1","contents":{}}`, detail: `manifest version "1"`},
		{name: "the version as 1.0", in: `{"version":1.0,"storagePolicy":"wandb-storage-policy-v1","contents":{}}`, detail: "manifest version 1.0"},
		{name: "a null version", in: `{"version":null,"storagePolicy":"wandb-storage-policy-v1","contents":{}}`, detail: "manifest version null"},
		{name: "no version", in: `{"storagePolicy":"wandb-storage-policy-v1","contents":{}}`, detail: `no "version"`},
		{name: "another storage policy", in: `{"version":1,"storagePolicy":"other","contents":{}}`, detail: `storage policy "other"`},
		{name: "no storage policy", in: `{"version":1,"contents":{}}`, detail: "storage policy none"},
		{name: "no contents: a broken manifest, not an empty artifact", in: `{"version":1,"storagePolicy":"wandb-storage-policy-v1"}`, detail: `no "contents"`},
		{name: "null contents", in: `{"version":1,"storagePolicy":"wandb-storage-policy-v1","contents":null}`, detail: `no "contents"`},
		{name: "an unknown top-level field", in: `{"version":1,"storagePolicy":"wandb-storage-policy-v1","contents":{},"files":{}}`, detail: `unknown field "files"`},
		{name: "an unknown entry field", in: doc(`"f":{"digest":"fo/zm1WhpiEBdYptx6afcA==","birthArtifactID":"1","path2":"x"}`), detail: `unknown field "path2"`},
		{name: "a path given twice", in: doc(`"f":` + entry + `,"f":{"digest":"1B2M2Y8AsgTpgAmY7PhCfg==","birthArtifactID":"2"}`), detail: `member "f" appears twice`},
		{name: "a digest given twice in an entry", in: doc(`"f":{"digest":"fo/zm1WhpiEBdYptx6afcA==","digest":"1B2M2Y8AsgTpgAmY7PhCfg==","birthArtifactID":"1"}`), detail: `member "digest" appears twice`},
		{name: "a top-level field given twice", in: `{"version":1,"version":1,"storagePolicy":"wandb-storage-policy-v1","contents":{}}`, detail: `member "version" appears twice`},
		{name: "a member given twice deep in extra", in: doc(`"f":{"digest":"fo/zm1WhpiEBdYptx6afcA==","birthArtifactID":"1","extra":{"a":[{"b":1,"b":2}]}}`), detail: `member "b" appears twice`},
		{name: "a null entry", in: doc(`"f":null`), detail: "the entry is null"},
		{name: "an entry without a digest", in: doc(`"f":{"birthArtifactID":"1"}`), detail: "no digest"},
		{name: "a digest that is not base64", in: doc(`"f":{"digest":"not base64!","birthArtifactID":"1"}`), detail: "is not the standard base64"},
		{name: "a digest of 15 bytes", in: doc(`"f":{"digest":"AAECAwQFBgcICQoLDA0O","birthArtifactID":"1"}`), detail: "is not the standard base64"},
		{name: "a digest in URL-safe base64", in: doc(`"f":{"digest":"fo_zm1WhpiEBdYptx6afcA==","birthArtifactID":"1"}`), detail: "is not the standard base64"},
		{name: "a digest with stray padding bits", in: doc(`"f":{"digest":"fo/zm1WhpiEBdYptx6afcB==","birthArtifactID":"1"}`), detail: "is not the standard base64"},
		{name: "a hex digest", in: doc(`"f":{"digest":"7e8ff39b55a1a62101758a6dc7a69f70","birthArtifactID":"1"}`), detail: "is not the standard base64"},
		{name: "a negative size", in: doc(`"f":{"digest":"fo/zm1WhpiEBdYptx6afcA==","birthArtifactID":"1","size":-1}`), detail: "negative size"},
		{name: "a fractional size", in: doc(`"f":{"digest":"fo/zm1WhpiEBdYptx6afcA==","birthArtifactID":"1","size":1.5}`), detail: "not a manifest"},
		{name: "an unknown digest algorithm", in: doc(`"f":{"digest":"fo/zm1WhpiEBdYptx6afcA==","birthArtifactID":"1","extra":{"alg":"SHA1"}}`), detail: "unknown digest algorithm"},
		{name: "an empty ref", in: doc(`"f":{"digest":"fo/zm1WhpiEBdYptx6afcA==","ref":""}`), detail: `"ref" is empty`},
		{name: "extra that is not an object", in: doc(`"f":{"digest":"fo/zm1WhpiEBdYptx6afcA==","birthArtifactID":"1","extra":[1]}`), detail: `"extra" is not an object`},
		{name: "a storage policy config that is not an object", in: `{"version":1,"storagePolicy":"wandb-storage-policy-v1","storagePolicyConfig":[],"contents":{}}`, detail: `"storagePolicyConfig" is not an object`},
		{name: "a second document after the first", in: doc("") + `{}`, detail: "data after the manifest"},
		{name: "truncated JSON", in: `{"version":1,`, detail: "not a manifest"},
		{name: "not JSON", in: `{"version":1,]`, detail: "not JSON"},
		{name: "an array", in: `[]`, detail: "not a manifest"},
		{name: "empty input", in: ``, detail: "not a manifest"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, err := ParseManifest([]byte(tc.in))
			wantKind(t, err, ErrManifest)
			if m != nil {
				t.Fatal("a refused manifest was returned")
			}
			var e *Error
			errors.As(err, &e)
			if !strings.Contains(e.Detail, tc.detail) {
				t.Fatalf("detail %q, want it to say %q", e.Detail, tc.detail)
			}
		})
	}
}

func TestParseManifestAcceptsAnEmptyArtifact(t *testing.T) {
	m, err := ParseManifest([]byte(`{"version":1,"storagePolicy":"wandb-storage-policy-v1","contents":{}}`))
	wantKind(t, err, nil)
	ks, err := m.LiveKeys(DefaultLayout(pfx, "1"), nil)
	if err != nil || len(ks) != 0 || m.StoragePolicyConfig != nil {
		t.Fatalf("empty artifact: keys %q, err %v, config %s", ks, err, m.StoragePolicyConfig)
	}
}

func FuzzParseManifest(f *testing.F) {
	f.Add([]byte(sdkManifest))
	f.Add([]byte(`{"version":1,"storagePolicy":"wandb-storage-policy-v1","contents":{"a":{"digest":"fo/zm1WhpiEBdYptx6afcA==","birthArtifactID":"1"}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ParseManifest(data)
		if err != nil {
			if m != nil || !errors.Is(err, ErrManifest) {
				t.Fatalf("refusal %v with manifest %v", err, m)
			}
			return
		}
		// Every stored file has a 32-digit key part; LiveKeys is sorted
		// and unique or refuses.
		for _, e := range m.Contents {
			if !e.IsRef() && len(e.DigestHex) != 32 {
				t.Fatalf("entry %+v without its hex digest", e)
			}
		}
		ks, err := m.LiveKeys(DefaultLayout(pfx, "1"), nil)
		if err == nil && !slices.IsSorted(ks) {
			t.Fatalf("keys %q not sorted", ks)
		}
	})
}
