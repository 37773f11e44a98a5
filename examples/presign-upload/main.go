// Command presign-upload is a client uploading through presigned URLs, on
// the embedded default: the server (here, in the same process) signs
// every request, and the client sends them with a plain net/http client
// and no credentials of its own. A small file goes up in one PUT; a large
// one as a multipart upload (start, one PUT per part, complete), each
// part's Content-MD5 bound by its signature. Both are downloaded again
// through presigned GETs and compared. It needs no setup and removes
// everything it made.
//
//	go run ./examples/presign-upload
package main

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"

	"github.com/byobkit/byob/address"
	"github.com/byobkit/byob/presign"
	"github.com/byobkit/byob/provider"
	"github.com/byobkit/byob/provider/preflight"
	"github.com/byobkit/byob/scope"
)

// The product's SDK goes multipart from 2 GiB (presign.MultipartThreshold)
// with 100 MiB parts. This example lowers both, to run in a moment; parts
// stay at S3's 5 MiB minimum (presign.MinPartSize), which the local handler
// does not require but S3 does.
const (
	multipartThreshold = 8 << 20
	partSize           = presign.MinPartSize
)

func main() {
	if err := run(context.Background(), os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "presign-upload:", err)
		os.Exit(1)
	}
}

// signFunc is the server's API as the client sees it: it asks for one
// signed request at a time (in a real product, an HTTP call to the
// tracking server, which authorises the user before it signs).
type signFunc func(ctx context.Context, key string, o presign.Options) (presign.Request, error)

func run(ctx context.Context, w io.Writer) error {
	tmp, err := os.MkdirTemp("", "byob-presign-upload-*")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	sign, baseURL, stop, err := startServer(ctx, tmp)
	if err != nil {
		return err
	}
	defer stop()
	fmt.Fprintf(w, "server: a file:// bucket in a temporary directory, served at %s\n", baseURL)

	client := &http.Client{}
	rng := rand.New(rand.NewPCG(1, 2))
	files := []struct {
		key         string
		contentType string
		data        []byte
	}{
		{"kappa/project/run-1/config.json", "application/json", []byte(`{"lr": 0.001, "epochs": 3}` + "\n")},
		{"kappa/project/run-1/weights.bin", "application/octet-stream", randomBytes(rng, 2*partSize+partSize/2)},
	}
	for _, f := range files {
		if err := upload(ctx, w, client, sign, f.key, f.contentType, f.data); err != nil {
			return fmt.Errorf("upload %s: %w", f.key, err)
		}
	}
	for _, f := range files {
		got, err := download(ctx, client, sign, f.key)
		if err != nil {
			return fmt.Errorf("download %s: %w", f.key, err)
		}
		if sha256.Sum256(got) != sha256.Sum256(f.data) {
			return fmt.Errorf("download %s: %d bytes that differ from the upload", f.key, len(got))
		}
		fmt.Fprintf(w, "downloaded %s: %d bytes, the same SHA-256 as uploaded\n", filepath.Base(f.key), len(got))
	}
	return nil
}

// upload sends data under key: one PUT below multipartThreshold, a
// multipart upload from it.
func upload(ctx context.Context, w io.Writer, client *http.Client, sign signFunc, key, contentType string, data []byte) error {
	name := filepath.Base(key)
	if len(data) < multipartThreshold {
		req, err := sign(ctx, key, presign.Options{Method: http.MethodPut, ContentType: contentType, ContentMD5: md5Base64(data)})
		if err != nil {
			return err
		}
		resp, err := send(ctx, client, req, data)
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "uploaded %s (%d bytes) with one presigned PUT: ETag %s\n", name, len(data), resp.Header.Get("ETag"))
		return nil
	}

	// 1. Start the upload: the answer names it.
	req, err := sign(ctx, key, presign.Options{Op: presign.OpCreateUpload, ContentType: contentType})
	if err != nil {
		return err
	}
	resp, err := send(ctx, client, req, nil)
	if err != nil {
		return err
	}
	var created struct {
		UploadID string `xml:"UploadId"`
	}
	if err := xml.Unmarshal(resp.body, &created); err != nil || created.UploadID == "" {
		return errors.New("the start of the upload answered no upload id")
	}
	parts := (len(data) + partSize - 1) / partSize
	fmt.Fprintf(w, "uploading %s (%.1f MiB) in %d parts (multipart from %d MiB here; the SDK's: from 2 GiB):\n",
		name, float64(len(data))/(1<<20), parts, multipartThreshold>>20)
	// abort gives the upload up, so that its parts do not wait for the
	// bucket's lifecycle rule.
	abort := func(cause error) error {
		if req, err := sign(ctx, key, presign.Options{Op: presign.OpAbortUpload, UploadID: created.UploadID}); err == nil {
			send(ctx, client, req, nil)
		}
		return cause
	}

	// 2. One PUT per part, its MD5 bound by the signature; keep each ETag.
	var done completeUpload
	for n := 1; n <= parts; n++ {
		part := data[(n-1)*partSize : min(n*partSize, len(data))]
		req, err := sign(ctx, key, presign.Options{Op: presign.OpUploadPart, UploadID: created.UploadID, PartNumber: n, ContentMD5: md5Base64(part)})
		if err != nil {
			return abort(err)
		}
		resp, err := send(ctx, client, req, part)
		if err != nil {
			return abort(fmt.Errorf("part %d: %w", n, err))
		}
		etag := resp.Header.Get("ETag")
		done.Parts = append(done.Parts, completedPart{PartNumber: n, ETag: etag})
		fmt.Fprintf(w, "  part %d: %d bytes, ETag %s\n", n, len(part), etag)
	}

	// 3. Complete it with the part list: the object appears whole, at once.
	req, err = sign(ctx, key, presign.Options{Op: presign.OpCompleteUpload, UploadID: created.UploadID})
	if err != nil {
		return abort(err)
	}
	body, _ := xml.Marshal(done)
	resp, err = send(ctx, client, req, body)
	if err != nil {
		return abort(err)
	}
	var completed struct{ ETag string }
	xml.Unmarshal(resp.body, &completed)
	fmt.Fprintf(w, "  completed: ETag %s\n", completed.ETag)
	return nil
}

