package sigv4

// unreserved marks RFC 3986's unreserved characters, the only ones SigV4
// (and the SDK's path escaping) leaves as they are.
var unreserved = func() (t [256]bool) {
	for c := 0; c < 256; c++ {
		t[c] = c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' ||
			c == '-' || c == '.' || c == '_' || c == '~'
	}
	return t
}()

const upperHex = "0123456789ABCDEF"

// appendEscaped appends s with every byte but the unreserved ones written
// as %XX in upper case: smithy's httpbinding.EscapePath for a path (with
// '/' kept unless escapeSlash) and SigV4's query encoding for a query
// name or value (with escapeSlash, and a space as %20, never '+').
func appendEscaped(b []byte, s string, escapeSlash bool) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if unreserved[c] || c == '/' && !escapeSlash {
			b = append(b, c)
			continue
		}
		b = append(b, '%', upperHex[c>>4], upperHex[c&15])
	}
	return b
}
