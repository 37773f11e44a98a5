package address

import (
	"path"
	"strings"
	"unicode/utf8"
)

// Parse parses one address. Leading and trailing white space is ignored.
// A bare scheme ("cw://") is not an address: it is only accepted by
// ParseList.
func Parse(s string) (*Address, error) {
	a, err := parse(strings.TrimSpace(s))
	if err != nil {
		return nil, err
	}
	if a.IsBare() {
		return nil, newErr(ErrMissing, FieldBucket, "the address names no bucket",
			"write "+string(a.Provider)+"://<bucket>, or see the package documentation for the full forms")
	}
	return a, nil
}

// ParseList parses a supported-stores list such as
// GORILLA_SUPPORTED_FILE_STORES: addresses separated by commas and/or white
// space (a comma inside an address must be written %2C). A bare scheme such
// as "cw://" is an entry meaning "any bucket of this provider". An empty
// list yields no addresses and no error. On error the *Error's Entry field
// says which entry (from 1).
func ParseList(s string) ([]*Address, error) {
	fields := strings.FieldsFunc(s, func(r rune) bool {
		return r == ',' || r == ' ' || r == '\t' || r == '\n' || r == '\r'
	})
	out := make([]*Address, 0, len(fields))
	for i, f := range fields {
		a, err := parse(f)
		if err != nil {
			e := *(err.(*Error))
			e.Entry = i + 1
			return nil, &e
		}
		out = append(out, a)
	}
	return out, nil
}

var schemes = map[string]Provider{
	"s3": S3, "cw": CoreWeave, "gs": GCS, "az": Azure, "file": File, "mem": Mem,
}

// schemeHints are schemes people write by mistake, with the fix.
var schemeHints = map[string]string{
	"http":     "byob addresses name the provider, not the protocol: write s3://, cw://, gs:// or az://, and add tls=true for HTTPS to an S3-compatible endpoint",
	"https":    "byob addresses name the provider, not the protocol: write s3://, cw://, gs:// or az://, and add tls=true for HTTPS to an S3-compatible endpoint",
	"s3a":      "write s3:// instead of s3a://",
	"s3n":      "write s3:// instead of s3n://",
	"gcs":      "write gs:// instead of gcs://",
	"azure":    "write az://:<accountKey>@<account>/<container>",
	"wasb":     "write az://:<accountKey>@<account>/<container>",
	"wasbs":    "write az://:<accountKey>@<account>/<container>",
	"abfs":     "write az://:<accountKey>@<account>/<container>",
	"abfss":    "write az://:<accountKey>@<account>/<container>",
	"minio":    "write s3://<accessKey>:<secretKey>@<host:port>/<bucket>?region=<region>",
	"cwobject": "write cw://<accessKey>:<secretKey>@cwobject.com/<bucket>?region=<zone>&tls=true",
}

const schemeFix = "start the address with s3://, cw://, gs://, az://, file:// or mem://"

// raw holds the pieces of an address before the provider's rules apply.
type raw struct {
	hasUserinfo bool
	user, pass  string
	host        string
	segs        []string // decoded path segments, outer '/' trimmed
	params      map[string]string
}

func parse(s string) (*Address, error) {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] == 0x7f {
			return nil, newErr(ErrSyntax, FieldScheme, "the address contains a control character or white space",
				"remove it; percent-encode any such character inside a key (a newline is %0A)")
		}
	}
	i := strings.Index(s, "://")
	if i <= 0 {
		return nil, newErr(ErrSyntax, FieldScheme, "the address has no scheme (no '://')", schemeFix)
	}
	name := strings.ToLower(s[:i])
	p, ok := schemes[name]
	if !ok {
		fix := schemeFix
		if h, ok := schemeHints[name]; ok {
			fix = h
		}
		return nil, newErr(ErrScheme, FieldScheme, "unsupported scheme", fix)
	}
	rest := s[i+3:]
	a := &Address{Provider: p}
	if rest == "" {
		return a, nil // bare scheme
	}
	if p == File {
		return parseFile(a, rest)
	}
	r, err := split(p, rest)
	if err != nil {
		return nil, err
	}
	if err := r.checkParams(p); err != nil {
		return nil, err
	}
	switch p {
	case S3, CoreWeave:
		err = a.fillS3(r)
	case GCS:
		err = a.fillGCS(r)
	case Azure:
		err = a.fillAzure(r)
	case Mem:
		err = a.fillMem(r)
	}
	if err != nil {
		return nil, err
	}
	return a, nil
}

