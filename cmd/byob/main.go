package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/byobkit/byob/address"
	"github.com/byobkit/byob/provider/preflight"
)

// command is one row of the command table: its name, its synopsis and
// summary for the usage text, and what runs it. A new command is one row.
type command struct {
	name     string
	synopsis string // the arguments, after the name
	summary  string // one line
	run      func(c cli, args []string) int
}

// commands is the command table, in the order usage lists it.
var commands = []command{
	{"address", "'<address>'…", "parse addresses (or a GORILLA_SUPPORTED_FILE_STORES list) and explain them", cli.runAddress},
	{"check", "[--origin O] [--kms-key K] [--gc] [--json] '<address>'", "check the bucket, or a running byob serve, and print what to fix (exit 0 ok, 1 warnings, 2 errors)", cli.runCheck},
	{"policy", "<provider> --bucket NAME [flags]", "print the CORS, access, encryption and lifecycle settings to apply", cli.runPolicy},
	{"presign", "[--put] [flags] '<address>' KEY", "print a signed URL for KEY and a curl line that sends it", cli.runPresign},
	{"serve", "--dir DIR [--listen 127.0.0.1:PORT]", "serve the file:// bucket DIR for signed URLs", cli.runServe},
	{"demo", "[--json]", "run the whole story on a temporary file:// bucket: teams, uploads, garbage collection, restore", cli.runDemo},
}

// usage is the command's usage text, from the command table.
func usage() string {
	var b strings.Builder
	b.WriteString("usage: byob <command> [flags] [arguments]\n\ncommands:\n")
	for _, cmd := range commands {
		fmt.Fprintf(&b, "  byob %s %s\n      %s\n", cmd.name, cmd.synopsis, cmd.summary)
	}
	b.WriteString(`
Every command takes -h for its flags, its --json shape and examples, and
--json to print JSON for machines. Bad input exits 2 with one line naming
the fix. Addresses: s3://, cw://, gs://, az://, file://, mem:// (see the README).

examples:
  byob demo
  byob address 's3://my-bucket/team?region=eu-west-1'
  byob check --origin https://app.example.com 's3://my-bucket?region=eu-west-1'
`)
	return b.String()
}

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
// terminal reports whether a stream is a terminal (isTerminal when nil),
// which a test replaces to see colours.
type cli struct {
	stdout, stderr io.Writer
	getenv         func(string) string
	check          func(context.Context, *address.Address, preflight.Options) (*preflight.Report, error)
	terminal       func(io.Writer) bool
}

func (c cli) run(args []string) int {
	if len(args) == 0 {
		return c.fail("byob", "no command given", "run 'byob demo' to see byob work, or 'byob help' for the commands")
	}
	for _, cmd := range commands {
		if cmd.name == args[0] {
			return cmd.run(c, args[1:])
		}
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		fmt.Fprint(c.stdout, usage())
		return 0
	}
	names := make([]string, len(commands))
	for i, cmd := range commands {
		names[i] = cmd.name
	}
	fix := "the commands are " + strings.Join(names, ", ") + "; run 'byob help'"
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
