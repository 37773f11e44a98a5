package main

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/byobkit/byob/internal/testsecret"
	"github.com/byobkit/byob/presign"
	"github.com/byobkit/byob/provider"
)

// lockedBuffer is an io.Writer that the server's goroutines may share.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// server is a run of 'byob serve' in the test's process.
type server struct {
	baseURL        string
	stdout, stderr *lockedBuffer
	stop           func() int // cancels the run and returns its exit status
}

// startServe runs 'byob serve --dir dir' with args until the test stops
// it, and waits for its ready line.
func startServe(t *testing.T, dir string, args []string, hooks serveHooks) *server {
	t.Helper()
	s := &server{stdout: &lockedBuffer{}, stderr: &lockedBuffer{}}
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	hooks.ready = func(u string) { ready <- u }
	done := make(chan int, 1)
	c := cli{stdout: s.stdout, stderr: s.stderr, getenv: func(string) string { return "" }}
	go func() { done <- c.serve(ctx, append([]string{"--dir", dir}, args...), hooks) }()
	select {
	case s.baseURL = <-ready:
	case code := <-done:
		cancel()
		t.Fatalf("serve exited %d before it was ready; stderr: %s", code, s.stderr)
	}
	var once sync.Once
	code := 0
	s.stop = func() int {
		once.Do(func() { cancel(); code = <-done })
		return code
	}
	t.Cleanup(func() { s.stop() })
	return s
}

// presignJSON runs 'byob presign --json args...' and returns its output.
func presignJSON(t *testing.T, args ...string) presignOut {
	t.Helper()
	var out, errOut strings.Builder
	code := run(append([]string{"presign", "--json"}, args...), &out, &errOut, func(string) string { return "" })
	if code != 0 {
		t.Fatalf("presign %q: exit %d; stderr: %s", args, code, errOut.String())
	}
	var p presignOut
	if err := json.Unmarshal([]byte(out.String()), &p); err != nil {
		t.Fatalf("presign --json printed no JSON object: %v", err)
	}
	return p
}

// send sends p's request with body, as a plain client would.
func send(t *testing.T, p presignOut, body io.Reader) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(p.Method, p.URL, body)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range p.Headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s: %v", p.Method, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

// listKeys lists every key of the file:// bucket dir, as byob (and so a
// collector) sees it.
func listKeys(t *testing.T, dir string) []string {
	t.Helper()
	a, err := fileAddress(dir)
	if err != nil {
		t.Fatal(err)
	}
	h, err := provider.Open(context.Background(), a, provider.WithExistingDir())
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	var keys []string
	it := h.Bucket().List(nil)
	for {
		o, err := it.Next(context.Background())
		if errors.Is(err, io.EOF) {
			return keys
		}
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, o.Key)
	}
}

func md5b64(b []byte) string { s := md5.Sum(b); return base64.StdEncoding.EncodeToString(s[:]) }

