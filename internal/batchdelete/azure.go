package batchdelete

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/bloberror"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/container"
	"github.com/byobkit/byob/provider"
	"gocloud.dev/gcerrors"
)

// azureBackend deletes through Blob Batch.
type azureBackend struct {
	h      *provider.Handle
	client *container.Client
	prefix string
	n      int
}

func newAzureBackend(h *provider.Handle) backend {
	c := h.AzureContainer()
	if c == nil {
		return nil
	}
	return &azureBackend{h: h, client: c, prefix: h.Prefix(), n: max(h.Rules().BatchDelete, 1)}
}

func (b *azureBackend) batch() int    { return b.n }
func (b *azureBackend) parallel() int { return defaultBatchParallel }

// noRetries turns the SDK's retry policy off for one call: each attempt
// is counted and paced by the Deleter.
var noRetries = policy.RetryOptions{MaxRetries: -1}

func (b *azureBackend) delete(ctx context.Context, keys []string) []outcome {
	outs := make([]outcome, len(keys))
	all := func(o outcome) []outcome {
		for i := range outs {
			outs[i] = o
		}
		return outs
	}
	bb, err := b.client.NewBatchBuilder()
	if err != nil {
		return all(outcome{err: wrap(b.h, provider.OpDelete, err)})
	}
	for _, k := range keys {
		// No version id and no snapshot: with versioning or soft delete
		// the blob stays restorable.
		if err := bb.Delete(b.prefix+k, nil); err != nil {
			return all(outcome{err: wrap(b.h, provider.OpDelete, err)})
		}
	}
	resp, err := submitBatch(policy.WithRetryOptions(ctx, noRetries), b.client, bb)
	if err != nil {
		return all(outcome{err: wrap(b.h, provider.OpDelete, err), retry: temporary(ctx, err)})
	}
	named := make([]bool, len(keys))
	for _, item := range resp.Responses {
		if item == nil || item.ContentID == nil || *item.ContentID < 0 || *item.ContentID >= len(keys) || named[*item.ContentID] {
			continue // the SDK checks the count; an answer it cannot tie to a subrequest settles none
		}
		i := *item.ContentID
		named[i] = true
		outs[i] = b.itemOutcome(ctx, item.Error)
	}
	for i := range outs {
		if !named[i] {
			outs[i] = outcome{err: newError(b.h, provider.OpDelete, gcerrors.Unknown,
				"the Blob Batch answer has no usable status for subrequest "+strconv.Itoa(i)+", so whether the blob was deleted is unknown")}
		}
	}
	return outs
}

// itemOutcome reads one subrequest's answer: 404 BlobNotFound is gone,
// anything else not 2xx is an error, classified by its status.
func (b *azureBackend) itemOutcome(ctx context.Context, err error) outcome {
	if err == nil {
		return outcome{}
	}
	var re *azcore.ResponseError
	if errors.As(err, &re) && re.StatusCode == http.StatusNotFound &&
		(re.ErrorCode == "" || re.ErrorCode == string(bloberror.BlobNotFound)) {
		return outcome{gone: true}
	}
	return outcome{err: wrap(b.h, provider.OpDelete, err), retry: temporary(ctx, err)}
}

// errBatchPanic is the cause of a Blob Batch answer the SDK could not
// read without panicking.
var errBatchPanic = errors.New("the Blob Batch answer is malformed (a failed subrequest without a usable Content-ID)")

// submitBatch is SubmitBatch, with a panic turned into an error: azblob
// v1.8.3's ParseBlobBatchResponse indexes its subrequests by the answer's
// Content-ID without checking it (and dereferences it when it is missing
// from a failed subrequest), so a malformed answer would panic.
func submitBatch(ctx context.Context, c *container.Client, bb *container.BatchBuilder) (resp container.SubmitBatchResponse, err error) {
	defer func() {
		if r := recover(); r != nil {
			resp, err = container.SubmitBatchResponse{}, fmt.Errorf("%w (%T)", errBatchPanic, r)
		}
	}()
	return c.SubmitBatch(ctx, bb, nil)
}
