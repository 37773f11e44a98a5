package azsas

import (
	"strings"
	"time"
)

// permOrder is the order Azure signs blob permissions in, azblob's
// BlobPermissions.String: the bit for permOrder[i] is 1<<i.
const permOrder = "racwdxyltmeopi"

// checked is what check derives from Values for signing.
type checked struct {
	perms   uint16
	proto   string
	version string
}

// check validates v and derives the normalised fields. It refuses what
// azblob would sign but Azure would refuse, or what would let one field
// spill into the next line of the string to sign.
func check(v *Values, userDelegation bool) (checked, error) {
	var c checked
	if v == nil {
		return c, newErr(ErrMissing, FieldBlob, "the Values are nil", "pass the container, blob, permissions and expiry")
	}
	if err := checkContainer(v.Container); err != nil {
		return c, err
	}
	if err := checkBlob(v.Blob); err != nil {
		return c, err
	}
	if v.Permissions == "" {
		return c, newErr(ErrMissing, FieldPermissions, "are empty", "pass letters from "+permOrder+", such as r to read or cw to upload")
	}
	for i := 0; i < len(v.Permissions); i++ {
		j := strings.IndexByte(permOrder, v.Permissions[i])
		if j < 0 {
			return c, newErr(ErrInvalid, FieldPermissions, "contain a letter that is not a blob permission",
				"use only letters from "+permOrder+", such as r to read or cw to upload")
		}
		c.perms |= 1 << j
	}
	if v.Expiry.IsZero() {
		return c, newErr(ErrMissing, FieldExpiry, "is zero", "set when the SAS stops working")
	}
	if !yearOK(v.Expiry) {
		return c, newErr(ErrInvalid, FieldExpiry, "is outside the years 0001 to 9999", "set a time a few hours or days ahead")
	}
	if !v.Start.IsZero() {
		if !yearOK(v.Start) {
			return c, newErr(ErrInvalid, FieldStart, "is outside the years 0001 to 9999", "leave it zero, or backdate it a few minutes")
		}
		if v.Start.Unix() >= v.Expiry.Unix() {
			return c, newErr(ErrInvalid, FieldStart, "is not before the expiry (to the second)", "leave it zero, or backdate it a few minutes")
		}
	}
	switch v.Protocol {
	case "":
		c.proto = string(ProtocolHTTPS)
	case ProtocolHTTPS, ProtocolHTTPSAndHTTP:
		c.proto = string(v.Protocol)
	default:
		return c, newErr(ErrInvalid, FieldProtocol, "is neither https nor https,http", "use ProtocolHTTPS, or ProtocolHTTPSAndHTTP for an emulator on http://")
	}
	c.version = v.Version
	if c.version == "" {
		c.version = DefaultVersion
	} else if !isDate(c.version) {
		return c, newErr(ErrInvalid, FieldVersion, "is not a date as YYYY-MM-DD", "leave it empty for DefaultVersion")
	}
	for _, f := range [...]struct {
		s     string
		field Field
	}{{v.ContentType, FieldContentType}, {v.ContentDisposition, FieldContentDisposition}, {v.CorrelationID, FieldCorrelationID}} {
		if hasCtl(f.s) {
			return c, newErr(ErrInvalid, f.field, "contains a control character", "remove line breaks, tabs and other control characters")
		}
	}
	if len(v.SignedHeaders) > 0 {
		if !userDelegation {
			return c, newErr(ErrUnsupported, FieldSignedHeaders, "cannot be bound by a shared-key SAS",
				"sign with a user delegation key, or have the server check the headers after the upload")
		}
		if err := checkHeaders(v.SignedHeaders); err != nil {
			return c, err
		}
	}
	return c, nil
}

func appendPerms(b []byte, perms uint16) []byte {
	for i := 0; i < len(permOrder); i++ {
		if perms&(1<<i) != 0 {
			b = append(b, permOrder[i])
		}
	}
	return b
}

func yearOK(t time.Time) bool {
	y := t.UTC().Year()
	return 1 <= y && y <= 9999
}

