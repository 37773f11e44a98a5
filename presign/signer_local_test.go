package presign

import (
	"context"
	"encoding/xml"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/byobkit/byob/address"
	"github.com/byobkit/byob/scope"
)

// TestLocalEndToEnd: on file:// and mem://, the Signer's URLs work
// through the Handler: GET, HEAD, PUT and a whole multipart upload.
func TestLocalEndToEnd(t *testing.T) {
	for _, kind := range []string{"file", "mem"} {
		t.Run(kind, func(t *testing.T) {
			raw := "mem://" + randomName("presign-") + "/inst"
			if kind == "file" {
				raw = "file://" + t.TempDir() + "/bucket"
			}
			clock := &fakeClock{t: time.Now()}
			s, _ := localServer(t, raw, clock.Now)
			body := []byte("hello, local")
			key := "runs/a b/file.txt"
			put := mustSign(t, s, key, Options{Method: http.MethodPut, ContentType: "text/plain", ContentMD5: md5Of(body), User: "alice"})
			if rep := send(t, put, body, nil); rep.status != 200 || rep.header.Get("ETag") == "" {
				t.Fatalf("PUT: %d %s", rep.status, rep.body)
			}
			if rep := send(t, put, body, withHeader("Content-Type", "text/html")); rep.status != 403 {
				t.Errorf("PUT with another type: %d, want 403", rep.status)
			}
			get := mustSign(t, s, key, Options{Method: http.MethodGet, User: "alice"})
			if rep := send(t, get, nil, nil); rep.status != 200 || rep.body != string(body) {
				t.Fatalf("GET: %d %q", rep.status, rep.body)
			}
			if rep := send(t, get, nil, withQuery("X-User", "mallory", false)); rep.status != 403 {
				t.Errorf("GET with a changed X-User: %d, want 403", rep.status)
			}
			if rep := send(t, mustSign(t, s, key, Options{Method: http.MethodHead}), nil, nil); rep.status != 200 {
				t.Fatalf("HEAD: %d", rep.status)
			}

			big := "big/model.bin"
			rep := send(t, mustSign(t, s, big, Options{Op: OpCreateUpload}), nil, nil)
			var init struct{ UploadId string }
			if rep.status != 200 || xml.Unmarshal([]byte(rep.body), &init) != nil {
				t.Fatalf("create: %d %s", rep.status, rep.body)
			}
			parts := []string{"part one, ", "part two"}
			var list strings.Builder
			list.WriteString("<CompleteMultipartUpload>")
			for i, p := range parts {
				r := mustSign(t, s, big, Options{Op: OpUploadPart, UploadID: init.UploadId, PartNumber: i + 1, ContentMD5: md5Of([]byte(p))})
				rep := send(t, r, []byte(p), nil)
				if rep.status != 200 {
					t.Fatalf("part %d: %d %s", i+1, rep.status, rep.body)
				}
				list.WriteString("<Part><PartNumber>" + strconv.Itoa(i+1) + "</PartNumber><ETag>" + rep.header.Get("ETag") + "</ETag></Part>")
			}
			list.WriteString("</CompleteMultipartUpload>")
			if rep := send(t, mustSign(t, s, big, Options{Op: OpCompleteUpload, UploadID: init.UploadId}), []byte(list.String()), nil); rep.status != 200 {
				t.Fatalf("complete: %d %s", rep.status, rep.body)
			}
			if rep := send(t, mustSign(t, s, big, Options{Method: http.MethodGet}), nil, nil); rep.body != "part one, part two" {
				t.Fatalf("GET after complete: %q", rep.body)
			}
		})
	}
}

// TestSignRefusedByScope: a user the location does not allow, or a key
// that fails key confinement, gets scope's own error, nothing is signed
// and nothing is written.
func TestSignRefusedByScope(t *testing.T) {
	clock := &fakeClock{t: time.Now()}
	s, reg := localServer(t, "mem://"+randomName("presign-")+"/inst", clock.Now)
	omega, err := address.Parse("mem://" + randomName("presign-omega-") + "/o")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := reg.CreateTeam(context.Background(), "omega", omega); err != nil {
		t.Fatalf("create team: %v", err)
	}
	member := scope.User{ID: "u-omega", Teams: []string{"omega"}}
	for _, c := range []struct {
		name       string
		user       scope.User
		team, key  string
		o          Options
		kind       error
		wantSigned bool
	}{
		{"a non-member on a team bucket, reading", anyone, "omega", "f", Options{Method: http.MethodGet}, scope.ErrAccessDenied, false},
		{"a non-member on a team bucket, writing", anyone, "omega", "f", Options{Method: http.MethodPut}, scope.ErrAccessDenied, false},
		{"a key with ..", anyone, "kappa", "a/../b", Options{Method: http.MethodPut}, scope.ErrKey, false},
		{"a key with a leading slash", anyone, "kappa", "/etc/passwd", Options{Method: http.MethodGet}, scope.ErrKey, false},
		{"a multipart start by a non-member", anyone, "omega", "f", Options{Op: OpCreateUpload}, scope.ErrAccessDenied, false},
		{"an unknown team", anyone, "nope", "f", Options{Method: http.MethodGet}, scope.ErrNotFound, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			r, err := s.Sign(context.Background(), c.user, c.team, c.key, c.o)
			var se *scope.Error
			if !errors.Is(err, c.kind) || !errors.As(err, &se) || r.URL != "" {
				t.Fatalf("got %v, %v; want a *scope.Error of kind %v and no URL", r, err, c.kind)
			}
		})
	}
	// A member of omega may; and the refusals wrote nothing anywhere.
	if _, err := s.Sign(context.Background(), member, "omega", "f", Options{Method: http.MethodPut}); err != nil {
		t.Fatalf("member: %v", err)
	}
	for _, team := range []string{"kappa", "omega"} {
		loc, err := reg.Location(context.Background(), team)
		if err != nil {
			t.Fatal(err)
		}
		it := loc.Bucket().List(nil)
		if obj, err := it.Next(context.Background()); err == nil {
			t.Errorf("%s: refused requests wrote %q", team, obj.Key)
		}
	}
}

