package main

import (
	"io"
	"os"
)

// style is how text for people looks: with colours on a terminal, plain
// otherwise. It never applies to --json, nor to a stream that is not a
// terminal (a pipe, a file, a test's buffer), and NO_COLOR (any value,
// see no-color.org) or TERM=dumb turns it off.
type style struct{ color bool }

// style returns the style of text written to w; jsonOut is the command's
// --json flag.
func (c cli) style(w io.Writer, jsonOut bool) style {
	if jsonOut || c.getenv("NO_COLOR") != "" || c.getenv("TERM") == "dumb" {
		return style{}
	}
	terminal := c.terminal
	if terminal == nil {
		terminal = isTerminal
	}
	return style{color: terminal(w)}
}

// isTerminal reports whether w is a character device (a terminal), with
// nothing beyond the standard library: golang.org/x/term is not a
// dependency, and colour needs no more than this.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// SGR sequences.
const (
	sgrReset  = "\x1b[0m"
	sgrBold   = "\x1b[1m"
	sgrRed    = "\x1b[31m"
	sgrGreen  = "\x1b[32m"
	sgrYellow = "\x1b[33m"
	sgrCyan   = "\x1b[36m"
)

func (s style) paint(sgr, text string) string {
	if !s.color || text == "" {
		return text
	}
	return sgr + text + sgrReset
}

func (s style) bold(t string) string { return s.paint(sgrBold, t) }
func (s style) ok(t string) string   { return s.paint(sgrGreen, t) }
func (s style) warn(t string) string { return s.paint(sgrYellow, t) }
func (s style) bad(t string) string  { return s.paint(sgrRed, t) }
