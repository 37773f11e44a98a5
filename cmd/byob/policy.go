package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/byobkit/byob/address"
)

const policyUsage = `usage: byob policy <provider> --bucket NAME [flags]

Prints the bucket settings byob (and the product) need, filled in and ready
to paste: the CORS policy; for AWS the bucket policy, the KMS key policy
statement and default encryption; versioning or soft delete; the IAM role
(GCS); and a lifecycle rule that expires only NON-CURRENT versions and
aborts incomplete multipart uploads. Nothing is sent anywhere.

providers: s3 (AWS S3; with --endpoint an S3-compatible store), cw (CoreWeave),
           gs (Google Cloud Storage), az (Azure Blob Storage)

examples:
  byob policy s3 --bucket my-bucket --principal arn:aws:iam::123456789012:role/server \
      --kms-key arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab
  byob policy s3 --bucket my-bucket --endpoint https://minio.local:9000 --region us-east-1
  byob policy gs --bucket my-bucket --principal server@my-project.iam.gserviceaccount.com
  byob policy az --account mystorageaccount --bucket mycontainer --resource-group my-rg
  byob policy cw --bucket my-bucket --sub-path team/a --origin https://app.example.com --json

--json prints one object, a stable shape:
  {"provider": "s3"|"cw"|"gs"|"az", "flavor": "<address flavor>",
   "bucket": "...", "sub_path": "...", "origin": "...",
   "sections": [{"name": "cors"|"bucket-policy"|"kms-key-policy"|"encryption"|
                          "versioning"|"iam"|"lifecycle",
                 "comment": "what it is for",
                 "files": [{"name": "cors.json", "format": "json", "content": {...}}],
                 "commands": ["...", ...],
                 "notes": ["what to watch for, or what does not apply", ...]}]}
  "files", "commands" and "notes" are always lists (maybe empty); "content"
  is the file's JSON itself, not a string. The commands read the files by
  their names from the current directory.

exit status: 0 printed, 2 bad input or usage.

flags, before or after the provider:
`

// policyFile is one document to save and apply.
type policyFile struct {
	Name    string `json:"name"`
	Format  string `json:"format"`
	Content any    `json:"content"`
}

// policySection is one setting: its files, the commands that apply them,
// and what to watch for.
type policySection struct {
	Name     string       `json:"name"`
	Comment  string       `json:"comment"`
	Files    []policyFile `json:"files"`
	Commands []string     `json:"commands"`
	Notes    []string     `json:"notes"`
}

// policyOutput is what --json prints (see policyUsage).
type policyOutput struct {
	Provider string          `json:"provider"`
	Flavor   string          `json:"flavor"`
	Bucket   string          `json:"bucket"`
	SubPath  string          `json:"sub_path"`
	Origin   string          `json:"origin"`
	Sections []policySection `json:"sections"`
}

// policyInput is the validated command line.
type policyInput struct {
	a              *address.Address // the bucket, as an address (no credentials)
	origin         string
	principal      string // "" when not given
	kmsKey         string // "" when not given
	resourceGroup  string // Azure
	noncurrentDays int
}

// policyTarget is one provider's row: how its name reads, and what it
// prints. Per-provider facts live here and in the address and preflight
// packages, not in branches of the command.
type policyTarget struct {
	provider address.Provider
	// principal describes the --principal the provider takes; "" when the
	// provider takes none.
	principal string
	validPrin func(string) bool
	kms       bool // --kms-key applies (AWS KMS)
	sections  func(in policyInput) []policySection
}

var policyTargets = map[string]policyTarget{
	"s3": {provider: address.S3, principal: "an IAM ARN such as arn:aws:iam::123456789012:role/NAME",
		validPrin: iamARN.MatchString, kms: true, sections: s3Sections},
	"cw": {provider: address.CoreWeave, sections: cwSections},
	"gs": {provider: address.GCS, principal: "a service account e-mail such as NAME@PROJECT.iam.gserviceaccount.com",
		validPrin: serviceAccount.MatchString, sections: gcsSections},
	"az": {provider: address.Azure, sections: azureSections},
}

// policyAliases are the providers' other names.
var policyAliases = map[string]string{"aws": "s3", "coreweave": "cw", "gcs": "gs", "azure": "az"}

