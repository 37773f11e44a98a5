package azsas_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/sas"

	"github.com/byobkit/byob/internal/azsas"
)

// now is a fixed signing time: the tests compare strings, not clocks.
var now = time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)

// blobNames are the keys that test escaping and the canonical resource.
var blobNames = []struct{ name, blob string }{
	{"plain", "wandb_artifacts/123/456/0a1b2c3d4e5f"},
	{"space", "run files/media images/a b.png"},
	{"unicode", "données/日本語/ünïcødé 🚀.txt"},
	{"plus", "a+b/c++.bin"},
	{"percent", "100%/a%2Fb%zz"},
	{"slashes", "a/b//c/"},
	{"leading slash", "/leading"},
	{"tilde", "~user/.config~"},
	{"question mark", "what?/is=this&that"},
	{"hash", "#1/issue#7"},
	{"backslash", `dir\file\name`},
	{"reserved", "!$&'()*,;:@[]"},
	{"dots in a name", "a/../b/./c"},
	{"triple dot", "..."},
	{"carriage return", "odd\rname"},
}

var expiries = []struct {
	name string
	d    time.Duration
}{{"1s", time.Second}, {"1h", time.Hour}, {"7d", 7 * 24 * time.Hour}}

// The permission sets byob uses (r for GET and HEAD; c and w for Put Blob,
// Put Block and Put Block List), in both orders, and every letter.
var permSets = []string{"r", "cw", "wc", "rcw", "d", "a", "racwdxyltmeopi", "ipoemtlyxdwcar"}

var overrides = []struct {
	name                 string
	contentType, contDis string
}{
	{"no overrides", "", ""},
	{"rsct", "application/x-parquet; charset=utf-8", ""},
	{"rscd", "", `attachment; filename="a b+c.txt"; filename*=UTF-8''%C3%A9t%C3%A9.txt`},
	{"rsct and rscd", "text/plain", "inline"},
}

var protocols = []azsas.Protocol{azsas.ProtocolHTTPS, azsas.ProtocolHTTPSAndHTTP}

type sasCase struct {
	name string
	v    azsas.Values
}

// sharedKeyCases is the table of TestSignMatchesAzblob: every dimension
// against the others, then the odd inputs one by one.
func sharedKeyCases() []sasCase {
	var cs []sasCase
	for _, p := range permSets {
		for _, e := range expiries {
			for _, o := range overrides {
				for _, pr := range protocols {
					cs = append(cs, sasCase{
						name: fmt.Sprintf("sp=%s/expiry %s/%s/spr=%s", p, e.name, o.name, pr),
						v: azsas.Values{Container: "byob-artifacts", Blob: "wandb_artifacts/1/2/abc", Permissions: p,
							Expiry: now.Add(e.d), Protocol: pr, ContentType: o.contentType, ContentDisposition: o.contDis},
					})
				}
			}
		}
	}
	for _, b := range blobNames {
		for _, p := range []string{"r", "cw"} {
			for _, pr := range protocols {
				cs = append(cs, sasCase{
					name: fmt.Sprintf("blob %s/sp=%s/spr=%s", b.name, p, pr),
					v:    azsas.Values{Container: "byob-artifacts", Blob: b.blob, Permissions: p, Expiry: now.Add(time.Hour), Protocol: pr},
				})
			}
		}
	}
	base := azsas.Values{Container: "c01", Blob: "k", Permissions: "r", Expiry: now.Add(time.Hour), Protocol: azsas.ProtocolHTTPS}
	with := func(name string, f func(v *azsas.Values)) sasCase {
		v := base
		f(&v)
		return sasCase{name, v}
	}
	cs = append(cs,
		with("start backdated 15 minutes", func(v *azsas.Values) { v.Start = now.Add(-15 * time.Minute) }),
		with("start and expiry with fractions of a second", func(v *azsas.Values) {
			v.Start = now.Add(-time.Minute + 999*time.Millisecond)
			v.Expiry = now.Add(time.Hour + 1)
		}),
		with("times in another zone", func(v *azsas.Values) {
			z := time.FixedZone("UTC-7", -7*3600)
			v.Start, v.Expiry = now.Add(-time.Hour).In(z), now.Add(time.Hour).In(z)
		}),
		with("times with a monotonic reading", func(v *azsas.Values) { v.Expiry = time.Now().Add(time.Hour) }),
		with("explicit version", func(v *azsas.Values) { v.Version = "2021-08-06" }),
		with("explicit default version", func(v *azsas.Values) { v.Version = azsas.DefaultVersion }),
		with("scid, carried unsigned", func(v *azsas.Values) { v.CorrelationID = "user alice@example.com+1/ü" }),
		with("scid and overrides", func(v *azsas.Values) {
			v.CorrelationID, v.ContentType, v.ContentDisposition = "u-1", "image/png", "attachment"
		}),
		with("duplicate permission letters", func(v *azsas.Values) { v.Permissions = "rrwwcc" }),
		with("container $root", func(v *azsas.Values) { v.Container = "$root" }),
		with("container with hyphens and digits, 63 long", func(v *azsas.Values) { v.Container = "a-" + strings.Repeat("b1", 30) + "c" }),
		with("long blob name", func(v *azsas.Values) { v.Blob = strings.Repeat("abc/", 256) }),
		with("expiry in year 9999", func(v *azsas.Values) { v.Expiry = time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC) }),
		with("expiry already past", func(v *azsas.Values) { v.Expiry = now.Add(-time.Hour) }),
		with("non-ASCII override", func(v *azsas.Values) { v.ContentDisposition = "attachment; filename=\"été.txt\"" }),
	)
	return cs
}

