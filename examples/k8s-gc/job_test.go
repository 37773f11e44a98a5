// Package k8sgc holds the Kubernetes Indexed Job that runs byob gc in
// shards (job.yaml), and the test that the Job's shards, as Kubernetes
// numbers its pods, visit every key exactly once.
package k8sgc

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/byobkit/byob/gc"
	"go.yaml.in/yaml/v3"
)

// job is the part of a batch/v1 Job this test reads.
type job struct {
	APIVersion string `yaml:"apiVersion"`
	Kind       string `yaml:"kind"`
	Spec       struct {
		CompletionMode string `yaml:"completionMode"`
		Completions    *int   `yaml:"completions"`
		Parallelism    *int   `yaml:"parallelism"`
		Template       struct {
			Spec struct {
				RestartPolicy string      `yaml:"restartPolicy"`
				Containers    []container `yaml:"containers"`
				Volumes       []struct {
					Name string `yaml:"name"`
				} `yaml:"volumes"`
			} `yaml:"spec"`
		} `yaml:"template"`
	} `yaml:"spec"`
}

type container struct {
	Name    string   `yaml:"name"`
	Image   string   `yaml:"image"`
	Command []string `yaml:"command"`
	Args    []string `yaml:"args"`
	Env     []struct {
		Name      string  `yaml:"name"`
		Value     *string `yaml:"value"`
		ValueFrom *struct {
			SecretKeyRef *struct {
				Name string `yaml:"name"`
				Key  string `yaml:"key"`
			} `yaml:"secretKeyRef"`
		} `yaml:"valueFrom"`
	} `yaml:"env"`
	VolumeMounts []struct {
		Name      string `yaml:"name"`
		MountPath string `yaml:"mountPath"`
	} `yaml:"volumeMounts"`
}