func TestServeAndPresignEndToEnd(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "bucket")
	s := startServe(t, dir, []string{"--listen", "127.0.0.1:0"}, serveHooks{})
	if !strings.HasPrefix(s.baseURL, "http://127.0.0.1:") {
		t.Fatalf("base URL %q is not on loopback", s.baseURL)
	}
	if want := "at " + s.baseURL + " "; !strings.Contains(s.stdout.String(), want) {
		t.Errorf("ready line lacks %q: %s", want, s.stdout)
	}
	const key = "team/run 1/it's.txt"
	body := []byte("hello, bucket\n")
	addr := "file://" + dir

	put := presignJSON(t, "--put", "--content-md5", md5b64(body), "--content-type", "text/plain", addr, key)
	sum := md5.Sum(body)
	t.Run("the PUT URL uploads: 200 and the MD5 as ETag", func(t *testing.T) {
		resp, b := send(t, put, bytes.NewReader(body))
		if resp.StatusCode != 200 {
			t.Fatalf("PUT: %d %s", resp.StatusCode, b)
		}
		if got, want := resp.Header.Get("ETag"), `"`+hex.EncodeToString(sum[:])+`"`; got != want {
			t.Errorf("ETag %q, want %q", got, want)
		}
	})
	get := presignJSON(t, addr, key)
	t.Run("the GET URL reads it back", func(t *testing.T) {
		resp, b := send(t, get, nil)
		if resp.StatusCode != 200 || !bytes.Equal(b, body) {
			t.Fatalf("GET: %d %q, want 200 %q", resp.StatusCode, b, body)
		}
		if ct := resp.Header.Get("Content-Type"); ct != "text/plain" {
			t.Errorf("Content-Type %q, want the signed text/plain", ct)
		}
	})
	t.Run("a tampered URL is refused with 403", func(t *testing.T) {
		for name, u := range map[string]string{
			"signature": flipLastHex(get.URL),
			"expiry":    strings.Replace(get.URL, "byob-expires=1", "byob-expires=2", 1),
		} {
			p := get
			p.URL = u
			if resp, b := send(t, p, nil); resp.StatusCode != 403 {
				t.Errorf("%s changed: %d %s, want 403", name, resp.StatusCode, b)
			}
		}
		p := put
		p.Headers = map[string]string{"Content-Md5": put.Headers["Content-Md5"], "Content-Type": "text/html"}
		if resp, b := send(t, p, bytes.NewReader(body)); resp.StatusCode != 403 {
			t.Errorf("PUT with another Content-Type: %d %s, want 403", resp.StatusCode, b)
		}
	})
	t.Run("the printed curl line uploads to byob serve", func(t *testing.T) {
		if _, err := exec.LookPath("curl"); err != nil {
			t.Skip("curl is not installed: the curl line is not run")
		}
		src := filepath.Join(root, "it's src.txt")
		other := []byte("sent by curl\n")
		os.WriteFile(src, other, 0o600)
		p := presignJSON(t, "--put", "--content-md5", md5b64(other), "--file", src, addr, "team/curl.txt")
		if out, err := exec.Command("sh", "-c", p.Curl).CombinedOutput(); err != nil {
			t.Fatalf("curl PUT: %v: %s", err, out)
		}
		if resp, b := send(t, presignJSON(t, addr, "team/curl.txt"), nil); resp.StatusCode != 200 || !bytes.Equal(b, other) {
			t.Errorf("GET after curl PUT: %d %q", resp.StatusCode, b)
		}
		p = presignJSON(t, "--file", filepath.Join(root, "back.txt"), addr, "team/curl.txt")
		if out, err := exec.Command("sh", "-c", p.Curl).CombinedOutput(); err != nil {
			t.Fatalf("curl GET: %v: %s", err, out)
		}
		if b, _ := os.ReadFile(filepath.Join(root, "back.txt")); !bytes.Equal(b, other) {
			t.Errorf("curl GET wrote %q", b)
		}
		if resp, _ := send(t, presignJSON(t, "--put", addr, "team/curl.txt"), nil); resp.StatusCode != 200 {
			t.Fatalf("overwrite: %d", resp.StatusCode)
		}
	})
	statePath, stagingDir := servePaths(dir)
	t.Run("multipart parts are staged beside the bucket, outside its listing", func(t *testing.T) {
		st, err := readState(statePath)
		if err != nil {
			t.Fatal(err)
		}
		a, _ := fileAddress(dir)
		reg, loc, err := openLocation(context.Background(), a, provider.WithExistingDir())
		if err != nil {
			t.Fatal(err)
		}
		defer reg.Close()
		signer, err := presign.NewLocalSigner(presign.LocalConfig{Location: loc, BaseURL: st.BaseURL, Keys: st.Keys})
		if err != nil {
			t.Fatal(err)
		}
		o := presign.LocalOptions{Expires: time.Now().Add(time.Hour)}
		const mkey = "team/multi.bin"
		r, err := signer.SignCreateUpload(mkey, o)
		if err != nil {
			t.Fatal(err)
		}
		resp, b := send(t, fromRequest(r), nil)
		var created struct{ UploadId string }
		if resp.StatusCode != 200 || xml.Unmarshal(b, &created) != nil {
			t.Fatalf("create: %d %s", resp.StatusCode, b)
		}
		part := bytes.Repeat([]byte("p"), 1<<10)
		r, err = signer.SignUploadPart(mkey, created.UploadId, 1, o)
		if err != nil {
			t.Fatal(err)
		}
		resp, b = send(t, fromRequest(r), bytes.NewReader(part))
		if resp.StatusCode != 200 {
			t.Fatalf("part: %d %s", resp.StatusCode, b)
		}
		etag := resp.Header.Get("ETag")
		staged := 0
		filepath.WalkDir(stagingDir, func(_ string, e os.DirEntry, err error) error {
			if err == nil && !e.IsDir() {
				staged++
			}
			return nil
		})
		if staged == 0 {
			t.Errorf("nothing staged in %s during the upload", stagingDir)
		}
		if keys := listKeys(t, dir); slices.Contains(keys, mkey) || len(keys) != 2 {
			t.Errorf("bucket listing during the upload: %q, want only the two objects", keys)
		}
		r, err = signer.SignCompleteUpload(mkey, created.UploadId, o)
		if err != nil {
			t.Fatal(err)
		}
		resp, b = send(t, fromRequest(r), strings.NewReader("<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>"+etag+"</ETag></Part></CompleteMultipartUpload>"))
		if resp.StatusCode != 200 {
			t.Fatalf("complete: %d %s", resp.StatusCode, b)
		}
		if keys := listKeys(t, dir); !slices.Contains(keys, mkey) {
			t.Errorf("bucket listing after completion lacks %q: %q", mkey, keys)
		}
		if b, err := os.ReadFile(filepath.Join(dir, mkey)); err != nil || !bytes.Equal(b, part) {
			t.Errorf("completed object: %d bytes, %v", len(b), err)
		}
	})
	t.Run("the state file is 0600, beside the bucket, and not in its listing", func(t *testing.T) {
		fi, err := os.Stat(statePath)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("state file mode %04o, want 0600", fi.Mode().Perm())
		}
		if _, err := os.Stat(stagingDir); err != nil {
			t.Errorf("no staging directory beside the bucket: %v", err)
		}
		want := []string{"team/curl.txt", "team/multi.bin", key}
		if keys := listKeys(t, dir); !slices.Equal(keys, want) {
			t.Errorf("bucket listing %q, want only %q", keys, want)
		}
	})
	if code := s.stop(); code != 0 {
		t.Fatalf("serve exited %d after a stop; stderr: %s", code, s.stderr)
	}
	t.Run("a restart keeps the base URL and keys: old URLs stay valid", func(t *testing.T) {
		s2 := startServe(t, dir, nil, serveHooks{})
		if s2.baseURL != s.baseURL {
			t.Errorf("restart serves at %s, want %s", s2.baseURL, s.baseURL)
		}
		resp, b := send(t, get, nil)
		if resp.StatusCode != 200 || !bytes.Equal(b, body) {
			t.Errorf("old GET URL after restart: %d %q", resp.StatusCode, b)
		}
		s2.stop()
		testsecret.Check(t, "serve's output", s2.stdout.String()+s2.stderr.String(), signatureOf(t, get.URL), signatureOf(t, put.URL))
	})
	st, err := readState(statePath)
	if err != nil {
		t.Fatal(err)
	}
	testsecret.Check(t, "serve's output", s.stdout.String()+s.stderr.String(), signatureOf(t, get.URL), signatureOf(t, put.URL), st.Keys.EncodeSecret())
}

