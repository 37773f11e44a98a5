package batchdelete

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"cloud.google.com/go/auth"
	"cloud.google.com/go/auth/credentials"
	"cloud.google.com/go/storage"
	"github.com/byobkit/byob/address"
	"github.com/byobkit/byob/provider"
	"gocloud.dev/gcerrors"
	"google.golang.org/api/googleapi"
)

// GCS's XML API keeps multipart uploads (POST ?uploads) that no JSON API
// call lists: they are listed with GET /BUCKET?uploads and aborted with
// DELETE /BUCKET/OBJECT?uploadId=, both answered in S3's XML shapes.
//
// The requests are authenticated with an OAuth access token of the
// handle's identity, made here: the handle exposes neither its
// authenticated HTTP client nor its token provider, and internal/gcsv4
// signs object URLs only, while the listing is a bucket-level request.

// gcsXMLPage bounds one listing answer: 1000 uploads of 1024-byte names
// come to about 1.5 MB.
const gcsXMLPage = 16 << 20

// gcsXML lists and aborts the XML API multipart uploads of one bucket.
type gcsXML struct {
	h      *provider.Handle
	base   string // scheme://host[:port] of the XML API, no trailing slash
	bucket string
	prefix string // the handle's prefix: uploads are listed under it
	hc     *http.Client
	// token returns the bearer token of each request; nil sends none (a
	// plain-HTTP emulator, which takes no credentials).
	token func(ctx context.Context) (string, error)
}

// gcsXMLCache keeps a bucket's XML API client between requests, so that
// an access token is fetched once, not for every abort; it is made again
// when the handle's credentials change (SetCredentials).
type gcsXMLCache struct {
	mu    sync.Mutex
	x     *gcsXML
	creds address.Credentials // the handle's credentials x was made with
}

// xmlClient returns the bucket's XML API client, as the handle's
// credentials are now.
func (b *gcsBackend) xmlClient() (*gcsXML, error) {
	b.xml.mu.Lock()
	defer b.xml.mu.Unlock()
	a := b.h.Address()
	cur := a.Credentials()
	if b.xml.x != nil && b.xml.creds == cur {
		return b.xml.x, nil
	}
	x, err := newGCSXML(b.h)
	if err != nil {
		return nil, err
	}
	b.xml.x, b.xml.creds = x, cur
	return x, nil
}

// listUploads implements uploadAborter for GCS.
func (b *gcsBackend) listUploads(ctx context.Context, prefix string, before time.Time) ([]Upload, error) {
	x, err := b.xmlClient()
	if err != nil {
		return nil, err
	}
	return x.list(ctx, prefix, before)
}

// abortUpload implements uploadAborter for GCS.
func (b *gcsBackend) abortUpload(ctx context.Context, u Upload) error {
	x, err := b.xmlClient()
	if err != nil {
		return err
	}
	return x.abort(ctx, u)
}

// newGCSXML returns the XML API client of h's bucket, authenticated as h
// is: the service account of the address (its current key), the ambient
// Google credentials, or nothing for a plain-HTTP emulator.
func newGCSXML(h *provider.Handle) (*gcsXML, error) {
	base := strings.TrimSuffix(h.EndpointURL(), "/")
	if base == "" {
		base = "https://storage.googleapis.com"
	}
	x := &gcsXML{h: h, base: base, bucket: h.Location().Bucket, prefix: h.Prefix(), hc: &http.Client{}}
	var creds *auth.Credentials
	var err error
	switch h.CredentialSource() {
	case provider.CredentialsNone:
		return x, nil
	case provider.CredentialsAddress:
		a := h.Address()
		var sa []byte
		sa, err = json.Marshal(struct {
			Type        string `json:"type"`
			ClientEmail string `json:"client_email"`
			PrivateKey  string `json:"private_key"`
			TokenURI    string `json:"token_uri"`
		}{"service_account", a.AccessKey, a.Secret, "https://oauth2.googleapis.com/token"})
		if err == nil {
			creds, err = credentials.NewCredentialsFromJSON(credentials.ServiceAccount, sa,
				&credentials.DetectOptions{Scopes: []string{storage.ScopeFullControl}})
		}
	default:
		creds, err = credentials.DetectDefault(&credentials.DetectOptions{Scopes: []string{storage.ScopeFullControl}})
	}
	if err != nil {
		return nil, tokenErr(h, err)
	}
	x.token = func(ctx context.Context) (string, error) {
		t, err := creds.Token(ctx)
		if err != nil {
			return "", tokenErr(h, err)
		}
		return t.Value, nil
	}
	return x, nil
}

// tokenErr is err from getting an access token, quoting nothing the token
// endpoint answered: auth.Error's text is the answer's body, which may
// echo the signed assertion.
func tokenErr(h *provider.Handle, err error) error {
	var ae *auth.Error
	if !errors.As(err, &ae) {
		return wrap(h, provider.OpCredentials, err)
	}
	code, status := gcerrors.PermissionDenied, "no answer"
	if ae.Response != nil {
		status = "HTTP " + strconv.Itoa(ae.Response.StatusCode)
		if ae.Response.StatusCode >= 500 {
			code = gcerrors.Internal
		}
	}
	return newError(h, provider.OpCredentials, code,
		"getting an access token for GCS's XML API: the token endpoint refused the credential ("+status+")")
}

