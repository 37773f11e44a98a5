package sigv4

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"
)

// Signer pre-signs S3 requests with one set of credentials. It is safe for
// concurrent use. Make one with NewSigner per credentials; when they
// rotate, make a new Signer: a Signer's secret never changes, so its
// cached signing keys can never belong to another secret.
//
// Every printer (fmt's verbs, log/slog, encoding/json) shows a Signer as
// "sigv4.Signer(credentials REDACTED)".
type Signer struct {
	// st is the Signer's only field, so that a Signer can be printed (and
	// copied) by value; see state for why it is two pointers deep.
	st *state
}

// state is a Signer's credentials and key cache. The secrets sit one
// pointer further, in secrets: fmt dereferences a pointer it meets at the
// top (including in the "%!s(...)" it writes for a wrong verb) but prints
// nested pointers as addresses, so no verb reaches them through any field.
type state struct {
	secrets *secrets
	// keys caches derived signing keys per (day, region): a hit is atomic
	// loads and compares, with no shared write. An atomic.Pointer prints
	// as an address.
	keys [4]atomic.Pointer[signingKey]
	// next picks the slot a miss overwrites.
	next atomic.Uint32
	// eps caches validated endpoints the same way, nextEp picking the
	// slot a miss overwrites.
	eps    [4]atomic.Pointer[endpoint]
	nextEp atomic.Uint32
}

type secrets struct {
	// key is "AWS4" followed by the secret access key, the HMAC key of the
	// first derivation step.
	key []byte
	// credPrefix is the escaped access key id followed by "%2F", the
	// start of X-Amz-Credential's value.
	credPrefix string
	// token is the escaped session token, "" for none, and tokenParam
	// the query's piece for it: "&X-Amz-Security-Token=" and token.
	token, tokenParam string
}

// signingKey is one derived key, as the SHA-256 states after HMAC's
// inner and outer pad blocks: resuming them spares hashing a pad block
// twice per URL.
type signingKey struct {
	day          uint64 // days since 0000-01-01, as keyed
	date         [8]byte
	region       string
	inner, outer []byte // sha256 digest states (encoding.BinaryMarshaler)
	// credential is X-Amz-Credential's value and scope the string to
	// sign's credential scope line, both fixed by the day and region.
	credential, scope string
	// amzHead is the query's start up to the timestamp:
	// X-Amz-Algorithm, X-Amz-Credential and "&X-Amz-Date=".
	amzHead string
	// scopeRest is what of scope lies beyond the string to sign's first
	// block, when scope reaches it.
	scopeRest string
	// second is the inner HMAC state after the string to sign's first
	// block, which holds no more than the timestamp and the scope: URLs
	// signed in the same second (an artifact's files, in a burst) resume
	// it and hash one block fewer.
	second atomic.Pointer[secondState]
}

// secondState is the inner HMAC state after a string to sign's first
// block, for one timestamp.
type secondState struct {
	stamp [16]byte
	state []byte
}

// NewSigner returns a Signer for an access key pair and an optional
// session token (temporary credentials). It copies what it needs; the
// error, if any, names the empty argument and never quotes a value.
func NewSigner(accessKeyID, secretAccessKey, sessionToken string) (*Signer, error) {
	if accessKeyID == "" {
		return nil, invalid("accessKeyID", "is empty", "pass the access key id")
	}
	if secretAccessKey == "" {
		return nil, invalid("secretAccessKey", "is empty", "pass the secret access key")
	}
	sec := &secrets{
		key:        append([]byte("AWS4"), secretAccessKey...),
		credPrefix: string(appendEscaped(nil, accessKeyID, true)) + "%2F",
	}
	if sessionToken != "" {
		sec.token = string(appendEscaped(nil, sessionToken, true))
		sec.tokenParam = "&X-Amz-Security-Token=" + sec.token
	}
	return &Signer{st: &state{secrets: sec}}, nil
}

const redactedSigner = "sigv4.Signer(credentials REDACTED)"

// String says what the Signer is without any credential.
func (s Signer) String() string { return redactedSigner }

// GoString is String, so %#v leaks nothing.
func (s Signer) GoString() string { return redactedSigner }

// Format prints String under every verb.
func (s Signer) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(redactedSigner)) }

// LogValue makes log/slog print String.
func (s Signer) LogValue() slog.Value { return slog.StringValue(redactedSigner) }

// MarshalJSON encodes String.
func (s Signer) MarshalJSON() ([]byte, error) { return json.Marshal(redactedSigner) }

