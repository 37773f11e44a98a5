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
