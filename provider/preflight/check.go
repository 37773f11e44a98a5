package preflight

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"cloud.google.com/go/storage"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/service"
	"github.com/byobkit/byob/address"
	"github.com/byobkit/byob/provider"
)

// Severity ranks a Finding. The order matters: Report.Worst returns the
// highest, and the operator's command turns it into its exit status.
type Severity int

// The severities, from best to worst.
const (
	SeverityOK      Severity = iota // the setting is what byob needs, or does not apply
	SeverityWarning                 // byob works, but something is at risk or unknown
	SeverityError                   // byob will fail, or lose data, until it is fixed
)

// String returns "ok", "warning" or "error".
func (s Severity) String() string {
	switch s {
	case SeverityOK:
		return "ok"
	case SeverityWarning:
		return "warning"
	case SeverityError:
		return "error"
	}
	return fmt.Sprintf("Severity(%d)", int(s))
}

// The names of Check's checks, in the order they run (Finding.Check).
const (
	CheckReachable  = "reachable"         // list under the sub-path with the address's credentials
	CheckReadWrite  = "read-write-delete" // write, read back and delete a probe object
	CheckCORS       = "cors"              // browser access rules
	CheckVersioning = "versioning"        // versioning or soft delete: garbage collection's safety net
	CheckEncryption = "encryption"        // default encryption with the caller's KMS key
	CheckLifecycle  = "lifecycle"         // rules that would expire run history
	CheckRegion     = "region"            // the bucket's location against the address's region
	CheckTransport  = "transport"         // credentials over plain HTTP
)

// ProbeDir is the directory, under the address's sub-path, that the
// read-write-delete check writes its probe object to and empties again.
const ProbeDir = ".byob-check"

// DefaultCORSMaxAge is the CORS max age, in seconds, that the product
// documents and that the fixes Check suggests set.
const DefaultCORSMaxAge = 3000

// Finding is the outcome of one check.
//
// A check that the provider or the credentials could not answer has
// CouldNotCheck set, Severity SeverityWarning (the setting is unknown, so
// the bucket is not known to be fine) and, when more rights would let it
// run, the missing right in Permission. Nothing in a Finding is secret.
type Finding struct {
	Check         string   // one of the Check* names
	Severity      Severity // SeverityWarning whenever CouldNotCheck
	CouldNotCheck bool     // the provider or the credentials could not answer
	Saw           string   // what the check observed
	Fix           string   // the command or policy that fixes it; "" when nothing is to be done
	Permission    string   // the permission the check needs, when it was refused or is missing
}

// Report is what Check found, one Finding per check, in the order of the
// Check* constants.
type Report struct {
	Address  string // the checked address, redacted
	Findings []Finding
}

// Options tune Check. The zero value checks for the product's defaults.
type Options struct {
	// Origin is the web origin browsers fetch from, as the server's CORS
	// rules must allow it; "" means "*" (any origin), the product's default.
	Origin string
	// KMSKeyID, when set, is the key default bucket encryption must use: an
	// AWS KMS key ARN, key ID or alias (AWS_S3_KMS_ID), or a Cloud KMS key
	// name (projects/…/cryptoKeys/…) for GCS.
	KMSKeyID string
	// BrowserMultipart says browsers run multipart uploads themselves,
	// through pre-signed create and complete URLs: the CORS rules must then
	// also allow POST with content-type on S3, CoreWeave, S3-compatible
	// stores and GCS (Azure's multipart requests are PUTs). Off by default,
	// as the product documents: multipart uploads are run by SDKs, which
	// CORS does not concern, and each part is a PUT.
	BrowserMultipart bool
	// GCEnabled says the server will run garbage collection on this bucket:
	// missing versioning or soft delete is then an error, not a warning.
	GCEnabled bool
	// Open are the options Check opens the bucket with (provider.Open);
	// Check adds provider.WithExistingDir.
	Open []provider.Option
}

// ErrCheck is what Check's errors unwrap to when the check cannot run at
// all; the cause (an *address.Error, a context error) is also in the chain.
var ErrCheck = errors.New("byob check cannot run")