var (
	iamARN         = regexp.MustCompile(`^arn:aws(-[a-z]+)*:(iam|sts)::[0-9]{12}:[A-Za-z0-9+=,.@_/-]+$`)
	kmsARN         = regexp.MustCompile(`^arn:aws(-[a-z]+)*:kms:[a-z0-9-]+:[0-9]{12}:(key/[A-Za-z0-9-]+|alias/[A-Za-z0-9/_-]+)$`)
	serviceAccount = regexp.MustCompile(`^[a-z0-9-]+@[a-z0-9-]+\.iam\.gserviceaccount\.com$`)
	resourceGroup  = regexp.MustCompile(`^[A-Za-z0-9._()-]{1,90}$`)
)

// runPolicy is 'byob policy'.
func (c cli) runPolicy(args []string) int {
	const prog = "byob policy"
	sh := newShield(args)
	fs := newFlags(prog)
	bucket := fs.String("bucket", "", "the bucket (Azure: the container) `name`")
	subPath := fs.String("sub-path", "", "the sub-path in the bucket byob uses; object permissions and lifecycle are limited to it")
	origin := fs.String("origin", "*", "the web `origin` the CORS rule allows")
	principal := fs.String("principal", "", "who the server runs as: an IAM role or user `ARN` (s3), a service account e-mail (gs)")
	kmsKey := fs.String("kms-key", "", "the KMS key `ARN` for SSE-KMS default encryption (s3 on AWS)")
	endpoint := fs.String("endpoint", "", "an S3-compatible store's or CoreWeave's endpoint `URL` (https://host[:port])")
	region := fs.String("region", "", "the bucket's `region` (s3)")
	account := fs.String("account", "", "the Azure storage `account` (az)")
	group := fs.String("resource-group", "", "the Azure resource `group` of the account (az)")
	days := fs.Int("noncurrent-days", 30, "expire non-current versions after this many `days`; byob restore can undo a delete only within them")
	asJSON := fs.Bool("json", false, "print one JSON object (shape above) instead of text")
	pos, code, done := c.parseFlags(fs, sh, policyUsage)
	if done {
		return code
	}
	for _, p := range []*string{bucket, subPath, origin, principal, kmsKey, endpoint, region, account, group} {
		*p = sh.reveal(*p)
	}
	if len(pos) != 1 {
		problem := "no provider given"
		if len(pos) > 1 {
			problem = fmt.Sprintf("want one provider, got %d arguments: %s", len(pos), quoteArgs(pos))
		}
		return c.fail(prog, problem, "usage: byob policy s3|cw|gs|az --bucket NAME")
	}
	name := pos[0]
	if n, ok := policyAliases[name]; ok {
		name = n
	}
	t, ok := policyTargets[name]
	if !ok {
		return c.fail(prog, "unknown provider "+quoteArg(pos[0]), "name one of s3, cw, gs, az")
	}
	in := policyInput{origin: *origin, resourceGroup: *group, noncurrentDays: *days}
	switch {
	case !isOrigin(*origin):
		return c.fail(prog, "--origin "+quoteArg(*origin)+" is not a web origin",
			"write --origin='*' or a scheme, host and optional port, such as --origin=https://app.example.com")
	case *days < 1:
		return c.fail(prog, "--noncurrent-days "+strconv.Itoa(*days)+" is not a number of days", "write --noncurrent-days=30 (at least 1)")
	case *principal != "" && t.principal == "":
		return c.fail(prog, "--principal does not apply to "+name, "leave it out: "+name+" grants access outside bucket settings")
	case *principal != "" && !t.validPrin(*principal):
		return c.fail(prog, "--principal "+quoteArg(*principal)+" is not "+t.principal, "write "+t.principal)
	case *kmsKey != "" && !t.kms:
		return c.fail(prog, "--kms-key does not apply to "+name, "leave it out: only AWS S3 uses AWS KMS keys")
	case *kmsKey != "" && !kmsARN.MatchString(*kmsKey):
		return c.fail(prog, "--kms-key "+quoteArg(*kmsKey)+" is not a KMS key ARN",
			"write arn:aws:kms:<region>:<account>:key/<key id>")
	case t.provider == address.Azure && *account == "":
		return c.fail(prog, "no --account given", "name the storage account: --account NAME")
	case t.provider == address.Azure && !resourceGroup.MatchString(*group):
		return c.fail(prog, "no valid --resource-group given", "name the storage account's resource group: --resource-group NAME")
	case t.provider != address.Azure && (*account != "" || *group != ""):
		return c.fail(prog, "--account and --resource-group apply to az only", "leave them out")
	case *endpoint != "" && t.provider != address.S3 && t.provider != address.CoreWeave:
		return c.fail(prog, "--endpoint applies to s3 and cw only", "leave it out")
	}
	a, err := policyAddress(t.provider, *bucket, *subPath, *endpoint, *region, *account)
	if err != nil {
		fmt.Fprintln(c.stderr, strings.Replace(err.Error(), "byob address:", prog+":", 1))
		return 2
	}
	if *kmsKey != "" && a.Flavor() != address.FlavorAWS {
		return c.fail(prog, "--kms-key does not apply to an S3-compatible store", "leave it out: only AWS S3 uses AWS KMS keys")
	}
	if *principal != "" && t.provider == address.S3 && a.Flavor() != address.FlavorAWS {
		return c.fail(prog, "--principal does not apply to an S3-compatible store", "leave it out: its bucket policies name principals its own way")
	}
	in.a, in.principal, in.kmsKey = a, *principal, *kmsKey
	out := policyOutput{Provider: string(t.provider), Flavor: string(a.Flavor()), Bucket: a.Bucket, SubPath: a.Path, Origin: in.origin}
	out.Sections = t.sections(in)
	if *asJSON {
		enc := json.NewEncoder(c.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(out); err != nil {
			fmt.Fprintln(c.stderr, prog+":", err)
			return 2
		}
		return 0
	}
	if err := writePolicyText(c.stdout, out); err != nil {
		fmt.Fprintln(c.stderr, prog+":", err)
		return 2
	}
	return 0
}

// policyAddress builds the bucket's address and parses it, so that the
// bucket name, sub-path, endpoint and region obey the same rules as an
// address does. The address carries no credentials.
func policyAddress(p address.Provider, bucket, subPath, endpoint, region, account string) (*address.Address, error) {
	if bucket == "" {
		return nil, errors.New("byob address: bucket: no --bucket given; fix: name the bucket: --bucket NAME")
	}
	for _, v := range []string{bucket, subPath, endpoint, region, account} {
		if strings.ContainsAny(v, "?#@ \t\n") {
			return nil, errors.New("byob address: a value has a character no bucket, path, endpoint or region may contain ('?', '#', '@' or white space); fix: check --bucket, --sub-path, --endpoint, --region and --account")
		}
	}
	subPath = strings.Trim(subPath, "/")
	path := ""
	if subPath != "" {
		path = "/" + subPath
	}
	var s string
	q := []string{}
	switch p {
	case address.Azure:
		s = "az://" + account + "/" + bucket + path
	case address.GCS:
		s = "gs://" + bucket + path
	default:
		host, tls := "", false
		if endpoint != "" {
			scheme, h, ok := strings.Cut(endpoint, "://")
			if !ok || (scheme != "https" && scheme != "http") || h == "" || strings.Contains(h, "/") {
				return nil, errors.New("byob address: endpoint: --endpoint is not a URL of scheme, host and optional port; fix: write --endpoint https://host[:port]")
			}
			host, tls = h, scheme == "https"
		} else if p == address.CoreWeave {
			host, tls = "cwobject.com", true
		}
		switch {
		case host == "":
			s = "s3://" + bucket + path
		default:
			s = string(p) + "://" + host + "/" + bucket + path
		}
		if tls && host != "" {
			q = append(q, "tls=true")
		}
		if region != "" {
			q = append(q, "region="+region)
		}
	}
	if region != "" && p != address.S3 && p != address.CoreWeave {
		return nil, errors.New("byob address: region: --region applies to s3 and cw only; fix: leave it out")
	}
	if len(q) > 0 {
		s += "?" + strings.Join(q, "&")
	}
	return address.Parse(s)
}
