package azsas_test

import (
	"bytes"
	"context"
	"encoding/xml"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/sas"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/service"

	"github.com/byobkit/byob/internal/azsas"
)

// The account and keys of the byte-identity tests. The shared key is
// Azurite's well-known development key; the delegation key is random bytes.
const (
	testAccount = "devstoreaccount1"
	testKey     = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
	testUDKey   = "rJXLgpk/lCVBVUIg9c3ZKgNR7s3ugftout/z8m4h6Iw="
)

// sdkValues is what azblob is given for v: the same fields, with this
// package's zero Protocol made explicit.
func sdkValues(v *azsas.Values) sas.BlobSignatureValues {
	p := sas.Protocol(v.Protocol)
	if p == "" {
		p = sas.ProtocolHTTPS
	}
	var hs map[string]string
	if len(v.SignedHeaders) > 0 {
		hs = map[string]string{}
		for _, h := range v.SignedHeaders {
			hs[h.Name] = h.Value
		}
	}
	return sas.BlobSignatureValues{
		Version:              v.Version,
		Protocol:             p,
		StartTime:            v.Start,
		ExpiryTime:           v.Expiry,
		Permissions:          v.Permissions,
		ContainerName:        v.Container,
		BlobName:             v.Blob,
		ContentType:          v.ContentType,
		ContentDisposition:   v.ContentDisposition,
		CorrelationID:        v.CorrelationID,
		SignedRequestHeaders: hs,
	}
}

// sdkSharedKey signs v the way azblob does.
func sdkSharedKey(tb testing.TB, account, key string, v *azsas.Values) (string, error) {
	tb.Helper()
	cred, err := service.NewSharedKeyCredential(account, key)
	if err != nil {
		tb.Fatalf("azblob NewSharedKeyCredential: %v", err)
	}
	qp, err := sdkValues(v).SignWithSharedKey(cred)
	if err != nil {
		return "", err
	}
	return qp.Encode(), nil
}

// udkFields is one user delegation key, as the service would return it.
type udkFields struct {
	OID, TID, Service, Version, DelegatedTenant string
	Start, Expiry                               time.Time
	Value                                       string
}

func defaultUDK() udkFields {
	return udkFields{
		OID:     "6f1c2a4e-0b7d-4d5e-9a3c-1e2f3a4b5c6d",
		TID:     "72f988bf-86f1-41af-91ab-2d7cd011db47",
		Service: "b",
		Version: "2026-12-06",
		Start:   time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC),
		Expiry:  time.Date(2026, 3, 8, 10, 0, 0, 0, time.UTC),
		Value:   testUDKey,
	}
}

// xml is the Get User Delegation Key answer for f.
func (f udkFields) xml() []byte {
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0" encoding="utf-8"?><UserDelegationKey>`)
	el := func(name, v string) {
		b.WriteString("<" + name + ">")
		_ = xml.EscapeText(&b, []byte(v))
		b.WriteString("</" + name + ">")
	}
	el("SignedOid", f.OID)
	el("SignedTid", f.TID)
	el("SignedStart", f.Start.UTC().Format(time.RFC3339))
	el("SignedExpiry", f.Expiry.UTC().Format(time.RFC3339))
	el("SignedService", f.Service)
	el("SignedVersion", f.Version)
	if f.DelegatedTenant != "" {
		el("SignedDelegatedUserTid", f.DelegatedTenant)
	}
	el("Value", f.Value)
	b.WriteString(`</UserDelegationKey>`)
	return b.Bytes()
}

// ourUDK builds this package's key from the XML answer, the way the doc
// comment of UserDelegationKey tells a caller to.
func ourUDK(tb testing.TB, account string, f udkFields) *azsas.UserDelegationKey {
	tb.Helper()
	var k service.UserDelegationKey
	if err := xml.Unmarshal(f.xml(), &k); err != nil {
		tb.Fatalf("xml.Unmarshal(UserDelegationKey): %v", err)
	}
	u, err := azsas.NewUserDelegationKey(account, k)
	if err != nil {
		tb.Fatalf("NewUserDelegationKey: %v", err)
	}
	return u
}

