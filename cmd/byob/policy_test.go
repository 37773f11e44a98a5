package main

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/byobkit/byob/address"
	"github.com/byobkit/byob/provider/preflight"
)

var updateGolden = flag.Bool("update", false, "rewrite the golden files of 'byob policy --json'")

const (
	testRole = "arn:aws:iam::123456789012:role/server"
	testKey  = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
)

// runPolicyJSON runs 'byob policy … --json' and decodes what it printed.
func runPolicyJSON(t *testing.T, args ...string) policyOutput {
	t.Helper()
	var out, errOut strings.Builder
	if code := run(append([]string{"policy", "--json"}, args...), &out, &errOut, func(string) string { return "" }); code != 0 {
		t.Fatalf("exit %d; stderr: %s", code, errOut.String())
	}
	var got policyOutput
	dec := json.NewDecoder(strings.NewReader(out.String()))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&got); err != nil {
		t.Fatalf("--json output does not parse: %v\n%s", err, out.String())
	}
	return got
}

// fileOf returns the named file's content re-encoded, failing when the
// section or file is missing.
func fileOf(t *testing.T, o policyOutput, sectionName, file string) []byte {
	t.Helper()
	for _, s := range o.Sections {
		if s.Name != sectionName {
			continue
		}
		for _, f := range s.Files {
			if f.Name == file {
				if f.Format != "json" {
					t.Fatalf("%s is %q, want json", file, f.Format)
				}
				js, err := json.Marshal(f.Content)
				if err != nil {
					t.Fatal(err)
				}
				return js
			}
		}
	}
	t.Fatalf("no file %s in section %s", file, sectionName)
	return nil
}

func sectionOf(o policyOutput, name string) (policySection, bool) {
	for _, s := range o.Sections {
		if s.Name == name {
			return s, true
		}
	}
	return policySection{}, false
}

// sameSet reports whether a and b hold the same strings, each once.
func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

// The documented actions, written out here once more, independently of
// the command's tables: the test is the product's list, not a copy of the code.
var (
	wantBucketActions = []string{"s3:GetEncryptionConfiguration", "s3:ListBucket", "s3:ListBucketMultipartUploads",
		"s3:ListBucketVersions", "s3:GetBucketCORS", "s3:GetBucketLocation", "s3:GetBucketVersioning"}
	wantObjectActions = []string{"s3:GetObject*", "s3:AbortMultipartUpload", "s3:DeleteObject", "s3:PutObject"}
	wantKMSActions    = []string{"kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"}
)

type iamStatement struct {
	Sid       string
	Effect    string
	Principal struct{ AWS string }
	Action    []string
	Resource  string
}

func TestPolicyAWSBucketPolicyGrantsExactlyTheDocumentedActions(t *testing.T) {
	tests := []struct {
		name, subPath, principal, bucketARN, objectARN string
	}{
		{"whole bucket", "", testRole, "arn:aws:s3:::my-bucket", "arn:aws:s3:::my-bucket/*"},
		{"objects limited to the sub-path", "team/a", testRole, "arn:aws:s3:::my-bucket", "arn:aws:s3:::my-bucket/team/a/*"},
		{"sub-path slashes trimmed", "/team/a/", testRole, "arn:aws:s3:::my-bucket", "arn:aws:s3:::my-bucket/team/a/*"},
		{"China partition from the principal", "", "arn:aws-cn:iam::123456789012:role/server", "arn:aws-cn:s3:::my-bucket", "arn:aws-cn:s3:::my-bucket/*"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := runPolicyJSON(t, "s3", "--bucket", "my-bucket", "--sub-path", tt.subPath, "--principal", tt.principal)
			var doc struct {
				Version   string
				Statement []iamStatement
			}
			js := fileOf(t, o, "bucket-policy", "bucket-policy.json")
			if err := json.Unmarshal(js, &doc); err != nil {
				t.Fatal(err)
			}
			if doc.Version != "2012-10-17" {
				t.Errorf("Version %q", doc.Version)
			}
			granted := map[string][]string{} // resource → actions
			for _, s := range doc.Statement {
				if s.Effect != "Allow" || s.Principal.AWS != tt.principal {
					t.Errorf("statement %s: effect %s, principal %s", s.Sid, s.Effect, s.Principal.AWS)
				}
				granted[s.Resource] = append(granted[s.Resource], s.Action...)
			}
			if len(granted) != 2 || !sameSet(granted[tt.bucketARN], wantBucketActions) || !sameSet(granted[tt.objectARN], wantObjectActions) {
				t.Errorf("granted %v\nwant %s: %v\nand  %s: %v", granted, tt.bucketARN, wantBucketActions, tt.objectARN, wantObjectActions)
			}
		})
	}
}

