package provider_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/aws/smithy-go"
	"github.com/byobkit/byob/address"
	"github.com/byobkit/byob/internal/testsecret"
	"github.com/byobkit/byob/provider"
	"gocloud.dev/blob"
	"gocloud.dev/gcerrors"
	"google.golang.org/api/googleapi"
)

// echoServer answers every request with an error whose body copies the
// whole request (method, URL with query, every header, the body), as a
// server that quotes what it refused would. It records every credential it
// saw, so the test can look for each of them in the errors.
type echoServer struct {
	status int
	shape  string // "xml", "json" or "text"
	// issueTokens: answer the OAuth token endpoint with a token (so that
	// later requests carry it as a Bearer token) instead of an error.
	issueTokens bool

	mu         sync.Mutex
	secrets    []string // every credential seen or issued
	authValues []string // every Authorization header value seen, whole
}

// echoCodes are the service error codes the echo server names per status.
var echoCodes = map[int]string{
	http.StatusBadRequest:          "InvalidRequest",
	http.StatusUnauthorized:        "Unauthorized",
	http.StatusForbidden:           "AccessDenied",
	http.StatusNotFound:            "NoSuchKey",
	http.StatusNotImplemented:      "NotImplemented",
	http.StatusInternalServerError: "InternalError",
}

// awsSignature and awsCredential are the signature and the access key of an
// AWS4 Authorization value.
var (
	awsSignature  = regexp.MustCompile(`Signature=([0-9a-fA-F]+)`)
	awsCredential = regexp.MustCompile(`Credential=([^/]+)/`)
)

