package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"

	"github.com/byobkit/byob/address"
	"github.com/byobkit/byob/provider"
)

// checkExit maps the worst finding to the exit status.
var checkExit = map[provider.Severity]int{
	provider.SeverityOK:      0,
	provider.SeverityWarning: 1,
	provider.SeverityError:   2,
}

// runCheck is 'byob check': parse the flags and the address, run
// provider.Check and print its report.
func runCheck(args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	fs := flag.NewFlagSet("byob check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	origin := fs.String("origin", "*", "the web origin the CORS rules must allow")
	kmsKey := fs.String("kms-key", "", "KMS key default encryption must use (s3/cw default: $AWS_S3_KMS_ID)")
	gc := fs.Bool("gc", false, "garbage collection will run: missing versioning or soft delete is an error")
	pos, err := parseInterleaved(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		return 2
	}
	if len(pos) != 1 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	a, err := address.Parse(pos[0])
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	if !isSet(fs, "kms-key") && (a.Provider == address.S3 || a.Provider == address.CoreWeave) {
		*kmsKey = getenv("AWS_S3_KMS_ID")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	r, err := provider.Check(ctx, a, provider.CheckOptions{
		Origin:    *origin,
		KMSKeyID:  *kmsKey,
		GCEnabled: *gc,
		Open:      []provider.Option{provider.WithDefaultRegion(getenv("AWS_REGION"))},
	})
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	if _, err := r.WriteTo(stdout); err != nil {
		fmt.Fprintln(stderr, "byob check:", err)
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

func isSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}