// fromRequest is r as presign --json prints it.
func fromRequest(r presign.Request) presignOut {
	p := presignOut{Method: r.Method, URL: r.URL, Headers: map[string]string{}}
	for k := range r.Header {
		p.Headers[k] = r.Header.Get(k)
	}
	return p
}

// flipLastHex changes the last hex digit of u (the signature's).
func flipLastHex(u string) string {
	last := u[len(u)-1]
	if last == '0' {
		return u[:len(u)-1] + "1"
	}
	return u[:len(u)-1] + "0"
}

func signatureOf(t *testing.T, u string) string {
	t.Helper()
	_, sig, ok := strings.Cut(u, "byob-signature=")
	if !ok || len(sig) != 64 {
		t.Fatalf("URL has no signature")
	}
	return sig
}

// firstRead tells when the handler has begun reading a request's body.
type firstRead struct {
	io.ReadCloser
	once   *sync.Once
	signal chan struct{}
}

func (f firstRead) Read(p []byte) (int, error) {
	n, err := f.ReadCloser.Read(p)
	if n > 0 {
		f.once.Do(func() { close(f.signal) })
	}
	return n, err
}

func TestServeShutdownDuringUploadLeavesNoObject(t *testing.T) {
	root := t.TempDir()
	dir, tmp := filepath.Join(root, "bucket"), filepath.Join(root, "tmp")
	if err := os.Mkdir(tmp, 0o700); err != nil {
		t.Fatal(err)
	}
	t.Setenv("TMPDIR", tmp)
	reading := make(chan struct{})
	var once sync.Once
	hooks := serveHooks{wrap: func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == "PUT" {
				r.Body = firstRead{r.Body, &once, reading}
			}
			h.ServeHTTP(w, r)
		})
	}}
	// --grace=0s: the upload under way is interrupted at once.
	s := startServe(t, dir, []string{"--grace", "0s"}, hooks)
	put := presignJSON(t, "--put", "file://"+dir, "big/object.bin")
	pr, pw := io.Pipe()
	defer pw.Close()
	sent := make(chan error, 1)
	go func() {
		req, _ := http.NewRequest("PUT", put.URL, pr)
		req.ContentLength = 64 << 20
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				err = errors.New("200 OK")
			}
		}
		sent <- err
	}()
	go pw.Write(make([]byte, 1<<20)) // the first MiB of 64; the rest never comes
	<-reading
	if code := s.stop(); code != 0 {
		t.Errorf("serve exited %d; stderr: %s", code, s.stderr)
	}
	// The client, blocked on its own body, learns of the closed
	// connection only once that body ends.
	pw.CloseWithError(errors.New("client gave up"))
	if err := <-sent; err != nil && err.Error() == "200 OK" {
		t.Errorf("the interrupted upload succeeded")
	}
	if keys := listKeys(t, dir); len(keys) != 0 {
		t.Errorf("bucket after an interrupted upload: %q, want nothing", keys)
	}
	// Nor any file on disk: not under the key, not a sidecar, not a
	// temporary file left in TMPDIR (fileblob writes there first).
	for _, d := range []string{dir, tmp} {
		filepath.WalkDir(d, func(p string, e os.DirEntry, err error) error {
			if err == nil && !e.IsDir() {
				t.Errorf("file %s left after an interrupted upload", p)
			}
			return nil
		})
	}
	if !strings.Contains(s.stderr.String(), "interrupted and their uploads discarded") {
		t.Errorf("stderr does not say the upload was discarded: %s", s.stderr)
	}
}

