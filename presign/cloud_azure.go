package presign

import (
	"context"
	"encoding/base64"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/service"
	"github.com/byobkit/byob/internal/azsas"
	"github.com/byobkit/byob/provider"
	"github.com/byobkit/byob/scope"
)

// AzureDelegationFunc fetches a user delegation key for loc's account,
// valid from start to expiry (Get User Delegation Key), for Azure
// locations without a shared key.
type AzureDelegationFunc func(ctx context.Context, loc *scope.Location, start, expiry time.Time) (service.UserDelegationKey, error)

// WithAzureDelegation replaces how user delegation keys are fetched for
// Azure locations without a shared key. By default the location's handle
// fetches them with its ambient identity (provider.AzureSigner), which
// needs generateUserDelegationKey on the account. Either way the Signer
// caches each key and fetches a new one before a URL would outlive it.
func WithAzureDelegation(f AzureDelegationFunc) Option { return func(s *Signer) { s.azDel = f } }

// handleDelegation is the default AzureDelegationFunc: the handle's own
// Get User Delegation Key, with its identity.
func handleDelegation(ctx context.Context, loc *scope.Location, start, expiry time.Time) (service.UserDelegationKey, error) {
	as, err := handleOf(loc).AzureSigner(ctx)
	if err != nil {
		return service.UserDelegationKey{}, err
	}
	if as.UserDelegation == nil {
		return service.UserDelegationKey{}, &Error{Op: "sign", Field: "credentials", Kind: ErrCredentials,
			Problem: "the Azure location has neither an account key nor an identity to fetch user delegation keys with",
			Fix:     "give the address its account key, or run the server with an Azure identity"}
	}
	k, err := as.UserDelegation(ctx, start, expiry)
	if err != nil {
		return service.UserDelegationKey{}, err
	}
	return k.Model(), nil
}

// azureKeyLife is how long a fetched user delegation key is asked to live:
// Azure's maximum, 7 days, so that every URL fits in one key for most of it.
const azureKeyLife = MaxExpiry

// azureBackdate is how far a delegation key's start is set in the past:
// a start of "now" fails under clock skew.
const azureBackdate = 15 * time.Minute

// azureSigner signs for an Azure Blob location.
type azureSigner struct {
	s         *Signer
	loc       *scope.Location
	h         *provider.Handle
	account   string
	container string
	endpoint  string
	protocol  azsas.Protocol
	putHeader []string // name, value pairs from Rules().PutHeaders
	shared    atomic.Pointer[azShared]
	mu        sync.Mutex // serialises delegation key fetches
	udk       atomic.Pointer[azDelegation]
}

// azShared is a decoded shared key and the account key it was decoded
// from, to compare with the handle's current one (never a map key).
type azShared struct {
	secret string
	key    *azsas.SharedKey
	gen    uint64
}

type azDelegation struct {
	key *azsas.UserDelegationKey
	gen uint64
}

func newAzureSigner(s *Signer, loc *scope.Location) (locSigner, error) {
	h := handleOf(loc)
	b := &azureSigner{s: s, loc: loc, h: h, account: h.Location().Account, container: h.Location().Bucket,
		endpoint: h.EndpointURL(), protocol: azsas.ProtocolHTTPS}
	if strings.HasPrefix(b.endpoint, "http://") {
		b.protocol = azsas.ProtocolHTTPSAndHTTP // emulators such as Azurite
	}
	for _, ph := range h.Rules().PutHeaders {
		b.putHeader = append(b.putHeader, ph.Name, ph.Value)
	}
	return b, nil
}

func (b *azureSigner) current(ctx context.Context) (creds, error) {
	if a := b.h.Address(); a.Secret != "" {
		c := b.shared.Load()
		if c == nil || c.secret != a.Secret {
			k, err := azsas.NewSharedKey(b.account, a.Secret)
			if err != nil {
				return creds{}, &Error{Op: "sign", Field: "credentials", Kind: ErrCredentials, Cause: err}
			}
			c = &azShared{secret: a.Secret, key: k, gen: b.s.gen.Add(1)}
			b.shared.Store(c)
		}
		return creds{gen: c.gen, impl: c}, nil
	}
	d := b.udk.Load()
	if d == nil || d.key.Expiry().Sub(b.s.now()) < azureRefresh {
		var err error
		if d, err = b.fetch(ctx, d); err != nil {
			return creds{}, err
		}
	}
	return creds{gen: d.gen, expires: d.key.Expiry(), impl: d}, nil
}

// azureRefresh is how much life a cached delegation key must have left: a
// new one is fetched below it, so that a URL rarely needs capping.
const azureRefresh = MaxExpiry / 2

