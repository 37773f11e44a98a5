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
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/byobkit/byob/address"
	"github.com/byobkit/byob/gc"
	"github.com/byobkit/byob/presign"
	"github.com/byobkit/byob/provider"
	"github.com/byobkit/byob/provider/preflight"
	"github.com/byobkit/byob/scope"
)

const demoUsage = `usage: byob demo [--json]

Runs byob's whole story on the embedded default, with nothing installed
and no setup, in a temporary directory that it removes at the end:

  - a file:// instance bucket and team Omega's own file:// bucket, served on
    loopback by the handler 'byob serve' runs;
  - teams Kappa (no bucket: the instance's) and Omega (its own), as the
    documentation describes them, with users alice (kappa) and bob (omega);
  - artifact files uploaded through presigned PUTs with a real HTTP client,
    one of them multipart, and downloaded again through presigned GETs;
  - who can read what, a refused signature and a refused request included;
  - an artifact version deleted while a later version still shares one of
    its files; the collector's dry run, then its real run, its journal and
    what it reclaimed; and the restore that undoes it.

--json prints one object at the end, a stable shape:
  {"ok":true,"error":"","steps":[{"title":"…","lines":["…",…]},…]}
the same steps and lines as the text, without colour.

exit status: 0 the story ran, 1 a step failed (the error names it), 2 a
usage error.

examples:
  byob demo
  go run ./cmd/byob demo
  byob demo --json | jq -r '.steps[].title'
`

// demoOut is what 'byob demo --json' prints (see demoUsage).
type demoOut struct {
	OK    bool       `json:"ok"`
	Error string     `json:"error"`
	Steps []demoStep `json:"steps"`
}

type demoStep struct {
	Title string   `json:"title"`
	Lines []string `json:"lines"`
}

