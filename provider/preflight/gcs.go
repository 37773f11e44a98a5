package preflight

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"cloud.google.com/go/storage"
	"github.com/byobkit/byob/address"
	"github.com/byobkit/byob/provider"
	"gocloud.dev/gcerrors"
	"google.golang.org/api/iterator"
)

// The GCS checks read the bucket's attributes once, with the handle's
// native client; every setting is in them.

// gcsBucketPerm is the IAM permission that reads bucket attributes.
const gcsBucketPerm = "storage.buckets.get"

func (run *checkRun) gcsClient() (*storage.Client, error) {
	if run.h == nil || run.h.GCS() == nil {
		return nil, errNoNativeClient
	}
	return run.h.GCS(), nil
}

func (run *checkRun) gcsAttrs(ctx context.Context) (*storage.BucketAttrs, error) {
	return run.gcs.get(func() (*storage.BucketAttrs, error) {
		c, err := run.gcsClient()
		if err != nil {
			return nil, err
		}
		return c.Bucket(run.a.Bucket).Attrs(ctx)
	})
}

// gcsCheck runs verdict on the bucket's attributes, or reports why they
// could not be read.
func gcsCheck(check string, verdict func(run *checkRun, attrs *storage.BucketAttrs) Finding) checkFunc {
	return func(ctx context.Context, run *checkRun) Finding {
		attrs, err := run.gcsAttrs(ctx)
		if err == errNoNativeClient {
			return couldNotCheck(check, err.Error(), "", "")
		}
		if err != nil {
			return unanswered(check, "reading the bucket's attributes", gcsBucketPerm, err)
		}
		return verdict(run, attrs)
	}
}

var gcsCORS = gcsCheck(CheckCORS, func(run *checkRun, attrs *storage.BucketAttrs) Finding {
	needs, _ := run.corsNeeds()
	return gcsCORSFinding(attrs, run.a.Bucket, run.opts.Origin, needs)
})

// gcsCORSFinding is the CORS verdict on recorded bucket attributes.
func gcsCORSFinding(attrs *storage.BucketAttrs, bucket, origin string, needs []corsNeed) Finding {
	problems, saw := evalCORS(gcsCORSRules(attrs.CORS), origin, needs, corsDialects[address.GCS])
	return corsFinding(problems, saw, gcsCORSFix(bucket, origin, needs, len(attrs.CORS) > 0))
}

func gcsCORSRules(in []storage.CORS) []corsRule {
	out := make([]corsRule, len(in))
	for i, r := range in {
		// responseHeader both allows request headers and exposes
		// response headers.
		out[i] = corsRule{Origins: r.Origins, Methods: r.Methods, Headers: r.ResponseHeaders, Expose: r.ResponseHeaders, MaxAge: int(r.MaxAge / time.Second)}
	}
	return out
}

// gcsCORSFix sets byob's CORS policy; GCS takes it only from gsutil or
// gcloud, not from the console. responseHeader names every request header
// byob's URLs send, and ETag.
func gcsCORSFix(bucket, origin string, needs []corsNeed, replacing bool) string {
	js, _ := json.Marshal(gcsCORSDocument(origin, needs))
	fix := "echo " + shellQuote(string(js)) + " > cors-policy.json\ngsutil cors set cors-policy.json gs://" + bucket
	if replacing {
		fix += "\n(this replaces the bucket's CORS rules: add any other rule you still need to the list)"
	}
	return fix
}

var gcsVersioning = gcsCheck(CheckVersioning, func(run *checkRun, attrs *storage.BucketAttrs) Finding {
	return gcsVersioningFinding(attrs, run.a.Bucket, run.opts.GCEnabled)
})

// gcsVersioningFinding: either object versioning or a soft-delete policy
// lets a wrongly deleted object be restored.
func gcsVersioningFinding(attrs *storage.BucketAttrs, bucket string, gc bool) Finding {
	var soft time.Duration
	if attrs.SoftDeletePolicy != nil {
		soft = attrs.SoftDeletePolicy.RetentionDuration
	}
	var saw string
	switch {
	case attrs.VersioningEnabled && soft > 0:
		saw = fmt.Sprintf("object versioning is on; soft delete keeps deleted objects %s", days(soft))
	case attrs.VersioningEnabled:
		saw = "object versioning is on"
	case soft > 0:
		saw = fmt.Sprintf("object versioning is off; soft delete keeps deleted objects %s", days(soft))
	default:
		saw = "object versioning is off and there is no soft-delete policy"
	}
	fix := "gsutil versioning set on gs://" + bucket +
		"\nor keep deleted objects 7 days: gcloud storage buckets update gs://" + bucket + " --soft-delete-duration=7d"
	return versioningFinding(attrs.VersioningEnabled || soft > 0, saw, fix, gc)
}

func days(d time.Duration) string {
	if d%(24*time.Hour) == 0 {
		n := int(d / (24 * time.Hour))
		return fmt.Sprintf("%d %s", n, plural(n, "day"))
	}
	return d.String()
}

