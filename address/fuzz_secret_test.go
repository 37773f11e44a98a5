package address_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/byobkit/byob/address"
	"github.com/byobkit/byob/internal/testsecret"
)

// FuzzNoSecretInOutput builds addresses from fuzzed parts (scheme, access
// key, secret, host, bucket, sub-path, query) and the separators between
// them, so that malformed inputs occur as often as good ones, and checks
// that no 8-byte window of a key appears in any output: Parse's error,
// String, every fmt verb of the Address, of *Address and of its
// Credentials, slog's text and JSON handlers, encoding/json, and the
// identities (ServiceID, BucketID, EndpointURL).
//
// A part counts as a key when it is written before the input's last '@'
// (as credentials are; without an '@' there are none), and the access key
// counts only for s3://, cw://, az:// and mem:// (a GCS e-mail is no
// secret; file:// has no credentials). To avoid false alarms, a window that
// also occurs in the input's other parts or in the package's fixed texts
// (its string literals, such as "REDACTED") is not a leak. Credentials
// built from the raw parts are checked whatever the input. Seeds live in
// testdata/fuzz/FuzzNoSecretInOutput.
func FuzzNoSecretInOutput(f *testing.F) {
	f.Fuzz(func(t *testing.T, scheme, ak, sepKey, secret, sepAt, host, sepHost, bucket, sepPath, subPath, sepQuery, query string) {
		checkSecretsNeverShow(t, scheme, ak, sepKey, secret, sepAt, host, sepHost, bucket, sepPath, subPath, sepQuery, query)
	})
}

// The property for a GCS address with a real RSA key, which the fuzz seeds
// leave out: the fuzzer would spend its time minimising mutated 3 KB keys
// that no longer parse.
func TestNoSecretInOutputGCSKey(t *testing.T) {
	enc := url.QueryEscape(pemKey(t))
	checkSecretsNeverShow(t, "gs://", "sa%40p.iam.gserviceaccount.com", ":", enc, "@", "bkt", "/", "sub", "", "", "", "")
	checkSecretsNeverShow(t, "gs://", "sa%40p.iam.gserviceaccount.com", ":", enc, "@", "bkt", "/", "sub", "", "", "?", "endpoint=http://127.0.0.1:4443")
	checkSecretsNeverShow(t, "gs://", "sa%40p.iam.gserviceaccount.com", ":", enc[:len(enc)/2], "@", "bkt", "", "", "", "", "", "")
}

// checkSecretsNeverShow is FuzzNoSecretInOutput's property for one input.
func checkSecretsNeverShow(t *testing.T, scheme, ak, sepKey, secret, sepAt, host, sepHost, bucket, sepPath, subPath, sepQuery, query string) {
	t.Helper()
	parts := []string{scheme, ak, sepKey, secret, sepAt, host, sepHost, bucket, sepPath, subPath, sepQuery, query}
	in := strings.Join(parts, "")
	akEnd := len(scheme) + len(ak)
	secretEnd := akEnd + len(sepKey) + len(secret)
	lastAt := strings.LastIndexByte(in, '@')
	provider := ""
	if i := strings.Index(in, "://"); i >= 0 {
		provider = strings.ToLower(strings.TrimSpace(in[:i]))
	}
	credsProvider := provider == "s3" || provider == "cw" || provider == "gs" || provider == "az" || provider == "mem"
	akIsKey := credsProvider && provider != "gs" && lastAt >= akEnd
	secretIsKey := credsProvider && lastAt >= secretEnd

	// What is not a key: every other part, as written, decoded and
	// lowercased, with a key replaced by a byte no window can span.
	var skel strings.Builder
	for i, p := range parts {
		if i == 1 && akIsKey || i == 3 && secretIsKey {
			skel.WriteByte(0)
			continue
		}
		skel.WriteString(p)
	}
	plain := []string{skel.String()}
	for _, p := range []string{skel.String(), host, bucket, subPath, query} {
		if d, err := url.PathUnescape(p); err == nil {
			plain = append(plain, d)
		}
		if d, err := url.QueryUnescape(p); err == nil {
			plain = append(plain, d)
		}
	}
	if !akIsKey {
		plain = append(plain, ak)
	}
	ignore := strings.ToLower(strings.Join(plain, "\x00")) + "\x00" + fixedTexts(t)

	var keys []string
	addKey := func(isKey bool, s string) {
		if !isKey {
			return
		}
		keys = append(keys, s, url.QueryEscape(s))
		if d, err := url.PathUnescape(s); err == nil {
			keys = append(keys, d)
		}
	}
	addKey(akIsKey, ak)
	addKey(secretIsKey, secret)

	a, err := address.Parse(in)
	var outputs map[string]string
	if err != nil {
		outputs = map[string]string{"Parse error": err.Error()}
	} else {
		if akIsKey {
			keys = append(keys, a.AccessKey)
		}
		if secretIsKey {
			keys = append(keys, a.Secret, strings.ReplaceAll(a.Secret, "\n", `\n`))
		}
		outputs = printAddress(t, a)
		if err := a.Validate(); err != nil {
			t.Fatalf("Validate() of a parsed address: %v", err)
		}
		if err := address.ValidateCredentials(a.Provider, a.Credentials()); err != nil {
			t.Fatalf("ValidateCredentials refuses the keys Parse accepted: %v", err)
		}
	}
	checkNoWindow(t, outputs, keys, ignore)
	// Credentials print redacted whatever they hold.
	raw := address.Credentials{AccessKey: ak, Secret: secret}
	checkNoWindow(t, printCredentials(t, raw), []string{ak, secret}, ignore)
}

