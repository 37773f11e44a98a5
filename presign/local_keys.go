package presign

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"hash"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
)

// Sizes of a local signing key, in bytes. 32 bytes is SHA-256's output
// size, below which HMAC-SHA256 is weaker than its hash; more than 1 KiB is
// a mistake (a file read whole), not a key.
const (
	LocalKeyMinBytes = 32
	LocalKeyMaxBytes = 1024
)

// localKeysEncoding names the storage form of EncodeSecret and
// ParseLocalKeys, so that a later form can be told apart.
const localKeysEncoding = "byob-local-keys-v1"

// LocalKeys are the HMAC-SHA256 keys of byob's local signed-URL protocol:
// the current key, which signs, and the previous one, which a Handler still
// accepts so that URLs issued before a rotation keep working until they
// expire. A LocalSigner and a Handler that share one *LocalKeys see a
// rotation at the same instant. It is safe for concurrent use; do not copy
// it.
//
// The keys never print: String, every fmt verb, log/slog, encoding/json and
// encoding.TextMarshaler give REDACTED, and a struct holding a *LocalKeys
// prints only its address. EncodeSecret is the one way out, for a 0600 file.
type LocalKeys struct {
	p atomic.Pointer[localKeyPair]
}

// localKeyPair is one generation of keys: what a rotation replaces whole.
type localKeyPair struct {
	current  *localKey
	previous *localKey // nil before the first rotation
}

// localKey is one secret with a pool of its keyed HMACs: building an HMAC
// costs two SHA-256 states and the key pads, which dominates a signature.
type localKey struct {
	secret []byte
	pool   sync.Pool
}

func newLocalKey(secret []byte) *localKey {
	k := &localKey{secret: secret}
	k.pool.New = func() any { return hmac.New(sha256.New, k.secret) }
	return k
}

// sum returns the HMAC-SHA256 of msg under k, appended to dst.
func (k *localKey) sum(dst, msg []byte) []byte {
	m := k.pool.Get().(hash.Hash)
	m.Reset()
	m.Write(msg)
	dst = m.Sum(dst)
	k.pool.Put(m)
	return dst
}

// freshSecret returns a new random key. crypto/rand never fails: Read
// crashes the program rather than return weak bytes.
func freshSecret() []byte {
	b := make([]byte, LocalKeyMinBytes)
	_, _ = rand.Read(b)
	return b
}

// NewLocalKeys returns keys with a fresh random current key and no previous
// one.
func NewLocalKeys() *LocalKeys {
	k := &LocalKeys{}
	k.p.Store(&localKeyPair{current: newLocalKey(freshSecret())})
	return k
}

// ParseLocalKeys reads keys in the form EncodeSecret writes. Its errors
// never quote the input.
func ParseLocalKeys(s string) (*LocalKeys, error) {
	bad := func(problem string) error {
		return &Error{Op: "parse local keys", Field: "keys", Kind: ErrLocalConfig, Problem: problem,
			Fix: "pass what LocalKeys.EncodeSecret wrote, or make new keys with NewLocalKeys"}
	}
	parts := strings.Split(strings.TrimSpace(s), ":")
	if len(parts) < 2 || len(parts) > 3 || parts[0] != localKeysEncoding {
		return nil, bad("the text is not in the " + localKeysEncoding + " form")
	}
	var keys [2]*localKey
	for i, p := range parts[1:] {
		b, err := base64.RawURLEncoding.Strict().DecodeString(p)
		if err != nil {
			return nil, bad("a key is not unpadded base64url")
		}
		if len(b) < LocalKeyMinBytes || len(b) > LocalKeyMaxBytes {
			return nil, bad(fmt.Sprintf("a key has %d bytes; keys have %d to %d", len(b), LocalKeyMinBytes, LocalKeyMaxBytes))
		}
		keys[i] = newLocalKey(b)
	}
	k := &LocalKeys{}
	k.p.Store(&localKeyPair{current: keys[0], previous: keys[1]})
	return k, nil
}

// EncodeSecret returns the keys in their storage form,
// "byob-local-keys-v1:<current>[:<previous>]" with each key in unpadded
// base64url. It is the only way to read the keys: write the result to a
// file only its owner can read, and nowhere else.
func (k *LocalKeys) EncodeSecret() string {
	p := k.p.Load()
	s := localKeysEncoding + ":" + base64.RawURLEncoding.EncodeToString(p.current.secret)
	if p.previous != nil {
		s += ":" + base64.RawURLEncoding.EncodeToString(p.previous.secret)
	}
	return s
}

// Rotate makes the current key the previous one and a fresh random key the
// current one. URLs signed with the key that was previous until now stop
// working: rotate at most once per longest URL lifetime (7 days) if every
// URL must live out its expiry.
func (k *LocalKeys) Rotate() {
	for {
		old := k.p.Load()
		next := &localKeyPair{current: newLocalKey(freshSecret()), previous: old.current}
		if k.p.CompareAndSwap(old, next) {
			return
		}
	}
}

// pair returns the current generation of keys.
func (k *LocalKeys) pair() *localKeyPair { return k.p.Load() }

// String says what the value is without showing it.
func (k *LocalKeys) String() string {
	if k == nil || k.p.Load() == nil {
		return "presign.LocalKeys(none)"
	}
	if k.p.Load().previous != nil {
		return "presign.LocalKeys(current REDACTED, previous REDACTED)"
	}
	return "presign.LocalKeys(current REDACTED)"
}

// GoString is String, so %#v shows no key.
func (k *LocalKeys) GoString() string { return k.String() }

// Format prints String under every verb, %x and %q included.
func (k *LocalKeys) Format(f fmt.State, _ rune) { fmt.Fprint(f, k.String()) }

// LogValue makes log/slog print REDACTED.
func (k *LocalKeys) LogValue() slog.Value { return slog.StringValue(redacted) }

// MarshalJSON encodes the keys as "REDACTED": persist them with
// EncodeSecret, never by accident inside a JSON document.
func (k *LocalKeys) MarshalJSON() ([]byte, error) { return []byte(`"` + redacted + `"`), nil }

// MarshalText gives REDACTED to every text encoder (and to map keys).
func (k *LocalKeys) MarshalText() ([]byte, error) { return []byte(redacted), nil }
