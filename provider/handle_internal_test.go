package provider

import (
	"context"
	"runtime"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/byobkit/byob/address"
)

// TestS3RotationWinsOverARetrievalInFlight: a retrieval of the keys that
// read them before a rotation must not put the old keys back into the
// credentials cache after it, where they would stay (static keys never
// expire) until the next rotation. The retrieval is held between reading
// the keys and handing them to the cache until the rotation has stored
// the new keys and, as far as the test can tell, returned.
func TestS3RotationWinsOverARetrievalInFlight(t *testing.T) {
	ctx := t.Context()
	old := aws.Credentials{AccessKeyID: "AK-OLD", SecretAccessKey: "SK-OLD"}
	n := &s3Native{signer: &s3Signer{}}
	n.signer.use(old)
	n.static.Store(&old)
	read, gate := make(chan struct{}), make(chan struct{})
	first := true
	n.creds = aws.NewCredentialsCache(aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
		c := *n.static.Load() // retrievals are single-flight: no race on first
		if first {
			first = false
			close(read)
			<-gate
		}
		return c, nil
	}))
	retrieved := make(chan aws.Credentials)
	go func() {
		c, _ := n.creds.Retrieve(ctx)
		retrieved <- c
	}()
	<-read // the retrieval holds the old keys

	rotated := make(chan error, 1)
	go func() { rotated <- n.rotate(ctx, address.Credentials{AccessKey: "AK-NEW", Secret: "SK-NEW"}) }()
	for n.static.Load().AccessKeyID != "AK-NEW" {
		runtime.Gosched()
	}
	// A rotation that does not wait for the retrieval returns right after
	// the Store; give it every chance to, then let the retrieval finish.
	for range 1000 {
		select {
		case err := <-rotated:
			rotated <- err
		default:
			runtime.Gosched()
			continue
		}
		break
	}
	close(gate)
	if c := <-retrieved; c.AccessKeyID != old.AccessKeyID {
		t.Fatalf("the held retrieval got %s, want the old keys (the test's set-up is wrong)", c.AccessKeyID)
	}
	if err := <-rotated; err != nil {
		t.Fatal(err)
	}
	got, err := n.creds.Retrieve(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got.AccessKeyID != "AK-NEW" || got.SecretAccessKey != "SK-NEW" {
		t.Errorf("after the rotation the cache holds %s, want AK-NEW", got.AccessKeyID)
	}
}
