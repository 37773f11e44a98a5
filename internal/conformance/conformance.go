// Package conformance is the cross-provider test suite for the buckets
// provider.Open returns: the same cases run against every provider, in the
// manner of gocloud's drivertest or rclone's fstests.
//
// A provider's test describes its bucket with a Harness and calls Run. The
// cases check what byob relies on whatever the store: keys are relative to
// the address's sub-path and never reach outside it, listings are in
// lexicographic order, a missing object is gcerrors.NotFound, large
// multi-part uploads arrive intact, and a refused credential is
// gcerrors.PermissionDenied, not NotFound, with no secret in the error.
//
// A case that fails on a provider because of a known bug in a dependency
// is listed in Harness.KnownIssues: it still runs, is reported as skipped
// with the reason and what failed, and fails the day it passes, so the
// entry is removed when the bug is fixed.
package conformance

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"testing"

	"gocloud.dev/blob"
	"gocloud.dev/gcerrors"
)

// Harness describes one bucket under test.
type Harness struct {
	// Open returns a new handle on the bucket under test, rooted at the
	// sub-path Prefix names. Run closes it.
	Open func(t *testing.T) *blob.Bucket

	// OpenUnrooted returns a new handle on the same bucket without the
	// sub-path: keys are full object names. Run uses it to see where the
	// rooted bucket's objects really land. Run closes it.
	OpenUnrooted func(t *testing.T) *blob.Bucket

	// Prefix is what the rooted bucket puts in front of every key:
	// "<sub-path>/", or "" when the address has none.
	Prefix string

	// OpenWrongCredentials returns a handle on the same bucket opened with
	// a credential the service refuses. nil skips the wrong-credential
	// cases, with WrongCredentialsSkip as the reason (a provider without
	// credentials, an emulator that checks none).
	OpenWrongCredentials func(t *testing.T) *blob.Bucket
	WrongCredentialsSkip string

	// Secrets must not appear in the text of any error the cases see (the
	// right and the wrong secret, in every encoding an SDK might print).
	Secrets []string

	// LargeSize is the size of the multi-part upload case, PartSize its
	// part (buffer) size. Zero means 12 MiB in 5 MiB parts: S3's smallest
	// part, so the upload takes three parts.
	LargeSize, PartSize int

	// Code classifies errors for the checks on error kinds; nil means
	// gcerrors.Code. Pass provider.Code to test byob's classification,
	// which refines what a driver leaves Unknown.
	Code func(error) gcerrors.ErrorCode

	// KnownIssues maps a case name (see CaseNames) to the known bug that
	// makes it fail on this provider. Such a case runs with its failures
	// captured: the test is skipped with the reason and the failures, or
	// fails if the case passed, so that a fixed bug is noticed.
	KnownIssues map[string]string
}

// T is the part of *testing.T the cases use, so that a known-issue case can
// run with its failures captured.
type T interface {
	Helper()
	Errorf(format string, args ...any)
	Fatalf(format string, args ...any)
	Skip(args ...any)
	Logf(format string, args ...any)
	Cleanup(func())
	Context() context.Context
}

// Run runs every case against the bucket h describes, each as a subtest.
// Cases use distinct keys, so they run one after the other on one bucket
// without cleaning it in between; the bucket must not be written by anyone
// else meanwhile, since escape checks compare whole listings.
func Run(t *testing.T, h Harness) {
	t.Helper()
	if h.LargeSize == 0 {
		h.LargeSize = 12 << 20
	}
	if h.PartSize == 0 {
		h.PartSize = 5 << 20
	}
	if h.Code == nil {
		h.Code = gcerrors.Code
	}
	for name := range h.KnownIssues {
		if !isCase(name) {
			t.Errorf("KnownIssues names %q, which is not a case (cases: %s)", name, strings.Join(CaseNames(), ", "))
		}
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if reason, ok := h.KnownIssues[c.name]; ok {
				runKnownIssue(t, &h, c.run, reason)
				return
			}
			defer failOnPanic(t)
			c.run(&caseT{T: t}, &h)
		})
	}
}

