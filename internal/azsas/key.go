package azsas

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"hash"
	"log/slog"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/service"
)

// Redacted stands for a key wherever a key type is printed.
const Redacted = "REDACTED"

// SharedKey is a storage account's name and its decoded shared key, ready
// to sign. The key is decoded once, in NewSharedKey, so that signing does
// no base64 work. A SharedKey is safe for concurrent use.
//
// It holds no key bytes in a field that fmt could reach by reflection, even
// when a caller's struct holds the SharedKey by value: the key lives only in
// the closure of a pool of keyed HMACs. Its printers (String, GoString,
// Format, LogValue, MarshalJSON) show the account name and REDACTED.
type SharedKey struct {
	account string
	macs    *macPool
}

// NewSharedKey decodes base64Key, an account key as the Azure portal and
// connection strings spell it (standard base64 with padding, as azblob's
// NewSharedKeyCredential expects). account is the storage account name: 3
// to 24 lowercase letters and digits. Its errors never contain the key.
func NewSharedKey(account, base64Key string) (*SharedKey, error) {
	if err := checkAccount(account); err != nil {
		return nil, err
	}
	if base64Key == "" {
		return nil, newErr(ErrMissing, FieldKey, "is empty", "pass the account's key1 or key2, base64 as the portal shows it")
	}
	key, err := base64.StdEncoding.DecodeString(base64Key)
	if err != nil {
		// err is dropped on purpose: it is about the key's text.
		return nil, newErr(ErrInvalid, FieldKey, "is not standard base64 with '=' padding",
			"pass the key exactly as the portal or the connection string shows it; URL-decode it first if it came from an address")
	}
	return &SharedKey{account: account, macs: newMacPool(key)}, nil
}

// Account returns the storage account name the key belongs to.
func (k *SharedKey) Account() string { return k.account }

// String shows the account, never the key.
func (k *SharedKey) String() string {
	if k == nil {
		return "azsas.SharedKey(nil)"
	}
	return "azsas.SharedKey{Account:" + k.account + " Key:" + Redacted + "}"
}

// GoString prints the redacted form for %#v.
func (k *SharedKey) GoString() string { return k.String() }

// Format prints the redacted form for every fmt verb.
func (k *SharedKey) Format(f fmt.State, _ rune) { fmt.Fprint(f, k.String()) }

// LogValue makes log/slog print the account and REDACTED.
func (k *SharedKey) LogValue() slog.Value {
	if k == nil {
		return slog.StringValue("azsas.SharedKey(nil)")
	}
	return slog.GroupValue(slog.String("Account", k.account), slog.String("Key", Redacted))
}

// MarshalJSON encodes the account and REDACTED.
func (k *SharedKey) MarshalJSON() ([]byte, error) {
	if k == nil {
		return []byte("null"), nil
	}
	return json.Marshal(struct{ Account, Key string }{k.account, Redacted})
}

// UserDelegationKey is a user delegation key (the answer of Get User
// Delegation Key, signed for an Entra ID identity) and the account it
// belongs to, decoded once and ready to sign. It is safe for concurrent use
// and prints like SharedKey: the key value never shows.
//
// azblob's service.Client.GetUserDelegationCredential returns the key inside
// a *service.UserDelegationCredential whose fields are unexported and that
// azblob offers no way to read, so this package cannot take one. Build a
// UserDelegationKey instead from the service.UserDelegationKey that the same
// REST call returns: POST <service URL>?restype=service&comp=userdelegationkey
// with a bearer token for https://storage.azure.com/.default, the
// x-ms-version header and a <KeyInfo> body, then xml.Unmarshal the response
// body into a service.UserDelegationKey (its UnmarshalXML reads the times).
type UserDelegationKey struct {
	account string
	oid     string // skoid
	tid     string // sktid
	start   time.Time
	expiry  time.Time
	service string // sks
	version string // skv
	dutid   string // skdutid, optional
	macs    *macPool
}

