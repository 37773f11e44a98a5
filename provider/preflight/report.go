package preflight

import (
	"fmt"
	"io"
	"strings"

	"github.com/byobkit/byob/address"
	"github.com/byobkit/byob/provider"
)

// Worst returns the highest severity among the findings; SeverityOK for an
// empty report.
func (r *Report) Worst() Severity {
	w := SeverityOK
	for _, f := range r.Findings {
		w = max(w, f.Severity)
	}
	return w
}

// Finding returns the finding of the named check, and whether there is one.
func (r *Report) Finding(check string) (Finding, bool) {
	for _, f := range r.Findings {
		if f.Check == check {
			return f, true
		}
	}
	return Finding{}, false
}

// Label is how the finding's status is printed: "ok", "warning", "error" or
// "could not check".
func (f Finding) Label() string {
	if f.CouldNotCheck {
		return "could not check"
	}
	return f.Severity.String()
}

// String returns the report as text, the form WriteTo writes.
func (r *Report) String() string {
	var b strings.Builder
	r.WriteTo(&b)
	return b.String()
}

// WriteTo writes the report as text: the redacted address, one block per
// finding (status, check, what it saw, then the fix and the permission
// needed, if any) and a summary line. It contains no secret: Check scrubs
// every finding of the address's keys.
func (r *Report) WriteTo(w io.Writer) (int64, error) {
	cw := &countWriter{w: w}
	fmt.Fprintf(cw, "byob check %s\n", r.Address)
	const indent = "                                    "
	for _, f := range r.Findings {
		fmt.Fprintf(cw, "%-16s %-18s %s\n", f.Label(), f.Check, oneLine(f.Saw))
		if f.Permission != "" {
			fmt.Fprintf(cw, "%spermission: %s\n", indent, f.Permission)
		}
		if f.Fix != "" {
			fmt.Fprintf(cw, "%sfix: %s\n", indent, strings.ReplaceAll(f.Fix, "\n", "\n"+indent+"     "))
		}
	}
	fmt.Fprintf(cw, "result: %s\n", r.summary())
	return cw.n, cw.err
}

// summary counts the findings by status: "2 ok, 1 warning, 1 could not
// check, 0 errors".
func (r *Report) summary() string {
	var ok, warn, unknown, bad int
	for _, f := range r.Findings {
		switch {
		case f.CouldNotCheck:
			unknown++
		case f.Severity == SeverityOK:
			ok++
		case f.Severity == SeverityWarning:
			warn++
		default:
			bad++
		}
	}
	return fmt.Sprintf("%s (%d ok, %d %s, %d could not check, %d %s)",
		r.Worst(), ok, warn, plural(warn, "warning"), unknown, bad, plural(bad, "error"))
}

func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}

func oneLine(s string) string { return strings.ReplaceAll(s, "\n", " ") }

// scrub removes a's keys, and every other credential Scrub recognises,
// from every finding and from the address, keeping the line breaks of
// multi-line fixes.
func (r *Report) scrub(a *address.Address) {
	r.Address = provider.Scrub(r.Address, a)
	for i := range r.Findings {
		f := &r.Findings[i]
		f.Saw = provider.Scrub(f.Saw, a)
		f.Fix = provider.Scrub(f.Fix, a)
		f.Permission = provider.Scrub(f.Permission, a)
	}
}

// countWriter counts what it writes and keeps the first error.
type countWriter struct {
	w   io.Writer
	n   int64
	err error
}

func (c *countWriter) Write(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	n, err := c.w.Write(p)
	c.n += int64(n)
	c.err = err
	return n, err
}
