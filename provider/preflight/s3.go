package preflight

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/byobkit/byob/address"
)

// The S3 checks (AWS, S3-compatible stores, CoreWeave) read the bucket's
// settings with the handle's native client.

func (run *checkRun) s3Client() (*s3.Client, error) {
	if run.h == nil || run.h.S3() == nil {
		return nil, errNoNativeClient
	}
	return run.h.S3(), nil
}

// s3Check runs body with the native client, or reports why it cannot.
func s3Check(check string, body func(ctx context.Context, run *checkRun, c *s3.Client) Finding) checkFunc {
	return func(ctx context.Context, run *checkRun) Finding {
		c, err := run.s3Client()
		if err != nil {
			return couldNotCheck(check, err.Error(), "", "")
		}
		return body(ctx, run, c)
	}
}

var s3CORS = s3Check(CheckCORS, func(ctx context.Context, run *checkRun, c *s3.Client) Finding {
	out, err := c.GetBucketCors(ctx, &s3.GetBucketCorsInput{Bucket: aws.String(run.a.Bucket)})
	var rules []types.CORSRule
	switch {
	case apiErrorCode(err) == "NoSuchCORSConfiguration":
	case err != nil:
		return unanswered(CheckCORS, "GetBucketCors", "s3:GetBucketCORS", err)
	default:
		rules = out.CORSRules
	}
	needs, d := run.corsNeeds()
	problems, saw := evalCORS(s3CORSRules(rules), run.opts.Origin, needs, d)
	return corsFinding(problems, saw, s3CORSFix(run.a, run.opts.Origin, corsMethods(needs), len(rules) > 0))
})

// s3CORSRules converts S3's CORS rules.
func s3CORSRules(in []types.CORSRule) []corsRule {
	out := make([]corsRule, len(in))
	for i, r := range in {
		out[i] = corsRule{Origins: r.AllowedOrigins, Methods: r.AllowedMethods, Headers: r.AllowedHeaders, Expose: r.ExposeHeaders, MaxAge: int(aws.ToInt32(r.MaxAgeSeconds))}
	}
	return out
}

// s3CORSFix is the command that sets the CORS rule byob needs: methods
// from origin, with any request header (AllowedHeaders *, the product's
// documented policy), exposing ETag.
func s3CORSFix(a *address.Address, origin string, methods []string, replacing bool) string {
	policy := s3CORSDocument(origin, methods)
	js, _ := json.Marshal(policy)
	fix := awsCLI(a, "put-bucket-cors") + " --cors-configuration " + shellQuote(string(js))
	if replacing {
		fix += "\n(this replaces the bucket's CORS rules: add any other rule you still need to the list)"
	}
	return fix
}

var s3Versioning = s3Check(CheckVersioning, func(ctx context.Context, run *checkRun, c *s3.Client) Finding {
	out, err := c.GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: aws.String(run.a.Bucket)})
	if err != nil {
		return unanswered(CheckVersioning, "GetBucketVersioning", "s3:GetBucketVersioning", err)
	}
	fix := awsCLI(run.a, "put-bucket-versioning") + " --versioning-configuration Status=Enabled"
	return versioningFinding(out.Status == types.BucketVersioningStatusEnabled, s3VersioningSaw(out.Status), fix, run.opts.GCEnabled)
})

func s3VersioningSaw(s types.BucketVersioningStatus) string {
	if s == "" {
		return "versioning has never been enabled"
	}
	return "versioning is " + strings.ToLower(string(s))
}

// versioningFinding is the versioning check's verdict: off is an error
// when garbage collection is on, a warning otherwise.
func versioningFinding(on bool, saw, fix string, gc bool) Finding {
	switch {
	case on:
		return okFinding(CheckVersioning, saw)
	case gc:
		return errFinding(CheckVersioning, saw+"; garbage collection is on and relies on it to undo a wrong delete", fix)
	}
	return warnFinding(CheckVersioning, saw+"; garbage collection needs it as a safety net before it can be turned on", fix)
}

var s3Encryption = s3Check(CheckEncryption, func(ctx context.Context, run *checkRun, c *s3.Client) Finding {
	want := run.opts.KMSKeyID
	if want == "" {
		return okFinding(CheckEncryption, "not required: no KMS key named")
	}
	fix := s3EncryptionFix(run.a, want)
	out, err := c.GetBucketEncryption(ctx, &s3.GetBucketEncryptionInput{Bucket: aws.String(run.a.Bucket)})
	switch {
	case apiErrorCode(err) == "ServerSideEncryptionConfigurationNotFoundError":
		return errFinding(CheckEncryption, "the bucket has no default encryption; it must be SSE-KMS with "+want, fix)
	case err != nil:
		return unanswered(CheckEncryption, "GetBucketEncryption", "s3:GetEncryptionConfiguration", err)
	}
	var rules []types.ServerSideEncryptionRule
	if out.ServerSideEncryptionConfiguration != nil {
		rules = out.ServerSideEncryptionConfiguration.Rules
	}
	if ok, saw := s3EncryptionMatches(rules, want); !ok {
		return errFinding(CheckEncryption, saw, fix)
	}
	return okFinding(CheckEncryption, "default encryption is SSE-KMS with "+want)
})

