// Package azsas signs Azure Blob service SAS tokens for one blob (sr=b):
// with the account's shared key (SharedKey.Sign) or with a user delegation
// key (SignUserDelegation). Both are pure functions of their inputs, with
// no I/O and no clock, and give byte for byte the query that azblob v1.8.3
// gives for the same inputs:
//
//	sas.BlobSignatureValues{...}.SignWithSharedKey(cred)   then .Encode()
//	sas.BlobSignatureValues{...}.SignWithUserDelegation(udc) then .Encode()
//
// BlobURL spells the blob's URL as azblob's clients do; the pre-signed URL
// is BlobURL(...) + "?" + the SAS. Keys are decoded once, so signing does no
// base64 work and allocates only its result.
//
// # What a shared-key SAS binds
//
// The signature covers the permissions (sp), the start and expiry (st, se),
// the resource (account, container and blob, sr=b), the protocol (spr), the
// version (sv) and the response overrides (rsct, rscd). Against Azurite a
// change to any of them gets 403 AuthorizationFailure; so do an expired SAS,
// a SAS for another blob, a wrong key and no SAS at all. A permission the
// SAS lacks gets 403 AuthorizationPermissionMismatch, and an https-only SAS
// over plain HTTP 403 AuthorizationProtocolMismatch.
//
// Permissions: r for GET and HEAD; c and w for Put Blob, Put Block and Put
// Block List, all with the same SAS. c alone cannot overwrite an existing
// blob (403 AuthorizationPermissionMismatch); w can.
//
// Leave Start zero: a start of "now" fails intermittently, since a client or
// service whose clock is behind sees it in the future (403). If a start is
// needed, backdate it by some minutes.
//
// # What a shared-key SAS cannot bind
//
// Request headers: not Content-MD5, not Content-Type, not x-ms-blob-type,
// nor any other. Whoever holds a write SAS can upload any body, of any size
// and type, under the blob's name until the SAS expires. The service checks
// a Content-MD5 that the client sends against the body (400 Md5Mismatch),
// which guards against corruption, not against a client that sends another
// body with its MD5, or none. The server must therefore check the uploaded
// blob itself (size, MD5, content type) before it trusts it. A Put Blob
// must send x-ms-blob-type: BlockBlob (400 without it).
//
// The correlation id (scid) is carried but NOT signed: anyone holding the
// SAS can change, add or drop it, and the service still accepts the SAS. It
// is for access logs only, never for authorisation or accounting.
//
// # What a user delegation SAS adds
//
// A user delegation SAS is signed with a key that Azure issues to an Entra
// ID identity (a managed identity, for instance). Beyond the above, it signs
// the key's identity and validity (skoid, sktid, skt, ske, sks, skv and, if
// set, skdutid), the correlation id (scid), and the request headers named in
// SignedHeaders (srh): the client must send each with exactly the signed
// value. It stops working when the key expires, whatever its own expiry.
// Azurite cannot verify a user delegation SAS for its shared-key account,
// so these are tested by byte identity with azblob only; how Azure enforces
// srh has not been observed here.
//
// # Where this package differs from azblob, on purpose
//
//   - The zero Protocol means https. (azblob's zero omits spr, which lets the
//     SAS work over plain HTTP.)
//   - Sign refuses SignedHeaders (azblob drops them silently from a
//     shared-key SAS), since a caller who asks for a binding must not get a
//     SAS without it.
//   - It refuses what Azure would refuse or what would make the string to
//     sign ambiguous, which azblob signs anyway: an account or container
//     outside Azure's naming rules, an empty blob name, "." or "..", a
//     newline in the blob name, control characters in rsct, rscd, scid or
//     a signed header, a header name that is not an HTTP token or comes
//     twice, a start not before the expiry, times outside the years
//     0001-9999, and an unknown protocol or malformed version.
//   - SignedHeaders is a list, signed in its order. azblob takes a map and
//     signs in Go's random map order, so its srh changes from call to call.
//
// Azure, and Azurite, read '\' in a blob name as '/': "a\b" and "a/b" are
// the same blob, and the signature says "a/b" for both.
//
// # Printing
//
// SharedKey and UserDelegationKey print (fmt, log/slog, encoding/json) with
// the key REDACTED, and hold the key bytes only inside a pool's closure, so
// that no printer reaches them by reflection either. Errors are *Error
// values built from fixed words: they name the field and the fix, and never
// quote an input.
package azsas
