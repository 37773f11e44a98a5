package browsertest

import (
	"context"
	"crypto/md5"
	"crypto/rand"
	_ "embed"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/byobkit/byob/internal/testenv"
	"github.com/byobkit/byob/presign"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// EnvChromium names the Chromium binary; scripts/testservers.sh exports it.
// Unset, the tests look for "chromium" on PATH.
const EnvChromium = "BYOB_TEST_CHROMIUM"

// stepTimeout bounds every browser step: the start, loading a page, one
// upload and download, a screenshot.
const stepTimeout = 30 * time.Second

//go:embed testdata/page.html
var pageHTML []byte

func TestMain(m *testing.M) {
	code := testenv.RunScrubbed(m)
	theBrowser.close()
	os.Exit(code)
}

// browser is the one Chromium of this test binary, started by the first
// test that needs it.
type browser struct {
	once   sync.Once
	ctx    context.Context // the browser's chromedp context; tabs derive from it
	cancel func()
	dir    string // its fresh profile
	err    error
}

var theBrowser browser

func (b *browser) close() {
	if b.cancel != nil {
		b.cancel()
	}
	if b.dir != "" {
		_ = os.RemoveAll(b.dir)
	}
}

// chromiumPath is the browser to drive, or "" when there is none.
func chromiumPath() string {
	if p := os.Getenv(EnvChromium); p != "" {
		return p
	}
	p, _ := exec.LookPath("chromium")
	return p
}

// start launches Chromium headless with the flags this machine needs: no
// sandbox (CI runs as root), no GPU, and nothing that reaches for the
// network on its own (background networking, component updates, sync,
// QUIC), in a fresh profile.
func (b *browser) start(path string) {
	b.dir, b.err = os.MkdirTemp("", "byob-chromium-")
	if b.err != nil {
		return
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.UserDataDir(b.dir),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("metrics-recording-only", true),
		chromedp.Flag("password-store", "basic"),
		chromedp.WindowSize(1280, 720),
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(alloc)
	b.ctx, b.cancel = ctx, func() { cancelCtx(); cancelAlloc() }
	b.err = attach(ctx, b.cancel, "start chromium")
}

// attach runs the first action on a new chromedp context, which launches
// the browser or opens the tab: that run must have the context itself,
// with no deadline (its end would close the browser or the tab), so the
// time limit cancels it from outside.
func attach(ctx context.Context, cancel func(), what string) error {
	done := make(chan error, 1)
	go func() { done <- chromedp.Do(ctx) }()
	timer := time.NewTimer(stepTimeout)
	defer timer.Stop()
	select {
	case err := <-done:
		return err
	case <-timer.C:
		cancel()
		return fmt.Errorf("%s: not done within %v", what, stepTimeout)
	}
}

// tab opens a new tab on the shared browser, closed when the test ends,
// or skips the test (fails it under BYOB_INTEGRATION=required) when no
// browser is installed.
func tab(t *testing.T) context.Context {
	t.Helper()
	path := chromiumPath()
	if path == "" {
		msg := "no browser: set " + EnvChromium + " or install Debian's chromium ('make test' does)"
		if testenv.Required() {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	theBrowser.once.Do(func() { theBrowser.start(path) })
	if theBrowser.err != nil {
		t.Fatalf("start chromium %s: %v", path, theBrowser.err)
	}
	ctx, cancel := chromedp.NewContext(theBrowser.ctx)
	t.Cleanup(cancel)
	if err := attach(ctx, cancel, "open a tab"); err != nil {
		t.Fatal(err)
	}
	return ctx
}

// page is the test page, served on its own loopback origin.
type page struct {
	ctx    context.Context // its tab
	origin string

	mu  sync.Mutex
	log []string // the browser's log and console messages
}

// logSince returns the page's log messages from index i on, with URL
// queries (signatures) cut out.
func (p *page) logSince(i int) []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []string
	for _, m := range p.log[min(i, len(p.log)):] {
		out = append(out, urlQuery.ReplaceAllString(m, "?…"))
	}
	return out
}

func (p *page) logLen() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.log)
}

var urlQuery = regexp.MustCompile(`\?[^'"\s]*`)

// openPage serves the test page on a new loopback origin and loads it in a
// new tab.
func openPage(t *testing.T) *page {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write(pageHTML)
	}))
	t.Cleanup(srv.Close)
	p := &page{ctx: tab(t), origin: srv.URL}
	ctx, cancel := context.WithTimeout(p.ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/"), chromedp.WaitReady(chromedp.ID("rows"))); err != nil {
		t.Fatalf("load the test page: %v", err)
	}
	// The browser explains a blocked request only in its log: keep it.
	if err := chromedp.Listen(p.ctx, func(ev any) {
		var text string
		switch e := ev.(type) {
		case *cdplog.EventEntryAdded:
			text = e.Entry.Text
		case *runtime.EventConsoleAPICalled:
			for _, a := range e.Args {
				text += " " + string(a.Value)
			}
		default:
			return
		}
		p.mu.Lock()
		p.log = append(p.log, text)
		p.mu.Unlock()
	}); err != nil {
		t.Fatalf("listen to the page's log: %v", err)
	}
	return p
}

