package presign

import (
	"net/http/httptest"
	"testing"
	"time"
)

// BenchmarkLocalSign: one URL per file sits on the hot path, as for the
// cloud signers.
func BenchmarkLocalSign(b *testing.B) {
	loc := newLocation(b, "mem")
	s, err := NewLocalSigner(LocalConfig{Location: loc, BaseURL: "http://127.0.0.1:8080", Keys: NewLocalKeys(), Now: func() time.Time { return t0 }})
	if err != nil {
		b.Fatal(err)
	}
	const key = "wandb_artifacts/123/456789/d41d8cd98f00b204e9800998ecf8427e"
	for _, bc := range []struct {
		name string
		o    LocalOptions
	}{
		{"GET", LocalOptions{Method: "GET", Expires: t0.Add(time.Hour), User: "alice"}},
		{"PUT with MD5 and type", LocalOptions{Method: "PUT", Expires: t0.Add(24 * time.Hour), User: "alice",
			ContentType: "application/octet-stream", ContentMD5: "1B2M2Y8AsgTpgAmY7PhCfg=="}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := s.Sign(key, bc.o); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkLocalVerify: the handler's checks of a signed request, without
// the bucket's I/O.
func BenchmarkLocalVerify(b *testing.B) {
	e := newEnv(b, "mem")
	const key = "wandb_artifacts/123/456789/d41d8cd98f00b204e9800998ecf8427e"
	for _, bc := range []struct {
		name string
		o    LocalOptions
	}{
		{"GET", LocalOptions{Method: "GET", User: "alice"}},
		{"PUT with MD5 and type", LocalOptions{Method: "PUT", User: "alice", ContentType: "application/octet-stream", ContentMD5: "1B2M2Y8AsgTpgAmY7PhCfg=="}},
		{"GET signed with the previous key", LocalOptions{Method: "GET", User: "alice"}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			req := e.sign(b, key, bc.o)
			if bc.name == "GET signed with the previous key" {
				e.keys.Rotate()
			}
			r := httptest.NewRequest(req.Method, req.URL, nil)
			for k, v := range req.Header {
				r.Header[k] = v
			}
			if _, herr := e.handler.verify(r); herr != nil {
				b.Fatal(herr.message)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, herr := e.handler.verify(r); herr != nil {
					b.Fatal(herr.message)
				}
			}
		})
	}
}