// s3EncryptionMatches reports whether default encryption is SSE-KMS with
// the key want, and otherwise what it is.
func s3EncryptionMatches(rules []types.ServerSideEncryptionRule, want string) (bool, string) {
	for _, r := range rules {
		d := r.ApplyServerSideEncryptionByDefault
		if d == nil {
			continue
		}
		alg := string(d.SSEAlgorithm)
		got := aws.ToString(d.KMSMasterKeyID)
		switch {
		case alg != string(types.ServerSideEncryptionAwsKms) && alg != string(types.ServerSideEncryptionAwsKmsDsse):
			return false, "default encryption is " + alg + ", not SSE-KMS with " + want
		case got == "":
			return false, "default encryption is SSE-KMS with the AWS managed key, not " + want
		case !kmsKeyMatches(want, got):
			return false, "default encryption is SSE-KMS with " + got + ", not " + want
		}
		return true, ""
	}
	return false, "the bucket has no default encryption; it must be SSE-KMS with " + want
}

// kmsKeyMatches compares AWS KMS key references: the same ARN, key ID or
// alias, or an ARN and the ID or alias it ends in.
func kmsKeyMatches(want, got string) bool {
	tail := func(k string) string {
		if strings.HasPrefix(k, "arn:") {
			if parts := strings.SplitN(k, ":", 6); len(parts) == 6 {
				return parts[5] // key/<id> or alias/<name>
			}
		}
		if strings.HasPrefix(k, "alias/") {
			return k
		}
		return "key/" + k
	}
	return want == got || tail(want) == tail(got)
}

