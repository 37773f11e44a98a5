package preflight

import (
	"fmt"
	"maps"
	"net/textproto"
	"slices"
	"strings"

	"github.com/byobkit/byob/address"
)

// What browsers send with byob's pre-signed URLs, and so what a bucket's
// CORS rules must allow.
//
// GET and HEAD URLs carry everything in their query (signature, X-User or
// scid, response overrides): they are simple requests, with no preflight,
// and need no request header allowed. A PUT is never simple: the browser
// first sends a preflight (OPTIONS) naming the method and the headers it
// will send, content-type and content-md5, which byob binds, plus the
// flavor's address.Rules.PutHeaders (Azure's x-ms-blob-type). The server
// answers it from ONE rule, the first whose origins, methods and allowed
// headers all match (S3, versitygw, Azurite and GCS alike): two rules that
// together allow every header, but neither alone, fail.
//
// POST is not needed by default. Multipart create and complete are POSTs
// on S3 and GCS (Azure's Put Block and Put Block List are PUTs), but the
// clients that run multipart uploads are SDKs, which CORS does not concern,
// and the product's documented policy allows GET, HEAD and PUT only.
// Options.BrowserMultipart adds POST, with content-type, where the
// provider uses it.

// corsNeed is one request byob's URLs make a browser send.
type corsNeed struct {
	Method  string
	Headers []string // request headers, lower case, in the order they are named
	ETag    bool     // the browser reads the response's ETag
}

// preflighted reports whether a browser sends a preflight before the
// request: a method other than GET, HEAD and POST, or a request header
// outside the CORS-safelisted ones, does.
func (n corsNeed) preflighted() bool {
	return len(n.Headers) > 0 || (n.Method != "GET" && n.Method != "HEAD" && n.Method != "POST")
}

// boundHeaders are the headers byob's presigned PUTs carry on every
// provider: it binds both to the signature where the provider can.
var boundHeaders = []string{"content-type", "content-md5"}

// corsNeeds lists what a browser sends to the flavor's bucket with byob's
// URLs; multipart adds the provider's multipart create and complete.
func corsNeeds(f address.Flavor, d corsDialect, multipart bool) []corsNeed {
	put := slices.Clone(boundHeaders)
	for _, h := range f.Rules().PutHeaders {
		if name := strings.ToLower(h.Name); !slices.Contains(put, name) {
			put = append(put, name)
		}
	}
	needs := []corsNeed{
		{Method: "GET", ETag: true},
		{Method: "HEAD", ETag: true},
		{Method: "PUT", Headers: put, ETag: true},
	}
	if multipart && d.multipartMethod != "" {
		// Create sends the object's content type; Complete's XML body
		// answers with the ETag, so no header needs exposing.
		needs = append(needs, corsNeed{Method: d.multipartMethod, Headers: []string{"content-type"}})
	}
	return needs
}

// wildcard is how a CORS list entry may match more than one value.
type wildcard int

const (
	wildNone   wildcard = iota // names only; '*' is an ordinary character
	wildAll                    // "*" alone matches anything; other entries are names
	wildPrefix                 // "*" alone, or a trailing '*' for a prefix: x-ms-meta-*
	wildOne                    // one '*' anywhere: *, x-amz-*, https://*.example.com
)

// corsDialect is how one provider matches a request against its CORS
// rules. The providers differ in small ways, so the differences are data,
// one row each in corsDialects, not branches.
type corsDialect struct {
	// headersField names the rule field that lists the request headers a
	// preflight may ask for, as the provider's documents call it.
	headersField string
	headers      wildcard // how headersField's entries match
	origins      wildcard // how the rule's origins match
	// anyMethod: "*" among the methods means any method (GCS).
	anyMethod bool
	// methodsFold: methods compare case-insensitively (Azurite answers a
	// preflight for PUT from a rule for "put"). Elsewhere they compare
	// exactly, as HTTP methods are case-sensitive: S3 and versitygw
	// refuse a rule with "put", and GCS documents no folding.
	methodsFold bool
	// multipartMethod is the method of multipart create and complete; ""
	// when multipart uploads use PUT only.
	multipartMethod string
}

// corsDialects holds each provider's CORS matching, from its
// documentation and from what the local servers do:
//   - S3 (AWS, S3-compatible, CoreWeave): AllowedHeader entries are
//     matched case-insensitively and may hold one '*' (x-amz-*); so may
//     AllowedOrigin. versitygw matches the same way.
//   - Azure: AllowedHeaders are names or prefixes ending in '*'; origins
//     are exact, or "*". Azurite matches the same way.
//   - GCS has no separate allowed-headers field: responseHeader lists the
//     headers a preflight may ask for as well as those exposed (a
//     preflight fails until Content-Type is in it). "*" is documented for
//     origin and method only, so responseHeader entries count as names:
//     an unproven wildcard would pass a bucket browsers then fail on.
var corsDialects = map[address.Provider]corsDialect{
	address.S3:        {headersField: "AllowedHeaders", headers: wildOne, origins: wildOne, multipartMethod: "POST"},
	address.CoreWeave: {headersField: "AllowedHeaders", headers: wildOne, origins: wildOne, multipartMethod: "POST"},
	address.Azure:     {headersField: "AllowedHeaders", headers: wildPrefix, origins: wildAll, methodsFold: true},
	address.GCS:       {headersField: "responseHeader", headers: wildNone, origins: wildAll, anyMethod: true, multipartMethod: "POST"},
}