func TestPolicyKMSStatement(t *testing.T) {
	o := runPolicyJSON(t, "s3", "--bucket", "my-bucket", "--principal", testRole, "--kms-key", testKey)
	var s iamStatement
	if err := json.Unmarshal(fileOf(t, o, "kms-key-policy", "kms-key-policy-statement.json"), &s); err != nil {
		t.Fatal(err)
	}
	if s.Effect != "Allow" || s.Principal.AWS != testRole || s.Resource != "*" || !sameSet(s.Action, wantKMSActions) {
		t.Errorf("statement %+v, want Allow %s %v on *", s, testRole, wantKMSActions)
	}
	enc, _ := sectionOf(o, "encryption")
	if len(enc.Commands) != 1 || !strings.Contains(enc.Commands[0], `"SSEAlgorithm":"aws:kms"`) || !strings.Contains(enc.Commands[0], testKey) {
		t.Errorf("encryption commands %q", enc.Commands)
	}
	// Without --kms-key there is neither, and no key is invented.
	o = runPolicyJSON(t, "s3", "--bucket", "my-bucket", "--principal", testRole)
	for _, n := range []string{"kms-key-policy", "encryption"} {
		if _, ok := sectionOf(o, n); ok {
			t.Errorf("section %s printed without --kms-key", n)
		}
	}
}

// Every CORS file the command prints passes the CORS check's own
// evaluation, for each provider and origin.
func TestPolicyCORSPassesTheCheck(t *testing.T) {
	tests := []struct {
		name, addr string
		args       []string
		file       string
	}{
		{"AWS", "s3://my-bucket", []string{"s3", "--bucket", "my-bucket"}, "cors.json"},
		{"S3-compatible", "s3://minio.local:9000/my-bucket?region=us-east-1", []string{"s3", "--bucket", "my-bucket", "--endpoint", "http://minio.local:9000", "--region", "us-east-1"}, "cors.json"},
		{"CoreWeave", "cw://cwobject.com/my-bucket?tls=true", []string{"cw", "--bucket", "my-bucket"}, "cors.json"},
		{"GCS", "gs://my-bucket", []string{"gs", "--bucket", "my-bucket"}, "cors-policy.json"},
		{"Azure", "az://acct/ctr", []string{"az", "--account", "acct", "--bucket", "ctr", "--resource-group", "rg"}, "cors-rules.json"},
	}
	for _, tt := range tests {
		for _, origin := range []string{"*", "https://app.example.com"} {
			t.Run(tt.name+" from "+origin, func(t *testing.T) {
				o := runPolicyJSON(t, append(tt.args, "--origin", origin)...)
				a, err := address.Parse(tt.addr)
				if err != nil {
					t.Fatal(err)
				}
				if err := preflight.CheckCORSDocument(a, fileOf(t, o, "cors", tt.file), origin); err != nil {
					t.Error(err)
				}
				if o.Flavor != string(a.Flavor()) {
					t.Errorf("flavor %s, want %s", o.Flavor, a.Flavor())
				}
			})
		}
	}
}

