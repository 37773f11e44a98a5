package main

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/byobkit/byob/address"
	"github.com/byobkit/byob/internal/testsecret"
	"github.com/byobkit/byob/provider"
	"github.com/byobkit/byob/provider/preflight"
)

// fuzzTemplates are the addresses FuzzRun builds around a fuzzed access
// key and secret: valid ones for each provider that takes keys, and
// malformed ones. Each is the text before the key, between key and secret,
// and after the secret; "" before the key means the template has none
// (Azure), and a template with tail appends FuzzRun's extra text.
var fuzzTemplates = []struct {
	pre, mid, post string
	tail           bool // post is followed by the fuzzed extra text
	keyIsSecret    bool // the access key is a secret too (not a GCS e-mail, not absent)
}{
	{"s3://", ":", "@minio.example.com:9000/bkt/team?region=us-east-1", false, true},
	{"s3://", ":", "@s3.eu-west-1.amazonaws.com/bkt?region=eu-west-1", false, true},
	{"cw://", ":", "@cwobject.com/bkt/team?region=US-EAST-04A&tls=true", false, true},
	{"gs://", "%40p.iam.gserviceaccount.com:", "@bkt/sub", false, false},
	{"", "az://:", "@byobacct/container/team", false, false},
	{"mem://", ":", "@m", false, true},                       // mem:// takes no keys
	{"file://", ":", "@/srv/byob", false, true},              // nor does file://
	{"", ":", "@minio.example.com/bkt", false, true},         // no scheme; the key comes first
	{"https://", ":", "@minio.example.com/bkt", false, true}, // not a byob scheme
	{"s3://", ":", "@", true, true},                          // host, path and query fuzzed
}

// fuzzPrefixes are put before the address argument.
var fuzzPrefixes = []string{"", "-", "--", "---", "-gc=", "-origin=", "-kms-key=", "-bogus="}

// fuzzCommands start the command line; "" starts it with the arguments.
var fuzzCommands = []string{"check", "address", "", "nope", "help"}

// fuzzEncode writes a key as an address may hold it.
func fuzzEncode(s string, how uint8) string {
	switch how % 4 {
	case 1:
		return url.PathEscape(s)
	case 2:
		return url.QueryEscape(s)
	}
	return s
}

// fuzzLine is one fuzzed command line and what of it is secret.
type fuzzLine struct {
	args      []string
	addr      string   // the address argument, without its prefix
	secrets   []string // the secrets, decoded and as typed
	nonSecret string   // every other part of the input, NUL-separated
}

func buildFuzzLine(ak, sk string, tmpl, enc, cmd, layout, pos uint8, extra, fileAddr string) fuzzLine {
	tp := fuzzTemplates[int(tmpl)%len(fuzzTemplates)]
	akTyped, skTyped := fuzzEncode(ak, enc), fuzzEncode(sk, enc>>2)
	if tp.pre == "" && tp.mid == "az://:" {
		akTyped = ""
	}
	var b strings.Builder
	b.WriteString(tp.pre)
	b.WriteString(akTyped)
	b.WriteString(tp.mid)
	b.WriteString(skTyped)
	b.WriteString(tp.post)
	nonSecret := []string{tp.pre, tp.mid, tp.post}
	if tp.tail {
		b.WriteString(extra)
		nonSecret = append(nonSecret, extra)
	}
	addr := b.String()
	prefix := fuzzPrefixes[int(layout>>5)%len(fuzzPrefixes)]

	var others []string
	for i, o := range []string{"mem://fuzz-m", "-gc", extra, fileAddr, "-origin"} {
		if layout&(1<<i) != 0 {
			others = append(others, o)
		}
	}
	at := int(pos) % (len(others) + 1)
	var args []string
	command := fuzzCommands[int(cmd)%len(fuzzCommands)]
	if command != "" {
		args = append(args, command)
	}
	args = append(args, others[:at]...)
	args = append(args, prefix+addr)
	args = append(args, others[at:]...)
	nonSecret = append(nonSecret, command, prefix)
	nonSecret = append(nonSecret, others...)

	l := fuzzLine{args: args, addr: addr, secrets: []string{sk, skTyped}, nonSecret: strings.Join(nonSecret, "\x00")}
	if tp.keyIsSecret {
		l.secrets = append(l.secrets, ak, akTyped)
	}
	return l
}

