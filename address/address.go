package address

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
)

// Provider is an address's scheme.
type Provider string

// The providers.
const (
	S3        Provider = "s3" // AWS S3 and S3-compatible stores
	CoreWeave Provider = "cw" // CoreWeave AI Object Storage
	GCS       Provider = "gs" // Google Cloud Storage
	Azure     Provider = "az" // Azure Blob Storage
	File      Provider = "file"
	Mem       Provider = "mem"
)

// Redacted replaces every secret in printed addresses.
const Redacted = "REDACTED"

// Address is a parsed bucket address. Its fields are plain data: build one
// by hand or with Parse, print it with String (redacted) or URL (with secrets).
type Address struct {
	Provider  Provider
	Endpoint  string // host[:port], as Parse spells it (see Validate); "" means the provider's default endpoint
	Bucket    string // bucket; Azure: container; file: the absolute directory
	Account   string // Azure storage account; "" otherwise
	Path      string // sub-path inside the bucket, no leading or trailing '/'
	Region    string
	TLS       bool   // true when requests go over HTTPS
	AccessKey string // S3/CW access key id; GCS service-account e-mail
	Secret    string // S3/CW secret key; GCS PEM private key; Azure account key
}

// Flavor returns the kind of service the address points at.
func (a *Address) Flavor() Flavor {
	switch a.Provider {
	case CoreWeave:
		if a.Endpoint == "" {
			// A bare cw:// (a supported-stores entry) names CoreWeave's
			// own service, not AWS's.
			return FlavorCoreWeave
		}
		return s3Flavor(a.Endpoint)
	case S3:
		return s3Flavor(a.Endpoint)
	case GCS:
		return FlavorGCS
	case Azure:
		return FlavorAzure
	case File:
		return FlavorFile
	case Mem:
		return FlavorMem
	}
	return ""
}

// Style returns the addressing style requests use. Azure emulators, reached
// by IP address or localhost, put the account in the path.
func (a *Address) Style() Style {
	f := a.Flavor()
	if f == FlavorAzure && a.Endpoint != "" && isLoopbackOrIP(a.Endpoint) {
		return StylePath
	}
	return f.rules().Style
}

// HasCredentials reports whether the address carries its own credentials;
// without them the server's ambient identity is used.
func (a *Address) HasCredentials() bool { return a.AccessKey != "" || a.Secret != "" }

// IsBare reports whether the address is a bare scheme such as "cw://", which
// in a supported-stores list allows any bucket of that provider.
func (a *Address) IsBare() bool {
	return a.Bucket == "" && a.Endpoint == "" && a.Account == "" && !a.HasCredentials()
}

// Host returns the endpoint host[:port] requests go to, the provider default
// when the address names none ("" for file and mem).
func (a *Address) Host() string {
	if a.Endpoint != "" {
		return a.Endpoint
	}
	f := a.Flavor()
	switch {
	case f == FlavorAWS && a.Region != "":
		return "s3." + a.Region + ".amazonaws.com"
	case f == FlavorAzure:
		return a.Account + "." + f.rules().DefaultHost
	}
	return f.rules().DefaultHost
}

// EndpointURL returns the base URL of the service, with scheme: the URL an
// SDK is pointed at (for Azure, the account's service URL).
func (a *Address) EndpointURL() string {
	switch a.Provider {
	case File:
		return "file://" + a.Bucket
	case Mem:
		return "mem://" + a.Bucket
	}
	u := a.scheme() + "://" + a.Host()
	if a.Provider == Azure && a.Style() == StylePath {
		u += "/" + a.Account
	}
	return u
}

func (a *Address) scheme() string {
	if a.TLS {
		return "https"
	}
	return "http"
}

