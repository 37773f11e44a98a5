package provider

import (
	"context"
	"errors"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/byobkit/byob/address"
	"gocloud.dev/blob"
	"gocloud.dev/blob/s3blob"
)

// openS3 opens an AWS, S3-compatible or CoreWeave bucket through s3blob,
// with a client built from the address alone, and keeps the client and its
// credentials on the handle.
func openS3(ctx context.Context, a *address.Address, o Options, h *Handle) (*blob.Bucket, error) {
	region, err := a.ResolveRegion(o.DefaultRegion)
	if err != nil {
		return nil, err // *address.Error: names the field and the fix
	}
	n, err := newS3Native(ctx, a, o, region)
	if err != nil {
		return nil, WrapError(a, OpOpen, err)
	}
	q := s3QuirksOf(a.Flavor())
	b, err := s3blob.OpenBucket(ctx, n.client, a.Bucket, &s3blob.Options{
		// s3blob's multipart uploader has its own checksum setting, which
		// takes precedence over the client's.
		RequestChecksumCalculation: q.RequestChecksum,
	})
	if err != nil {
		return nil, WrapError(a, OpOpen, err)
	}
	h.s3, h.region = n, region
	if a.Region == "" {
		ra := *a
		ra.Region = region
		h.endpoint = ra.EndpointURL()
	}
	return b, nil
}

// s3Native is an S3 bucket's native client and the credentials it signs
// with. For keys from the address, creds reads static (swapped by rotate)
// through a cache that rotate invalidates, and the client signs through
// signer; for an ambient identity creds is the default chain's own cache
// and signer is nil (the SDK's own signer).
type s3Native struct {
	client *s3.Client
	creds  *aws.CredentialsCache
	static atomic.Pointer[aws.Credentials]
	signer *s3Signer
}

// newS3Native builds the client for a, signing for region.
func newS3Native(ctx context.Context, a *address.Address, o Options, region string) (*s3Native, error) {
	n := &s3Native{}
	if a.HasCredentials() {
		c := aws.Credentials{AccessKeyID: a.AccessKey, SecretAccessKey: a.Secret, Source: "byob address"}
		n.static.Store(&c)
		n.creds = aws.NewCredentialsCache(aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return *n.static.Load(), nil
		}))
		n.signer = &s3Signer{}
		n.signer.use(c)
	} else {
		cfg, err := config.LoadDefaultConfig(ctx, config.WithRegion(region))
		if err != nil {
			return nil, err
		}
		cache, ok := cfg.Credentials.(*aws.CredentialsCache)
		if !ok {
			cache = aws.NewCredentialsCache(cfg.Credentials)
		}
		n.creds = cache
	}
	so := s3Options(a, o, region, n.creds)
	if n.signer != nil {
		so.HTTPSignerV4 = n.signer
	}
	n.client = s3.New(so)
	return n, nil
}

// rotate switches to new keys: every request that starts after it returns
// retrieves them. Callers serialise rotations.
func (n *s3Native) rotate(ctx context.Context, c address.Credentials) error {
	if c.AccessKey == "" {
		return errors.New("the access key is empty")
	}
	nc := aws.Credentials{AccessKeyID: c.AccessKey, SecretAccessKey: c.Secret, Source: "byob address"}
	// The signer first: requests still holding the old keys then get a
	// signer of their own, and the shared one only ever sees the new keys.
	n.signer.use(nc)
	n.static.Store(&nc)
	// A retrieval that read the old keys before the Store may put them back
	// into the cache after an Invalidate. Retrievals are single-flight, so
	// retrieving until the cache holds the new keys waits that one out.
	for {
		n.creds.Invalidate()
		got, err := n.creds.Retrieve(ctx)
		if err != nil {
			return err
		}
		if got.AccessKeyID == nc.AccessKeyID && got.SecretAccessKey == nc.SecretAccessKey {
			return nil
		}
	}
}

// s3Signer is the SigV4 signer of a client whose keys can be rotated. The
// SDK's v4.Signer caches the derived signing key by access key id for a
// whole day, so after a rotation that keeps the access key and changes the
// secret (S3-compatible stores allow it) it would go on signing with the
// old secret. s3Signer keeps one v4.Signer for the current keys, and signs
// a request carrying any other keys (one in flight across a rotation) with
// a fresh signer.
type s3Signer struct {
	cur atomic.Pointer[s3SignerFor]
}

// s3SignerFor is a v4.Signer that has only ever signed with creds.
type s3SignerFor struct {
	creds  aws.Credentials
	signer *v4.Signer
}

// use makes c the current keys, with a signer of their own.
func (s *s3Signer) use(c aws.Credentials) {
	s.cur.Store(&s3SignerFor{creds: c, signer: newS3V4Signer()})
}

// SignHTTP implements s3.HTTPSignerV4.
func (s *s3Signer) SignHTTP(ctx context.Context, c aws.Credentials, r *http.Request, payloadHash, service, region string,
	t time.Time, optFns ...func(*v4.SignerOptions)) error {
	signer := s.cur.Load()
	if signer.creds.AccessKeyID == c.AccessKeyID && signer.creds.SecretAccessKey == c.SecretAccessKey {
		return signer.signer.SignHTTP(ctx, c, r, payloadHash, service, region, t, optFns...)
	}
	return newS3V4Signer().SignHTTP(ctx, c, r, payloadHash, service, region, t, optFns...)
}

// newS3V4Signer is the signer the S3 client would make itself.
func newS3V4Signer() *v4.Signer {
	return v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
}

// s3Options is the whole S3 client configuration. Nothing in it comes from
// the environment except, for an address without keys, the credential chain.
func s3Options(a *address.Address, o Options, region string, creds aws.CredentialsProvider) s3.Options {
	q := s3QuirksOf(a.Flavor())
	so := s3.Options{
		Region:                     region,
		Credentials:                creds,
		UsePathStyle:               a.Style() == address.StylePath,
		RequestChecksumCalculation: q.RequestChecksum,
		ResponseChecksumValidation: q.ResponseChecksum,
	}
	if a.Endpoint != "" || !q.SDKEndpoint {
		so.BaseEndpoint = aws.String(a.EndpointURL())
	}
	switch {
	case o.HTTPClient != nil:
		so.HTTPClient = withMinTLS(o.HTTPClient, q.MinTLS)
	case q.MinTLS != 0:
		so.HTTPClient = awshttp.NewBuildableClient().WithTransportOptions(func(t *http.Transport) {
			raiseMinTLS(t, q.MinTLS)
		})
	}
	return so
}
