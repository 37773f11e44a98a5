package presign_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/byobkit/byob/address"
	"github.com/byobkit/byob/presign"
	"github.com/byobkit/byob/scope"
)

// A server with a mem:// instance bucket signs a PUT and a GET for a
// user; the embedded Handler is the storage service that verifies them.
func ExampleSigner() {
	ctx := context.Background()
	a, _ := address.Parse("mem://example/instance")
	reg, err := scope.New(ctx, scope.Config{Deployment: scope.Testing, Instance: a, Store: scope.NewMemStore(),
		Open: scope.ProviderOpen(), Check: func(context.Context, *address.Address) ([]string, error) { return nil, nil }})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer reg.Close()
	if _, err := reg.CreateTeam(ctx, "kappa", nil); err != nil { // a team on the instance bucket
		fmt.Println(err)
		return
	}
	loc, _ := reg.Instance()

	keys := presign.NewLocalKeys()
	srv := httptest.NewUnstartedServer(nil)
	base := "http://" + srv.Listener.Addr().String()
	h, err := presign.NewHandler(presign.LocalConfig{Location: loc, BaseURL: base, Keys: keys}, presign.HandlerOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	srv.Config.Handler = h
	srv.Start()
	defer srv.Close()

	s := presign.New(reg, presign.WithLocalBase(base, keys))
	user := scope.User{ID: "alice"}
	put, err := s.Sign(ctx, user, "kappa", "runs/r1/hello.txt", presign.Options{Method: http.MethodPut, ContentType: "text/plain", User: user.ID})
	if err != nil {
		fmt.Println(err)
		return
	}
	req, _ := http.NewRequest(put.Method, put.URL, strings.NewReader("hello"))
	req.Header = put.Header.Clone()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		fmt.Println("PUT failed")
		return
	}
	resp.Body.Close()
	fmt.Println("PUT", resp.StatusCode)

	get, _ := s.Sign(ctx, user, "kappa", "runs/r1/hello.txt", presign.Options{Method: http.MethodGet})
	resp, err = http.Get(get.URL)
	if err != nil {
		fmt.Println("GET failed")
		return
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Println("GET", resp.StatusCode, string(body))
	// Output:
	// PUT 200
	// GET 200 hello
}
