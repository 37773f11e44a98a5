package main

import (
	"encoding/json"
	"io"
	"net/url"
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/byobkit/byob/internal/testsecret"
	"github.com/byobkit/byob/provider/preflight"
)

// Issue #10: every command has --help with examples, on stdout, exit 0.
func TestEveryCommandHasHelpWithExamples(t *testing.T) {
	for _, cmd := range commands {
		for _, h := range []string{"-h", "--help"} {
			t.Run(cmd.name+" "+h, func(t *testing.T) {
				var out, errOut strings.Builder
				code := run([]string{cmd.name, h}, &out, &errOut, func(string) string { return "" })
				if code != 0 || errOut.Len() != 0 {
					t.Fatalf("exit %d, stderr %q", code, errOut.String())
				}
				for _, want := range []string{"usage: byob " + cmd.name, "examples:\n  byob " + cmd.name, "--json"} {
					if !strings.Contains(out.String(), want) {
						t.Errorf("help lacks %q:\n%s", want, out.String())
					}
				}
			})
		}
	}
	var out strings.Builder
	if code := run([]string{"help"}, &out, io.Discard, func(string) string { return "" }); code != 0 {
		t.Fatalf("byob help: exit %d", code)
	}
	for _, cmd := range commands {
		if !strings.Contains(out.String(), "  byob "+cmd.name+" ") {
			t.Errorf("byob help does not list %s", cmd.name)
		}
	}
}

// The command's package documentation (doc.go) lists every command of the
// table in its usage and gives its --json shape, so that a new command
// cannot leave it behind (gc and restore once did).
func TestPackageDocListsEveryCommand(t *testing.T) {
	src, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, cmd := range commands {
		usage := regexp.MustCompile(`(?m)^//\tbyob ` + regexp.QuoteMeta(cmd.name) + ` `)
		shape := regexp.MustCompile(`(?m)^//\t` + regexp.QuoteMeta(cmd.name) + ` +\{"`)
		if !usage.Match(src) {
			t.Errorf("doc.go's usage does not list byob %s", cmd.name)
		}
		if !shape.Match(src) {
			t.Errorf("doc.go does not give the --json shape of byob %s", cmd.name)
		}
	}
}

// The --json shapes doc.go gives name every field the commands print, at
// every depth: a field added to an output struct must be documented.
func TestPackageDocJSONShapesHoldEveryField(t *testing.T) {
	src, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	shapes := map[string]reflect.Type{
		"address": reflect.TypeFor[addressesOut](), "check": reflect.TypeFor[checkOut](), "policy": reflect.TypeFor[policyOutput](),
		"presign": reflect.TypeFor[presignOut](), "demo": reflect.TypeFor[demoOut](),
		"gc": reflect.TypeFor[gcOut](), "restore": reflect.TypeFor[restoreOut](),
	}
	for name, typ := range shapes {
		// The shape: its first line and the indented lines that continue it.
		m := regexp.MustCompile(`(?m)^//\t` + name + ` +(\{.*(?:\n//\t {6,}.*)*)`).FindSubmatch(src)
		if m == nil {
			t.Errorf("doc.go gives no --json shape for %s", name)
			continue
		}
		for _, field := range jsonFields(typ) {
			if !strings.Contains(string(m[1]), `"`+field+`"`) {
				t.Errorf("doc.go's --json shape of %s lacks %q", name, field)
			}
		}
	}
}

// jsonFields returns the JSON names of typ's fields, and of the fields of
// the structs it holds, at every depth.
func jsonFields(typ reflect.Type) []string {
	for typ.Kind() == reflect.Pointer || typ.Kind() == reflect.Slice || typ.Kind() == reflect.Map {
		typ = typ.Elem()
	}
	if typ.Kind() != reflect.Struct || typ == reflect.TypeFor[time.Time]() {
		return nil
	}
	var names []string
	for f := range typ.Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" || !f.IsExported() {
			continue
		}
		if name != "" {
			names = append(names, name)
		}
		names = append(names, jsonFields(f.Type)...)
	}
	return names
}

