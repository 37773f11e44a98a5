package presign

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/byobkit/byob/provider"
)

// TestS3TemporaryCredentialsCap: an ambient AWS handle whose credentials
// are a session from the container credentials endpoint (as on ECS or
// EKS), expiring in 10 minutes. A URL asked for longer dies with them: its
// X-Amz-Expires is cut to the credentials' expiry (or earlier, as the SDK
// refreshes them early; never later), Request.Expires says the same, and
// the session token is in the URL. A URL shorter than the credentials
// keeps its lifetime.
func TestS3TemporaryCredentialsCap(t *testing.T) {
	const (
		ak    = "ASIAPRESIGNTESTTEMP1"
		sk    = "temporary/Secret+Key=presign-container-endpoint"
		token = "IQoJb3JpZ2luX2VjEPresignTestSessionToken=="
	)
	expires := time.Now().Add(10 * time.Minute).UTC().Truncate(time.Second)
	var served atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		served.Add(1)
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]string{"AccessKeyId": ak, "SecretAccessKey": sk, "Token": token, "Expiration": expires.Format(time.RFC3339)})
	}))
	defer srv.Close()
	// Only the container endpoint may answer: no keys in the environment,
	// no shared files, no instance metadata.
	none := filepath.Join(t.TempDir(), "none")
	for k, v := range map[string]string{"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "", "AWS_SESSION_TOKEN": "", "AWS_PROFILE": "",
		"AWS_CONFIG_FILE": none, "AWS_SHARED_CREDENTIALS_FILE": none, "AWS_EC2_METADATA_DISABLED": "true",
		"AWS_CONTAINER_CREDENTIALS_FULL_URI": srv.URL + "/creds"} {
		t.Setenv(k, v)
	}
	s := New(testRegistry(t, "s3://bkt/inst?region=us-east-1"))
	loc, err := s.reg.Instance()
	if err != nil {
		t.Fatal(err)
	}
	if src := loc.Handle().CredentialSource(); src != provider.CredentialsAmbient {
		t.Fatalf("CredentialSource = %s, want ambient", src)
	}
	for _, c := range []struct {
		name   string
		o      Options
		capped bool
	}{
		{"PUT for 24 h dies with the credentials", Options{Method: http.MethodPut, Expires: 24 * time.Hour, ContentType: "text/plain"}, true},
		{"GET by default (1 h) dies with the credentials", Options{Method: http.MethodGet}, true},
		{"GET for 2 minutes keeps its lifetime", Options{Method: http.MethodGet, Expires: 2 * time.Minute}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			before := time.Now().Truncate(time.Second)
			r := mustSign(t, s, "runs/f.txt", c.o)
			q, err := url.ParseQuery(r.URL[strings.IndexByte(r.URL, '?')+1:])
			if err != nil {
				t.Fatal(err)
			}
			if q.Get("X-Amz-Security-Token") != token || !strings.HasPrefix(q.Get("X-Amz-Credential"), ak+"/") {
				t.Errorf("the URL does not carry the session (token set %v, credential %q)", q.Get("X-Amz-Security-Token") != "", q.Get("X-Amz-Credential"))
			}
			date, err := time.Parse("20060102T150405Z", q.Get("X-Amz-Date"))
			if err != nil {
				t.Fatalf("X-Amz-Date %q: %v", q.Get("X-Amz-Date"), err)
			}
			secs, err := strconv.Atoi(q.Get("X-Amz-Expires"))
			if err != nil {
				t.Fatalf("X-Amz-Expires %q: %v", q.Get("X-Amz-Expires"), err)
			}
			if urlExp := date.Add(time.Duration(secs) * time.Second); !urlExp.Equal(r.Expires) {
				t.Errorf("X-Amz-Date + X-Amz-Expires = %v, Request.Expires = %v: they must agree", urlExp, r.Expires)
			}
			if r.Expires.After(expires) {
				t.Errorf("Request.Expires = %v, after the credentials expire (%v)", r.Expires, expires)
			}
			if c.capped {
				// The SDK refreshes 5 minutes early; allow a little more.
				if r.Expires.Before(expires.Add(-7 * time.Minute)) {
					t.Errorf("Request.Expires = %v, much before the credentials expire (%v)", r.Expires, expires)
				}
			} else if want := c.o.Expires; r.Expires.Before(before.Add(want)) || r.Expires.After(time.Now().Add(want)) {
				t.Errorf("Request.Expires = %v, want %v from now", r.Expires, want)
			}
		})
	}
	if n := served.Load(); n != 1 {
		t.Errorf("the credentials endpoint was asked %d times, want once (cached)", n)
	}
}
