package undelete

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/byobkit/byob/provider"
	"gocloud.dev/gcerrors"
)

// maxMarkers is the most delete markers one key's restore removes. A gc
// run leaves one per delete request that reached the service: one, or a
// few when a throttled request was sent again (batchdelete sends a key at
// most 8 times).
const maxMarkers = 16

// s3Backend removes the delete markers a run left.
type s3Backend struct {
	h      *provider.Handle
	client *s3.Client
	bucket string
	prefix string
}

func newS3Backend(h *provider.Handle) backend {
	c := h.S3()
	if c == nil {
		return nil
	}
	return &s3Backend{h: h, client: c, bucket: h.Location().Bucket, prefix: h.Prefix()}
}

// s3Entry is one version or delete marker of a key.
type s3Entry struct {
	id       string
	marker   bool
	latest   bool
	modified time.Time
	size     int64
}

// restore removes the delete markers on top of the key, newest first,
// each by its own version id, until a version with data is current.
//
// Deleting a delete marker by its version id is the one versioned delete
// byob ever sends, and it cannot lose data: a marker holds no bytes, its
// version id is never a data version's, and the id names that marker
// alone, so a version uploaded meanwhile stays current and every data
// version stays. Only ids listed under DeleteMarkers are ever sent.
func (b *s3Backend) restore(ctx context.Context, o Object, cutoff time.Time) Result {
	full := b.prefix + o.Key
	var removed []string
	for {
		vs, err := b.versions(ctx, full)
		if err != nil {
			return failed(b.h, err)
		}
		var top, data *s3Entry
		for i := range vs {
			e := &vs[i]
			if e.latest {
				top = e
			}
			if !e.marker && (data == nil || e.modified.After(data.modified)) {
				data = e
			}
		}
		switch {
		case top == nil && len(vs) == 0:
			return lost("the bucket keeps no version of the key")
		case top == nil:
			return lost("the listing marks no version of the key as the latest")
		case !top.marker && len(removed) > 0:
			return Result{Status: Restored, Version: strings.Join(removed, ","),
				Reason: "removed " + strconv.Itoa(len(removed)) + " delete marker(s); version " + top.id + " is current again"}
		case !top.marker:
			return present("the current version is not a delete marker")
		case tooOld(top.modified, cutoff):
			return lost("the key was deleted at %s (delete marker %s), before the run started", stamp(top.modified), top.id)
		case data == nil:
			return lost("the key has delete markers only, no version with data")
		}
		if why := sizeMismatch(o.Size, data.size); why != "" {
			return lost("%s", why)
		}
		if len(removed) == maxMarkers {
			return Result{Err: &provider.Error{Op: OpRestore, Provider: b.h.Location().Provider, Bucket: b.bucket,
				Code: gcerrors.FailedPrecondition,
				Err:  errors.New("more than " + strconv.Itoa(maxMarkers) + " delete markers were made since the run started; remove them by hand")}}
		}
		if _, err := b.client.DeleteObject(ctx, &s3.DeleteObjectInput{
			Bucket: aws.String(b.bucket), Key: aws.String(full), VersionId: aws.String(top.id),
		}); err != nil {
			return failed(b.h, err)
		}
		removed = append(removed, top.id)
	}
}

// versions lists every version and delete marker of exactly key (a
// prefix listing also returns longer keys, which are skipped). Keys come
// in byte order, so the listing stops at the first longer key.
func (b *s3Backend) versions(ctx context.Context, key string) ([]s3Entry, error) {
	var out []s3Entry
	in := &s3.ListObjectVersionsInput{Bucket: aws.String(b.bucket), Prefix: aws.String(key)}
	for {
		page, err := b.client.ListObjectVersions(ctx, in)
		if err != nil {
			return nil, err
		}
		other := false
		for _, v := range page.Versions {
			if aws.ToString(v.Key) != key {
				other = true
				continue
			}
			out = append(out, s3Entry{id: aws.ToString(v.VersionId), latest: aws.ToBool(v.IsLatest),
				modified: aws.ToTime(v.LastModified), size: aws.ToInt64(v.Size)})
		}
		for _, m := range page.DeleteMarkers {
			if aws.ToString(m.Key) != key {
				other = true
				continue
			}
			out = append(out, s3Entry{id: aws.ToString(m.VersionId), marker: true, latest: aws.ToBool(m.IsLatest),
				modified: aws.ToTime(m.LastModified)})
		}
		if other || !aws.ToBool(page.IsTruncated) {
			return out, nil
		}
		if page.NextKeyMarker == nil {
			return nil, errors.New("ListObjectVersions: a truncated page without NextKeyMarker")
		}
		in.KeyMarker, in.VersionIdMarker = page.NextKeyMarker, page.NextVersionIdMarker
	}
}
