package batchdelete

import (
	"context"
	"strconv"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/byobkit/byob/provider"
	"gocloud.dev/gcerrors"
)

// s3Backend deletes through DeleteObjects.
type s3Backend struct {
	h      *provider.Handle
	client *s3.Client
	bucket string
	prefix string
	n      int
	optFns []func(*s3.Options)
}

func newS3Backend(h *provider.Handle) backend {
	c := h.S3()
	if c == nil {
		return nil
	}
	r := h.Rules()
	b := &s3Backend{h: h, client: c, bucket: h.Location().Bucket, prefix: h.Prefix(), n: max(r.BatchDelete, 1)}
	md5 := r.LegacyChecksums
	b.optFns = []func(*s3.Options){func(o *s3.Options) {
		// Each attempt is counted and paced by the Deleter, not the SDK.
		o.Retryer = aws.NopRetryer{}
		if md5 {
			// Stores that predate the CRC checksums need Content-MD5 on
			// DeleteObjects; the SDK now sends only a CRC32.
			o.APIOptions = append(o.APIOptions, smithyhttp.AddContentChecksumMiddleware)
		}
	}}
	return b
}

func (b *s3Backend) batch() int    { return b.n }
func (b *s3Backend) parallel() int { return defaultBatchParallel }

// solo reports whether key cannot be named in a DeleteObjects body: XML
// 1.0 has no way to write most control characters, and the SDK's encoder
// replaces them, and invalid UTF-8, with U+FFFD, so the request would name
// another key (and delete it, if it exists). Such a key is deleted with
// DeleteObject, which carries it percent-encoded in the URL.
func (b *s3Backend) solo(key string) bool {
	if !utf8.ValidString(key) {
		return true
	}
	for _, r := range key {
		if r < 0x20 && r != '\t' && r != '\n' && r != '\r' || r == 0xFFFE || r == 0xFFFF {
			return true
		}
	}
	return false
}

func (b *s3Backend) delete(ctx context.Context, keys []string) []outcome {
	if len(keys) == 1 && b.solo(keys[0]) {
		return []outcome{b.deleteOne(ctx, keys[0])}
	}
	outs := make([]outcome, len(keys))
	objs := make([]types.ObjectIdentifier, len(keys))
	idx := make(map[string]int, len(keys))
	for i, k := range keys {
		// Never a VersionId: a delete naming a version is permanent.
		objs[i] = types.ObjectIdentifier{Key: aws.String(b.prefix + k)}
		idx[b.prefix+k] = i
	}
	out, err := b.client.DeleteObjects(ctx, &s3.DeleteObjectsInput{
		Bucket: aws.String(b.bucket),
		Delete: &types.Delete{Objects: objs, Quiet: aws.Bool(true)},
	}, b.optFns...)
	if err != nil {
		o := outcome{err: wrap(b.h, provider.OpDelete, err), retry: temporary(ctx, err)}
		for i := range outs {
			outs[i] = o
		}
		return outs
	}
	unmatched := 0
	named := make([]bool, len(keys))
	for _, e := range out.Errors {
		i, ok := idx[aws.ToString(e.Key)]
		if !ok {
			unmatched++
			continue
		}
		outs[i], named[i] = b.keyOutcome(ctx, e), true
	}
	if unmatched > 0 {
		// An error the answer does not tie to a key we sent may be any
		// key's: none of the others is known to be deleted.
		e := newError(b.h, provider.OpDelete, gcerrors.Unknown, "DeleteObjects reported "+strconv.Itoa(unmatched)+
			" error(s) for keys it was not sent, so whether this key was deleted is unknown")
		for i := range outs {
			if !named[i] {
				outs[i] = outcome{err: e}
			}
		}
	}
	return outs
}

// deleteOne deletes one key with DeleteObject, without a version id.
func (b *s3Backend) deleteOne(ctx context.Context, key string) outcome {
	_, err := b.client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(b.bucket), Key: aws.String(b.prefix + key)}, b.optFns...)
	if err != nil {
		return outcome{err: wrap(b.h, provider.OpDelete, err), retry: temporary(ctx, err)}
	}
	return outcome{}
}

// keyOutcome reads one <Error> entry of a DeleteObjects answer.
func (b *s3Backend) keyOutcome(ctx context.Context, e types.Error) outcome {
	code, msg := aws.ToString(e.Code), aws.ToString(e.Message)
	c := s3KeyCode(code)
	if c == gcerrors.NotFound {
		return outcome{gone: true}
	}
	a := b.h.Address()
	api := &smithy.GenericAPIError{Code: clip(provider.Scrub(code, &a)), Message: clip(provider.Scrub(msg, &a)), Fault: smithy.FaultServer}
	err := newError(b.h, provider.OpDelete, c, "DeleteObjects refused the key: "+code+": "+msg, api)
	return outcome{err: err, retry: retryable(c) && ctx.Err() == nil}
}

// s3KeyCodes classify the error codes of DeleteObjects' per-key <Error>
// entries (AWS S3 error responses reference; MinIO, Ceph RGW and versitygw
// use the same codes). provider.Code cannot: these come as XML in a 200
// answer, with no HTTP status. A code not here is Unknown, and Failed.
var s3KeyCodes = map[string]gcerrors.ErrorCode{
	"AccessDenied":      gcerrors.PermissionDenied,
	"AllAccessDisabled": gcerrors.PermissionDenied,
	// AWS answers a key that does not exist as deleted; stores that say
	// NoSuchKey mean the same.
	"NoSuchKey":          gcerrors.NotFound,
	"SlowDown":           gcerrors.ResourceExhausted,
	"ServiceUnavailable": gcerrors.ResourceExhausted,
	"InternalError":      gcerrors.Internal,
	"RequestTimeout":     gcerrors.DeadlineExceeded,
}

// s3KeyCode classifies a per-key error code: s3KeyCodes, then the
// credential refusals provider.Code knows (InvalidAccessKeyId...).
func s3KeyCode(code string) gcerrors.ErrorCode {
	if c, ok := s3KeyCodes[code]; ok {
		return c
	}
	if provider.Code(&smithy.GenericAPIError{Code: code}) == gcerrors.PermissionDenied {
		return gcerrors.PermissionDenied
	}
	return gcerrors.Unknown
}

// retryable reports whether an answer with code may succeed when sent
// again.
func retryable(c gcerrors.ErrorCode) bool {
	return c == gcerrors.ResourceExhausted || c == gcerrors.Internal || c == gcerrors.DeadlineExceeded
}
