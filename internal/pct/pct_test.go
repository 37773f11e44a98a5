package pct

import (
	"strconv"
	"testing"
)

// Every byte: IsHex agrees with strconv, and Unhex gives the digit's value.
func TestHexDigits(t *testing.T) {
	for c := 0; c < 256; c++ {
		v, err := strconv.ParseUint(string(rune(c)), 16, 8)
		want := err == nil && c < 128
		if got := IsHex(byte(c)); got != want {
			t.Fatalf("IsHex(%#x) = %v, want %v", c, got, want)
		}
		if want && Unhex(byte(c)) != byte(v) {
			t.Fatalf("Unhex(%#x) = %d, want %d", c, Unhex(byte(c)), v)
		}
	}
}