// Issue #10: bad input gets one line on stderr that names the fix, exit
// status 2, and nothing on stdout, for every command.
func TestEveryCommandRefusesBadInputInOneLine(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string // substring of the one line
	}{
		{"no command", nil, "byob: no command given; fix: run 'byob demo'"},
		{"unknown command", []string{"adress"}, "byob: unknown command \"adress\"; fix: the commands are address, check"},
		{"address: none", []string{"address"}, "byob address: no address given; fix:"},
		{"address: unknown flag", []string{"address", "--bogus", "mem://a"}, "flag provided but not defined: -bogus; fix:"},
		{"address: bad", []string{"address", "s3://bkt?region=nowhere%"}, "; fix: "},
		{"address: bad entry of a list", []string{"address", "mem://a, gcs://b"}, "byob address: entry 2: scheme:"},
		{"address: empty list", []string{"address", " , "}, "holds no address; fix:"},
		{"address --json: bad", []string{"address", "--json", "s3://AK:S/K@h/b"}, "fix: percent-encode"},
		{"check: none", []string{"check"}, "byob check: no address given; fix:"},
		{"check: unknown flag", []string{"check", "--bogus", "mem://a"}, "flag provided but not defined"},
		{"check: bad origin", []string{"check", "--json", "--origin", "x", "mem://a"}, "is not a web origin; fix:"},
		{"check: bad address", []string{"check", "--json", "gcs://b"}, "; fix: "},
		{"policy: no provider", []string{"policy"}, "byob policy: no provider given; fix:"},
		{"policy: unknown provider", []string{"policy", "--json", "ftp", "--bucket", "b"}, "unknown provider"},
		{"policy: no bucket", []string{"policy", "s3"}, "no --bucket given; fix:"},
		{"presign: no key", []string{"presign", "mem://a"}, "want an address and a key, got 1 arguments; fix:"},
		{"presign: bad expiry", []string{"presign", "--json", "--expires", "1y", "file:///tmp/x", "k"}, "--expires \"1y\" is not a duration"},
		{"presign: mem", []string{"presign", "mem://a", "k"}, "fix: use file://DIR"},
		{"serve: no dir", []string{"serve", "--json"}, "no --dir given; fix:"},
		{"demo: an argument", []string{"demo", "extra"}, "byob demo: unexpected arguments"},
		{"demo: unknown flag", []string{"demo", "--bogus"}, "flag provided but not defined"},
		{"gc: no address", []string{"gc", "--manifests", "/nonexistent"}, "byob gc: no address given; fix:"},
		{"gc: no manifests", []string{"gc", "file:///nonexistent"}, "byob gc: no --manifests directory; fix:"},
		{"gc --json: bad shard", []string{"gc", "--json", "--manifests", "/nonexistent", "--shard", "3/2", "file:///nonexistent"}, "--shard \"3/2\": "},
		{"gc --json: bad min-age", []string{"gc", "--json", "--manifests", "/nonexistent", "--min-age", "soon", "file:///nonexistent"}, "--min-age \"soon\" is not a positive duration; fix:"},
		{"restore: no address", []string{"restore", "--journal", "/nonexistent"}, "byob restore: no address given; fix:"},
		{"restore --json: no journal", []string{"restore", "--json", "file:///nonexistent"}, "byob restore: no --journal; fix:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut strings.Builder
			code := run(tt.args, &out, &errOut, func(string) string { return "" })
			if code != 2 {
				t.Errorf("exit %d, want 2", code)
			}
			if out.Len() != 0 {
				t.Errorf("stdout not empty: %q", out.String())
			}
			line := errOut.String()
			if strings.Count(line, "\n") != 1 || !strings.HasSuffix(line, "\n") || !strings.Contains(line, "fix: ") {
				t.Errorf("stderr is not one line with a fix: %q", line)
			}
			if !strings.Contains(line, tt.want) {
				t.Errorf("stderr %q lacks %q", line, tt.want)
			}
		})
	}
}

// Issue #10: 'byob address --json' has a stable shape, one element per
// address, a list argument expanded in order.
func TestAddressJSON(t *testing.T) {
	var out, errOut strings.Builder
	_, pem := testsecret.RSAKey(t)
	args := []string{"address", "--json",
		"s3://" + testAccessKey + ":" + url.PathEscape(testSecretKey) + "@s3.eu-central-1.amazonaws.com/bkt/team?region=eu-central-1",
		"file:///srv/byob, cw://  gs://svc%40p.iam.gserviceaccount.com:" + url.QueryEscape(pem) + "@bkt/sub"}
	if code := run(args, &out, &errOut, func(k string) string { return map[string]string{"AWS_REGION": "us-west-2"}[k] }); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	if strings.Count(out.String(), "\n") != 1 {
		t.Errorf("not one line: %q", out.String())
	}
	var got addressesOut
	dec := json.NewDecoder(strings.NewReader(out.String()))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&got); err != nil {
		t.Fatal(err)
	}
	want := []addressOut{
		{Address: "s3://REDACTED:REDACTED@s3.eu-central-1.amazonaws.com/bkt/team?region=eu-central-1", Provider: "s3", Flavor: "aws-s3",
			Endpoint: "https://s3.eu-central-1.amazonaws.com", Service: "aws", Addressing: "virtual-hosted", Bucket: "bkt", SubPath: "team",
			Region: "eu-central-1", RegionFrom: "address", TLS: true, Credentials: "in-address"},
		{Address: "file:///srv/byob", Provider: "file", Flavor: "file", Endpoint: got.Addresses[1].Endpoint, Service: got.Addresses[1].Service,
			Addressing: "none", Bucket: "/srv/byob", RegionFrom: "none", Credentials: "none-needed"},
		{Address: "cw://", Provider: "cw", Flavor: got.Addresses[2].Flavor, Bare: true},
		{Address: "gs://svc%40p.iam.gserviceaccount.com:REDACTED@bkt/sub", Provider: "gs", Flavor: "gcs",
			Endpoint: got.Addresses[3].Endpoint, Service: got.Addresses[3].Service, Addressing: "path", Bucket: "bkt", SubPath: "sub",
			RegionFrom: "none", TLS: true, Credentials: "in-address", Identity: "svc@p.iam.gserviceaccount.com"},
	}
	if len(got.Addresses) != len(want) {
		t.Fatalf("%d addresses, want %d: %+v", len(got.Addresses), len(want), got)
	}
	for i := range want {
		if got.Addresses[i] != want[i] {
			t.Errorf("address %d:\n got %+v\nwant %+v", i+1, got.Addresses[i], want[i])
		}
	}
	testsecret.Check(t, "address --json", out.String()+errOut.String(), testAccessKey, testSecretKey, pem)
}

