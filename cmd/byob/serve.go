package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/byobkit/byob/address"
	"github.com/byobkit/byob/presign"
	"github.com/byobkit/byob/provider"
	"github.com/byobkit/byob/scope"
)

const serveUsage = `usage: byob serve --dir DIR [--listen 127.0.0.1:PORT] [--origin O]... [--json]

Serves the file:// bucket DIR (created if missing) through byob's signed-URL
handler: the embedded default as a storage endpoint. It keeps its signing
keys and base URL beside DIR, in DIR/../.<name>.byob-serve (mode 0600),
where neither the bucket's listing nor the collector can see them, and the
parts of multipart uploads in DIR/../.<name>.byob-serve-staging/. A restart
reuses both, so URLs signed before stay valid: 'byob presign file://DIR KEY'
signs URLs this server accepts.

It prints one line with the base URL when ready. SIGINT or SIGTERM stops it:
requests under way get --grace to finish, then uploads still running are
discarded, never left as partial objects.

--json prints the ready line as
  {"baseURL":"http://127.0.0.1:PORT","dir":"DIR","state":"PATH","staging":"PATH"}

examples:
  byob serve --dir /tmp/bucket
  byob serve --dir /tmp/bucket --listen 127.0.0.1:9000 --origin http://localhost:3000
`

// serveHooks let a test see and steer a run of serve: ready receives the
// base URL, wrap wraps the handler. Both may be nil.
type serveHooks struct {
	ready func(baseURL string)
	wrap  func(http.Handler) http.Handler
}

// runServe is 'byob serve': it runs until SIGINT or SIGTERM.
func (c cli) runServe(args []string) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return c.serve(ctx, args, serveHooks{})
}

// serve runs the server until ctx ends, and returns the exit status: 0
// after a clean stop, 2 on bad input, 1 when it cannot serve.
func (c cli) serve(ctx context.Context, args []string, hooks serveHooks) int {
	const prog = "byob serve"
	sh := newShield(args)
	fs := newFlags(prog)
	dir := fs.String("dir", "", "the bucket's directory (required; created if missing)")
	listen := fs.String("listen", "", "host:port to listen on (default: the address stored beside DIR, else 127.0.0.1:0, a free port)")
	allowRemote := fs.Bool("allow-remote", false, "allow a --listen address that is not loopback (the server speaks plain HTTP)")
	var origins []string
	fs.Func("origin", "a web origin browsers may call from (repeatable; default '*')", func(v string) error {
		origins = append(origins, sh.reveal(v))
		return nil
	})
	grace := fs.Duration("grace", 10*time.Second, "how long requests under way may run after SIGINT or SIGTERM")
	jsonOut := fs.Bool("json", false, "print the ready line as JSON")
	pos, code, done := c.parseFlags(fs, sh, serveUsage+"\nflags:\n")
	switch {
	case done:
		return code
	case len(pos) != 0:
		return c.fail(prog, "unexpected arguments: "+quoteArgs(pos), "name the directory with --dir DIR")
	}
	*dir, *listen = sh.reveal(*dir), sh.reveal(*listen)
	if *dir == "" {
		return c.fail(prog, "no --dir given", "name the bucket's directory: byob serve --dir DIR")
	}
	for _, o := range origins {
		if !isOrigin(o) {
			return c.fail(prog, "--origin "+quoteArg(o)+" is not a web origin",
				"write --origin='*' or a scheme, host and optional port, such as --origin=http://localhost:3000")
		}
	}
	if *grace < 0 {
		return c.fail(prog, "--grace is negative", "write a duration such as --grace=10s")
	}
	a, err := fileAddress(*dir)
	if err != nil {
		return c.fail(prog, "--dir "+quoteArg(*dir)+": "+oneLine(err.Error()), "name a directory below /, such as --dir /var/lib/byob")
	}
	statePath, stagingDir := servePaths(a.Bucket)

	st, err := readState(statePath)
	fresh := errors.Is(err, errNoState)
	switch {
	case fresh:
		st = &serveState{Keys: presign.NewLocalKeys()}
	case err != nil:
		fmt.Fprintf(c.stderr, "%s: %s\n", prog, oneLine(err.Error()))
		return 2
	}
	if *listen == "" {
		*listen = "127.0.0.1:0"
		if !fresh {
			*listen = hostPortOf(st.BaseURL)
		}
	}
	if problem, fix := checkListen(*listen, *allowRemote); problem != "" {
		return c.fail(prog, "--listen "+quoteArg(*listen)+" "+problem, fix)
	}

	reg, loc, err := openLocation(ctx, a)
	if err != nil {
		fmt.Fprintf(c.stderr, "%s: %s\n", prog, oneLine(err.Error()))
		return 1
	}
	defer reg.Close()
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		fmt.Fprintf(c.stderr, "%s: listen on %s: %s; fix: choose another --listen port, or stop what uses it\n", prog, *listen, oneLine(err.Error()))
		return 1
	}
	defer ln.Close()
	baseURL := "http://" + ln.Addr().String()
	if fresh || baseURL != st.BaseURL {
		st.BaseURL = baseURL
		if err := writeState(statePath, st, fresh); err != nil {
			fmt.Fprintf(c.stderr, "%s: write the state file %s: %s\n", prog, statePath, oneLine(err.Error()))
			return 1
		}
	}

	logger := slog.New(slog.NewTextHandler(c.stderr, nil))
	h, staging, err := bucketHandler(ctx, loc, baseURL, st.Keys, stagingDir, origins, logger)
	if err != nil {
		fmt.Fprintf(c.stderr, "%s: %s\n", prog, oneLine(err.Error()))
		return 1
	}
	defer staging.Close()
	var handler http.Handler = h
	if hooks.wrap != nil {
		handler = hooks.wrap(handler)
	}
	// inflight counts the handler's calls, so that serve returns only
	// after every one has: an upload interrupted at shutdown has then
	// discarded its write, rather than being cut off mid-commit.
	var inflight sync.WaitGroup
	counted := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		inflight.Add(1)
		defer inflight.Done()
		handler.ServeHTTP(w, r)
	})
	// Cancelling base interrupts every request: the handler then
	// discards the uploads under way.
	base, cancelBase := context.WithCancel(context.Background())
	defer cancelBase()
	srv := &http.Server{
		Handler:           counted,
		BaseContext:       func(net.Listener) context.Context { return base },
		ReadHeaderTimeout: 30 * time.Second,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()

	if *jsonOut {
		line, _ := json.Marshal(struct {
			BaseURL string `json:"baseURL"`
			Dir     string `json:"dir"`
			State   string `json:"state"`
			Staging string `json:"staging"`
		}{baseURL, a.Bucket, statePath, stagingDir})
		fmt.Fprintf(c.stdout, "%s\n", line)
	} else {
		fmt.Fprintf(c.stdout, "byob serve: serving %s at %s (state: %s); stop with Ctrl-C\n", a.Bucket, baseURL, statePath)
	}
	if hooks.ready != nil {
		hooks.ready(baseURL)
	}

	select {
	case <-ctx.Done():
	case err := <-served:
		fmt.Fprintf(c.stderr, "%s: %s\n", prog, oneLine(err.Error()))
		return 1
	}
	sctx, cancel := context.WithTimeout(context.Background(), *grace)
	defer cancel()
	err = srv.Shutdown(sctx)
	if err != nil {
		// Requests still running after the grace period: interrupt them,
		// and the handler discards their writes.
		cancelBase()
		srv.Close()
	}
	inflight.Wait()
	if err != nil {
		fmt.Fprintf(c.stderr, "%s: stopped; requests still running after --grace=%s were interrupted and their uploads discarded\n", prog, *grace)
	} else {
		fmt.Fprintf(c.stderr, "%s: stopped\n", prog)
	}
	return 0
}

