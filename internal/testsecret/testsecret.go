// Package testsecret is what byob's tests share to make secrets and to look
// for them in output. The house rule is that no 8-byte window of a secret
// appears in anything byob prints; before this package every test package
// wrote that check, and the test keys, again.
//
// It is for tests only: the keys it makes are fresh and thrown away, and
// Find returns the window it found, for the test's message to show, which
// is fine for a test's made-up secret and for no other.
package testsecret

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// WindowLen is the length of the pieces of a secret that must not appear
// in any output: an attacker who sees 8 bytes of a key has learnt too much.
const WindowLen = 8

// Windows returns every WindowLen-byte window of each secret, each once, in
// the order they first occur. A secret shorter than WindowLen has none.
func Windows(secrets ...string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range secrets {
		for i := 0; i+WindowLen <= len(s); i++ {
			if w := s[i : i+WindowLen]; !seen[w] {
				seen[w] = true
				out = append(out, w)
			}
		}
	}
	return out
}

// Spellings returns each secret in every spelling a printer may give it:
// as written, URL query- and path-escaped, and as it stands between the
// quotes of Go's %q and of JSON. Pass them to Find or NewSet to catch a
// secret that leaks escaped.
func Spellings(secrets ...string) []string {
	var out []string
	for _, s := range secrets {
		quoted := strconv.Quote(s)
		js, _ := json.Marshal(s) // a string always marshals
		out = append(out, s, url.QueryEscape(s), url.PathEscape(s), quoted[1:len(quoted)-1], string(js[1:len(js)-1]))
	}
	return out
}

// Set is the windows of some secrets, built once so that many outputs can
// be searched for all of them in time linear in each output's length.
type Set struct {
	windows map[string]bool
	lengths []int // the distinct lengths in windows, ascending
}

// NewSet returns the set of every window of the secrets (see Windows).
func NewSet(secrets ...string) *Set {
	s := &Set{windows: map[string]bool{}}
	for _, w := range Windows(secrets...) {
		s.add(w)
	}
	return s
}

// AddShort adds each non-empty secret shorter than WindowLen to the set
// whole: such a secret has no window, but is no less a secret. A longer
// one is already in the set through its windows.
func (s *Set) AddShort(secrets ...string) {
	for _, x := range secrets {
		if x != "" && len(x) < WindowLen {
			s.add(x)
		}
	}
}

func (s *Set) add(w string) {
	s.windows[w] = true
	if !slices.Contains(s.lengths, len(w)) {
		s.lengths = append(s.lengths, len(w))
		slices.Sort(s.lengths)
	}
}

// Find returns the leftmost part of out that is in the set (the shortest,
// where several start there), or "" when out holds none.
func (s *Set) Find(out string) string {
	for i := 0; i < len(out); i++ {
		for _, n := range s.lengths {
			if i+n > len(out) {
				break
			}
			if s.windows[out[i:i+n]] {
				return out[i : i+n]
			}
		}
	}
	return ""
}

// Find returns a window of one of the secrets that occurs in out, or ""
// when none does. For many outputs and the same secrets, use a Set.
func Find(out string, secrets ...string) string {
	return NewSet(secrets...).Find(out)
}

// Check fails t when out, named what in the message, holds a window of
// one of the secrets. The message names the output and the secret's index
// and bytes, never the secret. A secret shorter than WindowLen stops the
// test: the check would prove nothing.
func Check(t testing.TB, what, out string, secrets ...string) {
	t.Helper()
	for n, s := range secrets {
		if len(s) < WindowLen {
			t.Fatalf("secret #%d is shorter than %d bytes: the check would prove nothing", n, WindowLen)
		}
		for i := 0; i+WindowLen <= len(s); i++ {
			if strings.Contains(out, s[i:i+WindowLen]) {
				t.Errorf("%s contains bytes %d..%d of secret #%d", what, i, i+WindowLen, n)
				break
			}
		}
	}
}

// Chain returns err and every error in its chain, depth first, following
// both Unwrap() error and Unwrap() []error: each of them may be printed on
// its own, so each must be checked.
func Chain(err error) []error {
	if err == nil {
		return nil
	}
	out := []error{err}
	switch u := err.(type) {
	case interface{ Unwrap() error }:
		out = append(out, Chain(u.Unwrap())...)
	case interface{ Unwrap() []error }:
		for _, e := range u.Unwrap() {
			out = append(out, Chain(e)...)
		}
	}
	return out
}

// RSAKey returns a fresh 2048-bit RSA key and its PEM in PKCS #8, as a
// service account's key file holds it.
func RSAKey(t testing.TB) (*rsa.PrivateKey, string) {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return k, pkcs8PEM(t, k)
}

// ECKeyPEM returns a fresh P-256 key in PKCS #8 PEM: a well-formed private
// key that is not the RSA key a service account has.
func ECKeyPEM(t testing.TB) string {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return pkcs8PEM(t, k)
}

// Ed25519KeyPEM returns a fresh Ed25519 key in PKCS #8 PEM: another
// well-formed key that is not RSA.
func Ed25519KeyPEM(t testing.TB) string {
	t.Helper()
	_, k, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return pkcs8PEM(t, k)
}

func pkcs8PEM(t testing.TB, key any) string {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
}

// PEMBody returns the base64 lines of the PEM text s: the parts of a key
// that must not leak (the armour is no secret). It stops the test when s
// has none.
func PEMBody(t testing.TB, s string) []string {
	t.Helper()
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l != "" && !strings.HasPrefix(l, "-----") {
			out = append(out, l)
		}
	}
	if len(out) == 0 {
		t.Fatal("no PEM body")
	}
	return out
}

// Rot rotates letters by 13 and digits by 5, leaving every other byte: the
// shape of a key stays, its text changes. A message that changes along with
// the rotated key quotes it; one that stays the same merely shares wording.
func Rot(s string) string {
	b := []byte(s)
	for i, c := range b {
		switch {
		case 'a' <= c && c <= 'z':
			b[i] = 'a' + (c-'a'+13)%26
		case 'A' <= c && c <= 'Z':
			b[i] = 'A' + (c-'A'+13)%26
		case '0' <= c && c <= '9':
			b[i] = '0' + (c-'0'+5)%10
		}
	}
	return string(b)
}
