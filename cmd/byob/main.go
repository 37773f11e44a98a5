// Command byob is the operator's tool for byob bucket addresses and buckets.
//
// Usage:
//
//	byob address '<address>'   parse an address; print it redacted and what it resolves to
//	byob check [flags] '<address>'
//	                           check the bucket's reachability, permissions and
//	                           settings; print each finding and its fix
//	byob policy <provider> --bucket NAME [flags]
//	                           print the bucket settings byob needs, filled in
//	byob presign [flags] '<address>' KEY
//	                           sign one request; print it and a curl line
//	byob serve --dir DIR       serve a file:// bucket behind the signed-URL handler
//
// Exit status of address: 0 on success, 2 on a bad address or usage error.
// Exit status of check: 0 when every check is ok, 1 when the worst finding
// is a warning (or a check could not run), 2 on an error finding, a bad
// address or a usage error.
//
// check signs for AWS_REGION when an AWS address names no region, and
// requires SSE-KMS with the key in AWS_S3_KMS_ID for s3:// and cw://
// addresses unless -kms-key says otherwise.
//
// Secrets are never printed: addresses are shown with REDACTED in place of
// every key, and so is any argument that may hold an address (one with
// "://" or '@' in it) whenever a message quotes it; one that does not parse
// is not shown at all.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/byobkit/byob/address"
	"github.com/byobkit/byob/provider/preflight"
)

const usage = `usage:
  byob address '<address>'   parse an address and print what it resolves to
  byob check [-origin O] [-kms-key K] [-gc] '<address>'
                             check the bucket and print what to fix
                             (exit 0: all ok, 1: warnings, 2: errors)
  byob policy <provider> --bucket NAME [--principal ARN] [--kms-key ARN] [--sub-path P]
                             print the CORS, access, encryption and lifecycle settings to apply
  byob presign [--put] [flags] '<address>' KEY
                             print a signed URL for KEY and a curl line that sends it
  byob serve --dir DIR [--listen 127.0.0.1:PORT]
                             serve the file:// bucket DIR for signed URLs

Addresses: s3://, cw://, gs://, az://, file://, mem:// (see the README).
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr, os.Getenv))
}

// run is main without the process: it returns the exit status.
func run(args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	return cli{stdout: stdout, stderr: stderr, getenv: getenv, check: preflight.Check}.run(args)
}

// cli is what one run of the command works with: main gives it the
// process's streams and environment, and tests their own. check is
// preflight.Check, which a test that must not reach the network replaces.
type cli struct {
	stdout, stderr io.Writer
	getenv         func(string) string
	check          func(context.Context, *address.Address, preflight.Options) (*preflight.Report, error)
}

func (c cli) run(args []string) int {
	if len(args) == 0 {
		fmt.Fprint(c.stderr, usage)
		return 2
	}
	switch args[0] {
	case "address":
		return c.runAddress(args[1:])
	case "check":
		return c.runCheck(args[1:])
	case "policy":
		return c.runPolicy(args[1:])
	case "presign":
		return c.runPresign(args[1:])
	case "serve":
		return c.runServe(args[1:])
	case "-h", "-help", "--help", "help":
		fmt.Fprint(c.stdout, usage)
		return 0
	}
	fix := "the commands are address, check, policy, presign and serve; run 'byob help'"
	if mayHoldSecret(args[0]) {
		fix = "name the command first: byob address '<address>' or byob check '<address>'"
	}
	return c.fail("byob", "unknown command "+quoteArg(args[0]), fix)
}

// fail prints a usage error on one line, in the form of the address
// package's errors, and returns exit status 2. problem must show every
// argument it names through redactArg (or a shield).
func (c cli) fail(prog, problem, fix string) int {
	fmt.Fprintf(c.stderr, "%s: %s; fix: %s\n", prog, problem, fix)
	return 2
}

// wantOne is the problem of a command that takes one address and got args.
func wantOne(args []string) string {
	if len(args) == 0 {
		return "no address given"
	}
	return fmt.Sprintf("want one address, got %d arguments: %s", len(args), quoteArgs(args))
}

func (c cli) runAddress(args []string) int {
	if len(args) != 1 {
		return c.fail("byob address", wantOne(args), "usage: byob address '<address>'")
	}
	a, err := address.Parse(args[0])
	if err != nil {
		fmt.Fprintln(c.stderr, err)
		return 2
	}
	tw := tabwriter.NewWriter(c.stdout, 0, 0, 2, ' ', 0)
	row := func(k, v string) { fmt.Fprintf(tw, "%s:\t%s\n", k, v) }
	row("address", a.String())
	row("provider", fmt.Sprintf("%s (%s)", a.Provider, a.Flavor()))
	row("endpoint", a.EndpointURL())
	row("service", a.ServiceID())
	row("addressing", string(a.Style()))
	if a.Account != "" {
		row("account", a.Account)
	}
	if a.Provider == address.File {
		row("directory", a.Bucket)
	} else {
		row("bucket", a.Bucket)
	}
	row("sub-path", orNone(a.Path))
	row("region", describeRegion(a, c.getenv("AWS_REGION")))
	row("tls", fmt.Sprint(a.TLS))
	row("credentials", describeCredentials(a))
	tw.Flush()
	return 0
}

func describeRegion(a *address.Address, envRegion string) string {
	if a.Region != "" {
		return a.Region
	}
	r, err := a.ResolveRegion(envRegion)
	switch {
	case err != nil:
		return "unknown: " + strings.TrimPrefix(err.Error(), "byob address: region: ")
	case r == "":
		return "(none: not used by this provider)"
	}
	return r + " (from AWS_REGION)"
}

func describeCredentials(a *address.Address) string {
	switch {
	case a.Provider == address.File || a.Provider == address.Mem:
		return "(none needed)"
	case !a.HasCredentials():
		return "the server's ambient identity"
	case a.Provider == address.GCS:
		return "service account " + a.AccessKey + " (private key REDACTED)"
	}
	return "in the address (REDACTED)"
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}
