package address

import (
	"strings"

	"github.com/byobkit/byob/internal/pct"
)

const upperhex = "0123456789ABCDEF"

// escape percent-encodes every byte outside unreserved and keep.
func escape(s, keep string) string {
	n := 0
	for i := 0; i < len(s); i++ {
		if !keepByte(s[i], keep) {
			n++
		}
	}
	if n == 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 2*n)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if keepByte(c, keep) {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(upperhex[c>>4])
		b.WriteByte(upperhex[c&15])
	}
	return b.String()
}

func keepByte(c byte, keep string) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	case c == '-', c == '.', c == '_', c == '~':
		return true
	}
	return strings.IndexByte(keep, c) >= 0
}

// '+' and '=' are common in base64 keys and survive userinfo unencoded.
func escapeUserinfo(s string) string { return escape(s, "+=") }
func escapeSegment(s string) string  { return escape(s, "") }

// '@' is encoded in paths: Parse refuses an unencoded '@' after the host.
func escapePath(s string) string { return escape(s, "/+=:") }

// escapeDir escapes a file:// directory, which has no credentials and so no
// ambiguous '@'.
func escapeDir(s string) string   { return escape(s, "/+=@:") }
func escapeQuery(s string) string { return escape(s, "/:[]") } // [] for an IPv6 endpoint=

// unescape decodes %XX sequences; '+' stays '+'. ok is false on a malformed
// escape.
func unescape(s string) (string, bool) {
	if strings.IndexByte(s, '%') < 0 {
		return s, true
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '%' {
			b.WriteByte(c)
			continue
		}
		if i+2 >= len(s) || !pct.IsHex(s[i+1]) || !pct.IsHex(s[i+2]) {
			return "", false
		}
		b.WriteByte(pct.Unhex(s[i+1])<<4 | pct.Unhex(s[i+2]))
		i += 2
	}
	return b.String(), true
}