// answerUDK is an azcore transport that answers every request with one
// Get User Delegation Key response, so that azblob's own
// GetUserDelegationCredential builds the credential, with no network.
type answerUDK struct{ body []byte }

func (a answerUDK) Do(req *http.Request) (*http.Response, error) {
	if req.Method != http.MethodPost || req.URL.Query().Get("comp") != "userdelegationkey" {
		return &http.Response{StatusCode: http.StatusBadRequest, Body: io.NopCloser(strings.NewReader("")), Header: http.Header{}, Request: req}, nil
	}
	return &http.Response{
		StatusCode: http.StatusOK,
		Header:     http.Header{"Content-Type": {"application/xml"}},
		Body:       io.NopCloser(bytes.NewReader(a.body)),
		Request:    req,
	}, nil
}

type staticToken struct{}

func (staticToken) GetToken(context.Context, policy.TokenRequestOptions) (azcore.AccessToken, error) {
	return azcore.AccessToken{Token: "not-a-token", ExpiresOn: time.Now().Add(time.Hour)}, nil
}

// sdkUDC asks azblob for a user delegation credential holding f, through
// answerUDK. azblob names the account after the first label of the host.
func sdkUDC(tb testing.TB, account string, f udkFields) *service.UserDelegationCredential {
	tb.Helper()
	opts := &service.ClientOptions{ClientOptions: azcore.ClientOptions{Transport: answerUDK{f.xml()}}}
	opts.Retry.MaxRetries = -1
	c, err := service.NewClient("https://"+account+".blob.core.windows.net/", staticToken{}, opts)
	if err != nil {
		tb.Fatalf("azblob service.NewClient: %v", err)
	}
	start, expiry := f.Start.UTC().Format(sas.TimeFormat), f.Expiry.UTC().Format(sas.TimeFormat)
	udc, err := c.GetUserDelegationCredential(context.Background(), service.KeyInfo{Start: &start, Expiry: &expiry}, nil)
	if err != nil {
		tb.Fatalf("azblob GetUserDelegationCredential: %v", err)
	}
	return udc
}

// udcCache keeps the credentials sdkUDC builds, which cost a pipeline
// round each.
var udcCache sync.Map // udkFields -> *service.UserDelegationCredential

func cachedUDC(tb testing.TB, account string, f udkFields) *service.UserDelegationCredential {
	type key struct {
		account string
		f       udkFields
	}
	if c, ok := udcCache.Load(key{account, f}); ok {
		return c.(*service.UserDelegationCredential)
	}
	c := sdkUDC(tb, account, f)
	udcCache.Store(key{account, f}, c)
	return c
}

// sdkUserDelegation signs v with azblob. With several signed headers,
// azblob's map order is random; reorder v's headers as azblob's srh lists
// them, so that the two can be compared byte for byte. It returns the
// values in that order too.
func sdkUserDelegation(tb testing.TB, udc *service.UserDelegationCredential, v *azsas.Values) (string, *azsas.Values, error) {
	tb.Helper()
	qp, err := sdkValues(v).SignWithUserDelegation(udc)
	if err != nil {
		return "", v, err
	}
	if len(v.SignedHeaders) > 1 {
		w := *v
		w.SignedHeaders = nil
		for _, name := range strings.Split(qp.SignedRequestHeaders(), ",") {
			for _, h := range v.SignedHeaders {
				if h.Name == name {
					w.SignedHeaders = append(w.SignedHeaders, h)
				}
			}
		}
		v = &w
	}
	return qp.Encode(), v, nil
}

// sdkBlobURL is the blob URL azblob's clients use.
func sdkBlobURL(tb testing.TB, endpoint, container, blob string) string {
	tb.Helper()
	c, err := service.NewClientWithNoCredential(endpoint, nil)
	if err != nil {
		tb.Fatalf("azblob NewClientWithNoCredential(%q): %v", endpoint, err)
	}
	return c.NewContainerClient(container).NewBlockBlobClient(blob).URL()
}

// param returns one parameter of an encoded query.
func param(tb testing.TB, query, name string) string {
	tb.Helper()
	q, err := url.ParseQuery(query)
	if err != nil {
		tb.Fatalf("ParseQuery: %v", err)
	}
	return q.Get(name)
}
