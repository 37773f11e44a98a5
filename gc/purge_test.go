package gc

import (
	"context"
	"slices"
	"testing"
	"time"
)

// runFolders fills e with three runs' files and an artifact file.
func runFolders(e *runEnv) (run1, run2, others []string) {
	e.t.Helper()
	run1 = []string{"acme/vision/run1/files/config.yaml", "acme/vision/run1/media/images/a.png"}
	run2 = []string{"acme/vision/run2/output.log"}
	others = []string{"acme/vision/run10/output.log", "acme/vision/run1-b/x", "acme/nlp/run1/y", pfx + "1/v/a"}
	e.write(run1...)
	e.write(run2...)
	e.write(others...)
	return run1, run2, others
}

func TestPurgePrefixesRemovesRunFolders(t *testing.T) {
	for _, env := range envs {
		t.Run(env.name, func(t *testing.T) {
			e := env.new(t)
			run1, run2, others := runFolders(e)
			rep, err := PurgePrefixes(context.Background(), e.loc, []string{"acme/vision/run2/", "acme/vision/run1/", "acme/vision/run2/"}, e.opts())
			if err != nil {
				t.Fatal(err)
			}
			if got := e.keys(); !slices.Equal(got, sorted(others...)) {
				t.Fatalf("bucket %q, want %q", got, sorted(others...))
			}
			n := int64(len(run1) + len(run2))
			if rep.Scanned != n || rep.Deleted != n || rep.Failed != 0 || rep.KeptOnClaim != 0 {
				t.Errorf("report %+v", *rep)
			}
			recs := e.records()
			if got := recKinds(recs); !slices.Equal(got, []string{RecStart, RecIntent, RecOutcome, RecEnd}) {
				t.Fatalf("journal %q", got)
			}
			if st := recs[0]; st.Purpose != PurposePurge || !slices.Equal(st.Prefixes, []string{"acme/vision/run1/", "acme/vision/run2/"}) || st.DataPrefix != "" {
				t.Errorf("start record %+v", st)
			}
			if in := recs[1]; in.Reason != ReasonRetention || len(in.Objects) != int(n) {
				t.Errorf("intent record %+v", in)
			}
		})
	}
}

func TestPurgePrefixesKeepsTheYoung(t *testing.T) {
	e := fileEnv(t)
	e.now = time.Now()
	run1, _, _ := runFolders(e)
	e.age(run1[0], e.now.Add(-DefaultMinAge-time.Minute))
	rep, err := PurgePrefixes(context.Background(), e.loc, []string{"acme/vision/run1/"}, e.opts())
	if err != nil {
		t.Fatal(err)
	}
	if rep.Deleted != 1 || rep.TooYoung != 1 {
		t.Errorf("report %+v", *rep)
	}
	if got := e.keys(); slices.Contains(got, run1[0]) || !slices.Contains(got, run1[1]) {
		t.Errorf("bucket %q: want the old file gone and the young one kept", got)
	}
}

func TestPurgePrefixesDryRun(t *testing.T) {
	e := memEnv(t)
	runFolders(e)
	before := e.keys()
	o := e.opts()
	o.DryRun, o.Journal, o.Force = true, nil, false
	rep, err := PurgePrefixes(context.Background(), e.loc, []string{"acme/vision/run1/"}, o)
	if err != nil {
		t.Fatal(err)
	}
	if got := e.keys(); !slices.Equal(got, before) {
		t.Fatalf("dry run changed the bucket: %q", got)
	}
	if !rep.DryRun || rep.Deleted != 2 || rep.Scanned != 2 {
		t.Errorf("report %+v", *rep)
	}
}

// TestPurgePrefixesRefusals: a prefix that is not a run folder, or that
// overlaps the artifact files or the trash, refuses the whole call with
// nothing deleted and nothing journalled.
func TestPurgePrefixesRefusals(t *testing.T) {
	for _, tc := range []struct {
		name     string
		prefixes []string
		change   func(o *Options)
		want     error
	}{
		{"the whole location", []string{""}, nil, ErrInvalid},
		{"a project, not a run", []string{"acme/vision/"}, nil, ErrInvalid},
		{"no trailing slash", []string{"acme/vision/run1"}, nil, ErrInvalid},
		{"four segments", []string{"acme/vision/run1/files/"}, nil, ErrInvalid},
		{"a leading slash", []string{"/acme/vision/"}, nil, ErrInvalid},
		{"an empty segment", []string{"acme//run1/"}, nil, ErrInvalid},
		{"a dot segment", []string{"acme/./run1/"}, nil, ErrInvalid},
		{"a dot-dot segment", []string{"acme/vision/../"}, nil, ErrInvalid},
		{"one bad prefix among good ones", []string{"acme/vision/run1/", "acme/vision/"}, nil, ErrInvalid},
		{"inside the data prefix", []string{pfx + "1/v/"}, nil, ErrInvalid},
		{"containing the data prefix", []string{"a/b/c/"}, func(o *Options) { o.DataPrefix = "a/b/c/artifacts/" }, ErrInvalid},
		{"inside the trash", []string{"trash/r/acme/"}, func(o *Options) { o.Trash = "trash/" }, ErrInvalid},
		{"no prefixes", nil, nil, ErrInvalid},
		{"a shard", []string{"acme/vision/run1/"}, func(o *Options) { o.Shard = Shard{Index: 0, Count: 2} }, ErrInvalid},
		{"no journal", []string{"acme/vision/run1/"}, func(o *Options) { o.Journal = nil }, ErrInvalid},
		{"MinAge too short", []string{"acme/vision/run1/"}, func(o *Options) { o.MinAge = time.Hour }, ErrInvalid},
		{"a bucket that keeps nothing, not forced", []string{"acme/vision/run1/"}, func(o *Options) { o.Force = false }, ErrUnrecoverable},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := memEnv(t)
			runFolders(e)
			before := e.keys()
			o := e.opts()
			if tc.change != nil {
				tc.change(&o)
			}
			rep, err := PurgePrefixes(context.Background(), e.loc, tc.prefixes, o)
			wantKind(t, err, tc.want)
			if got := e.keys(); !slices.Equal(got, before) || rep.Deleted != 0 {
				t.Fatalf("refused purge changed the bucket: %q, was %q", got, before)
			}
			if e.journal.Len() != 0 {
				t.Errorf("refused purge wrote a journal: %q", e.journal.String())
			}
		})
	}
}
