package main

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"
)

// TestRun checks the access table the example prints, before and after
// kappa-2 is created with its own bucket, and the refusal in between.
func TestRun(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), &out); err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	text := out.String()
	before, after, ok := strings.Cut(text, "giving kappa a team bucket:")
	if !ok {
		t.Fatalf("no isolation section:\n%s", text)
	}
	wantRows := []struct {
		section            string
		user, team, result string
	}{
		{before, "alice", "kappa", `allowed (instance scope): "kappa's notes"`},
		{before, "alice", "omega", "denied"},
		{before, "bob", "kappa", `allowed (instance scope): "kappa's notes"`},
		{before, "bob", "omega", `allowed (team scope): "omega's notes"`},
		{after, "alice", "kappa", `allowed (instance scope): "kappa's notes"`},
		{after, "alice", "omega", "denied"},
		{after, "alice", "kappa-2", `allowed (team scope): "kappa-2's notes"`},
		{after, "bob", "kappa", `allowed (instance scope): "kappa's notes"`},
		{after, "bob", "kappa-2", "denied"},
	}
	for _, r := range wantRows {
		row := regexp.MustCompile(`(?m)^  ` + r.user + ` .*  ` + regexp.QuoteMeta(r.team) + `  +` + regexp.QuoteMeta(r.result))
		if !row.MatchString(r.section) {
			t.Errorf("no row: %s reads %s's file: %s", r.user, r.team, r.result)
		}
	}
	for _, want := range []string{
		"created team kappa   without a bucket    -> instance scope, files in mem://instance",
		"created team omega   with its own bucket -> team scope, files in mem://omega-bucket",
		"refused with scope.ErrImmutable",
		"created team kappa-2 with its own bucket -> team scope, files in mem://kappa-bucket",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	if t.Failed() {
		t.Logf("output:\n%s", text)
	}
}