// Sign gives, byte for byte, what azblob's SignWithSharedKey and Encode
// give for the same values; BlobURL gives azblob's blob URL.
func TestSignMatchesAzblob(t *testing.T) {
	key, err := azsas.NewSharedKey(testAccount, testKey)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range sharedKeyCases() {
		t.Run(tc.name, func(t *testing.T) {
			got, err := key.Sign(&tc.v)
			if err != nil {
				t.Fatalf("Sign: %v", err)
			}
			want, err := sdkSharedKey(t, testAccount, testKey, &tc.v)
			if err != nil {
				t.Fatalf("azblob: %v", err)
			}
			if got != want {
				t.Fatalf("Sign differs from azblob\n got: %s\nwant: %s", got, want)
			}
			for _, ep := range []string{"https://" + testAccount + ".blob.core.windows.net", "http://127.0.0.1:10000/" + testAccount + "/"} {
				gotURL, err := azsas.BlobURL(ep, tc.v.Container, tc.v.Blob)
				if err != nil {
					t.Fatalf("BlobURL: %v", err)
				}
				if wantURL := sdkBlobURL(t, ep, tc.v.Container, tc.v.Blob); gotURL != wantURL {
					t.Fatalf("BlobURL differs from azblob\n got: %s\nwant: %s", gotURL, wantURL)
				}
			}
		})
	}
}

// The zero Protocol signs as https (azblob's zero would omit spr and allow
// plain HTTP); the zero Version is azblob's sas.Version.
func TestZeroProtocolAndVersion(t *testing.T) {
	if azsas.DefaultVersion != sas.Version {
		t.Fatalf("DefaultVersion = %s, azblob's sas.Version = %s: update DefaultVersion and the tests", azsas.DefaultVersion, sas.Version)
	}
	key, err := azsas.NewSharedKey(testAccount, testKey)
	if err != nil {
		t.Fatal(err)
	}
	zero := azsas.Values{Container: "ctr", Blob: "b", Permissions: "r", Expiry: now}
	explicit := zero
	explicit.Protocol, explicit.Version = azsas.ProtocolHTTPS, sas.Version
	a, err := key.Sign(&zero)
	if err != nil {
		t.Fatal(err)
	}
	b, err := key.Sign(&explicit)
	if err != nil {
		t.Fatal(err)
	}
	if a != b {
		t.Fatalf("zero Protocol/Version: %s\nexplicit: %s", a, b)
	}
	if got := param(t, a, "spr"); got != "https" {
		t.Fatalf("spr = %q, want https", got)
	}
}

// userDelegationCases is the table of TestSignUserDelegationMatchesAzblob.
func userDelegationCases() []struct {
	name string
	udk  udkFields
	v    azsas.Values
} {
	type udCase = struct {
		name string
		udk  udkFields
		v    azsas.Values
	}
	var cs []udCase
	k := defaultUDK()
	kTenant := defaultUDK()
	kTenant.DelegatedTenant = "11111111-2222-3333-4444-555555555555"
	for _, p := range []string{"r", "cw", "wc"} {
		for _, e := range expiries {
			for _, o := range overrides {
				for _, scid := range []string{"", "alice@example.com"} {
					name := fmt.Sprintf("sp=%s/expiry %s/%s/scid=%q", p, e.name, o.name, scid)
					cs = append(cs, udCase{name, k, azsas.Values{Container: "byob", Blob: "wandb_artifacts/9/8/f00", Permissions: p,
						Expiry: now.Add(e.d), Protocol: azsas.ProtocolHTTPS, ContentType: o.contentType, ContentDisposition: o.contDis, CorrelationID: scid}})
				}
			}
		}
	}
	for _, b := range blobNames {
		for _, pr := range protocols {
			cs = append(cs, udCase{fmt.Sprintf("blob %s/spr=%s", b.name, pr), k,
				azsas.Values{Container: "byob", Blob: b.blob, Permissions: "r", Expiry: now.Add(time.Hour), Protocol: pr, CorrelationID: "bob"}})
		}
	}
	put := azsas.Values{Container: "byob", Blob: "part", Permissions: "cw", Expiry: now.Add(24 * time.Hour)}
	with := func(name string, k udkFields, f func(v *azsas.Values)) udCase {
		v := put
		f(&v)
		return udCase{name, k, v}
	}
	cs = append(cs,
		with("one signed header", k, func(v *azsas.Values) {
			v.SignedHeaders = []azsas.Header{{"x-ms-blob-type", "BlockBlob"}}
		}),
		with("signed Content-MD5 and Content-Type and blob type", k, func(v *azsas.Values) {
			v.SignedHeaders = []azsas.Header{{"Content-MD5", "1B2M2Y8AsgTpgAmY7PhCfg=="}, {"Content-Type", "application/octet-stream"}, {"x-ms-blob-type", "BlockBlob"}}
		}),
		with("signed headers and scid", k, func(v *azsas.Values) {
			v.CorrelationID = "carol"
			v.SignedHeaders = []azsas.Header{{"content-md5", "rL0Y20zC+Fzt72VPzMSk2A=="}, {"x-ms-blob-type", "BlockBlob"}}
		}),
		with("signed header value with spaces, tab and unicode", k, func(v *azsas.Values) {
			v.SignedHeaders = []azsas.Header{{"x-ms-meta-note", " a\tb été "}}
		}),
		with("delegated user tenant", kTenant, func(v *azsas.Values) {}),
		with("start backdated", k, func(v *azsas.Values) { v.Start = now.Add(-10 * time.Minute) }),
		with("explicit version", k, func(v *azsas.Values) { v.Version = "2025-07-05" }),
		with("zero protocol is https", k, func(v *azsas.Values) { v.Protocol = "" }),
	)
	return cs
}