// The lifecycle rules expire non-current versions and abort unfinished
// uploads, and nothing else: no action may reach a current object.
func TestPolicyLifecycleTouchesOnlyNoncurrentVersions(t *testing.T) {
	t.Run("S3", func(t *testing.T) {
		for _, p := range [][]string{{"s3", "--bucket", "my-bucket", "--sub-path", "t"}, {"cw", "--bucket", "my-bucket"}} {
			o := runPolicyJSON(t, append(p, "--noncurrent-days", "45")...)
			var doc struct{ Rules []map[string]json.RawMessage }
			if err := json.Unmarshal(fileOf(t, o, "lifecycle", "lifecycle.json"), &doc); err != nil {
				t.Fatal(err)
			}
			if len(doc.Rules) != 1 {
				t.Fatalf("%d rules", len(doc.Rules))
			}
			var keys []string
			for k := range doc.Rules[0] {
				keys = append(keys, k)
			}
			if !sameSet(keys, []string{"ID", "Status", "Filter", "NoncurrentVersionExpiration", "AbortIncompleteMultipartUpload"}) {
				t.Errorf("rule fields %v: only the noncurrent-version and abort-upload actions may be there", keys)
			}
			if got := string(doc.Rules[0]["NoncurrentVersionExpiration"]); got != `{"NoncurrentDays":45}` {
				t.Errorf("NoncurrentVersionExpiration %s", got)
			}
			if got := string(doc.Rules[0]["AbortIncompleteMultipartUpload"]); got != `{"DaysAfterInitiation":7}` {
				t.Errorf("AbortIncompleteMultipartUpload %s", got)
			}
		}
	})
	t.Run("GCS", func(t *testing.T) {
		o := runPolicyJSON(t, "gs", "--bucket", "my-bucket", "--noncurrent-days", "45")
		var doc struct {
			Rule []struct {
				Action    struct{ Type string }
				Condition map[string]any
			}
		}
		if err := json.Unmarshal(fileOf(t, o, "lifecycle", "lifecycle.json"), &doc); err != nil {
			t.Fatal(err)
		}
		var types []string
		for _, r := range doc.Rule {
			types = append(types, r.Action.Type)
			switch r.Action.Type {
			case "Delete":
				// Only noncurrent objects: not live, counted from becoming noncurrent.
				if r.Condition["isLive"] != false || r.Condition["daysSinceNoncurrentTime"] != 45.0 || len(r.Condition) != 2 {
					t.Errorf("Delete condition %v reaches live objects or is not 45 noncurrent days", r.Condition)
				}
			case "AbortIncompleteMultipartUpload":
				if r.Condition["age"] != 7.0 {
					t.Errorf("abort condition %v", r.Condition)
				}
			}
		}
		if !sameSet(types, []string{"Delete", "AbortIncompleteMultipartUpload"}) || len(types) != 2 {
			t.Errorf("actions %v", types)
		}
	})
	t.Run("Azure", func(t *testing.T) {
		o := runPolicyJSON(t, "az", "--account", "acct", "--bucket", "ctr", "--sub-path", "t", "--resource-group", "rg", "--noncurrent-days", "45")
		var doc struct {
			Rules []struct {
				Definition struct {
					Actions map[string]map[string]map[string]int
					Filters struct{ PrefixMatch []string }
				}
			}
		}
		if err := json.Unmarshal(fileOf(t, o, "lifecycle", "lifecycle.json"), &doc); err != nil {
			t.Fatal(err)
		}
		if len(doc.Rules) != 1 {
			t.Fatalf("%d rules", len(doc.Rules))
		}
		d := doc.Rules[0].Definition
		// baseBlob actions would reach current blobs; only version is allowed.
		if len(d.Actions) != 1 || len(d.Actions["version"]) != 1 || d.Actions["version"]["delete"]["daysAfterCreationGreaterThan"] != 45 {
			t.Errorf("actions %v, want only version.delete after 45 days", d.Actions)
		}
		if !slices.Equal(d.Filters.PrefixMatch, []string{"ctr/t/"}) {
			t.Errorf("prefixMatch %v", d.Filters.PrefixMatch)
		}
	})
}

