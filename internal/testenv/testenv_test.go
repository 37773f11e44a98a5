package testenv

import (
	"fmt"
	"net"
	"net/url"
	"runtime"
	"strings"
	"testing"
	"time"
)

// fakeTB records Skipf/Fatalf and stops the calling goroutine like the real
// testing.T does.
type fakeTB struct {
	testing.TB
	skipped, failed bool
	msg             string
}

func (f *fakeTB) Helper() {}

func (f *fakeTB) Skipf(format string, args ...any) {
	f.skipped, f.msg = true, fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func (f *fakeTB) Fatalf(format string, args ...any) {
	f.failed, f.msg = true, fmt.Sprintf(format, args...)
	runtime.Goexit()
}

// call runs fn with a fakeTB in its own goroutine so Goexit stops only fn.
func call(fn func(testing.TB)) *fakeTB {
	f := &fakeTB{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn(f)
	}()
	<-done
	return f
}

func TestRequired(t *testing.T) {
	for val, want := range map[string]bool{"": false, "0": false, "yes": false, "required": true} {
		t.Setenv(EnvIntegration, val)
		if got := Required(); got != want {
			t.Errorf("%s=%q: Required() = %v, want %v", EnvIntegration, val, got, want)
		}
	}
}

func TestS3(t *testing.T) {
	const secret = "sec/ret+val=ue"
	t.Setenv(EnvS3Endpoint, "127.0.0.1:1")
	t.Setenv(EnvS3AccessKey, "ak")
	t.Setenv(EnvS3SecretKey, secret)

	t.Setenv(EnvIntegration, "")
	var got S3Server
	if f := call(func(tb testing.TB) { got = S3(tb) }); f.skipped || f.failed {
		t.Fatalf("S3 with all variables set: skipped=%v failed=%v: %s", f.skipped, f.failed, f.msg)
	}
	if want := (S3Server{"127.0.0.1:1", "ak", secret}); got != want {
		t.Errorf("S3() = %+v, want %+v", got, want)
	}

	t.Setenv(EnvS3AccessKey, "")
	f := call(func(tb testing.TB) { S3(tb) })
	if !f.skipped || f.failed || !strings.Contains(f.msg, EnvS3AccessKey) {
		t.Errorf("S3 without %s: skipped=%v failed=%v msg=%q; want a skip naming the variable", EnvS3AccessKey, f.skipped, f.failed, f.msg)
	}

	t.Setenv(EnvIntegration, "required")
	f = call(func(tb testing.TB) { S3(tb) })
	if f.skipped || !f.failed || !strings.Contains(f.msg, EnvS3AccessKey) {
		t.Errorf("S3 without %s, required: skipped=%v failed=%v msg=%q; want a failure naming the variable", EnvS3AccessKey, f.skipped, f.failed, f.msg)
	}
	if strings.Contains(f.msg, secret) {
		t.Errorf("message %q leaks the secret key", f.msg)
	}
}

func TestAzurite(t *testing.T) {
	const key = "a2V5+/=="
	t.Setenv(EnvAzuriteEndpoint, "http://127.0.0.1:1")
	t.Setenv(EnvAzuriteAccount, "acct")
	t.Setenv(EnvAzuriteKey, key)

	t.Setenv(EnvIntegration, "required")
	var got AzuriteServer
	if f := call(func(tb testing.TB) { got = Azurite(tb) }); f.skipped || f.failed {
		t.Fatalf("Azurite with all variables set: skipped=%v failed=%v: %s", f.skipped, f.failed, f.msg)
	}
	if want := (AzuriteServer{"http://127.0.0.1:1", "acct", key}); got != want {
		t.Errorf("Azurite() = %+v, want %+v", got, want)
	}

	t.Setenv(EnvAzuriteEndpoint, "")
	t.Setenv(EnvIntegration, "")
	f := call(func(tb testing.TB) { Azurite(tb) })
	if !f.skipped || !strings.Contains(f.msg, EnvAzuriteEndpoint) || strings.Contains(f.msg, key) {
		t.Errorf("Azurite without %s: skipped=%v msg=%q; want a skip naming the variable only", EnvAzuriteEndpoint, f.skipped, f.msg)
	}
}

// TestServersReachable checks, when run by 'make test', that the servers
// started by scripts/testservers.sh accept connections at the advertised
// endpoints.
func TestServersReachable(t *testing.T) {
	dial := func(name, hostport string) {
		t.Helper()
		c, err := net.DialTimeout("tcp", hostport, 5*time.Second)
		if err != nil {
			t.Errorf("%s at %s: %v", name, hostport, err)
			return
		}
		c.Close()
	}
	t.Run("S3", func(t *testing.T) {
		s := S3(t)
		if _, _, err := net.SplitHostPort(s.Endpoint); err != nil {
			t.Fatalf("%s=%q is not host:port: %v", EnvS3Endpoint, s.Endpoint, err)
		}
		dial("versitygw", s.Endpoint)
	})
	t.Run("Azurite", func(t *testing.T) {
		a := Azurite(t)
		u, err := url.Parse(a.Endpoint)
		if err != nil || u.Scheme == "" || u.Port() == "" {
			t.Fatalf("%s=%q is not scheme://host:port (err %v)", EnvAzuriteEndpoint, a.Endpoint, err)
		}
		dial("azurite", u.Host)
	})
}