// corsRule is one CORS rule, whatever the provider's format.
type corsRule struct {
	Origins []string
	Methods []string
	Headers []string // request headers a preflight may ask for
	Expose  []string // response headers browsers may read
	MaxAge  int      // seconds; 0 when the rule sets none
}

// corsProblem is one way the rules fall short; severe ones break browser
// access (an error), the others only cost requests (a warning).
type corsProblem struct {
	text   string
	severe bool
}

// evalCORS checks rules against needs as the provider would answer a
// browser from origin. For each need:
//   - some rule must allow its method from origin (else the method is
//     missing);
//   - a preflighted one must be allowed, headers included, by ONE rule,
//     the first that matches; the finding names each header missing;
//   - the first rule allowing the method from origin is the one that
//     answers the request itself, so it must expose ETag where the browser
//     reads it;
//   - the rule that answers the preflight should set a max age, or every
//     upload costs a preflight (a warning, not an error).
//
// It returns the problems found, none when the rules are complete, and a
// description of what it saw.
func evalCORS(rules []corsRule, origin string, needs []corsNeed, d corsDialect) (problems []corsProblem, saw string) {
	if len(rules) == 0 {
		return []corsProblem{{"no CORS rules", true}}, "no CORS rules"
	}
	var missing, noETag, noMaxAge, headerProblems []string
	maxAges := map[int]bool{}
	for _, n := range needs {
		actual := firstCORSRule(rules, origin, n.Method, nil, d)
		if actual < 0 {
			missing = append(missing, n.Method)
			continue
		}
		if n.ETag && !containsFold(rules[actual].Expose, "ETag") && !containsFold(rules[actual].Expose, "*") {
			noETag = append(noETag, n.Method)
		}
		if !n.preflighted() {
			continue
		}
		pre := firstCORSRule(rules, origin, n.Method, n.Headers, d)
		if pre < 0 {
			headerProblems = append(headerProblems, corsHeaderProblem(rules, origin, n, d))
			continue
		}
		if rules[pre].MaxAge <= 0 {
			noMaxAge = append(noMaxAge, n.Method)
		} else {
			maxAges[rules[pre].MaxAge] = true
		}
	}
	if len(missing) > 0 {
		problems = append(problems, corsProblem{fmt.Sprintf("%s not allowed from origin %s", strings.Join(missing, ", "), origin), true})
	}
	for _, p := range headerProblems {
		problems = append(problems, corsProblem{p, true})
	}
	if len(noETag) > 0 {
		problems = append(problems, corsProblem{"ETag not exposed to " + strings.Join(noETag, ", "), true})
	}
	if len(noMaxAge) > 0 {
		problems = append(problems, corsProblem{"no max age for " + strings.Join(noMaxAge, ", ") + ": every such request costs a preflight", false})
	}
	if len(problems) > 0 {
		texts := make([]string, len(problems))
		for i, p := range problems {
			texts[i] = p.text
		}
		return problems, fmt.Sprintf("%d CORS %s: %s", len(rules), plural(len(rules), "rule"), strings.Join(texts, "; "))
	}
	var methods, withHeaders, ages []string
	for _, n := range needs {
		methods = append(methods, n.Method)
		if len(n.Headers) > 0 {
			withHeaders = append(withHeaders, n.Method+" with "+strings.Join(n.Headers, ", "))
		}
	}
	for _, a := range slices.Sorted(maps.Keys(maxAges)) {
		ages = append(ages, fmt.Sprint(a))
	}
	s := fmt.Sprintf("%s allowed from origin %s", strings.Join(methods, ", "), origin)
	if len(withHeaders) > 0 {
		s += " (" + strings.Join(withHeaders, "; ") + ")"
	}
	s += "; ETag exposed"
	if len(ages) > 0 {
		s += "; max age " + strings.Join(ages, "/") + " s"
	}
	return nil, s
}

// corsHeaderProblem says why no single rule answers n's preflight although
// some allow its method: which headers each such rule lacks.
func corsHeaderProblem(rules []corsRule, origin string, n corsNeed, d corsDialect) string {
	type lack struct {
		rule    int
		headers []string
	}
	var lacks []lack
	for i, r := range rules {
		if !r.allows(origin, n.Method, nil, d) {
			continue
		}
		var l []string
		for _, h := range n.Headers {
			if !headerAllowed(r.Headers, h, d.headers) {
				l = append(l, h)
			}
		}
		lacks = append(lacks, lack{i, l})
	}
	head := n.Method + " from origin " + origin + ": "
	if len(lacks) == 1 {
		return head + d.headersField + " lacks " + strings.Join(lacks[0].headers, ", ")
	}
	parts := make([]string, len(lacks))
	for i, l := range lacks {
		parts[i] = fmt.Sprintf("rule #%d lacks %s", l.rule+1, strings.Join(l.headers, ", "))
	}
	return head + "no one rule's " + d.headersField + " covers " + strings.Join(n.Headers, ", ") +
		" (" + strings.Join(parts, "; ") + "), and a preflight is matched against one rule"
}

