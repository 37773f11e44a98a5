package testenv

import (
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// S3Region is the region the S3 test server answers for.
const S3Region = "us-east-1"

// Client returns a native S3 client for the server, for test set-up that
// must not go through byob (creating buckets, setting CORS, reading back).
func (s S3Server) Client() *s3.Client {
	return s3.New(s3.Options{
		Region:       S3Region,
		BaseEndpoint: aws.String("http://" + s.Endpoint),
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider(s.AccessKey, s.SecretKey, ""),
	})
}
