// Command quickstart is byob in one page, on the embedded default: it
// opens a file:// address (a temporary directory) as the instance bucket,
// writes a file there as the server would, serves the bucket through
// byob's signed-URL handler on loopback, presigns a GET for a team member
// and reads the file back through the URL, as a client would. It needs no
// setup and removes everything it made.
//
//	go run ./examples/quickstart
package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"

	"github.com/byobkit/byob/address"
	"github.com/byobkit/byob/presign"
	"github.com/byobkit/byob/provider/preflight"
	"github.com/byobkit/byob/scope"
)

func main() {
	if err := run(context.Background(), os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "quickstart:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, w io.Writer) error {
	tmp, err := os.MkdirTemp("", "byob-quickstart-*")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)

	// 1. Open an address. file:// is the default storage of a self-managed
	// instance: a directory on the server. Addresses print redacted.
	instance, err := address.Parse("file://" + filepath.ToSlash(filepath.Join(tmp, "bucket")))
	if err != nil {
		return err
	}
	reg, err := scope.New(ctx, scope.Config{
		Deployment: scope.SelfManaged,
		Instance:   instance,
		Store:      scope.NewMemStore(), // the server's database keeps team records
		Open:       scope.ProviderOpen(),
		Check:      scope.ProviderCheck(preflight.Options{}),
	})
	if err != nil {
		return err
	}
	defer reg.Close()
	// Team kappa has no bucket of its own: its files are in the instance's.
	if _, err := reg.CreateTeam(ctx, "kappa", nil); err != nil {
		return err
	}
	alice := scope.User{ID: "alice", Teams: []string{"kappa"}}
	fmt.Fprintf(w, "opened %s as the instance bucket; team kappa uses it\n", instance)

	// 2. Write. Authorize checks the user may write the key, and returns
	// the location, whose bucket is a gocloud *blob.Bucket.
	const key = "kappa/quickstart/run-1/notes.txt"
	loc, err := reg.Authorize(ctx, alice, "kappa", key, scope.Write)
	if err != nil {
		return err
	}
	if err := loc.Bucket().WriteAll(ctx, key, []byte("hello from byob\n"), nil); err != nil {
		return err
	}
	fmt.Fprintf(w, "wrote %s\n", key)

	// 3. Presign. A file:// bucket is reached through byob's handler (what
	// 'byob serve' runs); the signer and the handler share its keys.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	baseURL := "http://" + ln.Addr().String()
	keys := presign.NewLocalKeys()
	inst, err := reg.Instance()
	if err != nil {
		return err
	}
	h, err := presign.NewHandler(presign.LocalConfig{Location: inst, BaseURL: baseURL, Keys: keys}, presign.HandlerOptions{})
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: h}
	go srv.Serve(ln)
	defer srv.Close()
	signer := presign.New(reg, presign.WithLocalBase(baseURL, keys))
	req, err := signer.Sign(ctx, alice, "kappa", key, presign.Options{Method: http.MethodGet})
	if err != nil {
		return err
	}
	// A Request prints with its signature redacted; req.URL is the real
	// one, for the client only.
	fmt.Fprintf(w, "presigned %s\n", req)

	// 4. Read, as a client: a plain HTTP GET of the URL, no credentials.
	resp, err := http.Get(req.URL)
	if err != nil {
		return fmt.Errorf("GET %s: %w", presign.RedactURL(req.URL), err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET answered %s", resp.Status)
	}
	fmt.Fprintf(w, "read back through the URL: HTTP %d %q\n", resp.StatusCode, body)
	return nil
}
