// Package preflight checks that a bucket is ready for byob before it is
// trusted with data: that is its one job.
//
// Check opens the bucket an address names with provider.Open, reads its
// settings with the native clients of the *provider.Handle it gets back,
// and reports one Finding per check: reachable with the address's
// credentials, writable (a probe object under <sub-path>/.byob-check/
// that is always removed again), and set up as byob needs (CORS rules
// that answer a browser's preflight for the methods and request headers
// byob's URLs send, from one rule as the servers match it; versioning or
// soft delete; default encryption; lifecycle rules; region; transport
// security). Each finding says what it saw and the exact fix; a
// setting the credentials cannot read is "could not check", with the
// permission it needs, never silently skipped.
//
// A check changes nothing but its probe: a missing file:// directory is
// reported, not created (provider.WithExistingDir). A Report holds no
// secret: it is scrubbed of the address's keys, and of every credential a
// server may echo back, before Check returns it (provider.Scrub).
//
// The operator's command runs it as 'byob check', and the scope package
// runs it before it accepts a team's bucket.
package preflight
