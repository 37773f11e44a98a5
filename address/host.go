package address

import (
	"net/netip"
	"strconv"
	"strings"
)

// This file holds the rules for endpoint host names: validating them,
// bringing them to one canonical spelling, and recognising known services.

// normEndpoint validates host[:port] and returns its canonical spelling:
// lowercase, without a trailing '.' (a fully qualified name is the same
// host), and an IPv6 address in its RFC 5952 short form, so that one
// server is spelled one way. The port is kept: which port is the default
// depends on TLS (see dropDefaultPort). Messages quote nothing: a mis-split
// address could put part of a key here.
func normEndpoint(hostport string) (string, error) {
	hostport = strings.ToLower(hostport)
	if hostport == "http:" || hostport == "https:" {
		return "", newErr(ErrSyntax, FieldEndpoint, "the endpoint must not carry a scheme",
			"write the endpoint as host[:port] and add tls=true for HTTPS")
	}
	host, port := hostport, ""
	bracketed := strings.HasPrefix(hostport, "[")
	if bracketed {
		end := strings.IndexByte(hostport, ']')
		if end < 0 {
			return "", newErr(ErrInvalid, FieldEndpoint, "the IPv6 address has no closing ']'", "write [addr]:port")
		}
		host, port = hostport[1:end], strings.TrimPrefix(hostport[end+1:], ":")
		ip, err := netip.ParseAddr(host)
		if err != nil || !strings.Contains(host, ":") {
			return "", newErr(ErrInvalid, FieldEndpoint, "the bracketed host is not an IPv6 address", "write [addr]:port")
		}
		if hostport[end+1:] != "" && !strings.HasPrefix(hostport[end+1:], ":") {
			return "", newErr(ErrInvalid, FieldEndpoint, "the endpoint has text after ']'", "write [addr]:port")
		}
		host = "[" + ip.String() + "]"
	} else if h, pt, ok := strings.Cut(hostport, ":"); ok {
		host, port = h, pt
		if port == "" {
			return "", newErr(ErrInvalid, FieldEndpoint, "the endpoint has ':' but no port", "write host:port, or remove ':'")
		}
	}
	if port != "" {
		n, err := strconv.Atoi(port)
		if err != nil || n < 1 || n > 65535 || port[0] == '0' {
			return "", newErr(ErrInvalid, FieldEndpoint, "the port must be a number from 1 to 65535",
				"write host:port; if a key contains '/', '?' or '#', percent-encode it")
		}
	}
	if !bracketed {
		host = strings.TrimSuffix(host, ".")
		if host == "" {
			return "", newErr(ErrMissing, FieldEndpoint, "the endpoint is empty", "write <accessKey>:<secretKey>@<host[:port]>/<bucket>")
		}
		for _, label := range strings.Split(host, ".") {
			if label == "" || len(label) > 63 {
				return "", newErr(ErrInvalid, FieldEndpoint, "the host name has an empty or over-long label", "write a host name such as minio.example.com")
			}
			for i := 0; i < len(label); i++ {
				c := label[i]
				if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
					return "", newErr(ErrInvalid, FieldEndpoint, "the host name may contain only letters, digits, '-', '_' and '.'",
						"write a host name such as minio.example.com; if a key contains '/', '?' or '#', percent-encode it")
				}
			}
		}
	}
	if port != "" {
		return host + ":" + port, nil
	}
	return host, nil
}

// defaultPort is the port a URL of that scheme means when it names none.
func defaultPort(tls bool) string {
	if tls {
		return "443"
	}
	return "80"
}

// dropDefaultPort removes ":80" from a plain-HTTP endpoint and ":443" from
// an HTTPS one: "host" and "host:443" over HTTPS are one server.
func dropDefaultPort(hostport string, tls bool) string {
	return strings.TrimSuffix(hostport, ":"+defaultPort(tls))
}

// canonicalHostport is the canonical spelling of an endpoint that may have
// been set by hand, without an error: what normEndpoint and dropDefaultPort
// make of it, or else its lowercase form.
func canonicalHostport(hostport string, tls bool) string {
	if h, err := normEndpoint(hostport); err == nil {
		hostport = h
	} else {
		hostport = strings.ToLower(hostport)
	}
	return dropDefaultPort(hostport, tls)
}

// bareHost returns the host of host[:port], without brackets' content
// changed, the port, or a trailing '.'. It does not allocate.
func bareHost(hostport string) string {
	if strings.HasPrefix(hostport, "[") {
		if end := strings.IndexByte(hostport, ']'); end > 0 {
			return hostport[:end+1]
		}
		return hostport
	}
	if h, _, ok := strings.Cut(hostport, ":"); ok {
		hostport = h
	}
	return strings.TrimSuffix(hostport, ".")
}

// inDomain reports whether host is domain or a name below it, ignoring case.
func inDomain(host, domain string) bool {
	if len(host) < len(domain) || !strings.EqualFold(host[len(host)-len(domain):], domain) {
		return false
	}
	return len(host) == len(domain) || host[len(host)-len(domain)-1] == '.'
}

// isEndpointHost reports whether a credential-less s3:// host is an endpoint
// rather than a bucket: it has a port, is an IP address, or belongs to a
// known service.
func isEndpointHost(host string) bool {
	if strings.Contains(host, ":") || isLoopbackOrIP(host) {
		return true
	}
	for _, e := range endpointFlavors {
		if inDomain(bareHost(host), e.suffix) {
			return true
		}
	}
	return false
}

// cutCoreWeaveBucket splits "<bucket>.cwobject.com[:port]" (the
// documentation's short form) into bucket and endpoint.
func cutCoreWeaveBucket(hostport string) (bucket, endpoint string, ok bool) {
	host, port := hostport, ""
	if i := strings.IndexByte(hostport, ':'); i >= 0 {
		host, port = hostport[:i], hostport[i:]
	}
	for _, ep := range []string{"cwobject.com", "cwlota.com"} {
		if b, found := strings.CutSuffix(host, "."+ep); found && b != "" && !strings.Contains(b, ".") {
			return b, ep + port, true
		}
	}
	return "", "", false
}

func isLoopbackOrIP(hostport string) bool {
	host := hostport
	if strings.HasPrefix(host, "[") {
		if end := strings.IndexByte(host, ']'); end > 0 {
			host = host[1:end]
		}
	} else if h, _, ok := strings.Cut(host, ":"); ok {
		host = h
	}
	if strings.EqualFold(strings.TrimSuffix(host, "."), "localhost") {
		return true
	}
	_, err := netip.ParseAddr(host)
	return err == nil
}

// awsEndpointRegion derives the region from an AWS endpoint's name:
// s3.<r>.amazonaws.com, s3-<r>.amazonaws.com, s3.dualstack.<r>.amazonaws.com.
// The global s3.amazonaws.com names none.
func awsEndpointRegion(host string) string {
	host = bareHost(host)
	h, ok := strings.CutSuffix(host, ".amazonaws.com")
	if !ok {
		if h, ok = strings.CutSuffix(host, ".amazonaws.com.cn"); !ok {
			return ""
		}
	}
	labels := strings.Split(h, ".")
	var r string
	switch {
	case len(labels) >= 2 && (labels[0] == "s3" || labels[0] == "s3-fips"):
		r = labels[len(labels)-1]
	case len(labels) == 1 && strings.HasPrefix(labels[0], "s3-"):
		r = labels[0][3:]
	}
	if checkAWSRegion(r) != nil {
		return ""
	}
	return r
}
