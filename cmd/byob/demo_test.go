package main

import (
	"encoding/json"
	"io"
	"net"
	"os"
	"regexp"
	"strings"
	"testing"
)

// demoWant are lines each step of 'byob demo' must print (regular
// expressions, matched in order), by step title.
var demoWant = []struct {
	title string
	lines []string
}{
	{"Two file:// buckets in a temporary directory, served on loopback", []string{
		`^instance bucket file:///.*/byob-demo-[0-9]+/instance$`,
		`^omega's bucket  file:///.*/byob-demo-[0-9]+/omega$`,
		`^instance +served at http://127\.0\.0\.1:[0-9]+/instance by byob serve's handler$`,
		`^omega +served at http://127\.0\.0\.1:[0-9]+/omega by byob serve's handler$`,
	}},
	{"Teams Kappa and Omega, as the documentation describes them", []string{
		`^kappa  no bucket of its own -> instance scope, files in the instance bucket$`,
		`^omega  its own bucket       -> team scope, files in the omega bucket$`,
	}},
	{"Artifact files uploaded through presigned PUTs, by a plain HTTP client", []string{
		`^dataset:v0  train\.csv +[0-9]+ B +PUT +wandb_artifacts/7/1001/[0-9a-f]{8}…$`,
		`^dataset:v0  images\.tar +6\.0 MiB +multipart, 2 parts +wandb_artifacts/7/1001/[0-9a-f]{8}…$`,
		`^dataset:v1  train\.csv +[0-9]+ B +PUT +wandb_artifacts/7/1002/[0-9a-f]{8}…$`,
		`^dataset:v1  images\.tar +reused +deduplicated: the file dataset:v0 uploaded$`,
		`^model:v0    weights\.bin +64\.0 KiB +PUT +wandb_artifacts/7/2001/[0-9a-f]{8}…$`,
	}},
	{"Downloads through presigned GETs", []string{`each the bytes uploaded$`}},
	{"Who can read what", []string{
		`^alice  kappa +kappa's train\.csv +allowed \(instance scope\): HTTP 200$`,
		`^alice  kappa +omega's weights\.bin +refused: no URL signed \(scope\.ErrAccessDenied`,
		`^bob    omega +kappa's train\.csv +allowed \(instance scope\): HTTP 200$`,
		`^bob    omega +omega's weights\.bin +allowed \(team scope\): HTTP 200$`,
		`^alice edits her URL to name omega's weights\.bin: HTTP 403 SignatureDoesNotMatch$`,
	}},
	{"Delete the artifact version dataset:v0 (the product's soft delete)", []string{
		`^v0's train\.csv  wandb_artifacts/7/1001/[0-9a-f]{8}…  unreferenced now: garbage$`,
		`^v0's images\.tar wandb_artifacts/7/1001/[0-9a-f]{8}…  still live: dataset:v1 shares it$`,
	}},
	{"The collector, two days later: a dry run, then the real run", []string{
		`^dry run: listed 3 files under wandb_artifacts/: 2 live, 1 unreferenced; 0 kept by the server's check$`,
		`^         would delete 1 \([0-9]+ B\); deleted nothing, claimed nothing$`,
		`^run [0-9]{8}T[0-9]{6}Z-[0-9a-f]+: claimed and deleted 1, reclaimed [0-9]+ B \(mode trash: moved to byob-trash/[0-9]{8}T[0-9]{6}Z-[0-9a-f]+/\)$`,
		`^the server marked v0's train\.csv claimed`,
		`^v0's train\.csv: HTTP 404 NoSuchKey; images\.tar still reads \(HTTP 200\): v1 shares it$`,
	}},
	{"The run's journal (JSON Lines; each intent is synced before its deletes)", []string{
		`^start    file:///.*/instance, mode trash, min age 48h0m0s, trash byob-trash/$`,
		`^intent   batch 1, unreferenced: delete 1 \(wandb_artifacts/7/1001/[0-9a-f]{8}…, [0-9]+ B\), 0 kept by the claim$`,
		`^outcome  batch 1: 1 deleted, 0 already gone, 0 failed$`,
		`^end      scanned 3, deleted 1, reclaimed [0-9]+ B$`,
	}},
	{"Restore from the journal", []string{
		`^restored 1 of 1 keys, 0 already present, 0 lost$`,
		`^v0's train\.csv reads again: HTTP 200, the bytes uploaded; files left in the trash: 0$`,
	}},
	{"Done", []string{`^in [0-9.]+s; the temporary directory .* and the server are gone$`}},
}

