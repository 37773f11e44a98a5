package address_test

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/byobkit/byob/address"
	"github.com/byobkit/byob/internal/testsecret"
)

// Defect 7 (issue #7): a service account key is always RSA. A PKCS#8 key of
// another type parsed, passed Open, and failed at first use as code Unknown;
// Parse now refuses it, naming the field and the fix.
func TestParseGCSKeyNotRSA(t *testing.T) {
	tests := []struct {
		name    string
		pemText string
	}{
		{"PKCS#8 EC P-256", testsecret.ECKeyPEM(t)},
		{"PKCS#8 Ed25519", testsecret.Ed25519KeyPEM(t)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := address.Parse("gs://sa%40p.iam.gserviceaccount.com:" + url.QueryEscape(tt.pemText) + "@bkt")
			if err == nil {
				t.Fatalf("Parse accepted a non-RSA key: %v", a)
			}
			var e *address.Error
			if !errors.As(err, &e) || !errors.Is(err, address.ErrInvalid) || e.Field != address.FieldSecret {
				t.Fatalf("err = %v; want ErrInvalid on the secret", err)
			}
			if !strings.Contains(e.Problem, "not an RSA key") || !strings.Contains(e.Fix, "private_key") {
				t.Errorf("error does not say what is wrong and what to paste: %v", err)
			}
			// The key's DER in base64, as one line: the PEM body unwrapped.
			body := strings.Join(testsecret.PEMBody(t, tt.pemText), "")
			if testsecret.Find(err.Error(), body) != "" {
				t.Fatalf("error quotes the key: %v", err)
			}
		})
	}
}

// Both PEM forms of an RSA key are accepted: PKCS#8 (what key files hold)
// and PKCS#1 ("RSA PRIVATE KEY", what openssl used to write).
func TestParseGCSKeyRSAForms(t *testing.T) {
	block, _ := pem.Decode([]byte(pemKey(t)))
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	forms := map[string]string{
		"PKCS#8": pemKey(t),
		"PKCS#1": string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k.(*rsa.PrivateKey))})),
	}
	for name, pemText := range forms {
		t.Run(name, func(t *testing.T) {
			a, err := address.Parse("gs://sa%40p.iam.gserviceaccount.com:" + url.QueryEscape(pemText) + "@bkt")
			if err != nil {
				t.Fatal(err)
			}
			if a.Secret != pemText {
				t.Errorf("the key changed in parsing")
			}
		})
	}
}
