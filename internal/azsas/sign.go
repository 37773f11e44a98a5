package azsas

import (
	"encoding/base64"
	"time"
)

// Sign returns the encoded query of a shared-key service SAS for one blob
// (sr=b), without a leading '?': byte for byte what azblob v1.8.3's
// sas.BlobSignatureValues{...}.SignWithSharedKey(cred) and then Encode()
// return for the same values. It does no I/O and allocates only its result.
//
// The SAS signs the permissions, the times, the blob, the protocol, the
// version and the response overrides. It does not sign CorrelationID (scid),
// and it cannot bind request headers, so a non-empty SignedHeaders is an
// ErrUnsupported error.
func (k *SharedKey) Sign(v *Values) (string, error) {
	if k == nil || k.macs == nil {
		return "", newErr(ErrMissing, FieldKey, "the SharedKey is nil", "build it with NewSharedKey")
	}
	c, err := check(v, false)
	if err != nil {
		return "", err
	}
	s := k.macs.get()
	defer k.macs.put(s)

	// The string to sign of a service SAS, versions 2020-12-06 and later,
	// as azblob joins it: unused fields stay as empty lines.
	b := appendHead(s.buf[:0], c, k.account, v)
	b = append(b, "\n\n\n"...) // signed identifier, IP range
	b = append(b, c.proto...)
	b = append(b, '\n')
	b = append(b, c.version...)
	b = append(b, "\nb\n\n\n\n"...) // resource; snapshot time, encryption scope, rscc
	b = append(b, v.ContentDisposition...)
	b = append(b, "\n\n\n"...) // rsce, rscl
	b = append(b, v.ContentType...)
	sig := s.sign(b)

	// The query, in url.Values.Encode's order: sorted by key.
	q := b[:0]
	q = appendParam(q, "rscd", v.ContentDisposition)
	q = appendParam(q, "rsct", v.ContentType)
	q = appendParam(q, "scid", v.CorrelationID)
	q = appendTimeParam(q, "se", v.Expiry)
	q = appendSig(q, &sig)
	q = appendPermsParam(q, c.perms)
	q = appendParam(q, "spr", c.proto)
	q = appendParam(q, "sr", "b")
	if !v.Start.IsZero() {
		q = appendTimeParam(q, "st", v.Start)
	}
	q = appendParam(q, "sv", c.version)
	s.buf = q
	return string(q), nil
}

// SignUserDelegation returns the encoded query of a user delegation SAS for
// one blob (sr=b), without a leading '?': byte for byte what azblob v1.8.3's
// SignWithUserDelegation(udc) and then Encode() return for the same values
// and a credential holding the same key, when SignedHeaders is given in the
// order azblob's map happened to yield. It does no I/O and allocates only
// its result.
//
// Beyond what a shared-key SAS signs, it binds the key's identity and
// validity, the CorrelationID (scid) and the SignedHeaders (srh).
func SignUserDelegation(udk *UserDelegationKey, v *Values) (string, error) {
	if udk == nil || udk.macs == nil {
		return "", newErr(ErrMissing, FieldDelegationKey, "the UserDelegationKey is nil", "build it with NewUserDelegationKey")
	}
	c, err := check(v, true)
	if err != nil {
		return "", err
	}
	s := udk.macs.get()
	defer udk.macs.put(s)

	b := appendHead(s.buf[:0], c, udk.account, v)
	b = append(b, '\n')
	b = append(b, udk.oid...)
	b = append(b, '\n')
	b = append(b, udk.tid...)
	b = append(b, '\n')
	b = appendTime(b, udk.start, false)
	b = append(b, '\n')
	b = appendTime(b, udk.expiry, false)
	b = append(b, '\n')
	b = append(b, udk.service...)
	b = append(b, '\n')
	b = append(b, udk.version...)
	b = append(b, "\n\n\n"...) // saoid, suoid
	b = append(b, v.CorrelationID...)
	b = append(b, '\n')
	b = append(b, udk.dutid...)
	b = append(b, "\n\n\n"...) // sduoid, IP range
	b = append(b, c.proto...)
	b = append(b, '\n')
	b = append(b, c.version...)
	b = append(b, "\nb\n\n\n"...) // resource; snapshot time, encryption scope
	for _, h := range v.SignedHeaders {
		b = append(b, h.Name...)
		b = append(b, ':')
		b = append(b, h.Value...)
		b = append(b, '\n')
	}
	b = append(b, "\n\n\n"...) // srq, rscc
	b = append(b, v.ContentDisposition...)
	b = append(b, "\n\n\n"...) // rsce, rscl
	b = append(b, v.ContentType...)
	sig := s.sign(b)

	q := b[:0]
	q = appendParam(q, "rscd", v.ContentDisposition)
	q = appendParam(q, "rsct", v.ContentType)
	q = appendParam(q, "scid", v.CorrelationID)
	q = appendTimeParam(q, "se", v.Expiry)
	q = appendSig(q, &sig)
	q = appendParam(q, "skdutid", udk.dutid)
	q = appendTimeParam(q, "ske", udk.expiry)
	q = appendParam(q, "skoid", udk.oid)
	q = appendParam(q, "sks", udk.service)
	q = appendTimeParam(q, "skt", udk.start)
	q = appendParam(q, "sktid", udk.tid)
	q = appendParam(q, "skv", udk.version)
	q = appendPermsParam(q, c.perms)
	q = appendParam(q, "spr", c.proto)
	q = appendParam(q, "sr", "b")
	if len(v.SignedHeaders) > 0 {
		q = appendSep(q)
		q = append(q, "srh="...)
		for i, h := range v.SignedHeaders {
			if i > 0 {
				q = append(q, "%2C"...)
			}
			q = appendQueryEscaped(q, h.Name)
		}
	}
	if !v.Start.IsZero() {
		q = appendTimeParam(q, "st", v.Start)
	}
	q = appendParam(q, "sv", c.version)
	s.buf = q
	return string(q), nil
}

