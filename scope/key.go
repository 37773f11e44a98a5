package scope

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/byobkit/byob/internal/pct"
)

// CheckKey checks an object key before it is used in this location. The key
// is relative to the location's prefix. It must be valid UTF-8, non-empty,
// made of non-empty '/'-separated segments none of which is "." or "..",
// without a leading '/', a '\', or a control character (C0, DEL, C1), and
// without a %XX escape that decodes to '/', '\', '.', '%', a control
// character or a non-ASCII byte, and without a bare '%' (one that starts no
// escape) beside an escape: so no layer that decodes once or twice, strictly
// or leniently, sees another path. The full key must fit the provider's
// limits (address.Rules.Keys). A key that breaks a rule is refused with an *Error of kind ErrKey,
// never cleaned. CheckKey does not allocate when the key is accepted.
func (l *Location) CheckKey(key string) error {
	r := &l.rules
	if key == "" {
		return l.keyError(key, "the key is empty")
	}
	if key[0] == '/' {
		return l.keyError(key, "the key starts with '/'")
	}
	if r.MaxBytes > 0 && l.baseBytes+len(key) > r.MaxBytes {
		return l.keyError(key, "the full key (location prefix + key) is longer than "+strconv.Itoa(r.MaxBytes)+" bytes")
	}
	chars, segs, start := l.baseChars, l.baseSegments, 0
	bare, escapes := false, false // a '%' that starts no escape; a %XX escape
	for i := 0; i < len(key); {
		if plainKeyByte[key[i]] { // the common case: no rule looks at it
			j := i + 1
			for j < len(key) && plainKeyByte[key[j]] {
				j++
			}
			chars += j - i
			i = j
			continue
		}
		c := key[i]
		if c >= utf8.RuneSelf {
			ru, size := utf8.DecodeRuneInString(key[i:])
			if ru == utf8.RuneError && size == 1 {
				return l.keyError(key, "the key is not valid UTF-8")
			}
			if ru <= 0x9f { // C1 control characters U+0080..U+009F
				return l.keyError(key, "the key contains a control character")
			}
			i += size
			chars++
			continue
		}
		switch {
		case c < 0x20 || c == 0x7f:
			return l.keyError(key, "the key contains a control character")
		case c == '\\':
			return l.keyError(key, "the key contains '\\'")
		case c == '%' && i+2 < len(key) && pct.IsHex(key[i+1]) && pct.IsHex(key[i+2]):
			if forbiddenEscape(pct.Unhex(key[i+1])<<4 | pct.Unhex(key[i+2])) {
				return l.keyError(key, "the key contains "+key[i:i+3]+", an escape for a character keys must not contain")
			}
			escapes = true
		case c == '%':
			bare = true
		case c == '/':
			if err := l.checkSegment(key, key[start:i], false); err != nil {
				return err
			}
			start = i + 1
			segs++
		}
		i++
		chars++
	}
	if err := l.checkSegment(key, key[start:], true); err != nil {
		return err
	}
	segs++
	if bare && escapes {
		// Decoding "%%32%65" once yields "%2e", a second time ".".
		return l.keyError(key, "the key mixes a bare '%' with %XX escapes, which a second decoding could turn into '.' or '/'")
	}
	if r.MaxChars > 0 && chars > r.MaxChars {
		return l.keyError(key, "the full key (location prefix + key) is longer than "+strconv.Itoa(r.MaxChars)+" characters")
	}
	if r.MaxSegments > 0 && segs > r.MaxSegments {
		return l.keyError(key, "the full key has more than "+strconv.Itoa(r.MaxSegments)+" '/'-separated segments")
	}
	return nil
}

// checkSegment applies the rules for one '/'-separated segment of key.
func (l *Location) checkSegment(key, seg string, last bool) error {
	r := &l.rules
	switch {
	case seg == "":
		if last {
			return l.keyError(key, "the key ends with '/'")
		}
		return l.keyError(key, "the key has an empty segment ('//')")
	case seg == "." || seg == "..":
		return l.keyError(key, "the key has a '.' or '..' segment")
	case r.NoTrailingDot && seg[len(seg)-1] == '.':
		return l.keyError(key, "a segment ends with '.', which this provider drops")
	case r.MaxSegment > 0 && len(seg) > r.MaxSegment:
		return l.keyError(key, "a segment is longer than "+strconv.Itoa(r.MaxSegment)+" bytes")
	case last && r.MaxLast > 0 && len(seg) > r.MaxLast:
		return l.keyError(key, "the last segment is longer than "+strconv.Itoa(r.MaxLast)+" bytes")
	case last && r.BadSuffix != "" && strings.HasSuffix(seg, r.BadSuffix):
		return l.keyError(key, "the key ends with "+r.BadSuffix+", which this provider reserves")
	}
	return nil
}

// forbiddenEscape reports whether a %XX escape decodes to a byte keys must
// not hide: a path separator, a dot (so no "%2e%2e"), another '%' (double
// encoding), a control character, or a non-ASCII byte (overlong UTF-8 such
// as %C0%AE for '.').
func forbiddenEscape(b byte) bool {
	return b < 0x20 || b >= 0x7f || b == '/' || b == '\\' || b == '.' || b == '%'
}

// keyError builds the refusal. The key is no secret, but it is quoted and
// cut short so that it cannot forge log lines or flood them.
func (l *Location) keyError(key, problem string) error {
	const show = 80
	shown := key
	if len(shown) > show {
		shown = strings.ToValidUTF8(shown[:show], "") + "..."
	}
	return &Error{Op: "check key", Team: l.team, Kind: ErrKey,
		Detail: problem + " (key " + quote(shown) + ")",
		Fix:    "use a relative key of non-empty segments without '.', '..', '\\', control characters or escapes of them"}
}

// plainKeyByte marks the bytes CheckKey's loop need only count: printable
// ASCII but '/', '\\' and '%', which its rules look at.
var plainKeyByte = func() (t [256]bool) {
	for c := 0x20; c < 0x7f; c++ {
		t[c] = c != '/' && c != '\\' && c != '%'
	}
	return t
}()
