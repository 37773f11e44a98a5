package azsas

import (
	"math/rand/v2"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/sas"
)

// Escaping is byte by byte, so all 256 bytes prove it: the query escape is
// url.QueryEscape (which url.Values.Encode uses) and the path escape is
// url.PathEscape (which azblob's NewBlockBlobClient uses).
func TestEscapingMatchesNetURL(t *testing.T) {
	for c := 0; c < 256; c++ {
		s := string([]byte{byte(c)})
		if got, want := string(appendQueryEscaped(nil, s)), url.QueryEscape(s); got != want {
			t.Errorf("query escape of %#x = %q, url.QueryEscape = %q", c, got, want)
		}
		got := s
		if !pathSafe(byte(c)) {
			got = "%" + string(upperHex[c>>4]) + string(upperHex[c&15])
		}
		if want := url.PathEscape(s); got != want {
			t.Errorf("path escape of %#x = %q, url.PathEscape = %q", c, got, want)
		}
	}
}

// appendTime is time.Format with azblob's sas.TimeFormat over the years
// check accepts, for any zone and fraction of a second.
func TestAppendTimeMatchesFormat(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	lo := time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
	hi := time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC).Unix()
	times := []time.Time{
		time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC),
		time.Date(2024, 2, 29, 12, 0, 0, 0, time.UTC),
		time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC).Add(-time.Nanosecond),
	}
	for range 10000 {
		tm := time.Unix(lo+r.Int64N(hi-lo), r.Int64N(1e9)).In(time.FixedZone("z", (r.IntN(49)-24)*1800))
		if yearOK(tm) {
			times = append(times, tm)
		}
	}
	for _, tm := range times {
		want := tm.UTC().Format(sas.TimeFormat)
		if got := string(appendTime(nil, tm, false)); got != want {
			t.Fatalf("appendTime(%v) = %q, want %q", tm, got, want)
		}
		if got := string(appendTime(nil, tm, true)); got != url.QueryEscape(want) {
			t.Fatalf("escaped appendTime(%v) = %q, want %q", tm, got, url.QueryEscape(want))
		}
	}
}

// permOrder is azblob's canonical order of blob permissions.
func TestPermOrderIsAzblobs(t *testing.T) {
	all := sas.BlobPermissions{Read: true, Add: true, Create: true, Write: true, Delete: true, DeletePreviousVersion: true,
		PermanentDelete: true, List: true, Tag: true, Move: true, Execute: true, Ownership: true, Permissions: true, SetImmutabilityPolicy: true}
	if got := all.String(); got != permOrder {
		t.Fatalf("azblob's order is %q, permOrder is %q", got, permOrder)
	}
}

// The query parameters are written in url.Values.Encode's order: sorted.
func TestParametersAreSorted(t *testing.T) {
	key, err := NewSharedKey("devstoreaccount1", "a2V5")
	if err != nil {
		t.Fatal(err)
	}
	udk := &UserDelegationKey{account: "devstoreaccount1", oid: "o", tid: "t", start: time.Unix(0, 0), expiry: time.Unix(1, 0),
		service: "b", version: "v", dutid: "d", macs: newMacPool([]byte("k"))}
	v := &Values{Container: "ctr", Blob: "b", Permissions: "r", Start: time.Unix(1, 0), Expiry: time.Unix(2, 0),
		ContentType: "t", ContentDisposition: "d", CorrelationID: "c"}
	shared, err := key.Sign(v)
	if err != nil {
		t.Fatal(err)
	}
	v.SignedHeaders = []Header{{"h", "v"}}
	deleg, err := SignUserDelegation(udk, v)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{shared, deleg} {
		var names []string
		for _, kv := range strings.Split(q, "&") {
			names = append(names, kv[:strings.IndexByte(kv, '=')])
		}
		for i := 1; i < len(names); i++ {
			if names[i-1] >= names[i] {
				t.Fatalf("parameters out of order: %v", names)
			}
		}
	}
}
