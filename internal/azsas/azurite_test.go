package azsas_test

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/bloberror"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/container"

	"github.com/byobkit/byob/internal/azsas"
	"github.com/byobkit/byob/internal/testenv"
)

// These tests talk to the real Azurite with a plain net/http client, as a
// browser or an SDK holding a pre-signed URL would. Azurite verifies
// shared-key SAS only: it cannot verify a user delegation SAS for a
// shared-key account, so those are tested by identity with azblob alone.

// azuriteEnv is one fresh container on Azurite and a key for it.
type azuriteEnv struct {
	key      *azsas.SharedKey
	endpoint string // the account's blob service URL
	ctr      string
	client   *http.Client
}

func newAzurite(t *testing.T) *azuriteEnv {
	e, _ := newAzuriteClient(t)
	return e
}

// newAzuriteClient also returns an SDK client of the container, to look at
// it without a SAS.
func newAzuriteClient(t *testing.T) (*azuriteEnv, *container.Client) {
	t.Helper()
	srv := testenv.Azurite(t)
	key, err := azsas.NewSharedKey(srv.Account, srv.Key)
	if err != nil {
		t.Fatalf("NewSharedKey: %v", err)
	}
	var rnd [6]byte
	_, _ = rand.Read(rnd[:])
	e := &azuriteEnv{key: key, endpoint: srv.Endpoint + "/" + srv.Account, ctr: "azsas-" + hex.EncodeToString(rnd[:]), client: &http.Client{}}
	cred, err := container.NewSharedKeyCredential(srv.Account, srv.Key)
	if err != nil {
		t.Fatalf("NewSharedKeyCredential: %v", err)
	}
	c, err := container.NewClientWithSharedKeyCredential(e.endpoint+"/"+e.ctr, cred, nil)
	if err != nil {
		t.Fatalf("container client: %v", err)
	}
	if _, err := c.Create(t.Context(), nil); err != nil && !bloberror.HasCode(err, bloberror.ContainerAlreadyExists) {
		t.Fatalf("create container: %v", err)
	}
	t.Cleanup(func() { _, _ = c.Delete(context.Background(), nil) })
	return e, c
}

// url returns the blob's URL with a SAS for v (v's container and protocol
// are filled in), and extra query parameters before it.
func (e *azuriteEnv) url(t *testing.T, v azsas.Values, extra string) string {
	t.Helper()
	v.Container = e.ctr
	if v.Protocol == "" {
		v.Protocol = azsas.ProtocolHTTPSAndHTTP // Azurite listens on http://
	}
	q, err := e.key.Sign(&v)
	if err != nil {
		t.Fatalf("Sign: %v", err)
	}
	u, err := azsas.BlobURL(e.endpoint, e.ctr, v.Blob)
	if err != nil {
		t.Fatalf("BlobURL: %v", err)
	}
	if extra != "" {
		q = extra + "&" + q
	}
	return u + "?" + q
}

type reply struct {
	status int
	code   string // x-ms-error-code
	header http.Header
	body   []byte
}

func (e *azuriteEnv) do(t *testing.T, method, u string, h http.Header, body []byte) reply {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, u, bytes.NewReader(body))
	if err != nil {
		t.Fatalf("NewRequest: %v", err)
	}
	for k, vs := range h {
		req.Header[k] = vs
	}
	resp, err := e.client.Do(req)
	if err != nil {
		t.Fatalf("%s: %v", method, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s: reading the body: %v", method, err)
	}
	return reply{resp.StatusCode, resp.Header.Get("x-ms-error-code"), resp.Header, b}
}

func md5b64(b []byte) string {
	s := md5.Sum(b)
	return base64.StdEncoding.EncodeToString(s[:])
}

// putHeaders are what a client sends with a Put Blob through a SAS.
func putHeaders(body []byte) http.Header {
	return http.Header{"X-Ms-Blob-Type": {"BlockBlob"}, "Content-Md5": {md5b64(body)}, "Content-Type": {"application/octet-stream"}}
}