// scratchSize is the stack buffer for the canonical request: enough for
// keys of several hundred bytes; a longer one grows it on the heap. Go
// zeroes it on every call, so it is no larger than it needs to be.
const scratchSize = 1024

// Presign returns the pre-signed URL for r: the URL aws-sdk-go-v2's
// s3.PresignClient returns for the same request, credentials and time.
func (s *Signer) Presign(r *Request) (string, error) {
	var scratch [scratchSize]byte
	p, err := s.sign(r, scratch[:0])
	if err != nil {
		return "", err
	}
	var b strings.Builder
	b.Grow(p.urlLen())
	b.WriteString(p.ep.urlBase)
	b.Write(p.canon[p.path[0]:p.path[1]])
	b.WriteByte('?')
	b.Write(p.canon[p.query[0]:p.query[1]])
	b.WriteString(sigParam)
	b.Write(p.sig[:])
	return b.String(), nil
}

// AppendPresign appends the pre-signed URL for r to dst, for callers that
// reuse a buffer; dst is returned unchanged on error.
func (s *Signer) AppendPresign(dst []byte, r *Request) ([]byte, error) {
	var scratch [scratchSize]byte
	p, err := s.sign(r, scratch[:0])
	if err != nil {
		return dst, err
	}
	dst = append(dst, p.ep.urlBase...)
	dst = append(dst, p.canon[p.path[0]:p.path[1]]...)
	dst = append(dst, '?')
	dst = append(dst, p.canon[p.query[0]:p.query[1]]...)
	dst = append(dst, sigParam...)
	return append(dst, p.sig[:]...), nil
}

const sigParam = "&X-Amz-Signature="

// presigned is a signed request: the canonical request holds the URL's
// path and query, which Presign and AppendPresign copy out.
type presigned struct {
	ep          *endpoint
	canon       []byte
	path, query [2]int
	sig         [2 * sha256.Size]byte
}

// urlLen is the length of the URL, so that Presign allocates it once.
func (p *presigned) urlLen() int {
	return len(p.ep.urlBase) + p.path[1] - p.path[0] + 1 + p.query[1] - p.query[0] + len(sigParam) + len(p.sig)
}

// Kinds of query values, written by sign's merge.
const (
	qEscape   uint8 = iota // the value, escaped
	qAmz                   // the X-Amz-* block: see sign
	qPart                  // the part number
	qVerbatim              // the value, already escaped
)

type qparam struct {
	name, val string
	kind      uint8
}

// Signed header lists, by which of content-md5 and content-type are set:
// as the query's X-Amz-SignedHeaders parameter (the last of the X-Amz-*
// block) and as the canonical request's line.
var signedHeaderLists = [4][2]string{
	{"&X-Amz-SignedHeaders=host", "host"},
	{"&X-Amz-SignedHeaders=content-md5%3Bhost", "content-md5;host"},
	{"&X-Amz-SignedHeaders=content-type%3Bhost", "content-type;host"},
	{"&X-Amz-SignedHeaders=content-md5%3Bcontent-type%3Bhost", "content-md5;content-type;host"},
}

const (
	algorithm       = "AWS4-HMAC-SHA256"
	unsignedPayload = "UNSIGNED-PAYLOAD"
	scopeTail       = "/s3/aws4_request"
	// stsHead is the length of the string to sign before the scope:
	// the algorithm, the timestamp and two newlines.
	stsHead = len(algorithm) + 1 + 16 + 1
)