// Check runs every check it can against the bucket a names and reports
// what it found: reachability, read/write/delete permissions (with a probe
// object under <sub-path>/.byob-check/ that is always removed again), CORS,
// versioning or soft delete, default encryption, lifecycle rules, region
// and transport security. Check opens the bucket with provider.Open and
// reads its settings with the native clients of the *provider.Handle it
// returns; a setting the provider or the credentials cannot answer is
// reported as could-not-check with the permission it needs.
//
// Check returns an error only when it cannot run at all: a is nil, invalid
// or a bare scheme, or ctx ends. A bucket that cannot be reached is a
// finding, not an error, and so is a check that takes longer than a minute.
// For file:// and mem:// addresses only the first two checks apply; the
// others are reported as not applicable.
func Check(ctx context.Context, a *address.Address, opts Options) (*Report, error) {
	run, err := newCheckRun(ctx, a, opts)
	if err != nil {
		return nil, err
	}
	h, openErr := run.openBucket(ctx)
	if openErr == nil {
		defer h.Close()
		run.h = h
	}
	r := &Report{Address: a.String()}
	rctx, cancel := context.WithTimeout(ctx, checkTimeout)
	reach := run.reachable(rctx, openErr)
	cancel()
	r.Findings = append(r.Findings, reach)
	for _, c := range checkTable {
		r.Findings = append(r.Findings, run.runOne(ctx, c, reach))
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCheck, err)
	}
	r.scrub(a)
	return r, nil
}

// openBucket opens the bucket with provider.Open, except that a file://
// directory must exist already: a check changes nothing but its probe, so
// a missing directory is reported (see fileOpenFinding), not created.
func (run *checkRun) openBucket(ctx context.Context) (*provider.Handle, error) {
	return provider.Open(ctx, run.a, slices.Concat(run.opts.Open, []provider.Option{provider.WithExistingDir()})...)
}

// checkFunc runs one check for one provider.
type checkFunc func(ctx context.Context, run *checkRun) Finding

// checkSpec is one row of checkTable: a check and how each provider runs
// it. A provider absent from byProvider has no such setting: the check is
// reported as not applicable, with notApplicable as the reason.
type checkSpec struct {
	name          string
	byProvider    map[address.Provider]checkFunc
	notApplicable string
	// network: the check talks to the bucket, so it cannot run when the
	// bucket could not be reached at all.
	network bool
}

// checkTable holds every check after reachability, in report order; the
// per-provider differences live here and in s3.go, gcs.go, azure.go and
// file.go.
var checkTable = []checkSpec{
	{name: CheckReadWrite, network: true, byProvider: allProviders(probeCheck)},
	{name: CheckCORS, network: true, byProvider: byAPI(s3CORS, gcsCORS, azureCORS),
		notApplicable: "browsers never reach this store"},
	{name: CheckVersioning, network: true, byProvider: byAPI(s3Versioning, gcsVersioning, azureSoftDelete),
		notApplicable: "the store keeps no versions; garbage collection has no safety net here"},
	{name: CheckEncryption, network: true, byProvider: byAPI(s3Encryption, gcsEncryption, azureEncryption),
		notApplicable: "the store has no bucket encryption settings"},
	{name: CheckLifecycle, network: true, byProvider: byAPI(s3Lifecycle, gcsLifecycle, azureLifecycle),
		notApplicable: "the store has no lifecycle rules"},
	{name: CheckRegion, network: true, byProvider: byAPI(s3Region, nil, nil),
		notApplicable: "the address carries no region"},
	{name: CheckTransport, byProvider: byAPI(transportCheck, transportCheck, transportCheck),
		notApplicable: "no network is involved"},
}

// byAPI maps each bucket store to the check for the API it speaks: S3 and
// CoreWeave (which speaks S3) run s3, GCS and Azure their own. A nil check
// leaves its stores out: the setting does not exist there.
func byAPI(s3, gcs, azure checkFunc) map[address.Provider]checkFunc {
	m := map[address.Provider]checkFunc{}
	for p, f := range map[address.Provider]checkFunc{address.S3: s3, address.CoreWeave: s3, address.GCS: gcs, address.Azure: azure} {
		if f != nil {
			m[p] = f
		}
	}
	return m
}

