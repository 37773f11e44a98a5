package provider

import (
	"crypto/tls"
	"net/http"
)

// withMinTLS returns c, or, when min is set, a copy of c whose transport
// offers no TLS version below min. A nil c stands for a client on
// http.DefaultTransport. A transport that is not an *http.Transport cannot
// be adjusted and is used as it is (the server still enforces its minimum).
func withMinTLS(c *http.Client, min uint16) *http.Client {
	if min == 0 {
		return c
	}
	if c == nil {
		c = &http.Client{}
	}
	rt := c.Transport
	if rt == nil {
		rt = http.DefaultTransport
	}
	t, ok := rt.(*http.Transport)
	if !ok {
		return c
	}
	t = t.Clone()
	raiseMinTLS(t, min)
	cc := *c
	cc.Transport = t
	return &cc
}

// raiseMinTLS raises t's minimum TLS version to min; it never lowers it.
func raiseMinTLS(t *http.Transport, min uint16) {
	if t.TLSClientConfig == nil {
		t.TLSClientConfig = &tls.Config{}
	}
	if t.TLSClientConfig.MinVersion < min {
		t.TLSClientConfig.MinVersion = min
	}
}
