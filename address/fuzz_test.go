package address_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/byobkit/byob/address"
	"github.com/byobkit/byob/internal/testsecret"
)

// FuzzParse checks, for any input: Parse never panics; whatever parses
// round-trips through URL() and validates; String() does not depend on the
// keys; and an error is an *address.Error that quotes no part of the
// credentials the input held.
// Seeds live in testdata/fuzz/FuzzParse.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"s3://AKIA:se%2Fcret@s3.eu-central-1.amazonaws.com/bkt/team/a?region=eu-central-1",
		"s3://AKIA:se/cret@s3.amazonaws.com/bkt",
		"s3://ak:sk@minio.local:9000/bkt?region=us-east-1?tls=true",
		"cw://ak:sk@cwobject.com/bkt?region=US-EAST-04A&tls=true",
		"cw://bkt.cwlota.com/x",
		"gs://sa%40p.iam.gserviceaccount.com:pemkey@my-gcs-bucket/sub/prefix",
		"az://:accountkey==@mystorageaccount/mycontainer?endpoint=http://127.0.0.1:10000",
		"file:///var/lib/byob", "mem://m/a%20b", "cw://",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := address.Parse(s)
		if err != nil {
			checkError(t, s, err)
			return
		}
		again, err := address.Parse(a.URL())
		if err != nil {
			t.Fatalf("Parse(URL()) failed: %v", err)
		}
		if *again != *a {
			t.Fatalf("round trip changed the address:\n first %#v\nsecond %#v", a, again)
		}
		if err := a.Validate(); err != nil {
			t.Fatalf("Validate() of a parsed address: %v", err)
		}
		// String must not depend on the keys at all: other keys of the same
		// shape print the same (the GCS e-mail, which shows, is kept).
		if a.HasCredentials() {
			other := a.Credentials()
			if other.Secret != "" {
				other.Secret = "x" + other.Secret
			}
			if other.AccessKey != "" && a.Provider != address.GCS {
				other.AccessKey = "x" + other.AccessKey
			}
			if a.String() != a.WithCredentials(other).String() {
				t.Fatalf("String() depends on the keys: %s", a.String())
			}
		}
	})
}

func checkError(t *testing.T, input string, err error) {
	var e *address.Error
	if !errors.As(err, &e) || e.Kind == nil || !errors.Is(err, e.Kind) {
		t.Fatalf("error is not a well-formed *address.Error: %T %v", err, err)
	}
	// The credentials as written: between the first ':' after the scheme and
	// the last '@'.
	i := strings.Index(input, "://")
	at := strings.LastIndexByte(input, '@')
	if i < 0 || at < i {
		return
	}
	c := strings.IndexByte(input[i+3:at], ':')
	if c < 0 {
		return
	}
	start := i + 3 + c + 1
	secret := input[start:at]
	// Rotating the secret's letters and digits keeps its shape, so a message
	// that merely shares wording with it ("us-east-1") stays the same, while
	// one that quotes it changes along with it.
	rotated := input[:start] + testsecret.Rot(secret) + input[at:]
	_, err2 := address.Parse(rotated)
	if err2 == nil {
		return
	}
	msg, msg2 := err.Error(), err2.Error()
	const window = 6
	for j := 0; j+window <= len(secret); j++ {
		part := secret[j : j+window]
		if strings.Contains(msg, part) && strings.Contains(msg2, testsecret.Rot(part)) {
			t.Fatalf("error quotes part of the secret: %q in %q", part, msg)
		}
	}
}
