package main

import (
	"strconv"
	"strings"

	"github.com/byobkit/byob/address"
)

// Every message that quotes a command-line argument shows it through
// redactArg, and the flag package only ever sees the arguments through a
// shield: an argument may be an address, and an address may carry keys.

// hiddenArg stands for an argument that may hold a secret but does not
// parse as an address, so that it has no redacted form to show.
const hiddenArg = "<not shown: it may hold a secret>"

// mayHoldSecret reports whether an argument may carry credentials: it
// contains "://" or '@', as every address with keys does.
func mayHoldSecret(s string) bool {
	return strings.Contains(s, "://") || strings.Contains(s, "@")
}

// redactArg returns arg as a message may show it: the part that may hold
// a secret (see splitArg) is shown as the address's redacted form
// (Address.String) when it parses, and as hiddenArg otherwise.
func redactArg(arg string) string {
	kept, secret, ok := splitArg(arg)
	if !ok {
		return arg
	}
	return kept + redactValue(secret)
}

// splitArg splits an argument that may hold a secret into what a message
// may show as typed (leading dashes, and a flag's name and '=' when the
// name is a word: "-gc=s3://…") and the rest. ok is false when nothing in
// arg may hold a secret. A name that is not a word may be part of a key:
// in "-AK:SK=@host" the '=' belongs to the base64 secret.
func splitArg(arg string) (kept, secret string, ok bool) {
	if !mayHoldSecret(arg) {
		return "", "", false
	}
	body := strings.TrimLeft(arg, "-")
	dashes := arg[:len(arg)-len(body)]
	if name, value, ok := strings.Cut(body, "="); ok && dashes != "" && isFlagName(name) {
		return dashes + name + "=", value, true
	}
	return dashes, body, true
}

// isFlagName reports whether s could name a flag: a letter, then letters,
// digits, '-' and '_'.
func isFlagName(s string) bool {
	for i, c := range []byte(s) {
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z':
		case i > 0 && ('0' <= c && c <= '9' || c == '-' || c == '_'):
		default:
			return false
		}
	}
	return s != ""
}

// redactValue is the shown form of a value that may hold a secret.
func redactValue(v string) string {
	if a, err := address.Parse(v); err == nil {
		return a.String()
	}
	return hiddenArg
}

// quoteArg is redactArg's result, quoted for a one-line message.
func quoteArg(arg string) string { return strconv.Quote(redactArg(arg)) }

// quoteArgs quotes each argument with quoteArg, separated by spaces.
func quoteArgs(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		q[i] = quoteArg(a)
	}
	return strings.Join(q, " ")
}

// shield is a command line in which every text that may hold a secret (a
// whole argument, the part after a flag's dashes, or a flag's value) is
// replaced by a stand-in. The flag package parses the shielded line, so
// that nothing it says can quote a secret; reveal maps the values it
// returns back to what was typed, and show turns its messages into ones
// that name each stand-in by its redacted form.
type shield struct {
	args  []string          // the shielded command line
	typed map[string]string // stand-in → the text it replaced
	shown *strings.Replacer // stand-ins → their redacted forms
}

func newShield(args []string) *shield {
	// The stand-ins' prefix occurs in no argument, so a stand-in can only
	// come from the shield, never from what was typed.
	prefix := "byob-hidden-"
	for strings.Contains(strings.Join(args, "\x00"), prefix) {
		prefix = "x" + prefix
	}
	s := &shield{typed: map[string]string{}}
	var pairs []string
	stand := func(v string) string {
		tok := "<" + prefix + strconv.Itoa(len(s.typed)+1) + ">"
		s.typed[tok] = v
		pairs = append(pairs, tok, redactValue(v))
		return tok
	}
	for _, arg := range args {
		if kept, secret, ok := splitArg(arg); ok {
			arg = kept + stand(secret)
		}
		s.args = append(s.args, arg)
	}
	s.shown = strings.NewReplacer(pairs...)
	return s
}

// reveal returns what was typed in place of the stand-in v; any other v
// is returned as it is.
func (s *shield) reveal(v string) string {
	if t, ok := s.typed[v]; ok {
		return t
	}
	return v
}

// show replaces the stand-ins in msg by their redacted forms.
func (s *shield) show(msg string) string { return s.shown.Replace(msg) }
