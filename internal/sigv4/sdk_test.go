package sigv4

// The reference: aws-sdk-go-v2's own pre-signing, which the native signer
// must match byte for byte.

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// testCreds is a credential set for the comparisons.
type testCreds struct{ ak, sk, token string }

// fixedClock is the PresignClient's default presigner with the signing
// time fixed: s3.newDefaultV4Signer makes v4.NewSigner with
// DisableURIPathEscaping, and the presign middleware passes it
// sdk.NowTime(), which only this wrapper can replace. A new v4.Signer per
// URL, because its key cache is keyed by access key id alone and would
// sign with a previous case's secret.
type fixedClock struct{ t time.Time }

func (f fixedClock) PresignHTTP(ctx context.Context, c aws.Credentials, r *http.Request, payloadHash, service, region string, _ time.Time, optFns ...func(*v4.SignerOptions)) (string, http.Header, error) {
	s := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
	return s.PresignHTTP(ctx, c, r, payloadHash, service, region, f.t, optFns...)
}

// sdkClient is the s3.Client a caller of the SDK would make for r: its
// endpoint is r's scheme and host unless defaultEndpoint leaves it to the
// SDK's AWS endpoint rules.
func sdkClient(c testCreds, r *Request, defaultEndpoint bool) *s3.Client {
	return s3.New(s3.Options{
		Region:       r.Region,
		UsePathStyle: r.PathStyle,
		Credentials:  credentials.NewStaticCredentialsProvider(c.ak, c.sk, c.token),
	}, func(o *s3.Options) {
		if !defaultEndpoint {
			o.BaseEndpoint = aws.String(r.Scheme + "://" + r.Host)
		}
	})
}

// addQuery is an API option that sets extra query parameters before
// signing, as byob adds X-User.
func addQuery(params []Param) func(*middleware.Stack) error {
	return func(stack *middleware.Stack) error {
		return stack.Build.Add(middleware.BuildMiddlewareFunc("byobTestAddQuery", func(ctx context.Context, in middleware.BuildInput, next middleware.BuildHandler) (middleware.BuildOutput, middleware.Metadata, error) {
			req, ok := in.Request.(*smithyhttp.Request)
			if !ok {
				return middleware.BuildOutput{}, middleware.Metadata{}, fmt.Errorf("unexpected request type %T", in.Request)
			}
			q := req.URL.Query()
			for _, p := range params {
				q.Set(p.Name, p.Value)
			}
			req.URL.RawQuery = q.Encode()
			return next.HandleBuild(ctx, in)
		}), middleware.After)
	}
}

func optString(s string) *string {
	if s == "" {
		return nil
	}
	return aws.String(s)
}

// sdkPresign pre-signs r with the SDK: s3.PresignClient for the operations
// it has (GetObject, HeadObject, PutObject, UploadPart), and for the
// others the same middleware changes the PresignClient makes, applied to
// the ordinary operation (see presignOther).
func sdkPresign(c testCreds, r *Request, defaultEndpoint bool) (*v4.PresignedHTTPRequest, error) {
	ctx := context.Background()
	client := sdkClient(c, r, defaultEndpoint)
	popts := func(o *s3.PresignOptions) {
		o.Presigner = fixedClock{r.Time}
		o.Expires = r.Expires
		if len(r.Query) > 0 {
			o.ClientOptions = append(o.ClientOptions, func(o *s3.Options) { o.APIOptions = append(o.APIOptions, addQuery(r.Query)) })
		}
	}
	pc := s3.NewPresignClient(client)
	b, k := aws.String(r.Bucket), aws.String(r.Key)
	switch r.Op {
	case GetObject:
		return pc.PresignGetObject(ctx, &s3.GetObjectInput{Bucket: b, Key: k,
			ResponseContentType: optString(r.ResponseContentType), ResponseContentDisposition: optString(r.ResponseContentDisposition)}, popts)
	case HeadObject:
		return pc.PresignHeadObject(ctx, &s3.HeadObjectInput{Bucket: b, Key: k,
			ResponseContentType: optString(r.ResponseContentType), ResponseContentDisposition: optString(r.ResponseContentDisposition)}, popts)
	case PutObject:
		return pc.PresignPutObject(ctx, &s3.PutObjectInput{Bucket: b, Key: k,
			ContentType: optString(r.ContentType), ContentMD5: optString(r.ContentMD5)}, popts)
	case UploadPart:
		return pc.PresignUploadPart(ctx, &s3.UploadPartInput{Bucket: b, Key: k,
			PartNumber: aws.Int32(int32(r.PartNumber)), UploadId: aws.String(r.UploadID), ContentMD5: optString(r.ContentMD5)}, popts)
	case CreateMultipartUpload:
		return presignOther(r, func(o ...func(*s3.Options)) error {
			_, err := client.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: b, Key: k, ContentType: optString(r.ContentType)}, o...)
			return err
		})
	case CompleteMultipartUpload:
		return presignOther(r, func(o ...func(*s3.Options)) error {
			_, err := client.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: b, Key: k, UploadId: aws.String(r.UploadID)}, o...)
			return err
		})
	case AbortMultipartUpload:
		return presignOther(r, func(o ...func(*s3.Options)) error {
			_, err := client.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: b, Key: k, UploadId: aws.String(r.UploadID)}, o...)
			return err
		})
	}
	return nil, fmt.Errorf("no SDK reference for %v", r.Op)
}