// runDemo is 'byob demo'.
func (c cli) runDemo(args []string) int {
	const prog = "byob demo"
	sh := newShield(args)
	fs := newFlags(prog)
	jsonOut := fs.Bool("json", false, "print one JSON object at the end (see above)")
	pos, code, done := c.parseFlags(fs, sh, demoUsage+"\nflags:\n")
	switch {
	case done:
		return code
	case len(pos) != 0:
		return c.fail(prog, "unexpected arguments: "+quoteArgs(pos), "run it as it is: byob demo")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	d := &demo{ctx: ctx, st: c.style(c.stdout, *jsonOut)}
	if !*jsonOut {
		d.w = c.stdout
	}
	err := d.run()
	if *jsonOut {
		out := demoOut{OK: err == nil, Steps: d.steps}
		if err != nil {
			out.Error = oneLine(err.Error())
		}
		line, _ := json.Marshal(out)
		fmt.Fprintf(c.stdout, "%s\n", line)
	}
	if err != nil {
		step := ""
		if n := len(d.steps); n > 0 {
			step = fmt.Sprintf("step %d (%s): ", n, d.steps[n-1].Title)
		}
		fmt.Fprintf(c.stderr, "%s: %s%s\n", prog, step, oneLine(err.Error()))
		return 1
	}
	return 0
}

// The demo's artifact layout: the product's, wandb_artifacts/<n>/<birth
// artifact id>/<md5 hex>, with a made-up n.
const (
	demoDataPrefix = gc.DefaultDataPrefix
	demoLayoutN    = "7"
	// demoMultipart is where the demo's client switches to a multipart
	// upload with parts of presign.MinPartSize; the product's SDK does at
	// presign.MultipartThreshold (2 GiB) with 100 MiB parts.
	demoMultipart = presign.MinPartSize
)

// demo is one run of the story.
type demo struct {
	ctx   context.Context
	w     io.Writer // nil with --json
	st    style
	steps []demoStep

	tmp     string
	baseURL string
	reg     *scope.Registry
	signer  *presign.Signer
	client  *http.Client
	db      *gc.MemServer // the server's database of artifact versions, for the instance bucket
	users   map[string]scope.User
	files   map[string]*demoFile // by "version/name"
	kappa   *scope.Location
	journal string // the collector's journal, in tmp
	runID   string // the collector's run
}

// demoFile is one artifact file the demo uploaded.
type demoFile struct {
	team, version, name, key string
	data                     []byte
}

// step starts a step; line adds a line to it.
func (d *demo) step(title string) {
	d.steps = append(d.steps, demoStep{Title: title, Lines: []string{}})
	if d.w != nil {
		if len(d.steps) > 1 {
			fmt.Fprintln(d.w)
		}
		fmt.Fprintln(d.w, d.st.bold(fmt.Sprintf("%d. %s", len(d.steps), title)))
	}
}

func (d *demo) line(format string, args ...any) {
	d.lineStyled(fmt.Sprintf(format, args...), nil)
}

// lineStyled adds a line, painted on a terminal with paint.
func (d *demo) lineStyled(text string, paint func(string) string) {
	s := &d.steps[len(d.steps)-1]
	s.Lines = append(s.Lines, text)
	if d.w != nil {
		if paint != nil {
			text = paint(text)
		}
		fmt.Fprintln(d.w, "   "+text)
	}
}

// table adds rows as aligned lines.
func (d *demo) table(rows [][]string, paint func(row []string) func(string) string) {
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	for _, r := range rows {
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	tw.Flush()
	for i, l := range strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n") {
		var p func(string) string
		if paint != nil {
			p = paint(rows[i])
		}
		d.lineStyled(strings.TrimRight(l, " "), p)
	}
}

func (d *demo) run() (err error) {
	start := time.Now()
	d.tmp, err = os.MkdirTemp("", "byob-demo-*")
	if err != nil {
		return err
	}
	defer os.RemoveAll(d.tmp)
	stop, err := d.serve()
	if err != nil {
		return err
	}
	defer stop()
	for _, f := range []func() error{d.teams, d.upload, d.download, d.access, d.deleteVersion, d.collect, d.showJournal, d.restore} {
		if err := f(); err != nil {
			return err
		}
	}
	d.step("Done")
	d.line("in %.1fs; the temporary directory %s and the server are gone", time.Since(start).Seconds(), d.tmp)
	return nil
}

// serve starts the two buckets' handlers, those of 'byob serve', on one
// loopback listener: the instance bucket at /instance, Omega's at /omega.
func (d *demo) serve() (stop func(), err error) {
	d.step("Two file:// buckets in a temporary directory, served on loopback")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	d.baseURL = "http://" + ln.Addr().String()
	instance, err := fileAddress(filepath.Join(d.tmp, "instance"))
	if err != nil {
		ln.Close()
		return nil, err
	}
	d.reg, err = scope.New(d.ctx, scope.Config{
		Deployment: scope.Testing, // the deployment that offers file:// team buckets too
		Instance:   instance,
		Store:      scope.NewMemStore(),
		Open:       scope.ProviderOpen(),
		Check:      scope.ProviderCheck(preflight.Options{}),
	})
	if err != nil {
		ln.Close()
		return nil, err
	}
	var closers []func()
	stop = func() {
		for i := len(closers) - 1; i >= 0; i-- {
			closers[i]()
		}
	}
	closers = append(closers, func() { d.reg.Close() })
	fail := func(err error) (func(), error) { ln.Close(); stop(); return nil, err }

	// A team bucket must exist before the team is created: the registry
	// checks it, as the product does.
	omegaBucket, err := fileAddress(filepath.Join(d.tmp, "omega"))
	if err != nil {
		return fail(err)
	}
	if err := os.MkdirAll(omegaBucket.Bucket, provider.FileDirMode); err != nil {
		return fail(err)
	}
	d.line("instance bucket %s", instance)
	d.line("omega's bucket  %s", omegaBucket)
	for _, t := range []struct {
		team    string
		storage *address.Address
	}{{"kappa", nil}, {"omega", omegaBucket}} {
		if _, err := d.reg.CreateTeam(d.ctx, t.team, t.storage); err != nil {
			return fail(err)
		}
	}
	d.kappa, err = d.reg.Instance()
	if err != nil {
		return fail(err)
	}
	omega, err := d.reg.Location(d.ctx, "omega")
	if err != nil {
		return fail(err)
	}
	mux := http.NewServeMux()
	bases := map[scope.Scope]string{}
	keys := map[scope.Scope]*presign.LocalKeys{}
	for _, l := range []struct {
		loc   *scope.Location
		mount string
		dir   string
	}{{d.kappa, "/instance", instance.Bucket}, {omega, "/omega", omegaBucket.Bucket}} {
		base := d.baseURL + l.mount
		k := presign.NewLocalKeys()
		_, stagingDir := servePaths(l.dir)
		h, staging, err := bucketHandler(d.ctx, l.loc, base, k, stagingDir, nil, nil)
		if err != nil {
			return fail(err)
		}
		closers = append(closers, func() { staging.Close() })
		mux.Handle(l.mount+"/", h)
		bases[l.loc.Scope()], keys[l.loc.Scope()] = base, k
		d.line("%-15s served at %s by byob serve's handler", l.mount[1:], base)
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 30 * time.Second}
	served := make(chan struct{})
	go func() { srv.Serve(ln); close(served) }()
	closers = append(closers, func() { srv.Close(); <-served })
	// Kappa's location is the instance's; Omega's is its team bucket.
	d.signer = presign.New(d.reg, presign.WithLocal(func(loc *scope.Location) (string, *presign.LocalKeys, error) {
		return bases[loc.Scope()], keys[loc.Scope()], nil
	}))
	d.client = &http.Client{Timeout: 30 * time.Second}
	d.db = gc.NewMemServer(demoDataPrefix)
	d.files = map[string]*demoFile{}
	return stop, nil
}

// teams prints the teams, as the documentation's Kappa and Omega.
func (d *demo) teams() error {
	d.step("Teams Kappa and Omega, as the documentation describes them")
	d.users = map[string]scope.User{
		"alice": {ID: "alice", Teams: []string{"kappa"}},
		"bob":   {ID: "bob", Teams: []string{"omega"}},
	}
	for _, t := range []struct{ team, how string }{{"kappa", "no bucket of its own"}, {"omega", "its own bucket"}} {
		l, err := d.reg.Location(d.ctx, t.team)
		if err != nil {
			return err
		}
		d.line("%-6s %-20s -> %s scope, files in the %s bucket", t.team, t.how, l.Scope(), filepath.Base(l.Address().Bucket))
	}
	d.line("users: alice (member of kappa), bob (member of omega)")
	return nil
}

// upload uploads two versions of Kappa's artifact "dataset" (v1 changes
// train.csv and deduplicates images.tar against v0's) and Omega's "model",
// through presigned PUTs, recording each version in the server's database.
func (d *demo) upload() error {
	d.step("Artifact files uploaded through presigned PUTs, by a plain HTTP client")
	rng := rand.New(rand.NewPCG(10, 10))
	rows := [][]string{{"version", "file", "size", "how", "key"}}
	type up struct {
		user, team, version, birth, name string
		data                             []byte
		reuse                            string // "version/name" of the file the version deduplicates against
	}
	for _, u := range []up{
		{"alice", "kappa", "dataset:v0", "1001", "train.csv", csv(rng, 40), ""},
		{"alice", "kappa", "dataset:v0", "1001", "images.tar", noise(rng, demoMultipart+demoMultipart/5), ""},
		{"alice", "kappa", "dataset:v1", "1002", "train.csv", csv(rng, 45), ""},
		{"alice", "kappa", "dataset:v1", "1002", "images.tar", nil, "dataset:v0/images.tar"},
		{"bob", "omega", "model:v0", "2001", "weights.bin", noise(rng, 64<<10), ""},
	} {
		if u.reuse != "" {
			f := d.files[u.reuse]
			if err := d.db.Reuse(u.version, f.key); err != nil {
				return err
			}
			d.files[u.version+"/"+u.name] = f
			rows = append(rows, []string{u.version, u.name, "", "reused", "deduplicated: the file " + f.version + " uploaded"})
			continue
		}
		sum := md5.Sum(u.data)
		key, err := gc.DefaultLayout(demoDataPrefix, demoLayoutN)(&gc.Entry{Path: u.name,
			Digest: base64.StdEncoding.EncodeToString(sum[:]), DigestHex: hex.EncodeToString(sum[:]), BirthArtifactID: u.birth})
		if err != nil {
			return err
		}
		if u.team == "kappa" {
			// The server records the upload before it signs the PUT: from
			// then on the key is in flight, and no collector claims it.
			if err := d.db.Upload(u.version, key); err != nil {
				return err
			}
		}
		how, err := d.put(d.users[u.user], u.team, key, u.data)
		if err != nil {
			return fmt.Errorf("%s of %s: %w", u.name, u.version, err)
		}
		d.files[u.version+"/"+u.name] = &demoFile{team: u.team, version: u.version, name: u.name, key: key, data: u.data}
		rows = append(rows, []string{u.version, u.name, size(len(u.data)), how, shortKey(key)})
	}
	for _, v := range []string{"dataset:v0", "dataset:v1"} {
		if err := d.db.Commit(v); err != nil {
			return err
		}
	}
	d.table(rows, nil)
	d.line("multipart from %s here (the SDK's: from 2 GiB); the server commits each version's manifest", size(demoMultipart))
	return nil
}

// put uploads data under key as user, with one PUT or, from demoMultipart,
// a multipart upload; it returns how.
func (d *demo) put(u scope.User, team, key string, data []byte) (string, error) {
	sign := func(o presign.Options) (presign.Request, error) {
		o.User = u.ID
		return d.signer.Sign(d.ctx, u, team, key, o)
	}
	if len(data) < demoMultipart {
		req, err := sign(presign.Options{Method: http.MethodPut, ContentType: "application/octet-stream", ContentMD5: md5Base64(data)})
		if err != nil {
			return "", err
		}
		_, err = d.send(req, data)
		return "PUT", err
	}
	req, err := sign(presign.Options{Op: presign.OpCreateUpload, ContentType: "application/octet-stream"})
	if err != nil {
		return "", err
	}
	b, err := d.send(req, nil)
	var created struct {
		UploadID string `xml:"UploadId"`
	}
	if err != nil {
		return "", err
	}
	if xml.Unmarshal(b, &created) != nil || created.UploadID == "" {
		return "", errors.New("the start of a multipart upload answered no upload id")
	}
	var done struct {
		XMLName xml.Name `xml:"CompleteMultipartUpload"`
		Parts   []struct {
			PartNumber int
			ETag       string
		} `xml:"Part"`
	}
	n := 0
	for off := 0; off < len(data); off += demoMultipart {
		n++
		part := data[off:min(off+demoMultipart, len(data))]
		req, err := sign(presign.Options{Op: presign.OpUploadPart, UploadID: created.UploadID, PartNumber: n, ContentMD5: md5Base64(part)})
		if err != nil {
			return "", err
		}
		resp, err := d.do(req, part)
		if err != nil {
			return "", err
		}
		done.Parts = append(done.Parts, struct {
			PartNumber int
			ETag       string
		}{n, resp.Header.Get("ETag")})
	}
	req, err = sign(presign.Options{Op: presign.OpCompleteUpload, UploadID: created.UploadID})
	if err != nil {
		return "", err
	}
	body, _ := xml.Marshal(done)
	if _, err := d.send(req, body); err != nil {
		return "", err
	}
	return fmt.Sprintf("multipart, %d parts", n), nil
}

// download reads every file back through presigned GETs.
func (d *demo) download() error {
	d.step("Downloads through presigned GETs")
	for _, k := range []string{"dataset:v0/train.csv", "dataset:v1/train.csv", "dataset:v1/images.tar", "model:v0/weights.bin"} {
		f := d.files[k]
		owner := map[string]string{"kappa": "alice", "omega": "bob"}[f.team]
		got, err := d.get(d.users[owner], f.team, f.key)
		if err != nil {
			return fmt.Errorf("%s: %w", f.name, err)
		}
		if !bytes.Equal(got, f.data) {
			return fmt.Errorf("%s: read back %d bytes that differ from the upload", f.name, len(got))
		}
	}
	d.line("alice read back both versions' files, bob omega's weights.bin: each the bytes uploaded")
	return nil
}

// access shows who can read what: a signature refused by the registry,
// and a request refused by the server.
func (d *demo) access() error {
	d.step("Who can read what")
	rows := [][]string{{"user", "member of", "reads", "result"}}
	for _, u := range []string{"alice", "bob"} {
		for _, k := range []string{"dataset:v1/train.csv", "model:v0/weights.bin"} {
			f := d.files[k]
			result := ""
			switch _, err := d.get(d.users[u], f.team, f.key); {
			case errors.Is(err, scope.ErrAccessDenied):
				result = "refused: no URL signed (scope.ErrAccessDenied: a team bucket is for its members)"
			case err != nil:
				return err
			default:
				l, _ := d.reg.Location(d.ctx, f.team)
				result = fmt.Sprintf("allowed (%s scope): HTTP 200", l.Scope())
			}
			rows = append(rows, []string{u, strings.Join(d.users[u].Teams, ","), f.team + "'s " + f.name, result})
		}
	}
	d.table(rows, func(r []string) func(string) string {
		switch {
		case strings.HasPrefix(r[3], "allowed"):
			return d.st.ok
		case strings.HasPrefix(r[3], "refused"):
			return d.st.bad
		}
		return nil
	})
	// alice takes a URL she was given and points it at Omega's file.
	f, g := d.files["dataset:v1/train.csv"], d.files["model:v0/weights.bin"]
	req, err := d.signer.Sign(d.ctx, d.users["alice"], "kappa", f.key, presign.Options{Method: http.MethodGet, User: "alice"})
	if err != nil {
		return err
	}
	req.URL = strings.Replace(strings.Replace(req.URL, "/instance/", "/omega/", 1), f.key, g.key, 1)
	_, err = d.send(req, nil)
	var he *demoHTTPError
	if !errors.As(err, &he) {
		return fmt.Errorf("a URL edited to name another file was not refused: %v", err)
	}
	d.lineStyled(fmt.Sprintf("alice edits her URL to name omega's weights.bin: HTTP %d %s", he.status, he.code), d.st.bad)
	return nil
}

// deleteVersion deletes dataset:v0, whose images.tar v1 still shares.
func (d *demo) deleteVersion() error {
	d.step("Delete the artifact version dataset:v0 (the product's soft delete)")
	if err := d.db.Delete("dataset:v0"); err != nil {
		return err
	}
	for _, k := range []struct{ name, key string }{{"v0's train.csv", d.files["dataset:v0/train.csv"].key}, {"v0's images.tar", d.files["dataset:v0/images.tar"].key}} {
		state := "unreferenced now: garbage"
		if d.db.Referenced(k.key) {
			state = "still live: dataset:v1 shares it"
		}
		d.line("%-15s %s  %s", k.name, shortKey(k.key), state)
	}
	return nil
}

// get reads key through a presigned GET as user.
func (d *demo) get(u scope.User, team, key string) ([]byte, error) {
	req, err := d.signer.Sign(d.ctx, u, team, key, presign.Options{Method: http.MethodGet, User: u.ID})
	if err != nil {
		return nil, err
	}
	return d.send(req, nil)
}

// demoHTTPError is an answer other than 2xx: its status and error code.
type demoHTTPError struct {
	method string
	status int
	code   string
}

func (e *demoHTTPError) Error() string {
	return fmt.Sprintf("%s answered HTTP %d %s", e.method, e.status, e.code)
}

// send sends a signed request and returns the answer's body.
func (d *demo) send(req presign.Request, body []byte) ([]byte, error) {
	resp, err := d.do(req, body)
	if err != nil {
		return nil, err
	}
	return resp.body, nil
}

type demoResponse struct {
	*http.Response
	body []byte
}

// do sends a signed request with the headers it binds. Its errors never
// quote the URL: it is a credential until it expires.
func (d *demo) do(req presign.Request, body []byte) (*demoResponse, error) {
	hr, err := http.NewRequestWithContext(d.ctx, req.Method, req.URL, bytes.NewReader(body))
	if err != nil {
		return nil, errors.New("cannot build the request")
	}
	for k, v := range req.Header {
		hr.Header[k] = v
	}
	resp, err := d.client.Do(hr)
	if err != nil {
		var ue interface{ Unwrap() error }
		if errors.As(err, &ue) {
			err = ue.Unwrap()
		}
		return nil, fmt.Errorf("%s %s: %s", req.Method, presign.RedactURL(req.URL), presign.RedactURL(err.Error()))
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode/100 != 2 {
		var e struct{ Code string }
		xml.Unmarshal(b, &e)
		return nil, &demoHTTPError{method: req.Method, status: resp.StatusCode, code: e.Code}
	}
	return &demoResponse{resp, b}, nil
}

func md5Base64(b []byte) string {
	sum := md5.Sum(b)
	return base64.StdEncoding.EncodeToString(sum[:])
}

// shortKey shortens an artifact key's digest for a one-screen table.
func shortKey(key string) string {
	i := strings.LastIndex(key, "/")
	if i < 0 || len(key)-i-1 <= 8 {
		return key
	}
	return key[:i+9] + "…"
}

// size prints n bytes as people read them.
func size(n int) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

// csv is a small CSV file of rows random rows.
func csv(rng *rand.Rand, rows int) []byte {
	var b strings.Builder
	b.WriteString("id,x,y,label\n")
	for i := range rows {
		fmt.Fprintf(&b, "%d,%.3f,%.3f,%d\n", i, rng.Float64(), rng.Float64(), rng.IntN(10))
	}
	return []byte(b.String())
}

// noise is n bytes that do not compress: an image archive, model weights.
func noise(rng *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	return b
}
