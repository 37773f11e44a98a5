package azsas_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/service"

	"github.com/byobkit/byob/internal/azsas"
)

func wantErr(t *testing.T, err error, kind error, field azsas.Field) {
	t.Helper()
	var e *azsas.Error
	if !errors.As(err, &e) || !errors.Is(err, kind) || e.Field != field {
		t.Fatalf("error = %v, want an *azsas.Error of kind %v for field %q", err, kind, field)
	}
	if e.Fix == "" {
		t.Fatalf("error %v has no fix", err)
	}
}

// Bad values are refused with the field at fault and no SAS. Some of them
// azblob would sign (a container with '/', a newline in a field, an empty
// blob, a start after the expiry, an unknown protocol); the comment of
// each says why refusing is right.
func TestSignRefusesBadValues(t *testing.T) {
	key, err := azsas.NewSharedKey(testAccount, testKey)
	if err != nil {
		t.Fatal(err)
	}
	udk := ourUDK(t, testAccount, defaultUDK())
	good := azsas.Values{Container: "ctr", Blob: "b", Permissions: "r", Expiry: now.Add(time.Hour)}
	for _, tc := range []struct {
		name   string
		edit   func(v *azsas.Values)
		kind   error
		field  azsas.Field
		shared bool // the case is about Sign only; SignUserDelegation accepts it
	}{
		{"no container", func(v *azsas.Values) { v.Container = "" }, azsas.ErrMissing, azsas.FieldContainer, false},
		{"container too short", func(v *azsas.Values) { v.Container = "ab" }, azsas.ErrInvalid, azsas.FieldContainer, false},
		{"container too long", func(v *azsas.Values) { v.Container = strings.Repeat("a", 64) }, azsas.ErrInvalid, azsas.FieldContainer, false},
		{"container with uppercase", func(v *azsas.Values) { v.Container = "Ctr" }, azsas.ErrInvalid, azsas.FieldContainer, false},
		{"container with a slash (would shift the canonical resource)", func(v *azsas.Values) { v.Container = "ctr/sub" }, azsas.ErrInvalid, azsas.FieldContainer, false},
		{"container with a double hyphen", func(v *azsas.Values) { v.Container = "a--b" }, azsas.ErrInvalid, azsas.FieldContainer, false},
		{"container starting with a hyphen", func(v *azsas.Values) { v.Container = "-ab" }, azsas.ErrInvalid, azsas.FieldContainer, false},
		{"container ending with a hyphen", func(v *azsas.Values) { v.Container = "ab-" }, azsas.ErrInvalid, azsas.FieldContainer, false},
		{"container with a newline", func(v *azsas.Values) { v.Container = "ab\ncd" }, azsas.ErrInvalid, azsas.FieldContainer, false},
		{"unknown special container", func(v *azsas.Values) { v.Container = "$other" }, azsas.ErrInvalid, azsas.FieldContainer, false},
		{"no blob (a container SAS is not this package's)", func(v *azsas.Values) { v.Blob = "" }, azsas.ErrMissing, azsas.FieldBlob, false},
		{"blob named dot", func(v *azsas.Values) { v.Blob = "." }, azsas.ErrInvalid, azsas.FieldBlob, false},
		{"blob named dot dot", func(v *azsas.Values) { v.Blob = ".." }, azsas.ErrInvalid, azsas.FieldBlob, false},
		{"blob with a newline (would spill into the next signed line)", func(v *azsas.Values) { v.Blob = "a\nb" }, azsas.ErrInvalid, azsas.FieldBlob, false},
		{"no permissions", func(v *azsas.Values) { v.Permissions = "" }, azsas.ErrMissing, azsas.FieldPermissions, false},
		{"unknown permission letter", func(v *azsas.Values) { v.Permissions = "rq" }, azsas.ErrInvalid, azsas.FieldPermissions, false},
		{"uppercase permission letter", func(v *azsas.Values) { v.Permissions = "R" }, azsas.ErrInvalid, azsas.FieldPermissions, false},
		{"non-ASCII permission", func(v *azsas.Values) { v.Permissions = "ré" }, azsas.ErrInvalid, azsas.FieldPermissions, false},
		{"zero expiry", func(v *azsas.Values) { v.Expiry = time.Time{} }, azsas.ErrMissing, azsas.FieldExpiry, false},
		{"expiry after year 9999", func(v *azsas.Values) { v.Expiry = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC) }, azsas.ErrInvalid, azsas.FieldExpiry, false},
		{"start in year 0", func(v *azsas.Values) { v.Start = time.Date(0, 6, 1, 0, 0, 0, 0, time.UTC) }, azsas.ErrInvalid, azsas.FieldStart, false},
		{"start equal to expiry", func(v *azsas.Values) { v.Start = v.Expiry }, azsas.ErrInvalid, azsas.FieldStart, false},
		{"start within the expiry's second", func(v *azsas.Values) {
			v.Expiry = v.Expiry.Add(500 * time.Millisecond)
			v.Start = v.Expiry.Add(-400 * time.Millisecond)
		}, azsas.ErrInvalid, azsas.FieldStart, false},
		{"start after expiry", func(v *azsas.Values) { v.Start = v.Expiry.Add(time.Hour) }, azsas.ErrInvalid, azsas.FieldStart, false},
		{"protocol http only", func(v *azsas.Values) { v.Protocol = "http" }, azsas.ErrInvalid, azsas.FieldProtocol, false},
		{"protocol in another order", func(v *azsas.Values) { v.Protocol = "http,https" }, azsas.ErrInvalid, azsas.FieldProtocol, false},
		{"version not a date", func(v *azsas.Values) { v.Version = "latest" }, azsas.ErrInvalid, azsas.FieldVersion, false},
		{"version with a newline", func(v *azsas.Values) { v.Version = "2020-12-0\n" }, azsas.ErrInvalid, azsas.FieldVersion, false},
		{"rsct with a newline", func(v *azsas.Values) { v.ContentType = "text/plain\nb" }, azsas.ErrInvalid, azsas.FieldContentType, false},
		{"rscd with a carriage return (header injection)", func(v *azsas.Values) { v.ContentDisposition = "inline\rX-Evil: 1" }, azsas.ErrInvalid, azsas.FieldContentDisposition, false},
		{"scid with a NUL", func(v *azsas.Values) { v.CorrelationID = "a\x00" }, azsas.ErrInvalid, azsas.FieldCorrelationID, false},
		{"scid with DEL", func(v *azsas.Values) { v.CorrelationID = "a\x7f" }, azsas.ErrInvalid, azsas.FieldCorrelationID, false},
		{"signed header on a shared-key SAS (azblob drops it silently)", func(v *azsas.Values) {
			v.SignedHeaders = []azsas.Header{{"Content-MD5", "x"}}
		}, azsas.ErrUnsupported, azsas.FieldSignedHeaders, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := good
			tc.edit(&v)
			got, err := key.Sign(&v)
			if got != "" {
				t.Fatalf("Sign returned a SAS with its error: %q", got)
			}
			wantErr(t, err, tc.kind, tc.field)
			got, err = azsas.SignUserDelegation(udk, &v)
			if tc.shared {
				if err != nil {
					t.Fatalf("SignUserDelegation: %v", err)
				}
				return
			}
			if got != "" {
				t.Fatalf("SignUserDelegation returned a SAS with its error: %q", got)
			}
			wantErr(t, err, tc.kind, tc.field)
		})
	}
}

