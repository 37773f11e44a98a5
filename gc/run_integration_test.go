package gc

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/byobkit/byob/internal/testenv"
	"github.com/byobkit/byob/internal/testsecret"
	"github.com/byobkit/byob/provider"
	"github.com/fsouza/fake-gcs-server/fakestorage"
)

// answering is an HTTP transport that lets answer reply to a request
// itself (a non-nil response), and passes the others to the server.
type answering struct {
	answer func(r *http.Request) *http.Response
}

func (a answering) RoundTrip(r *http.Request) (*http.Response, error) {
	if resp := a.answer(r); resp != nil {
		if r.Body != nil {
			_, _ = io.Copy(io.Discard, r.Body)
			r.Body.Close()
		}
		resp.Request = r
		return resp, nil
	}
	return http.DefaultTransport.RoundTrip(r)
}

func httpAnswer(status int, contentType, body string) *http.Response {
	return &http.Response{StatusCode: status, Status: http.StatusText(status), Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: http.Header{"Content-Type": {contentType}}, Body: io.NopCloser(strings.NewReader(body)), ContentLength: int64(len(body))}
}

// s3Bucket creates a fresh bucket on versitygw with versioning set to
// status ("" leaves it never enabled), and returns its name.
func s3Bucket(t *testing.T, srv testenv.S3Server, status types.BucketVersioningStatus) string {
	t.Helper()
	c := srv.Client()
	bucket := uniqueBucket(t)
	if _, err := c.CreateBucket(t.Context(), &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatalf("CreateBucket: %v", err)
	}
	if status == types.BucketVersioningStatusSuspended {
		setVersioning(t, c, bucket, types.BucketVersioningStatusEnabled)
	}
	if status != "" {
		setVersioning(t, c, bucket, status)
	}
	return bucket
}

func setVersioning(t *testing.T, c *s3.Client, bucket string, status types.BucketVersioningStatus) {
	t.Helper()
	if _, err := c.PutBucketVersioning(t.Context(), &s3.PutBucketVersioningInput{Bucket: aws.String(bucket),
		VersioningConfiguration: &types.VersioningConfiguration{Status: status}}); err != nil {
		t.Fatalf("PutBucketVersioning %s: %v", status, err)
	}
}

func s3URL(srv testenv.S3Server, bucket string) string {
	return "s3://" + url.QueryEscape(srv.AccessKey) + ":" + url.QueryEscape(srv.SecretKey) + "@" + srv.Endpoint + "/" + bucket + "/team?region=" + testenv.S3Region
}

// startUpload starts a multipart upload of the full key and returns its id.
func startUpload(t *testing.T, c *s3.Client, bucket, key string) string {
	t.Helper()
	out, err := c.CreateMultipartUpload(t.Context(), &s3.CreateMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		t.Fatalf("CreateMultipartUpload(%s): %v", key, err)
	}
	return aws.ToString(out.UploadId)
}

func uploadsInProgress(t *testing.T, c *s3.Client, bucket string) []string {
	t.Helper()
	l, err := c.ListMultipartUploads(t.Context(), &s3.ListMultipartUploadsInput{Bucket: aws.String(bucket)})
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, u := range l.Uploads {
		keys = append(keys, aws.ToString(u.Key))
	}
	slices.Sort(keys)
	return keys
}

// outputs is everything a run shows: for the secret checks.
type outputs struct {
	log      bytes.Buffer
	progress []string
}

func (o *outputs) options(e *runEnv) Options {
	opts := e.opts()
	opts.Force = false
	opts.Logger = slog.New(slog.NewTextHandler(&o.log, &slog.HandlerOptions{Level: slog.LevelDebug}))
	opts.Progress = func(p Progress) { o.progress = append(o.progress, fmt.Sprintf("%+v %#v", p, p)) }
	return opts
}

// all is every output of a run: log, progress, journal, report and error
// under every printer.
func (o *outputs) all(t *testing.T, e *runEnv, rep *Report, err error) string {
	t.Helper()
	js, jerr := json.Marshal(rep)
	if jerr != nil {
		t.Fatalf("report does not encode: %v", jerr)
	}
	parts := []string{o.log.String(), strings.Join(o.progress, "\n"), e.journal.String(), string(js),
		fmt.Sprintf("%v %+v %#v %s %q", rep, rep, rep, rep.FirstErrors, rep.FirstErrors)}
	if err != nil {
		parts = append(parts, fmt.Sprintf("%v %+v %#v %s %q", err, err, err, err, err))
		for _, c := range testsecret.Chain(err) {
			parts = append(parts, fmt.Sprintf("%v %#v", c, c))
		}
	}
	return strings.Join(parts, "\n")
}

