package conformance

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"gocloud.dev/blob"
	"gocloud.dev/blob/memblob"
)

// memHarness is a harness on a fresh memblob bucket, rooted at "team/a/".
func memHarness() Harness {
	base := memblob.OpenBucket(nil)
	// Each handle wraps the same driver; closing one leaves the others.
	return Harness{
		Open:                 func(*testing.T) *blob.Bucket { return blob.PrefixedBucket(base, "team/a/") },
		OpenUnrooted:         func(*testing.T) *blob.Bucket { return blob.PrefixedBucket(base, "") },
		Prefix:               "team/a/",
		WrongCredentialsSkip: "memblob has no credentials",
		LargeSize:            1 << 20,
		PartSize:             256 << 10,
	}
}

// TestRunOnMemblob runs the suite on gocloud's memblob, the reference
// the other providers are measured against.
func TestRunOnMemblob(t *testing.T) {
	Run(t, memHarness())
}

// helperEnv selects, in a child test process, the scenario to run.
const helperEnv = "BYOB_CONFORMANCE_HELPER"

// TestHelperProcess is not a test: TestKnownIssues runs it in a child
// process to see how Run reports a scenario.
func TestHelperProcess(t *testing.T) {
	h := memHarness()
	switch os.Getenv(helperEnv) {
	case "fixed-issue":
		h.KnownIssues = map[string]string{"RoundTripIsRelativeToSubPath": "pretend bug"}
	case "real-issue":
		// The rooted bucket is not where the harness says: every case that
		// looks through the unrooted bucket fails.
		h.Prefix = "elsewhere/"
		h.KnownIssues = map[string]string{}
		for _, c := range []string{"RoundTripIsRelativeToSubPath", "ListStaysInsideSubPath", "KeysNeverEscapeSubPath", "CopyStaysInsideSubPath"} {
			h.KnownIssues[c] = "pretend bug"
		}
	case "unknown-case":
		h.KnownIssues = map[string]string{"NoSuchCase": "typo"}
	default:
		t.Skip("run by TestKnownIssues only")
	}
	Run(t, h)
}

func TestKnownIssues(t *testing.T) {
	for _, tc := range []struct {
		scenario string
		wantFail bool
		wantOut  string
	}{
		{"fixed-issue", true, "known issue no longer reproduces"},
		{"real-issue", false, "known issue: pretend bug"},
		{"unknown-case", true, `KnownIssues names "NoSuchCase"`},
	} {
		t.Run(tc.scenario, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$", "-test.v")
			cmd.Env = append(os.Environ(), helperEnv+"="+tc.scenario)
			out, err := cmd.CombinedOutput()
			if failed := err != nil; failed != tc.wantFail {
				t.Errorf("child failed = %v, want %v; output:\n%s", failed, tc.wantFail, out)
			}
			if !strings.Contains(string(out), tc.wantOut) {
				t.Errorf("child output lacks %q:\n%s", tc.wantOut, out)
			}
		})
	}
}
