package presign

import (
	"bufio"
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/byobkit/byob/address"
	"github.com/byobkit/byob/scope"
	"gocloud.dev/blob"
	"gocloud.dev/blob/fileblob"
	"gocloud.dev/blob/memblob"

	"github.com/byobkit/byob/internal/testsecret"
)

// The embedded flavors every handler test runs on.
var embedded = []string{"file", "mem"}

var memSeq atomic.Int64

// newLocation opens a file:// (in a temporary directory) or mem:// (a
// fresh store) instance location through scope and provider, as byob
// serve does.
func newLocation(t testing.TB, kind string) *scope.Location {
	t.Helper()
	raw := "mem://presign-test-" + strconv.FormatInt(memSeq.Add(1), 10) + "/sub"
	if kind == "file" {
		raw = "file://" + t.TempDir() + "/bucket"
	}
	a, err := address.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	reg, err := scope.New(ctx, scope.Config{Deployment: scope.Testing, Instance: a, Store: scope.NewMemStore(),
		Open:  scope.ProviderOpen(),
		Check: func(context.Context, *address.Address) ([]string, error) { return nil, nil }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = reg.Close() })
	loc, err := reg.Instance()
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// fakeClock is an injectable clock.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

var t0 = time.Date(2020, 3, 1, 12, 0, 0, 0, time.UTC) // before any real clock, which dates fileblob files

// env is a location served by a Handler on a loopback server, with a
// signer for it.
type env struct {
	kind    string
	loc     *scope.Location
	keys    *LocalKeys
	clock   *fakeClock
	signer  *LocalSigner
	handler *Handler
	staging *blob.Bucket
	stageIn string // the staging directory, for file
	srv     *httptest.Server
	base    string
	log     bytes.Buffer
	done    chan struct{} // one value per request the handler finished
	reading chan struct{} // a value when a request body is first read (latest only)
	baseCtx context.Context
	stop    context.CancelFunc // cancels every request's context, as a server shutting down does
}

type envOption func(*HandlerOptions)

func withOrigins(o ...string) envOption {
	return func(h *HandlerOptions) { h.CORSOrigins = append([]string{}, o...) } // none: empty, not nil
}
func noStaging() envOption { return func(h *HandlerOptions) { h.Staging = nil } }

// newEnv serves a fresh location of kind with a staging bucket of the same
// kind (a directory beside the bucket's for file).
func newEnv(t testing.TB, kind string, opts ...envOption) *env {
	t.Helper()
	return newEnvAt(t, kind, "", opts...)
}

// newEnvAt is newEnv with the handler mounted at path mount.
func newEnvAt(t testing.TB, kind, mount string, opts ...envOption) *env {
	t.Helper()
	e := &env{kind: kind, loc: newLocation(t, kind), keys: NewLocalKeys(), clock: &fakeClock{t: t0},
		done: make(chan struct{}, 1024), reading: make(chan struct{}, 1)}
	e.baseCtx, e.stop = context.WithCancel(context.Background())
	t.Cleanup(e.stop)
	if kind == "file" {
		e.stageIn = t.TempDir()
		b, err := fileblob.OpenBucket(e.stageIn, nil)
		if err != nil {
			t.Fatal(err)
		}
		e.staging = b
	} else {
		e.staging = memblob.OpenBucket(nil)
	}
	t.Cleanup(func() { _ = e.staging.Close() })
	e.srv = httptest.NewUnstartedServer(nil)
	e.base = "http://" + e.srv.Listener.Addr().String() + mount
	cfg := LocalConfig{Location: e.loc, BaseURL: e.base, Keys: e.keys, Now: e.clock.Now}
	var err error
	if e.signer, err = NewLocalSigner(cfg); err != nil {
		t.Fatal(err)
	}
	ho := HandlerOptions{Staging: e.staging, Logger: newTestLogger(&e.log)}
	for _, o := range opts {
		o(&ho)
	}
	if e.handler, err = NewHandler(cfg, ho); err != nil {
		t.Fatal(err)
	}
	e.srv.Config.BaseContext = func(net.Listener) context.Context { return e.baseCtx }
	e.srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			select { // never blocks a handler: tests that count requests keep the buffer short
			case e.done <- struct{}{}:
			default:
			}
		}()
		r.Body = &notifyingBody{ReadCloser: r.Body, ch: e.reading}
		e.handler.ServeHTTP(w, r)
	})
	e.srv.Start()
	t.Cleanup(e.srv.Close)
	return e
}

