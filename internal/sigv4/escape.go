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

// pathKept is unreserved plus '/', which a path keeps.
var pathKept = func() (t [256]bool) {
	t = unreserved
	t['/'] = true
	return t
}()

const upperHex = "0123456789ABCDEF"

// appendEscaped appends s with every byte but the unreserved ones written
// as %XX in upper case: smithy's httpbinding.EscapePath for a path (with
// '/' kept unless escapeSlash) and SigV4's query encoding for a query
// name or value (with escapeSlash, and a space as %20, never '+'). Runs of
// kept bytes are copied whole: an artifact key is mostly one run.
func appendEscaped(b []byte, s string, escapeSlash bool) []byte {
	kept := &pathKept
	if escapeSlash {
		kept = &unreserved
	}
	for i := 0; i < len(s); {
		j := i
		for j < len(s) && kept[s[j]] {
			j++
		}
		b = append(b, s[i:j]...)
		if j == len(s) {
			break
		}
		c := s[j]
		b = append(b, '%', upperHex[c>>4], upperHex[c&15])
		i = j + 1
	}
	return b
}
