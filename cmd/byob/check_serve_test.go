package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/byobkit/byob/internal/testsecret"
	"github.com/byobkit/byob/presign"
)

// checkJSON runs 'byob check --json args...' and decodes what it prints.
func checkJSON(t *testing.T, args ...string) (checkOut, int, string) {
	t.Helper()
	var out, errOut strings.Builder
	code := run(append([]string{"check", "--json"}, args...), &out, &errOut, func(string) string { return "" })
	var got checkOut
	if err := json.Unmarshal([]byte(out.String()), &got); err != nil {
		t.Fatalf("check --json printed no JSON object (exit %d): %v\nstdout: %s\nstderr: %s", code, err, out.String(), errOut.String())
	}
	if got.Exit != code {
		t.Errorf("JSON exit %d, but the command exited %d", got.Exit, code)
	}
	return got, code, out.String() + errOut.String()
}

func findingOf(o checkOut, check string) (findingOut, bool) {
	for _, f := range o.Findings {
		if f.Check == check {
			return f, true
		}
	}
	return findingOut{}, false
}

// Issue #10: 'byob check file://DIR' checks the 'byob serve' of DIR, with
// the keys and base URL it keeps beside DIR: that it answers, a signed
// round trip, and CORS from --origin.
func TestCheckFileChecksItsRunningServe(t *testing.T) {
	tests := []struct {
		name      string
		serveArgs []string // nil: no server was ever started
		stop      bool     // the server is stopped before the check
		rekey     bool     // the state file gets other keys while the server runs
		checkArgs []string
		code      int
		want      map[string]string // check → status
	}{
		{"running server, every origin: all ok", []string{}, false, false, nil, 0,
			map[string]string{checkServer: "ok", checkServerRoundTrip: "ok", checkServerCORS: "ok"}},
		{"running server, the origin it allows: all ok", []string{"--origin", "http://localhost:3000"}, false, false,
			[]string{"--origin", "http://localhost:3000"}, 0,
			map[string]string{checkServer: "ok", checkServerRoundTrip: "ok", checkServerCORS: "ok"}},
		{"running server, another origin: CORS error, exit 2", []string{"--origin", "http://localhost:3000"}, false, false,
			[]string{"--origin", "https://app.example.com"}, 2,
			map[string]string{checkServer: "ok", checkServerRoundTrip: "ok", checkServerCORS: "error"}},
		{"server verifies other keys: round trip error, exit 2", []string{}, false, true, nil, 2,
			map[string]string{checkServer: "ok", checkServerRoundTrip: "error"}},
		{"state file, server stopped: could not check, exit 1", []string{}, true, false, nil, 1,
			map[string]string{checkServer: "could-not-check"}},
		{"never served: ok, says so", nil, false, false, nil, 0,
			map[string]string{checkServer: "ok"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "bucket")
			statePath, _ := servePaths(dir)
			var secrets []string
			if tt.serveArgs != nil {
				s := startServe(t, dir, tt.serveArgs, serveHooks{})
				st, err := readState(statePath)
				if err != nil {
					t.Fatal(err)
				}
				secrets = append(secrets, st.Keys.EncodeSecret())
				if tt.rekey {
					st.Keys = presign.NewLocalKeys()
					if err := writeState(statePath, st, false); err != nil {
						t.Fatal(err)
					}
					secrets = append(secrets, st.Keys.EncodeSecret())
				}
				if tt.stop {
					s.stop()
				}
			} else if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			got, code, all := checkJSON(t, append(tt.checkArgs, "file://"+dir)...)
			if code != tt.code {
				t.Errorf("exit %d, want %d: %+v", code, tt.code, got.Findings)
			}
			for check, status := range tt.want {
				f, ok := findingOf(got, check)
				if !ok || f.Status != status {
					t.Errorf("%s: %+v, want status %s", check, f, status)
				}
			}
			if f, _ := findingOf(got, checkServerCORS); f.Status == "error" && !strings.Contains(f.Fix, "--origin 'https://app.example.com'") {
				t.Errorf("CORS fix does not name the origin: %q", f.Fix)
			}
			if f, _ := findingOf(got, checkServer); f.Status == "could-not-check" && !strings.Contains(f.Fix, "byob serve --dir "+shellQuote(dir)) {
				t.Errorf("fix does not say how to start the server: %q", f.Fix)
			}
			testsecret.Check(t, "check output", all, secrets...)
			if keys := listKeys(t, dir); len(keys) != 0 {
				t.Errorf("the check left %q in the bucket", keys)
			}
			if _, err := os.Stat(filepath.Join(dir, ".byob-check")); !os.IsNotExist(err) {
				t.Errorf("the check left its probe directory: %v", err)
			}
		})
	}
}
