// Package browsertest holds the real-browser end-to-end tests: headless
// Chromium, driven over the DevTools protocol with chromedp, uploads a file
// with fetch from a page on one loopback origin to a pre-signed PUT URL on
// another (versitygw, Azurite, and byob's own presign.Handler), reads the
// ETag, downloads the file again and compares the bytes. Browsers are the
// clients CORS concerns, so these tests show that the documented bucket
// policy works, that a policy without content-md5 (or none) fails in the
// browser exactly as preflight.Check predicts, and that the embedded
// handler's refusals reach the page.
//
// The package has no code outside its tests. The browser is Debian's
// chromium, which 'make test' installs (scripts/testservers.sh) and names in
// BYOB_TEST_CHROMIUM; without it the tests skip, or fail under
// BYOB_INTEGRATION=required. Each test page's screenshot is written to
// .tools/artifacts/ at the module root, for a person to look at.
package browsertest
