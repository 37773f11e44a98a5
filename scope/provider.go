package scope

// Integration point with the provider package: the registry itself only
// knows OpenFunc and CheckFunc; these adapters back them with provider.Open
// and preflight.Check. Data flows address → provider → scope: the provider
// package never imports this one.

import (
	"context"
	"strings"

	"github.com/byobkit/byob/address"
	"github.com/byobkit/byob/provider"
	"github.com/byobkit/byob/provider/preflight"
)

// ProviderOpen returns an OpenFunc backed by provider.Open with opts: the
// bucket an address names, rooted at its sub-path.
func ProviderOpen(opts ...provider.Option) OpenFunc {
	return func(ctx context.Context, a *address.Address) (*provider.Handle, error) {
		return provider.Open(ctx, a, opts...)
	}
}

// ProviderCheck returns a CheckFunc backed by preflight.Check with opts.
// Findings of severity error make it fail with a *CheckReportError holding
// the report; findings of severity warning (including checks that could not
// run) become warnings, one line each. An error from preflight.Check itself
// (it could not run at all) is returned as it is.
func ProviderCheck(opts preflight.Options) CheckFunc {
	return func(ctx context.Context, a *address.Address) ([]string, error) {
		r, err := preflight.Check(ctx, a, opts)
		if err != nil {
			return nil, err
		}
		var warnings []string
		for _, f := range r.Findings {
			if f.Severity == preflight.SeverityWarning {
				warnings = append(warnings, findingLine(f))
			}
		}
		if r.Worst() >= preflight.SeverityError {
			return warnings, &CheckReportError{Report: r}
		}
		return warnings, nil
	}
}

// CheckReportError is ProviderCheck's error: the bucket check found errors.
// Report is the whole report (redacted), for display.
type CheckReportError struct {
	Report *preflight.Report
}

// Error lists the findings of severity error, with their fixes.
func (e *CheckReportError) Error() string {
	var lines []string
	for _, f := range e.Report.Findings {
		if f.Severity >= preflight.SeverityError {
			lines = append(lines, findingLine(f))
		}
	}
	return "bucket check of " + e.Report.Address + " found errors: " + strings.Join(lines, "; ")
}

// findingLine prints one finding on one line: check, status, what it saw,
// the permission it needs and the fix.
func findingLine(f preflight.Finding) string {
	s := f.Check + ": " + f.Label() + ": " + f.Saw
	if f.Permission != "" {
		s += " (needs " + f.Permission + ")"
	}
	if f.Fix != "" {
		s += " (fix: " + f.Fix + ")"
	}
	return strings.Join(strings.Fields(s), " ")
}