// sign returns the base64 HMAC-SHA256 of msg, by value so that it needs
// no allocation.
func (s *signer) sign(msg []byte) (out [44]byte) {
	s.mac.Reset()
	s.mac.Write(msg)
	base64.StdEncoding.Encode(out[:], s.mac.Sum(s.sum[:0]))
	return out
}

func appendSig(q []byte, sig *[44]byte) []byte {
	q = appendSep(q)
	q = append(q, "sig="...)
	return appendQueryEscaped(q, sig[:])
}

// appendCanonical appends the canonical resource, /blob/<account>/<container>/<blob>,
// with '\' in the blob name signed as '/' (azblob's getCanonicalName).
func appendCanonical(b []byte, account string, v *Values) []byte {
	b = append(b, "/blob/"...)
	b = append(b, account...)
	b = append(b, '/')
	b = append(b, v.Container...)
	b = append(b, '/')
	for i := 0; i < len(v.Blob); i++ {
		c := v.Blob[i]
		if c == '\\' {
			c = '/'
		}
		b = append(b, c)
	}
	return b
}

func appendStart(b []byte, t time.Time, escaped bool) []byte {
	if t.IsZero() {
		return b
	}
	return appendTime(b, t, escaped)
}

// appendTime appends t as 2006-01-02T15:04:05Z in UTC, with ':' as %3A when
// escaped. check has held the year to 0001-9999, where this is what
// time.Format gives.
func appendTime(b []byte, t time.Time, escaped bool) []byte {
	t = t.UTC()
	year, month, day := t.Date()
	hour, minute, sec := t.Clock()
	colon := ":"
	if escaped {
		colon = "%3A"
	}
	b = append(b, byte('0'+year/1000), byte('0'+year/100%10), byte('0'+year/10%10), byte('0'+year%10), '-')
	b = append2(b, int(month))
	b = append(b, '-')
	b = append2(b, day)
	b = append(b, 'T')
	b = append2(b, hour)
	b = append(b, colon...)
	b = append2(b, minute)
	b = append(b, colon...)
	b = append2(b, sec)
	return append(b, 'Z')
}

func append2(b []byte, n int) []byte { return append(b, byte('0'+n/10), byte('0'+n%10)) }

func appendSep(q []byte) []byte {
	if len(q) > 0 {
		q = append(q, '&')
	}
	return q
}

// appendParam appends &key=value with value escaped as url.QueryEscape
// does, or nothing when value is empty (as azblob's Encode skips it).
func appendParam(q []byte, key, value string) []byte {
	if value == "" {
		return q
	}
	q = appendSep(q)
	q = append(q, key...)
	q = append(q, '=')
	return appendQueryEscaped(q, value)
}

func appendTimeParam(q []byte, key string, t time.Time) []byte {
	q = appendSep(q)
	q = append(q, key...)
	q = append(q, '=')
	return appendTime(q, t, true)
}

func appendPermsParam(q []byte, perms uint16) []byte {
	q = appendSep(q)
	q = append(q, "sp="...)
	return appendPerms(q, perms)
}

const upperHex = "0123456789ABCDEF"

// appendQueryEscaped appends s escaped as url.QueryEscape escapes it.
func appendQueryEscaped[T string | []byte](q []byte, s T) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case isUnreserved(c):
			q = append(q, c)
		case c == ' ':
			q = append(q, '+')
		default:
			q = append(q, '%', upperHex[c>>4], upperHex[c&15])
		}
	}
	return q
}

// isUnreserved reports RFC 3986's unreserved characters, which net/url
// never escapes.
func isUnreserved(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '-' || c == '_' || c == '.' || c == '~'
}

// appendHead appends the lines both kinds of SAS start their string to sign
// with: permissions, start, expiry and the canonical resource name.
func appendHead(b []byte, c checked, account string, v *Values) []byte {
	b = appendPerms(b, c.perms)
	b = append(b, '\n')
	b = appendStart(b, v.Start, false)
	b = append(b, '\n')
	b = appendTime(b, v.Expiry, false)
	b = append(b, '\n')
	return appendCanonical(b, account, v)
}