// NewUserDelegationKey checks and decodes k for account, the storage account
// name (what azblob takes from the first label of the service URL's host).
// Every field service.UserDelegationKey marks REQUIRED must be set;
// SignedDelegatedUserTenantID is optional. Errors never contain the key.
func NewUserDelegationKey(account string, k service.UserDelegationKey) (*UserDelegationKey, error) {
	if err := checkAccount(account); err != nil {
		return nil, err
	}
	str := func(p *string, what string) (string, error) {
		if p == nil || *p == "" {
			return "", newErr(ErrMissing, FieldDelegationKey, what+" is missing",
				"pass the UserDelegationKey exactly as Get User Delegation Key returned it")
		}
		if hasCtl(*p) {
			return "", newErr(ErrInvalid, FieldDelegationKey, what+" contains a control character",
				"pass the UserDelegationKey exactly as Get User Delegation Key returned it")
		}
		return *p, nil
	}
	tm := func(p *time.Time, what string) (time.Time, error) {
		if p == nil || p.IsZero() {
			return time.Time{}, newErr(ErrMissing, FieldDelegationKey, what+" is missing",
				"pass the UserDelegationKey exactly as Get User Delegation Key returned it")
		}
		if y := p.UTC().Year(); y < 1 || y > 9999 {
			return time.Time{}, newErr(ErrInvalid, FieldDelegationKey, what+" is outside the years 0001 to 9999", "pass the key's own times")
		}
		return *p, nil
	}
	u := &UserDelegationKey{account: account}
	var err error
	if u.oid, err = str(k.SignedOID, "SignedOID (skoid)"); err != nil {
		return nil, err
	}
	if u.tid, err = str(k.SignedTID, "SignedTID (sktid)"); err != nil {
		return nil, err
	}
	if u.start, err = tm(k.SignedStart, "SignedStart (skt)"); err != nil {
		return nil, err
	}
	if u.expiry, err = tm(k.SignedExpiry, "SignedExpiry (ske)"); err != nil {
		return nil, err
	}
	if u.service, err = str(k.SignedService, "SignedService (sks)"); err != nil {
		return nil, err
	}
	if u.version, err = str(k.SignedVersion, "SignedVersion (skv)"); err != nil {
		return nil, err
	}
	if k.SignedDelegatedUserTenantID != nil && *k.SignedDelegatedUserTenantID != "" {
		if u.dutid, err = str(k.SignedDelegatedUserTenantID, "SignedDelegatedUserTenantID (skdutid)"); err != nil {
			return nil, err
		}
	}
	value, err := str(k.Value, "Value")
	if err != nil {
		return nil, err
	}
	key, err := base64.StdEncoding.DecodeString(value)
	if err != nil {
		return nil, newErr(ErrInvalid, FieldDelegationKey, "Value is not standard base64 with '=' padding",
			"pass the Value exactly as Get User Delegation Key returned it")
	}
	u.macs = newMacPool(key)
	return u, nil
}

// Account returns the storage account name the key belongs to.
func (u *UserDelegationKey) Account() string { return u.account }

// Expiry returns when the key itself expires (ske); a SAS signed with it
// stops working then, whatever its own expiry says.
func (u *UserDelegationKey) Expiry() time.Time { return u.expiry }

// String shows the account and the key's validity, never the key value.
func (u *UserDelegationKey) String() string {
	if u == nil {
		return "azsas.UserDelegationKey(nil)"
	}
	return "azsas.UserDelegationKey{Account:" + u.account + " Expiry:" + u.expiry.UTC().Format(timeFormat) + " Value:" + Redacted + "}"
}

// GoString prints the redacted form for %#v.
func (u *UserDelegationKey) GoString() string { return u.String() }

// Format prints the redacted form for every fmt verb.
func (u *UserDelegationKey) Format(f fmt.State, _ rune) { fmt.Fprint(f, u.String()) }

// LogValue makes log/slog print the redacted form.
func (u *UserDelegationKey) LogValue() slog.Value {
	if u == nil {
		return slog.StringValue("azsas.UserDelegationKey(nil)")
	}
	return slog.GroupValue(slog.String("Account", u.account), slog.Time("Expiry", u.expiry), slog.String("Value", Redacted))
}

// MarshalJSON encodes the redacted form.
func (u *UserDelegationKey) MarshalJSON() ([]byte, error) {
	if u == nil {
		return []byte("null"), nil
	}
	return json.Marshal(struct {
		Account string
		Expiry  time.Time
		Value   string
	}{u.account, u.expiry, Redacted})
}

// macPool hands out keyed HMAC-SHA256 states with scratch space. The key is
// held only by the pool's New closure; fmt prints a func as an address and
// a sync.Pool's contents as pointers, so no printer can reach it.
type macPool struct{ p sync.Pool }

// signer is one pooled HMAC with the buffers a signature needs, so that a
// signature allocates nothing but its result.
type signer struct {
	mac hash.Hash
	buf []byte // the string to sign, then the encoded query
	sum [sha256.Size]byte
}

func newMacPool(key []byte) *macPool {
	key = append([]byte(nil), key...)
	m := &macPool{}
	m.p.New = func() any {
		return &signer{mac: hmac.New(sha256.New, key), buf: make([]byte, 0, 1024)}
	}
	return m
}

func (m *macPool) get() *signer { return m.p.Get().(*signer) }

// put returns s to the pool, unless a huge input grew its buffer: keeping
// that would pin the memory for the pool's lifetime.
func (m *macPool) put(s *signer) {
	if cap(s.buf) > 64<<10 {
		return
	}
	m.p.Put(s)
}