// SignUserDelegation gives, byte for byte, what azblob's
// SignWithUserDelegation and Encode give for the same values and a
// credential that azblob itself built from the same Get User Delegation
// Key answer. (Azurite cannot verify a user delegation SAS for a
// shared-key account, so identity with azblob is the whole test.)
func TestSignUserDelegationMatchesAzblob(t *testing.T) {
	for _, tc := range userDelegationCases() {
		t.Run(tc.name, func(t *testing.T) {
			want, v, err := sdkUserDelegation(t, cachedUDC(t, testAccount, tc.udk), &tc.v)
			if err != nil {
				t.Fatalf("azblob: %v", err)
			}
			got, err := azsas.SignUserDelegation(ourUDK(t, testAccount, tc.udk), v)
			if err != nil {
				t.Fatalf("SignUserDelegation: %v", err)
			}
			if got != want {
				t.Fatalf("SignUserDelegation differs from azblob\n got: %s\nwant: %s", got, want)
			}
		})
	}
}

// A user delegation SAS signs scid and srh: changing either changes the
// signature. A shared-key SAS carries scid outside its signature.
func TestWhatTheSignatureCovers(t *testing.T) {
	key, err := azsas.NewSharedKey(testAccount, testKey)
	if err != nil {
		t.Fatal(err)
	}
	udk := ourUDK(t, testAccount, defaultUDK())
	base := azsas.Values{Container: "ctr", Blob: "b", Permissions: "cw", Expiry: now.Add(time.Hour), CorrelationID: "alice"}
	for _, tc := range []struct {
		name        string
		edit        func(v *azsas.Values)
		sharedSame  bool // the shared-key signature does not change
		delegSame   bool
		sharedError bool
	}{
		{"scid changed", func(v *azsas.Values) { v.CorrelationID = "mallory" }, true, false, false},
		{"scid removed", func(v *azsas.Values) { v.CorrelationID = "" }, true, false, false},
		{"rsct changed", func(v *azsas.Values) { v.ContentType = "text/html" }, false, false, false},
		{"rscd changed", func(v *azsas.Values) { v.ContentDisposition = "inline" }, false, false, false},
		{"permissions changed", func(v *azsas.Values) { v.Permissions = "rcw" }, false, false, false},
		{"expiry changed", func(v *azsas.Values) { v.Expiry = v.Expiry.Add(time.Second) }, false, false, false},
		{"blob changed", func(v *azsas.Values) { v.Blob = "c" }, false, false, false},
		{"signed header added", func(v *azsas.Values) { v.SignedHeaders = []azsas.Header{{"Content-MD5", "x"}} }, false, false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			edited := base
			tc.edit(&edited)
			s0, err := key.Sign(&base)
			if err != nil {
				t.Fatal(err)
			}
			s1, err := key.Sign(&edited)
			if tc.sharedError != (err != nil) {
				t.Fatalf("Sign(edited) error = %v, want error: %v", err, tc.sharedError)
			}
			if err == nil && (param(t, s0, "sig") == param(t, s1, "sig")) != tc.sharedSame {
				t.Fatalf("shared-key signature unchanged = %v, want %v", !tc.sharedSame, tc.sharedSame)
			}
			d0, err := azsas.SignUserDelegation(udk, &base)
			if err != nil {
				t.Fatal(err)
			}
			d1, err := azsas.SignUserDelegation(udk, &edited)
			if err != nil {
				t.Fatal(err)
			}
			if (param(t, d0, "sig") == param(t, d1, "sig")) != tc.delegSame {
				t.Fatalf("user delegation signature unchanged = %v, want %v", !tc.delegSame, tc.delegSame)
			}
		})
	}
}
