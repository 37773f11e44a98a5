package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"

	"github.com/byobkit/byob/address"
	"github.com/byobkit/byob/provider"
	"github.com/byobkit/byob/provider/preflight"
)

// checkExit maps the worst finding to the exit status.
var checkExit = map[preflight.Severity]int{
	preflight.SeverityOK:      0,
	preflight.SeverityWarning: 1,
	preflight.SeverityError:   2,
}

const checkUsage = "usage: byob check [-origin O] [-kms-key K] [-gc] '<address>'"

// runCheck is 'byob check': parse the flags and the address, run the check
// and print its report.
func (c cli) runCheck(args []string) int {
	// The flag package prints and returns messages that quote the
	// argument at fault: it sees the arguments only through a shield.
	sh := newShield(args)
	fs := flag.NewFlagSet("byob check", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	origin := fs.String("origin", "*", "the web origin the CORS rules must allow")
	kmsKey := fs.String("kms-key", "", "KMS key default encryption must use (s3/cw default: $AWS_S3_KMS_ID)")
	gc := fs.Bool("gc", false, "garbage collection will run: missing versioning or soft delete is an error")
	pos, err := parseInterleaved(fs, sh.args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		fmt.Fprintf(c.stdout, "%s\n\nflags, before or after the address:\n", checkUsage)
		fs.SetOutput(c.stdout)
		fs.PrintDefaults()
		return 0
	case err != nil:
		return c.fail("byob check", sh.show(err.Error()), "run 'byob check -h' for the flags")
	}
	for i := range pos {
		pos[i] = sh.reveal(pos[i])
	}
	if len(pos) != 1 {
		return c.fail("byob check", wantOne(pos), checkUsage)
	}
	// The report quotes both values (in the CORS fix, in the encryption
	// finding), and scrubs only the checked address's keys: a value that
	// may hold another address's keys is refused, shown redacted.
	*origin, *kmsKey = sh.reveal(*origin), sh.reveal(*kmsKey)
	if !isOrigin(*origin) {
		return c.fail("byob check", "-origin "+quoteArg(*origin)+" is not a web origin",
			"write -origin='*' or a scheme, host and optional port, such as -origin=https://app.example.com")
	}
	if mayHoldSecret(*kmsKey) {
		return c.fail("byob check", "-kms-key "+quoteArg(*kmsKey)+" is not a KMS key",
			"write a key ARN, key ID or alias/<name> (AWS), or projects/…/cryptoKeys/<name> (GCS)")
	}
	a, err := address.Parse(pos[0])
	if err != nil {
		fmt.Fprintln(c.stderr, err)
		return 2
	}
	if !isSet(fs, "kms-key") && (a.Provider == address.S3 || a.Provider == address.CoreWeave) {
		*kmsKey = c.getenv("AWS_S3_KMS_ID")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	r, err := c.check(ctx, a, preflight.Options{
		Origin:    *origin,
		KMSKeyID:  *kmsKey,
		GCEnabled: *gc,
		Open:      []provider.Option{provider.WithDefaultRegion(c.getenv("AWS_REGION"))},
	})
	if err != nil {
		fmt.Fprintln(c.stderr, err)
		return 2
	}
	if _, err := r.WriteTo(c.stdout); err != nil {
		fmt.Fprintln(c.stderr, "byob check:", err)
		return 2
	}
	return checkExit[r.Worst()]
}

// parseInterleaved parses flags that may come before or after the
// positional arguments, and returns the latter.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// isOrigin reports whether s is "*" or a web origin as browsers send it:
// http or https, "://", and a host with an optional port; no user name,
// path, query or white space.
func isOrigin(s string) bool {
	if s == "*" {
		return true
	}
	scheme, host, ok := strings.Cut(s, "://")
	if !ok || (scheme != "http" && scheme != "https") || host == "" {
		return false
	}
	for _, c := range []byte(host) {
		if c <= ' ' || c >= 0x7f || strings.IndexByte("@/?#\\", c) >= 0 {
			return false
		}
	}
	return true
}

func isSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}
