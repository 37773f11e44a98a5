package provider

import (
	"cmp"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/byobkit/byob/address"
)

// minSecretLen is the shortest secret scrub replaces literally: shorter
// strings would also match ordinary words in SDK messages. Real access keys,
// secret keys, account keys and private keys are far longer.
const minSecretLen = 6

// scrubRules remove what can leak a credential from an SDK's error text,
// whatever the address: private-key blocks, URL query strings (pre-signed
// URLs carry their signature and credential there), signature parameters
// outside URLs, Authorization headers and the request signature Azure quotes
// back in AuthenticationFailed.
var scrubRules = []struct {
	re   *regexp.Regexp
	repl string
}{
	{regexp.MustCompile(`-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(-----END [A-Z ]*PRIVATE KEY-----|$)`), address.Redacted},
	{regexp.MustCompile(`((?:https?|wss?)://[^\s"'<>?]*)\?[^\s"'<>]*`), "${1}?" + address.Redacted},
	{regexp.MustCompile(`(?i)\b(x-amz-signature|x-amz-credential|x-amz-security-token|x-goog-signature|x-goog-credential|awsaccesskeyid|signature|sig)=[^&\s"'<>]*`), "${1}=" + address.Redacted},
	{regexp.MustCompile(`(?i)(authorization:\s*)[^\r\n]*`), "${1}" + address.Redacted},
	{regexp.MustCompile(`(?i)(signature found in the HTTP request ')[^']*'`), "${1}" + address.Redacted + "'"},
}

// scrub returns msg without the given secrets (in their raw and
// percent-encoded forms) and without anything scrubRules match, on one
// line: Azure's errors span many, with rules of dashes between sections.
func scrub(msg string, secrets []string) string {
	for _, s := range secrets {
		msg = strings.ReplaceAll(msg, s, address.Redacted)
	}
	for _, r := range scrubRules {
		msg = r.re.ReplaceAllString(msg, r.repl)
	}
	msg = ruleLine.ReplaceAllString(msg, "; ")
	return strings.TrimSuffix(strings.Join(strings.Fields(msg), " "), ";")
}

// ruleLine is a line of dashes with the line breaks around it.
var ruleLine = regexp.MustCompile(`\s*\n-{8,}\n\s*`)

// secretsOf lists a's secrets as they may appear in an SDK's message: raw,
// query-escaped and path-escaped, and each line of a PEM key's body. The
// GCS service-account e-mail is an identity, not a secret.
func secretsOf(a *address.Address) []string {
	var raw []string
	if a.Secret != "" {
		raw = append(raw, a.Secret)
		raw = append(raw, strings.Split(a.Secret, "\n")...)
	}
	if a.AccessKey != "" && a.Provider != address.GCS {
		raw = append(raw, a.AccessKey)
	}
	var out []string
	seen := map[string]bool{}
	add := func(s string) {
		s = strings.TrimSpace(s)
		if len(s) >= minSecretLen && !seen[s] && !strings.HasPrefix(s, "-----") {
			seen[s] = true
			out = append(out, s)
		}
	}
	for _, s := range raw {
		add(s)
		add(url.QueryEscape(s))
		add(url.PathEscape(s))
	}
	// Longest first, so a secret is replaced whole before any part of it.
	slices.SortStableFunc(out, func(x, y string) int { return cmp.Compare(len(y), len(x)) })
	return out
}
