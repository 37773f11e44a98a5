package presign

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestHandlerInterruptedPutLeavesNothing: a PUT whose body does not arrive
// whole and intact, or whose request ends before it does, leaves nothing
// under its key: no object where there was none, the previous object
// intact where there was one, no staged part, and (file) no temporary file.
func TestHandlerInterruptedPutLeavesNothing(t *testing.T) {
	body := bytes.Repeat([]byte("0123456789abcdef"), 64<<10) // 1 MiB
	other := []byte("a body of another MD5")
	for _, kind := range embedded {
		for _, target := range []string{"a new key", "an existing key", "a multipart part"} {
			for _, tc := range []struct {
				name      string
				md5       string // a Content-MD5 the URL binds, if any
				interrupt func(t *testing.T, e *env, head string)
				status    int // the answer, when the client can still read one
			}{
				{"client disconnects mid-body", "", func(t *testing.T, e *env, head string) {
					c := dialSend(t, e, head+"Content-Length: "+strconv.Itoa(len(body))+"\r\n\r\n", body[:64<<10])
					<-e.reading
					c.Close()
				}, 0},
				{"chunked body cut off", "", func(t *testing.T, e *env, head string) {
					c := dialSend(t, e, head+"Transfer-Encoding: chunked\r\n\r\n", []byte("10000\r\n"), body[:64<<10], []byte("\r\n"))
					<-e.reading
					c.Close()
				}, 0},
				{"client half-closes before Content-Length", "", func(t *testing.T, e *env, head string) {
					c := dialSend(t, e, head+"Content-Length: "+strconv.Itoa(len(body))+"\r\n\r\n", body[:64<<10])
					<-e.reading
					_ = c.(*net.TCPConn).CloseWrite()
					readStatus(t, c, http.StatusBadRequest)
				}, 0},
				{"body does not match the bound Content-MD5", md5b64(other), func(t *testing.T, e *env, head string) {
					c := dialSend(t, e, head+"Content-Md5: "+md5b64(other)+"\r\nContent-Length: "+strconv.Itoa(len(body))+"\r\n\r\n", body)
					readStatus(t, c, http.StatusBadRequest)
				}, 0},
				{"body does not match an unsigned Content-MD5", "", func(t *testing.T, e *env, head string) {
					c := dialSend(t, e, head+"Content-Md5: "+md5b64(other)+"\r\nContent-Length: "+strconv.Itoa(len(body))+"\r\n\r\n", body)
					readStatus(t, c, http.StatusBadRequest)
				}, 0},
				{"request context cancelled mid-body (server shutting down)", "", func(t *testing.T, e *env, head string) {
					c := dialSend(t, e, head+"Content-Length: "+strconv.Itoa(len(body))+"\r\n\r\n", body[:64<<10])
					<-e.reading
					e.stop()
					readStatus(t, c, http.StatusServiceUnavailable)
				}, 0},
				{"server shut down and closed mid-body", "", func(t *testing.T, e *env, head string) {
					c := dialSend(t, e, head+"Content-Length: "+strconv.Itoa(len(body))+"\r\n\r\n", body[:64<<10])
					defer c.Close()
					<-e.reading
					ctx, cancel := context.WithCancel(context.Background())
					cancel() // the grace period is over at once
					_ = e.srv.Config.Shutdown(ctx)
					e.srv.CloseClientConnections()
				}, 0},
			} {
				t.Run(kind+"/"+target+"/"+tc.name, func(t *testing.T) {
					tmp := t.TempDir()
					t.Setenv("TMPDIR", tmp) // fileblob's temporary files
					e := newEnv(t, kind)
					if target == "an existing key" {
						e.put(t, "k", "original")
					}
					before := e.objects(t)
					var req Request
					if target == "a multipart part" {
						id := e.startUpload(t, "k", "")
						r, err := e.signer.SignUploadPart("k", id, 1, LocalOptions{Expires: t0.Add(time.Hour), ContentMD5: tc.md5})
						if err != nil {
							t.Fatal(err)
						}
						req = r
					} else {
						req = e.sign(t, "k", LocalOptions{Method: "PUT", ContentMD5: tc.md5})
					}
					stagedBefore := keysOf(listAll(t, e.staging))
					target := strings.TrimPrefix(req.URL, e.base)
					tc.interrupt(t, e, "PUT "+target+" HTTP/1.1\r\nHost: x\r\n")
					e.waitDone(t)
					if got := e.objects(t); fmt.Sprint(got) != fmt.Sprint(before) {
						t.Fatalf("the bucket holds %q; want %q", got, before)
					}
					if got := keysOf(listAll(t, e.staging)); fmt.Sprint(got) != fmt.Sprint(stagedBefore) {
						t.Fatalf("staging holds %q; want %q", got, stagedBefore)
					}
					left, err := os.ReadDir(tmp)
					if err != nil {
						t.Fatal(err)
					}
					if len(left) != 0 {
						t.Fatalf("temporary files remain: %v", left)
					}
				})
			}
		}
	}
}