var errPresigned = errors.New("presigned; stop before sending")

// presignOther pre-signs an operation s3.PresignClient has no method for
// (CreateMultipartUpload, CompleteMultipartUpload, AbortMultipartUpload):
// it runs the ordinary operation with the stack changes of the
// PresignClient's convertToPresignMiddleware and its payload-as-unsigned
// option, made with the SDK's exported pieces, and stops at the signing
// step. TestReferenceMatchesPresignClient shows that this replica and the
// PresignClient agree on the operations both can sign.
func presignOther(r *Request, call func(...func(*s3.Options)) error) (*v4.PresignedHTTPRequest, error) {
	var got *v4.PresignedHTTPRequest
	err := call(func(o *s3.Options) {
		o.HTTPClient = smithyhttp.NopClient{}
		provider := o.Credentials
		region := r.Region
		o.APIOptions = append(o.APIOptions, func(stack *middleware.Stack) error {
			stack.Finalize.Remove("DisableAcceptEncodingGzip")
			stack.Finalize.Remove((*retry.Attempt)(nil).ID())
			stack.Deserialize.Clear()
			stack.Build.Remove((*awsmiddleware.ClientRequestID)(nil).ID())
			stack.Build.Remove("UserAgent")
			if err := stack.Finalize.Insert(middleware.FinalizeMiddlewareFunc("byobTestSigningContext", func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
				// The PresignClient's presignContextPolyfillMiddleware sets
				// the same two values from the resolved auth scheme.
				//lint:ignore SA1019 the v4 presign middleware reads these
				ctx = awsmiddleware.SetSigningName(ctx, "s3")
				//lint:ignore SA1019 the v4 presign middleware reads these
				ctx = awsmiddleware.SetSigningRegion(ctx, region)
				return next.HandleFinalize(ctx, in)
			}), "Signing", middleware.Before); err != nil {
				return err
			}
			pmw := v4.NewPresignHTTPRequestMiddleware(v4.PresignHTTPRequestMiddlewareOptions{
				CredentialsProvider: provider,
				Presigner:           fixedClock{r.Time},
			})
			if _, err := stack.Finalize.Swap("Signing", middleware.FinalizeMiddlewareFunc("Signing", func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
				out, md, err := pmw.HandleFinalize(ctx, in, next)
				if err != nil {
					return out, md, err
				}
				p, ok := out.Result.(*v4.PresignedHTTPRequest)
				if !ok {
					return out, md, fmt.Errorf("presign result is %T", out.Result)
				}
				got = p
				return out, md, errPresigned
			})); err != nil {
				return err
			}
			if err := smithyhttp.AddNoPayloadDefaultContentTypeRemover(stack); err != nil {
				return err
			}
			if err := stack.Build.Add(middleware.BuildMiddlewareFunc("byobTestExpires", func(ctx context.Context, in middleware.BuildInput, next middleware.BuildHandler) (middleware.BuildOutput, middleware.Metadata, error) {
				req := in.Request.(*smithyhttp.Request)
				q := req.URL.Query()
				q.Set("X-Amz-Expires", strconv.FormatInt(int64(r.Expires/time.Second), 10))
				req.URL.RawQuery = q.Encode()
				return next.HandleBuild(ctx, in)
			}), middleware.After); err != nil {
				return err
			}
			if len(r.Query) > 0 {
				if err := addQuery(r.Query)(stack); err != nil {
					return err
				}
			}
			v4.RemoveContentSHA256HeaderMiddleware(stack)
			v4.RemoveComputePayloadSHA256Middleware(stack)
			return v4.AddUnsignedPayloadMiddleware(stack)
		})
	})
	if got != nil && errors.Is(err, errPresigned) {
		return got, nil
	}
	if err == nil {
		err = errors.New("the operation returned without reaching the signer")
	}
	return nil, err
}
