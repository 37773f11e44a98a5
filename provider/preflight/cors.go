package preflight

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// corsMethods are the methods browsers use on pre-signed URLs: downloads
// (GET, HEAD) and uploads (PUT).
var corsMethods = []string{"GET", "HEAD", "PUT"}

// corsRule is one CORS rule, whatever the provider's format.
type corsRule struct {
	Origins []string
	Methods []string
	Expose  []string // response headers browsers may read
	MaxAge  int      // seconds; 0 when the rule sets none
}

// evalCORS checks rules against what byob needs: for each of corsMethods,
// the first rule that allows it from origin (rules are tried in order, as
// the providers do) must expose ETag and set a max age. It returns the
// problems found, empty when the rules are complete, and a description of
// what it saw.
func evalCORS(rules []corsRule, origin string) (problems []string, saw string) {
	if len(rules) == 0 {
		return []string{"no CORS rules"}, "no CORS rules"
	}
	var missing, noETag, noMaxAge []string
	maxAges := map[int]bool{}
	for _, m := range corsMethods {
		r := firstCORSRule(rules, origin, m)
		switch {
		case r == nil:
			missing = append(missing, m)
			continue
		case !containsFold(r.Expose, "ETag") && !containsFold(r.Expose, "*"):
			noETag = append(noETag, m)
		}
		if r.MaxAge <= 0 {
			noMaxAge = append(noMaxAge, m)
		} else {
			maxAges[r.MaxAge] = true
		}
	}
	if len(missing) > 0 {
		problems = append(problems, fmt.Sprintf("%s not allowed from origin %s", strings.Join(missing, ", "), origin))
	}
	if len(noETag) > 0 {
		problems = append(problems, "ETag not exposed to "+strings.Join(noETag, ", "))
	}
	if len(noMaxAge) > 0 {
		problems = append(problems, "no max age for "+strings.Join(noMaxAge, ", "))
	}
	if len(problems) > 0 {
		return problems, fmt.Sprintf("%d CORS %s: %s", len(rules), plural(len(rules), "rule"), strings.Join(problems, "; "))
	}
	var ages []string
	for _, a := range slices.Sorted(maps.Keys(maxAges)) {
		ages = append(ages, fmt.Sprint(a))
	}
	return nil, fmt.Sprintf("GET, HEAD, PUT allowed from origin %s; ETag exposed; max age %s s", origin, strings.Join(ages, "/"))
}

// firstCORSRule returns the first rule allowing method from origin.
func firstCORSRule(rules []corsRule, origin, method string) *corsRule {
	for i := range rules {
		if containsFold(rules[i].Methods, method) && corsOriginAllowed(rules[i].Origins, origin) {
			return &rules[i]
		}
	}
	return nil
}

// corsOriginAllowed reports whether a rule's origins admit origin. The
// origin "*" (any site) is admitted only by a rule for "*"; a specific one
// also by a pattern with one '*', such as https://*.example.com.
func corsOriginAllowed(allowed []string, origin string) bool {
	for _, p := range allowed {
		p = strings.TrimSpace(p)
		switch {
		case p == "*":
			return true
		case origin == "*":
			continue
		case strings.EqualFold(p, origin):
			return true
		}
		if before, after, ok := strings.Cut(strings.ToLower(p), "*"); ok {
			o := strings.ToLower(origin)
			if len(o) >= len(before)+len(after) && strings.HasPrefix(o, before) && strings.HasSuffix(o, after) {
				return true
			}
		}
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

// corsFinding turns an evaluation into the CORS finding.
func corsFinding(problems []string, saw, fix string) Finding {
	if len(problems) == 0 {
		return okFinding(CheckCORS, saw)
	}
	return errFinding(CheckCORS, saw, fix)
}
