// Package pct holds the percent-encoding primitives that the address parser
// and the key checker share. Both decode %XX escapes themselves (rather
// than through net/url) to control exactly what is accepted and to keep
// secrets and keys out of error text.
package pct

// IsHex reports whether c is a hexadecimal digit.
func IsHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// Unhex returns the value of the hexadecimal digit c; c must satisfy IsHex.
func Unhex(c byte) byte {
	switch {
	case '0' <= c && c <= '9':
		return c - '0'
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}
