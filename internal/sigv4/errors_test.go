package sigv4

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"
)

// TestPresignRefuses lists every input the signer refuses, with the field
// its error names. A refused request yields no URL, and AppendPresign
// leaves the caller's buffer as it was.
func TestPresignRefuses(t *testing.T) {
	for _, tc := range []struct {
		name  string
		field string
		edit  func(*Request)
	}{
		{"no operation", "Op", func(r *Request) { r.Op = 0 }},
		{"an unknown operation", "Op", func(r *Request) { r.Op = 99 }},
		{"no scheme", "Scheme", func(r *Request) { r.Scheme = "" }},
		{"an upper-case scheme", "Scheme", func(r *Request) { r.Scheme = "HTTPS" }},
		{"another scheme", "Scheme", func(r *Request) { r.Scheme = "ftp" }},
		{"no host", "Host", func(r *Request) { r.Host = "" }},
		{"a host with a scheme", "Host", func(r *Request) { r.Host = "https://s3.example.com" }},
		{"a host with a path", "Host", func(r *Request) { r.Host = "s3.example.com/bucket" }},
		{"a host with a query", "Host", func(r *Request) { r.Host = "s3.example.com?x=1" }},
		{"a host with a fragment", "Host", func(r *Request) { r.Host = "s3.example.com#x" }},
		{"a host with userinfo", "Host", func(r *Request) { r.Host = "ak:sk@s3.example.com" }},
		{"a host with a space", "Host", func(r *Request) { r.Host = "s3 example.com" }},
		{"a host with an empty port", "Host", func(r *Request) { r.Host = "s3.example.com:" }},
		{"a host with a named port", "Host", func(r *Request) { r.Host = "s3.example.com:https" }},
		{"a host with a six-digit port", "Host", func(r *Request) { r.Host = "s3.example.com:123456" }},
		{"an IPv6 host without its closing bracket", "Host", func(r *Request) { r.Host = "[::1" }},
		{"an IPv6 host that is not an address", "Host", func(r *Request) { r.Host = "[zz::1]:9000" }},
		{"an IPv6 host with text after the bracket", "Host", func(r *Request) { r.Host = "[::1]x" }},
		{"an IPv6 host with a zone", "Host", func(r *Request) { r.Host = "[fe80::1%25eth0]:9000" }},
		{"an unbracketed IPv6 host", "Host", func(r *Request) { r.Host = "::1" }},
		{"no bucket", "Bucket", func(r *Request) { r.Bucket = "" }},
		{"a two-character bucket", "Bucket", func(r *Request) { r.Bucket = "ab" }},
		{"a bucket with a slash", "Bucket", func(r *Request) { r.Bucket = "my/bucket" }},
		{"a bucket with a space", "Bucket", func(r *Request) { r.Bucket = "my bucket" }},
		{"a bucket with unicode", "Bucket", func(r *Request) { r.Bucket = "bücket" }},
		{"a 256-character bucket", "Bucket", func(r *Request) { r.Bucket = strings.Repeat("b", 256) }},
		{"an S3 Express directory bucket", "Bucket", func(r *Request) { r.Bucket = "data--usw2-az1--x-s3" }},
		{"an S3 Express directory bucket in a dedicated zone", "Bucket", func(r *Request) { r.Bucket = "data--use1-az4--xa-s3" }},
		{"no key", "Key", func(r *Request) { r.Key = "" }},
		{"no region", "Region", func(r *Request) { r.Region = "" }},
		{"a region with a space", "Region", func(r *Request) { r.Region = "us east 1" }},
		{"a region with a slash", "Region", func(r *Request) { r.Region = "us/east" }},
		{"a region with a leading hyphen", "Region", func(r *Request) { r.Region = "-us-east-1" }},
		{"a region with a trailing hyphen", "Region", func(r *Request) { r.Region = "us-east-1-" }},
		{"a 64-character region", "Region", func(r *Request) { r.Region = strings.Repeat("r", 64) }},
		{"no time", "Time", func(r *Request) { r.Time = time.Time{} }},
		{"a time after 9999", "Time", func(r *Request) { r.Time = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC) }},
		{"a time before year 0", "Time", func(r *Request) { r.Time = time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC) }},
		{"no expiry", "Expires", func(r *Request) { r.Expires = 0 }},
		{"an expiry under a second", "Expires", func(r *Request) { r.Expires = 999 * time.Millisecond }},
		{"a negative expiry", "Expires", func(r *Request) { r.Expires = -time.Hour }},
		{"an expiry of 7 days and 1 s", "Expires", func(r *Request) { r.Expires = MaxExpires + time.Second }},
		{"UploadPart without a part number", "PartNumber", func(r *Request) { r.Op = UploadPart; r.UploadID = "u" }},
		{"UploadPart number 10001", "PartNumber", func(r *Request) { r.Op = UploadPart; r.UploadID = "u"; r.PartNumber = 10001 }},
		{"UploadPart with a negative number", "PartNumber", func(r *Request) { r.Op = UploadPart; r.UploadID = "u"; r.PartNumber = -1 }},
		{"a part number on a GET", "PartNumber", func(r *Request) { r.PartNumber = 1 }},
		{"UploadPart without an upload id", "UploadID", func(r *Request) { r.Op = UploadPart; r.PartNumber = 1 }},
		{"CompleteMultipartUpload without an upload id", "UploadID", func(r *Request) { r.Op = CompleteMultipartUpload }},
		{"AbortMultipartUpload without an upload id", "UploadID", func(r *Request) { r.Op = AbortMultipartUpload }},
		{"an upload id on a PUT", "UploadID", func(r *Request) { r.Op = PutObject; r.UploadID = "u" }},
		{"an upload id on CreateMultipartUpload", "UploadID", func(r *Request) { r.Op = CreateMultipartUpload; r.UploadID = "u" }},
		{"a content type on a GET", "ContentType", func(r *Request) { r.ContentType = "text/plain" }},
		{"a content type on UploadPart", "ContentType", func(r *Request) {
			r.Op = UploadPart
			r.PartNumber, r.UploadID, r.ContentType = 1, "u", "text/plain"
		}},
		{"a content type with a newline", "ContentType", func(r *Request) { r.Op = PutObject; r.ContentType = "text/plain\r\nX-Evil: 1" }},
		{"a content type with unicode", "ContentType", func(r *Request) { r.Op = PutObject; r.ContentType = "text/plain; name=ü" }},
		{"a Content-MD5 on a GET", "ContentMD5", func(r *Request) { r.ContentMD5 = "1B2M2Y8AsgTpgAmY7PhCfg==" }},
		{"a Content-MD5 on CreateMultipartUpload", "ContentMD5", func(r *Request) { r.Op = CreateMultipartUpload; r.ContentMD5 = "1B2M2Y8AsgTpgAmY7PhCfg==" }},
		{"a hex Content-MD5", "ContentMD5", func(r *Request) { r.Op = PutObject; r.ContentMD5 = "d41d8cd98f00b204e9800998ecf8427e" }},
		{"a Content-MD5 without padding", "ContentMD5", func(r *Request) { r.Op = PutObject; r.ContentMD5 = "1B2M2Y8AsgTpgAmY7PhCfg" }},
		{"a Content-MD5 of 17 bytes", "ContentMD5", func(r *Request) { r.Op = PutObject; r.ContentMD5 = "AAAAAAAAAAAAAAAAAAAAAAA=" }},
		{"a Content-MD5 with a space", "ContentMD5", func(r *Request) { r.Op = PutObject; r.ContentMD5 = "1B2M2Y8AsgTpgAmY7PhCf g==" }},
		{"a response override on a PUT", "ResponseContentType", func(r *Request) { r.Op = PutObject; r.ResponseContentType = "text/plain" }},
		{"a disposition override on UploadPart", "ResponseContentType", func(r *Request) {
			r.Op = UploadPart
			r.PartNumber, r.UploadID, r.ResponseContentDisposition = 1, "u", "attachment"
		}},
		{"a parameter without a name", "Query", func(r *Request) { r.Query = []Param{{"", "v"}} }},
		{"a parameter name with a space", "Query", func(r *Request) { r.Query = []Param{{"X User", "v"}} }},
		{"a parameter name with an equals sign", "Query", func(r *Request) { r.Query = []Param{{"a=b", "v"}} }},
		{"a parameter named X-Amz-Signature", "Query", func(r *Request) { r.Query = []Param{{"X-Amz-Signature", "0"}} }},
		{"a parameter named x-amz-date in lower case", "Query", func(r *Request) { r.Query = []Param{{"x-amz-date", "0"}} }},
		{"a parameter named X-ID", "Query", func(r *Request) { r.Query = []Param{{"X-ID", "PutObject"}} }},
		{"a parameter named partnumber", "Query", func(r *Request) { r.Query = []Param{{"partnumber", "2"}} }},
		{"a parameter named uploadId", "Query", func(r *Request) { r.Query = []Param{{"uploadId", "x"}} }},
		{"a parameter named uploads", "Query", func(r *Request) { r.Query = []Param{{"uploads", ""}} }},
		{"a parameter named response-content-type", "Query", func(r *Request) { r.Query = []Param{{"response-content-type", "x"}} }},
		{"a parameter given twice", "Query", func(r *Request) { r.Query = []Param{{"X-User", "a"}, {"X-User", "b"}} }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, _ := NewSigner(tokenCreds.ak, tokenCreds.sk, tokenCreds.token)
			r := baseRequest()
			tc.edit(&r)
			u, err := s.Presign(&r)
			assertRefused(t, u, err, tc.field)
			dst := []byte("kept")
			got, err := s.AppendPresign(dst, &r)
			if !bytes.Equal(got, []byte("kept")) || err == nil {
				t.Errorf("AppendPresign = %q, %v; want the buffer unchanged and an error", got, err)
			}
		})
	}
}

