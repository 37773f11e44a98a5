package provider

import (
	"cmp"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/byobkit/byob/address"
)

// minSecretLen is the shortest secret scrub replaces wherever it occurs:
// shorter strings would also match inside ordinary words of SDK messages.
// Real secret keys, account keys and private keys are far longer.
const minSecretLen = 6

// minWordSecretLen is the shortest secret scrub replaces at all. Secrets of
// minWordSecretLen to minSecretLen-1 characters (a MinIO access key
// "admin") are replaced where they stand as a whole word. Where credentials
// travel, the structural rules below remove them whatever their length.
const minWordSecretLen = 3

// secretNames are the names under which a credential travels: HTTP headers,
// query and form parameters, JSON and XML fields. Matched case-insensitively.
const secretNames = `x-amz-signature|x-amz-credential|x-amz-security-token|x-goog-signature|x-goog-credential|` +
	`awsaccesskeyid|signatureprovided|signature|sig|credential|proxy-authorization|authorization|` +
	`client_assertion|assertion|access_token|refresh_token|id_token|client_secret|private_key|password`

// headerNames are the HTTP headers whose whole value is a credential, as they
// appear in dumps of a request ("Authorization: ..." or, in a canonical
// request, "x-amz-security-token:...").
const headerNames = `proxy-authorization|authorization|x-amz-security-token|x-goog-iam-authorization-token|cookie`

// scrubRules remove what can leak a credential from an SDK's error text,
// whatever the address. A server may echo the request it refused (headers,
// query, body) in its error body, as XML, JSON or text, and the SDKs quote
// that body: so every place a credential travels in a request is a rule.
// Each replacement keeps the name, so the message still says what was there.
var scrubRules = []struct {
	re   *regexp.Regexp
	repl string
}{
	// Private-key blocks, armour included, even when cut short.
	{regexp.MustCompile(`-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(-----END [A-Z ]*PRIVATE KEY-----|$)`), address.Redacted},
	// The query string of any URL: pre-signed URLs carry their signature and
	// credential there.
	{regexp.MustCompile(`((?:https?|wss?)://[^\s"'<>?]*)\?[^\s"'<>]*`), "${1}?" + address.Redacted},
	// A header line of a request dump; the value ends at the line's end (or
	// where the text around it takes over: a quote, a tag, an escape).
	{regexp.MustCompile(`(?i)\b(` + headerNames + `)(:[ \t]*)[^\r\n"<>\\]*`), "${1}${2}" + address.Redacted},
	// Bearer tokens (OAuth access tokens), in any case and spacing.
	{regexp.MustCompile(`(?i)\b(bearer)(\s+|%20|\+)[A-Za-z0-9\-._~+/%]+=*`), "${1}${2}" + address.Redacted},
	// Azure's shared-key Authorization value: the account stays, the
	// signature goes.
	{regexp.MustCompile(`(?i)\b(SharedKey(?:Lite)?)(\s+|%20|\+)([^\s:"'<>\\]+)(:|%3A)[A-Za-z0-9+/=%]+`), "${1}${2}${3}${4}" + address.Redacted},
	// Any JWT (a service account's signed assertion, an ID token), bare.
	{regexp.MustCompile(`\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*`), address.Redacted},
	// name=value in queries, form bodies and Authorization parameters
	// (AWS4-HMAC-SHA256 Credential=<key>/<scope>, ..., Signature=<hex>): the
	// whole value, whatever its length.
	{regexp.MustCompile(`(?i)\b(` + secretNames + `)=[^&\s"'<>,;\\]*`), "${1}=" + address.Redacted},
	// "name": "value" in JSON, also when the JSON is itself quoted inside a
	// string (\"name\":\"value\") and when the value is a list's first item.
	{regexp.MustCompile(`(?i)(\\*"(?:` + secretNames + `)\\*"\s*:\s*\[?\s*\\*")[^"\\]*(?:\\[^"\\][^"\\]*)*`), "${1}" + address.Redacted},
	// <Name>value</Name> in XML.
	{regexp.MustCompile(`(?i)(<(?:` + secretNames + `)>)[^<]*`), "${1}" + address.Redacted},
	// The request signature Azure quotes back in AuthenticationFailed.
	{regexp.MustCompile(`(?i)(signature found in the HTTP request ')[^']*'`), "${1}" + address.Redacted + "'"},
}

// scrub returns msg without the given secrets (see secretsOf) and without
// anything scrubRules match, on one line: Azure's errors span many, with
// rules of dashes between sections.
func scrub(msg string, secrets []string) string {
	for _, s := range secrets {
		if len(s) >= minSecretLen {
			msg = strings.ReplaceAll(msg, s, address.Redacted)
		} else {
			msg = replaceWord(msg, s)
		}
	}
	for _, r := range scrubRules {
		msg = r.re.ReplaceAllString(msg, r.repl)
	}
	msg = ruleLine.ReplaceAllString(msg, "; ")
	return strings.TrimSuffix(strings.Join(strings.Fields(msg), " "), ";")
}

// Scrub returns text without a's keys and without every credential the
// package's scrubber recognises in a server's echo of a request (the forms
// Error lists), for text built from services' answers that is shown to
// people, such as a preflight report. Unlike an Error's text it keeps line
// breaks: each line is scrubbed on its own, and runs of other white space
// fold to one space. With a nil a, only the credentials the scrubber
// recognises are removed.
func Scrub(text string, a *address.Address) string {
	var secrets []string
	if a != nil {
		secrets = secretsOf(a)
	}
	// Whole first, as a secret with a line break in it would not survive
	// the split; short ones only as words, line by line, as scrub does.
	for _, s := range secrets {
		if len(s) >= minSecretLen {
			text = strings.ReplaceAll(text, s, address.Redacted)
		}
	}
	lines := strings.Split(text, "\n")
	for i, l := range lines {
		lines[i] = scrub(l, secrets)
	}
	return strings.Join(lines, "\n")
}

// replaceWord replaces s in msg where it is not part of a longer run of
// letters and digits.
func replaceWord(msg, s string) string {
	if s == "" {
		return msg
	}
	var b strings.Builder
	for {
		i := strings.Index(msg, s)
		if i < 0 {
			b.WriteString(msg)
			return b.String()
		}
		end := i + len(s)
		if (i == 0 || !isAlnum(msg[i-1])) && (end == len(msg) || !isAlnum(msg[end])) {
			b.WriteString(msg[:i])
			b.WriteString(address.Redacted)
		} else {
			b.WriteString(msg[:end])
		}
		msg = msg[end:]
	}
}

func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// ruleLine is a line of dashes with the line breaks around it.
var ruleLine = regexp.MustCompile(`\s*\n-{8,}\n\s*`)

// secretsOf lists a's secrets as they may appear in an SDK's message: raw,
// query-escaped and path-escaped, and each line of a PEM key's body. The
// GCS service-account e-mail is an identity, not a secret: it names the
// account to fix.
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
		if len(s) >= minWordSecretLen && !seen[s] && !strings.HasPrefix(s, "-----") {
			seen[s] = true
			out = append(out, s)
		}
	}
	for _, s := range raw {
		add(s)
		add(url.QueryEscape(s))
		add(url.PathEscape(s))
	}
	return longestFirst(out)
}

// longestFirst sorts secrets longest first, so that scrub replaces a
// secret whole before any part of it.
func longestFirst(secrets []string) []string {
	slices.SortStableFunc(secrets, func(x, y string) int { return cmp.Compare(len(y), len(x)) })
	return secrets
}
