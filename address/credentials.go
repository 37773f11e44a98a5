package address

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"log/slog"
	"strings"
)

// Credentials are an address's own keys, apart from the location they open:
// so that keys can be rotated while the location stays the same, checked
// before use (ValidateCredentials), and stored apart from the location (say,
// encrypted by the server's database). The zero Credentials mean the
// server's ambient identity.
//
// Every way of printing Credentials (String, every fmt verb, log/slog,
// encoding/json) shows REDACTED for a field that is set and "" for one that
// is not, never a key: store the fields themselves where they must be kept.
type Credentials struct {
	AccessKey string // S3/CW access key id; GCS service-account e-mail; "" for Azure
	Secret    string // S3/CW secret key; GCS PEM private key; Azure account key
}

// IsZero reports whether c holds no key at all (the ambient identity).
func (c Credentials) IsZero() bool { return c.AccessKey == "" && c.Secret == "" }

// redactedOrEmpty says whether a field is set without showing it. The GCS
// e-mail is redacted too: Credentials do not know their provider, and an
// S3 access key must not show.
func redactedOrEmpty(s string) string {
	if s == "" {
		return ""
	}
	return Redacted
}

// String shows which fields are set, never their values.
func (c Credentials) String() string {
	return "{AccessKey:" + redactedOrEmpty(c.AccessKey) + " Secret:" + redactedOrEmpty(c.Secret) + "}"
}

// GoString prints the redacted form for %#v.
func (c Credentials) GoString() string {
	return fmt.Sprintf("address.Credentials{AccessKey:%q, Secret:%q}", redactedOrEmpty(c.AccessKey), redactedOrEmpty(c.Secret))
}

// Format prints the redacted form for every fmt verb.
func (c Credentials) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		fmt.Fprint(f, c.GoString())
		return
	}
	fmt.Fprint(f, c.String())
}

// LogValue makes log/slog print the redacted fields.
func (c Credentials) LogValue() slog.Value {
	return slog.GroupValue(slog.String("AccessKey", redactedOrEmpty(c.AccessKey)), slog.String("Secret", redactedOrEmpty(c.Secret)))
}

// MarshalJSON encodes the redacted fields, so Credentials in a JSON log line
// leak nothing.
func (c Credentials) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct{ AccessKey, Secret string }{redactedOrEmpty(c.AccessKey), redactedOrEmpty(c.Secret)})
}

// Credentials returns the address's own keys; zero for the ambient identity.
func (a *Address) Credentials() Credentials {
	return Credentials{AccessKey: a.AccessKey, Secret: a.Secret}
}

// WithCredentials returns a copy of the address with c as its keys and every
// other field unchanged, so the copy has the same ServiceID, BucketID and
// sub-path. Check c first with ValidateCredentials. (An s3:// address
// without an endpoint that gains keys prints its endpoint, Host(), since
// keys are written before it: Validate of such a copy names the endpoint.)
func (a *Address) WithCredentials(c Credentials) *Address {
	b := *a
	b.AccessKey, b.Secret = c.AccessKey, c.Secret
	return &b
}

// WithoutCredentials returns a copy of the address without keys: the
// location alone, safe to keep apart from its credentials.
func (a *Address) WithoutCredentials() *Address { return a.WithCredentials(Credentials{}) }

// ValidateCredentials applies Parse's rules for provider p's keys to c, so
// that new keys can be checked before they replace old ones. The zero
// Credentials (the ambient identity) are valid for every provider that has
// keys; file:// and mem:// take none. c is checked as Parse would store it:
// a GCS private key with real newlines, not "\n" escapes. Errors are
// *Error values naming the field, and quote no key.
func ValidateCredentials(p Provider, c Credentials) error {
	if c.IsZero() {
		if _, ok := schemes[string(p)]; !ok {
			return newErr(ErrScheme, FieldScheme, "unsupported provider", schemeFix)
		}
		return nil
	}
	switch p {
	case S3, CoreWeave:
		return checkS3Credentials(c.AccessKey, c.Secret)
	case GCS:
		if normalizePEM(c.Secret) != c.Secret {
			return newErr(ErrInvalid, FieldSecret, "the private key has \\n escapes or '+' for spaces",
				"decode the private key: real newlines and spaces, as Parse stores it")
		}
		return checkGCSCredentials(c.AccessKey, c.Secret)
	case Azure:
		return checkAzureCredentials(c.AccessKey, c.Secret)
	case File, Mem:
		return newErr(ErrInvalid, FieldSecret, string(p)+":// addresses take no credentials", "use the zero Credentials")
	}
	return newErr(ErrScheme, FieldScheme, "unsupported provider", schemeFix)
}