// fetch gets a new delegation key unless another caller just did.
func (b *azureSigner) fetch(ctx context.Context, old *azDelegation) (*azDelegation, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if d := b.udk.Load(); d != old {
		return d, nil
	}
	now := b.s.now()
	fetch := b.s.azDel
	if fetch == nil {
		fetch = handleDelegation
	}
	k, err := fetch(ctx, b.loc, now.Add(-azureBackdate), now.Add(azureKeyLife-azureBackdate))
	if err != nil {
		return nil, &Error{Op: "sign", Field: "user delegation key", Kind: ErrCredentials, Cause: err}
	}
	udk, err := azsas.NewUserDelegationKey(b.account, k)
	if err != nil {
		return nil, &Error{Op: "sign", Field: "user delegation key", Kind: ErrCredentials, Cause: err}
	}
	d := &azDelegation{key: udk, gen: b.s.gen.Add(1)}
	b.udk.Store(d)
	return d, nil
}

// BlockID is the Azure block id of part number part: its fixed-width
// decimal (so that every id of a blob has the same length, as Azure
// requires) in standard base64.
func BlockID(part int) string {
	return base64.StdEncoding.EncodeToString([]byte("byob-part-" + leftPad(strconv.Itoa(part), 5)))
}

func leftPad(s string, n int) string {
	for len(s) < n {
		s = "0" + s
	}
	return s
}

// BlockListXML is the body of an Azure Put Block List that commits parts
// 1 to parts, in order.
func BlockListXML(parts int) string {
	var sb strings.Builder
	sb.WriteString(`<?xml version="1.0" encoding="utf-8"?><BlockList>`)
	for i := 1; i <= parts; i++ {
		sb.WriteString("<Latest>" + BlockID(i) + "</Latest>")
	}
	sb.WriteString("</BlockList>")
	return sb.String()
}

func (b *azureSigner) sign(_ context.Context, c creds, _, full string, o Options, method string, t, exp time.Time) (Request, error) {
	if o.Op == OpCreateUpload || o.Op == OpAbortUpload {
		return Request{}, &Error{Op: "sign", Field: "Op", Kind: ErrUnsupported,
			Problem: "Azure block uploads have no " + o.Op.String() + " step",
			Fix:     "sign the parts (Put Block) and the completion (Put Block List) only; uncommitted blocks expire on their own"}
	}
	v := azsas.Values{Container: b.container, Blob: full, Permissions: "r", Expiry: exp, Protocol: b.protocol,
		ContentType: o.ResponseContentType, ContentDisposition: o.ResponseContentDisposition, CorrelationID: o.User}
	if method != http.MethodGet && method != http.MethodHead {
		v.Permissions = "cw"
	}
	var hdr http.Header
	switch o.Op {
	case OpObject:
		if method == http.MethodPut {
			hdr = header(append([]string{"Content-Type", o.ContentType, "Content-Md5", o.ContentMD5}, b.putHeader...)...)
		}
	case OpUploadPart:
		hdr = header("Content-Md5", o.ContentMD5)
	case OpCompleteUpload:
		method = http.MethodPut // Put Block List
		hdr = header("Content-Type", "application/xml")
	}
	var sas string
	var err error
	switch k := c.impl.(type) {
	case *azShared:
		sas, err = k.key.Sign(&v)
	case *azDelegation:
		for name, vals := range hdr {
			v.SignedHeaders = append(v.SignedHeaders, azsas.Header{Name: name, Value: vals[0]})
		}
		sortHeaders(v.SignedHeaders)
		sas, err = azsas.SignUserDelegation(k.key, &v)
	}
	if err != nil {
		return Request{}, &Error{Op: "sign", Kind: ErrSign, Cause: err}
	}
	u, err := azsas.BlobURL(b.endpoint, b.container, full)
	if err != nil {
		return Request{}, &Error{Op: "sign", Kind: ErrSign, Cause: err}
	}
	u += "?" + sas
	switch o.Op {
	case OpUploadPart:
		u += "&comp=block&blockid=" + url.QueryEscape(BlockID(o.PartNumber))
	case OpCompleteUpload:
		u += "&comp=blocklist"
	}
	return Request{Method: method, URL: u, Expires: exp.Truncate(time.Second), Header: hdr}, nil
}

func sortHeaders(h []azsas.Header) {
	for i := 1; i < len(h); i++ {
		for j := i; j > 0 && h[j].Name < h[j-1].Name; j-- {
			h[j], h[j-1] = h[j-1], h[j]
		}
	}
}

func (b *azureSigner) binds(ctx context.Context) (Binds, error) {
	if a := b.h.Address(); a.Secret != "" {
		return Binds{ResponseOverrides: true, MD5Checked: true}, nil
	}
	return Binds{ContentType: true, ContentMD5: true, User: true, ResponseOverrides: true, MD5Checked: true}, nil
}
