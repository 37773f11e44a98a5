package main

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/byobkit/byob/address"
	"github.com/byobkit/byob/presign"
	"github.com/byobkit/byob/provider"
	"github.com/byobkit/byob/provider/preflight"
)

// The checks of a running 'byob serve', added to a file:// address's
// report when the server's state file is beside the directory.
const (
	checkServer          = "server"            // a server answers at the state file's base URL
	checkServerRoundTrip = "server-round-trip" // signed PUT, GET and HEAD of a probe object
	checkServerCORS      = "server-cors"       // a CORS preflight from the origin, and ETag exposed
)

// serveCheckTimeout bounds each request to the server.
const serveCheckTimeout = 10 * time.Second

// checkServe checks the 'byob serve' of the file:// bucket a, if it has
// one. Its findings quote no secret: only the base URL and status codes,
// never a signed URL or a response body.
func checkServe(ctx context.Context, a *address.Address, origin string) []preflight.Finding {
	statePath, _ := servePaths(a.Bucket)
	st, err := readState(statePath)
	switch {
	case errors.Is(err, errNoState):
		return []preflight.Finding{{Check: checkServer, Severity: preflight.SeverityOK,
			Saw: "no byob serve state beside the directory: not served by byob serve (to serve it: byob serve --dir " + shellQuote(a.Bucket) + ")"}}
	case err != nil:
		return []preflight.Finding{{Check: checkServer, Severity: preflight.SeverityError,
			Saw: "the state file cannot be used: " + oneLine(err.Error())}}
	}
	client := &http.Client{
		Timeout: serveCheckTimeout,
		// A redirect would send the signed URL on to another host.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	s := &serveProbe{ctx: ctx, client: client, base: st.BaseURL, origin: origin, dir: a.Bucket}
	reach := s.reachable()
	if reach.Severity != preflight.SeverityOK {
		return []preflight.Finding{reach}
	}
	reg, loc, err := openLocation(ctx, a, provider.WithExistingDir())
	if err != nil {
		return []preflight.Finding{reach, {Check: checkServerRoundTrip, Severity: preflight.SeverityError,
			Saw: "cannot open the directory to sign for it: " + oneLine(err.Error())}}
	}
	defer reg.Close()
	s.signer = presign.New(reg, presign.WithLocalBase(st.BaseURL, st.Keys))
	s.sign = func(key string, o presign.Options) (presign.Request, error) {
		return s.signer.SignLocation(ctx, loc, key, o)
	}
	key := preflight.ProbeDir + "/serve-" + randomHex(8)
	round := s.roundTrip(key)
	// The probe is removed from the directory itself: the signed-URL
	// protocol has no DELETE of objects.
	if err := loc.Bucket().Delete(ctx, key); err != nil && round.Severity == preflight.SeverityOK {
		round = preflight.Finding{Check: checkServerRoundTrip, Severity: preflight.SeverityWarning,
			Saw: "the round trip worked, but its probe could not be removed", Fix: "remove " + filepath.Join(a.Bucket, filepath.FromSlash(loc.Prefix()+key))}
	}
	os.Remove(filepath.Join(a.Bucket, filepath.FromSlash(loc.Prefix()), preflight.ProbeDir)) // only while empty
	return []preflight.Finding{reach, round, s.cors(key)}
}

// serveProbe is one check of a running server.
type serveProbe struct {
	ctx    context.Context
	client *http.Client
	base   string
	origin string
	dir    string // the bucket's directory
	signer *presign.Signer
	sign   func(key string, o presign.Options) (presign.Request, error)
}

// send sends a request and returns the response with its body read (at
// most 1 MiB). Its error names the method and the base URL, never the
// signed URL: the transport's *url.Error quotes it.
func (s *serveProbe) send(method, rawURL string, header http.Header, body []byte) (*http.Response, []byte, error) {
	req, err := http.NewRequestWithContext(s.ctx, method, rawURL, bytes.NewReader(body))
	if err != nil {
		return nil, nil, errors.New("cannot build the request")
	}
	if body == nil {
		req.Body, req.ContentLength = http.NoBody, 0
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := s.client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, nil, fmt.Errorf("%s to %s: %s", method, s.base, presign.RedactURL(oneLine(err.Error())))
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return resp, b, nil
}

func (s *serveProbe) startFix() string {
	return "start it: byob serve --dir " + shellQuote(s.dir) + " (it listens at " + hostPortOf(s.base) + " again)"
}

// reachable sends an unsigned GET of the base URL: any answer from the
// handler (it refuses an unsigned request) shows it is up.
func (s *serveProbe) reachable() preflight.Finding {
	resp, _, err := s.send(http.MethodGet, s.base+"/", nil, nil)
	if err != nil {
		return preflight.Finding{Check: checkServer, Severity: preflight.SeverityWarning, CouldNotCheck: true,
			Saw: "no byob serve answers at " + s.base + " (" + err.Error() + ")", Fix: s.startFix()}
	}
	return preflight.Finding{Check: checkServer, Severity: preflight.SeverityOK,
		Saw: "byob serve answers at " + s.base + " (HTTP " + strconv.Itoa(resp.StatusCode) + " to an unsigned request)"}
}

// roundTrip uploads a probe through a signed PUT with Content-Type and
// Content-MD5, reads it back with a signed GET and checks a signed HEAD.
func (s *serveProbe) roundTrip(key string) preflight.Finding {
	fail := func(saw string) preflight.Finding {
		return preflight.Finding{Check: checkServerRoundTrip, Severity: preflight.SeverityError, Saw: saw,
			Fix: "restart byob serve --dir " + shellQuote(s.dir) + ": a server started before its state file was replaced verifies other keys"}
	}
	body := []byte("byob check probe " + randomHex(8) + "\n")
	sum := md5.Sum(body)
	put, err := s.sign(key, presign.Options{Method: http.MethodPut, ContentType: "text/plain", ContentMD5: base64.StdEncoding.EncodeToString(sum[:])})
	if err != nil {
		return fail("cannot sign a PUT: " + oneLine(err.Error()))
	}
	resp, _, err := s.send(put.Method, put.URL, put.Header, body)
	switch {
	case err != nil:
		return fail("signed PUT failed: " + err.Error())
	case resp.StatusCode != http.StatusOK:
		return fail("signed PUT answered HTTP " + strconv.Itoa(resp.StatusCode) + ", want 200")
	case resp.Header.Get("ETag") == "":
		return fail("signed PUT answered no ETag")
	}
	get, err := s.sign(key, presign.Options{Method: http.MethodGet})
	if err != nil {
		return fail("cannot sign a GET: " + oneLine(err.Error()))
	}
	resp, got, err := s.send(get.Method, get.URL, get.Header, nil)
	switch {
	case err != nil:
		return fail("signed GET failed: " + err.Error())
	case resp.StatusCode != http.StatusOK:
		return fail("signed GET answered HTTP " + strconv.Itoa(resp.StatusCode) + ", want 200")
	case !bytes.Equal(got, body):
		return fail("signed GET returned other bytes than the PUT sent")
	}
	head, err := s.sign(key, presign.Options{Method: http.MethodHead})
	if err != nil {
		return fail("cannot sign a HEAD: " + oneLine(err.Error()))
	}
	resp, _, err = s.send(head.Method, head.URL, head.Header, nil)
	switch {
	case err != nil:
		return fail("signed HEAD failed: " + err.Error())
	case resp.StatusCode != http.StatusOK || resp.ContentLength != int64(len(body)):
		return fail(fmt.Sprintf("signed HEAD answered HTTP %d with length %d, want 200 with %d", resp.StatusCode, resp.ContentLength, len(body)))
	}
	return preflight.Finding{Check: checkServerRoundTrip, Severity: preflight.SeverityOK,
		Saw: fmt.Sprintf("signed PUT (Content-Type, Content-MD5), GET and HEAD of a %d-byte probe worked", len(body))}
}

// cors sends the preflight a browser sends before a presigned PUT from
// the origin, then a GET with Origin, whose ETag the browser must be
// allowed to read.
func (s *serveProbe) cors(key string) preflight.Finding {
	origin := s.origin
	if origin == "*" {
		// "*" is what the rules must allow; a browser sends a real origin.
		origin = "https://app.example.com"
	}
	fix := "restart byob serve --dir " + shellQuote(s.dir) + " adding --origin " + shellQuote(s.origin) + " to its origins (without any --origin it allows every origin)"
	bad := func(saw string) preflight.Finding {
		return preflight.Finding{Check: checkServerCORS, Severity: preflight.SeverityError, Saw: saw, Fix: fix}
	}
	h := http.Header{}
	h.Set("Origin", origin)
	h.Set("Access-Control-Request-Method", http.MethodPut)
	h.Set("Access-Control-Request-Headers", "content-md5, content-type")
	resp, _, err := s.send(http.MethodOptions, s.base+"/"+key, h, nil)
	if err != nil {
		return preflight.Finding{Check: checkServerCORS, Severity: preflight.SeverityWarning, CouldNotCheck: true, Saw: "preflight failed: " + err.Error()}
	}
	allow := resp.Header.Get("Access-Control-Allow-Origin")
	switch {
	case resp.StatusCode != http.StatusOK:
		return bad(fmt.Sprintf("a preflight of a PUT from %s answered HTTP %d: browsers from that origin cannot upload", origin, resp.StatusCode))
	case allow != "*" && allow != origin:
		return bad("a preflight from " + origin + " is not allowed (Access-Control-Allow-Origin: " + strconv.Quote(allow) + ")")
	case !headerListHas(resp.Header.Get("Access-Control-Allow-Headers"), "content-md5") || !headerListHas(resp.Header.Get("Access-Control-Allow-Headers"), "content-type"):
		return bad("a preflight does not allow the Content-MD5 and Content-Type headers presigned PUTs send")
	case !headerListHas(resp.Header.Get("Access-Control-Expose-Headers"), "etag"):
		return bad("the ETag header is not exposed: browsers cannot read a part's ETag")
	}
	return preflight.Finding{Check: checkServerCORS, Severity: preflight.SeverityOK,
		Saw: "a browser at " + origin + " may PUT with Content-MD5 and Content-Type, and read ETag"}
}

// headerListHas reports whether a comma-separated header list names h,
// in any case.
func headerListHas(list, h string) bool {
	for v := range strings.SplitSeq(list, ",") {
		if strings.EqualFold(strings.TrimSpace(v), h) || strings.TrimSpace(v) == "*" {
			return true
		}
	}
	return false
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
