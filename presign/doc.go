// Package presign makes pre-signed requests: the only way clients (SDKs,
// browsers) touch a customer's bucket. The server signs one request per
// file; the client sends it to the storage service directly, with no
// credentials of its own.
//
// A Request carries the method, the signed URL, the headers the client
// must send and when it expires; it prints redacted everywhere, so a
// signature never reaches a log.
package presign