func hour() time.Time { return time.Now().Add(time.Hour) }

// put uploads body to blob through a cw SAS and wants 201 with an ETag.
func (e *azuriteEnv) put(t *testing.T, blob string, body []byte) string {
	t.Helper()
	r := e.do(t, http.MethodPut, e.url(t, azsas.Values{Blob: blob, Permissions: "cw", Expiry: hour()}, ""), putHeaders(body), body)
	if r.status != http.StatusCreated || r.header.Get("ETag") == "" {
		t.Fatalf("Put Blob %q: %d %s, ETag %q; want 201 with an ETag", blob, r.status, r.code, r.header.Get("ETag"))
	}
	return r.header.Get("ETag")
}

// Put Blob through a cw SAS, then GET and HEAD through an r SAS, for keys
// that need escaping in the URL or canonicalising in the signature.
func TestAzuritePutGetHead(t *testing.T) {
	e, c := newAzuriteClient(t)
	for _, b := range blobNames {
		t.Run(b.name, func(t *testing.T) {
			body := []byte("contents of " + b.blob)
			etag := e.put(t, b.blob, body)
			read := e.url(t, azsas.Values{Blob: b.blob, Permissions: "r", Expiry: hour()}, "")
			r := e.do(t, http.MethodGet, read, nil, nil)
			if r.status != http.StatusOK || !bytes.Equal(r.body, body) {
				t.Fatalf("GET: %d %s %q, want 200 with the body", r.status, r.code, r.body)
			}
			if r.header.Get("ETag") != etag {
				t.Fatalf("GET ETag %q, Put Blob gave %q", r.header.Get("ETag"), etag)
			}
			r = e.do(t, http.MethodHead, read, nil, nil)
			if r.status != http.StatusOK || r.header.Get("Content-Length") != strconv.Itoa(len(body)) || r.header.Get("ETag") != etag {
				t.Fatalf("HEAD: %d, Content-Length %q, ETag %q; want 200, %d, %q", r.status, r.header.Get("Content-Length"), r.header.Get("ETag"), len(body), etag)
			}
		})
	}
	// Each upload landed under its own name, unescaped, except that the
	// service reads '\' as '/' (hence the canonical resource's rule).
	var want, got []string
	for _, b := range blobNames {
		want = append(want, strings.ReplaceAll(b.blob, `\`, "/"))
	}
	for pager := c.NewListBlobsFlatPager(nil); pager.More(); {
		page, err := pager.NextPage(t.Context())
		if err != nil {
			t.Fatalf("list: %v", err)
		}
		for _, it := range page.Segment.BlobItems {
			got = append(got, *it.Name)
		}
	}
	slices.Sort(want)
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Fatalf("stored names:\n%q\nwant:\n%q", got, want)
	}
}

// Put Block and Put Block List take the same cw SAS as Put Blob. Put Block
// returns no ETag: the block ids are the part list.
func TestAzuritePutBlockAndBlockList(t *testing.T) {
	e := newAzurite(t)
	const blob = "multipart/large file.bin"
	sas := azsas.Values{Blob: blob, Permissions: "cw", Expiry: hour()}
	parts := [][]byte{bytes.Repeat([]byte("a"), 1000), bytes.Repeat([]byte("b"), 10), []byte("c")}
	var list strings.Builder
	list.WriteString(`<?xml version="1.0" encoding="utf-8"?><BlockList>`)
	for i, p := range parts {
		id := base64.StdEncoding.EncodeToString([]byte(fmt.Sprintf("block-%05d", i)))
		r := e.do(t, http.MethodPut, e.url(t, sas, "comp=block&blockid="+url.QueryEscape(id)), http.Header{"Content-Md5": {md5b64(p)}}, p)
		if r.status != http.StatusCreated {
			t.Fatalf("Put Block %d: %d %s, want 201", i, r.status, r.code)
		}
		if etag := r.header.Get("ETag"); etag != "" {
			t.Fatalf("Put Block %d returned ETag %q; the part list is the block ids", i, etag)
		}
		list.WriteString("<Latest>" + id + "</Latest>")
	}
	list.WriteString("</BlockList>")
	body := []byte(list.String())
	r := e.do(t, http.MethodPut, e.url(t, sas, "comp=blocklist"), http.Header{"Content-Type": {"application/xml"}}, body)
	if r.status != http.StatusCreated || r.header.Get("ETag") == "" {
		t.Fatalf("Put Block List: %d %s, ETag %q; want 201 with an ETag", r.status, r.code, r.header.Get("ETag"))
	}
	r = e.do(t, http.MethodGet, e.url(t, azsas.Values{Blob: blob, Permissions: "r", Expiry: hour()}, ""), nil, nil)
	if want := bytes.Join(parts, nil); r.status != http.StatusOK || !bytes.Equal(r.body, want) {
		t.Fatalf("GET after Put Block List: %d, %d bytes; want 200, %d bytes", r.status, len(r.body), len(want))
	}
}

// rsct and rscd set the GET's response headers, and are signed.
func TestAzuriteResponseOverrides(t *testing.T) {
	e := newAzurite(t)
	e.put(t, "report.parquet", []byte("PAR1"))
	const ct, cd = "application/vnd.apache.parquet", `attachment; filename="report 2026.parquet"`
	v := azsas.Values{Blob: "report.parquet", Permissions: "r", Expiry: hour(), ContentType: ct, ContentDisposition: cd}
	for _, m := range []string{http.MethodGet, http.MethodHead} {
		r := e.do(t, m, e.url(t, v, ""), nil, nil)
		if r.status != http.StatusOK || r.header.Get("Content-Type") != ct || r.header.Get("Content-Disposition") != cd {
			t.Fatalf("%s: %d, Content-Type %q, Content-Disposition %q; want 200, %q, %q", m, r.status, r.header.Get("Content-Type"), r.header.Get("Content-Disposition"), ct, cd)
		}
	}
}

// editQuery changes one parameter of a SAS URL (or adds or removes it).
func editQuery(t *testing.T, u, name string, edit func(old string) (string, bool)) string {
	t.Helper()
	base, query, _ := strings.Cut(u, "?")
	q, err := url.ParseQuery(query)
	if err != nil {
		t.Fatal(err)
	}
	if v, keep := edit(q.Get(name)); keep {
		q.Set(name, v)
	} else {
		q.Del(name)
	}
	return base + "?" + q.Encode()
}

func set(v string) func(string) (string, bool) { return func(string) (string, bool) { return v, true } }

// What Azurite refuses, and how. Every case starts from a request that
// works (the first case shows it) and changes one thing.
func TestAzuriteRefusals(t *testing.T) {
	e := newAzurite(t)
	body := []byte("the artifact")
	e.put(t, "file", body)
	e.put(t, "other", body)
	read := azsas.Values{Blob: "file", Permissions: "r", Expiry: hour()}
	write := azsas.Values{Blob: "file", Permissions: "cw", Expiry: hour()}
	wrongKey, err := azsas.NewSharedKey(e.key.Account(), base64.StdEncoding.EncodeToString(bytes.Repeat([]byte("not the account key"), 4)))
	if err != nil {
		t.Fatal(err)
	}
	get := func(u string) (string, string, http.Header, []byte) { return http.MethodGet, u, nil, nil }
	put := func(u string, h http.Header, b []byte) (string, string, http.Header, []byte) {
		return http.MethodPut, u, h, b
	}
	for _, tc := range []struct {
		name       string
		req        func(t *testing.T) (method, u string, h http.Header, body []byte)
		wantStatus int
		wantCode   string
	}{
		{"control: the unedited read works", func(t *testing.T) (string, string, http.Header, []byte) {
			return get(e.url(t, read, ""))
		}, 200, ""},
		{"control: the unedited write works", func(t *testing.T) (string, string, http.Header, []byte) {
			return put(e.url(t, write, ""), putHeaders(body), body)
		}, 201, ""},
		{"tampered signature", func(t *testing.T) (string, string, http.Header, []byte) {
			return get(editQuery(t, e.url(t, read, ""), "sig", func(s string) (string, bool) {
				b := []byte(s)
				b[3] ^= 'A' ^ 'B'
				if b[3] == s[3] || b[3] == '/' {
					b[3] = 'A'
				}
				return string(b), true
			}))
		}, 403, "AuthorizationFailure"},
		{"expired SAS", func(t *testing.T) (string, string, http.Header, []byte) {
			v := read
			v.Expiry = time.Now().Add(-time.Hour)
			return get(e.url(t, v, ""))
		}, 403, "AuthorizationFailure"},
		{"SAS of another blob", func(t *testing.T) (string, string, http.Header, []byte) {
			v := read
			v.Blob = "other"
			u := e.url(t, v, "")
			return get(strings.Replace(u, "/other?", "/file?", 1))
		}, 403, "AuthorizationFailure"},
		{"sp edited from r to rcw", func(t *testing.T) (string, string, http.Header, []byte) {
			return put(editQuery(t, e.url(t, read, ""), "sp", set("rcw")), putHeaders(body), body)
		}, 403, "AuthorizationFailure"},
		{"se edited a day later", func(t *testing.T) (string, string, http.Header, []byte) {
			return get(editQuery(t, e.url(t, read, ""), "se", set(time.Now().Add(25*time.Hour).UTC().Format("2006-01-02T15:04:05Z"))))
		}, 403, "AuthorizationFailure"},
		{"rsct edited", func(t *testing.T) (string, string, http.Header, []byte) {
			v := read
			v.ContentType = "text/plain"
			return get(editQuery(t, e.url(t, v, ""), "rsct", set("text/html")))
		}, 403, "AuthorizationFailure"},
		{"rsct added", func(t *testing.T) (string, string, http.Header, []byte) {
			return get(editQuery(t, e.url(t, read, ""), "rsct", set("text/html")))
		}, 403, "AuthorizationFailure"},
		{"signed with a wrong key", func(t *testing.T) (string, string, http.Header, []byte) {
			v := read
			v.Container, v.Protocol = e.ctr, azsas.ProtocolHTTPSAndHTTP
			q, err := wrongKey.Sign(&v)
			if err != nil {
				t.Fatal(err)
			}
			u, _ := azsas.BlobURL(e.endpoint, e.ctr, "file")
			return get(u + "?" + q)
		}, 403, "AuthorizationFailure"},
		{"no SAS at all", func(t *testing.T) (string, string, http.Header, []byte) {
			u, _ := azsas.BlobURL(e.endpoint, e.ctr, "file")
			return get(u)
		}, 403, "AuthorizationFailure"},
		{"start in the future, as 'now' is on a slow client clock", func(t *testing.T) (string, string, http.Header, []byte) {
			v := read
			v.Start = time.Now().Add(10 * time.Minute)
			return get(e.url(t, v, ""))
		}, 403, "AuthorizationFailure"},
		{"https-only SAS over http", func(t *testing.T) (string, string, http.Header, []byte) {
			v := read
			v.Protocol = azsas.ProtocolHTTPS
			return get(e.url(t, v, ""))
		}, 403, "AuthorizationProtocolMismatch"},
		{"read SAS used to PUT", func(t *testing.T) (string, string, http.Header, []byte) {
			return put(e.url(t, read, ""), putHeaders(body), body)
		}, 403, "AuthorizationPermissionMismatch"},
		{"write SAS used to GET", func(t *testing.T) (string, string, http.Header, []byte) {
			return get(e.url(t, write, ""))
		}, 403, "AuthorizationPermissionMismatch"},
		{"create-only SAS used to overwrite", func(t *testing.T) (string, string, http.Header, []byte) {
			v := write
			v.Permissions = "c"
			return put(e.url(t, v, ""), putHeaders(body), body)
		}, 403, "AuthorizationPermissionMismatch"},
		{"Content-MD5 of another body", func(t *testing.T) (string, string, http.Header, []byte) {
			h := putHeaders(body)
			h.Set("Content-Md5", md5b64([]byte("another body")))
			return put(e.url(t, write, ""), h, body)
		}, 400, "Md5Mismatch"},
		{"Put Blob without x-ms-blob-type", func(t *testing.T) (string, string, http.Header, []byte) {
			h := putHeaders(body)
			h.Del("X-Ms-Blob-Type")
			return put(e.url(t, write, ""), h, body)
		}, 400, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, u, h, b := tc.req(t)
			r := e.do(t, m, u, h, b)
			if r.status != tc.wantStatus || r.code != tc.wantCode {
				t.Fatalf("got %d %q, want %d %q", r.status, r.code, tc.wantStatus, tc.wantCode)
			}
		})
	}
	// Nothing refused changed the blob.
	r := e.do(t, http.MethodGet, e.url(t, read, ""), nil, nil)
	if r.status != http.StatusOK || !bytes.Equal(r.body, body) {
		t.Fatalf("after the refusals: %d %q, want 200 with the original body", r.status, r.body)
	}
}

// A shared-key SAS does not sign scid, nor bind request headers: each edit
// here is accepted. The package docs say so; this shows it.
func TestAzuriteWhatASharedKeySASDoesNotBind(t *testing.T) {
	e := newAzurite(t)
	body := []byte("data")
	e.put(t, "f", body)
	read := azsas.Values{Blob: "f", Permissions: "r", Expiry: hour(), CorrelationID: "alice"}
	write := azsas.Values{Blob: "f", Permissions: "cw", Expiry: hour(), CorrelationID: "alice"}
	for _, tc := range []struct {
		name   string
		method string
		u      func(t *testing.T) string
		h      http.Header
		want   int
	}{
		{"scid changed on a GET", http.MethodGet, func(t *testing.T) string { return editQuery(t, e.url(t, read, ""), "scid", set("mallory")) }, nil, 200},
		{"scid removed on a GET", http.MethodGet, func(t *testing.T) string {
			return editQuery(t, e.url(t, read, ""), "scid", func(string) (string, bool) { return "", false })
		}, nil, 200},
		{"scid added to a SAS without one", http.MethodGet, func(t *testing.T) string {
			v := read
			v.CorrelationID = ""
			return editQuery(t, e.url(t, v, ""), "scid", set("mallory"))
		}, nil, 200},
		{"scid changed on a PUT", http.MethodPut, func(t *testing.T) string { return editQuery(t, e.url(t, write, ""), "scid", set("mallory")) }, putHeaders(body), 201},
		{"any Content-Type on a PUT", http.MethodPut, func(t *testing.T) string { return e.url(t, write, "") }, func() http.Header {
			h := putHeaders(body)
			h.Set("Content-Type", "text/html")
			return h
		}(), 201},
		{"no Content-MD5 on a PUT", http.MethodPut, func(t *testing.T) string { return e.url(t, write, "") }, func() http.Header {
			h := putHeaders(body)
			h.Del("Content-Md5")
			return h
		}(), 201},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b []byte
			if tc.method == http.MethodPut {
				b = body
			}
			r := e.do(t, tc.method, tc.u(t), tc.h, b)
			if r.status != tc.want {
				t.Fatalf("got %d %s, want %d", r.status, r.code, tc.want)
			}
		})
	}
}

// A start backdated by 15 minutes works, which is the recommended way to
// set one at all.
func TestAzuriteBackdatedStart(t *testing.T) {
	e := newAzurite(t)
	e.put(t, "f", []byte("x"))
	v := azsas.Values{Blob: "f", Permissions: "r", Start: time.Now().Add(-15 * time.Minute), Expiry: hour()}
	if r := e.do(t, http.MethodGet, e.url(t, v, ""), nil, nil); r.status != http.StatusOK {
		t.Fatalf("GET with a backdated start: %d %s, want 200", r.status, r.code)
	}
}
