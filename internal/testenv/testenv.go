// Package testenv gives integration tests the endpoints and credentials of
// the real storage servers started by scripts/testservers.sh (and therefore
// by 'make test').
//
// The servers are described by environment variables:
//
//	BYOB_TEST_S3_ENDPOINT       versitygw S3 gateway, host:port (plain HTTP)
//	BYOB_TEST_S3_ACCESS_KEY     its access key
//	BYOB_TEST_S3_SECRET_KEY     its secret key
//	BYOB_TEST_AZURITE_ENDPOINT  Azurite blob service, scheme://host:port
//	BYOB_TEST_AZURITE_ACCOUNT   its storage account name
//	BYOB_TEST_AZURITE_KEY       its base64 account key
//
// When a server is not configured, the helpers skip the calling test, unless
// BYOB_INTEGRATION=required is set, in which case they fail it. The helpers
// never include secret values in their messages.
//
// Some helpers need no server: FakeGCS runs fake-gcs-server in the test's
// process, RunScrubbed runs a package's tests in a cloud environment that
// does not depend on the machine, and UniqueName names what a test creates.
package testenv

import (
	"os"
	"testing"
)

// Names of the environment variables read by this package.
const (
	// EnvIntegration set to "required" turns skipped integration tests into failures.
	EnvIntegration = "BYOB_INTEGRATION"

	// EnvS3Endpoint is the versitygw endpoint as host:port.
	EnvS3Endpoint = "BYOB_TEST_S3_ENDPOINT"
	// EnvS3AccessKey is the versitygw access key.
	EnvS3AccessKey = "BYOB_TEST_S3_ACCESS_KEY"
	// EnvS3SecretKey is the versitygw secret key.
	EnvS3SecretKey = "BYOB_TEST_S3_SECRET_KEY"

	// EnvAzuriteEndpoint is the Azurite blob endpoint as scheme://host:port.
	EnvAzuriteEndpoint = "BYOB_TEST_AZURITE_ENDPOINT"
	// EnvAzuriteAccount is the Azurite storage account name.
	EnvAzuriteAccount = "BYOB_TEST_AZURITE_ACCOUNT"
	// EnvAzuriteKey is the Azurite base64 account key.
	EnvAzuriteKey = "BYOB_TEST_AZURITE_KEY"
)

// S3Server describes a running S3-compatible server (versitygw).
type S3Server struct {
	// Endpoint is host:port; the server speaks plain HTTP.
	Endpoint string
	// AccessKey is the access key ID.
	AccessKey string
	// SecretKey is the secret access key. It may contain characters such as
	// '/', '+' and '=' that need escaping in URLs.
	SecretKey string
}

// AzuriteServer describes a running Azurite blob service.
type AzuriteServer struct {
	// Endpoint is scheme://host:port, without the account path segment.
	Endpoint string
	// Account is the storage account name.
	Account string
	// Key is the base64-encoded shared key of Account.
	Key string
}

// Required reports whether integration tests must run rather than skip,
// that is whether BYOB_INTEGRATION is set to "required".
func Required() bool {
	return os.Getenv(EnvIntegration) == "required"
}

// S3 returns the versitygw server's endpoint and credentials, or skips the
// test (or fails it when BYOB_INTEGRATION=required) if they are not set.
func S3(t testing.TB) S3Server {
	t.Helper()
	s := S3Server{
		Endpoint:  os.Getenv(EnvS3Endpoint),
		AccessKey: os.Getenv(EnvS3AccessKey),
		SecretKey: os.Getenv(EnvS3SecretKey),
	}
	need(t, EnvS3Endpoint, s.Endpoint, EnvS3AccessKey, s.AccessKey, EnvS3SecretKey, s.SecretKey)
	return s
}

// Azurite returns the Azurite blob service's endpoint and credentials, or
// skips the test (or fails it when BYOB_INTEGRATION=required) if they are not
// set.
func Azurite(t testing.TB) AzuriteServer {
	t.Helper()
	a := AzuriteServer{
		Endpoint: os.Getenv(EnvAzuriteEndpoint),
		Account:  os.Getenv(EnvAzuriteAccount),
		Key:      os.Getenv(EnvAzuriteKey),
	}
	need(t, EnvAzuriteEndpoint, a.Endpoint, EnvAzuriteAccount, a.Account, EnvAzuriteKey, a.Key)
	return a
}

// need skips or fails t when any value in the name/value pairs kv is empty.
// Only variable names are reported, never values.
func need(t testing.TB, kv ...string) {
	t.Helper()
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] != "" {
			continue
		}
		if Required() {
			t.Fatalf("integration: %s unset but %s=required; run the tests with 'make test'", kv[i], EnvIntegration)
		}
		t.Skipf("integration: set by 'make test' (%s unset); skipping", kv[i])
	}
}
