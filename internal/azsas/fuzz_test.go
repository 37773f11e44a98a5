package azsas_test

import (
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/byobkit/byob/internal/azsas"
)

// fuzzInput turns the fuzzer's arguments into Values.
func fuzzInput(container, blob, perms string, start, expiry int64, nanos uint32, rsct, rscd, scid string, proto byte, version, h1, v1, h2 string) azsas.Values {
	v := azsas.Values{Container: container, Blob: blob, Permissions: perms, ContentType: rsct, ContentDisposition: rscd, CorrelationID: scid, Version: version}
	if start != 0 {
		v.Start = time.Unix(start, int64(nanos%1e9))
	}
	if expiry != 0 {
		v.Expiry = time.Unix(expiry, int64(nanos/3%1e9))
	}
	switch proto {
	case 0:
	case 1:
		v.Protocol = azsas.ProtocolHTTPS
	case 2:
		v.Protocol = azsas.ProtocolHTTPSAndHTTP
	default:
		v.Protocol = azsas.Protocol([]byte{proto})
	}
	if h1 != "" {
		v.SignedHeaders = append(v.SignedHeaders, azsas.Header{Name: h1, Value: v1})
	}
	if h2 != "" {
		v.SignedHeaders = append(v.SignedHeaders, azsas.Header{Name: h2, Value: v1 + "2"})
	}
	return v
}

// The package's documented rules, written a second way: what a fuzzed
// input must satisfy to be signed.
var (
	containerRule = regexp.MustCompile(`^([a-z0-9](-?[a-z0-9])+|\$root|\$web|\$logs)$`)
	permRule      = regexp.MustCompile(`^[racwdxyltmeopi]+$`)
	versionRule   = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}$`)
	noCtl         = regexp.MustCompile(`^[^\x00-\x1f\x7f]*$`)
	tokenRule     = regexp.MustCompile("^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
	headerValue   = regexp.MustCompile(`^[^\x00-\x08\x0a-\x1f\x7f]*$`)
)

func signable(v *azsas.Values, userDelegation bool) bool {
	inYears := func(t time.Time) bool { y := t.UTC().Year(); return y >= 1 && y <= 9999 }
	ok := len(v.Container) <= 63 && len(v.Container) >= 3 && containerRule.MatchString(v.Container) &&
		v.Blob != "" && v.Blob != "." && v.Blob != ".." && !strings.Contains(v.Blob, "\n") &&
		permRule.MatchString(v.Permissions) &&
		!v.Expiry.IsZero() && inYears(v.Expiry) &&
		(v.Start.IsZero() || inYears(v.Start) && v.Start.Truncate(time.Second).Before(v.Expiry.Truncate(time.Second))) &&
		(v.Protocol == "" || v.Protocol == "https" || v.Protocol == "https,http") &&
		(v.Version == "" || versionRule.MatchString(v.Version)) &&
		noCtl.MatchString(v.ContentType) && noCtl.MatchString(v.ContentDisposition) && noCtl.MatchString(v.CorrelationID)
	if !ok {
		return false
	}
	if !userDelegation {
		return len(v.SignedHeaders) == 0
	}
	for i, h := range v.SignedHeaders {
		if !tokenRule.MatchString(h.Name) || !headerValue.MatchString(h.Value) {
			return false
		}
		for _, p := range v.SignedHeaders[:i] {
			if strings.EqualFold(p.Name, h.Name) {
				return false
			}
		}
	}
	return true
}

// Whatever the input, Sign and SignUserDelegation either give azblob's
// bytes or refuse with an *Error, and they refuse exactly what the
// documented rules refuse; BlobURL gives azblob's URL for what they sign.
// The seeds in testdata/fuzz run with every go test.
func FuzzSignMatchesAzblob(f *testing.F) {
	key, err := azsas.NewSharedKey(testAccount, testKey)
	if err != nil {
		f.Fatal(err)
	}
	udk := ourUDK(f, testAccount, defaultUDK())
	udc := cachedUDC(f, testAccount, defaultUDK())
	f.Fuzz(func(t *testing.T, container, blob, perms string, start, expiry int64, nanos uint32, rsct, rscd, scid string, proto byte, version, h1, v1, h2 string) {
		v := fuzzInput(container, blob, perms, start, expiry, nanos, rsct, rscd, scid, proto, version, h1, v1, h2)
		check := func(what string, got string, err error, ok bool, sdk func() (string, *azsas.Values, error)) {
			var e *azsas.Error
			switch {
			case err != nil && !errors.As(err, &e):
				t.Fatalf("%s: error %v is not an *azsas.Error", what, err)
			case err != nil && ok:
				t.Fatalf("%s refused signable values %+v: %v", what, v, err)
			case err == nil && !ok:
				t.Fatalf("%s signed values the rules refuse: %+v", what, v)
			case err != nil:
				if got != "" {
					t.Fatalf("%s returned a SAS with its error", what)
				}
				return
			}
			want, _, sdkErr := sdk()
			if sdkErr != nil {
				t.Fatalf("%s signed what azblob refuses (%v): %+v", what, sdkErr, v)
			}
			if got != want {
				t.Fatalf("%s differs from azblob for %+v\n got: %s\nwant: %s", what, v, got, want)
			}
		}

		shared := v
		shared.SignedHeaders = nil
		got, err := key.Sign(&shared)
		check("Sign", got, err, signable(&shared, false), func() (string, *azsas.Values, error) {
			s, err := sdkSharedKey(t, testAccount, testKey, &shared)
			return s, &shared, err
		})
		if len(v.SignedHeaders) > 0 {
			_, err := key.Sign(&v)
			if !errors.Is(err, azsas.ErrUnsupported) && !errors.Is(err, azsas.ErrInvalid) && !errors.Is(err, azsas.ErrMissing) {
				t.Fatalf("Sign with signed headers: %v, want an error", err)
			}
		}

		// azblob signs headers in map order; sign ours in the order it
		// chose. (A duplicate name collapses in azblob's map, and is refused
		// here, so the reordering never drops a header that matters.)
		// azblob is asked once: asking again could give another order.
		want, ordered, sdkErr := "", &v, error(nil)
		if signable(&v, true) {
			want, ordered, sdkErr = sdkUserDelegation(t, udc, &v)
		}
		got, err = azsas.SignUserDelegation(udk, ordered)
		check("SignUserDelegation", got, err, signable(ordered, true), func() (string, *azsas.Values, error) {
			return want, ordered, sdkErr
		})

		if signable(&shared, false) {
			for _, ep := range []string{"https://" + testAccount + ".blob.core.windows.net/", "http://127.0.0.1:10000/" + testAccount} {
				u, err := azsas.BlobURL(ep, v.Container, v.Blob)
				if err != nil {
					t.Fatalf("BlobURL: %v", err)
				}
				if want := sdkBlobURL(t, ep, v.Container, v.Blob); u != want {
					t.Fatalf("BlobURL differs from azblob\n got: %s\nwant: %s", u, want)
				}
			}
		}
	})
}