// sign signs or fails the test.
func (e *env) sign(t testing.TB, key string, o LocalOptions) Request {
	t.Helper()
	if o.Expires.IsZero() {
		o.Expires = e.clock.Now().Add(time.Hour)
	}
	r, err := e.signer.Sign(key, o)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// response is what a test reads of an answer.
type response struct {
	status int
	header http.Header
	body   []byte
}

// code is the S3-style error code of an XML refusal.
func (r response) code() string {
	var x xmlError
	if xml.Unmarshal(r.body, &x) != nil {
		return ""
	}
	return x.Code
}

func (r response) message() string {
	var x xmlError
	_ = xml.Unmarshal(r.body, &x)
	return x.Message
}

// send sends req with body (nil: none), after edit (nil: none) changes
// the request, and waits for the handler to finish.
func (e *env) send(t testing.TB, req Request, body []byte, edit func(*http.Request)) response {
	t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	hr, err := http.NewRequest(req.Method, req.URL, rd)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range req.Header {
		hr.Header[k] = v
	}
	if edit != nil {
		edit(hr)
	}
	res, err := e.srv.Client().Do(hr)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	e.waitDone(t)
	return response{status: res.StatusCode, header: res.Header, body: b}
}

// rawRequest writes raw on a new connection to e's server, as bytes no
// client library would rewrite, and reads the answer.
func rawRequest(t testing.TB, e *env, raw string) response {
	t.Helper()
	c, err := net.Dial("tcp", e.srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := io.WriteString(c, raw); err != nil {
		t.Fatal(err)
	}
	res, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return response{status: res.StatusCode, header: res.Header, body: b}
}

// waitDone waits for the handler to finish one request.
func (e *env) waitDone(t testing.TB) {
	t.Helper()
	select {
	case <-e.done:
	case <-time.After(time.Minute):
		t.Fatal("the handler did not finish the request")
	}
}

// objects returns every object of the location's bucket, by key.
func (e *env) objects(t testing.TB) map[string]string {
	t.Helper()
	return listAll(t, e.loc.Bucket())
}

func listAll(t testing.TB, b *blob.Bucket) map[string]string {
	t.Helper()
	ctx := context.Background()
	out := map[string]string{}
	it := b.List(nil)
	for {
		obj, err := it.Next(ctx)
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		data, err := b.ReadAll(ctx, obj.Key)
		if err != nil {
			t.Fatal(err)
		}
		out[obj.Key] = string(data)
	}
}

// put writes an object directly, bypassing the handler.
func (e *env) put(t testing.TB, key, data string) {
	t.Helper()
	if err := e.loc.Bucket().WriteAll(context.Background(), key, []byte(data), nil); err != nil {
		t.Fatal(err)
	}
}

func md5b64(b []byte) string {
	s := md5.Sum(b)
	return base64.StdEncoding.EncodeToString(s[:])
}

func md5etag(b []byte) string {
	s := md5.Sum(b)
	return `"` + hex.EncodeToString(s[:]) + `"`
}

// setQuery replaces (or with del, removes; or adds) one query parameter of
// a signed URL, keeping the others as they are written.
func setQuery(u, name, value string, del bool) string {
	base, q, _ := strings.Cut(u, "?")
	var parts []string
	found := false
	for _, p := range strings.Split(q, "&") {
		n, _, _ := strings.Cut(p, "=")
		if n == name {
			found = true
			if del {
				continue
			}
			p = n + "=" + value
		}
		parts = append(parts, p)
	}
	if !found && !del {
		parts = append(parts, name+"="+value)
	}
	return base + "?" + strings.Join(parts, "&")
}

// queryValue returns a parameter of a signed URL as written.
func queryValue(u, name string) string {
	_, q, _ := strings.Cut(u, "?")
	for _, p := range strings.Split(q, "&") {
		if n, v, _ := strings.Cut(p, "="); n == name {
			return v
		}
	}
	return ""
}

// assertNoWindow fails if out shows any 8-byte window of a secret.
func assertNoWindow(t testing.TB, what, out string, secrets ...string) {
	t.Helper()
	if w := testsecret.Find(out, secrets...); w != "" {
		t.Fatalf("%s shows %q of a secret: %s", what, w, out)
	}
}

func keysOf(m map[string]string) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// isKind reports whether err is a *Error of kind and field.
func isKind(err error, kind error, field string) bool {
	var le *Error
	return errors.Is(err, kind) && errors.As(err, &le) && le.Field == field
}

// newTestLogger logs as text into buf.
func newTestLogger(buf *bytes.Buffer) *slog.Logger {
	return slog.New(slog.NewTextHandler(&lockedWriter{w: buf}, nil))
}

// lockedWriter serialises writes, as handlers log from many goroutines.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// handSigned signs a request by the protocol's text, under e's current
// key, for combinations the signer refuses to make; it returns the query
// to append to the path.
func handSigned(e *env, method, path, query string, headerLines ...string) string {
	sts := "BYOB1-HMAC-SHA256\n" + method + "\n" + path + "\n" + query + "\n"
	for _, l := range headerLines {
		sts += l + "\n"
	}
	mac := hmac.New(sha256.New, e.keys.pair().current.secret)
	mac.Write([]byte(sts))
	return "?" + query + "&byob-signature=" + hex.EncodeToString(mac.Sum(nil))
}

// notifyingBody signals ch when its first Read starts.
type notifyingBody struct {
	io.ReadCloser
	ch   chan struct{}
	once sync.Once
}

func (b *notifyingBody) Read(p []byte) (int, error) {
	b.once.Do(func() {
		select {
		case b.ch <- struct{}{}:
		default:
		}
	})
	return b.ReadCloser.Read(p)
}

func xmlUnmarshal(b []byte, v any) error { return xml.Unmarshal(b, v) }

func bufioReader(c net.Conn) *bufio.Reader { return bufio.NewReader(c) }
