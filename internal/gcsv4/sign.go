package gcsv4

import (
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"unicode"
)

// Signer signs GCS V4 URLs as one service account. It is immutable and safe
// for concurrent use. Printed or logged in any form, it shows its e-mail
// only.
type Signer struct {
	email string
	// Exactly one of key and signBytes is set. Both are pointers, so even
	// a Signer printed by reflection inside another value shows addresses,
	// never key material.
	key       *rsa.PrivateKey
	signBytes func(context.Context, []byte) ([]byte, error)
}

// New returns a Signer for the service account email with its RSA private
// key (at least 2048 bits). The key is validated and precomputed here, once,
// on a copy: the caller's key is not modified, and each Sign costs one RSA
// signature, not a key parse.
func New(email string, key *rsa.PrivateKey) (*Signer, error) {
	if err := checkEmail(email); err != nil {
		return nil, err
	}
	if key == nil || key.N == nil {
		return nil, invalid("key", "is nil", "pass the service account's parsed private key")
	}
	k := *key // shallow: Precompute only sets the copy's Precomputed field
	k.Precompute()
	if err := k.Validate(); err != nil {
		return nil, &Error{Field: "key", Kind: ErrInvalid, Problem: "is not a valid RSA private key", Fix: "pass the private_key of the service account's JSON key file", Err: err}
	}
	if k.N.BitLen() < 2048 {
		return nil, invalid("key", "is shorter than 2048 bits", "use a service account key: GCS issues 2048-bit RSA keys")
	}
	return &Signer{email: email, key: &k}, nil
}

// NewWithSignBytes returns a Signer for an identity without a private key
// at hand: sign must return the RSA-SHA256 (PKCS #1 v1.5) signature of its
// input by the account email, as IAM Credentials signBlob does. Given the
// same signature, the URL is the same as with New.
func NewWithSignBytes(email string, sign func(ctx context.Context, payload []byte) ([]byte, error)) (*Signer, error) {
	if err := checkEmail(email); err != nil {
		return nil, err
	}
	if sign == nil {
		return nil, invalid("SignBytes", "is nil", "pass a function that signs through IAM signBlob")
	}
	return &Signer{email: email, signBytes: sign}, nil
}

// checkEmail: the e-mail is the X-Goog-Credential's first part, which GCS
// splits on '/'.
func checkEmail(email string) error {
	ok := strings.Contains(email, "@")
	for _, c := range email {
		if c == '/' || unicode.IsSpace(c) || unicode.IsControl(c) || c == '\uFFFD' {
			ok = false
		}
	}
	if !ok {
		return invalid("email", "is not a service account e-mail", "pass the client_email of the service account, such as sa@project.iam.gserviceaccount.com")
	}
	return nil
}

// Email returns the service account the Signer signs as ("" for nil).
func (s *Signer) Email() string {
	if s == nil {
		return ""
	}
	return s.email
}

// Sign returns the V4 signed URL for r: for the same Request and identity,
// byte for byte what storage.SignedURL with SigningSchemeV4 returns at
// r.Time. Apart from the signing call itself (the key, or the SignBytes
// function with ctx), it is a pure function of its arguments. On error the
// URL is "" and nothing was signed.
func (s *Signer) Sign(ctx context.Context, r *Request) (string, error) {
	if s == nil || (s.key == nil && s.signBytes == nil) {
		return "", invalid("Signer", "was not made by New or NewWithSignBytes", "create it with gcsv4.New or gcsv4.NewWithSignBytes")
	}
	if r == nil {
		return "", invalid("Request", "is nil", "pass the request to sign")
	}
	p, err := r.prepare()
	if err != nil {
		return "", err
	}
	if ctx == nil {
		return "", invalid("ctx", "is nil", "pass a context, such as context.Background()")
	}
	if err := ctx.Err(); err != nil {
		return "", &Error{Field: "ctx", Kind: ErrSign, Problem: "is done", Err: err}
	}

	scope := p.day + "/auto/storage/goog4_request"
	var signed strings.Builder
	for i, h := range p.headers {
		if i > 0 {
			signed.WriteByte(';')
		}
		signed.WriteString(h.name)
	}
	params := make([]param, 0, len(reservedQuery)+len(p.userKeys))
	params = append(params,
		param{"X-Goog-Algorithm", []string{"GOOG4-RSA-SHA256"}},
		param{"X-Goog-Credential", []string{s.email + "/" + scope}},
		param{"X-Goog-Date", []string{p.date}},
		param{"X-Goog-Expires", []string{p.expires}},
		param{"X-Goog-SignedHeaders", []string{signed.String()}},
	)
	params = append(params, p.userKeys...)
	slices.SortFunc(params, func(a, b param) int { return strings.Compare(a.key, b.key) })

	// The canonical request, hashed as it is written.
	buf := make([]byte, 0, 1024)
	buf = append(buf, p.method...)
	buf = append(buf, "\n/"...)
	buf = append(buf, p.path...)
	buf = append(buf, '\n')
	buf = appendQuery(buf, params, false)
	buf = append(buf, '\n')
	for _, h := range p.headers {
		buf = append(buf, h.name...)
		buf = append(buf, ':')
		buf = append(buf, h.value...)
		buf = append(buf, '\n')
	}
	buf = append(buf, '\n')
	buf = append(buf, signed.String()...)
	buf = append(buf, '\n')
	buf = append(buf, p.payload...)
	sum := sha256.Sum256(buf)

	toSign := make([]byte, 0, 17+len(p.date)+1+len(scope)+1+64)
	toSign = append(toSign, "GOOG4-RSA-SHA256\n"...)
	toSign = append(toSign, p.date...)
	toSign = append(toSign, '\n')
	toSign = append(toSign, scope...)
	toSign = append(toSign, '\n')
	toSign = hex.AppendEncode(toSign, sum[:])

	sig, err := s.sign(ctx, toSign)
	if err != nil {
		return "", err
	}

	// The URL: the same parameters plus the signature, spaces as '+'.
	i, _ := slices.BinarySearchFunc(params, "X-Goog-Signature", func(a param, k string) int { return strings.Compare(a.key, k) })
	params = slices.Insert(params, i, param{"X-Goog-Signature", []string{hex.EncodeToString(sig)}})
	out := make([]byte, 0, len(p.scheme)+3+len(p.host)+1+len(p.path)+1+len(buf)+2*len(sig)+64)
	out = append(out, p.scheme...)
	out = append(out, "://"...)
	out = append(out, p.host...)
	out = append(out, '/')
	out = append(out, p.path...)
	out = append(out, '?')
	out = appendQuery(out, params, true)
	return string(out), nil
}

