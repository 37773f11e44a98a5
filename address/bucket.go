package address

import (
	"net/netip"
	"strings"
)

// bucketRules are one flavor's bucket (container) naming rules, as data,
// held in the flavor's Rules.
type bucketRules struct {
	minLen, maxLen int
	chars          string   // allowed besides lowercase letters and digits
	maxLabel       int      // longest '.'-separated component; 0: no limit
	badPrefixes    []string // reserved prefixes
	badSuffixes    []string // reserved suffixes
	badSubstrings  []string
	noIP           bool // must not look like an IPv4 address
	noDoubleDash   bool
	noUnderscore   bool   // say "contains '_'": names carried over from GCS have one
	docs           string // the rules in words; "": the flavor has none
}

var s3BucketRules = bucketRules{
	minLen: 3, maxLen: 63, chars: ".-",
	badPrefixes:   []string{"xn--", "sthree-", "amzn-s3-demo-"},
	badSuffixes:   []string{"-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"},
	badSubstrings: []string{".."},
	noIP:          true,
	docs:          "S3 bucket names are 3-63 lowercase letters, digits, '.' and '-', starting and ending with a letter or digit",
}

var coreWeaveBucketRules = bucketRules{
	minLen: 3, maxLen: 63, chars: ".-",
	badPrefixes:   []string{"cw-", "vip-", "xn--"},
	badSubstrings: []string{".."},
	noIP:          true,
	noUnderscore:  true,
	docs:          "CoreWeave bucket names are 3-63 lowercase letters, digits, '.' and '-' (no '_'), and must not start with cw- or vip-",
}

var gcsBucketRules = bucketRules{
	minLen: 3, maxLen: 222, chars: ".-_", maxLabel: 63,
	badPrefixes:   []string{"goog"},
	badSubstrings: []string{"..", "google", "g00gle"},
	noIP:          true,
	docs:          "GCS bucket names are 3-63 lowercase letters, digits, '-', '_' and '.', starting and ending with a letter or digit, without 'goog'",
}

var azureBucketRules = bucketRules{
	minLen: 3, maxLen: 63, chars: "-",
	noDoubleDash: true,
	docs:         "Azure container names are 3-63 lowercase letters, digits and single '-', starting and ending with a letter or digit",
}

// checkBucket applies the flavor's naming rules. The message never quotes
// the name: a mis-split address could put part of a key there.
func checkBucket(f Flavor, name string) error {
	r := f.rules().bucket
	if r.docs == "" {
		return nil
	}
	what := "bucket name"
	if f == FlavorAzure {
		what = "container name"
	}
	bad := func(problem string) error {
		return newErr(ErrInvalid, FieldBucket, "the "+what+" "+problem, r.docs)
	}
	if name == "" {
		return newErr(ErrMissing, FieldBucket, "the "+what+" is empty", r.docs)
	}
	if len(name) < r.minLen || len(name) > r.maxLen {
		return bad("has the wrong length")
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9':
		case 'A' <= c && c <= 'Z':
			return bad("has upper-case letters")
		case c == '_' && r.noUnderscore:
			return bad("contains '_'")
		case strings.IndexByte(r.chars, c) >= 0:
		default:
			return bad("contains a character that is not allowed")
		}
	}
	if !isAlnum(name[0]) || !isAlnum(name[len(name)-1]) {
		return bad("must start and end with a letter or digit")
	}
	for _, p := range r.badPrefixes {
		if strings.HasPrefix(name, p) {
			return bad("starts with the reserved prefix " + p)
		}
	}
	for _, s := range r.badSuffixes {
		if strings.HasSuffix(name, s) {
			return bad("ends with the reserved suffix " + s)
		}
	}
	for _, s := range r.badSubstrings {
		if strings.Contains(name, s) {
			return bad("contains " + s)
		}
	}
	if r.noDoubleDash && strings.Contains(name, "--") {
		return bad("contains --")
	}
	if r.maxLabel > 0 {
		for _, l := range strings.Split(name, ".") {
			if len(l) > r.maxLabel {
				return bad("has a dot-separated part longer than 63 characters")
			}
		}
		if len(name) > 63 && !strings.Contains(name, ".") {
			return bad("is longer than 63 characters without dots")
		}
	}
	if r.noIP {
		if ip, err := netip.ParseAddr(name); err == nil && ip.Is4() {
			return bad("looks like an IP address")
		}
	}
	return nil
}

func isAlnum(c byte) bool { return 'a' <= c && c <= 'z' || '0' <= c && c <= '9' }
