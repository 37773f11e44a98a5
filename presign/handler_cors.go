package presign

import (
	"net/http"
	"net/url"
	"strings"
)

// The documented bucket CORS policy, as the Handler applies it: the
// methods byob's URLs use (POST and DELETE for multipart), the request
// headers they bind (and Range, for partial reads), ETag exposed so that a
// multipart client can read each part's, and the preflight cached 3000 s.
const (
	corsAllowMethods  = "GET, HEAD, PUT, POST, DELETE"
	corsExposeHeaders = "ETag"
	corsMaxAge        = "3000"
)

var (
	corsMethods = map[string]bool{http.MethodGet: true, http.MethodHead: true, http.MethodPut: true,
		http.MethodPost: true, http.MethodDelete: true}
	corsHeaders = map[string]bool{"content-type": true, "content-md5": true, "range": true}
)

// corsPolicy is the set of origins allowed.
type corsPolicy struct {
	any     bool
	origins map[string]bool // lower case, scheme://host[:port]
}

// newCORSPolicy checks the configured origins; nil means "*".
func newCORSPolicy(origins []string) (corsPolicy, error) {
	if origins == nil {
		return corsPolicy{any: true}, nil
	}
	p := corsPolicy{origins: map[string]bool{}}
	for _, o := range origins {
		if o == "*" {
			p.any = true
			continue
		}
		u, err := url.Parse(o)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil ||
			(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
			return corsPolicy{}, &Error{Op: "new handler", Field: "CORSOrigins", Kind: ErrLocalConfig,
				Problem: "origin " + quoteShort(o) + " is not \"*\" or scheme://host[:port]",
				Fix:     "write origins as browsers send them, e.g. https://app.example.com or http://127.0.0.1:3000"}
		}
		p.origins[strings.ToLower(u.Scheme+"://"+u.Host)] = true
	}
	return p, nil
}

func (p *corsPolicy) allows(origin string) bool {
	return p.any || p.origins[strings.ToLower(origin)]
}

// annotateCORS adds the CORS response headers to a request from an allowed
// origin, the refusals included, so that a browser can read why. Other
// origins get none, and the browser hides the response.
func (h *Handler) annotateCORS(w http.ResponseWriter, r *http.Request) {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return
	}
	hd := w.Header()
	if !h.cors.any {
		hd.Add("Vary", "Origin")
	}
	if !h.cors.allows(origin) {
		return
	}
	h.allowOrigin(w, origin)
	hd.Set("Access-Control-Expose-Headers", corsExposeHeaders)
}

func (h *Handler) allowOrigin(w http.ResponseWriter, origin string) {
	if h.cors.any {
		w.Header().Set("Access-Control-Allow-Origin", "*")
	} else {
		w.Header().Set("Access-Control-Allow-Origin", origin)
	}
}

// preflight answers an OPTIONS request: 200 with the policy when the
// origin, the method and every requested header are allowed, else 403
// without CORS headers. Preflights carry no signature: they only say what
// the real request may send.
func (h *Handler) preflight(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Vary", "Origin, Access-Control-Request-Method, Access-Control-Request-Headers")
	origin, method := r.Header.Get("Origin"), r.Header.Get("Access-Control-Request-Method")
	if origin == "" || method == "" {
		h.fail(w, r, refuse(http.StatusBadRequest, "InvalidRequest", "OPTIONS is a CORS preflight: send Origin and Access-Control-Request-Method"))
		return
	}
	if !h.cors.allows(origin) {
		h.fail(w, r, refuse(http.StatusForbidden, "AccessForbidden", "CORS: this origin is not allowed"))
		return
	}
	if !corsMethods[method] {
		h.fail(w, r, refuse(http.StatusForbidden, "AccessForbidden", "CORS: method "+quoteShort(method)+" is not allowed"))
		return
	}
	var asked []string
	for _, v := range r.Header.Values("Access-Control-Request-Headers") {
		for name := range strings.SplitSeq(v, ",") {
			name = strings.ToLower(strings.TrimSpace(name))
			if name == "" {
				continue
			}
			if !corsHeaders[name] {
				h.fail(w, r, refuse(http.StatusForbidden, "AccessForbidden", "CORS: request header "+quoteShort(name)+" is not allowed"))
				return
			}
			asked = append(asked, name)
		}
	}
	h.allowOrigin(w, origin)
	hd := w.Header()
	hd.Set("Access-Control-Allow-Methods", corsAllowMethods)
	if len(asked) > 0 {
		hd.Set("Access-Control-Allow-Headers", strings.Join(asked, ", "))
	}
	hd.Set("Access-Control-Expose-Headers", corsExposeHeaders)
	hd.Set("Access-Control-Max-Age", corsMaxAge)
	w.WriteHeader(http.StatusOK)
}
