package main

import (
	"context"
	"crypto/md5"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"slices"
	"strings"
	"time"

	"github.com/byobkit/byob/address"
	"github.com/byobkit/byob/presign"
	"github.com/byobkit/byob/provider"
	"github.com/byobkit/byob/scope"
)

const presignUsage = `usage: byob presign [flags] '<address>' KEY

Signs one request for KEY (relative to the address's sub-path) and prints
the method, the URL, the headers the client must send, when it expires and
a curl command line that sends it (quoted for a POSIX shell). The URL is a
credential until it expires: hand it only to the client it is for.

For s3://, cw://, gs:// and az:// it signs with the address's keys (AWS_REGION
is the region of an AWS address that names none); nothing is sent. For
file://DIR it signs with the keys of 'byob serve --dir DIR', for that server.

--json prints one object, a stable shape:
  {"method":"PUT","url":"…","headers":{"Content-Md5":"…"},"expires":"RFC 3339 time","curl":"curl …"}
headers holds each header's one value; it is {} when there are none.

examples:
  byob presign file:///tmp/bucket team/a.txt
  byob presign --put --content-md5 "$(openssl md5 -binary a.txt | base64)" --file a.txt file:///tmp/bucket team/a.txt
  byob presign --put --expires 15m 's3://AK:SK@s3.eu-west-1.amazonaws.com/bkt' run/file.bin
`

// presignOut is the --json shape; its fields are documented in presignUsage.
type presignOut struct {
	Method  string            `json:"method"`
	URL     string            `json:"url"`
	Headers map[string]string `json:"headers"`
	Expires time.Time         `json:"expires"`
	Curl    string            `json:"curl"`
}

