package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/byobkit/byob/address"
	"github.com/byobkit/byob/provider/preflight"
)

// The settings each provider prints. The CORS rule and the commands that
// reach a bucket come from preflight, the check's own fixes; the rest are
// the product's documented settings (see the reference notes).

// The S3 permissions the product documents, split by the resource they
// apply to: bucket-level actions act on the bucket's ARN, object-level
// ones on the objects' (under the sub-path when there is one).
var (
	s3BucketActions = []string{
		"s3:ListBucket", "s3:ListBucketMultipartUploads", "s3:ListBucketVersions",
		"s3:GetBucketCORS", "s3:GetBucketLocation", "s3:GetBucketVersioning", "s3:GetEncryptionConfiguration",
	}
	s3ObjectActions = []string{"s3:GetObject*", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"}
	// kmsActions are what SSE-KMS uploads and downloads need of the key.
	kmsActions = []string{"kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"}
)

// abortUploadDays is when unfinished multipart uploads are aborted: the
// client's URLs for writes last 24 h, so 7 days never cuts one short.
const abortUploadDays = 7

// lifecycleRuleID names byob's lifecycle rule where the provider has names.
const lifecycleRuleID = "byob-noncurrent-versions"

// objectPrefix is the key prefix of byob's objects: the sub-path and '/',
// or "" for the whole bucket.
func objectPrefix(a *address.Address) string {
	if a.Path == "" {
		return ""
	}
	return a.Path + "/"
}

func jsonFile(name string, content any) policyFile {
	return policyFile{Name: name, Format: "json", Content: content}
}

func section(name, comment string, files []policyFile, commands, notes []string) policySection {
	if files == nil {
		files = []policyFile{}
	}
	if commands == nil {
		commands = []string{}
	}
	if notes == nil {
		notes = []string{}
	}
	return policySection{Name: name, Comment: comment, Files: files, Commands: commands, Notes: notes}
}

const corsComment = "browsers upload through presigned PUTs (Content-Type, Content-MD5) and read the ETag they answer"

// s3CORSSection is the CORS rule for an S3-API bucket (AWS, S3-compatible, CoreWeave).
func s3CORSSection(in policyInput) policySection {
	doc, _ := preflight.CORSDocument(in.a, in.origin) // S3-API providers always have one
	return section("cors", corsComment,
		[]policyFile{jsonFile("cors.json", doc)},
		[]string{preflight.AWSCommand(in.a, "put-bucket-cors") + " --cors-configuration file://cors.json"},
		[]string{"this replaces the bucket's CORS rules: add any other rule you still need to cors.json"})
}

func s3VersioningSection(in policyInput) policySection {
	return section("versioning", "the collector relies on versioning to undo a wrong delete (byob restore)", nil,
		[]string{preflight.AWSCommand(in.a, "put-bucket-versioning") + " --versioning-configuration Status=Enabled"}, nil)
}

// s3LifecycleSection expires non-current versions only: no Expiration
// action, so current objects (run history, artifact files) are never
// touched.
func s3LifecycleSection(in policyInput) policySection {
	doc := map[string]any{"Rules": []map[string]any{{
		"ID":                             lifecycleRuleID,
		"Status":                         "Enabled",
		"Filter":                         map[string]any{"Prefix": objectPrefix(in.a)},
		"NoncurrentVersionExpiration":    map[string]any{"NoncurrentDays": in.noncurrentDays},
		"AbortIncompleteMultipartUpload": map[string]any{"DaysAfterInitiation": abortUploadDays},
	}}}
	return section("lifecycle", lifecycleComment(in), []policyFile{jsonFile("lifecycle.json", doc)},
		[]string{preflight.AWSCommand(in.a, "put-bucket-lifecycle-configuration") + " --lifecycle-configuration file://lifecycle.json"},
		[]string{"this replaces the bucket's lifecycle rules: add any other rule you still need to lifecycle.json, and none that expires current objects (run history would be lost)"})
}

func lifecycleComment(in policyInput) string {
	return fmt.Sprintf("expire versions %d days after they stop being current, never current objects, and abort multipart uploads unfinished after %d days; byob restore can undo a delete only within those %d days",
		in.noncurrentDays, abortUploadDays, in.noncurrentDays)
}

// s3Partition is the ARN partition of the principal (aws, aws-cn,
// aws-us-gov), so the bucket's ARN is in the same one.
func s3Partition(principal string) string {
	if parts := strings.SplitN(principal, ":", 3); len(parts) == 3 && parts[0] == "arn" {
		return parts[1]
	}
	return "aws"
}

func s3BucketPolicy(in policyInput) map[string]any {
	bucketARN := "arn:" + s3Partition(in.principal) + ":s3:::" + in.a.Bucket
	who := map[string]any{"AWS": in.principal}
	return map[string]any{
		"Version": "2012-10-17",
		"Statement": []map[string]any{
			{"Sid": "ByobBucket", "Effect": "Allow", "Principal": who, "Action": s3BucketActions, "Resource": bucketARN},
			{"Sid": "ByobObjects", "Effect": "Allow", "Principal": who, "Action": s3ObjectActions, "Resource": bucketARN + "/" + objectPrefix(in.a) + "*"},
		},
	}
}

func s3Sections(in policyInput) []policySection {
	out := []policySection{s3CORSSection(in)}
	aws := in.a.Flavor() == address.FlavorAWS
	switch {
	case !aws:
		out = append(out, section("bucket-policy", "the permissions the server's identity needs", nil, nil,
			[]string{"S3-compatible stores name principals their own way: grant the server's user the S3 actions " +
				strings.Join(append(append([]string{}, s3BucketActions...), s3ObjectActions...), ", ") + " in your store's own policy format"}))
	case in.principal == "":
		out = append(out, section("bucket-policy", "the permissions the server's identity needs", nil, nil,
			[]string{"pass --principal ARN (the role or user the server runs as) to get the bucket policy"}))
	default:
		out = append(out, section("bucket-policy", "the permissions the product documents, for the server's identity: bucket actions on the bucket, object actions on its objects"+
			map[bool]string{true: " under the sub-path", false: ""}[in.a.Path != ""],
			[]policyFile{jsonFile("bucket-policy.json", s3BucketPolicy(in))},
			[]string{preflight.AWSCommand(in.a, "put-bucket-policy") + " --policy file://bucket-policy.json"},
			[]string{"this replaces the bucket's policy: merge these statements into it if it has one (aws s3api get-bucket-policy)"}))
	}
	if aws && in.kmsKey != "" {
		out = append(out, section("encryption", "default encryption: SSE-KMS with the customer key", nil,
			[]string{preflight.S3EncryptionCommand(in.a, in.kmsKey)}, nil))
		if in.principal == "" {
			out = append(out, section("kms-key-policy", "the key permissions the server's identity needs", nil, nil,
				[]string{"pass --principal ARN to get the key policy statement"}))
		} else {
			stmt := map[string]any{"Sid": "ByobUseOfTheKey", "Effect": "Allow", "Principal": map[string]any{"AWS": in.principal},
				"Action": kmsActions, "Resource": "*"}
			out = append(out, section("kms-key-policy", "a statement for the key's policy: uploads and downloads encrypt and decrypt with the key",
				[]policyFile{jsonFile("kms-key-policy-statement.json", stmt)},
				[]string{"aws kms get-key-policy --key-id " + shellQuoteArg(in.kmsKey) + " --policy-name default --output text > key-policy.json"},
				[]string{"add the statement to the Statement list of key-policy.json, then: aws kms put-key-policy --key-id " +
					shellQuoteArg(in.kmsKey) + " --policy-name default --policy file://key-policy.json",
					"in a key policy, Resource \"*\" means the key itself"}))
		}
	}
	return append(out, s3VersioningSection(in), s3LifecycleSection(in))
}

func cwSections(in policyInput) []policySection {
	return []policySection{
		s3CORSSection(in),
		section("bucket-policy", "permissions", nil, nil, []string{
			"not printed: CoreWeave takes bucket policies through the S3 API, but byob's reference does not document its principals; grant the server's access key the S3 actions " +
				strings.Join(append(append([]string{}, s3BucketActions...), s3ObjectActions...), ", "),
			"KMS does not apply: AWS KMS keys are for AWS S3 only",
		}),
		s3VersioningSection(in),
		s3LifecycleSection(in),
	}
}

func gcsSections(in policyInput) []policySection {
	b := "gs://" + in.a.Bucket
	doc, _ := preflight.CORSDocument(in.a, in.origin)
	var cond = func(c map[string]any) map[string]any {
		if p := objectPrefix(in.a); p != "" {
			c["matchesPrefix"] = []string{p}
		}
		return c
	}
	lifecycle := map[string]any{"rule": []map[string]any{
		{"action": map[string]any{"type": "Delete"}, "condition": cond(map[string]any{"isLive": false, "daysSinceNoncurrentTime": in.noncurrentDays})},
		{"action": map[string]any{"type": "AbortIncompleteMultipartUpload"}, "condition": cond(map[string]any{"age": abortUploadDays})},
	}}
	iam := section("iam", "the product needs storage.admin to read the bucket's CORS configuration and attributes such as versioning (else HTTP 403)", nil, nil,
		[]string{"pass --principal SERVICE_ACCOUNT_EMAIL to get the command"})
	if in.principal != "" {
		iam.Commands = []string{"gcloud storage buckets add-iam-policy-binding " + b + " --member=" + shellQuoteArg("serviceAccount:"+in.principal) + " --role=roles/storage.admin"}
		iam.Notes = []string{"the role is on the whole bucket: GCS cannot limit it to the sub-path"}
	}
	return []policySection{
		section("cors", corsComment+"; GCS takes CORS from gcloud or gsutil only, not the console",
			[]policyFile{jsonFile("cors-policy.json", doc)},
			[]string{"gcloud storage buckets update " + b + " --cors-file=cors-policy.json"},
			[]string{"with gsutil instead: gsutil cors set cors-policy.json " + b, "this replaces the bucket's CORS rules: add any other rule you still need to cors-policy.json"}),
		iam,
		section("versioning", "the collector relies on object versioning or soft delete to undo a wrong delete (byob restore)", nil,
			[]string{"gcloud storage buckets update " + b + " --versioning", "gcloud storage buckets update " + b + " --soft-delete-duration=7d"},
			[]string{"either one is enough; the product's documented error without them: Bucket does not have soft deletion enabled"}),
		section("lifecycle", lifecycleComment(in), []policyFile{jsonFile("lifecycle.json", lifecycle)},
			[]string{"gcloud storage buckets update " + b + " --lifecycle-file=lifecycle.json"},
			[]string{"with gsutil instead: gsutil lifecycle set lifecycle.json " + b, "this replaces the bucket's lifecycle rules: add any other rule you still need, and none that deletes live objects"}),
	}
}

func azureSections(in policyInput) []policySection {
	acct, rg := " --account-name "+shellQuoteArg(in.a.Account), " --resource-group "+shellQuoteArg(in.resourceGroup)
	doc, _ := preflight.CORSDocument(in.a, in.origin)
	prefix := in.a.Bucket + "/" + objectPrefix(in.a)
	lifecycle := map[string]any{"rules": []map[string]any{{
		"enabled": true, "name": lifecycleRuleID, "type": "Lifecycle",
		"definition": map[string]any{
			"actions": map[string]any{"version": map[string]any{"delete": map[string]any{"daysAfterCreationGreaterThan": in.noncurrentDays}}},
			"filters": map[string]any{"blobTypes": []string{"blockBlob"}, "prefixMatch": []string{prefix}},
		},
	}}}
	return []policySection{
		section("cors", corsComment+" (and x-ms-blob-type); CORS rules are per storage account, for every container",
			[]policyFile{jsonFile("cors-rules.json", doc)},
			[]string{preflight.AzureCORSCommand(in.a, in.origin)},
			[]string{"az storage cors add appends to the account's rules; the first rule that allows a method answers it, so remove an earlier rule that does not expose ETag",
				"cors-rules.json is the same rule in ARM form (the cors property of blobServices/default), for templates"}),
		section("versioning", "the collector relies on blob soft delete (and versioning) to undo a wrong delete (byob restore)", nil,
			[]string{"az storage account blob-service-properties update" + acct + rg + " --enable-delete-retention true --delete-retention-days 7 --enable-versioning true"}, nil),
		section("lifecycle", fmt.Sprintf("delete previous blob versions %d days after they were created, never current blobs", in.noncurrentDays),
			[]policyFile{jsonFile("lifecycle.json", lifecycle)},
			[]string{"az storage account management-policy create" + acct + rg + " --policy @lifecycle.json"},
			[]string{"this replaces the account's management policy: add any other rule you still need, and none that deletes base blobs",
				"Azure has no multipart uploads to abort: it discards uncommitted blocks itself after 7 days",
				"Azure counts a version's age from its creation, not from when it stopped being current"}),
	}
}

// shellQuoteArg quotes s for a POSIX shell when it needs quoting.
func shellQuoteArg(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:=@,+%") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// writePolicyText prints the sections as a shell script a person can read
// and paste: comments, each file as a here-document, the commands.
func writePolicyText(w io.Writer, out policyOutput) error {
	var b bytes.Buffer
	fmt.Fprintf(&b, "# byob policy for %s bucket %s", out.Flavor, out.Bucket)
	if out.SubPath != "" {
		fmt.Fprintf(&b, ", sub-path %s", out.SubPath)
	}
	fmt.Fprintf(&b, ", browsers from origin %s\n", out.Origin)
	for _, s := range out.Sections {
		fmt.Fprintf(&b, "\n# == %s: %s\n", s.Name, s.Comment)
		for _, f := range s.Files {
			js, err := json.MarshalIndent(f.Content, "", "  ")
			if err != nil {
				return err
			}
			fmt.Fprintf(&b, "cat > %s <<'EOF'\n%s\nEOF\n", f.Name, js)
		}
		for _, c := range s.Commands {
			fmt.Fprintln(&b, c)
		}
		for _, n := range s.Notes {
			fmt.Fprintf(&b, "# note: %s\n", n)
		}
	}
	_, err := w.Write(b.Bytes())
	return err
}