// Signed headers of a user delegation SAS must fit the srh list and the
// "name:value\n" lines of the string to sign.
func TestSignUserDelegationRefusesBadHeaders(t *testing.T) {
	udk := ourUDK(t, testAccount, defaultUDK())
	for _, tc := range []struct {
		name string
		hs   []azsas.Header
	}{
		{"empty name", []azsas.Header{{"", "v"}}},
		{"name with a colon", []azsas.Header{{"a:b", "v"}}},
		{"name with a comma (would split the srh list)", []azsas.Header{{"a,b", "v"}}},
		{"name with a space", []azsas.Header{{"a b", "v"}}},
		{"name with a newline", []azsas.Header{{"a\nb", "v"}}},
		{"value with a newline (would forge another header line)", []azsas.Header{{"Content-Type", "a\nx-ms-blob-type:BlockBlob"}}},
		{"value with a carriage return", []azsas.Header{{"Content-Type", "a\rb"}}},
		{"name twice", []azsas.Header{{"Content-MD5", "a"}, {"Content-MD5", "b"}}},
		{"name twice in another case", []azsas.Header{{"Content-MD5", "a"}, {"content-md5", "a"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := azsas.Values{Container: "ctr", Blob: "b", Permissions: "cw", Expiry: now.Add(time.Hour), SignedHeaders: tc.hs}
			got, err := azsas.SignUserDelegation(udk, &v)
			if got != "" {
				t.Fatalf("SignUserDelegation returned a SAS with its error: %q", got)
			}
			wantErr(t, err, azsas.ErrInvalid, azsas.FieldSignedHeaders)
		})
	}
}

// Nil keys and values are errors, not panics.
func TestNilInputs(t *testing.T) {
	key, err := azsas.NewSharedKey(testAccount, testKey)
	if err != nil {
		t.Fatal(err)
	}
	v := &azsas.Values{Container: "ctr", Blob: "b", Permissions: "r", Expiry: now}
	_, err = (*azsas.SharedKey)(nil).Sign(v)
	wantErr(t, err, azsas.ErrMissing, azsas.FieldKey)
	_, err = new(azsas.SharedKey).Sign(v)
	wantErr(t, err, azsas.ErrMissing, azsas.FieldKey)
	_, err = key.Sign(nil)
	wantErr(t, err, azsas.ErrMissing, azsas.FieldBlob)
	_, err = azsas.SignUserDelegation(nil, v)
	wantErr(t, err, azsas.ErrMissing, azsas.FieldDelegationKey)
	_, err = azsas.SignUserDelegation(new(azsas.UserDelegationKey), v)
	wantErr(t, err, azsas.ErrMissing, azsas.FieldDelegationKey)
	_, err = azsas.SignUserDelegation(ourUDK(t, testAccount, defaultUDK()), nil)
	wantErr(t, err, azsas.ErrMissing, azsas.FieldBlob)
}

func TestNewSharedKeyRefusesBadInput(t *testing.T) {
	for _, tc := range []struct {
		name, account, key string
		kind               error
		field              azsas.Field
	}{
		{"no account", "", testKey, azsas.ErrMissing, azsas.FieldAccount},
		{"account too short", "ab", testKey, azsas.ErrInvalid, azsas.FieldAccount},
		{"account too long", strings.Repeat("a", 25), testKey, azsas.ErrInvalid, azsas.FieldAccount},
		{"account with uppercase", "DevStore", testKey, azsas.ErrInvalid, azsas.FieldAccount},
		{"account with a slash (would shift the canonical resource)", "acct/ctr", testKey, azsas.ErrInvalid, azsas.FieldAccount},
		{"no key", testAccount, "", azsas.ErrMissing, azsas.FieldKey},
		{"key not base64", testAccount, "not base64!", azsas.ErrInvalid, azsas.FieldKey},
		{"key without padding", testAccount, strings.TrimRight(testKey, "="), azsas.ErrInvalid, azsas.FieldKey},
		{"key URL-encoded", testAccount, strings.ReplaceAll(testKey, "/", "%2F"), azsas.ErrInvalid, azsas.FieldKey},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k, err := azsas.NewSharedKey(tc.account, tc.key)
			if k != nil {
				t.Fatalf("NewSharedKey returned a key with its error")
			}
			wantErr(t, err, tc.kind, tc.field)
		})
	}
}