func (e *echoServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	e.record(r, body)
	if r.URL.Path == "/token" && e.issueTokens {
		tok := randomText(48)
		e.addSecret(tok)
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"access_token": tok, "token_type": "Bearer", "expires_in": 3600})
		return
	}
	var dump strings.Builder
	fmt.Fprintf(&dump, "%s %s %s\n", r.Method, r.URL.RequestURI(), r.Proto)
	fmt.Fprintf(&dump, "Host: %s\n", r.Host)
	for name, vs := range r.Header {
		for _, v := range vs {
			fmt.Fprintf(&dump, "%s: %s\n", name, v)
		}
	}
	dump.WriteString("\n")
	dump.Write(body)
	if m := awsCredential.FindStringSubmatch(r.Header.Get("Authorization")); m != nil {
		// As Garage words an unknown key (deuxfleurs-org/garage
		// src/api/common/signature/payload.rs): the key alone.
		fmt.Fprintf(&dump, "\nNo such key: %s", m[1])
	}
	echo := dump.String()

	code := echoCodes[e.status]
	if r.Header.Get("x-ms-version") != "" { // Azure's spelling
		code = map[int]string{403: "AuthorizationFailure", 404: "BlobNotFound"}[e.status]
		if code == "" {
			code = echoCodes[e.status]
		}
	}
	w.Header().Set("x-ms-error-code", code)
	switch e.shape {
	case "xml":
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(e.status)
		var hdrs strings.Builder
		for name, vs := range r.Header {
			hdrs.WriteString(`<Header name="` + name + `">`)
			_ = xml.EscapeText(&hdrs, []byte(strings.Join(vs, ", ")))
			hdrs.WriteString("</Header>")
		}
		fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>%s</Code><Message>`, code)
		_ = xml.EscapeText(w, []byte(echo))
		fmt.Fprint(w, `</Message><Authorization>`)
		_ = xml.EscapeText(w, []byte(r.Header.Get("Authorization")))
		fmt.Fprintf(w, `</Authorization><RequestHeaders>%s</RequestHeaders></Error>`, hdrs.String())
	case "json":
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(e.status)
		_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{
			"code":    e.status,
			"message": echo,
			"errors":  []any{map[string]any{"message": echo, "domain": "global", "reason": code}},
			"request": map[string]any{"method": r.Method, "url": r.URL.String(), "headers": r.Header, "body": string(body)},
		}})
	default:
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(e.status)
		_, _ = io.WriteString(w, echo)
	}
}

// record keeps the credentials a request carries: every Authorization
// value, and its secret parts (the whole value also holds words such as
// "Credential=" and the date and region of the signing scope, which a
// scrubbed message may rightly show), and a JWT assertion posted to the
// token endpoint.
func (e *echoServer) record(r *http.Request, body []byte) {
	for _, v := range r.Header.Values("Authorization") {
		e.mu.Lock()
		e.authValues = append(e.authValues, v)
		e.mu.Unlock()
		switch {
		case strings.HasPrefix(v, "AWS4-HMAC-SHA256 "):
			if m := awsSignature.FindStringSubmatch(v); m != nil {
				e.addSecret(m[1])
			}
			if m := awsCredential.FindStringSubmatch(v); m != nil {
				e.addSecret(m[1])
			}
		case strings.HasPrefix(v, "SharedKey "):
			_, sig, _ := strings.Cut(v, ":")
			e.addSecret(sig)
		case strings.HasPrefix(v, "Bearer "):
			e.addSecret(strings.TrimPrefix(v, "Bearer "))
		default:
			e.addSecret(v)
		}
	}
	if q, err := url.ParseQuery(string(body)); err == nil && q.Get("assertion") != "" {
		e.addSecret(q.Get("assertion"))
	}
}

func (e *echoServer) addSecret(s string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.secrets = append(e.secrets, s)
}

func (e *echoServer) seen() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]string(nil), e.secrets...)
}

func (e *echoServer) authorizations() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]string(nil), e.authValues...)
}

// randomText is n random bytes, base64url-encoded, as tokens look.
func randomText(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// redirectTo is an HTTP client whose every request, to any host and scheme
// (storage.googleapis.com, oauth2.googleapis.com, <account>.blob.core...),
// goes to the server at host instead.
func redirectTo(host string) *http.Client {
	return &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		r = r.Clone(r.Context())
		r.URL.Scheme = "http"
		r.URL.Host = host
		return http.DefaultTransport.RoundTrip(r)
	})}
}

// echoTarget is one address the attack runs against.
type echoTarget struct {
	name    string
	addr    *address.Address
	secrets []string // the address's own: keys, key lines
	native  func(b *blob.Bucket, err error) bool
	// token: the address authenticates with an OAuth token, fetched first.
	token bool
	// retries500: the SDK retries a 500 for long (Azure: about ten seconds
	// per operation; the Google library until the context ends), so the
	// attack leaves 500 out; 501 stands for the server errors.
	retries500 bool
}

func echoTargets(t *testing.T) []echoTarget {
	const awsKey, awsSecret = "AKIAECHOTESTKEY12345", "wJalr/XUtnFEMI+K7MDENG=bPxRfiCYEXAMPLE/+="
	const shortKey, shortSecret = "Qz7Kp", "short/secret+with=signs/0123456789"
	const cwKey, cwSecret = "CWECHOACCESSKEY0001", "cw/Secret+Key=Value/abcdefghij0123456"
	azKey := base64.StdEncoding.EncodeToString([]byte("an Azure account key of sixty-four bytes, long enough to be real"))
	_, pemKey := testsecret.RSAKey(t)
	pemLines := testsecret.PEMBody(t, pemKey)
	s3Native := func(b *blob.Bucket, err error) bool {
		var ae smithy.APIError
		return b.ErrorAs(err, &ae)
	}
	gcsNative := func(b *blob.Bucket, err error) bool {
		var ge *googleapi.Error
		return b.ErrorAs(err, &ge)
	}
	azNative := func(b *blob.Bucket, err error) bool {
		var re *azcore.ResponseError
		return b.ErrorAs(err, &re)
	}
	gs := mustParse(t, "gs://"+url.QueryEscape("byob-echo@proj.iam.gserviceaccount.com")+":"+url.QueryEscape(pemKey)+"@echo-bkt/team/a")
	return []echoTarget{
		{name: "s3 AWS", addr: &address.Address{Provider: address.S3, Bucket: "echo-bkt", Path: "team/a", Region: "us-east-1", TLS: true, AccessKey: awsKey, Secret: awsSecret},
			secrets: []string{awsKey, awsSecret}, native: s3Native},
		{name: "s3 compatible with a five-character access key",
			addr:    mustParse(t, "s3://"+shortKey+":"+url.QueryEscape(shortSecret)+"@minio.example:9000/echo-bkt?region=us-east-1"),
			secrets: []string{shortKey, shortSecret}, native: s3Native},
		{name: "cw", addr: mustParse(t, "cw://"+cwKey+":"+url.QueryEscape(cwSecret)+"@cwobject.com/echo-bkt/runs?region=US-EAST-04A&tls=true"),
			secrets: []string{cwKey, cwSecret}, native: s3Native},
		{name: "gs", addr: gs, secrets: append([]string{pemKey}, pemLines...), native: gcsNative, token: true, retries500: true},
		{name: "az", addr: mustParse(t, "az://:"+url.QueryEscape(azKey)+"@echoacct/echo-container/team/a"),
			secrets: []string{azKey}, native: azNative, retries500: true},
	}
}

// echoOp is one bucket operation and the Error.Op it must name.
type echoOp struct {
	name, op string
	run      func(ctx context.Context, b *blob.Bucket) error
}

var echoOps = []echoOp{
	{"Attributes", provider.OpAttributes, func(ctx context.Context, b *blob.Bucket) error {
		_, err := b.Attributes(ctx, "k")
		return err
	}},
	{"Exists", provider.OpAttributes, func(ctx context.Context, b *blob.Bucket) error {
		_, err := b.Exists(ctx, "k")
		return err
	}},
	{"ReadAll", provider.OpRead, func(ctx context.Context, b *blob.Bucket) error {
		_, err := b.ReadAll(ctx, "k")
		return err
	}},
	{"NewRangeReader", provider.OpRead, func(ctx context.Context, b *blob.Bucket) error {
		r, err := b.NewRangeReader(ctx, "k", 1, 3, nil)
		if err == nil {
			_, err = io.ReadAll(r)
			r.Close()
		}
		return err
	}},
	{"Download", provider.OpRead, func(ctx context.Context, b *blob.Bucket) error {
		return b.Download(ctx, "k", io.Discard, nil)
	}},
	{"ListPage", provider.OpList, func(ctx context.Context, b *blob.Bucket) error {
		_, _, err := b.ListPage(ctx, blob.FirstPageToken, 10, nil)
		return err
	}},
	{"List", provider.OpList, func(ctx context.Context, b *blob.Bucket) error {
		_, err := b.List(&blob.ListOptions{Prefix: "p/"}).Next(ctx)
		return err
	}},
	{"WriteAll", provider.OpWrite, func(ctx context.Context, b *blob.Bucket) error {
		return b.WriteAll(ctx, "k", []byte("echo this body"), nil)
	}},
	{"Upload", provider.OpWrite, func(ctx context.Context, b *blob.Bucket) error {
		return b.Upload(ctx, "k", strings.NewReader("uploaded body"), &blob.WriterOptions{ContentType: "text/plain"})
	}},
	{"NewWriter, Write, Close", provider.OpWrite, func(ctx context.Context, b *blob.Bucket) error {
		w, err := b.NewWriter(ctx, "k", &blob.WriterOptions{ContentType: "text/plain"})
		if err != nil {
			return err
		}
		_, werr := w.Write([]byte("written body"))
		if cerr := w.Close(); werr == nil {
			werr = cerr
		}
		return werr
	}},
	{"Copy", provider.OpCopy, func(ctx context.Context, b *blob.Bucket) error {
		return b.Copy(ctx, "dst", "src", nil)
	}},
	{"Delete", provider.OpDelete, func(ctx context.Context, b *blob.Bucket) error {
		return b.Delete(ctx, "k")
	}},
	{"SignedURL PUT", provider.OpSign, func(ctx context.Context, b *blob.Bucket) error {
		_, err := b.SignedURL(ctx, "k", &blob.SignedURLOptions{Method: http.MethodPut, Expiry: time.Hour})
		return err
	}},
}

// TestEchoServerCannotMakeErrorsLeak is the attack on the scrubbed errors:
// a server that answers every request with an error copying the whole
// request, for every provider, error status and body shape. Every error of
// every operation must be a *provider.Error naming the operation, carry the
// right code through gcerrors.Code, keep the native error for ErrorAs, and
// hold, in every printed form and in every error of its chain, no 8-byte
// window of any key, Authorization value, signature, token or JWT.
//
// The AWS SDK retries a 500 three times, quickly; the Azure and Google SDKs
// retry it for long, so for them 501 stands for the server errors, and
// requests to GCS past the token endpoint get no 5xx at all: the Google
// library retries every 5xx until the context ends.
func TestEchoServerCannotMakeErrorsLeak(t *testing.T) {
	wantCode := map[int]gcerrors.ErrorCode{
		http.StatusBadRequest:          gcerrors.InvalidArgument,
		http.StatusUnauthorized:        gcerrors.PermissionDenied,
		http.StatusForbidden:           gcerrors.PermissionDenied,
		http.StatusNotFound:            gcerrors.NotFound,
		http.StatusNotImplemented:      gcerrors.Unimplemented,
		http.StatusInternalServerError: gcerrors.Internal,
	}
	for _, target := range echoTargets(t) {
		modes := []bool{false}
		if target.token {
			modes = []bool{false, true} // the token request refused, and granted
		}
		for _, issue := range modes {
			for status, code := range wantCode {
				if status == http.StatusInternalServerError && target.retries500 || status >= 500 && target.token && issue {
					continue // see above
				}
				for _, shape := range []string{"xml", "json", "text"} {
					name := fmt.Sprintf("%s/%d/%s", target.name, status, shape)
					if target.token {
						name += map[bool]string{false: "/token-refused", true: "/token-granted"}[issue]
					}
					t.Run(name, func(t *testing.T) {
						want := code
						if target.token && !issue {
							// Every operation fails at the token endpoint.
							want = gcerrors.PermissionDenied
							if status >= 500 {
								want = gcerrors.Internal
							}
						}
						runEcho(t, target, &echoServer{status: status, shape: shape, issueTokens: issue}, want)
					})
				}
			}
		}
	}
}

func runEcho(t *testing.T, target echoTarget, echo *echoServer, want gcerrors.ErrorCode) {
	srv := httptest.NewServer(echo)
	defer srv.Close()
	b := mustOpen(t, target.addr, provider.WithHTTPClient(redirectTo(srv.Listener.Addr().String())))
	defer b.Close()
	ctx := t.Context()

	type failure struct {
		op  echoOp
		err error
	}
	var failures []failure
	for _, op := range echoOps {
		err := op.run(ctx, b)
		switch {
		case err != nil:
			failures = append(failures, failure{op, err})
		case op.op == provider.OpSign:
			// Signing is local: nothing reaches the server.
		case op.name == "Exists" && want == gcerrors.NotFound:
			// Exists reports NotFound as false.
		default:
			t.Errorf("%s succeeded against a server that refuses everything", op.name)
		}
	}
	if len(failures) == 0 {
		t.Fatal("no operation failed")
	}

	windows := echoSecrets(append(target.secrets, echo.seen()...))
	auths := echo.authorizations()
	if len(echo.seen()) == 0 {
		t.Fatal("the server saw no credential: the test would prove nothing")
	}
	if len(auths) == 0 && !(target.token && !echo.issueTokens) {
		t.Fatal("the server saw no Authorization header: the test would prove nothing")
	}
	nativeSeen := false
	for _, f := range failures {
		var pe *provider.Error
		if !errors.As(f.err, &pe) {
			t.Errorf("%s: error %T is not a *provider.Error: %v", f.op.name, f.err, f.err)
			continue
		}
		if pe.Op != f.op.op || pe.Provider != target.addr.Provider || pe.Bucket != target.addr.Bucket {
			t.Errorf("%s: Error names op %q, provider %q, bucket %q; want %q, %q, %q", f.op.name, pe.Op, pe.Provider, pe.Bucket, f.op.op, target.addr.Provider, target.addr.Bucket)
		}
		if got := gcerrors.Code(f.err); got != want {
			t.Errorf("%s: gcerrors.Code = %v, want %v: %v", f.op.name, got, want, f.err)
		}
		if got := provider.Code(f.err); got != want {
			t.Errorf("%s: provider.Code = %v, want %v", f.op.name, got, want)
		}
		nativeSeen = nativeSeen || target.native(b, f.err)
	forms:
		for _, text := range errorForms(f.err) {
			if leak := windows.Find(text); leak != "" {
				t.Errorf("%s: a secret's bytes %q appear in its error output:\n%s", f.op.name, leak, text)
				break
			}
			for _, v := range auths {
				if strings.Contains(text, v) {
					t.Errorf("%s: an Authorization value appears in its error output:\n%s", f.op.name, text)
					break forms
				}
			}
		}
	}
	if !nativeSeen && !(target.token && !echo.issueTokens) {
		t.Errorf("the bucket's ErrorAs reached the native error of no operation")
	}
}

// errorForms is every way err may be printed or inspected: its text, the
// fmt verbs (also on a struct holding it), slog's text and JSON handlers,
// encoding/json, and the text, %+v and %#v of every error in its chain.
func errorForms(err error) []string {
	forms := []string{
		err.Error(),
		fmt.Sprintf("%v", err), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", err),
		fmt.Sprintf("%s", err), fmt.Sprintf("%q", err),
		fmt.Sprintf("%+v", struct{ Err error }{err}), fmt.Sprintf("%#v", struct{ Err error }{err}),
	}
	for _, h := range []func(io.Writer) slog.Handler{
		func(w io.Writer) slog.Handler { return slog.NewTextHandler(w, nil) },
		func(w io.Writer) slog.Handler { return slog.NewJSONHandler(w, nil) },
	} {
		var buf bytes.Buffer
		slog.New(h(&buf)).Error("bucket operation failed", "err", err)
		forms = append(forms, buf.String())
	}
	if j, jerr := json.Marshal(err); jerr == nil {
		forms = append(forms, string(j))
	}
	for _, e := range testsecret.Chain(err) {
		forms = append(forms, e.Error(), fmt.Sprintf("%+v", e), fmt.Sprintf("%#v", e))
	}
	return forms
}

// echoSecrets is every 8-byte window of the secrets, and each secret
// shorter than 8 bytes whole: the five-character access key of one
// target is a key too.
func echoSecrets(secrets []string) *testsecret.Set {
	s := testsecret.NewSet(secrets...)
	s.AddShort(secrets...)
	return s
}

// TestEchoAfterRotation: once a handle's keys are replaced, the errors of
// its bucket are scrubbed of the new keys too (and still of the old ones,
// which requests under way may carry).
func TestEchoAfterRotation(t *testing.T) {
	echo := &echoServer{status: http.StatusForbidden, shape: "xml"}
	srv := httptest.NewServer(echo)
	defer srv.Close()
	old := mustParse(t, "s3://OLDACCESSKEY0001:"+url.QueryEscape("old/secret+key=0123456789")+"@minio.example:9000/bkt?region=us-east-1")
	h, err := provider.Open(t.Context(), old, provider.WithHTTPClient(redirectTo(srv.Listener.Addr().String())))
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	next := address.Credentials{AccessKey: "NEWACCESSKEY0002", Secret: "new/secret+key=9876543210"}
	if err := h.SetCredentials(t.Context(), next); err != nil {
		t.Fatalf("SetCredentials: %v", err)
	}
	_, err = h.Bucket().ReadAll(t.Context(), "k")
	if gcerrors.Code(err) != gcerrors.PermissionDenied {
		t.Fatalf("ReadAll = %v, want PermissionDenied", err)
	}
	if !strings.Contains(strings.Join(echo.seen(), " "), next.AccessKey) {
		t.Fatal("the request was not signed with the new key: the test would prove nothing")
	}
	windows := echoSecrets(append(echo.seen(), next.AccessKey, next.Secret, old.AccessKey, old.Secret))
	for _, text := range errorForms(err) {
		if leak := windows.Find(text); leak != "" {
			t.Fatalf("a key's bytes %q appear in the error after rotation:\n%s", leak, text)
		}
	}
}
