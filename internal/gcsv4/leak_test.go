package gcsv4_test

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/byobkit/byob/internal/gcsv4"

	"github.com/byobkit/byob/internal/testsecret"
)

const (
	endpointPassword = "hunter2-password"
	encryptionKey    = "c2VjcmV0LWtleS0xMjM0NTY3ODkwMTIzNDU2Nzg5MA=="
)

// secretForms are the forms the test key and a signature can take in
// output: PEM, DER base64 without line breaks, every big number in decimal
// and hex, a real signature in hex, and the secrets a Request can carry
// (an endpoint's password, an encryption-key header).
func secretForms(t *testing.T) map[string]string {
	t.Helper()
	k, pemKey := testKey()
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	forms := map[string]string{
		"PEM":            string(pemKey),
		"DER base64":     base64.StdEncoding.EncodeToString(der),
		"D decimal":      k.D.String(),
		"D hex":          k.D.Text(16),
		"endpoint pass":  endpointPassword,
		"encryption key": encryptionKey,
	}
	for i, p := range k.Primes {
		forms[fmt.Sprintf("prime %d decimal", i)] = p.String()
		forms[fmt.Sprintf("prime %d hex", i)] = p.Text(16)
	}
	if k.Precomputed.Dp != nil {
		forms["Dp decimal"] = k.Precomputed.Dp.String()
		forms["Qinv decimal"] = k.Precomputed.Qinv.String()
	}
	sig, err := signWithTestKey(context.Background(), []byte("some string to sign"))
	if err != nil {
		t.Fatal(err)
	}
	forms["signature hex"] = hex.EncodeToString(sig)
	forms["signature base64"] = base64.StdEncoding.EncodeToString(sig)
	return forms
}

// assertNoSecret fails if out holds any 8-byte window of any secret form.
func assertNoSecret(t *testing.T, what, out string, forms map[string]string) {
	t.Helper()
	for name, s := range forms {
		for _, w := range testsecret.Windows(s) {
			if strings.TrimSpace(w) != w || strings.Contains(w, "\n") {
				continue // PEM line breaks and armour are not secret
			}
			if strings.Contains(out, w) {
				t.Errorf("%s holds %q of the %s: %q", what, w, name, out)
				return
			}
		}
	}
}

// printed is every way a value can reach output: fmt verbs, slog's text
// and JSON handlers, encoding/json.
func printed(t *testing.T, v any) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d"} {
		out[verb] = fmt.Sprintf(verb, v)
	}
	var text, js bytes.Buffer
	slog.New(slog.NewTextHandler(&text, nil)).Info("m", "v", v)
	slog.New(slog.NewJSONHandler(&js, nil)).Info("m", "v", v)
	out["slog text"], out["slog JSON"] = text.String(), js.String()
	b, err := json.Marshal(v)
	if err != nil {
		out["json error"] = err.Error()
	}
	out["json"] = string(b)
	return out
}

// TestSignerPrintsNoSecret: a Signer, alone, by value or inside other
// values, prints its e-mail and never its key.
func TestSignerPrintsNoSecret(t *testing.T) {
	forms := secretForms(t)
	withKey, withBytes := keySigner(t), bytesSigner(t)
	type holder struct {
		S       *gcsv4.Signer
		private *gcsv4.Signer
	}
	type byValue struct {
		S       gcsv4.Signer
		private gcsv4.Signer
	}
	values := map[string]any{
		"key Signer":                 withKey,
		"SignBytes Signer":           withBytes,
		"Signer by value":            *withKey,
		"struct with Signer pointer": holder{withKey, withKey},
		"struct with Signer value":   byValue{*withKey, *withKey},
		"pointer to struct by value": &byValue{*withKey, *withKey},
		"slice of Signers":           []*gcsv4.Signer{withKey},
		"map of Signers":             map[string]*gcsv4.Signer{"a": withKey},
	}
	for name, v := range values {
		t.Run(name, func(t *testing.T) {
			for how, out := range printed(t, v) {
				assertNoSecret(t, how, out, forms)
			}
		})
	}
	if s := withKey.String(); !strings.Contains(s, testEmail) || !strings.Contains(s, "REDACTED") {
		t.Errorf("String() = %q; want the e-mail and a redaction mark", s)
	}
}

// TestErrorsHoldNoSecret: no error of New or Sign, printed in any form,
// holds the key, a signature, or a secret the request carried.
func TestErrorsHoldNoSecret(t *testing.T) {
	forms := secretForms(t)
	k, _ := testKey()
	broken := *k
	broken.Primes = broken.Primes[:1]
	sig := forms["signature hex"]
	rawSig, _ := hex.DecodeString(sig)
	sigAndErr, _ := gcsv4.NewWithSignBytes(testEmail, func(context.Context, []byte) ([]byte, error) {
		return rawSig, errors.New("signBlob: 503")
	})
	errs := map[string]error{}
	_, errs["New with a broken key"] = gcsv4.New(testEmail, &broken)
	_, errs["New with a bad e-mail"] = gcsv4.New("not an e-mail", k)
	_, errs["SignBytes returning a signature and an error"] = sigAndErr.Sign(context.Background(), new(validRequest()))
	r := validRequest()
	r.Endpoint = "http://user:" + endpointPassword + "@127.0.0.1:4443"
	_, errs["endpoint with a password"] = keySigner(t).Sign(context.Background(), &r)
	r = validRequest()
	r.Header = http.Header{"X-Goog-Encryption-Key": {encryptionKey + "\n"}}
	_, errs["secret header value with LF"] = keySigner(t).Sign(context.Background(), &r)
	r.Header = http.Header{"X-Goog-Encryption-Key": {encryptionKey + "é"}}
	_, errs["secret header value with non-ASCII"] = keySigner(t).Sign(context.Background(), &r)
	r = validRequest()
	r.Query = map[string][]string{"X-Goog-Signature": {sig}}
	_, errs["query carrying a signature"] = keySigner(t).Sign(context.Background(), &r)
	for _, tc := range refusals {
		r := validRequest()
		tc.edit(&r)
		_, errs["refusal: "+tc.name] = keySigner(t).Sign(context.Background(), &r)
	}
	for name, err := range errs {
		t.Run(name, func(t *testing.T) {
			if err == nil {
				t.Fatal("no error")
			}
			for how, out := range printed(t, err) {
				assertNoSecret(t, how, out, forms)
			}
			assertNoSecret(t, "Error()", err.Error(), forms)
		})
	}
}
