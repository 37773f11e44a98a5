package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/byobkit/byob/address"
)

const addressUsage = `usage: byob address [--json] '<address>'…

Parses each address, prints it redacted and what it resolves to: provider
and flavor, endpoint, addressing style, bucket (or directory), sub-path,
region, TLS and where the credentials come from. An argument may be a
whole supported-stores list (GORILLA_SUPPORTED_FILE_STORES: addresses
separated by commas and/or white space), where a bare scheme such as cw://
stands for any bucket of that provider. Nothing is sent anywhere.

--json prints one object, a stable shape:
  {"addresses":[{"address":"<redacted address>","provider":"s3","flavor":"aws-s3",
    "bare":false,"endpoint":"https://…","service":"aws","addressing":"virtual-hosted",
    "account":"","bucket":"…","subPath":"…","region":"eu-west-1",
    "regionFrom":"address"|"AWS_REGION"|"none"|"unknown","regionProblem":"",
    "tls":true,"credentials":"none-needed"|"ambient"|"in-address","identity":""}]}
one element per address, in the order given; for a file:// address bucket
is the directory; for a bare entry only address, provider, flavor and bare
are set. identity is a GCS address's service account e-mail, "" otherwise.
Secrets never appear: the address is its redacted form.

exit status: 0 every address parsed, 2 one did not (one line names the
argument, the entry, the field and the fix) or a usage error.

examples:
  byob address 's3://my-bucket/team?region=eu-west-1'
  byob address 's3://AK:SK@minio.local:9000/bkt?region=us-east-1' file:///var/lib/byob
  byob address --json "$GORILLA_SUPPORTED_FILE_STORES"
`

// addressOut is one address in --json (see addressUsage).
type addressOut struct {
	Address       string `json:"address"`
	Provider      string `json:"provider"`
	Flavor        string `json:"flavor"`
	Bare          bool   `json:"bare"`
	Endpoint      string `json:"endpoint"`
	Service       string `json:"service"`
	Addressing    string `json:"addressing"`
	Account       string `json:"account"`
	Bucket        string `json:"bucket"`
	SubPath       string `json:"subPath"`
	Region        string `json:"region"`
	RegionFrom    string `json:"regionFrom"`
	RegionProblem string `json:"regionProblem"`
	TLS           bool   `json:"tls"`
	Credentials   string `json:"credentials"`
	Identity      string `json:"identity"`
}

// addressesOut is what 'byob address --json' prints.
type addressesOut struct {
	Addresses []addressOut `json:"addresses"`
}

// runAddress is 'byob address'.
func (c cli) runAddress(args []string) int {
	const prog = "byob address"
	sh := newShield(args)
	fs := newFlags(prog)
	jsonOut := fs.Bool("json", false, "print one JSON object (see -h)")
	pos, code, done := c.parseFlags(fs, sh, addressUsage+"\nflags:\n")
	switch {
	case done:
		return code
	case len(pos) == 0:
		return c.fail(prog, "no address given", "usage: byob address '<address>'…")
	}
	var out addressesOut
	for i, arg := range pos {
		list, err := parseAddressArg(arg)
		if err != nil {
			msg := err.Error()
			if len(pos) > 1 {
				msg = strings.Replace(msg, "byob address: ", fmt.Sprintf("byob address: argument %d: ", i+1), 1)
			}
			fmt.Fprintln(c.stderr, oneLine(msg))
			return 2
		}
		if len(list) == 0 {
			return c.fail(prog, fmt.Sprintf("argument %d holds no address", i+1), "give an address, or a list of them separated by commas")
		}
		for _, a := range list {
			out.Addresses = append(out.Addresses, describeAddress(a, c.getenv("AWS_REGION")))
		}
	}
	if *jsonOut {
		line, _ := json.Marshal(out)
		fmt.Fprintf(c.stdout, "%s\n", line)
		return 0
	}
	st := c.style(c.stdout, false)
	for i, o := range out.Addresses {
		if i > 0 {
			fmt.Fprintln(c.stdout)
		}
		writeAddressText(c.stdout, st, o)
	}
	return 0
}

// parseAddressArg parses one argument: an address, or a supported-stores
// list. An argument of one entry reports errors as Parse does, without
// the entry number.
func parseAddressArg(arg string) ([]*address.Address, error) {
	list, err := address.ParseList(arg)
	var ae *address.Error
	if errors.As(err, &ae) && len(strings.FieldsFunc(arg, isListSep)) == 1 {
		e := *ae
		e.Entry = 0
		return nil, &e
	}
	return list, err
}

// isListSep reports whether r separates the entries of a supported-stores
// list, as address.ParseList splits them.
func isListSep(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == '\n' || r == '\r' }

// describeAddress is what 'byob address' says of a.
func describeAddress(a *address.Address, envRegion string) addressOut {
	o := addressOut{Address: a.String(), Provider: string(a.Provider), Flavor: string(a.Flavor()), Bare: a.IsBare()}
	if o.Bare {
		return o
	}
	o.Endpoint, o.Service, o.Addressing = a.EndpointURL(), a.ServiceID(), string(a.Style())
	o.Account, o.Bucket, o.SubPath, o.TLS = a.Account, a.Bucket, a.Path, a.TLS
	switch r, err := a.ResolveRegion(envRegion); {
	case a.Region != "":
		o.Region, o.RegionFrom = a.Region, "address"
	case err != nil:
		o.RegionFrom, o.RegionProblem = "unknown", strings.TrimPrefix(err.Error(), "byob address: region: ")
	case r == "":
		o.RegionFrom = "none"
	default:
		o.Region, o.RegionFrom = r, "AWS_REGION"
	}
	switch {
	case a.Provider == address.File || a.Provider == address.Mem:
		o.Credentials = "none-needed"
	case !a.HasCredentials():
		o.Credentials = "ambient"
	default:
		o.Credentials = "in-address"
		if a.Provider == address.GCS {
			o.Identity = a.AccessKey
		}
	}
	return o
}

// writeAddressText writes o for people: one "name: value" row each.
func writeAddressText(w io.Writer, st style, o addressOut) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	row := func(k, v string) { fmt.Fprintf(tw, "%s:\t%s\n", k, v) }
	row("address", st.bold(o.Address))
	row("provider", fmt.Sprintf("%s (%s)", o.Provider, o.Flavor))
	if o.Bare {
		row("scope", "any bucket of this provider (a supported-stores entry)")
		tw.Flush()
		return
	}
	row("endpoint", o.Endpoint)
	row("service", o.Service)
	row("addressing", o.Addressing)
	if o.Account != "" {
		row("account", o.Account)
	}
	if o.Provider == string(address.File) {
		row("directory", o.Bucket)
	} else {
		row("bucket", o.Bucket)
	}
	row("sub-path", orNone(o.SubPath))
	switch o.RegionFrom {
	case "address":
		row("region", o.Region)
	case "AWS_REGION":
		row("region", o.Region+" (from AWS_REGION)")
	case "none":
		row("region", "(none: not used by this provider)")
	default:
		row("region", st.warn("unknown: "+o.RegionProblem))
	}
	row("tls", fmt.Sprint(o.TLS))
	creds := map[string]string{
		"none-needed": "(none needed)",
		"ambient":     "the server's ambient identity",
		"in-address":  "in the address (REDACTED)",
	}[o.Credentials]
	if o.Identity != "" {
		creds = "service account " + o.Identity + " (private key REDACTED)"
	}
	row("credentials", creds)
	tw.Flush()
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}