type completeUpload struct {
	XMLName xml.Name        `xml:"CompleteMultipartUpload"`
	Parts   []completedPart `xml:"Part"`
}

type completedPart struct {
	PartNumber int
	ETag       string
}

// download reads key through a presigned GET.
func download(ctx context.Context, client *http.Client, sign signFunc, key string) ([]byte, error) {
	req, err := sign(ctx, key, presign.Options{Method: http.MethodGet})
	if err != nil {
		return nil, err
	}
	resp, err := send(ctx, client, req, nil)
	if err != nil {
		return nil, err
	}
	return resp.body, nil
}

// response is an answer with its body read.
type response struct {
	*http.Response
	body []byte
}

// send sends a signed request with the headers it binds. Its errors never
// quote the URL, which is a credential until it expires.
func send(ctx context.Context, client *http.Client, req presign.Request, body []byte) (*response, error) {
	hr, err := http.NewRequestWithContext(ctx, req.Method, req.URL, bytes.NewReader(body))
	if err != nil {
		return nil, errors.New("cannot build the request")
	}
	for k, v := range req.Header {
		hr.Header[k] = v
	}
	resp, err := client.Do(hr)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", req.Method, presign.RedactURL(req.URL), errors.Unwrap(err))
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode/100 != 2 {
		var e struct{ Code string }
		xml.Unmarshal(b, &e)
		return nil, fmt.Errorf("%s answered %s %s", req.Method, resp.Status, e.Code)
	}
	return &response{resp, b}, nil
}

// startServer is the server's side: a registry whose instance bucket is
// a file:// directory, byob's handler serving it (with a staging directory
// beside it for multipart parts), and a signer for alice of team kappa.
func startServer(ctx context.Context, tmp string) (sign signFunc, baseURL string, stop func(), err error) {
	dir := func(name string) (*address.Address, error) {
		return address.Parse("file://" + filepath.ToSlash(filepath.Join(tmp, name)))
	}
	instance, err := dir("bucket")
	if err != nil {
		return nil, "", nil, err
	}
	reg, err := scope.New(ctx, scope.Config{Deployment: scope.SelfManaged, Instance: instance, Store: scope.NewMemStore(),
		Open: scope.ProviderOpen(), Check: scope.ProviderCheck(preflight.Options{})})
	if err != nil {
		return nil, "", nil, err
	}
	closers := []func(){func() { reg.Close() }}
	stop = func() {
		for i := len(closers) - 1; i >= 0; i-- {
			closers[i]()
		}
	}
	fail := func(err error) (signFunc, string, func(), error) { stop(); return nil, "", nil, err }
	if _, err := reg.CreateTeam(ctx, "kappa", nil); err != nil {
		return fail(err)
	}
	loc, err := reg.Instance()
	if err != nil {
		return fail(err)
	}
	// The staging directory must not be inside the bucket's: parts would
	// show in its listing.
	sa, err := dir("staging")
	if err != nil {
		return fail(err)
	}
	staging, err := provider.Open(ctx, sa)
	if err != nil {
		return fail(err)
	}
	closers = append(closers, func() { staging.Close() })
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fail(err)
	}
	baseURL = "http://" + ln.Addr().String()
	keys := presign.NewLocalKeys()
	h, err := presign.NewHandler(presign.LocalConfig{Location: loc, BaseURL: baseURL, Keys: keys}, presign.HandlerOptions{Staging: staging.Bucket()})
	if err != nil {
		ln.Close()
		return fail(err)
	}
	srv := &http.Server{Handler: h}
	go srv.Serve(ln)
	closers = append(closers, func() { srv.Close() })

	signer := presign.New(reg, presign.WithLocalBase(baseURL, keys))
	alice := scope.User{ID: "alice", Teams: []string{"kappa"}}
	sign = func(ctx context.Context, key string, o presign.Options) (presign.Request, error) {
		return signer.Sign(ctx, alice, "kappa", key, o)
	}
	return sign, baseURL, stop, nil
}

func md5Base64(b []byte) string {
	sum := md5.Sum(b)
	return base64.StdEncoding.EncodeToString(sum[:])
}

// randomBytes stands for a model's weights: bytes that do not compress.
func randomBytes(rng *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	return b
}