// The --json shape is stable: one golden file per provider.
func TestPolicyJSONGolden(t *testing.T) {
	tests := map[string][]string{
		"s3":            {"s3", "--bucket", "my-bucket", "--sub-path", "team/a", "--principal", testRole, "--kms-key", testKey, "--region", "us-east-1"},
		"s3-compatible": {"s3", "--bucket", "my-bucket", "--endpoint", "https://minio.local:9000", "--region", "us-east-1"},
		"cw":            {"cw", "--bucket", "my-bucket", "--origin", "https://app.example.com"},
		"gs":            {"gs", "--bucket", "my-bucket", "--principal", "server@my-project.iam.gserviceaccount.com"},
		"az":            {"az", "--account", "acct", "--bucket", "ctr", "--resource-group", "rg"},
	}
	for name, args := range tests {
		t.Run(name, func(t *testing.T) {
			var out, errOut strings.Builder
			if code := run(append([]string{"policy", "--json"}, args...), &out, &errOut, func(string) string { return "" }); code != 0 {
				t.Fatalf("exit %d: %s", code, errOut.String())
			}
			path := filepath.Join("testdata", "policy", name+".json")
			if *updateGolden {
				if err := os.WriteFile(path, []byte(out.String()), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if out.String() != string(want) {
				t.Errorf("--json output changed (rerun with -update if intended):\n%s", out.String())
			}
		})
	}
}

func TestPolicyExitStatus(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		code   int
		stderr string // substring of the one-line error
		hidden string // must not appear anywhere
	}{
		{"text by default", []string{"s3", "--bucket", "my-bucket"}, 0, "", ""},
		{"alias", []string{"gcs", "--bucket", "my-bucket"}, 0, "", ""},
		{"help", []string{"--help"}, 0, "", ""},
		{"no provider", []string{"--bucket", "b"}, 2, "no provider given", ""},
		{"unknown provider", []string{"dropbox", "--bucket", "my-bucket"}, 2, `unknown provider "dropbox"; fix: name one of s3, cw, gs, az`, ""},
		{"no bucket", []string{"s3"}, 2, "no --bucket given; fix:", ""},
		{"bucket with upper case", []string{"s3", "--bucket", "MyBucket"}, 2, "upper-case letters; fix: S3 bucket names", ""},
		{"CoreWeave reserved prefix", []string{"cw", "--bucket", "cw-bucket"}, 2, "reserved prefix cw-", ""},
		{"Azure container with underscore", []string{"az", "--account", "acct", "--bucket", "my_ctr", "--resource-group", "rg"}, 2, "container name", ""},
		{"Azure without account", []string{"az", "--bucket", "ctr", "--resource-group", "rg"}, 2, "no --account given", ""},
		{"Azure without resource group", []string{"az", "--account", "acct", "--bucket", "ctr"}, 2, "--resource-group", ""},
		{"bad principal ARN", []string{"s3", "--bucket", "my-bucket", "--principal", "arn:aws:iam::12:role/x"}, 2, "is not an IAM ARN", ""},
		{"bad KMS ARN", []string{"s3", "--bucket", "my-bucket", "--kms-key", "arn:aws:kms:us-east-1:123:key"}, 2, "is not a KMS key ARN", ""},
		{"KMS on GCS", []string{"gs", "--bucket", "my-bucket", "--kms-key", testKey}, 2, "--kms-key does not apply to gs", ""},
		{"KMS on an S3-compatible store", []string{"s3", "--bucket", "my-bucket", "--endpoint", "https://minio.local:9000", "--region", "us-east-1", "--kms-key", testKey}, 2, "S3-compatible", ""},
		{"bad origin", []string{"s3", "--bucket", "my-bucket", "--origin", "app.example.com"}, 2, "is not a web origin", ""},
		{"origin with a path", []string{"s3", "--bucket", "my-bucket", "--origin", "https://app.example.com/x"}, 2, "is not a web origin", ""},
		{"noncurrent days zero", []string{"s3", "--bucket", "my-bucket", "--noncurrent-days", "0"}, 2, "at least 1", ""},
		{"unknown flag", []string{"s3", "--bucket", "my-bucket", "--nope"}, 2, "flag provided but not defined", ""},
		{"an address with keys as the origin is redacted", []string{"s3", "--bucket", "my-bucket", "--origin", "s3://AKIAX:topsecretkey@host/b"}, 2, "is not a web origin", "topsecretkey"},
		{"an address with keys as the provider is redacted", []string{"s3://AKIAX:topsecretkey@host/b", "--bucket", "b"}, 2, "unknown provider", "topsecretkey"},
		{"an unknown flag holding keys is redacted", []string{"s3", "--bucket", "b", "--x=s3://AKIAX:topsecretkey@host/b"}, 2, "flag provided but not defined", "topsecretkey"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut strings.Builder
			code := run(append([]string{"policy"}, tt.args...), &out, &errOut, func(string) string { return "" })
			if code != tt.code {
				t.Errorf("exit %d, want %d; stderr: %s", code, tt.code, errOut.String())
			}
			if !strings.Contains(errOut.String(), tt.stderr) {
				t.Errorf("stderr %q lacks %q", errOut.String(), tt.stderr)
			}
			if tt.code == 2 {
				if out.Len() != 0 {
					t.Errorf("printed settings despite the error:\n%s", out.String())
				}
				if lines := strings.Count(errOut.String(), "\n"); lines != 1 || !strings.Contains(errOut.String(), "fix: ") {
					t.Errorf("want one line with a fix, got %q", errOut.String())
				}
			}
			if tt.hidden != "" && strings.Contains(out.String()+errOut.String(), tt.hidden) {
				t.Errorf("output shows %q", tt.hidden)
			}
		})
	}
}

// The text output is a script a person can paste: each JSON file in a
// here-document that parses, and the command that applies it.
func TestPolicyTextIsPasteable(t *testing.T) {
	var out, errOut strings.Builder
	if code := run([]string{"policy", "s3", "--bucket", "my-bucket", "--principal", testRole}, &out, &errOut, func(string) string { return "" }); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	text := out.String()
	docs := strings.Split(text, "<<'EOF'\n")[1:]
	if len(docs) != 3 {
		t.Fatalf("%d here-documents, want cors, bucket policy, lifecycle:\n%s", len(docs), text)
	}
	for _, d := range docs {
		body, _, ok := strings.Cut(d, "\nEOF\n")
		if !ok || !json.Valid([]byte(body)) {
			t.Errorf("here-document does not parse as JSON:\n%s", body)
		}
	}
	for _, want := range []string{
		"aws s3api put-bucket-cors --bucket my-bucket --cors-configuration file://cors.json\n",
		"aws s3api put-bucket-policy --bucket my-bucket --policy file://bucket-policy.json\n",
		"aws s3api put-bucket-versioning --bucket my-bucket --versioning-configuration Status=Enabled\n",
		"aws s3api put-bucket-lifecycle-configuration --bucket my-bucket --lifecycle-configuration file://lifecycle.json\n",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("text lacks %q", want)
		}
	}
	for _, line := range strings.Split(strings.TrimSpace(text), "\n") {
		if strings.HasPrefix(line, "or:") {
			t.Errorf("line %q is not a command", line)
		}
	}
}