// split cuts rest (everything after "scheme://") into userinfo, host, path
// and query without net/url, whose errors quote the input (and so leak a
// secret with an unencoded '/').
func split(p Provider, rest string) (*raw, error) {
	r := &raw{}
	authEnd := strings.IndexAny(rest, "/?#")
	if authEnd < 0 {
		authEnd = len(rest)
	}
	authority, after := rest[:authEnd], rest[authEnd:]
	if strings.Contains(after, "@") {
		// A '@' after the host could end credentials that hold an unencoded
		// '/', '?' or '#' (the host cannot hold '@'), so where the address
		// splits is a guess: refuse it, and quote nothing, since any part
		// of the input may be part of a key.
		if !strings.Contains(authority, "@") && strings.Contains(authority, ":") {
			c := string(rest[authEnd])
			return nil, newErr(ErrSyntax, FieldSecret, "the key contains an unencoded '"+c+"'",
				"percent-encode the key: write '/' as %2F, '?' as %3F, '#' as %23 and '@' as %40")
		}
		return nil, newErr(ErrSyntax, FieldSecret, "an unencoded '@' follows the host, so part of the address may be a key",
			"write '@' as %40 (in keys and in paths); percent-encode '/', '?' and '#' in keys")
	}
	if at := strings.LastIndexByte(authority, '@'); at >= 0 {
		r.hasUserinfo = true
		ui := authority[:at]
		r.host = authority[at+1:]
		user, pass, _ := strings.Cut(ui, ":")
		var ok1, ok2 bool
		r.user, ok1 = unescape(user)
		r.pass, ok2 = unescape(pass)
		if !ok1 || !ok2 {
			return nil, newErr(ErrSyntax, FieldSecret, "the credentials contain a '%' that is not a %XX escape",
				"percent-encode the keys: write '%' as %25")
		}
	} else {
		r.host = authority
	}
	if strings.ContainsRune(after, '#') {
		return nil, newErr(ErrSyntax, FieldQuery, "the address contains a '#' fragment",
			"remove it; inside a key or path write '#' as %23")
	}
	pathPart, query, hasQuery := strings.Cut(after, "?")
	if hasQuery {
		if strings.Contains(query, "?") {
			return nil, newErr(ErrSyntax, FieldQuery, "the query contains a second '?'",
				"separate query parameters with '&', as in ?region=us-east-1&tls=true")
		}
		// No '@' follows the host (see above), so the query is not the tail
		// of a key, unless the address has no '@' at all and the
		// "host" is really "<key>:<secret>": then no name is quoted.
		params, err := parseQuery(query, r.hasUserinfo || plausibleHost(authority))
		if err != nil {
			return nil, err
		}
		r.params = params
	}
	segs, err := splitPath(pathPart)
	if err != nil {
		return nil, err
	}
	r.segs = segs
	return r, nil
}

// plausibleHost reports whether an authority without '@' reads as a host
// with at most a numeric port (or a bracketed IPv6 address), rather than as
// "<key>:<secret>" whose '@' and host were forgotten.
func plausibleHost(authority string) bool {
	if strings.HasPrefix(authority, "[") {
		return true
	}
	_, port, ok := strings.Cut(authority, ":")
	if !ok {
		return true
	}
	for i := 0; i < len(port); i++ {
		if port[i] < '0' || port[i] > '9' {
			return false
		}
	}
	return true
}

var knownParams = []string{"region", "tls", "endpoint"}

func parseQuery(q string, mayQuote bool) (map[string]string, error) {
	params := map[string]string{}
	if q == "" {
		return params, nil
	}
	for _, kv := range strings.Split(q, "&") {
		k, v, hasV := strings.Cut(kv, "=")
		if k == "" {
			return nil, newErr(ErrSyntax, FieldQuery, "the query has an empty parameter",
				"write parameters as name=value separated by '&', as in ?region=us-east-1&tls=true")
		}
		if !contains(knownParams, k) {
			return nil, unknownParam(k, mayQuote)
		}
		field := Field(k)
		if k == "endpoint" {
			field = FieldEndpoint
		}
		if _, dup := params[k]; dup {
			return nil, newErr(ErrConflict, field, "the parameter is given twice", "keep one "+k+"=")
		}
		val, ok := unescape(v)
		if !ok || !hasV || val == "" {
			return nil, newErr(ErrMissing, field, "the parameter has no value", "write "+k+"=<value>, or leave it out")
		}
		params[k] = val
	}
	return params, nil
}