// startUpload starts a multipart upload of key through a signed POST and
// returns its id.
func (e *env) startUpload(t testing.TB, key, ctype string) string {
	t.Helper()
	r, err := e.signer.SignCreateUpload(key, LocalOptions{Expires: e.clock.Now().Add(time.Hour), ContentType: ctype})
	if err != nil {
		t.Fatal(err)
	}
	res := e.send(t, r, nil, nil)
	var out initiateResult
	if res.status != 200 || xmlUnmarshal(res.body, &out) != nil || !validUploadID(out.UploadID) || out.Key != key {
		t.Fatalf("start: %d %s", res.status, res.body)
	}
	return out.UploadID
}

// dialSend opens a connection to e's server and writes head and body parts.
func dialSend(t *testing.T, e *env, head string, parts ...[]byte) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", e.srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if _, err := io.WriteString(c, head); err != nil {
		t.Fatal(err)
	}
	for _, p := range parts {
		if _, err := c.Write(p); err != nil {
			t.Fatal(err)
		}
	}
	return c
}

// readStatus reads the answer on c and checks its status.
func readStatus(t *testing.T, c net.Conn, want int) {
	t.Helper()
	res, err := http.ReadResponse(bufioReader(c), nil)
	if err != nil {
		t.Fatalf("no answer: %v", err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != want {
		t.Fatalf("answer %d %s; want %d", res.StatusCode, b, want)
	}
}

// TestHandlerConcurrentPutsOfOneKey: many complete PUTs of one key at
// once, with readers reading it all along: every read, and the end state,
// is one upload whole (its bytes, its content type, its MD5 as ETag),
// never a mix of two.
func TestHandlerConcurrentPutsOfOneKey(t *testing.T) {
	const writers, rounds, size = 6, 8, 64 << 10
	for _, kind := range embedded {
		t.Run(kind, func(t *testing.T) {
			e := newEnv(t, kind)
			bodies := make([][]byte, writers)
			puts := make([]Request, writers)
			for i := range bodies {
				bodies[i] = bytes.Repeat([]byte{byte('a' + i)}, size)
				puts[i] = e.sign(t, "k", LocalOptions{Method: "PUT", ContentType: "application/x-w" + string(rune('a'+i)), ContentMD5: md5b64(bodies[i])})
			}
			get := e.sign(t, "k", LocalOptions{Method: "GET"})
			check := func(status int, hd http.Header, b []byte) error {
				if status != 200 {
					return fmt.Errorf("status %d", status)
				}
				if len(b) != size || bytes.Count(b, b[:1]) != size {
					return fmt.Errorf("the body mixes uploads (%d bytes)", len(b))
				}
				if ct := hd.Get("Content-Type"); ct != "application/x-w"+string(b[0]) {
					return fmt.Errorf("the body of upload %c has the content type %q", b[0], ct)
				}
				if et := hd.Get("ETag"); et != md5etag(b) {
					return fmt.Errorf("the body of upload %c has the ETag %s", b[0], et)
				}
				return nil
			}
			client := e.srv.Client()
			do := func(r Request, body []byte) (int, http.Header, []byte, error) {
				hr, err := http.NewRequest(r.Method, r.URL, bytes.NewReader(body))
				if err != nil {
					return 0, nil, nil, err
				}
				for k, v := range r.Header {
					hr.Header[k] = v
				}
				res, err := client.Do(hr)
				if err != nil {
					return 0, nil, nil, err
				}
				defer res.Body.Close()
				b, err := io.ReadAll(res.Body)
				return res.StatusCode, res.Header, b, err
			}
			if st, _, b, err := do(puts[0], bodies[0]); err != nil || st != 200 {
				t.Fatalf("first PUT: %d %s %v", st, b, err)
			}
			errs := make(chan error, writers*rounds*2)
			var wg sync.WaitGroup
			stopReading := make(chan struct{})
			var readers sync.WaitGroup
			for range 2 {
				readers.Go(func() {
					for {
						select {
						case <-stopReading:
							return
						default:
						}
						st, hd, b, err := do(get, nil)
						if err == nil {
							err = check(st, hd, b)
						}
						if err != nil {
							errs <- fmt.Errorf("a read during the writes: %w", err)
							return
						}
					}
				})
			}
			for range rounds {
				for i := range writers {
					wg.Go(func() {
						if st, _, b, err := do(puts[i], bodies[i]); err != nil || st != 200 {
							errs <- fmt.Errorf("PUT %d: %d %s %v", i, st, b, err)
						}
					})
				}
			}
			wg.Wait()
			close(stopReading)
			readers.Wait()
			close(errs)
			for err := range errs {
				t.Fatal(err)
			}
			st, hd, b, err := do(get, nil)
			if err == nil {
				err = check(st, hd, b)
			}
			if err != nil {
				t.Fatalf("after the writes: %v", err)
			}
			if got := keysOf(e.objects(t)); len(got) != 1 {
				t.Fatalf("the bucket holds %q", got)
			}
		})
	}
}