// offlineTransport fails every request: the fuzzer must not reach the
// network, whatever address it builds.
type offlineTransport struct{}

var errOffline = errors.New("the fuzzer does no network I/O")

func (offlineTransport) RoundTrip(*http.Request) (*http.Response, error) { return nil, errOffline }

// fuzzCLI is the command with a check that cannot reach the network: mem://
// and file:// addresses under dir are checked for real; any other address
// goes through preflight.Check's validation on a context that is already
// cancelled, which stops it before it opens the bucket.
func fuzzCLI(t *testing.T, dir string, stdout, stderr *strings.Builder) cli {
	return cli{stdout: stdout, stderr: stderr, getenv: func(string) string { return "" },
		check: func(ctx context.Context, a *address.Address, o preflight.Options) (*preflight.Report, error) {
			if a.Provider == address.Mem || a.Provider == address.File && strings.HasPrefix(a.Bucket+"/", filepath.ToSlash(dir)+"/") {
				return preflight.Check(ctx, a, o)
			}
			cctx, cancel := context.WithCancel(ctx)
			cancel()
			o.Open = append(o.Open, provider.WithHTTPClient(&http.Client{Transport: offlineTransport{}}))
			r, err := preflight.Check(cctx, a, o)
			if err == nil {
				t.Fatalf("preflight.Check ran on a cancelled context: the fuzzer may have reached the network")
			}
			return r, err
		}}
}

// FuzzRun checks the CLI half of issue #7's property: for any command line
// built around an address with a fuzzed access key and secret (valid or
// malformed, in any position, behind any flag prefix), no 8-byte window of
// the secret, nor of the access key where it is one, appears in stdout or
// stderr. A window is ignored when it occurs in the non-secret parts of
// the input, in fixed texts (usage, help, REDACTED, padding), or in the
// output of the same command line with the keys' letters and digits
// rotated: there it is wording, not a quote. The check never reaches the
// network (see fuzzCLI). Seeds live in testdata/fuzz/FuzzRun.
func FuzzRun(f *testing.F) {
	dir := f.TempDir()
	fileAddr := (&address.Address{Provider: address.File, Bucket: filepath.ToSlash(dir)}).URL()
	var help strings.Builder
	fuzzCLI(nil, dir, &help, &help).run([]string{"check", "-h"})
	fixed := strings.Join([]string{usage(), checkHelp, help.String(), address.Redacted, hiddenArg, strings.Repeat(" ", 40)}, "\x00")

	f.Add(testAccessKey, testSecretKey, uint8(0), uint8(1<<2|1), uint8(2), uint8(0), uint8(0), "")
	f.Fuzz(func(t *testing.T, ak, sk string, tmpl, enc, cmd, layout, pos uint8, extra string) {
		l := buildFuzzLine(ak, sk, tmpl, enc, cmd, layout, pos, extra, fileAddr)
		var out, errOut strings.Builder
		fuzzCLI(t, dir, &out, &errOut).run(l.args)
		got := out.String() + "\x00" + errOut.String()

		r := buildFuzzLine(testsecret.Rot(ak), testsecret.Rot(sk), tmpl, enc, cmd, layout, pos, extra, fileAddr)
		var rout, rerr strings.Builder
		fuzzCLI(t, dir, &rout, &rerr).run(r.args)
		rotated := rout.String() + "\x00" + rerr.String()
		rotatedSecrets := strings.Join(r.secrets, "\x00")

		for _, w := range testsecret.Windows(l.secrets...) {
			switch {
			case !strings.Contains(got, w),
				strings.Contains(l.nonSecret, w),
				strings.Contains(fixed, w),
				strings.Contains(rotated, w) && !strings.Contains(rotatedSecrets, w):
				continue
			}
			t.Fatalf("output shows %q, part of a secret\nargs: %q\nstdout: %s\nstderr: %s", w, l.args, out.String(), errOut.String())
		}
	})
}