func assertRefused(t *testing.T, url string, err error, field string) {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T), want a *sigv4.Error", err, err)
	}
	if e.Field != field {
		t.Errorf("error names field %q, want %q: %v", e.Field, field, err)
	}
	if e.Problem == "" || e.Fix == "" {
		t.Errorf("error %q lacks a problem or a fix", err)
	}
	if url != "" {
		t.Errorf("refused request still produced URL %q", url)
	}
}

func TestNewSignerRefuses(t *testing.T) {
	for _, tc := range []struct {
		name, ak, sk, field string
	}{
		{"no access key id", "", "secret", "accessKeyID"},
		{"no secret", "AKIA", "", "secretAccessKey"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := NewSigner(tc.ak, tc.sk, "token")
			if s != nil {
				t.Errorf("NewSigner returned a Signer with its error")
			}
			assertRefused(t, "", err, tc.field)
		})
	}
}

func TestPresignRefusesWithoutSignerOrRequest(t *testing.T) {
	r := baseRequest()
	var zero Signer
	u, err := zero.Presign(&r)
	assertRefused(t, u, err, "Signer")
	var nilSigner *Signer
	u, err = nilSigner.Presign(&r)
	assertRefused(t, u, err, "Signer")
	s, _ := NewSigner(plainCreds.ak, plainCreds.sk, "")
	u, err = s.Presign(nil)
	assertRefused(t, u, err, "Request")
}

func TestOpNames(t *testing.T) {
	for op, want := range map[Op][2]string{
		GetObject: {"GetObject", "GET"}, HeadObject: {"HeadObject", "HEAD"}, PutObject: {"PutObject", "PUT"},
		CreateMultipartUpload: {"CreateMultipartUpload", "POST"}, UploadPart: {"UploadPart", "PUT"},
		CompleteMultipartUpload: {"CompleteMultipartUpload", "POST"}, AbortMultipartUpload: {"AbortMultipartUpload", "DELETE"},
		0: {"Op(invalid)", ""}, 42: {"Op(invalid)", ""},
	} {
		if op.String() != want[0] || op.Method() != want[1] {
			t.Errorf("Op %d: String %q Method %q, want %q %q", op, op.String(), op.Method(), want[0], want[1])
		}
	}
}