// firstCORSRule returns the index of the first rule allowing method from
// origin with every one of headers, -1 when none does.
func firstCORSRule(rules []corsRule, origin, method string, headers []string, d corsDialect) int {
	for i := range rules {
		if rules[i].allows(origin, method, headers, d) {
			return i
		}
	}
	return -1
}

// allows reports whether the rule admits a request from origin with
// method and every one of headers, as the provider matches it.
func (r corsRule) allows(origin, method string, headers []string, d corsDialect) bool {
	if !methodAllowed(r.Methods, method, d) || !corsOriginAllowed(r.Origins, origin, d.origins) {
		return false
	}
	for _, h := range headers {
		if !headerAllowed(r.Headers, h, d.headers) {
			return false
		}
	}
	return true
}

// methodAllowed reports whether a rule's methods include method, which
// browsers send upper case.
func methodAllowed(allowed []string, method string, d corsDialect) bool {
	for _, m := range allowed {
		m = strings.TrimSpace(m)
		if m == method || (d.anyMethod && m == "*") || (d.methodsFold && strings.EqualFold(m, method)) {
			return true
		}
	}
	return false
}

// headerAllowed reports whether an allowed-headers list covers the request
// header h (lower case); header names compare case-insensitively.
func headerAllowed(allowed []string, h string, w wildcard) bool {
	for _, p := range allowed {
		if wildcardMatch(strings.ToLower(strings.TrimSpace(p)), h, w) {
			return true
		}
	}
	return false
}

// corsOriginAllowed reports whether a rule's origins admit origin. byob's
// origin "*" (any site) is admitted only by a rule for "*"; a specific one
// also by a pattern, where the provider has them.
func corsOriginAllowed(allowed []string, origin string, w wildcard) bool {
	o := strings.ToLower(origin)
	for _, p := range allowed {
		p = strings.ToLower(strings.TrimSpace(p))
		switch {
		case p == "*":
			return true
		case origin == "*":
			continue
		case wildcardMatch(p, o, w):
			return true
		}
	}
	return false
}

// wildcardMatch matches the lower-case entry p against s.
func wildcardMatch(p, s string, w wildcard) bool {
	if p == s {
		return true
	}
	switch w {
	case wildAll:
		return p == "*"
	case wildPrefix:
		prefix, ok := strings.CutSuffix(p, "*")
		return ok && strings.HasPrefix(s, prefix)
	case wildOne:
		before, after, ok := strings.Cut(p, "*")
		return ok && !strings.Contains(after, "*") && len(s) >= len(before)+len(after) &&
			strings.HasPrefix(s, before) && strings.HasSuffix(s, after)
	}
	return false
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(strings.TrimSpace(x), s) {
			return true
		}
	}
	return false
}

// splitList splits Azure's comma-separated CORS fields.
func splitList(s string) []string {
	var out []string
	for _, x := range strings.Split(s, ",") {
		if x = strings.TrimSpace(x); x != "" {
			out = append(out, x)
		}
	}
	return out
}

// corsNeeds returns what browsers send to the checked bucket with byob's
// URLs, and how its provider matches CORS rules.
func (run *checkRun) corsNeeds() ([]corsNeed, corsDialect) {
	d := corsDialects[run.a.Provider]
	return corsNeeds(run.a.Flavor(), d, run.opts.BrowserMultipart), d
}

// corsMethods lists the methods of needs, for the fixes.
func corsMethods(needs []corsNeed) []string {
	out := make([]string, len(needs))
	for i, n := range needs {
		out[i] = n.Method
	}
	return out
}

// corsHeaderNames lists every request header of needs once, spelled as
// the HTTP specifications do (Content-MD5), for the fixes that must name
// them (GCS).
func corsHeaderNames(needs []corsNeed) []string {
	var out []string
	for _, n := range needs {
		for _, h := range n.Headers {
			name := textproto.CanonicalMIMEHeaderKey(h)
			if h == "content-md5" {
				name = "Content-MD5"
			}
			if !slices.Contains(out, name) {
				out = append(out, name)
			}
		}
	}
	return out
}

// corsFinding turns an evaluation into the CORS finding: an error when a
// problem breaks browser access, a warning when one only costs requests.
func corsFinding(problems []corsProblem, saw, fix string) Finding {
	if len(problems) == 0 {
		return okFinding(CheckCORS, saw)
	}
	for _, p := range problems {
		if p.severe {
			return errFinding(CheckCORS, saw, fix)
		}
	}
	return warnFinding(CheckCORS, saw, fix)
}