// isDate reports whether s looks like YYYY-MM-DD, the form of every storage
// service version.
func isDate(s string) bool {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if i != 4 && i != 7 && (s[i] < '0' || s[i] > '9') {
			return false
		}
	}
	return true
}

// hasCtl reports an ASCII control character: a newline would move the rest
// of a field to the next line of the string to sign, and none belongs in a
// response header.
func hasCtl(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] == 0x7f {
			return true
		}
	}
	return false
}

func checkAccount(a string) error {
	if a == "" {
		return newErr(ErrMissing, FieldAccount, "is empty", "pass the storage account name")
	}
	if len(a) < 3 || len(a) > 24 {
		return newErr(ErrInvalid, FieldAccount, "is not 3 to 24 characters long", "pass the storage account name as Azure shows it")
	}
	for i := 0; i < len(a); i++ {
		if !('a' <= a[i] && a[i] <= 'z' || '0' <= a[i] && a[i] <= '9') {
			return newErr(ErrInvalid, FieldAccount, "may hold only lowercase letters and digits", "pass the storage account name as Azure shows it")
		}
	}
	return nil
}

// checkContainer applies Azure's container naming rules, and so keeps '/'
// and newlines out of the canonical resource: 3 to 63 lowercase letters,
// digits and single hyphens between them, or one of the special containers.
func checkContainer(c string) error {
	const fix = "use 3 to 63 lowercase letters, digits and single hyphens, starting and ending with a letter or digit"
	switch c {
	case "":
		return newErr(ErrMissing, FieldContainer, "is empty", fix)
	case "$root", "$web", "$logs":
		return nil
	}
	if len(c) < 3 || len(c) > 63 {
		return newErr(ErrInvalid, FieldContainer, "is not 3 to 63 characters long", fix)
	}
	for i := 0; i < len(c); i++ {
		ch := c[i]
		switch {
		case 'a' <= ch && ch <= 'z', '0' <= ch && ch <= '9':
		case ch == '-' && i > 0 && i < len(c)-1 && c[i-1] != '-':
		default:
			return newErr(ErrInvalid, FieldContainer, "breaks Azure's container naming rules", fix)
		}
	}
	return nil
}

// checkBlob refuses what cannot name one blob: an empty name, a newline
// (it would spill into the next line of the string to sign), and "." or
// "..", which a URL resolves to the container or the account instead.
func checkBlob(b string) error {
	switch {
	case b == "":
		return newErr(ErrMissing, FieldBlob, "is empty", "pass the blob's name; a container SAS is not supported")
	case b == "." || b == "..":
		return newErr(ErrInvalid, FieldBlob, `is "." or "..", which a URL resolves to another resource`, "rename the blob")
	case strings.IndexByte(b, '\n') >= 0:
		return newErr(ErrInvalid, FieldBlob, "contains a newline", "rename the blob")
	}
	return nil
}

// checkHeaders holds signed headers to what the srh list and its string to
// sign can carry: a name is an HTTP token (so no ',' or ':'), a value has no
// control character but tab, and no name comes twice, whatever its case.
func checkHeaders(hs []Header) error {
	for i, h := range hs {
		if !isToken(h.Name) {
			return newErr(ErrInvalid, FieldSignedHeaders, "a header name is empty or not an HTTP token", "use names such as x-ms-blob-type or Content-MD5")
		}
		for j := 0; j < len(h.Value); j++ {
			if c := h.Value[j]; (c < 0x20 && c != '\t') || c == 0x7f {
				return newErr(ErrInvalid, FieldSignedHeaders, "a header value contains a control character", "remove line breaks and other control characters")
			}
		}
		for _, prev := range hs[:i] {
			if strings.EqualFold(prev.Name, h.Name) {
				return newErr(ErrInvalid, FieldSignedHeaders, "a header name is listed twice", "list each header once")
			}
		}
	}
	return nil
}

// isToken reports an RFC 9110 token.
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if isUnreserved(c) {
			continue
		}
		if strings.IndexByte("!#$%&'*+^`|", c) < 0 {
			return false
		}
	}
	return true
}
