package azsas

import "time"

// DefaultVersion is the signed service version (sv) used when
// Values.Version is empty: azblob v1.8.3's sas.Version. A test holds the two
// equal, so an azblob upgrade that moves it fails loudly here.
const DefaultVersion = "2026-12-06"

// timeFormat is how a SAS spells its times (azblob's sas.TimeFormat):
// whole seconds, UTC.
const timeFormat = "2006-01-02T15:04:05Z"

// Protocol is the signed protocol (spr): which schemes the SAS may be used
// over.
type Protocol string

// The protocols Azure accepts.
const (
	// ProtocolHTTPS allows the SAS over HTTPS only. It is what the zero
	// Protocol means.
	ProtocolHTTPS Protocol = "https"
	// ProtocolHTTPSAndHTTP allows plain HTTP too: for emulators such as
	// Azurite that listen on http://.
	ProtocolHTTPSAndHTTP Protocol = "https,http"
)

// Header is one request header that a user delegation SAS binds (srh).
type Header struct {
	Name  string // an HTTP token, sent as given
	Value string // the exact value the client must send
}

// Values are the inputs of one blob SAS (sr=b). The fields map one to one
// onto azblob's sas.BlobSignatureValues; Sign and SignUserDelegation return
// what azblob's SignWithSharedKey / SignWithUserDelegation and Encode return
// for the same fields, except where a field's comment says otherwise.
type Values struct {
	// Container and Blob name the one blob the SAS grants access to. The
	// container follows Azure's naming rules; the blob name is any
	// non-empty text without a newline ('\' is signed as '/', as Azure
	// reads it).
	Container, Blob string

	// Permissions (sp) are letters from "racwdxyltmeopi" in any order:
	// r read (GET, HEAD), c create and w write (Put Blob, Put Block, Put
	// Block List), a add, d delete, and so on. They are signed in Azure's
	// canonical order, so "wc" and "cw" give the same SAS.
	Permissions string

	// Start (st) is optional and best left zero: a start of "now" fails
	// intermittently when the client's or the service's clock is behind.
	// If set, backdate it (say by 15 minutes).
	Start time.Time
	// Expiry (se) is required. SAS times have whole seconds: the fraction
	// is dropped, as azblob does.
	Expiry time.Time

	// Protocol (spr); zero means ProtocolHTTPS. (azblob omits spr when its
	// Protocol is empty, which lets the SAS work over plain HTTP; this
	// package does that only when asked, with ProtocolHTTPSAndHTTP.)
	Protocol Protocol
	// Version (sv) as YYYY-MM-DD; empty means DefaultVersion.
	Version string

	// ContentType (rsct) and ContentDisposition (rscd) override the
	// response headers of a GET or HEAD. Both are signed.
	ContentType, ContentDisposition string

	// CorrelationID (scid) ends up in the storage account's logs. A
	// user delegation SAS signs it; a shared-key SAS carries it UNSIGNED,
	// so anyone holding the SAS can change or drop it: logs only.
	CorrelationID string

	// SignedHeaders (srh) are request headers a user delegation SAS binds:
	// the client must send each with exactly this value. A shared-key SAS
	// cannot bind headers, so Sign refuses a non-empty list (azblob would
	// drop it silently). The list is signed in the order given; azblob
	// takes a map and so signs its headers in Go's random map order.
	SignedHeaders []Header
}