var gcsEncryption = gcsCheck(CheckEncryption, func(run *checkRun, attrs *storage.BucketAttrs) Finding {
	return gcsEncryptionFinding(attrs, run.a.Bucket, run.opts.KMSKeyID)
})

func gcsEncryptionFinding(attrs *storage.BucketAttrs, bucket, want string) Finding {
	if want == "" {
		return okFinding(CheckEncryption, "not required: no KMS key named (Google-managed encryption)")
	}
	fix := "gsutil kms encryption -k " + shellQuote(want) + " gs://" + bucket
	got := ""
	if attrs.Encryption != nil {
		got = attrs.Encryption.DefaultKMSKeyName
	}
	switch {
	case got == "":
		return errFinding(CheckEncryption, "the bucket uses Google-managed encryption, not the key "+want, fix)
	case got != want:
		return errFinding(CheckEncryption, "the bucket's default key is "+got+", not "+want, fix)
	}
	return okFinding(CheckEncryption, "default encryption uses "+want)
}

var gcsLifecycle = gcsCheck(CheckLifecycle, func(run *checkRun, attrs *storage.BucketAttrs) Finding {
	return gcsLifecycleFinding(attrs, run.a.Bucket, run.a.Path)
})

func gcsLifecycleFinding(attrs *storage.BucketAttrs, bucket, subPath string) Finding {
	rules := attrs.Lifecycle.Rules
	bad := gcsExpiringRules(rules, subPath)
	if len(bad) == 0 {
		return okFinding(CheckLifecycle, fmt.Sprintf("%d lifecycle %s; none deletes live objects under the sub-path", len(rules), plural(len(rules), "rule")))
	}
	fix := "gcloud storage buckets update gs://" + bucket + " --clear-lifecycle"
	if len(bad) < len(rules) {
		fix = "gsutil lifecycle get gs://" + bucket + " > lifecycle.json\n" +
			"remove those rules from lifecycle.json (or narrow their conditions), then\n" +
			"gsutil lifecycle set lifecycle.json gs://" + bucket
	}
	return lifecycleFinding(bad, fix)
}

// gcsExpiringRules describes the Delete rules that can reach live objects
// under subPath. Rules only for noncurrent versions (Liveness Archived,
// NumNewerVersions, noncurrent times) keep run history safe.
func gcsExpiringRules(rules []storage.LifecycleRule, subPath string) []string {
	var bad []string
	for i, r := range rules {
		c := r.Condition
		if r.Action.Type != storage.DeleteAction || c.Liveness == storage.Archived ||
			c.NumNewerVersions > 0 || c.DaysSinceNoncurrentTime > 0 || !c.NoncurrentTimeBefore.IsZero() {
			continue
		}
		prefixes := c.MatchesPrefix
		if len(prefixes) == 0 {
			prefixes = []string{""}
		}
		var hit []string
		for _, p := range prefixes {
			if prefixesOverlap(p, subPath) {
				hit = append(hit, quote(p))
			}
		}
		if len(hit) == 0 {
			continue
		}
		when := "unconditionally"
		switch {
		case c.AgeInDays > 0:
			when = fmt.Sprintf("after %d days", c.AgeInDays)
		case !c.CreatedBefore.IsZero():
			when = "created before " + c.CreatedBefore.Format("2006-01-02")
		case c.DaysSinceCustomTime > 0 || !c.CustomTimeBefore.IsZero():
			when = "by custom time"
		}
		bad = append(bad, fmt.Sprintf("rule %s deletes objects under %s %s", ruleName("", i), strings.Join(hit, ", "), when))
	}
	return bad
}

// gcsPurge removes the probe's noncurrent generations, which versioning
// keeps after a delete. Soft-deleted copies cannot be removed early.
func (run *checkRun) gcsPurge(ctx context.Context, fullKey string) purgeResult {
	c, err := run.gcsClient()
	if err != nil {
		return purgeResult{}
	}
	b := c.Bucket(run.a.Bucket)
	it := b.Objects(ctx, &storage.Query{Prefix: fullKey, Versions: true})
	left := 0
	var lastErr error
	for {
		o, err := it.Next()
		if err == iterator.Done {
			break
		}
		if err != nil {
			return purgeResult{Left: "its old generations could not be listed (" + errText(err) + ")", Permission: permIfDenied(err, "storage.objects.list")}
		}
		if o.Name != fullKey {
			continue
		}
		if err := b.Object(o.Name).Generation(o.Generation).Delete(ctx); err != nil && provider.Code(err) != gcerrors.NotFound {
			left++
			lastErr = err
		}
	}
	if left == 0 {
		return purgeResult{}
	}
	return purgeResult{
		Left:       remainText(left, "generation") + " (" + errText(lastErr) + ")",
		Permission: permIfDenied(lastErr, "storage.objects.delete"),
	}
}
