package presign

import (
	"context"
	"crypto/rsa"
	"net/url"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/byobkit/byob/address"
	"github.com/byobkit/byob/internal/gcsv4"
	"github.com/byobkit/byob/provider"
	"github.com/byobkit/byob/scope"
)

// gcsSigner signs for a GCS location.
type gcsSigner struct {
	s         *Signer
	h         *provider.Handle
	endpoint  string
	bucket    string
	style     gcsv4.Style
	userParam string
	cur       atomic.Pointer[gcsCreds]
}

// gcsCreds is a gcsv4.Signer and the parsed key it was made from, compared
// by pointer: a rotation gives the handle a new key.
type gcsCreds struct {
	email  string
	key    *rsa.PrivateKey
	signer *gcsv4.Signer
	gen    uint64
}

func newGCSSigner(s *Signer, loc *scope.Location) (locSigner, error) {
	h := handleOf(loc)
	style := gcsv4.VirtualHostedStyle
	if h.Style() == address.StylePath {
		style = gcsv4.PathStyle
	}
	ep := h.EndpointURL()
	if ep == "https://storage.googleapis.com" {
		ep = ""
	}
	return &gcsSigner{s: s, h: h, endpoint: ep, bucket: h.Location().Bucket, style: style, userParam: h.Rules().UserParam}, nil
}

func (b *gcsSigner) current(ctx context.Context) (creds, error) {
	gs, err := b.h.GoogleSigner(ctx)
	if err != nil {
		return creds{}, &Error{Op: "sign", Field: "credentials", Kind: ErrCredentials, Cause: err}
	}
	c := b.cur.Load()
	if c != nil && c.email == gs.Email && c.key == gs.Key && gs.Key != nil {
		return creds{gen: c.gen, impl: c}, nil
	}
	var sg *gcsv4.Signer
	if gs.Key != nil {
		sg, err = gcsv4.New(gs.Email, gs.Key)
	} else {
		// An ambient identity signs through IAM signBlob: the function
		// is the handle's, so the signer is made afresh (it is cheap) and
		// only the e-mail decides the generation.
		sg, err = gcsv4.NewWithSignBytes(gs.Email, gs.SignBytes)
	}
	if err != nil {
		return creds{}, &Error{Op: "sign", Field: "credentials", Kind: ErrCredentials, Cause: err}
	}
	gen := uint64(0)
	if c != nil && c.email == gs.Email && gs.Key == nil && c.key == nil {
		gen = c.gen
	} else {
		gen = b.s.gen.Add(1)
	}
	c = &gcsCreds{email: gs.Email, key: gs.Key, signer: sg, gen: gen}
	b.cur.Store(c)
	return creds{gen: c.gen, impl: c}, nil
}

// gcsMethod is the XML API's method and query for each multipart step.
func gcsQuery(o *Options, userParam string) url.Values {
	var q url.Values
	set := func(k, v string) {
		if q == nil {
			q = make(url.Values, 4)
		}
		q[k] = []string{v}
	}
	switch o.Op {
	case OpCreateUpload:
		set("uploads", "")
	case OpUploadPart:
		set("partNumber", strconv.Itoa(o.PartNumber))
		set("uploadId", o.UploadID)
	case OpCompleteUpload, OpAbortUpload:
		set("uploadId", o.UploadID)
	}
	if o.ResponseContentType != "" {
		set("response-content-type", o.ResponseContentType)
	}
	if o.ResponseContentDisposition != "" {
		set("response-content-disposition", o.ResponseContentDisposition)
	}
	if o.User != "" && userParam != "" {
		set(userParam, o.User)
	}
	return q
}

func (b *gcsSigner) sign(ctx context.Context, c creds, _, full string, o Options, method string, t, exp time.Time) (Request, error) {
	if (o.Op == OpUploadPart || o.Op == OpCompleteUpload || o.Op == OpAbortUpload) && o.UploadID == "" {
		return Request{}, optErr("UploadID", "the upload id is empty", "give the id the start of the upload returned")
	}
	t = t.Truncate(time.Second)
	exp = t.Add(exp.Sub(t).Truncate(time.Second))
	r := gcsv4.Request{Method: method, Bucket: b.bucket, Object: full, Style: b.style, Endpoint: b.endpoint,
		Time: t, Expires: exp, ContentType: o.ContentType, MD5: o.ContentMD5, Query: gcsQuery(&o, b.userParam)}
	u, err := c.impl.(*gcsCreds).signer.Sign(ctx, &r)
	if err != nil {
		return Request{}, &Error{Op: "sign", Kind: ErrSign, Cause: err}
	}
	return Request{Method: method, URL: u, Expires: exp,
		Header: header("Content-Type", o.ContentType, "Content-Md5", o.ContentMD5)}, nil
}

func (b *gcsSigner) binds(context.Context) (Binds, error) {
	return Binds{ContentType: true, ContentMD5: true, User: true, ResponseOverrides: true, MD5Checked: true}, nil
}
