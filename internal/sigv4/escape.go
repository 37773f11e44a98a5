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

// keptBits holds both tables as bits, keptPath and keptQuery, so that
// appendEscaped can test eight bytes with one branch.
var keptBits = func() (t [256]uint8) {
	for c := range t {
		if pathKept[c] {
			t[c] |= keptPath
		}
		if unreserved[c] {
			t[c] |= keptQuery
		}
	}
	return t
}()

const (
	keptPath  = 1 << iota // kept in a path: unreserved and '/'
	keptQuery             // kept in a query name or value: unreserved
)

const upperHex = "0123456789ABCDEF"

// appendEscaped appends s with every byte but the unreserved ones written
// as %XX in upper case: smithy's httpbinding.EscapePath for a path (with
// '/' kept unless escapeSlash) and SigV4's query encoding for a query
// name or value (with escapeSlash, and a space as %20, never '+'). Runs of
// kept bytes are copied whole: an artifact key is mostly one run.
func appendEscaped(b []byte, s string, escapeSlash bool) []byte {
	kept, bit := &pathKept, uint8(keptPath)
	if escapeSlash {
		kept, bit = &unreserved, keptQuery
	}
	t := &keptBits
	for i := 0; i < len(s); {
		j := i
		for j+8 <= len(s) { // eight at a time, one branch: a key's long runs
			c := s[j : j+8]
			if t[c[0]]&t[c[1]]&t[c[2]]&t[c[3]]&t[c[4]]&t[c[5]]&t[c[6]]&t[c[7]]&bit == 0 {
				break
			}
			j += 8
		}
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