// paramHints maps near-misses to the parameter meant.
var paramHints = map[string]string{
	"Region": "region", "REGION": "region", "regoin": "region", "reigon": "region", "aws_region": "region",
	"location": "region", "TLS": "tls", "ssl": "tls", "https": "tls", "secure": "tls", "useSSL": "tls",
	"use_ssl": "tls", "Endpoint": "endpoint", "endpoint_url": "endpoint", "host": "endpoint",
}

func unknownParam(k string, mayQuote bool) *Error {
	problem := "unknown query parameter"
	if mayQuote && safeWord(k) {
		problem += " \"" + k + "\""
	}
	fix := "the parameters are region, tls (s3://, cw://) and endpoint (gs://, az://); remove it"
	if want, ok := paramHints[k]; ok {
		fix = "write " + want + "= instead"
	} else if k == "kms" || strings.Contains(strings.ToLower(k), "kms") {
		fix = "a KMS key does not belong in the address: pass it to byob separately (AWS_S3_KMS_ID)"
	}
	return newErr(ErrUnknownParameter, FieldQuery, problem, fix)
}

// safeWord reports whether s may be quoted in an error: short, plain, and so
// never a key or a fragment of one's base64 or PEM text.
func safeWord(s string) bool {
	if len(s) == 0 || len(s) > 24 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

func splitPath(p string) ([]string, error) {
	p = strings.Trim(p, "/")
	if p == "" {
		return nil, nil
	}
	parts := strings.Split(p, "/")
	for i, seg := range parts {
		dec, ok := unescape(seg)
		if !ok {
			return nil, newErr(ErrSyntax, FieldPath, "the path contains a '%' that is not a %XX escape", "write '%' as %25")
		}
		if err := checkSegment(dec); err != nil {
			return nil, err
		}
		parts[i] = dec
	}
	return parts, nil
}

func checkSegment(seg string) error {
	switch {
	case seg == "":
		return newErr(ErrInvalid, FieldPath, "the path has an empty segment ('//')", "write single '/' between segments")
	case seg == "." || seg == "..":
		return newErr(ErrInvalid, FieldPath, "the path has a '.' or '..' segment", "name the sub-path directly, without '.' or '..'")
	case !utf8.ValidString(seg):
		return newErr(ErrInvalid, FieldPath, "the path is not valid UTF-8", "use UTF-8 names")
	case strings.ContainsAny(seg, "/\\"):
		return newErr(ErrInvalid, FieldPath, "a path segment contains an encoded '/' or a '\\'", "use plain '/' between segments and no '\\'")
	}
	for _, c := range seg {
		if c < 0x20 || c == 0x7f {
			return newErr(ErrInvalid, FieldPath, "the path contains a control character", "remove it")
		}
	}
	return nil
}

func (r *raw) checkParams(p Provider) error {
	for k := range r.params {
		switch {
		case k == "endpoint" && p != GCS && p != Azure:
			return newErr(ErrUnknownParameter, FieldEndpoint, "endpoint= is only for gs:// and az:// addresses",
				"put an S3 endpoint in the host: s3://<accessKey>:<secretKey>@<host:port>/<bucket>")
		case k == "tls" && (p == GCS || p == Azure):
			return newErr(ErrUnknownParameter, FieldTLS, "gs:// and az:// addresses are HTTPS unless endpoint= says http://",
				"remove tls=; to reach an emulator write endpoint=http://<host:port>")
		case k == "region" && (p == GCS || p == Azure):
			return newErr(ErrUnknownParameter, FieldRegion, "gs:// and az:// addresses take no region: the bucket's location is set where it was created",
				"remove region=")
		case p == Mem:
			return newErr(ErrUnknownParameter, FieldQuery, "mem:// addresses take no parameters", "remove the query")
		}
	}
	return nil
}

func (r *raw) credentialsForbidden(p Provider) error {
	if r.hasUserinfo {
		return newErr(ErrInvalid, FieldSecret, string(p)+":// addresses take no credentials", "remove everything up to and including '@'")
	}
	return nil
}

func parseFile(a *Address, rest string) (*Address, error) {
	if strings.HasPrefix(rest, "localhost/") {
		rest = rest[len("localhost"):]
	}
	if !strings.HasPrefix(rest, "/") {
		return nil, newErr(ErrInvalid, FieldBucket, "file:// addresses name an absolute directory on this machine",
			"write file:///absolute/dir (three slashes)")
	}
	if strings.ContainsAny(rest, "?#") {
		return nil, newErr(ErrUnknownParameter, FieldQuery, "file:// addresses take no parameters", "remove the query")
	}
	dec, ok := unescape(rest)
	if !ok {
		return nil, newErr(ErrSyntax, FieldBucket, "the path contains a '%' that is not a %XX escape", "write '%' as %25")
	}
	trimmed := strings.TrimRight(dec, "/")
	if trimmed == "" {
		return nil, newErr(ErrInvalid, FieldBucket, "the directory is the file system's root", "name a directory below /, such as file:///var/lib/byob")
	}
	if path.Clean(trimmed) != trimmed {
		return nil, newErr(ErrInvalid, FieldBucket, "the directory has '.', '..' or empty segments", "write the directory's clean absolute path")
	}
	for _, seg := range strings.Split(trimmed[1:], "/") {
		if err := checkSegment(seg); err != nil {
			e := err.(*Error)
			e.Field = FieldBucket
			return nil, e
		}
	}
	a.Bucket = trimmed
	return a, nil
}

func (a *Address) fillMem(r *raw) error {
	if err := r.credentialsForbidden(Mem); err != nil {
		return err
	}
	if err := checkMemName(r.host); err != nil {
		return err
	}
	a.Bucket = r.host
	a.Path = strings.Join(r.segs, "/")
	return nil
}

func (a *Address) fillS3(r *raw) error {
	host := strings.ToLower(r.host)
	segs := r.segs
	vhostForm := false
	switch {
	case r.hasUserinfo || isEndpointHost(host):
		canon, err := normEndpoint(host)
		if err != nil {
			return err
		}
		host = canon
		if a.Provider == CoreWeave {
			if b, ep, ok := cutCoreWeaveBucket(host); ok {
				host, vhostForm = ep, true
				segs = append([]string{b}, segs...)
			}
		}
		a.Endpoint = host
		if len(segs) == 0 {
			return newErr(ErrMissing, FieldBucket, "the address names no bucket",
				"write "+string(a.Provider)+"://<accessKey>:<secretKey>@<endpoint>/<bucket>, or "+string(a.Provider)+"://<bucket> for the server's own identity")
		}
		a.Bucket, segs = segs[0], segs[1:]
	default: // s3://<bucket>[/<sub-path>]: AWS with the server's ambient identity
		if a.Provider == CoreWeave {
			return newErr(ErrMissing, FieldEndpoint, "cw:// addresses name their endpoint",
				"write cw://<accessKey>:<secretKey>@cwobject.com/<bucket>?region=<zone>&tls=true (or cwlota.com without tls)")
		}
		a.Bucket = r.host // not lowercased: an upper-case bucket name is an error, not a silent fix
	}
	a.Path = strings.Join(segs, "/")
	flavor := a.Flavor()
	rules := flavor.rules()
	if a.Provider == CoreWeave && rules.Family != FlavorCoreWeave {
		return newErr(ErrInvalid, FieldEndpoint, "a cw:// address must use a CoreWeave endpoint",
			"use cwobject.com (HTTPS, tls=true) or cwlota.com (LOTA, plain HTTP); for other S3-compatible stores write s3://")
	}
	if err := a.fillS3Credentials(r); err != nil {
		return err
	}
	if err := checkBucket(flavor, a.Bucket); err != nil {
		return err
	}
	if err := a.fillTLS(rules.TLS, r.params["tls"], vhostForm); err != nil {
		return err
	}
	// URL() writes the port again where the endpoint would otherwise read
	// as a bucket (no credentials, a plain host name).
	a.Endpoint = dropDefaultPort(a.Endpoint, a.TLS)
	return a.fillRegion(flavor, rules.Region, r.params["region"])
}

func (a *Address) fillS3Credentials(r *raw) error {
	if !r.hasUserinfo {
		return nil
	}
	if err := checkS3Credentials(r.user, r.pass); err != nil {
		return err
	}
	a.AccessKey, a.Secret = r.user, r.pass
	return nil
}

func (a *Address) fillTLS(rule TLSRule, v string, implied bool) error {
	var on, set bool
	switch v {
	case "":
	case "true":
		on, set = true, true
	case "false":
		set = true
	default:
		return newErr(ErrInvalid, FieldTLS, "tls must be true or false", "write tls=true for HTTPS, or leave it out for plain HTTP")
	}
	switch rule {
	case TLSOptIn:
		a.TLS = on
	case TLSAlways:
		if set && !on {
			return newErr(ErrConflict, FieldTLS, "AWS S3 is reached over HTTPS only", "remove tls=false")
		}
		a.TLS = true
	case TLSRequired:
		if !on && (set || !implied) {
			return newErr(ErrMissing, FieldTLS, "this endpoint requires HTTPS (cwobject.com accepts TLS 1.3 only)",
				"add &tls=true to the address")
		}
		a.TLS = true
	case TLSForbidden:
		if on {
			return newErr(ErrConflict, FieldTLS, "cwlota.com (LOTA) is plain HTTP inside CoreWeave",
				"remove tls=true, or use cwobject.com for HTTPS")
		}
		a.TLS = false
	}
	return nil
}

func (a *Address) fillRegion(flavor Flavor, rule RegionRule, v string) error {
	if v != "" {
		if err := checkRegion(flavor, v); err != nil {
			return err
		}
	}
	if flavor == FlavorAWS {
		if derived := awsEndpointRegion(a.Endpoint); derived != "" {
			if v != "" && v != derived {
				return newErr(ErrConflict, FieldRegion, "region differs from the region in the endpoint's name",
					"make ?region= match the endpoint (s3.<region>.amazonaws.com), or leave it out")
			}
			v = derived
		}
	}
	a.Region = v
	if v != "" {
		return nil
	}
	switch {
	case rule == RegionRequired:
		return newErr(ErrMissing, FieldRegion, "S3-compatible addresses must name a region",
			"add ?region=<region> (MinIO's default is us-east-1)")
	case rule == RegionWithCredentials && a.HasCredentials():
		return newErr(ErrMissing, FieldRegion, "CoreWeave addresses with keys must name the availability zone",
			"add ?region=<zone>, such as ?region=US-EAST-04A")
	}
	return nil
}

func (a *Address) fillGCS(r *raw) error {
	bucket := strings.ToLower(r.host)
	if strings.Contains(r.host, ":") {
		return newErr(ErrSyntax, FieldSecret, "the e-mail or private key contains an unencoded character",
			"URL-encode both: the e-mail's '@' as %40, and the whole private key")
	}
	if bucket != r.host {
		return newErr(ErrInvalid, FieldBucket, "bucket names are lowercase", "write the bucket name in lowercase")
	}
	a.Bucket = bucket
	a.Path = strings.Join(r.segs, "/")
	if err := checkBucket(FlavorGCS, bucket); err != nil {
		return err
	}
	if err := a.fillEndpointParam(r.params["endpoint"]); err != nil {
		return err
	}
	if !r.hasUserinfo {
		return nil
	}
	key := normalizePEM(r.pass)
	if err := checkGCSCredentials(r.user, key); err != nil {
		return err
	}
	a.AccessKey, a.Secret = r.user, key
	return nil
}

func (a *Address) fillAzure(r *raw) error {
	host := r.host
	switch {
	case host == "":
		return newErr(ErrMissing, FieldAccount, "the address names no storage account", "write az://:<accountKey>@<account>/<container>")
	case strings.Contains(host, "."):
		return newErr(ErrInvalid, FieldAccount, "the host must be the storage account's name alone",
			"write the account name without .blob.core.windows.net; name another endpoint with endpoint=https://<host>")
	}
	if err := checkAzureAccount(host); err != nil {
		return err
	}
	a.Account = host
	if len(r.segs) == 0 {
		return newErr(ErrMissing, FieldBucket, "the address names no container", "write az://:<accountKey>@<account>/<container>")
	}
	a.Bucket, a.Path = r.segs[0], strings.Join(r.segs[1:], "/")
	if err := checkBucket(FlavorAzure, a.Bucket); err != nil {
		return err
	}
	if err := a.fillEndpointParam(r.params["endpoint"]); err != nil {
		return err
	}
	if h := bareHost(a.Endpoint); inDomain(h, FlavorAzure.rules().DefaultHost) && !ownHost(FlavorAzure, h, a.Account) {
		// Requests would reach another account's storage than the one named.
		return newErr(ErrConflict, FieldEndpoint, "endpoint= names another storage account than the address",
			"remove endpoint= (the account's own endpoint is the default), or name the same account in both")
	}
	if !r.hasUserinfo {
		return nil
	}
	if r.user != "" && r.pass == "" {
		return newErr(ErrSyntax, FieldSecret, "the account key must follow a ':'", "write az://:<accountKey>@<account>/<container>")
	}
	if err := checkAzureCredentials(r.user, r.pass); err != nil {
		return err
	}
	a.Secret = r.pass
	return nil
}

func (a *Address) fillEndpointParam(v string) error {
	a.TLS = true
	if v == "" {
		return nil
	}
	scheme, hostport, ok := strings.Cut(v, "://")
	hostport = strings.TrimSuffix(hostport, "/")
	switch {
	case !ok || (scheme != "http" && scheme != "https"):
		return newErr(ErrInvalid, FieldEndpoint, "endpoint= must start with http:// or https://", "write endpoint=https://<host[:port]>")
	case strings.ContainsAny(hostport, "/?#@"):
		return newErr(ErrInvalid, FieldEndpoint, "endpoint= names a host and port only", "write endpoint=<scheme>://<host[:port]>, with no path")
	}
	host, err := normEndpoint(hostport)
	if err != nil {
		return err
	}
	a.TLS = scheme == "https"
	a.Endpoint = dropDefaultPort(host, a.TLS)
	if a.TLS && ownHost(a.Flavor(), a.Endpoint, a.Account) {
		a.Endpoint = "" // the provider's own service, spelled out
	}
	return nil
}

func checkRegion(flavor Flavor, r string) error {
	if flavor == FlavorAWS {
		return checkAWSRegion(r)
	}
	if len(r) > 64 {
		return newErr(ErrInvalid, FieldRegion, "the region is longer than 64 characters", "write the region's name")
	}
	for i := 0; i < len(r); i++ {
		c := r[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return newErr(ErrInvalid, FieldRegion, "the region may contain only letters, digits, '-' and '_'",
				"write the region's name, such as us-east-1 (separate parameters with '&')")
		}
	}
	return nil
}

// checkAWSRegion accepts names shaped like AWS regions: lowercase words
// joined by '-', the last one a number (us-east-1, us-gov-west-1).
func checkAWSRegion(r string) error {
	bad := newErr(ErrInvalid, FieldRegion, "not an AWS region name", "write a region such as us-east-1 or eu-central-1, in lowercase")
	parts := strings.Split(r, "-")
	if len(r) > 32 || len(parts) < 3 {
		return bad
	}
	for i, p := range parts {
		if p == "" {
			return bad
		}
		for j := 0; j < len(p); j++ {
			c := p[j]
			digit := '0' <= c && c <= '9'
			if !(('a' <= c && c <= 'z') || digit) || (i == len(parts)-1 && !digit) {
				return bad
			}
		}
	}
	return nil
}

func checkMemName(name string) error {
	if name == "" {
		return newErr(ErrMissing, FieldBucket, "the address names no in-memory bucket", "write mem://<name>")
	}
	if len(name) > 128 {
		return newErr(ErrInvalid, FieldBucket, "the name is longer than 128 characters", "use a shorter name")
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.') {
			return newErr(ErrInvalid, FieldBucket, "in-memory bucket names may contain only letters, digits, '-', '_' and '.'",
				"write mem://<name>")
		}
	}
	return nil
}

func checkAzureAccount(acct string) error {
	if len(acct) < 3 || len(acct) > 24 {
		return newErr(ErrInvalid, FieldAccount, "storage account names are 3 to 24 characters", "write the storage account's name")
	}
	for i := 0; i < len(acct); i++ {
		c := acct[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9') {
			return newErr(ErrInvalid, FieldAccount, "storage account names are lowercase letters and digits only",
				"write the storage account's name; if the key contains '/', write it as %2F")
		}
	}
	return nil
}

func printable(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] <= 0x20 || s[i] >= 0x7f {
			return false
		}
	}
	return true
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