// spec is what the page's byobUpload gets: the signed PUT and GET, the
// body to PUT and the bytes the GET must return (the body when empty).
type spec struct {
	Name string        `json:"name"`
	Put  signedRequest `json:"put"`
	Get  signedRequest `json:"get"`
	Body string        `json:"body"`           // base64
	Want string        `json:"want,omitempty"` // base64
}

type signedRequest struct {
	URL     string            `json:"url"`
	Headers map[string]string `json:"headers,omitempty"`
}

func fromRequest(r presign.Request) signedRequest {
	s := signedRequest{URL: r.URL, Headers: map[string]string{}}
	for k := range r.Header {
		s.Headers[k] = r.Header.Get(k)
	}
	return s
}

// outcome is what fetch saw, as the page reports it.
type outcome struct {
	Put struct {
		Status int    `json:"status"`
		ETag   string `json:"etag"`
		Error  string `json:"error"` // fetch rejected: a CORS or network failure
	} `json:"put"`
	Get *struct {
		Status int    `json:"status"`
		Length int    `json:"length"`
		Same   bool   `json:"same"` // the bytes the page compared
		Error  string `json:"error"`
	} `json:"get"`
}

// upload runs one PUT and GET in the page and returns what fetch saw.
func (p *page) upload(t *testing.T, s spec) outcome {
	t.Helper()
	arg, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(p.ctx, stepTimeout)
	defer cancel()
	res, err := chromedp.Run(ctx, chromedp.Evaluate[string]("byobUpload("+string(arg)+")", chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("%s: run the upload in the page: %v", s.Name, err)
	}
	var out outcome
	if err := json.Unmarshal([]byte(res), &out); err != nil {
		t.Fatalf("%s: the page answered %q: %v", s.Name, res, err)
	}
	return out
}

// screenshot writes the page as it is now to .tools/artifacts/<name>.png
// at the module root, for a person to look at.
func (p *page) screenshot(t *testing.T, name string) {
	t.Helper()
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(root, ".tools", "artifacts")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(p.ctx, stepTimeout)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)) // 100: PNG
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	file := filepath.Join(dir, name+".png")
	if err := os.WriteFile(file, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", file)
}

// moduleRoot is the directory of go.mod above the working directory.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		up := filepath.Dir(dir)
		if up == dir {
			return "", errors.New("no go.mod above the working directory")
		}
		dir = up
	}
}

// payload is a random body and its Content-MD5.
func payload(t *testing.T, n int) ([]byte, string) {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	sum := md5.Sum(b)
	return b, base64.StdEncoding.EncodeToString(sum[:])
}

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

// md5ETag is the ETag S3 and byob's handler give a single-PUT object.
func md5ETag(b []byte) string { s := md5.Sum(b); return `"` + hex.EncodeToString(s[:]) + `"` }

func randomName(prefix string) string {
	var b [5]byte
	_, _ = rand.Read(b[:])
	return prefix + hex.EncodeToString(b[:])
}
