package presign

import (
	"context"
	"net/http"
	"net/url"
	"sync/atomic"
	"time"

	"github.com/byobkit/byob/address"
	"github.com/byobkit/byob/internal/sigv4"
	"github.com/byobkit/byob/provider"
	"github.com/byobkit/byob/scope"
)

// s3Signer signs for an S3, CoreWeave or S3-compatible location.
type s3Signer struct {
	s         *Signer
	h         *provider.Handle
	scheme    string
	host      string
	bucket    string
	region    string
	pathStyle bool
	userParam string
	cur       atomic.Pointer[s3Creds]
}

// s3Creds is a sigv4.Signer and the credentials it was made for, to
// compare with the handle's on each call (never a map key).
type s3Creds struct {
	ak, sk, token string
	signer        *sigv4.Signer
	gen           uint64
}

func newS3Signer(s *Signer, loc *scope.Location) (locSigner, error) {
	h := handleOf(loc)
	u, err := url.Parse(h.EndpointURL())
	if err != nil || u.Host == "" {
		return nil, &Error{Op: "sign", Field: "location", Kind: ErrUnsupported, Problem: "the location's endpoint is not a URL"}
	}
	return &s3Signer{s: s, h: h, scheme: u.Scheme, host: u.Host, bucket: h.Location().Bucket, region: h.Region(),
		pathStyle: h.Style() == address.StylePath, userParam: h.Rules().UserParam}, nil
}

func (b *s3Signer) current(ctx context.Context) (creds, error) {
	ac, err := b.h.AWSCredentials(ctx)
	if err != nil {
		return creds{}, &Error{Op: "sign", Field: "credentials", Kind: ErrCredentials, Cause: err}
	}
	c := b.cur.Load()
	if c == nil || c.ak != ac.AccessKeyID || c.sk != ac.SecretAccessKey || c.token != ac.SessionToken {
		sg, err := sigv4.NewSigner(ac.AccessKeyID, ac.SecretAccessKey, ac.SessionToken)
		if err != nil {
			return creds{}, &Error{Op: "sign", Field: "credentials", Kind: ErrCredentials, Cause: err}
		}
		c = &s3Creds{ak: ac.AccessKeyID, sk: ac.SecretAccessKey, token: ac.SessionToken, signer: sg, gen: b.s.gen.Add(1)}
		b.cur.Store(c)
	}
	out := creds{gen: c.gen, impl: c}
	if ac.CanExpire {
		out.expires = ac.Expires
	}
	return out, nil
}

// s3Ops maps the operation (and, for objects, the method) to SigV4's.
func s3Op(o *Options, method string) sigv4.Op {
	switch o.Op {
	case OpCreateUpload:
		return sigv4.CreateMultipartUpload
	case OpUploadPart:
		return sigv4.UploadPart
	case OpCompleteUpload:
		return sigv4.CompleteMultipartUpload
	case OpAbortUpload:
		return sigv4.AbortMultipartUpload
	}
	switch method {
	case http.MethodHead:
		return sigv4.HeadObject
	case http.MethodPut:
		return sigv4.PutObject
	}
	return sigv4.GetObject
}

func (b *s3Signer) sign(_ context.Context, c creds, _, full string, o Options, method string, t, exp time.Time) (Request, error) {
	return b.signS3(c, "", full, &o, method, t, exp)
}

// signS3 is sign for the full key prefix+key, checked already, which
// Signer.SignLocation calls directly rather than through locSigner: the
// Options by pointer (an interface call would move them to the heap),
// and the prefix and the key apart, with a request on the stack (sigv4
// keeps nothing of it), so that the URL is the only allocation and the
// Options are not copied on the way.
func (b *s3Signer) signS3(c creds, prefix, key string, o *Options, method string, t, exp time.Time) (Request, error) {
	t = t.Truncate(time.Second)
	d := exp.Sub(t).Truncate(time.Second)
	if (o.Op == OpUploadPart || o.Op == OpCompleteUpload || o.Op == OpAbortUpload) && o.UploadID == "" {
		return Request{}, optErr("UploadID", "the upload id is empty", "give the id CreateMultipartUpload returned")
	}
	r := sigv4.Request{Op: s3Op(o, method), Scheme: b.scheme, Host: b.host, Bucket: b.bucket, Prefix: prefix, Key: key,
		PathStyle: b.pathStyle, Region: b.region, Time: t, Expires: d,
		PartNumber: o.PartNumber, UploadID: o.UploadID, ContentType: o.ContentType, ContentMD5: o.ContentMD5,
		ResponseContentType: o.ResponseContentType, ResponseContentDisposition: o.ResponseContentDisposition}
	var q [1]sigv4.Param
	if o.User != "" && b.userParam != "" {
		q[0] = sigv4.Param{Name: b.userParam, Value: o.User}
		r.Query = q[:]
	}
	u, err := c.impl.(*s3Creds).signer.Presign(&r)
	if err != nil {
		return Request{}, &Error{Op: "sign", Kind: ErrSign, Cause: err}
	}
	return Request{Method: method, URL: u, Expires: t.Add(d),
		Header: header("Content-Type", o.ContentType, "Content-Md5", o.ContentMD5)}, nil
}

func (b *s3Signer) binds(context.Context) (Binds, error) {
	return Binds{ContentType: true, ContentMD5: true, User: true, ResponseOverrides: true, MD5Checked: true}, nil
}
