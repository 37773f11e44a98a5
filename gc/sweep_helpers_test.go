package gc

import (
	"context"
	"errors"
	"io"
	"iter"
	"testing"
)

const pfx = DefaultDataPrefix

// objs is an Objects over keys (size = len(key)), failing with err after
// failAt keys if err is set.
type objs struct {
	keys   []string
	i      int
	failAt int
	err    error
}

func listOf(keys ...string) *objs { return &objs{keys: keys, failAt: -1} }

func (o *objs) Next(context.Context) (Object, error) {
	if o.err != nil && o.i == o.failAt {
		return Object{}, o.err
	}
	if o.i == len(o.keys) {
		return Object{}, io.EOF
	}
	k := o.keys[o.i]
	o.i++
	return Object{Key: k, Size: int64(len(k))}, nil
}

// liveOf yields keys, then err if set (after failAt keys).
func liveOf(keys ...string) iter.Seq2[string, error] { return liveFail(keys, -1, nil) }

func liveFail(keys []string, failAt int, err error) iter.Seq2[string, error] {
	return func(yield func(string, error) bool) {
		for i, k := range keys {
			if i == failAt {
				yield("", err)
				return
			}
			if !yield(k, nil) {
				return
			}
		}
		if failAt == len(keys) {
			yield("", err)
		}
	}
}

// collect runs Sweep and returns the candidates emitted, in order, and
// the batch sizes.
func collect(t testing.TB, ctx context.Context, listed Objects, live iter.Seq2[string, error], o SweepOptions) ([]string, []int, SweepStats, error) {
	t.Helper()
	var got []string
	var sizes []int
	st, err := Sweep(ctx, listed, live, o, func(b []Object) error {
		sizes = append(sizes, len(b))
		for _, c := range b {
			got = append(got, c.Key)
		}
		return nil
	})
	return got, sizes, st, err
}

// wantKind checks that err is a *Error of kind want (nil: no error).
func wantKind(t testing.TB, err, want error) {
	t.Helper()
	if want == nil {
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return
	}
	var e *Error
	if !errors.As(err, &e) || !errors.Is(err, want) {
		t.Fatalf("error = %v (%T), want a *gc.Error of kind %q", err, err, want)
	}
}

func keys(names ...string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = pfx + n
	}
	return out
}
