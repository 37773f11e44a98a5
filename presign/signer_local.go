package presign

import (
	"context"
	"time"

	"github.com/byobkit/byob/scope"
)

// localBackend signs for a file:// or mem:// location through the
// LocalSigner configured for it (WithLocal).
type localBackend struct {
	ls *LocalSigner
}

func newLocalBackend(s *Signer, loc *scope.Location) (locSigner, error) {
	if s.local == nil {
		return nil, &Error{Op: "sign", Field: "location", Kind: ErrUnsupported,
			Problem: "no local signer is configured for file:// and mem:// locations",
			Fix:     "give the Signer WithLocal or WithLocalBase, with the base URL its Handler is served at"}
	}
	base, keys, err := s.local(loc)
	if err != nil {
		return nil, &Error{Op: "sign", Field: "location", Kind: ErrUnsupported, Problem: "the local configuration failed", Cause: err}
	}
	ls, err := NewLocalSigner(LocalConfig{Location: loc, BaseURL: base, Keys: keys, Now: s.now})
	if err != nil {
		return nil, err
	}
	return &localBackend{ls: ls}, nil
}

// current: the local keys live in the LocalSigner (rotation takes effect
// there at once), and a URL signed under the previous key stays valid.
func (b *localBackend) current(context.Context) (creds, error) { return creds{}, nil }

func (b *localBackend) sign(_ context.Context, _ creds, key, _ string, o Options, method string, _, exp time.Time) (Request, error) {
	lo := LocalOptions{Expires: exp, ContentType: o.ContentType, ContentMD5: o.ContentMD5,
		ResponseContentType: o.ResponseContentType, ResponseContentDisposition: o.ResponseContentDisposition, User: o.User}
	switch o.Op {
	case OpCreateUpload:
		return b.ls.SignCreateUpload(key, lo)
	case OpUploadPart:
		return b.ls.SignUploadPart(key, o.UploadID, o.PartNumber, lo)
	case OpCompleteUpload:
		return b.ls.SignCompleteUpload(key, o.UploadID, lo)
	case OpAbortUpload:
		return b.ls.SignAbortUpload(key, o.UploadID, lo)
	}
	lo.Method = method
	return b.ls.Sign(key, lo)
}

func (b *localBackend) binds(context.Context) (Binds, error) {
	return Binds{ContentType: true, ContentMD5: true, User: true, ResponseOverrides: true, MD5Checked: true}, nil
}
