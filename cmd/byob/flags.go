package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
)

// newFlags is a command's flag set. It prints nothing itself: parseFlags
// prints its help and its errors, the latter through the shield.
func newFlags(prog string) *flag.FlagSet {
	fs := flag.NewFlagSet(prog, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return fs
}

// parseFlags parses the shielded command line sh with fs, the flags before
// or after the positional arguments, and returns the latter as typed. On
// -h it prints help and then fs's flags on stdout; on a bad flag, one line
// naming the fix on stderr. Either way done is true and code is the exit
// status (0 after -h, 2 after a bad flag).
func (c cli) parseFlags(fs *flag.FlagSet, sh *shield, help string) (pos []string, code int, done bool) {
	pos, err := parseInterleaved(fs, sh.args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		fmt.Fprint(c.stdout, help)
		fs.SetOutput(c.stdout)
		fs.PrintDefaults()
		return nil, 0, true
	case err != nil:
		return nil, c.fail(fs.Name(), sh.show(err.Error()), "run '"+fs.Name()+" -h' for the flags"), true
	}
	return revealAll(sh, pos), 0, false
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

// revealAll is args with every stand-in of sh replaced by what was typed.
func revealAll(sh *shield, args []string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = sh.reveal(a)
	}
	return out
}