// readJob parses job.yaml: one document, a Job.
func readJob(t *testing.T) job {
	t.Helper()
	raw, err := os.ReadFile("job.yaml")
	if err != nil {
		t.Fatal(err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	var j job
	if err := dec.Decode(&j); err != nil {
		t.Fatalf("job.yaml: %v", err)
	}
	var more any
	if err := dec.Decode(&more); err == nil {
		t.Fatal("job.yaml holds more than one document; the test reads the first only")
	}
	return j
}

// flag returns the value after --name in args.
func flag(t *testing.T, args []string, name string) string {
	t.Helper()
	i := slices.Index(args, "--"+name)
	if i < 0 || i+1 >= len(args) {
		t.Fatalf("args %q have no --%s value", args, name)
	}
	return args[i+1]
}

// varRef is a Kubernetes dependent variable reference, $(NAME), which the
// kubelet expands in args from the container's environment (and leaves
// as it is when the variable is not set).
var varRef = regexp.MustCompile(`\$\(([A-Za-z_][A-Za-z0-9_]*)\)`)

// expand does what the kubelet does to an argument of the pod with index.
func expand(arg string, index int) string {
	return varRef.ReplaceAllStringFunc(arg, func(ref string) string {
		if ref == "$("+gc.JobIndexEnv+")" {
			return strconv.Itoa(index)
		}
		return ref
	})
}

// TestJobManifest checks what the Job must say for its pods to split the
// keyspace: Indexed completion, and a --shard whose count is the number
// of completions and whose index is the pod's.
func TestJobManifest(t *testing.T) {
	j := readJob(t)
	if j.APIVersion != "batch/v1" || j.Kind != "Job" {
		t.Fatalf("job.yaml is a %s %s, want a batch/v1 Job", j.APIVersion, j.Kind)
	}
	s := j.Spec
	if s.CompletionMode != "Indexed" {
		t.Errorf("completionMode %q, want Indexed: only then does Kubernetes set %s", s.CompletionMode, gc.JobIndexEnv)
	}
	if s.Completions == nil || *s.Completions < 1 || *s.Completions > gc.MaxShards {
		t.Fatalf("completions %s, want 1 to %d: the shard count", show(s.Completions), gc.MaxShards)
	}
	n := *s.Completions
	if s.Parallelism == nil || *s.Parallelism < 1 || *s.Parallelism > n {
		t.Errorf("parallelism %s, want 1 to completions (%d)", show(s.Parallelism), n)
	}
	if len(s.Template.Spec.Containers) != 1 {
		t.Fatalf("%d containers, want the one running byob gc", len(s.Template.Spec.Containers))
	}
	c := s.Template.Spec.Containers[0]
	args := append(slices.Clone(c.Command), c.Args...)
	if len(args) < 2 || args[0] != "gc" {
		t.Fatalf("args %q, want byob's gc command first", args)
	}
	if want := "$(" + gc.JobIndexEnv + ")/" + strconv.Itoa(n); flag(t, args, "shard") != want {
		t.Errorf("--shard %q, want %q: the count must be completions", flag(t, args, "shard"), want)
	}
	if journal := flag(t, args, "journal"); !strings.Contains(journal, "$("+gc.JobIndexEnv+")") {
		t.Errorf("--journal %q is the same file for every shard, want one per index", journal)
	}
	mounted := func(path string) bool {
		for _, m := range c.VolumeMounts {
			if path == m.MountPath || strings.HasPrefix(path, strings.TrimSuffix(m.MountPath, "/")+"/") {
				return true
			}
		}
		return false
	}
	for _, f := range []string{"manifests", "journal"} {
		if p := flag(t, args, f); !mounted(p) {
			t.Errorf("--%s %q is on no mounted volume: the pod's own file system is lost with it", f, p)
		}
	}

	// Every variable an argument names is set, so that the kubelet
	// expands it: the job index by Kubernetes, the rest by env. The
	// address comes from a Secret, never written in the manifest.
	env := map[string]bool{gc.JobIndexEnv: true}
	for _, e := range c.Env {
		env[e.Name] = true
		if e.Name == "BYOB_ADDRESS" && (e.Value != nil || e.ValueFrom == nil || e.ValueFrom.SecretKeyRef == nil) {
			t.Errorf("BYOB_ADDRESS is not read from a Secret: an address may carry keys")
		}
	}
	for _, a := range args {
		for _, m := range varRef.FindAllStringSubmatch(a, -1) {
			if !env[m[1]] {
				t.Errorf("argument %q names $(%s), which the container does not set", a, m[1])
			}
		}
	}
	if args[1] != "$(BYOB_ADDRESS)" {
		t.Errorf("the address argument is %q, want $(BYOB_ADDRESS) from the Secret", args[1])
	}
}

// show prints an optional number.
func show(p *int) string {
	if p == nil {
		return "unset"
	}
	return strconv.Itoa(*p)
}

// TestJobShardsCoverEveryKeyOnce takes each pod of the Job, 0 to
// completions-1, reads its shard as byob does (from JOB_COMPLETION_INDEX,
// and from its expanded --shard argument: both must agree), and checks
// that every key under the data prefix is in exactly one pod's shard, by
// Contains and by Ranges (what a listing and a source use), and that no
// key outside it is in any.
func TestJobShardsCoverEveryKeyOnce(t *testing.T) {
	j := readJob(t)
	n := *j.Spec.Completions
	c := j.Spec.Template.Spec.Containers[0]
	shardArg := flag(t, append(slices.Clone(c.Command), c.Args...), "shard")
	shards := make([]gc.Shard, n)
	for i := range n {
		lookup := func(k string) (string, bool) {
			if k == gc.JobIndexEnv {
				return strconv.Itoa(i), true
			}
			return "", false
		}
		fromEnv, err := gc.ShardFromJobIndex(lookup, n)
		if err != nil {
			t.Fatalf("pod %d: ShardFromJobIndex: %v", i, err)
		}
		fromArg, err := gc.ParseShard(expand(shardArg, i))
		if err != nil {
			t.Fatalf("pod %d: --shard %q: %v", i, expand(shardArg, i), err)
		}
		if fromEnv != fromArg || fromEnv.Index != i || fromEnv.Count != n {
			t.Fatalf("pod %d: shard %v from the environment, %v from --shard; want %d/%d", i, fromEnv, fromArg, i, n)
		}
		shards[i] = fromEnv
	}

	const prefix = "wandb_artifacts/"
	for _, key := range keys(prefix) {
		var byContains, byRanges []int
		for i, s := range shards {
			if s.Contains(prefix, key) {
				byContains = append(byContains, i)
			}
			for _, r := range s.Ranges(prefix) {
				if r.Contains(key) {
					byRanges = append(byRanges, i)
				}
			}
		}
		if len(byContains) != 1 || !slices.Equal(byContains, byRanges) {
			t.Errorf("key %q is in shards %v by Contains and %v by Ranges, want exactly one", key, byContains, byRanges)
		}
	}
	for _, key := range []string{"", "wandb_artifacts", "wandb_artifactz/1", "other/wandb_artifacts/1", "\xff"} {
		for i, s := range shards {
			if s.Contains(prefix, key) {
				t.Errorf("key %q outside the data prefix is in shard %d", key, i)
			}
		}
	}
}

// keys returns keys under prefix: the prefix itself, every first byte
// after it (control bytes, DEL, every non-ASCII byte), keys of the
// default layout, and random byte strings.
func keys(prefix string) []string {
	out := []string{prefix}
	for b := range 256 {
		out = append(out, prefix+string([]byte{byte(b)}), prefix+string([]byte{byte(b)})+"/x")
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 5000 {
		out = append(out, fmt.Sprintf("%s%d/%d/%032x", prefix, r.IntN(1e9), r.IntN(1e10), r.Uint64()))
		raw := make([]byte, 1+r.IntN(12))
		for i := range raw {
			raw[i] = byte(r.IntN(256))
		}
		out = append(out, prefix+string(raw))
	}
	return append(out, prefix+"é/1", prefix+"日本/1", prefix+"~", prefix+" ")
}
