package address_test

import (
	"errors"
	"fmt"

	"github.com/byobkit/byob/address"
)

func ExampleParse() {
	a, err := address.Parse("s3://AKIA:se%2Fcret@s3.eu-central-1.amazonaws.com/bkt/team/a")
	if err != nil {
		panic(err)
	}
	fmt.Println(a) // secrets are redacted
	fmt.Println(a.Flavor(), a.Style(), a.EndpointURL())
	fmt.Println(a.Bucket, a.Path, a.Region)
	// Output:
	// s3://REDACTED:REDACTED@s3.eu-central-1.amazonaws.com/bkt/team/a?region=eu-central-1
	// aws-s3 virtual-hosted https://s3.eu-central-1.amazonaws.com
	// bkt team/a eu-central-1
}

func ExampleParse_error() {
	_, err := address.Parse("s3://ak:sk@minio.local:9000/bkt?region=us-east-1?tls=true")
	var e *address.Error
	if errors.As(err, &e) {
		fmt.Println(e.Field, errors.Is(err, address.ErrSyntax))
		fmt.Println(e.Fix)
	}
	// Output:
	// query true
	// separate query parameters with '&', as in ?region=us-east-1&tls=true
}

func ExampleParseList() {
	stores, err := address.ParseList("cw://, s3://team-bucket")
	if err != nil {
		panic(err)
	}
	for _, a := range stores {
		fmt.Println(a, a.IsBare())
	}
	// Output:
	// cw:// true
	// s3://team-bucket false
}

// Two spellings of one bucket name one bucket; credentials do not count.
func ExampleAddress_BucketID() {
	a, err := address.Parse("s3://ak:sk@MinIO.Example.:80/bkt/team-a?region=us-east-1")
	if err != nil {
		panic(err)
	}
	b, err := address.Parse("s3://minio.example:80/bkt/team-a?region=us-east-1")
	if err != nil {
		panic(err)
	}
	fmt.Println(a) // the canonical spelling
	fmt.Println(a.ServiceID())
	fmt.Println(a.BucketID())
	fmt.Println(a.SameLocation(b))
	// Output:
	// s3://REDACTED:REDACTED@minio.example/bkt/team-a?region=us-east-1
	// s3-compatible http://minio.example
	// s3-compatible http://minio.example/bkt
	// true
}

// A location and its keys kept apart, and new keys checked before use.
func ExampleAddress_WithoutCredentials() {
	a, err := address.Parse("s3://AKIA:se%2Fcret@minio.example:9000/bkt/team?region=us-east-1")
	if err != nil {
		panic(err)
	}
	loc, creds := a.WithoutCredentials(), a.Credentials()
	fmt.Println(loc.URL()) // no secret: can be stored as it is
	fmt.Println(creds)     // prints redacted; store the fields elsewhere
	next := address.Credentials{AccessKey: "AKIA2", Secret: "new-secret"}
	if err := address.ValidateCredentials(loc.Provider, next); err != nil {
		panic(err)
	}
	fmt.Println(loc.WithCredentials(next).SameLocation(a))
	// Output:
	// s3://minio.example:9000/bkt/team?region=us-east-1
	// {AccessKey:REDACTED Secret:REDACTED}
	// true
}

func ExampleFlavor_Rules() {
	r := address.FlavorCoreWeaveLOTA.Rules()
	fmt.Println(r.Family, r.Style, r.BatchDelete, r.UserParam, r.RegionStrict)
	az := address.FlavorAzure.Rules()
	fmt.Println(az.BatchDelete, az.UserParam, az.PutHeaders)
	// Output:
	// coreweave virtual-hosted 1000 X-User false
	// 256 scid [{x-ms-blob-type BlockBlob}]
}