// sign validates r and computes its canonical request and signature, in
// buf: the SigV4 steps of aws-sdk-go-v2's v4.Signer.PresignHTTP with S3's
// options (unsigned payload, no double escaping of the path).
func (s *Signer) sign(r *Request, buf []byte) (presigned, error) {
	if s == nil || s.st == nil {
		return presigned{}, invalid("Signer", "was not made by NewSigner", "make it with sigv4.NewSigner")
	}
	if r == nil {
		return presigned{}, invalid("Request", "is nil", "pass a Request")
	}
	ep, err := r.validate(s.st)
	if err != nil {
		return presigned{}, err
	}
	rule := &ops[r.Op]
	p := presigned{ep: ep}

	// The timestamp, 20060102T150405Z: the day's part comes with its
	// signing key, keyed by the day's number.
	since := uint64(r.Time.Unix() - minUnix) // validated: minUnix <= Unix() < maxUnix
	k := s.key(since/86400, r.Region)
	var stamp [16]byte
	copy(stamp[:8], k.date[:])
	putClock(&stamp, since%86400)

	var hdr int
	if r.ContentMD5 != "" {
		hdr |= 1
	}
	if r.ContentType != "" {
		hdr |= 2
	}
	signed := &signedHeaderLists[hdr]

	// The query, in the order SigV4 wants: sorted by (escaped) name, which
	// for these names is the name itself. The fixed names come sorted, in
	// an array that never grows; the extras are sorted by index and merged
	// in as they are written. So nothing of r reaches the heap, and a
	// caller's Request (and its Query) can stay on its stack.
	//
	// The X-Amz-* parameters (Algorithm, Credential, Date, Expires,
	// Security-Token, SignedHeaders) are one entry, written from pieces
	// the signing key and the secrets hold: no extra can sort among them,
	// since a name between two names that start with "X-Amz-" starts with
	// it too, and validate refuses extras that do (reservedParam).
	var qa [7]qparam // the most an operation writes: see ops
	qa[0] = qparam{"X-Amz-Algorithm", "", qAmz}
	n := 1
	if rule.part {
		qa[n] = qparam{"partNumber", "", qPart}
		n++
	}
	if r.ResponseContentDisposition != "" {
		qa[n] = qparam{"response-content-disposition", r.ResponseContentDisposition, qEscape}
		n++
	}
	if r.ResponseContentType != "" {
		qa[n] = qparam{"response-content-type", r.ResponseContentType, qEscape}
		n++
	}
	if rule.upload {
		qa[n] = qparam{"uploadId", r.UploadID, qEscape}
		n++
	}
	if rule.uploads {
		qa[n] = qparam{"uploads", "", qVerbatim}
		n++
	}
	if rule.xid != "" {
		qa[n] = qparam{"x-id", rule.xid, qVerbatim}
		n++
	}
	q := qa[:n]
	var oa [8]int // the extras' indexes in name order
	ord := oa[:0]
	for i := range r.Query {
		ord = append(ord, i)
		for j := len(ord) - 1; j > 0 && r.Query[ord[j]].Name < r.Query[ord[j-1]].Name; j-- {
			ord[j], ord[j-1] = ord[j-1], ord[j]
		}
	}

	// The canonical request.
	buf = append(buf, rule.method...)
	buf = append(buf, '\n')
	p.path[0] = len(buf)
	buf = append(buf, ep.pathBase...)
	buf = appendEscaped(buf, r.Prefix, false)
	buf = appendEscaped(buf, r.Key, false)
	p.path[1] = len(buf)
	buf = append(buf, '\n')
	p.query[0] = len(buf)
	// Merge the fixed parameters and the extras; names never tie, since
	// validate refuses an extra named like a fixed one.
	for i, j := 0, 0; i < len(q) || j < len(ord); {
		if i+j > 0 {
			buf = append(buf, '&')
		}
		if j < len(ord) && (i == len(q) || r.Query[ord[j]].Name < q[i].name) {
			e := &r.Query[ord[j]]
			buf = append(buf, e.Name...)
			buf = append(buf, '=')
			buf = appendEscaped(buf, e.Value, true)
			j++
			continue
		}
		e := &q[i]
		i++
		if e.kind == qAmz {
			buf = append(buf, k.amzHead...) // up to X-Amz-Date=
			buf = append(buf, stamp[:]...)
			buf = append(buf, "&X-Amz-Expires="...)
			buf = appendUint(buf, uint64(r.Expires/time.Second)) // validated: 1 to 604800
			buf = append(buf, s.st.secrets.tokenParam...)
			buf = append(buf, signed[0]...)
			continue
		}
		buf = append(buf, e.name...)
		buf = append(buf, '=')
		switch e.kind {
		case qEscape:
			buf = appendEscaped(buf, e.val, true)
		case qVerbatim:
			buf = append(buf, e.val...)
		case qPart:
			buf = appendUint(buf, uint64(r.PartNumber)) // validated: 1 to 10000
		}
	}
	p.query[1] = len(buf)
	buf = append(buf, '\n')
	if r.ContentMD5 != "" {
		buf = append(buf, "content-md5:"...)
		buf = append(buf, r.ContentMD5...) // validated: base64, no spaces
		buf = append(buf, '\n')
	}
	if r.ContentType != "" {
		buf = append(buf, "content-type:"...)
		buf = appendHeaderValue(buf, r.ContentType)
		buf = append(buf, '\n')
	}
	buf = append(buf, ep.hostLine...)
	buf = append(buf, signed[1]...)
	buf = append(buf, '\n')
	buf = append(buf, unsignedPayload...)
	p.canon = buf
	var canonHex [2 * sha256.Size]byte
	canonHash := sha256.Sum256(buf)
	putHex(&canonHex, &canonHash)

	// The string to sign, MACed with the derived key: HMAC-SHA256 resumed
	// from the key's pad states. The string is the algorithm, the
	// timestamp, the scope and the canonical request's hash, one line each.
	h := sha256.New()
	resume := h.(encoding.BinaryUnmarshaler)
	var mac [sha256.Size]byte
	// Its first block is fixed by the second when the part before the
	// canonical request's hash fills it (regions of 4 or more characters):
	// URLs signed in the same second resume the state after it.
	fixed := stsHead+len(k.scope) >= sha256.BlockSize
	if sc := k.second.Load(); fixed && sc != nil && sc.stamp == stamp {
		if err := resume.UnmarshalBinary(sc.state); err != nil {
			return presigned{}, invalid("Signer", "cannot resume its HMAC state", "report this bug")
		}
		var ta [2 * sha256.BlockSize]byte
		h.Write(append(append(ta[:0], k.scopeRest...), canonHex[:]...))
	} else {
		if err := resume.UnmarshalBinary(k.inner); err != nil {
			return presigned{}, invalid("Signer", "cannot resume its HMAC state", "report this bug")
		}
		var sa [160]byte
		sts := append(sa[:0], algorithm+"\n"...)
		sts = append(sts, stamp[:]...)
		sts = append(sts, '\n')
		sts = append(sts, k.scope...)
		sts = append(sts, canonHex[:]...)
		if fixed {
			h.Write(sts[:sha256.BlockSize])
			if st, err := h.(encoding.BinaryMarshaler).MarshalBinary(); err == nil {
				k.second.Store(&secondState{stamp: stamp, state: st})
			}
			h.Write(sts[sha256.BlockSize:])
		} else {
			h.Write(sts)
		}
	}
	h.Sum(mac[:0])
	if err := resume.UnmarshalBinary(k.outer); err != nil {
		return presigned{}, invalid("Signer", "cannot resume its HMAC state", "report this bug")
	}
	h.Write(mac[:])
	h.Sum(mac[:0])
	putHex(&p.sig, &mac)
	return p, nil
}