// checkS3Credentials: both keys, printable, as the SDKs take them.
func checkS3Credentials(user, pass string) error {
	if user == "" {
		return newErr(ErrMissing, FieldAccessKey, "the access key is empty", "write <accessKey>:<secretKey>@ before the endpoint")
	}
	if pass == "" {
		return newErr(ErrMissing, FieldSecret, "the secret key is empty", "write <accessKey>:<secretKey>@ before the endpoint")
	}
	if !printable(user) {
		return newErr(ErrInvalid, FieldAccessKey, "the access key contains white space or a control character", "copy the access key id exactly")
	}
	if !printable(pass) {
		return newErr(ErrInvalid, FieldSecret, "the secret key contains white space or a control character", "copy the secret key exactly")
	}
	return nil
}

// checkGCSCredentials: a service account's e-mail and its RSA private key
// in PEM (already normalised by the caller).
func checkGCSCredentials(email, key string) error {
	if !isEmail(email) {
		return newErr(ErrInvalid, FieldAccessKey, "the user part must be the service account's e-mail",
			"write gs://<name>%40<project>.iam.gserviceaccount.com:<urlEncodedPrivateKey>@<bucket>")
	}
	if key == "" {
		return newErr(ErrMissing, FieldSecret, "the private key is empty", "put the URL-encoded private key after the e-mail and ':'")
	}
	return checkPEMPrivateKey(key)
}

// checkAzureCredentials: no user name, and a base64 account key.
func checkAzureCredentials(user, key string) error {
	switch {
	case user != "":
		return newErr(ErrInvalid, FieldAccessKey, "Azure addresses have no user name before the key", "write az://:<accountKey>@<account>/<container>")
	case key == "":
		return newErr(ErrMissing, FieldSecret, "the account key is empty", "write az://:<accountKey>@<account>/<container>")
	}
	if _, err := base64.StdEncoding.DecodeString(key); err != nil {
		return newErr(ErrInvalid, FieldSecret, "the account key is not base64",
			"copy key1 or key2 from the storage account's access keys; write its '/' as %2F")
	}
	return nil
}

func isEmail(s string) bool {
	local, domain, ok := strings.Cut(s, "@")
	return ok && local != "" && strings.Contains(domain, ".") && !strings.ContainsAny(domain, "@ ") && printable(s)
}

// pemPlusFixes undoes form-encoding ('+' for space) in PEM armour lines; the
// base64 body's own '+' must stay.
var pemPlusFixes = strings.NewReplacer(
	"BEGIN+PRIVATE+KEY", "BEGIN PRIVATE KEY", "END+PRIVATE+KEY", "END PRIVATE KEY",
	"BEGIN+RSA+PRIVATE+KEY", "BEGIN RSA PRIVATE KEY", "END+RSA+PRIVATE+KEY", "END RSA PRIVATE KEY",
)

// normalizePEM accepts the private key as people paste it: with JSON-style
// "\n" escapes (private_key copied from the key file) or form-encoded.
func normalizePEM(s string) string {
	return pemPlusFixes.Replace(strings.ReplaceAll(s, `\n`, "\n"))
}

// keyFix says what to paste; it is the fix of every private-key error.
const keyFix = "copy private_key from the service account's JSON key file (an RSA key; it starts -----BEGIN PRIVATE KEY-----) and URL-encode it"

// checkPEMPrivateKey accepts an RSA private key in PEM, PKCS#8 or PKCS#1:
// service account keys are RSA, and Google's signer (RS256) takes no other,
// so any other key would pass Open and fail at first use.
func checkPEMPrivateKey(s string) error {
	notPEM := newErr(ErrInvalid, FieldSecret, "the private key is not a PEM private key", keyFix)
	block, _ := pem.Decode([]byte(s))
	if block == nil {
		return notPEM
	}
	switch block.Type {
	case "PRIVATE KEY":
		k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		if err != nil {
			return notPEM
		}
		if _, ok := k.(*rsa.PrivateKey); !ok {
			return newErr(ErrInvalid, FieldSecret, "the private key is not an RSA key (service account keys are RSA)", keyFix)
		}
		return nil
	case "RSA PRIVATE KEY":
		if _, err := x509.ParsePKCS1PrivateKey(block.Bytes); err != nil {
			return notPEM
		}
		return nil
	}
	return notPEM
}
