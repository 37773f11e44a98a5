package batchdelete

import (
	"context"
	"errors"
	"io"
	"net"
	"syscall"
	"unicode/utf8"

	"github.com/byobkit/byob/internal/apierr"
	"github.com/byobkit/byob/provider"
	"gocloud.dev/gcerrors"
)

// maxMessage bounds the service's text quoted in an error: an answer is
// the service's to choose, and a per-key message is not worth a megabyte.
const maxMessage = 512

// cause is the scrubbed text of an error this package builds, and the
// errors it unwraps to: the gcerrors.Err… value of its code, and whatever
// else the builder keeps (a scrubbed copy of an S3 error).
type cause struct {
	msg  string
	kept []error
}

func (c *cause) Error() string   { return c.msg }
func (c *cause) Unwrap() []error { return c.kept }

// codeSentinels are gcerrors' value for each code, so that errors.Is works
// on the errors this package builds as on gocloud's.
var codeSentinels = map[gcerrors.ErrorCode]error{
	gcerrors.Unknown:            gcerrors.ErrUnknown,
	gcerrors.NotFound:           gcerrors.ErrNotFound,
	gcerrors.InvalidArgument:    gcerrors.ErrInvalidArgument,
	gcerrors.Internal:           gcerrors.ErrInternal,
	gcerrors.Unimplemented:      gcerrors.ErrUnimplemented,
	gcerrors.FailedPrecondition: gcerrors.ErrFailedPrecondition,
	gcerrors.PermissionDenied:   gcerrors.ErrPermissionDenied,
	gcerrors.ResourceExhausted:  gcerrors.ErrResourceExhausted,
	gcerrors.Canceled:           gcerrors.ErrCanceled,
	gcerrors.DeadlineExceeded:   gcerrors.ErrDeadlineExceeded,
}

// newError returns a *provider.Error of h's bucket for op with code, whose
// text is msg scrubbed of h's current credentials and of every credential
// form the provider package recognises, cut to maxMessage bytes.
func newError(h *provider.Handle, op string, code gcerrors.ErrorCode, msg string, kept ...error) *provider.Error {
	a := h.Address()
	if s, ok := codeSentinels[code]; ok {
		kept = append(kept, s)
	}
	return &provider.Error{Op: op, Provider: a.Provider, Bucket: a.Bucket, Code: code,
		Err: &cause{msg: clip(provider.Scrub(msg, &a)), kept: kept}}
}

// clip cuts s to at most maxMessage bytes, at a character boundary.
func clip(s string) string {
	if len(s) <= maxMessage {
		return s
	}
	n := maxMessage
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// wrap returns err, a native client's error, as a classified, scrubbed
// *provider.Error of h's bucket.
func wrap(h *provider.Handle, op string, err error) error {
	a := h.Address()
	return provider.WrapError(&a, op, err)
}

// temporary reports whether err, a native client's error, is worth
// another attempt: throttling, an internal error or a timeout of the
// service, or a connection that broke before any answer. The caller's own
// context ending is not.
func temporary(ctx context.Context, err error) bool {
	if ctx.Err() != nil || errors.Is(err, context.Canceled) {
		return false
	}
	switch provider.Code(err) {
	case gcerrors.ResourceExhausted, gcerrors.Internal, gcerrors.DeadlineExceeded:
		return true
	case gcerrors.Unknown:
		// No answer at all (reset, EOF, refused connection): the request
		// may be sent again, as deletes without a version are idempotent.
		var ne net.Error
		return apierr.Status(err) == 0 && (errors.As(err, &ne) || isBrokenConn(err))
	}
	return false
}

// isBrokenConn reports whether err says the connection closed under the
// request.
func isBrokenConn(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, net.ErrClosed)
}