// TestOptionsRefused: each malformed option is an ErrOption naming its
// field, and nothing is signed.
func TestOptionsRefused(t *testing.T) {
	clock := &fakeClock{t: time.Now()}
	s, _ := localServer(t, "mem://"+randomName("presign-")+"/inst", clock.Now)
	md5 := md5Of([]byte("x"))
	for _, c := range []struct {
		name  string
		o     Options
		field string
	}{
		{"no method", Options{}, "Method"},
		{"DELETE as an object method", Options{Method: http.MethodDelete}, "Method"},
		{"lower-case method", Options{Method: "get"}, "Method"},
		{"negative expiry", Options{Method: http.MethodGet, Expires: -time.Second}, "Expires"},
		{"expiry over 7 days", Options{Method: http.MethodGet, Expires: MaxExpiry + time.Second}, "Expires"},
		{"expiry under a second", Options{Method: http.MethodGet, Expires: time.Millisecond}, "Expires"},
		{"Content-MD5 not base64", Options{Method: http.MethodPut, ContentMD5: "not an md5 at all!!!!!!!"}, "ContentMD5"},
		{"Content-MD5 of 15 bytes", Options{Method: http.MethodPut, ContentMD5: "AAAAAAAAAAAAAAAAAAAA"}, "ContentMD5"},
		{"Content-MD5 unpadded", Options{Method: http.MethodPut, ContentMD5: strings.TrimRight(md5, "=")}, "ContentMD5"},
		{"Content-MD5 on GET", Options{Method: http.MethodGet, ContentMD5: md5}, "ContentMD5"},
		{"content type on GET", Options{Method: http.MethodGet, ContentType: "text/plain"}, "ContentType"},
		{"response override on PUT", Options{Method: http.MethodPut, ResponseContentType: "text/plain"}, "ResponseContentType"},
		{"a newline in the user", Options{Method: http.MethodGet, User: "a\nb"}, "User"},
		{"part number 0", Options{Op: OpUploadPart, UploadID: "u"}, "PartNumber"},
		{"part number over 10,000", Options{Op: OpUploadPart, UploadID: "u", PartNumber: MaxParts + 1}, "PartNumber"},
		{"a method that is not the step's", Options{Op: OpCompleteUpload, UploadID: "u", Method: http.MethodPut}, "Method"},
		{"an upload id on a PUT", Options{Method: http.MethodPut, UploadID: "u"}, "UploadID"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r, err := s.Sign(context.Background(), anyone, "kappa", "f", c.o)
			var pe *Error
			if !errors.Is(err, ErrOption) || !errors.As(err, &pe) || pe.Field != c.field || r.URL != "" {
				t.Fatalf("got %v, %v; want ErrOption on %s", r, err, c.field)
			}
		})
	}
}

// TestExpiryDefaults: zero is 1 h for GET and HEAD and 24 h for PUT and
// multipart steps; a given lifetime is kept; Request.Expires says so.
func TestExpiryDefaults(t *testing.T) {
	now := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	s, _ := localServer(t, "mem://"+randomName("presign-")+"/inst", func() time.Time { return now })
	for _, c := range []struct {
		o    Options
		want time.Duration
	}{
		{Options{Method: http.MethodGet}, time.Hour},
		{Options{Method: http.MethodHead}, time.Hour},
		{Options{Method: http.MethodPut}, 24 * time.Hour},
		{Options{Op: OpCreateUpload}, 24 * time.Hour},
		{Options{Method: http.MethodGet, Expires: 10 * time.Minute}, 10 * time.Minute},
		{Options{Method: http.MethodPut, Expires: MaxExpiry}, MaxExpiry},
	} {
		r := mustSign(t, s, "f", c.o)
		if got := r.Expires.Sub(now); got != c.want {
			t.Errorf("%+v: expires after %v, want %v", c.o, got, c.want)
		}
	}
}

// TestBinds: what each provider's signature binds, as REFERENCE.md found
// on the local servers.
func TestBinds(t *testing.T) {
	full := Binds{ContentType: true, ContentMD5: true, User: true, ResponseOverrides: true, MD5Checked: true}
	sharedKeySAS := Binds{ResponseOverrides: true, MD5Checked: true}
	for _, c := range []struct {
		name string
		raw  string
		want Binds
	}{
		{"S3-compatible", "s3://ak:sk@127.0.0.1:9000/bkt?region=us-east-1", full},
		{"AWS", "s3://ak:sk@s3.eu-west-1.amazonaws.com/bkt?region=eu-west-1", full},
		{"Azure shared key", "az://:" + "a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5" + "@acct/ctr", sharedKeySAS},
		{"mem", "mem://" + randomName("b-"), full},
	} {
		t.Run(c.name, func(t *testing.T) {
			reg := testRegistry(t, c.raw)
			loc, err := reg.Instance()
			if err != nil {
				t.Fatal(err)
			}
			got, err := New(reg, WithLocalBase("http://127.0.0.1:1", NewLocalKeys())).Binds(context.Background(), loc)
			if err != nil || got != c.want {
				t.Errorf("Binds = %+v, %v; want %+v", got, err, c.want)
			}
		})
	}
}