func allProviders(f checkFunc) map[address.Provider]checkFunc {
	m := map[address.Provider]checkFunc{}
	for _, p := range []address.Provider{address.S3, address.CoreWeave, address.GCS, address.Azure, address.File, address.Mem} {
		m[p] = f
	}
	return m
}

// runOne runs one row of checkTable, given the reachability finding.
func (run *checkRun) runOne(ctx context.Context, c checkSpec, reach Finding) Finding {
	f, ok := c.byProvider[run.a.Provider]
	switch {
	case !ok:
		return notApplicable(c.name, c.notApplicable)
	case c.network && run.h == nil:
		return couldNotCheck(c.name, "skipped: the bucket could not be opened (see "+CheckReachable+")", "", "")
	case c.network && c.name != CheckRegion && !run.reached && reach.Permission == "":
		// Unreachable for another reason than a refused permission: every
		// request would fail the same way. The region check still runs, as
		// a wrong region is a common cause.
		return couldNotCheck(c.name, "skipped: the bucket is not reachable (see "+CheckReachable+")", "", "")
	}
	ctx, cancel := context.WithTimeout(ctx, checkTimeout)
	defer cancel()
	return f(ctx, run)
}

// checkTimeout bounds each check, so that a server that accepts
// connections and never answers yields a finding instead of a hang.
const checkTimeout = time.Minute

// checkRun is the state of one Check call, shared by its checks.
type checkRun struct {
	a       *address.Address
	opts    Options
	h       *provider.Handle // the opened bucket and its native clients; nil when Open failed
	reached bool             // the reachability check passed
	// signedBy names the check whose requests, signed for region, all
	// succeeded (CheckReadWrite, else CheckReachable); "" when none did.
	signedBy string

	gcs   memo[*storage.BucketAttrs]             // bucket attributes, fetched once
	azure memo[service.StorageServiceProperties] // account blob service properties, fetched once
}

func newCheckRun(ctx context.Context, a *address.Address, opts Options) (*checkRun, error) {
	if a == nil {
		return nil, fmt.Errorf("%w: no address", ErrCheck)
	}
	if a.IsBare() {
		return nil, fmt.Errorf("%w: %q names no bucket", ErrCheck, a.String())
	}
	// Round-tripping validates an Address built by hand as strictly as one
	// parsed from text; the error names the field and never a secret.
	if _, err := address.Parse(a.URL()); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCheck, err)
	}
	// A region that cannot be resolved makes the address unusable, not the
	// bucket unreachable: an error, as an invalid address is.
	if _, err := a.ResolveRegion(provider.Collect(opts.Open...).DefaultRegion); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCheck, err)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCheck, err)
	}
	if opts.Origin == "" {
		opts.Origin = "*"
	}
	return &checkRun{a: a, opts: opts}, nil
}

// memo holds a value fetched once per Check, with its error.
type memo[T any] struct {
	done bool
	v    T
	err  error
}

func (m *memo[T]) get(fetch func() (T, error)) (T, error) {
	if !m.done {
		m.v, m.err = fetch()
		m.done = true
	}
	return m.v, m.err
}

// Finding constructors.

func okFinding(check, saw string) Finding {
	return Finding{Check: check, Severity: SeverityOK, Saw: saw}
}

func notApplicable(check, why string) Finding {
	return okFinding(check, "not applicable: "+why)
}

func warnFinding(check, saw, fix string) Finding {
	return Finding{Check: check, Severity: SeverityWarning, Saw: saw, Fix: fix}
}

func errFinding(check, saw, fix string) Finding {
	return Finding{Check: check, Severity: SeverityError, Saw: saw, Fix: fix}
}

func couldNotCheck(check, saw, permission, fix string) Finding {
	return Finding{Check: check, Severity: SeverityWarning, CouldNotCheck: true, Saw: saw, Permission: permission, Fix: fix}
}