// sign returns the RSA-SHA256 signature of b. Its errors never hold b's
// signature (there is none on error) nor the key.
func (s *Signer) sign(ctx context.Context, b []byte) ([]byte, error) {
	if s.key != nil {
		sum := sha256.Sum256(b)
		sig, err := rsa.SignPKCS1v15(nil, s.key, crypto.SHA256, sum[:])
		if err != nil {
			return nil, &Error{Field: "key", Kind: ErrSign, Problem: "could not sign", Err: err}
		}
		return sig, nil
	}
	sig, err := s.signBytes(ctx, b)
	if err != nil {
		return nil, &Error{Field: "SignBytes", Kind: ErrSign, Problem: "the signing function failed", Err: err}
	}
	if len(sig) == 0 {
		return nil, &Error{Field: "SignBytes", Kind: ErrSign, Problem: "the signing function returned no signature and no error", Fix: "return the signature, or an error"}
	}
	return sig, nil
}

// appendQuery writes params as url.Values.Encode does (sorted keys, each
// value in order), with spaces as '+' (the URL) or "%20" (the canonical
// request).
func appendQuery(b []byte, params []param, spacePlus bool) []byte {
	first := true
	for _, p := range params {
		for _, v := range p.values {
			if !first {
				b = append(b, '&')
			}
			first = false
			b = appendEscape(b, p.key, spacePlus, false)
			b = append(b, '=')
			b = appendEscape(b, v, spacePlus, false)
		}
	}
	return b
}

const upperHex = "0123456789ABCDEF"

// appendEscape escapes s as url.QueryEscape does: everything but
// A-Z a-z 0-9 - _ . ~ becomes %XX, a space '+' or "%20", and '/' is kept
// if keepSlash (a path: the SDK escapes each segment).
func appendEscape(b []byte, s string, spacePlus, keepSlash bool) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~':
			b = append(b, c)
		case c == '/' && keepSlash:
			b = append(b, c)
		case c == ' ' && spacePlus:
			b = append(b, '+')
		default:
			b = append(b, '%', upperHex[c>>4], upperHex[c&15])
		}
	}
	return b
}

// String shows the Signer's e-mail and how it signs, never its key.
func (s *Signer) String() string {
	if s == nil {
		return "gcsv4.Signer(nil)"
	}
	how := "key [REDACTED]"
	if s.key == nil {
		how = "SignBytes"
	}
	return "gcsv4.Signer{" + s.email + ", " + how + "}"
}

// GoString is String, for %#v.
func (s *Signer) GoString() string { return s.String() }

// Format prints String for every verb, so that no verb or flag reaches the
// key.
func (s *Signer) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(s.String())) }

// LogValue is String, for log/slog.
func (s *Signer) LogValue() slog.Value { return slog.StringValue(s.String()) }

// MarshalText is String, for encoding/json and slog's handlers.
func (s *Signer) MarshalText() ([]byte, error) { return []byte(s.String()), nil }