// TestRunOnVersitygw collects a small history on a versioned bucket: the
// garbage goes in one DeleteObjects request and leaves delete markers
// (a restore removes them), the stale upload under the data prefix is
// aborted, and nothing the run shows holds the keys.
func TestRunOnVersitygw(t *testing.T) {
	srv := testenv.S3(t)
	bucket := s3Bucket(t, srv, types.BucketVersioningStatusEnabled)
	e := &runEnv{t: t, loc: openLocation(t, s3URL(srv, bucket)), server: NewMemServer(pfx), journal: &syncBuffer{},
		now: time.Now().Add(DefaultMinAge + time.Hour)}
	garbage, kept := scenario(e)
	c := srv.Client()
	startUpload(t, c, bucket, "team/"+pfx+"7/stale/upload")
	startUpload(t, c, bucket, "team/ent/proj/run1/files/big") // outside the data prefix
	var out outputs
	rep, err := Run(context.Background(), e.loc, e.server, out.options(e))
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if got := e.keys(); !slices.Equal(got, kept) {
		t.Fatalf("bucket after the run: %q, want %q", got, kept)
	}
	if rep.Mode != ModeVersions || rep.Deleted != int64(len(garbage)) || rep.Requests != 1 || rep.UploadsFound != 1 || rep.UploadsAborted != 1 {
		t.Errorf("report %+v", *rep)
	}
	if got := uploadsInProgress(t, c, bucket); !slices.Equal(got, []string{"team/ent/proj/run1/files/big"}) {
		t.Errorf("uploads in progress %q, want only the one outside the data prefix", got)
	}
	// Every deleted object still has its data version, under a delete
	// marker: what Restore needs.
	vs, verr := c.ListObjectVersions(t.Context(), &s3.ListObjectVersionsInput{Bucket: aws.String(bucket), Prefix: aws.String("team/" + pfx)})
	if verr != nil {
		t.Fatal(verr)
	}
	for _, k := range garbage {
		var data, marker bool
		for _, v := range vs.Versions {
			data = data || aws.ToString(v.Key) == "team/"+k
		}
		for _, m := range vs.DeleteMarkers {
			marker = marker || aws.ToString(m.Key) == "team/"+k && aws.ToBool(m.IsLatest)
		}
		if !data || !marker {
			t.Errorf("%q: a data version %v, a delete marker on top %v; want both", k, data, marker)
		}
	}
	recs := e.records()
	if got := recKinds(recs); !slices.Equal(got, []string{RecStart, RecIntent, RecOutcome, RecIntent, RecOutcome, RecEnd}) {
		t.Fatalf("journal %q", got)
	}
	if up := recs[3]; up.Reason != ReasonStaleUpload || len(up.Uploads) != 1 || up.Uploads[0].Key != pfx+"7/stale/upload" || up.Uploads[0].UploadID == "" {
		t.Errorf("upload intent %+v", up)
	}
	if st := recs[0]; st.Mode != ModeVersions || !strings.HasPrefix(st.Location, "s3://") {
		t.Errorf("start record %+v", st)
	}
	secrets := testsecret.NewSet(testsecret.Spellings(srv.AccessKey, srv.SecretKey)...)
	if w := secrets.Find(out.all(t, e, rep, err)); w != "" {
		t.Errorf("a run's output holds a credential window %q", w)
	}
}

// TestRunRefusesWhatCannotBeUndoneOnS3: versioning never enabled or
// suspended keeps nothing a restore could use; unreadable versioning is
// an error, never taken for "none". Nothing is deleted.
func TestRunRefusesWhatCannotBeUndoneOnS3(t *testing.T) {
	srv := testenv.S3(t)
	for _, tc := range []struct {
		name   string
		status types.BucketVersioningStatus
		deny   bool // GetBucketVersioning answered 403
		want   error
	}{
		{"versioning never enabled", "", false, ErrUnrecoverable},
		{"versioning suspended", types.BucketVersioningStatusSuspended, false, ErrUnrecoverable},
		{"versioning unreadable", types.BucketVersioningStatusEnabled, true, ErrMode},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bucket := s3Bucket(t, srv, tc.status)
			var opts []provider.Option
			if tc.deny {
				opts = append(opts, provider.WithHTTPClient(&http.Client{Transport: answering{func(r *http.Request) *http.Response {
					if r.URL.Query().Has("versioning") {
						return httpAnswer(http.StatusForbidden, "application/xml", `<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>`)
					}
					return nil
				}}}))
			}
			e := &runEnv{t: t, loc: openLocation(t, s3URL(srv, bucket), opts...), server: NewMemServer(pfx), journal: &syncBuffer{},
				now: time.Now().Add(DefaultMinAge + time.Hour)}
			scenario(e)
			before := e.keys()
			var out outputs
			rep, err := Run(context.Background(), e.loc, e.server, out.options(e))
			wantKind(t, err, tc.want)
			if got := e.keys(); !slices.Equal(got, before) || rep.Deleted != 0 || e.journal.Len() != 0 {
				t.Fatalf("refused run changed something: %q (was %q), report %+v, journal %q", got, before, *rep, e.journal.String())
			}
			if tc.deny && !strings.Contains(err.Error(), "AccessDenied") && !strings.Contains(err.Error(), "permission") {
				t.Errorf("error %v does not say why the settings could not be read", err)
			}
		})
	}
}