func TestNewUserDelegationKeyRefusesBadInput(t *testing.T) {
	s := func(v string) *string { return &v }
	tm := func(v time.Time) *time.Time { return &v }
	full := func() service.UserDelegationKey {
		f := defaultUDK()
		return service.UserDelegationKey{SignedOID: s(f.OID), SignedTID: s(f.TID), SignedStart: tm(f.Start), SignedExpiry: tm(f.Expiry),
			SignedService: s(f.Service), SignedVersion: s(f.Version), Value: s(f.Value)}
	}
	if _, err := azsas.NewUserDelegationKey(testAccount, full()); err != nil {
		t.Fatalf("the complete key is refused: %v", err)
	}
	for _, tc := range []struct {
		name    string
		account string
		edit    func(k *service.UserDelegationKey)
		kind    error
		field   azsas.Field
	}{
		{"no account", "", func(*service.UserDelegationKey) {}, azsas.ErrMissing, azsas.FieldAccount},
		{"no SignedOID", testAccount, func(k *service.UserDelegationKey) { k.SignedOID = nil }, azsas.ErrMissing, azsas.FieldDelegationKey},
		{"empty SignedTID", testAccount, func(k *service.UserDelegationKey) { k.SignedTID = s("") }, azsas.ErrMissing, azsas.FieldDelegationKey},
		{"no SignedStart", testAccount, func(k *service.UserDelegationKey) { k.SignedStart = nil }, azsas.ErrMissing, azsas.FieldDelegationKey},
		{"zero SignedExpiry", testAccount, func(k *service.UserDelegationKey) { k.SignedExpiry = tm(time.Time{}) }, azsas.ErrMissing, azsas.FieldDelegationKey},
		{"SignedExpiry after 9999", testAccount, func(k *service.UserDelegationKey) { k.SignedExpiry = tm(time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)) }, azsas.ErrInvalid, azsas.FieldDelegationKey},
		{"no SignedService", testAccount, func(k *service.UserDelegationKey) { k.SignedService = nil }, azsas.ErrMissing, azsas.FieldDelegationKey},
		{"no SignedVersion", testAccount, func(k *service.UserDelegationKey) { k.SignedVersion = nil }, azsas.ErrMissing, azsas.FieldDelegationKey},
		{"SignedOID with a newline", testAccount, func(k *service.UserDelegationKey) { k.SignedOID = s("a\nb") }, azsas.ErrInvalid, azsas.FieldDelegationKey},
		{"no Value", testAccount, func(k *service.UserDelegationKey) { k.Value = nil }, azsas.ErrMissing, azsas.FieldDelegationKey},
		{"Value not base64", testAccount, func(k *service.UserDelegationKey) { k.Value = s("%%%") }, azsas.ErrInvalid, azsas.FieldDelegationKey},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k := full()
			tc.edit(&k)
			u, err := azsas.NewUserDelegationKey(tc.account, k)
			if u != nil {
				t.Fatalf("NewUserDelegationKey returned a key with its error")
			}
			wantErr(t, err, tc.kind, tc.field)
		})
	}
}

