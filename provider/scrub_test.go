package provider_test

import (
	"strings"
	"testing"

	"github.com/byobkit/byob/address"
	"github.com/byobkit/byob/provider"
)

func TestScrubKeepsLinesAndRemovesEveryForm(t *testing.T) {
	const secret = "wJalr/XUtnFEMI+K7MDENG=bPxRfiCY"
	const pemBody = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj\nMzEfYyjiWA4R4/M2bS1GB4t7NXp98C3SC6dVMvDuictGeurT8jNbvJZHtCSuYEvu"
	const pemKey = "-----BEGIN PRIVATE KEY-----\n" + pemBody + "\n-----END PRIVATE KEY-----\n"
	s3 := &address.Address{Provider: address.S3, Endpoint: "minio:9000", Bucket: "bkt", Region: "us-east-1", AccessKey: "admin", Secret: secret}
	gcs := &address.Address{Provider: address.GCS, Bucket: "bkt", AccessKey: "sa@p.iam.gserviceaccount.com", Secret: pemKey}
	tests := []struct {
		name string
		text string
		a    *address.Address
		want string
	}{
		{"a multi-line fix keeps its lines; the secret goes from each",
			"aws s3api put-bucket-cors --bucket bkt\n(keys " + secret + ")\n  indented   line",
			s3, "aws s3api put-bucket-cors --bucket bkt\n(keys REDACTED)\nindented line"},
		{"a key spanning lines goes line by line; its armour's end line stays", "key: " + pemKey + "end", gcs,
			"key: REDACTED\nREDACTED\nREDACTED\n-----END PRIVATE KEY-----\nend"},
		{"each line of a key goes where it is quoted apart",
			"lines:\n" + pemBody + "\nthen " + strings.SplitN(pemBody, "\n", 2)[1],
			gcs, "lines:\nREDACTED\nREDACTED\nthen REDACTED"},
		{"the service-account e-mail is an identity and stays",
			"denied to sa@p.iam.gserviceaccount.com", gcs, "denied to sa@p.iam.gserviceaccount.com"},
		{"a short access key goes where it stands alone and in a credential, not inside a word",
			"key admin unknown\nCredential=admin/20260101/us-east-1/s3/aws4_request, ask the administrator",
			s3, "key REDACTED unknown\nCredential=REDACTED, ask the administrator"},
		{"without an address, what the scrubber recognises still goes",
			"Authorization: Bearer ya29.token-value\nsig=abc%2Bdef&se=2026", nil, "Authorization: REDACTED\nsig=REDACTED&se=2026"},
		{"empty text", "", s3, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := provider.Scrub(tt.text, tt.a); got != tt.want {
				t.Errorf("Scrub =\n%q\nwant\n%q", got, tt.want)
			}
		})
	}
}