// TestRunPermissionDeniedIsNotGone: gcsblob reports a GCS 403 as
// NotFound; a delete refused so is Failed and counted as
// PermissionDenied, never already gone, and the run fails.
func TestRunPermissionDeniedIsNotGone(t *testing.T) {
	fake, _ := testenv.FakeGCS(t)
	bucket := uniqueBucket(t)
	fake.CreateBucketWithOpts(fakestorage.CreateBucketOpts{Name: bucket, VersioningEnabled: true})
	deny := answering{func(r *http.Request) *http.Response {
		if r.Method == http.MethodDelete {
			return httpAnswer(http.StatusForbidden, "application/json; charset=UTF-8",
				`{"error":{"code":403,"message":"caller does not have storage.objects.delete access","errors":[{"reason":"forbidden"}]}}`)
		}
		return nil
	}}
	e := &runEnv{t: t, loc: openLocation(t, "gs://"+bucket+"/team?endpoint="+url.QueryEscape(fake.URL()), provider.WithHTTPClient(&http.Client{Transport: deny})),
		server: NewMemServer(pfx), journal: &syncBuffer{}, now: time.Now().Add(DefaultMinAge + time.Hour)}
	garbage, _ := scenario(e)
	before := e.keys()
	o := e.opts()
	o.Force, o.SkipUploads = false, true
	rep, err := Run(context.Background(), e.loc, e.server, o)
	wantKind(t, err, ErrDelete)
	if rep.Mode != ModeVersions {
		t.Errorf("mode %q, want versions (fake-gcs-server's bucket has versioning)", rep.Mode)
	}
	if rep.Failed != int64(len(garbage)) || rep.AlreadyGone != 0 || rep.Deleted != 0 || rep.Errors["PermissionDenied"] != int64(len(garbage)) {
		t.Errorf("report %+v: want every refused delete Failed as PermissionDenied", *rep)
	}
	if got := e.keys(); !slices.Equal(got, before) {
		t.Errorf("bucket %q, want it unchanged %q", got, before)
	}
	recs := e.records()
	out := recs[2]
	if out.Rec != RecOutcome || len(out.Failed) != len(garbage) || out.Failed[0].Kind != "PermissionDenied" || len(out.Gone) != 0 {
		t.Errorf("outcome %+v", out)
	}
	if len(rep.FirstErrors) == 0 || !strings.Contains(err.Error(), "PermissionDenied") {
		t.Errorf("run error %v / first errors %v do not name the refusal", err, rep.FirstErrors)
	}
}

// TestRunHidesWhatAServerEchoes: a server that echoes the request's
// signature and the keys in its per-key errors; nothing the run shows
// holds them.
func TestRunHidesWhatAServerEchoes(t *testing.T) {
	srv := testenv.S3(t)
	bucket := s3Bucket(t, srv, types.BucketVersioningStatusEnabled)
	sig := regexp.MustCompile(`Signature=([0-9a-f]+)`)
	var seen []string
	echo := answering{func(r *http.Request) *http.Response {
		if r.Method != http.MethodPost || !r.URL.Query().Has("delete") {
			return nil
		}
		auth := r.Header.Get("Authorization")
		if m := sig.FindStringSubmatch(auth); m != nil {
			seen = append(seen, m[1])
		}
		body, _ := io.ReadAll(r.Body)
		var errs strings.Builder
		for _, m := range regexp.MustCompile(`<Key>([^<]*)</Key>`).FindAllStringSubmatch(string(body), -1) {
			errs.WriteString("<Error><Key>" + m[1] + "</Key><Code>AccessDenied</Code><Message>denied for " + auth +
				" secret " + srv.SecretKey + " key " + srv.AccessKey + "</Message></Error>")
		}
		return httpAnswer(http.StatusOK, "application/xml", `<?xml version="1.0" encoding="UTF-8"?><DeleteResult>`+errs.String()+`</DeleteResult>`)
	}}
	e := &runEnv{t: t, loc: openLocation(t, s3URL(srv, bucket), provider.WithHTTPClient(&http.Client{Transport: echo})), server: NewMemServer(pfx),
		journal: &syncBuffer{}, now: time.Now().Add(DefaultMinAge + time.Hour)}
	garbage, _ := scenario(e)
	var out outputs
	o := out.options(e)
	o.SkipUploads = true
	rep, err := Run(context.Background(), e.loc, e.server, o)
	wantKind(t, err, ErrDelete)
	if rep.Failed != int64(len(garbage)) || rep.Errors["PermissionDenied"] != int64(len(garbage)) {
		t.Fatalf("report %+v: the echoing server refused every delete", *rep)
	}
	if len(seen) == 0 {
		t.Fatal("no signed DeleteObjects request seen: the test proves nothing")
	}
	secrets := testsecret.NewSet(testsecret.Spellings(append(seen, srv.AccessKey, srv.SecretKey)...)...)
	if w := secrets.Find(out.all(t, e, rep, err)); w != "" {
		t.Errorf("a run's output holds a secret window %q", w)
	}
	if !errors.Is(err, ErrDelete) || !strings.Contains(e.journal.String(), "AccessDenied") {
		t.Errorf("the journal does not keep the refusal: %s", e.journal.String())
	}
}

