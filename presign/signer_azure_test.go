package presign

import (
	"context"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/bloberror"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/container"
	"github.com/byobkit/byob/internal/testenv"
)

func azureEnv(t *testing.T, opts ...Option) *Signer {
	t.Helper()
	srv := testenv.Azurite(t)
	name := randomName("byob-presign-")
	cred, err := container.NewSharedKeyCredential(srv.Account, srv.Key)
	if err != nil {
		t.Fatal(err)
	}
	c, err := container.NewClientWithSharedKeyCredential(srv.Endpoint+"/"+srv.Account+"/"+name, cred, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Create(context.Background(), nil); err != nil && !bloberror.HasCode(err, bloberror.ContainerAlreadyExists) {
		t.Fatalf("create container: %v", err)
	}
	t.Cleanup(func() { _, _ = c.Delete(context.Background(), nil) })
	reg := testRegistry(t, "az://:"+url.QueryEscape(srv.Key)+"@"+srv.Account+"/"+name+"/inst?endpoint="+url.QueryEscape(srv.Endpoint))
	return New(reg, opts...)
}

// TestAzureEndToEnd: on Azurite, which verifies shared-key SAS, the
// Signer's GET, HEAD, PUT and Put Block / Put Block List work, and a
// tampered, expired, other-blob or wrong-permission SAS is refused.
func TestAzureEndToEnd(t *testing.T) {
	s := azureEnv(t)
	body := []byte("hello, azure")
	key := "runs/a b/file.txt"
	put := mustSign(t, s, key, Options{Method: http.MethodPut, ContentType: "text/plain", ContentMD5: md5Of(body), User: "alice"})
	if put.Header.Get("X-Ms-Blob-Type") != "BlockBlob" || put.Header.Get("Content-Type") != "text/plain" {
		t.Fatalf("PUT headers: %v", put.Header)
	}
	if q, _ := url.ParseQuery(put.URL[indexQuery(put.URL):]); q.Get("scid") != "alice" || q.Get("sp") != "cw" {
		t.Fatalf("PUT query: scid %q sp %q", q.Get("scid"), q.Get("sp"))
	}
	if rep := send(t, put, body, nil); rep.status != 201 || rep.header.Get("ETag") == "" {
		t.Fatalf("PUT: %d %s", rep.status, rep.body)
	}
	get := mustSign(t, s, key, Options{Method: http.MethodGet, ResponseContentType: "application/x-test"})
	if rep := send(t, get, nil, nil); rep.status != 200 || rep.body != string(body) || rep.header.Get("Content-Type") != "application/x-test" {
		t.Fatalf("GET: %d %q %v", rep.status, rep.body, rep.header)
	}
	if rep := send(t, mustSign(t, s, key, Options{Method: http.MethodHead}), nil, nil); rep.status != 200 {
		t.Fatalf("HEAD: %d", rep.status)
	}

	past := New(s.reg, WithClock(func() time.Time { return time.Now().Add(-2 * time.Hour) }))
	expired, err := past.Sign(context.Background(), anyone, "kappa", key, Options{Method: http.MethodGet})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		r    Request
		body []byte
		edit func(*http.Request)
		code string
	}{
		{"tampered signature", get, nil, tamper("sig"), "AuthorizationFailure"},
		{"expired", expired, nil, nil, "AuthorizationFailure"},
		{"other blob", get, nil, withPath("file.txt", "other.txt"), "AuthorizationFailure"},
		{"wrong permission: PUT with a read SAS", get, body, func(r *http.Request) { r.Method = http.MethodPut; r.Header.Set("x-ms-blob-type", "BlockBlob") }, "AuthorizationPermissionMismatch"},
	} {
		t.Run(c.name, func(t *testing.T) {
			rep := send(t, c.r, c.body, c.edit)
			if rep.status != 403 || rep.header.Get("x-ms-error-code") != c.code {
				t.Errorf("got %d %s, want 403 %s", rep.status, rep.header.Get("x-ms-error-code"), c.code)
			}
		})
	}
	if rep := send(t, get, nil, nil); rep.body != string(body) {
		t.Errorf("object changed by a refused request: %q", rep.body)
	}
}

func indexQuery(u string) int {
	for i := range u {
		if u[i] == '?' {
			return i + 1
		}
	}
	return len(u)
}

// TestAzureBlocksEndToEnd: Put Block for two parts (block ids from the
// part numbers) and Put Block List make the object; Azure has no start
// nor abort step, which the Signer refuses as ErrUnsupported.
func TestAzureBlocksEndToEnd(t *testing.T) {
	s := azureEnv(t)
	key := "big/model.bin"
	parts := [][]byte{[]byte("first part, "), []byte("second part")}
	for i, p := range parts {
		r := mustSign(t, s, key, Options{Op: OpUploadPart, PartNumber: i + 1, ContentMD5: md5Of(p)})
		if rep := send(t, r, p, nil); rep.status != 201 {
			t.Fatalf("Put Block %d: %d %s", i+1, rep.status, rep.body)
		}
	}
	done := mustSign(t, s, key, Options{Op: OpCompleteUpload})
	if rep := send(t, done, []byte(BlockListXML(len(parts))), nil); rep.status != 201 || rep.header.Get("ETag") == "" {
		t.Fatalf("Put Block List: %d %s %v", rep.status, rep.body, rep.header)
	}
	if rep := send(t, mustSign(t, s, key, Options{Method: http.MethodGet}), nil, nil); rep.body != "first part, second part" {
		t.Fatalf("GET after Put Block List: %q", rep.body)
	}
	for _, o := range []Options{{Op: OpCreateUpload}, {Op: OpAbortUpload, UploadID: "u"}} {
		if _, err := s.Sign(context.Background(), anyone, "kappa", key, o); !isErrKind(err, ErrUnsupported) {
			t.Errorf("%v on Azure: %v, want ErrUnsupported", o.Op, err)
		}
	}
}
