package main

import (
	"context"
	"encoding/json"
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

const checkUsage = "usage: byob check [--origin O] [--kms-key K] [--gc] [--json] '<address>'"

const checkHelp = checkUsage + `

Checks the bucket the address names, with the address's credentials:
reachability, write/read/delete of a probe object under
<sub-path>/.byob-check/ (always removed), CORS for --origin, versioning or
soft delete, default encryption, lifecycle rules, region and transport.
Each finding says what it saw and the command or policy that fixes it.

For file://DIR served by 'byob serve --dir DIR' (its state file is beside
DIR) it also checks that server: that it answers at its base URL, a signed
PUT, GET and HEAD round trip of a probe object (removed), and a CORS
preflight of a PUT from --origin (from https://app.example.com when --origin
is '*'), with ETag exposed. A state file with no server answering is a
could-not-check finding.

--json prints one object, a stable shape:
  {"address":"<redacted address>","result":"ok"|"warning"|"error","exit":0|1|2,
   "counts":{"ok":N,"warning":N,"couldNotCheck":N,"error":N},
   "findings":[{"check":"reachable","status":"ok"|"warning"|"error"|"could-not-check",
                "saw":"…","fix":"…","permission":"…"}]}
fix and permission are "" when there is nothing to do. A usage error or a
bad address prints one line on stderr and nothing on stdout.

exit status: 0 every check ok, 1 the worst is a warning or a check could
not run, 2 an error finding, a bad address or a usage error.

AWS_REGION is the region of an AWS address that names none; s3:// and cw://
addresses must use SSE-KMS with the key in AWS_S3_KMS_ID unless --kms-key
says otherwise.

examples:
  byob check 's3://my-bucket/team?region=eu-west-1'
  byob check --origin https://app.example.com --gc 's3://AK:SK@minio.local:9000/bkt?region=us-east-1'
  byob check --json 'gs://my-bucket' | jq .result
  byob check --origin http://localhost:3000 file:///tmp/bucket   # with byob serve --dir /tmp/bucket running
`

// runCheck is 'byob check': parse the flags and the address, run the check
// and print its report.
func (c cli) runCheck(args []string) int {
	// The flag package prints and returns messages that quote the
	// argument at fault: it sees the arguments only through a shield.
	sh := newShield(args)
	fs := newFlags("byob check")
	origin := fs.String("origin", "*", "the web origin the CORS rules must allow")
	kmsKey := fs.String("kms-key", "", "KMS key default encryption must use (s3/cw default: $AWS_S3_KMS_ID)")
	gc := fs.Bool("gc", false, "garbage collection will run: missing versioning or soft delete is an error")
	jsonOut := fs.Bool("json", false, "print one JSON object (see above)")
	pos, code, done := c.parseFlags(fs, sh, checkHelp+"\nflags, before or after the address:\n")
	if done {
		return code
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
		fmt.Fprintln(c.stderr, oneLine(err.Error()))
		return 2
	}
	if a.Provider == address.File {
		r.Findings = append(r.Findings, checkServe(ctx, a, *origin)...)
	}
	out := checkOutput(r)
	if *jsonOut {
		line, _ := json.Marshal(out)
		fmt.Fprintf(c.stdout, "%s\n", line)
		return out.Exit
	}
	writeCheckText(c.stdout, c.style(c.stdout, false), r)
	return out.Exit
}

// checkOut is what 'byob check --json' prints (see checkHelp).
type checkOut struct {
	Address  string       `json:"address"`
	Result   string       `json:"result"`
	Exit     int          `json:"exit"`
	Counts   checkCounts  `json:"counts"`
	Findings []findingOut `json:"findings"`
}

type checkCounts struct {
	OK            int `json:"ok"`
	Warning       int `json:"warning"`
	CouldNotCheck int `json:"couldNotCheck"`
	Error         int `json:"error"`
}

type findingOut struct {
	Check      string `json:"check"`
	Status     string `json:"status"`
	Saw        string `json:"saw"`
	Fix        string `json:"fix"`
	Permission string `json:"permission"`
}

// checkOutput is r in its --json shape; the report is scrubbed already.
func checkOutput(r *preflight.Report) checkOut {
	out := checkOut{Address: r.Address, Result: r.Worst().String(), Exit: checkExit[r.Worst()], Findings: []findingOut{}}
	for _, f := range r.Findings {
		status := f.Severity.String()
		switch {
		case f.CouldNotCheck:
			status = "could-not-check"
			out.Counts.CouldNotCheck++
		case f.Severity == preflight.SeverityOK:
			out.Counts.OK++
		case f.Severity == preflight.SeverityWarning:
			out.Counts.Warning++
		default:
			out.Counts.Error++
		}
		out.Findings = append(out.Findings, findingOut{Check: f.Check, Status: status, Saw: f.Saw, Fix: f.Fix, Permission: f.Permission})
	}
	return out
}

// writeCheckText writes r as preflight.Report.WriteTo does, with each
// finding's status coloured by st.
func writeCheckText(w io.Writer, st style, r *preflight.Report) {
	var plain strings.Builder
	r.WriteTo(&plain)
	if !st.color {
		io.WriteString(w, plain.String())
		return
	}
	paint := map[string]func(string) string{"ok": st.ok, "warning": st.warn, "could not check": st.warn, "error": st.bad}
	lines := strings.SplitAfter(plain.String(), "\n")
	for i, line := range lines {
		for label, p := range paint {
			// A finding's line starts with its status, padded to 16 columns.
			if pad := fmt.Sprintf("%-16s ", label); strings.HasPrefix(line, pad) {
				line = p(pad[:len(label)]) + line[len(label):]
				break
			}
		}
		if i == 0 || strings.HasPrefix(line, "result: ") {
			line = st.bold(strings.TrimSuffix(line, "\n")) + "\n"
		}
		io.WriteString(w, line)
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