// TestRunAbortsOnlyItsShardsStaleUploads: a dry run only lists the stale
// uploads; a run aborts those under the data prefix in its own shard,
// and only those initiated before now-MinAge.
func TestRunAbortsOnlyItsShardsStaleUploads(t *testing.T) {
	srv := testenv.S3(t)
	bucket := s3Bucket(t, srv, types.BucketVersioningStatusEnabled)
	c := srv.Client()
	mine, other := "team/"+pfx+"8/x/part", "team/"+pfx+"7/y/part" // shard 0 of 2 owns '8', shard 1 owns '7'
	startUpload(t, c, bucket, mine)
	startUpload(t, c, bucket, other)
	startUpload(t, c, bucket, "team/ent/proj/run/files/big")
	all := sorted(mine, other, "team/ent/proj/run/files/big")
	e := &runEnv{t: t, loc: openLocation(t, s3URL(srv, bucket)), server: NewMemServer(pfx), journal: &syncBuffer{}}
	for _, tc := range []struct {
		name       string
		now        time.Time
		dry        bool
		found      int64
		inProgress []string
	}{
		{"uploads younger than MinAge are left alone", time.Now(), false, 0, all},
		{"a dry run only lists", time.Now().Add(DefaultMinAge + time.Hour), true, 1, all},
		{"a run aborts its shard's", time.Now().Add(DefaultMinAge + time.Hour), false, 1, without(all, mine)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e.now = tc.now
			o := e.opts()
			o.Force, o.DryRun, o.Shard = false, tc.dry, Shard{Index: 0, Count: 2}
			rep, err := Run(context.Background(), e.loc, e.server, o)
			if err != nil {
				t.Fatal(err)
			}
			aborted := tc.found
			if tc.dry {
				aborted = 0
			}
			if rep.UploadsFound != tc.found || rep.UploadsAborted != aborted {
				t.Errorf("uploads found %d aborted %d, want %d and %d", rep.UploadsFound, rep.UploadsAborted, tc.found, aborted)
			}
			if got := uploadsInProgress(t, c, bucket); !slices.Equal(got, tc.inProgress) {
				t.Errorf("in progress %q, want %q", got, tc.inProgress)
			}
		})
	}
}

// TestPurgePrefixesOnVersitygw removes a run folder of a versioned bucket
// in one DeleteObjects, and its stale upload, and nothing beside it.
func TestPurgePrefixesOnVersitygw(t *testing.T) {
	srv := testenv.S3(t)
	bucket := s3Bucket(t, srv, types.BucketVersioningStatusEnabled)
	e := &runEnv{t: t, loc: openLocation(t, s3URL(srv, bucket)), server: NewMemServer(pfx), journal: &syncBuffer{},
		now: time.Now().Add(DefaultMinAge + time.Hour)}
	run1, _, _ := runFolders(e)
	c := srv.Client()
	startUpload(t, c, bucket, "team/acme/vision/run1/files/big.bin")
	startUpload(t, c, bucket, "team/acme/vision/run10/files/big.bin")
	before := e.keys()
	o := e.opts()
	o.Force = false
	rep, err := PurgePrefixes(context.Background(), e.loc, []string{"acme/vision/run1/"}, o)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Mode != ModeVersions || rep.Deleted != int64(len(run1)) || rep.Requests != 1 || rep.UploadsAborted != 1 {
		t.Errorf("report %+v", *rep)
	}
	if got := e.keys(); !slices.Equal(got, without(before, run1...)) {
		t.Errorf("bucket %q, want %q", got, without(before, run1...))
	}
	if got := uploadsInProgress(t, c, bucket); !slices.Equal(got, []string{"team/acme/vision/run10/files/big.bin"}) {
		t.Errorf("uploads in progress %q", got)
	}
}
