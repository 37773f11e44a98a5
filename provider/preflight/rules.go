package preflight

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"strings"

	"github.com/byobkit/byob/address"
	"github.com/byobkit/byob/provider"
)

// Verdicts shared by the providers' checks; each is a pure function of
// what the provider answered.

// prefixesOverlap reports whether a lifecycle rule for key prefix can reach
// objects under subPath ("" = the whole bucket).
func prefixesOverlap(prefix, subPath string) bool {
	if prefix == "" || subPath == "" {
		return true
	}
	dir := subPath + "/"
	return strings.HasPrefix(dir, prefix) || strings.HasPrefix(prefix, dir)
}

// ruleName names a lifecycle rule by its ID, or by its position.
func ruleName(id string, i int) string {
	if id != "" {
		return quote(id)
	}
	return fmt.Sprintf("#%d", i+1)
}

// lifecycleFinding warns about rules that expire current objects.
func lifecycleFinding(bad []string, fix string) Finding {
	return warnFinding(CheckLifecycle, strings.Join(bad, "; ")+": run history stored there would be lost", fix)
}

// regionFinding compares the region requests are signed for (want) with
// the bucket's region as the server names it (actual); saw says how the
// latter was learned. signedBy names a check whose requests, signed for
// want, succeeded ("" when none did): on a flavor that is not strict about
// regions, that settles it whatever the server names.
func regionFinding(a *address.Address, want, actual, saw, signedBy string) Finding {
	switch {
	case strings.EqualFold(want, actual):
		return okFinding(CheckRegion, saw+", as the address says")
	case signedBy != "" && !a.Flavor().Rules().RegionStrict:
		// Outside AWS, GetBucketLocation can name a region of the
		// server's own (versitygw and Ceph answer their zone group,
		// "default") while any region signs: a signed request that
		// succeeded proves the address's region right.
		return okFinding(CheckRegion, "the server names the bucket's region "+quote(actual)+
			", but requests signed for "+want+" work ("+signedBy+" passed), and this server does not require the bucket's region")
	}
	return errFinding(CheckRegion, saw+", but requests are signed for "+want, regionFix(a, want, actual))
}

// regionFix shows the address with the bucket's region, secrets redacted.
func regionFix(a *address.Address, want, actual string) string {
	fixed := *a
	fixed.Region = actual
	if want != "" && strings.Contains(fixed.Endpoint, want) {
		fixed.Endpoint = strings.ReplaceAll(fixed.Endpoint, want, actual)
	}
	if _, err := address.Parse(fixed.URL()); err != nil {
		return "set ?region=" + actual + " in the address"
	}
	return "set the region in the address: " + fixed.String()
}

// transportCheck is the check on credentials sent over plain HTTP.
func transportCheck(_ context.Context, run *checkRun) Finding {
	return transportFinding(run.a)
}

// transportFinding warns when requests that carry credentials (keys,
// signatures or tokens) go over plain HTTP to a host other than this
// machine. It is a pure function of the address.
func transportFinding(a *address.Address) Finding {
	switch {
	case a.Provider == address.File || a.Provider == address.Mem:
		return notApplicable(CheckTransport, "no network is involved")
	case a.TLS:
		return okFinding(CheckTransport, "requests go over HTTPS to "+a.Host())
	case provider.CredentialSourceOf(a) == provider.CredentialsNone:
		return okFinding(CheckTransport, "plain HTTP to "+a.Host()+", but no credentials are sent")
	case isLoopbackHost(a.Host()):
		return okFinding(CheckTransport, "plain HTTP, but only to this machine ("+a.Host()+")")
	}
	fix := "serve the endpoint over HTTPS and add tls=true to the address"
	switch a.Flavor() {
	case address.FlavorCoreWeaveLOTA:
		fix = "keep LOTA traffic inside CoreWeave's network, or use cwobject.com with tls=true"
	case address.FlavorGCS, address.FlavorAzure:
		fix = "use an https:// endpoint= in the address"
	}
	return warnFinding(CheckTransport, "credentials and data go over plain HTTP to "+a.Host()+", which is not this machine", fix)
}

// isLoopbackHost reports whether host[:port] is localhost or a loopback IP.
func isLoopbackHost(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.Trim(host, "[]")
	if strings.EqualFold(host, "localhost") || strings.HasSuffix(strings.ToLower(host), ".localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.IsLoopback()
}

// quote quotes a bucket name, key or rule ID in a finding's text.
func quote(s string) string { return `"` + s + `"` }

// shellQuote quotes s for a POSIX shell, only when it needs quoting.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:=@,+%") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// remainText says how many old versions of the probe remain.
func remainText(n int, noun string) string {
	if n == 1 {
		return "1 old " + noun + " of it remains"
	}
	return fmt.Sprintf("%d old %ss of it remain", n, noun)
}