// runPresign is 'byob presign'. Exit status: 0 when signed, 2 on bad
// input (flags, address, key, options), 1 when it could not sign.
func (c cli) runPresign(args []string) int {
	const prog = "byob presign"
	sh := newShield(args)
	fs := newFlags(prog)
	put := fs.Bool("put", false, "sign a PUT (an upload) rather than a GET")
	expires := fs.String("expires", "", "how long the URL lives, such as 15m or 24h (default 1h for GET, 24h for PUT; at most 168h)")
	contentType := fs.String("content-type", "", "PUT: the Content-Type the client must send")
	contentMD5 := fs.String("content-md5", "", "PUT: the base64 MD5 of the body the client must send (openssl md5 -binary F | base64)")
	user := fs.String("user", "", "the requester's identity, added as X-User (scid on Azure)")
	file := fs.String("file", "-", "the curl line's file: the body of a PUT, where a GET writes; - is stdin or stdout")
	jsonOut := fs.Bool("json", false, "print one JSON object (see -h)")
	pos, code, done := c.parseFlags(fs, sh, presignUsage+"\nflags, before or after the arguments:\n")
	if done {
		return code
	}
	if len(pos) != 2 {
		return c.fail(prog, fmt.Sprintf("want an address and a key, got %d arguments", len(pos)), "usage: byob presign [flags] '<address>' KEY")
	}
	o := presign.Options{Method: "GET"}
	if *put {
		o.Method = "PUT"
	}
	for _, v := range []*string{expires, contentType, contentMD5, user, file} {
		*v = sh.reveal(*v)
	}
	if *expires != "" {
		d, err := time.ParseDuration(*expires)
		if err != nil || d <= 0 || d > presign.MaxExpiry {
			return c.fail(prog, "--expires "+quoteArg(*expires)+" is not a duration from 1s to 168h", "write a Go duration such as --expires 15m or --expires 24h")
		}
		o.Expires = d
	}
	if (*contentType != "" || *contentMD5 != "") && !*put {
		return c.fail(prog, "--content-type and --content-md5 bind an upload's headers", "add --put, or leave them out for a GET")
	}
	if *contentMD5 != "" {
		if sum, err := base64.StdEncoding.DecodeString(*contentMD5); err != nil || len(sum) != md5.Size {
			return c.fail(prog, "--content-md5 "+quoteArg(*contentMD5)+" is not the base64 of a 16-byte MD5",
				"write the body's MD5 in base64: --content-md5 \"$(openssl md5 -binary FILE | base64)\"")
		}
	}
	o.ContentType, o.ContentMD5, o.User = *contentType, *contentMD5, *user

	a, err := address.Parse(pos[0])
	if err != nil {
		fmt.Fprintln(c.stderr, oneLine(err.Error()))
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	req, code, err := c.presign(ctx, a, pos[1], o)
	if err != nil {
		fmt.Fprintf(c.stderr, "%s: %s\n", prog, oneLine(err.Error()))
		return code
	}
	out := presignOut{Method: req.Method, URL: req.URL, Headers: map[string]string{}, Expires: req.Expires.UTC(), Curl: curlLine(req, *file)}
	for k, v := range req.Header {
		out.Headers[k] = strings.Join(v, ", ")
	}
	if *jsonOut {
		line, _ := json.Marshal(out)
		fmt.Fprintf(c.stdout, "%s\n", line)
		return 0
	}
	fmt.Fprintf(c.stdout, "method:  %s\nurl:     %s\n", out.Method, out.URL)
	for _, k := range sortedKeys(out.Headers) {
		fmt.Fprintf(c.stdout, "header:  %s: %s\n", k, out.Headers[k])
	}
	fmt.Fprintf(c.stdout, "expires: %s\ncurl:    %s\n", out.Expires.Format(time.RFC3339), out.Curl)
	return 0
}

// presign signs o for key at a, and returns the exit status for an error.
func (c cli) presign(ctx context.Context, a *address.Address, key string, o presign.Options) (presign.Request, int, error) {
	var signOpts []presign.Option
	var openOpts []provider.Option
	switch a.Provider {
	case address.Mem:
		return presign.Request{}, 2, errors.New("a mem:// bucket lives inside one process, so no other can serve a URL for it; fix: use file://DIR with 'byob serve --dir DIR'")
	case address.File:
		statePath, _ := servePaths(a.Bucket)
		st, err := readState(statePath)
		if errors.Is(err, errNoState) {
			return presign.Request{}, 2, fmt.Errorf("%w; fix: start 'byob serve --dir %s' once: it writes the keys this command signs with", err, a.Bucket)
		}
		if err != nil {
			return presign.Request{}, 2, err
		}
		signOpts = append(signOpts, presign.WithLocalBase(st.BaseURL, st.Keys))
		openOpts = append(openOpts, provider.WithExistingDir())
	default:
		openOpts = append(openOpts, provider.WithDefaultRegion(c.getenv("AWS_REGION")))
	}
	reg, loc, err := openLocation(ctx, a, openOpts...)
	if err != nil {
		return presign.Request{}, exitFor(err), err
	}
	defer reg.Close()
	req, err := presign.New(reg, signOpts...).SignLocation(ctx, loc, key, o)
	if err != nil {
		return presign.Request{}, exitFor(err), err
	}
	return req, 0, nil
}

// exitFor is the exit status of an error: 2 when the input is at fault
// (the address, the key, an option), 1 when signing failed otherwise.
func exitFor(err error) int {
	var ae *address.Error
	switch {
	case errors.As(err, &ae),
		errors.Is(err, scope.ErrKey), errors.Is(err, scope.ErrInvalid), errors.Is(err, scope.ErrNotAvailable),
		errors.Is(err, presign.ErrOption), errors.Is(err, presign.ErrUnsupported),
		errors.Is(err, presign.ErrLocalOption), errors.Is(err, presign.ErrLocalConfig),
		errors.Is(err, provider.ErrNoBucket), errors.Is(err, provider.ErrUnsupported):
		return 2
	}
	return 1
}

// curlLine is a curl command that sends req, every argument quoted for a
// POSIX shell. A PUT sends file (- for stdin) with --data-binary, which
// sets Content-Length (S3 refuses a chunked PUT) and would add a form
// Content-Type unless the signed one replaces it or -H 'Content-Type:'
// drops it; a GET writes to file (- for stdout).
func curlLine(req presign.Request, file string) string {
	args := []string{"curl", "--fail", "--silent", "--show-error", "-X", req.Method}
	for _, k := range sortedKeys(req.Header) {
		for _, v := range req.Header[k] {
			args = append(args, "-H", k+": "+v)
		}
	}
	switch req.Method {
	case "PUT":
		if req.Header.Get("Content-Type") == "" {
			args = append(args, "-H", "Content-Type:")
		}
		args = append(args, "--data-binary", "@"+file)
	case "GET":
		if file != "-" {
			args = append(args, "--output", file)
		}
	}
	args = append(args, req.URL)
	for i, a := range args {
		args[i] = shellQuote(a)
	}
	return strings.Join(args, " ")
}

// shellQuote quotes s for a POSIX shell: in single quotes, in which
// nothing is special, each single quote in s closing the quotes, escaped
// and reopening them. Words that need no quoting are left bare.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