// checkDemoSteps checks the steps against demoWant.
func checkDemoSteps(t *testing.T, steps []demoStep) {
	t.Helper()
	if len(steps) != len(demoWant) {
		t.Errorf("%d steps, want %d", len(steps), len(demoWant))
	}
	for i, w := range demoWant {
		if i >= len(steps) {
			break
		}
		s := steps[i]
		if s.Title != w.title {
			t.Errorf("step %d is %q, want %q", i+1, s.Title, w.title)
			continue
		}
		next := 0
		for _, re := range w.lines {
			r := regexp.MustCompile(re)
			for next < len(s.Lines) && !r.MatchString(s.Lines[next]) {
				next++
			}
			if next == len(s.Lines) {
				t.Errorf("step %d (%s) lacks a line %s after the ones before:\n%s", i+1, s.Title, re, strings.Join(s.Lines, "\n"))
				break
			}
			next++
		}
	}
}

// parseDemoText splits the text output into its steps.
func parseDemoText(t *testing.T, text string) []demoStep {
	t.Helper()
	var steps []demoStep
	head := regexp.MustCompile(`^([0-9]+)\. (.*)$`)
	for _, l := range strings.Split(strings.TrimSuffix(text, "\n"), "\n") {
		switch m := head.FindStringSubmatch(l); {
		case m != nil:
			steps = append(steps, demoStep{Title: m[2]})
		case l == "":
		case strings.HasPrefix(l, "   ") && len(steps) > 0:
			steps[len(steps)-1].Lines = append(steps[len(steps)-1].Lines, l[3:])
		default:
			t.Errorf("line outside a step: %q", l)
		}
	}
	return steps
}

// Issue #10: 'byob demo' runs the whole story with nothing set up, prints
// each step, and leaves nothing behind: no file in TMPDIR, no server.
func TestDemo(t *testing.T) {
	for _, jsonOut := range []bool{false, true} {
		name := "text"
		if jsonOut {
			name = "json"
		}
		t.Run(name, func(t *testing.T) {
			tmp := t.TempDir()
			t.Setenv("TMPDIR", tmp)
			args := []string{"demo"}
			if jsonOut {
				args = append(args, "--json")
			}
			var out, errOut strings.Builder
			if code := run(args, &out, &errOut, func(string) string { return "" }); code != 0 {
				t.Fatalf("exit %d: %s\n%s", code, errOut.String(), out.String())
			}
			if errOut.Len() != 0 {
				t.Errorf("stderr: %s", errOut.String())
			}
			var steps []demoStep
			if jsonOut {
				var got demoOut
				if err := json.Unmarshal([]byte(out.String()), &got); err != nil {
					t.Fatalf("--json printed no JSON object: %v", err)
				}
				if !got.OK || got.Error != "" {
					t.Errorf("ok %v, error %q", got.OK, got.Error)
				}
				steps = got.Steps
			} else {
				steps = parseDemoText(t, out.String())
				if n := strings.Count(out.String(), "\n"); n > 70 {
					t.Errorf("%d lines: more than a screen or so", n)
				}
			}
			checkDemoSteps(t, steps)
			if regexp.MustCompile(`byob-signature=[0-9a-f]`).MatchString(out.String()) {
				t.Errorf("the output shows a signature")
			}
			if left, _ := os.ReadDir(tmp); len(left) != 0 {
				t.Errorf("left behind in TMPDIR: %v", left)
			}
			if m := regexp.MustCompile(`http://(127\.0\.0\.1:[0-9]+)/instance`).FindStringSubmatch(out.String()); m == nil {
				t.Errorf("no server address in the output")
			} else if c, err := net.Dial("tcp", m[1]); err == nil {
				c.Close()
				t.Errorf("the demo's server still listens at %s", m[1])
			}
			if t.Failed() {
				t.Logf("output:\n%s", out.String())
			}
		})
	}
}

// Issue #10: the demo is coloured on a terminal only, and never with
// NO_COLOR; its text is the same without the colours.
func TestDemoColour(t *testing.T) {
	for _, tt := range []struct {
		name   string
		env    map[string]string
		colour bool
	}{{"terminal", nil, true}, {"terminal, NO_COLOR", map[string]string{"NO_COLOR": "1"}, false}} {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("TMPDIR", t.TempDir())
			var out, errOut strings.Builder
			c := cli{stdout: &out, stderr: &errOut, getenv: func(k string) string { return tt.env[k] }, terminal: func(io.Writer) bool { return true }}
			if code := c.run([]string{"demo"}); code != 0 {
				t.Fatalf("exit %d: %s", code, errOut.String())
			}
			if has := strings.Contains(out.String(), "\x1b["); has != tt.colour {
				t.Errorf("colour %v, want %v", has, tt.colour)
			}
			plain := regexp.MustCompile("\x1b\\[[0-9;]*m").ReplaceAllString(out.String(), "")
			checkDemoSteps(t, parseDemoText(t, plain))
		})
	}
}