// Issue #10: 'byob check --json' has a stable shape and the same exit
// status as the text.
func TestCheckJSON(t *testing.T) {
	got, code, _ := checkJSON(t, "mem://cmd-check-json/team")
	if code != 0 || got.Result != "ok" || got.Address != "mem://cmd-check-json/team" {
		t.Errorf("exit %d, result %q, address %q", code, got.Result, got.Address)
	}
	if got.Counts != (checkCounts{OK: 8}) || len(got.Findings) != 8 {
		t.Errorf("counts %+v, %d findings", got.Counts, len(got.Findings))
	}
	if f, ok := findingOf(got, preflight.CheckReadWrite); !ok || f.Status != "ok" || f.Saw == "" {
		t.Errorf("read-write finding %+v", f)
	}
}

// Issue #10: colour on a terminal only, never with NO_COLOR, TERM=dumb
// or --json.
func TestColourOnlyOnATerminal(t *testing.T) {
	tests := []struct {
		name     string
		terminal bool
		env      map[string]string
		args     []string
		colour   bool
	}{
		{"terminal: check", true, nil, []string{"check", "mem://colour"}, true},
		{"terminal: address", true, nil, []string{"address", "mem://colour"}, true},
		{"terminal, NO_COLOR", true, map[string]string{"NO_COLOR": "1"}, []string{"check", "mem://colour"}, false},
		{"terminal, TERM=dumb", true, map[string]string{"TERM": "dumb"}, []string{"check", "mem://colour"}, false},
		{"terminal, --json", true, nil, []string{"check", "--json", "mem://colour"}, false},
		{"terminal, address --json", true, nil, []string{"address", "--json", "mem://colour"}, false},
		{"not a terminal", false, nil, []string{"check", "mem://colour"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut strings.Builder
			c := cli{stdout: &out, stderr: &errOut, getenv: func(k string) string { return tt.env[k] }, check: preflight.Check,
				terminal: func(io.Writer) bool { return tt.terminal }}
			if code := c.run(tt.args); code != 0 {
				t.Fatalf("exit %d: %s", code, errOut.String())
			}
			if has := strings.Contains(out.String(), "\x1b["); has != tt.colour {
				t.Errorf("colour %v, want %v:\n%q", has, tt.colour, out.String())
			}
			plain := strings.NewReplacer(sgrReset, "", sgrBold, "", sgrGreen, "", sgrRed, "", sgrYellow, "", sgrCyan, "").Replace(out.String())
			var ref strings.Builder
			cli{stdout: &ref, stderr: io.Discard, getenv: func(string) string { return "" }, check: preflight.Check}.run(tt.args)
			probe := regexp.MustCompile(`\.byob-check/[0-9a-f]+`)
			if probe.ReplaceAllString(plain, "P") != probe.ReplaceAllString(ref.String(), "P") {
				t.Errorf("without its colours the text differs from the plain text:\n%s\nwant\n%s", plain, ref.String())
			}
		})
	}
}

// A file that is not a terminal is not one: what decides colour for
// redirected output.
func TestIsTerminalOfAFile(t *testing.T) {
	f, err := os.CreateTemp(t.TempDir(), "out")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if isTerminal(f) {
		t.Errorf("a regular file is a terminal")
	}
	if isTerminal(&strings.Builder{}) {
		t.Errorf("a buffer is a terminal")
	}
}