// ResolveRegion returns the region requests are signed for: the address's
// own, or else fallback where the flavor allows the caller to supply it
// (the operator's command passes AWS_REGION). It fails with an *Error of
// kind ErrMissing naming the fix when neither is known.
func (a *Address) ResolveRegion(fallback string) (string, error) {
	if a.Region != "" {
		return a.Region, nil
	}
	switch a.Flavor().rules().Region {
	case RegionNone:
		return "", nil
	case RegionOrCaller, RegionWithCredentials:
		if fallback != "" {
			return fallback, nil
		}
	}
	return "", newErr(ErrMissing, FieldRegion, "no region is known for this bucket",
		"add ?region=<bucket's region> to the address, or set AWS_REGION for the server")
}

// String returns the canonical address with every secret replaced by
// REDACTED. It is safe to log.
func (a Address) String() string { return a.format(true) }

// URL returns the canonical address with its secrets, percent-encoded:
// Parse(a.URL()) yields an Address equal to *a for every parsed address.
func (a *Address) URL() string { return a.format(false) }

// GoString prints the redacted form for %#v, so no verb leaks a secret.
func (a Address) GoString() string { return "address.Address(" + a.format(true) + ")" }

// Format prints the redacted form for every fmt verb.
func (a Address) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		fmt.Fprint(f, a.GoString())
		return
	}
	fmt.Fprint(f, a.format(true))
}

// LogValue makes log/slog print the redacted form.
func (a Address) LogValue() slog.Value { return slog.StringValue(a.format(true)) }

// MarshalJSON encodes the redacted form, so an Address in a JSON log line
// leaks nothing. Store a.URL() where the secret must be kept.
func (a Address) MarshalJSON() ([]byte, error) { return json.Marshal(a.format(true)) }

func (a *Address) format(redact bool) string {
	var b strings.Builder
	b.WriteString(string(a.Provider))
	b.WriteString("://")
	if a.IsBare() {
		return b.String()
	}
	switch a.Provider {
	case File:
		b.WriteString(escapeDir(a.Bucket))
		return b.String()
	case Mem:
		b.WriteString(escapeSegment(a.Bucket))
		a.writePath(&b)
		return b.String()
	}
	if a.HasCredentials() {
		user, secret := a.AccessKey, a.Secret
		if redact {
			if user != "" && a.Provider != GCS { // an e-mail is no secret
				user = Redacted
			}
			if secret != "" {
				secret = Redacted
			}
		}
		b.WriteString(escapeUserinfo(user))
		b.WriteByte(':')
		b.WriteString(escapeUserinfo(secret))
		b.WriteByte('@')
	}
	switch a.Provider {
	case S3, CoreWeave:
		if a.Endpoint == "" {
			if a.HasCredentials() {
				b.WriteString(a.Host())
				b.WriteByte('/')
			}
		} else {
			b.WriteString(a.Endpoint)
			if !a.HasCredentials() && !isEndpointHost(a.Endpoint) {
				// s3://minio.example/bkt would read as AWS's bucket
				// "minio.example": the port says it is an endpoint.
				b.WriteByte(':')
				b.WriteString(defaultPort(a.TLS))
			}
			b.WriteByte('/')
		}
		b.WriteString(a.Bucket)
	case GCS:
		b.WriteString(a.Bucket)
	case Azure:
		b.WriteString(a.Account)
		b.WriteByte('/')
		b.WriteString(a.Bucket)
	}
	a.writePath(&b)
	a.writeQuery(&b)
	return b.String()
}

func (a *Address) writePath(b *strings.Builder) {
	if a.Path != "" {
		b.WriteByte('/')
		b.WriteString(escapePath(a.Path))
	}
}

func (a *Address) writeQuery(b *strings.Builder) {
	var q []string
	rules := a.Flavor().rules()
	if a.Region != "" {
		q = append(q, "region="+escapeQuery(a.Region))
	}
	switch rules.TLS {
	case TLSOptIn, TLSRequired:
		if a.TLS {
			q = append(q, "tls=true")
		}
	}
	if rules.EndpointParam && a.Endpoint != "" {
		q = append(q, "endpoint="+escapeQuery(a.scheme()+"://"+a.Endpoint))
	}
	if len(q) > 0 {
		b.WriteByte('?')
		b.WriteString(strings.Join(q, "&"))
	}
}