// key returns the signing key for a day and region, deriving and caching
// it on a miss.
func (s *Signer) key(day uint64, region string) *signingKey {
	st := s.st
	for i := range st.keys {
		if k := st.keys[i].Load(); k != nil && k.day == day && k.region == region {
			return k
		}
	}
	return st.derive(day, region)
}

// derive computes a signing key and caches it, evicting the slots in turn.
func (st *state) derive(day uint64, rRegion string) *signingKey {
	region := strings.Clone(rRegion) // kept: not the caller's string
	var date [8]byte
	putDate(&date, day)
	k := &signingKey{day: day, date: date, region: region,
		credential: st.secrets.credPrefix + string(date[:]) + "%2F" + region + "%2Fs3%2Faws4_request",
		scope:      string(date[:]) + "/" + region + scopeTail + "\n"}
	k.amzHead = "X-Amz-Algorithm=" + algorithm + "&X-Amz-Credential=" + k.credential + "&X-Amz-Date="
	if stsHead+len(k.scope) >= sha256.BlockSize {
		k.scopeRest = k.scope[sha256.BlockSize-stsHead:]
	}
	key := hmacSHA256(st.secrets.key, k.date[:])
	key = hmacSHA256(key, []byte(region))
	key = hmacSHA256(key, []byte("s3"))
	key = hmacSHA256(key, []byte("aws4_request"))
	var ipad, opad [sha256.BlockSize]byte
	for i := range ipad {
		ipad[i], opad[i] = 0x36, 0x5c
	}
	for i, c := range key {
		ipad[i] ^= c
		opad[i] ^= c
	}
	k.inner, k.outer = padState(ipad[:]), padState(opad[:])
	st.keys[st.next.Add(1)%uint32(len(st.keys))].Store(k)
	return k
}