func s3EncryptionFix(a *address.Address, key string) string {
	js, _ := json.Marshal(map[string]any{"Rules": []map[string]any{{
		"ApplyServerSideEncryptionByDefault": map[string]string{"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key},
		"BucketKeyEnabled":                   true,
	}}})
	return awsCLI(a, "put-bucket-encryption") + " --server-side-encryption-configuration " + shellQuote(string(js))
}

var s3Lifecycle = s3Check(CheckLifecycle, func(ctx context.Context, run *checkRun, c *s3.Client) Finding {
	out, err := c.GetBucketLifecycleConfiguration(ctx, &s3.GetBucketLifecycleConfigurationInput{Bucket: aws.String(run.a.Bucket)})
	switch {
	case apiErrorCode(err) == "NoSuchLifecycleConfiguration":
		return okFinding(CheckLifecycle, "no lifecycle rules")
	case err != nil:
		return unanswered(CheckLifecycle, "GetBucketLifecycleConfiguration", "s3:GetLifecycleConfiguration", err)
	}
	bad := s3ExpiringRules(out.Rules, run.a.Path)
	if len(bad) == 0 {
		return okFinding(CheckLifecycle, fmt.Sprintf("%d lifecycle %s; none expires current objects under the sub-path", len(out.Rules), plural(len(out.Rules), "rule")))
	}
	var fix string
	if len(bad) == len(out.Rules) {
		fix = awsCLI(run.a, "delete-bucket-lifecycle")
	} else {
		fix = awsCLI(run.a, "get-bucket-lifecycle-configuration") + " > lifecycle.json\n" +
			"remove those rules from lifecycle.json (or narrow their filters), then\n" +
			awsCLI(run.a, "put-bucket-lifecycle-configuration") + " --lifecycle-configuration file://lifecycle.json"
	}
	return lifecycleFinding(bad, fix)
})

// s3ExpiringRules describes the enabled rules that expire current objects
// under subPath.
func s3ExpiringRules(rules []types.LifecycleRule, subPath string) []string {
	var bad []string
	for i, r := range rules {
		e := r.Expiration
		if r.Status != types.ExpirationStatusEnabled || e == nil || (aws.ToInt32(e.Days) <= 0 && e.Date == nil) {
			continue
		}
		prefix := s3RulePrefix(r)
		if !prefixesOverlap(prefix, subPath) {
			continue
		}
		when := fmt.Sprintf("after %d days", aws.ToInt32(e.Days))
		if e.Date != nil {
			when = "on " + e.Date.Format("2006-01-02")
		}
		bad = append(bad, fmt.Sprintf("rule %s expires objects under %s %s", ruleName(aws.ToString(r.ID), i), quote(prefix), when))
	}
	return bad
}

func s3RulePrefix(r types.LifecycleRule) string {
	switch f := r.Filter; {
	case f != nil && f.Prefix != nil:
		return *f.Prefix
	case f != nil && f.And != nil:
		return aws.ToString(f.And.Prefix)
	}
	//lint:ignore SA1019 deprecated, but rules written before Filter still carry it
	return aws.ToString(r.Prefix)
}

var s3Region = s3Check(CheckRegion, func(ctx context.Context, run *checkRun, c *s3.Client) Finding {
	out, err := c.GetBucketLocation(ctx, &s3.GetBucketLocationInput{Bucket: aws.String(run.a.Bucket)})
	if err != nil {
		if r := s3ExpectedRegion(err); r != "" {
			return regionFinding(run.a, run.h.Region(), r, "the server expects requests signed for region "+r, run.signedBy)
		}
		return unanswered(CheckRegion, "GetBucketLocation", "s3:GetBucketLocation", err)
	}
	actual := s3LocationRegion(string(out.LocationConstraint))
	return regionFinding(run.a, run.h.Region(), actual, "the bucket is in "+actual, run.signedBy)
})

// s3LocationRegion turns a GetBucketLocation answer into a region: AWS
// answers "" for us-east-1 and "EU" for eu-west-1.
func s3LocationRegion(loc string) string {
	switch loc {
	case "":
		return "us-east-1"
	case "EU":
		return "eu-west-1"
	}
	return loc
}

var expectingRegion = regexp.MustCompile(`(?i)\bexpecting ['"]?([a-z0-9-]+)['"]?`)

// s3ExpectedRegion returns the region a refused request should have been
// signed for, when the answer says: AWS's x-amz-bucket-region header, or
// the "expecting <region>" of an AuthorizationHeaderMalformed error.
func s3ExpectedRegion(err error) string {
	var re *smithyhttp.ResponseError
	if errors.As(err, &re) && re.Response != nil {
		if r := re.Response.Header.Get("x-amz-bucket-region"); r != "" {
			return r
		}
	}
	if apiErrorCode(err) != "AuthorizationHeaderMalformed" {
		return ""
	}
	if m := expectingRegion.FindStringSubmatch(errText(err)); m != nil {
		return m[1]
	}
	return ""
}

// s3Purge removes the probe's remaining versions and delete markers.
func (run *checkRun) s3Purge(ctx context.Context, fullKey string) purgeResult {
	c, err := run.s3Client()
	if err != nil {
		return purgeResult{}
	}
	bucket := aws.String(run.a.Bucket)
	out, err := c.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: bucket, Prefix: aws.String(fullKey)})
	switch checkErrKindOf(err) {
	case kindUnsupported:
		return purgeResult{} // a store without version listing keeps no versions
	case kindDenied:
		return purgeResult{Left: "its old versions could not be listed (" + errText(err) + ")", Permission: "s3:ListBucketVersions"}
	}
	if err != nil {
		return purgeResult{Left: "its old versions could not be listed (" + errText(err) + ")"}
	}
	type ver struct{ key, id *string }
	var vs []ver
	for _, v := range out.Versions {
		vs = append(vs, ver{v.Key, v.VersionId})
	}
	for _, m := range out.DeleteMarkers {
		vs = append(vs, ver{m.Key, m.VersionId})
	}
	left := 0
	var lastErr error
	for _, v := range vs {
		if aws.ToString(v.key) != fullKey {
			continue
		}
		if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: bucket, Key: v.key, VersionId: v.id}); err != nil {
			left++
			lastErr = err
		}
	}
	if left == 0 {
		return purgeResult{}
	}
	return purgeResult{
		Left:       remainText(left, "version") + " (" + errText(lastErr) + ")",
		Permission: permIfDenied(lastErr, "s3:DeleteObjectVersion"),
	}
}

// awsCLI starts an "aws s3api" command for the bucket, with the flags that
// reach its endpoint.
func awsCLI(a *address.Address, op string) string {
	s := "aws s3api " + op + " --bucket " + shellQuote(a.Bucket)
	if a.Flavor() == address.FlavorAWS && a.Endpoint == "" {
		if a.Region != "" {
			s += " --region " + shellQuote(a.Region)
		}
		return s
	}
	return s + " --endpoint-url " + shellQuote(a.EndpointURL())
}