// gcsUploadList is the part of a ListMultipartUploadsResult byob reads.
type gcsUploadList struct {
	XMLName            xml.Name `xml:"ListMultipartUploadsResult"`
	IsTruncated        bool     `xml:"IsTruncated"`
	NextKeyMarker      string   `xml:"NextKeyMarker"`
	NextUploadIDMarker string   `xml:"NextUploadIdMarker"`
	Uploads            []struct {
		Key       string `xml:"Key"`
		UploadID  string `xml:"UploadId"`
		Initiated string `xml:"Initiated"`
	} `xml:"Upload"`
}

// list lists, every page, the uploads whose key, relative to the
// handle's prefix, starts with prefix and that were initiated before the
// cutoff. Names come as XML text (no encoding-type=url, whose escaping
// of '+' and spaces GCS does not document): a name XML cannot carry makes
// the answer unreadable, an error, and nothing is aborted on its account.
func (x *gcsXML) list(ctx context.Context, prefix string, before time.Time) ([]Upload, error) {
	var ups []Upload
	var keyMarker, idMarker string
	full := x.prefix + prefix
	for {
		q := "uploads"
		if full != "" {
			q += "&prefix=" + url.QueryEscape(full)
		}
		if keyMarker != "" {
			q += "&key-marker=" + url.QueryEscape(keyMarker) + "&upload-id-marker=" + url.QueryEscape(idMarker)
		}
		body, err := x.do(ctx, provider.OpList, http.MethodGet, "/"+url.PathEscape(x.bucket)+"?"+q, http.StatusOK)
		if err != nil {
			return ups, wrap(x.h, provider.OpList, err)
		}
		var page gcsUploadList
		if err := xml.Unmarshal(body, &page); err != nil {
			return ups, newError(x.h, provider.OpList, gcerrors.Internal,
				"GCS's XML API answered the multipart upload listing with a body that is not a ListMultipartUploadsResult; the uploads after it were not checked")
		}
		for _, u := range page.Uploads {
			rel, ok := strings.CutPrefix(u.Key, x.prefix)
			t, err := time.Parse(time.RFC3339Nano, u.Initiated)
			if !ok || rel == "" || !strings.HasPrefix(rel, prefix) || u.UploadID == "" || err != nil || !t.Before(before) {
				continue // outside the prefix, or not known to be stale
			}
			ups = append(ups, Upload{Key: rel, UploadID: u.UploadID, Initiated: t})
		}
		if !page.IsTruncated {
			return ups, nil
		}
		if page.NextKeyMarker == "" || page.NextKeyMarker == keyMarker && page.NextUploadIDMarker == idMarker {
			return ups, newError(x.h, provider.OpList, gcerrors.Internal,
				"GCS's XML API says the multipart upload listing goes on but gives no marker past this page; the uploads after it were not checked")
		}
		keyMarker, idMarker = page.NextKeyMarker, page.NextUploadIDMarker
	}
}

// abort aborts one upload: nil when aborted, errNoSuchUpload for
// NoSuchUpload (it completed or was aborted meanwhile), else a
// classified, scrubbed error.
func (x *gcsXML) abort(ctx context.Context, u Upload) error {
	path := "/" + url.PathEscape(x.bucket) + "/" + escapeObject(x.prefix+u.Key) + "?uploadId=" + url.QueryEscape(u.UploadID)
	_, err := x.do(ctx, provider.OpDelete, http.MethodDelete, path, http.StatusNoContent, http.StatusOK)
	var ge *googleapi.Error
	switch {
	case err == nil:
		return nil
	case errors.As(err, &ge) && ge.Code == http.StatusNotFound && ge.Body == "NoSuchUpload":
		return errNoSuchUpload
	}
	return wrap(x.h, provider.OpDelete, err)
}

// escapeObject escapes an object name for the path, keeping its '/'.
func escapeObject(name string) string {
	seg := strings.Split(name, "/")
	for i, s := range seg {
		seg[i] = url.PathEscape(s)
	}
	return strings.Join(seg, "/")
}

// errorCode matches an XML API error code such as NoSuchUpload: the only
// part of an error answer quoted, as its Message and Details may echo the
// request.
var errorCode = regexp.MustCompile(`^[A-Za-z]{1,64}$`)

// do sends one request and returns the answer's body if its status is one
// of ok. Any other answer is a *googleapi.Error of its status, so that
// provider classifies it, for the caller to wrap; its Body is not the
// answer's but only its error code (NoSuchUpload), if it has a plausible
// one. A request that fails without an answer is a scrubbed
// *provider.Error.
func (x *gcsXML) do(ctx context.Context, op, method, path string, ok ...int) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, method, x.base+path, nil)
	if err != nil {
		return nil, wrap(x.h, op, err)
	}
	if x.token != nil {
		tok, err := x.token(ctx)
		if err != nil {
			return nil, err
		}
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	resp, err := x.hc.Do(req)
	if err != nil {
		return nil, wrap(x.h, op, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, gcsXMLPage+1))
	if err != nil {
		return nil, wrap(x.h, op, err)
	}
	for _, s := range ok {
		if resp.StatusCode != s {
			continue
		}
		if len(body) > gcsXMLPage {
			return nil, newError(x.h, op, gcerrors.Internal, "GCS's XML API answered with more than "+strconv.Itoa(gcsXMLPage>>20)+" MiB")
		}
		return body, nil
	}
	var e struct {
		Code string `xml:"Code"`
	}
	msg := "GCS's XML API answered HTTP " + strconv.Itoa(resp.StatusCode)
	if xml.Unmarshal(body, &e) == nil && errorCode.MatchString(e.Code) {
		msg += " (" + e.Code + ")"
	} else {
		e.Code = ""
	}
	return nil, &googleapi.Error{Code: resp.StatusCode, Message: msg, Body: e.Code}
}