// bucketHandler is the handler 'byob serve' (and 'byob demo') serves loc
// with: byob's signed-URL handler, with the parts of multipart uploads
// staged in stagingDir, beside the bucket's directory and never inside it.
// Close the staging bucket it returns when the handler is done.
func bucketHandler(ctx context.Context, loc *scope.Location, baseURL string, keys *presign.LocalKeys, stagingDir string, origins []string, logger *slog.Logger) (*presign.Handler, *provider.Handle, error) {
	sa, err := address.Parse((&address.Address{Provider: address.File, Bucket: stagingDir}).URL())
	if err != nil {
		return nil, nil, fmt.Errorf("staging directory %s: %w", stagingDir, err)
	}
	staging, err := provider.Open(ctx, sa)
	if err != nil {
		return nil, nil, err
	}
	h, err := presign.NewHandler(presign.LocalConfig{Location: loc, BaseURL: baseURL, Keys: keys},
		presign.HandlerOptions{Staging: staging.Bucket(), CORSOrigins: origins, Logger: logger})
	if err != nil {
		staging.Close()
		return nil, nil, err
	}
	return h, staging, nil
}

// checkListen returns what is wrong with a --listen address, and the fix;
// "" when it is fine. Only loopback addresses are accepted unless remote:
// the server speaks plain HTTP.
func checkListen(hostport string, remote bool) (problem, fix string) {
	host, _, err := net.SplitHostPort(hostport)
	if err != nil {
		return "is not host:port", "write --listen 127.0.0.1:PORT (PORT 0 picks a free one)"
	}
	if host == "localhost" {
		return "", ""
	}
	ip := net.ParseIP(host)
	switch {
	case ip != nil && ip.IsLoopback():
		return "", ""
	case ip == nil && host != "":
		return "names a host, not an IP address", "write --listen 127.0.0.1:PORT, or the IP address of an interface"
	case host == "" || ip.IsUnspecified():
		return "listens on every interface", "write --listen 127.0.0.1:PORT, or one interface's IP address with --allow-remote"
	case !remote:
		return "is not a loopback address, and the server speaks plain HTTP", "write --listen 127.0.0.1:PORT, or add --allow-remote to serve other machines"
	}
	return "", ""
}

// hostPortOf returns the host:port of a base URL checkBaseURL accepted.
func hostPortOf(baseURL string) string {
	u, err := url.Parse(baseURL)
	if err != nil {
		return ""
	}
	return u.Host
}