func TestBlobURLRefusesBadInput(t *testing.T) {
	for _, tc := range []struct {
		name, endpoint, container, blob string
		kind                            error
		field                           azsas.Field
	}{
		{"endpoint without scheme", "acct.blob.core.windows.net", "ctr", "b", azsas.ErrInvalid, azsas.FieldEndpoint},
		{"endpoint with another scheme", "ftp://acct", "ctr", "b", azsas.ErrInvalid, azsas.FieldEndpoint},
		{"endpoint without host", "https://", "ctr", "b", azsas.ErrInvalid, azsas.FieldEndpoint},
		{"endpoint with a path but no host", "https:///acct", "ctr", "b", azsas.ErrInvalid, azsas.FieldEndpoint},
		{"endpoint with a query (a SAS of its own)", "https://acct.blob.core.windows.net/?sv=x", "ctr", "b", azsas.ErrInvalid, azsas.FieldEndpoint},
		{"endpoint with a fragment", "https://acct.blob.core.windows.net/#x", "ctr", "b", azsas.ErrInvalid, azsas.FieldEndpoint},
		{"bad container", "https://acct.blob.core.windows.net", "a/b", "b", azsas.ErrInvalid, azsas.FieldContainer},
		{"no blob", "https://acct.blob.core.windows.net", "ctr", "", azsas.ErrMissing, azsas.FieldBlob},
		{"blob named dot dot (would address the container's parent)", "https://acct.blob.core.windows.net", "ctr", "..", azsas.ErrInvalid, azsas.FieldBlob},
	} {
		t.Run(tc.name, func(t *testing.T) {
			u, err := azsas.BlobURL(tc.endpoint, tc.container, tc.blob)
			if u != "" {
				t.Fatalf("BlobURL returned %q with its error", u)
			}
			wantErr(t, err, tc.kind, tc.field)
		})
	}
}
