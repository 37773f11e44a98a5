package sigv4

import (
	"encoding/hex"
	"math/rand/v2"
	"testing"
	"time"
)

// TestStampMatchesTimeFormat: putDate and putClock, the timestamp by
// arithmetic, write what time.Format writes for every second they are
// given: the edges
// of the range validate admits, the days around each calendar rule
// (leap days of years divisible by 4, 100 and 400, the Unix epoch) and
// random seconds across the whole range.
func TestStampMatchesTimeFormat(t *testing.T) {
	secs := []int64{minUnix, minUnix + 1, maxUnix - 1, -1, 0, 1, 86399, 86400}
	for _, y := range []int{0, 1, 4, 99, 100, 400, 1600, 1900, 1969, 1970, 2000, 2024, 2025, 2100, 2400, 9999} {
		for _, d := range []time.Time{
			time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(y, 2, 28, 23, 59, 59, 0, time.UTC),
			time.Date(y, 3, 1, 0, 0, 0, 0, time.UTC), time.Date(y, 12, 31, 23, 59, 59, 0, time.UTC),
		} {
			secs = append(secs, d.Unix()-1, d.Unix(), d.Unix()+1)
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 200000 {
		secs = append(secs, minUnix+rng.Int64N(maxUnix-minUnix))
	}
	for _, u := range secs {
		if u < minUnix || u >= maxUnix {
			continue
		}
		var b [16]byte
		since := uint64(u - minUnix)
		var d [8]byte
		putDate(&d, since/86400)
		copy(b[:], d[:])
		putClock(&b, since%86400)
		if want := time.Unix(u, 0).UTC().Format("20060102T150405Z"); string(b[:]) != want {
			t.Fatalf("timestamp of %d = %s, want %s", u, b[:], want)
		}
	}
}

// TestHexMatchesEncoding: putHex writes what encoding/hex writes, for
// sums holding every byte value.
func TestHexMatchesEncoding(t *testing.T) {
	for start := 0; start < 256; start += 32 {
		var src [32]byte
		for i := range src {
			src[i] = byte(start + i)
		}
		var got [64]byte
		putHex(&got, &src)
		if want := hex.EncodeToString(src[:]); string(got[:]) != want {
			t.Errorf("putHex = %s, want %s", got[:], want)
		}
	}
}
