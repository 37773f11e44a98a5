package provider

import "net/http"

// Options are the settings Open (and the package's other functions) take
// beyond the address. They are exported so that code in this package and
// its callers can read the resolved settings; build them with Collect.
type Options struct {
	// DefaultRegion is the region used when the address names none and its
	// flavor allows the caller to supply it (see address.Address.ResolveRegion).
	// The operator's command passes AWS_REGION; the package itself reads no
	// environment variable.
	DefaultRegion string

	// HTTPClient carries the requests of network providers (tests, proxies).
	// nil means each SDK's default client. When it is set, provider quirks
	// such as a minimum TLS version are applied to a copy of its
	// *http.Transport; a transport of another type is used as it is.
	HTTPClient *http.Client

	// existingDir: a file:// directory must exist already (WithExistingDir).
	existingDir bool
}

// Option sets one of the Options.
type Option func(*Options)

// WithDefaultRegion sets Options.DefaultRegion: the region for addresses
// that leave it to the caller.
func WithDefaultRegion(region string) Option {
	return func(o *Options) { o.DefaultRegion = region }
}

// WithHTTPClient sets Options.HTTPClient: the HTTP client requests go
// through. nil restores the SDK defaults.
func WithHTTPClient(c *http.Client) Option {
	return func(o *Options) { o.HTTPClient = c }
}

// WithExistingDir makes Open report a file:// directory that does not
// exist, as an *Error wrapping fs.ErrNotExist, instead of creating it (with
// FileDirMode). The preflight check opens this way: a check changes nothing
// but the probe it writes and removes. Other providers ignore it.
func WithExistingDir() Option {
	return func(o *Options) { o.existingDir = true }
}

// Collect applies opts in order to zero Options and returns the result;
// nil options are skipped.
func Collect(opts ...Option) Options {
	var o Options
	for _, opt := range opts {
		if opt != nil {
			opt(&o)
		}
	}
	return o
}
