package testenv

import (
	"errors"
	"io"
	"net"
	"net/http"
	"testing"

	"github.com/fsouza/fake-gcs-server/fakestorage"
)

// FakeGCS runs fake-gcs-server in-process on a loopback listener it keeps
// open (no window in which another socket could take the port), and returns
// the server and its host:port; it stops when the test ends. The server is
// told that host: the storage library reads objects through the XML API at
// <endpoint>/<bucket>/<object>, which the server answers only on its public
// host. Address it as gs://<bucket>?endpoint=http://<host:port>, without
// keys: the server checks none.
func FakeGCS(t testing.TB) (*fakestorage.Server, string) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen on loopback: %v", err)
	}
	host := l.Addr().String()
	srv, err := fakestorage.NewServerWithOptions(fakestorage.Options{
		Scheme: "http", NoListener: true, PublicHost: host, ExternalURL: "http://" + host, Writer: io.Discard,
	})
	if err != nil {
		l.Close()
		t.Fatalf("fake-gcs-server: %v", err)
	}
	hs := &http.Server{Handler: srv.HTTPHandler()}
	served := make(chan error, 1)
	go func() { served <- hs.Serve(l) }()
	t.Cleanup(func() {
		_ = hs.Close()
		if err := <-served; !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("fake-gcs-server: %v", err)
		}
		srv.Stop()
	})
	return srv, host
}
