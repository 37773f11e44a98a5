package scope_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/byobkit/byob/scope"
)

// TestConcurrentFirstLookUpsOpenOnce: callers that want a team's location
// while its bucket is still being opened wait for that one Open instead of
// opening the bucket again.
func TestConcurrentFirstLookUpsOpenOnce(t *testing.T) {
	ctx := context.Background()
	e, cloud, gate := heldOmega(t, "mem://omega-bkt/data")

	results := make(chan *scope.Location, 8)
	errs := make(chan error, 8)
	lookUp := func() {
		l, err := e.reg.Location(ctx, "omega")
		if err != nil {
			errs <- err
			return
		}
		results <- l
	}
	go lookUp()
	<-gate.entered // the first Open is in flight and held
	var wg sync.WaitGroup
	for range 7 {
		wg.Go(lookUp)
	}
	// A second Open would announce itself here; give the seven callers
	// time to reach the registry before letting the first Open finish.
	select {
	case b := <-gate.entered:
		t.Fatalf("a second Open of %s started while the first was in flight", b)
	case <-time.After(100 * time.Millisecond):
	}
	close(gate.release)
	wg.Wait()
	var first *scope.Location
	for range 8 {
		select {
		case err := <-errs:
			t.Fatalf("Location: %v", err)
		case l := <-results:
			if first == nil {
				first = l
			} else if l != first {
				t.Fatalf("concurrent look-ups got different locations")
			}
		}
	}
	if _, opens := cloud.counts(); opens != 2 {
		t.Fatalf("%d opens, want 2 (instance, omega)", opens)
	}
}

// TestWaiterGivesUpWithItsContext: a caller waiting for another's Open
// returns when its own context ends, with an error that says so, and the
// Open it waited for still completes for everyone else.
func TestWaiterGivesUpWithItsContext(t *testing.T) {
	store := &hookStore{Store: scope.NewMemStore()}
	e, cloud, gate := heldOmega(t, "mem://omega-bkt", withStore(store))

	leader := lookUpInBackground(context.Background(), e)
	<-gate.entered
	// Cancel only once the store has been read, so that what ends the
	// call is the wait for the Open, not the store.
	ctx, cancel := context.WithCancel(context.Background())
	store.afterGet = cancel
	_, err := e.reg.Location(ctx, "omega")
	wantKind(t, err, scope.ErrUnusable)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error = %v, want one that wraps context.Canceled", err)
	}
	close(gate.release)
	if err := <-leader; err != nil {
		t.Fatalf("the Open in flight failed: %v", err)
	}
	e.location(t, "omega")
	if _, opens := cloud.counts(); opens != 2 {
		t.Fatalf("%d opens, want 2 (instance, omega)", opens)
	}
}

// TestWaiterRetriesWhenTheOpenerGaveUp: an Open ended by its caller's
// context is not a verdict on the bucket; a waiter whose context is live
// opens the bucket itself.
func TestWaiterRetriesWhenTheOpenerGaveUp(t *testing.T) {
	e, cloud, gate := heldOmega(t, "mem://omega-bkt")

	ctx, cancel := context.WithCancel(context.Background())
	leader := lookUpInBackground(ctx, e)
	<-gate.entered
	waiter := lookUpInBackground(context.Background(), e)
	cancel()
	if err := <-leader; !errors.Is(err, context.Canceled) {
		t.Fatalf("leader error = %v, want context.Canceled", err)
	}
	<-gate.entered // the waiter's own Open
	close(gate.release)
	if err := <-waiter; err != nil {
		t.Fatalf("waiter: %v", err)
	}
	if _, opens := cloud.counts(); opens != 2 {
		t.Fatalf("%d completed opens, want 2 (instance, omega)", opens)
	}
}

// hookStore calls afterGet, when set, after each Get.
type hookStore struct {
	scope.Store
	afterGet func()
}

func (s *hookStore) Get(ctx context.Context, team string) (scope.Record, error) {
	rec, err := s.Store.Get(ctx, team)
	if s.afterGet != nil {
		s.afterGet()
	}
	return rec, err
}

// TestCloseWhileOpening: a registry closed while a bucket is being opened
// hands that caller ErrClosed, not a location over a bucket nobody will
// close.
func TestCloseWhileOpening(t *testing.T) {
	e, _, gate := heldOmega(t, "mem://omega-bkt")

	leader := lookUpInBackground(context.Background(), e)
	<-gate.entered
	if err := e.reg.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	close(gate.release)
	wantKind(t, <-leader, scope.ErrClosed)
	_, err := e.reg.Location(context.Background(), "omega")
	wantKind(t, err, scope.ErrClosed)
}

// heldOmega is a registry whose team omega, stored at storage (a bucket
// named omega-bkt), opens only when the returned gate releases it.
func heldOmega(t *testing.T, storage string, opts ...envOption) (*env, *fakeCloud, *gatedOpen) {
	t.Helper()
	cloud := newFakeCloud()
	gate := newGatedOpen("omega-bkt", cloud.open)
	e := newEnv(t, scope.Testing, "mem://instance", append(opts, withOpen(gate.open))...)
	e.create(t, "omega", storage)
	return e, cloud, gate
}

// lookUpInBackground resolves omega on its own goroutine and sends the
// error.
func lookUpInBackground(ctx context.Context, e *env) <-chan error {
	errc := make(chan error, 1)
	go func() {
		_, err := e.reg.Location(ctx, "omega")
		errc <- err
	}()
	return errc
}
