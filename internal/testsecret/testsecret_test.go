package testsecret

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"net/url"
	"runtime"
	"strings"
	"testing"
)

// fakeTB records Errorf and Fatalf, and stops the calling goroutine on
// Fatal like the real testing.T does.
type fakeTB struct {
	testing.TB
	errors []string
	fatal  string
}

func (f *fakeTB) Helper() {}

func (f *fakeTB) Errorf(format string, args ...any) {
	f.errors = append(f.errors, fmt.Sprintf(format, args...))
}

func (f *fakeTB) Fatalf(format string, args ...any) {
	f.fatal = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func (f *fakeTB) Fatal(args ...any) { f.Fatalf("%s", fmt.Sprint(args...)) }

// run calls fn with a fakeTB in its own goroutine, so that Goexit stops
// only fn.
func run(fn func(testing.TB)) *fakeTB {
	f := &fakeTB{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn(f)
	}()
	<-done
	return f
}

const (
	pemLike = "line\none\nline\ntwo"
	secretA = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	secretB = "tEaMsEcReT/xK9+w2ZqL0pYvB8nR4mJ7hGfDsA1c"
)

func TestCheck(t *testing.T) {
	tests := []struct {
		name    string
		out     string
		secrets []string
		errors  []string // the messages Check gives, in order
		fatal   string
	}{
		{"clean output is not flagged", "s3://REDACTED:REDACTED@minio:9000/bkt", []string{secretA, secretB}, nil, ""},
		{"the whole secret is a leak", "denied: " + secretA, []string{secretA},
			[]string{"the error contains bytes 0..8 of secret #0"}, ""},
		{"eight bytes from the middle are a leak", "denied: ..." + secretA[13:21] + "...", []string{secretA},
			[]string{"the error contains bytes 13..21 of secret #0"}, ""},
		{"seven bytes are not a window", "denied: " + secretA[13:20], []string{secretA}, nil, ""},
		{"a word shared with the secret is no leak when shorter than a window", "see the EXAMPLE docs", []string{secretA}, nil, ""},
		{"each leaking secret is named by its index", "a " + secretB[5:13] + " b " + secretA[:8], []string{secretA, secretB},
			[]string{"the error contains bytes 0..8 of secret #0", "the error contains bytes 5..13 of secret #1"}, ""},
		{"a secret too short to have a window stops the test", "anything", []string{secretA, "short"},
			nil, "secret #1 is shorter than 8 bytes: the check would prove nothing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := run(func(tb testing.TB) { Check(tb, "the error", tt.out, tt.secrets...) })
			if strings.Join(f.errors, "\n") != strings.Join(tt.errors, "\n") || f.fatal != tt.fatal {
				t.Fatalf("Check gave errors %q, fatal %q; want %q, %q", f.errors, f.fatal, tt.errors, tt.fatal)
			}
			for _, msg := range append(f.errors, f.fatal) {
				for _, s := range tt.secrets {
					if len(s) >= WindowLen && Find(msg, s) != "" {
						t.Errorf("Check's message quotes the secret: %s", msg)
					}
				}
			}
		})
	}
}

func TestWindows(t *testing.T) {
	got := Windows("0123456789", "short", "23456789")
	want := []string{"01234567", "12345678", "23456789"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("Windows = %q, want %q: every window once, none of a short secret", got, want)
	}
}

func TestFind(t *testing.T) {
	tests := []struct {
		name, out string
		secrets   []string
		want      string
	}{
		{"clean output", "level=INFO msg=m key=REDACTED", []string{secretA, secretB}, ""},
		{"a window of the second secret", "x" + secretB[20:28] + "x", []string{secretA, secretB}, secretB[20:28]},
		{"the leftmost of two leaks", secretB[1:9] + " " + secretA[:8], []string{secretA, secretB}, secretB[1:9]},
		{"a short secret has no window", "key=short", []string{"short"}, ""},
		{"an escaped leak is missed by the secret as written", url.QueryEscape(secretA)[13:26], []string{secretA}, ""},
		{"and caught by its Spellings", url.QueryEscape(secretA)[13:26], Spellings(secretA), "%2FK7MDE"},
		{"Go's quoting hides a secret with newlines from the secret as written", fmt.Sprintf("%q", pemLike), []string{pemLike}, ""},
		{"and Spellings has it quoted", fmt.Sprintf("%q", pemLike), Spellings(pemLike), `line\non`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Find(tt.out, tt.secrets...); got != tt.want {
				t.Errorf("Find = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestSetAddShort(t *testing.T) {
	s := NewSet(secretA)
	s.AddShort("Qz7Kp", "", secretB)
	tests := []struct{ out, want string }{
		{"No such key: Qz7Kp", "Qz7Kp"},
		{"no key at all", ""}, // "" was not added: it would match everything
		{secretB, ""},         // a long secret is not added whole
		{"x" + secretA[30:], secretA[30:38]},
	}
	for _, tt := range tests {
		if got := s.Find(tt.out); got != tt.want {
			t.Errorf("Find(%q) = %q, want %q", tt.out, got, tt.want)
		}
	}
}

func TestChain(t *testing.T) {
	a, b, c := errors.New("a"), errors.New("b"), errors.New("c")
	err := fmt.Errorf("top: %w", errors.Join(a, fmt.Errorf("mid: %w", b), c))
	var got []string
	for _, e := range Chain(err) {
		got = append(got, e.Error())
	}
	want := []string{"top: a\nmid: b\nc", "a\nmid: b\nc", "a", "mid: b", "b", "c"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("Chain = %q, want %q", got, want)
	}
	if Chain(nil) != nil {
		t.Error("Chain(nil) is not empty")
	}
}

func TestKeys(t *testing.T) {
	rk, rsaPEM := RSAKey(t)
	tests := []struct {
		name, pem string
		is        func(any) bool
	}{
		{"RSA", rsaPEM, func(k any) bool { r, ok := k.(*rsa.PrivateKey); return ok && r.Equal(rk) }},
		{"EC", ECKeyPEM(t), func(k any) bool { _, ok := k.(*ecdsa.PrivateKey); return ok }},
		{"Ed25519", Ed25519KeyPEM(t), func(k any) bool { _, ok := k.(ed25519.PrivateKey); return ok }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			block, rest := pem.Decode([]byte(tt.pem))
			if block == nil || block.Type != "PRIVATE KEY" || len(rest) != 0 {
				t.Fatalf("not one PKCS #8 PEM block:\n%s", tt.pem)
			}
			k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
			if err != nil || !tt.is(k) {
				t.Fatalf("ParsePKCS8PrivateKey = %T, %v", k, err)
			}
			body := PEMBody(t, tt.pem)
			if got := strings.Join(body, ""); got != base64.StdEncoding.EncodeToString(block.Bytes) {
				t.Errorf("PEMBody is not the key's base64: %q", body)
			}
		})
	}
	if f := run(func(tb testing.TB) { PEMBody(tb, "-----BEGIN X-----\n-----END X-----\n") }); f.fatal == "" {
		t.Error("PEMBody of armour alone did not stop the test")
	}
}

func TestRot(t *testing.T) {
	const in = "AKIA/az+09=Zm"
	if got, want := Rot(in), "NXVN/nm+54=Mz"; got != want {
		t.Errorf("Rot(%q) = %q, want %q", in, got, want)
	}
	if got := Rot(Rot(in)); got != in {
		t.Errorf("Rot is not its own inverse: %q", got)
	}
}
