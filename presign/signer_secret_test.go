package presign

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"testing"
)

// TestSignerLeaksNoSecret: the Signer, its errors and the Requests it
// returns print no window of the location's secret under any printer,
// once it holds a native signer for it.
func TestSignerLeaksNoSecret(t *testing.T) {
	reg := testRegistry(t, "s3://"+benchAK+":"+url.QueryEscape(benchSK)+"@127.0.0.1:9/bkt/inst?region=us-east-1")
	s := New(reg)
	r, err := s.Sign(context.Background(), anyone, "kappa", "f", Options{Method: http.MethodPut, ContentMD5: md5Of([]byte("x"))})
	if err != nil {
		t.Fatal(err)
	}
	_, err1 := s.Sign(context.Background(), anyone, "kappa", "a/../b", Options{Method: http.MethodGet}) // scope quotes the caller's key: not a secret
	_, err2 := s.Sign(context.Background(), anyone, "kappa", "f", Options{Method: http.MethodGet, User: "x\n" + benchSK})
	var buf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, nil))
	log.Info("m", "signer", s, "req", r, "err1", err1, "err2", err2)
	j, _ := json.Marshal(r)
	out := fmt.Sprintf("%v %+v %#v %s %q %v %v %s", s, s, s, r, r, err1, err2, j) + buf.String()
	sig := queryValue(r.URL, "X-Amz-Signature")
	assertNoWindow(t, "printed", out, benchSK, sig)
}
