package batchdelete_test

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/byobkit/byob/internal/batchdelete"
	"github.com/byobkit/byob/internal/testenv"
	"github.com/byobkit/byob/internal/testsecret"
	"github.com/byobkit/byob/provider"
)

// signature is a request signature a server might echo.
const signature = "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7"

// echo is what a hostile or careless server quotes back in an error: the
// secret in its spellings, the request's Authorization header and a
// pre-signed URL.
func echo(access, secret string) string {
	return "you sent secret " + secret + " aka " + url.QueryEscape(secret) + "; Authorization: AWS4-HMAC-SHA256 Credential=" + access +
		"/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=" + signature +
		" from https://h/b/k?X-Amz-Credential=" + access + "&X-Amz-Signature=" + signature
}

// TestErrorsHoldNoSecret: whatever a service echoes in a per-key or a
// whole-request error, no 8-byte window of a secret reaches any printed
// form of a Result or its error chain.
func TestErrorsHoldNoSecret(t *testing.T) {
	srv := testenv.S3(t)
	az := testenv.Azurite(t)
	xmlEcho := strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(echo(srv.AccessKey, srv.SecretKey))
	for _, tc := range []struct {
		name    string
		open    func(t *testing.T, f *faults) *provider.Handle
		match   func(*http.Request) bool
		answer  func(int, *http.Request, []byte) *http.Response
		rewrite func(int, *http.Request, []byte) []byte
		secrets []string
	}{
		{
			name: "S3 per-key message",
			open: func(t *testing.T, f *faults) *provider.Handle {
				a, _ := s3Address(t, "pre")
				return mustOpen(t, a, provider.WithHTTPClient(f.client()))
			},
			match: isDeleteObjects,
			rewrite: func(_ int, _ *http.Request, b []byte) []byte {
				return replaceDeleted(b, "pre/k", keyError("pre/k", "AccessDenied", xmlEcho))
			},
			secrets: []string{srv.SecretKey, srv.AccessKey, signature},
		},
		{
			name: "S3 whole-request error",
			open: func(t *testing.T, f *faults) *provider.Handle {
				a, _ := s3Address(t, "pre")
				return mustOpen(t, a, provider.WithHTTPClient(f.client()))
			},
			match: isDeleteObjects,
			answer: func(int, *http.Request, []byte) *http.Response {
				return s3Error(http.StatusForbidden, "AccessDenied", xmlEcho)
			},
			secrets: []string{srv.SecretKey, srv.AccessKey, signature},
		},
		{
			name: "Azure subresponse",
			open: func(t *testing.T, f *faults) *provider.Handle {
				return mustOpen(t, azureAddress(t, "pre"), provider.WithHTTPClient(f.client()))
			},
			match: isSubmitBatch,
			rewrite: func(_ int, _ *http.Request, b []byte) []byte {
				return subStatus(b, 0, "403 Server failed to authenticate the request.",
					"x-ms-error-code: AuthenticationFailed\r\ncontent-type: application/xml\r\n\r\n<Error><Code>AuthenticationFailed</Code><Message>"+
						"key "+az.Key+" The MAC signature found in the HTTP request '"+signature+"' is not the same</Message></Error>\r\n")
			},
			secrets: []string{az.Key, signature},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := &faults{match: tc.match, answer: tc.answer, rewrite: tc.rewrite}
			h := tc.open(t, f)
			put(t, h, []string{"k"})
			res, err := mustNew(t, h, fast).Delete(t.Context(), []string{"k"})
			if err != nil {
				t.Fatal(err)
			}
			r := res[0]
			if r.Status != batchdelete.Failed || r.Err == nil {
				t.Fatalf("result %+v, want Failed: the fault did not hit", r)
			}
			set := testsecret.NewSet(testsecret.Spellings(tc.secrets...)...)
			var outs []string
			for _, v := range []string{"%v", "%+v", "%#v", "%s", "%q"} {
				outs = append(outs, fmt.Sprintf(v, r), fmt.Sprintf(v, r.Err))
			}
			for _, e := range testsecret.Chain(r.Err) {
				outs = append(outs, e.Error(), fmt.Sprintf("%#v", e))
			}
			j, _ := json.Marshal(r)
			var sb strings.Builder
			slog.New(slog.NewTextHandler(&sb, nil)).Info("x", "result", r, "err", r.Err)
			slog.New(slog.NewJSONHandler(&sb, nil)).Info("x", "result", r, "err", r.Err)
			outs = append(outs, string(j), sb.String())
			for _, o := range outs {
				if w := set.Find(o); w != "" {
					t.Errorf("output holds a secret window %q: %.300s", w, o)
				}
			}
		})
	}
}