// checkNoWindow fails when an 8-byte window of a key, compared without
// regard to case, appears in an output and not in the ignored texts. It
// indexes the outputs' windows once, so a long key costs linear time.
func checkNoWindow(t *testing.T, outputs map[string]string, keys []string, ignore string) {
	t.Helper()
	seen := map[string]string{} // window -> name of an output holding it
	for name, out := range outputs {
		low := strings.ToLower(out)
		for i := 0; i+testsecret.WindowLen <= len(low); i++ {
			seen[low[i:i+testsecret.WindowLen]] = name
		}
	}
	lowKeys := make([]string, len(keys))
	for i, k := range keys {
		lowKeys[i] = strings.ToLower(k)
	}
	for _, w := range testsecret.Windows(lowKeys...) {
		if name, ok := seen[w]; ok && !strings.Contains(ignore, w) {
			t.Fatalf("%s shows %q of a key:\n%s", name, w, outputs[name])
		}
	}
}

// printAddress returns every way an Address can be printed or named.
func printAddress(t *testing.T, a *address.Address) map[string]string {
	out := map[string]string{
		"String":         a.String(),
		"ServiceID":      a.ServiceID(),
		"BucketID":       a.BucketID(),
		"EndpointURL":    a.EndpointURL(),
		"location alone": a.WithoutCredentials().URL(),
	}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q"} {
		out[verb+" Address"] = fmt.Sprintf(verb, *a)
		out[verb+" *Address"] = fmt.Sprintf(verb, a)
	}
	out["slog"] = logged(t, "addr", a, "value", *a)
	for name, v := range map[string]any{"json *Address": a, "json Address": *a} {
		js, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		out[name] = string(js)
	}
	for k, v := range printCredentials(t, a.Credentials()) {
		out["parsed "+k] = v
	}
	return out
}

func printCredentials(t *testing.T, c address.Credentials) map[string]string {
	out := map[string]string{"Credentials.String": c.String()}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q"} {
		out[verb+" Credentials"] = fmt.Sprintf(verb, c)
		out[verb+" *Credentials"] = fmt.Sprintf(verb, &c)
	}
	out["slog Credentials"] = logged(t, "creds", c, "ptr", &c)
	js, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	out["json Credentials"] = string(js)
	return out
}

// logged returns what slog's text and JSON handlers print for args.
func logged(t *testing.T, args ...any) string {
	var b bytes.Buffer
	noTime := func(_ []string, a slog.Attr) slog.Attr {
		if a.Key == slog.TimeKey {
			return slog.Attr{}
		}
		return a
	}
	opts := &slog.HandlerOptions{ReplaceAttr: noTime}
	slog.New(slog.NewTextHandler(&b, opts)).Info("m", args...)
	slog.New(slog.NewJSONHandler(&b, opts)).Info("m", args...)
	return b.String()
}

var fixed struct {
	once sync.Once
	text string
	err  error
}

// fixedTexts returns the package's string literals (its messages, REDACTED,
// host names) and the printers' own words, lowercased and separated by a
// byte no window can span: text a key may share without leaking.
func fixedTexts(t *testing.T) string {
	fixed.once.Do(func() {
		files, err := filepath.Glob("*.go")
		if err != nil {
			fixed.err = err
			return
		}
		lits := []string{"address.Address(", "address.Credentials{AccessKey:", ", Secret:", "{AccessKey:", " Secret:",
			`"AccessKey":"`, `","Secret":"`, "level=INFO msg=m", `{"level":"INFO","msg":"m"`, "REDACTED:REDACTED@"}
		for _, name := range files {
			if strings.HasSuffix(name, "_test.go") {
				continue
			}
			src, err := os.ReadFile(name)
			if err != nil {
				fixed.err = err
				return
			}
			file, err := parser.ParseFile(token.NewFileSet(), name, src, 0)
			if err != nil {
				fixed.err = err
				return
			}
			ast.Inspect(file, func(n ast.Node) bool {
				if lit, ok := n.(*ast.BasicLit); ok && lit.Kind == token.STRING {
					if s, err := strconv.Unquote(lit.Value); err == nil {
						lits = append(lits, s)
					}
				}
				return true
			})
		}
		fixed.text = strings.ToLower(strings.Join(lits, "\x00"))
	})
	if fixed.err != nil {
		t.Fatal(fixed.err)
	}
	return fixed.text
}
