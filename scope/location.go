package scope

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/byobkit/byob/address"
	"github.com/byobkit/byob/provider"
	"gocloud.dev/blob"
)

// Location is where one team's files live: an address, the scope it came
// from, the key prefix its data lives under and an open bucket rooted there.
// Locations are shared and read-only, except that their credentials can be
// replaced (Registry.RotateCredentials); the registry owns their buckets and
// closes them in Registry.Close. A Location prints redacted under every
// fmt verb, log/slog and encoding/json.
type Location struct {
	scope  Scope
	team   string // the owning team for Team scope; "" for Instance
	prefix string // the data prefix in the bucket: "" or "<sub-path>/"
	// handle is the only holder of the credentials, behind a pointer: fmt
	// prints an unexported pointer field as an address, never its target.
	handle *provider.Handle

	rules        address.KeyLimits // the flavor's, from the one table of per-flavor facts
	baseBytes    int               // bytes the full key has before the caller's key
	baseChars    int               // characters, likewise
	baseSegments int               // segments, likewise
}

// newLocation builds a location over an open bucket rooted at a's sub-path.
func newLocation(s Scope, team string, a *address.Address, h *provider.Handle) *Location {
	l := &Location{scope: s, team: team, handle: h, rules: a.Flavor().Rules().Keys}
	if a.Path != "" {
		l.prefix = a.Path + "/"
	}
	base := l.prefix
	if a.Flavor() == address.FlavorFile {
		base = a.Bucket + "/" + l.prefix // the full key is a path on disk
	}
	l.baseBytes = len(base)
	l.baseChars = utf8.RuneCountInString(base)
	l.baseSegments = strings.Count(l.prefix, "/")
	return l
}

// Scope returns where the location came from: Instance for the instance's
// bucket (also used by teams created without one), Team for a team bucket.
func (l *Location) Scope() Scope { return l.scope }

// Team returns the team owning a Team-scope location; "" for the instance.
func (l *Location) Team() string { return l.team }

// Address returns a copy of the location's address with the credentials
// its bucket uses now (after a rotation, the new ones): print it (it prints
// redacted), do not log a.URL().
func (l *Location) Address() address.Address { return l.handle.Address() }

// Prefix returns the key prefix the location's data lives under in its
// bucket: "" (the whole bucket) or "<sub-path>/". Bucket is already rooted
// there: keys passed to it are relative.
func (l *Location) Prefix() string { return l.prefix }

// Bucket returns the open bucket, rooted at Prefix. Check every key with
// CheckKey (or go through Registry.Authorize) before using it here.
func (l *Location) Bucket() *blob.Bucket { return l.handle.Bucket() }

// Handle returns the opened bucket's handle: its flavor, region, endpoint,
// native clients and signing credentials, for presigning and garbage
// collection.
func (l *Location) Handle() *provider.Handle { return l.handle }

// FullKey checks key and returns it as it is named in the bucket: Prefix()
// followed by key.
func (l *Location) FullKey(key string) (string, error) {
	if err := l.CheckKey(key); err != nil {
		return "", err
	}
	return l.prefix + key, nil
}

// String describes the location, redacted.
func (l Location) String() string {
	if l.handle == nil {
		return "scope.Location(none)" // the zero value: nothing to print
	}
	a := l.handle.Address()
	if l.scope == Instance {
		return "instance location " + a.String()
	}
	return "team " + quote(l.team) + " location " + a.String()
}

// GoString is String, so that %#v prints no key.
func (l Location) GoString() string { return "scope.Location(" + l.String() + ")" }

// Format prints String under every verb (GoString for %#v).
func (l Location) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		fmt.Fprint(f, l.GoString())
		return
	}
	fmt.Fprint(f, l.String())
}

// LogValue makes log/slog print String.
func (l Location) LogValue() slog.Value { return slog.StringValue(l.String()) }

// MarshalJSON encodes String.
func (l Location) MarshalJSON() ([]byte, error) { return json.Marshal(l.String()) }

// User is who asks to use a location: a user of the instance (the server has
// already checked the user's instance permission) and the teams the user is
// a member of.
type User struct {
	ID    string   // shown in errors; not a secret
	Teams []string // names of the teams the user is a member of
}

// Access is what a user wants to do with a location's files.
type Access string

// The accesses.
const (
	Read  Access = "read"
	Write Access = "write"
)

// Allow decides whether u may read or write the location's files: any user
// of the instance may use an Instance location, only members of the owning
// team a Team location. The rule is the same for reading and writing. A
// refusal is an *Error of kind ErrAccessDenied.
func (l *Location) Allow(u User, acc Access) error {
	if acc != Read && acc != Write {
		return &Error{Op: "check access", Team: l.team, Kind: ErrInvalid,
			Detail: "unknown access " + quote(string(acc)), Fix: "use scope.Read or scope.Write"}
	}
	if l.scope == Instance || slices.Contains(u.Teams, l.team) {
		return nil
	}
	return &Error{Op: "check access", Team: l.team, Kind: ErrAccessDenied,
		Detail: "user " + quote(u.ID) + " may not " + string(acc) + " team " + quote(l.team) +
			"'s files: they are in a team bucket and the user is not a member",
		Fix: "add the user to the team, or use a file the user's own teams or the instance hold"}
}