// CaseNames returns the names of the cases, in the order Run runs them.
func CaseNames() []string {
	var names []string
	for _, c := range cases {
		names = append(names, c.name)
	}
	return names
}

func isCase(name string) bool {
	for _, c := range cases {
		if c.name == name {
			return true
		}
	}
	return false
}

var cases = []struct {
	name string
	run  func(t *caseT, h *Harness)
}{
	{"RoundTripIsRelativeToSubPath", testRoundTrip},
	{"AttributesRoundTrip", testAttributes},
	{"MissingObjectIsNotFound", testNotFound},
	{"ListIsLexicographic", testListOrder},
	{"ListWithDelimiter", testListDelimiter},
	{"ListPagesInOrder", testListPages},
	{"ListStaysInsideSubPath", testListInside},
	{"KeysNeverEscapeSubPath", testEscape},
	{"CopyStaysInsideSubPath", testCopy},
	{"WriteIfNotExistKeepsExisting", testIfNotExist},
	{"LargeMultipartUpload", testLarge},
	{"WrongCredentialsReadIsPermissionDenied", testWrongCredentialsRead},
	{"WrongCredentialsWriteIsPermissionDenied", testWrongCredentialsWrite},
}

// caseT is what a case gets: its T, and the *testing.T behind it for the
// harness's callbacks.
type caseT struct {
	T
	real *testing.T
}

// testingT returns the *testing.T behind t.
func (t *caseT) testingT() *testing.T {
	if t.real != nil {
		return t.real
	}
	return t.T.(*testing.T)
}

// runKnownIssue runs a case whose failure is expected, capturing its
// failures in a recorder on its own goroutine (so Fatalf can stop the case
// without stopping the test).
func runKnownIssue(t *testing.T, h *Harness, run func(*caseT, *Harness), reason string) {
	rec := &recorder{T: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer func() {
			if r := recover(); r != nil {
				rec.fail(fmt.Sprintf("panic: %v", r))
			}
		}()
		run(&caseT{T: rec, real: t}, h)
	}()
	<-done
	switch {
	case rec.skipped != "":
		t.Skip(rec.skipped)
	case len(rec.failures) == 0:
		t.Errorf("known issue no longer reproduces; remove it from KnownIssues: %s", reason)
	default:
		t.Skipf("known issue: %s\nwhat failed:\n  %s", reason, strings.Join(rec.failures, "\n  "))
	}
}

// recorder captures a case's failures instead of reporting them.
type recorder struct {
	*testing.T
	mu       sync.Mutex
	failures []string
	skipped  string
}

func (r *recorder) fail(msg string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failures = append(r.failures, msg)
}

func (r *recorder) Errorf(format string, args ...any) { r.fail(fmt.Sprintf(format, args...)) }

func (r *recorder) Fatalf(format string, args ...any) {
	r.fail(fmt.Sprintf(format, args...))
	runtime.Goexit()
}

func (r *recorder) Skip(args ...any) {
	r.skipped = fmt.Sprint(args...)
	runtime.Goexit()
}

// failOnPanic turns a panic in a case (a driver bug) into a failure of that
// case, so the other cases and providers still run and report.
func failOnPanic(t *testing.T) {
	if r := recover(); r != nil {
		t.Errorf("panic (a bug in the driver or the SDK): %v\n%s", r, debug.Stack())
	}
}

// open returns the rooted bucket, closed at the end of the test.
func (h *Harness) open(t *caseT) *blob.Bucket {
	t.Helper()
	return closing(t, h.Open(t.testingT()))
}

// unrooted returns the unrooted bucket, closed at the end of the test.
func (h *Harness) unrooted(t *caseT) *blob.Bucket {
	t.Helper()
	return closing(t, h.OpenUnrooted(t.testingT()))
}

func closing(t T, b *blob.Bucket) *blob.Bucket {
	t.Helper()
	t.Cleanup(func() {
		if err := b.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return b
}

func ctxFor(t T) context.Context { return t.Context() }
