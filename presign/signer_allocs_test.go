package presign

import (
	"context"
	"net/http"
	"net/url"
	"testing"
)

// TestS3SignAllocs: an S3 URL costs the Signer one allocation, the URL
// itself, with or without a user: the full key is never built (sigv4
// takes the prefix and the key apart), and the Options, the SigV4 request
// and its query stay off the heap (the bar is 4).
func TestS3SignAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts do not hold under the race detector")
	}
	reg := testRegistry(t, "s3://"+benchAK+":"+url.QueryEscape(benchSK)+"@s3."+benchRegion+".amazonaws.com/bench-bucket/inst?region="+benchRegion)
	loc, err := reg.Instance()
	if err != nil {
		t.Fatal(err)
	}
	s := New(reg)
	ctx := context.Background()
	for _, o := range []Options{{Method: http.MethodGet}, {Method: http.MethodGet, User: "alice"}} {
		if _, err := s.SignLocation(ctx, loc, benchKey, o); err != nil { // warm: credentials, signing key
			t.Fatal(err)
		}
		n := testing.AllocsPerRun(200, func() { _, _ = s.SignLocation(ctx, loc, benchKey, o) })
		if n > 1 {
			t.Errorf("SignLocation(user %q) allocates %v times per URL, want at most 1", o.User, n)
		}
	}
}