// padState is the SHA-256 state after one HMAC pad block.
func padState(pad []byte) []byte {
	h := sha256.New()
	h.Write(pad)
	state, err := h.(encoding.BinaryMarshaler).MarshalBinary()
	if err != nil {
		panic("sigv4: crypto/sha256 cannot marshal its state: " + err.Error()) // not input: the library's contract
	}
	return state
}

func hmacSHA256(key, data []byte) []byte {
	h := hmac.New(sha256.New, key)
	h.Write(data)
	return h.Sum(nil)
}

// signedHost is the host header the SDK signs: Host without a default
// port (v4.SanitizeHostForHeader, including its dropping of an IPv6
// address's brackets).
func signedHost(scheme, host string) string {
	colon := strings.LastIndexByte(host, ':')
	if colon < 0 || strings.HasSuffix(host, "]") {
		return host
	}
	port := host[colon+1:]
	if !(scheme == "http" && port == "80" || scheme == "https" && port == "443") {
		return host
	}
	if strings.HasPrefix(host, "[") {
		return host[1 : colon-1]
	}
	return host[:colon]
}

// appendHeaderValue appends v as SigV4 canonicalises a header value:
// leading and trailing spaces trimmed, inner runs of spaces made one.
func appendHeaderValue(b []byte, v string) []byte {
	v = strings.Trim(v, " ")
	space := false
	for i := 0; i < len(v); i++ {
		if v[i] == ' ' {
			if space {
				continue
			}
			space = true
		} else {
			space = false
		}
		b = append(b, v[i])
	}
	return b
}

// putHex writes a SHA-256 sum in lower-case hex, four bytes at a time:
// their nibbles spread one to a byte of a uint64, then each made a digit
// ('0'+n, or 'a'+n-10 = '0'+n+39 from 10 on, where n+6 carries into the
// byte's bit 4), with no carry across bytes.
func putHex(dst *[2 * sha256.Size]byte, src *[sha256.Size]byte) {
	for i := 0; i < len(src); i += 4 {
		x := uint64(binary.BigEndian.Uint32(src[i:]))
		x = (x | x<<16) & 0x0000ffff0000ffff
		x = (x | x<<8) & 0x00ff00ff00ff00ff
		x = (x | x<<4) & 0x0f0f0f0f0f0f0f0f
		ten := (x + 0x0606060606060606) >> 4 & 0x0101010101010101
		binary.BigEndian.PutUint64(dst[2*i:], x+0x3030303030303030+ten*39)
	}
}

// appendUint appends v in decimal: strconv.AppendUint without its
// generality, for the expiry and part numbers.
func appendUint(b []byte, v uint64) []byte {
	var d [20]byte
	i := len(d)
	for {
		i--
		d[i] = byte('0' + v%10)
		v /= 10
		if v == 0 {
			break
		}
	}
	return append(b, d[i:]...)
}

// Unix seconds of 0000-01-01 and 10000-01-01 UTC: the years a timestamp
// of four digits can write.
const (
	minUnix = -62167219200
	maxUnix = 253402300800
)

// putDate writes day, counted from 0000-01-01 (and before 10000-01-01),
// as 20060102, what package time writes for that UTC day: the proleptic
// Gregorian calendar, by the days-to-civil arithmetic of H. Hinnant's
// chrono algorithms, counted from 0400 BC-03-01 (day 146097-60) so that
// every quantity is unsigned.
func putDate(b *[8]byte, day uint64) {
	z := day + 146097 - 60 // 0000 is a leap year: 31+29 days to March
	era := z / 146097
	doe := z % 146097                                      // [0, 146096]
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365 // [0, 399]
	doy := doe - (365*yoe + yoe/4 - yoe/100)               // [0, 365]
	mp := (5*doy + 2) / 153                                // [0, 11], from March
	d := doy - (153*mp+2)/5 + 1
	m := mp + 3
	if mp >= 10 {
		m = mp - 9
	}
	y := yoe + era*400 - 400
	if m <= 2 {
		y++
	}
	put2(b[0:], int(y/100))
	put2(b[2:], int(y%100))
	put2(b[4:], int(m))
	put2(b[6:], int(d))
}

// putClock writes a second of the day (0 to 86399) as the timestamp's
// T150405Z, after its date.
func putClock(b *[16]byte, sec uint64) {
	b[8] = 'T'
	put2(b[9:], int(sec/3600))
	put2(b[11:], int(sec/60%60))
	put2(b[13:], int(sec%60))
	b[15] = 'Z'
}

func put2(b []byte, v int) { b[0], b[1] = byte('0'+v/10), byte('0'+v%10) }
