package address_test

import (
	"crypto/tls"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/byobkit/byob/address"
)

// TestRulesDocTable keeps the table in the package documentation true.
func TestRulesDocTable(t *testing.T) {
	src, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	tlsWords := map[address.TLSRule]string{
		address.TLSOptIn: "opt-in", address.TLSAlways: "always", address.TLSRequired: "required",
		address.TLSForbidden: "forbidden", address.TLSFromEndpoint: "from-endpoint", address.TLSNone: "none",
	}
	regionWords := map[address.RegionRule]string{
		address.RegionNone: "none", address.RegionRequired: "required",
		address.RegionOrCaller: "or-caller", address.RegionWithCredentials: "with-keys",
	}
	yes := func(b bool) string {
		if b {
			return "yes"
		}
		return "no"
	}
	orDash := func(s string) string {
		if s == "" || s == "0" {
			return "-"
		}
		return s
	}
	minTLS := map[uint16]string{0: "-", tls.VersionTLS13: "1.3", tls.VersionTLS12: "1.2"}
	seen := map[address.Flavor]bool{}
	for line := range strings.Lines(string(src)) {
		cells := strings.Fields(strings.TrimPrefix(line, "//"))
		if len(cells) == 0 {
			continue
		}
		f := address.Flavor(cells[0])
		r := f.Rules()
		if r.Family == "" {
			continue // not a row of the table
		}
		want := []string{string(f), string(r.Family), string(r.Style), tlsWords[r.TLS], regionWords[r.Region],
			yes(r.RegionStrict), orDash(strconv.Itoa(r.BatchDelete)), orDash(r.UserParam), yes(r.ListSorted),
			yes(r.LegacyChecksums), minTLS[r.MinTLS], yes(r.SDKEndpoint)}
		if strings.Join(cells, " ") != strings.Join(want, " ") {
			t.Errorf("doc row:\n\t%s\nthe table says:\n\t%s", strings.Join(cells, " "), strings.Join(want, " "))
		}
		seen[f] = true
	}
	for _, f := range address.Flavors() {
		if !seen[f] {
			t.Errorf("doc.go has no row for %s", f)
		}
	}
}