func TestServeBadInput(t *testing.T) {
	tests := []struct {
		name   string
		args   []string // after --dir DIR, unless noDir
		noDir  bool
		state  func(path string) // prepares the state file
		stderr string            // substring of stderr
	}{
		{"no --dir", nil, true, nil, "no --dir given; fix: name the bucket's directory"},
		{"a positional argument", []string{"extra"}, false, nil, "unexpected arguments"},
		{"every interface", []string{"--listen", "0.0.0.0:0"}, false, nil, "listens on every interface; fix:"},
		{"no host", []string{"--listen", ":8080"}, false, nil, "listens on every interface"},
		{"not loopback without --allow-remote", []string{"--listen", "192.0.2.1:0"}, false, nil, "is not a loopback address"},
		{"a host name", []string{"--listen", "example.com:0"}, false, nil, "names a host, not an IP address"},
		{"not host:port", []string{"--listen", "127.0.0.1"}, false, nil, "is not host:port; fix:"},
		{"a bad origin", []string{"--origin", "app.example.com"}, false, nil, "is not a web origin; fix:"},
		{"an unknown flag", []string{"--bogus"}, false, nil, "flag provided but not defined: -bogus; fix:"},
		{"a state file others may read", nil, false, func(p string) { writeTestState(p, 0o644) }, "has mode 0644, so others may read its signing keys; fix: chmod 600"},
		{"a state file that is not JSON", nil, false, func(p string) { os.WriteFile(p, []byte("byob-local-keys-v1:notjson"), 0o600) }, "is not one byob serve wrote"},
		{"a state file that is a link", nil, false, func(p string) {
			writeTestState(p+".real", 0o600)
			os.Symlink(p+".real", p)
		}, "is not a regular file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			dir := filepath.Join(root, "bucket")
			statePath, _ := servePaths(dir)
			var before []byte
			if tt.state != nil {
				tt.state(statePath)
				before, _ = os.ReadFile(statePath)
			}
			args := tt.args
			if !tt.noDir {
				args = append([]string{"--dir", dir}, args...)
			}
			var out, errOut lockedBuffer
			c := cli{stdout: &out, stderr: &errOut, getenv: func(string) string { return "" }}
			// Should serve get ready after all, it stops at once.
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			code := c.serve(ctx, args, serveHooks{ready: func(string) { t.Error("serve got ready"); cancel() }})
			if code != 2 {
				t.Errorf("exit %d, want 2; stderr: %s", code, errOut.String())
			}
			if !strings.Contains(errOut.String(), tt.stderr) || strings.Count(errOut.String(), "\n") != 1 {
				t.Errorf("stderr is not one line with %q: %q", tt.stderr, errOut.String())
			}
			if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("the bucket directory was created")
			}
			after, _ := os.ReadFile(statePath)
			if !bytes.Equal(before, after) {
				t.Errorf("the state file was changed")
			}
		})
	}
}

// writeTestState writes a valid state file with mode perm.
func writeTestState(path string, perm os.FileMode) {
	writeState(path, &serveState{BaseURL: "http://127.0.0.1:1", Keys: presign.NewLocalKeys()}, true)
	os.Chmod(path, perm)
}

func TestServeHelp(t *testing.T) {
	var out, errOut strings.Builder
	if code := run([]string{"serve", "-h"}, &out, &errOut, func(string) string { return "" }); code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, want := range []string{"examples:", "--json prints", "-listen"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("help lacks %q", want)
		}
	}
}

func TestServeJSONReadyLine(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "bucket")
	s := startServe(t, dir, []string{"--json"}, serveHooks{})
	var ready map[string]string
	if err := json.Unmarshal([]byte(s.stdout.String()), &ready); err != nil {
		t.Fatalf("ready line is not one JSON object: %v: %s", err, s.stdout)
	}
	state, staging := servePaths(dir)
	want := map[string]string{"baseURL": s.baseURL, "dir": dir, "state": state, "staging": staging}
	if len(ready) != len(want) {
		t.Errorf("ready line %v, want %v", ready, want)
	}
	for k, v := range want {
		if ready[k] != v {
			t.Errorf("ready line %s = %q, want %q", k, ready[k], v)
		}
	}
}
