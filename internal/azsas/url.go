package azsas

import "strings"

// BlobURL returns the URL of blob in container under endpoint, the
// account's blob service URL (https://<account>.blob.core.windows.net, or
// http://127.0.0.1:10000/<account> for Azurite), spelled exactly as azblob
// v1.8.3 spells it: what
// service.NewClientWithNoCredential(endpoint, nil).NewContainerClient(container).NewBlockBlobClient(blob).URL()
// returns. The blob name is escaped as one path segment (url.PathEscape), so
// '/' becomes %2F, which Azure reads as '/'. Append "?" and a SAS from Sign.
//
// It refuses an endpoint with a query or a fragment, and the blob and
// container names that Sign refuses.
func BlobURL(endpoint, container, blob string) (string, error) {
	if !strings.HasPrefix(endpoint, "https://") && !strings.HasPrefix(endpoint, "http://") {
		return "", newErr(ErrInvalid, FieldEndpoint, "does not start with https:// or http://", "pass the blob service URL, such as https://<account>.blob.core.windows.net")
	}
	if rest := endpoint[strings.Index(endpoint, "//")+2:]; rest == "" || rest[0] == '/' {
		return "", newErr(ErrInvalid, FieldEndpoint, "has no host", "pass the blob service URL, such as https://<account>.blob.core.windows.net")
	}
	if strings.ContainsAny(endpoint, "?#") {
		return "", newErr(ErrInvalid, FieldEndpoint, "has a query or a fragment", "pass the blob service URL without '?' or '#'")
	}
	if err := checkContainer(container); err != nil {
		return "", err
	}
	if err := checkBlob(blob); err != nil {
		return "", err
	}
	// azcore's runtime.JoinPaths, twice: one '/' between the parts, unless
	// the endpoint already ends with one. Neither a valid container nor an
	// escaped blob name other than "." or ".." is changed by its path.Join.
	n := len(endpoint) + 1 + len(container) + 1 + len(blob)
	for i := 0; i < len(blob); i++ {
		if !pathSafe(blob[i]) {
			n += 2
		}
	}
	b := make([]byte, 0, n)
	b = append(b, endpoint...)
	if !strings.HasSuffix(endpoint, "/") {
		b = append(b, '/')
	}
	b = append(b, container...)
	b = append(b, '/')
	for i := 0; i < len(blob); i++ {
		c := blob[i]
		if pathSafe(c) {
			b = append(b, c)
		} else {
			b = append(b, '%', upperHex[c>>4], upperHex[c&15])
		}
	}
	return string(b), nil
}

// pathSafe reports the bytes url.PathEscape leaves alone: the unreserved
// ones and "$&+:=@".
func pathSafe(c byte) bool {
	return isUnreserved(c) || strings.IndexByte("$&+:=@", c) >= 0
}
