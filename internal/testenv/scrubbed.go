package testenv

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// RunScrubbed runs m in a scrubbed cloud environment and returns its exit
// status; call it from TestMain as os.Exit(testenv.RunScrubbed(m)). Open
// reads nothing from the environment for an address with keys, but the
// ambient cases (and the Google library's STORAGE_EMULATOR_HOST, which Open
// refuses) would otherwise depend on the machine: an AWS_PROFILE that
// names no profile, a container-credentials URL that needs DNS, a shared
// config in the home folder. It unsets every AWS_, AZURE_, GOOGLE_ and
// CLOUDSDK_ variable and STORAGE_EMULATOR_HOST, and points the AWS shared
// files at files that do not exist; tests that want one of these set it
// with t.Setenv.
func RunScrubbed(m *testing.M) int {
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, "AWS_") || strings.HasPrefix(name, "AZURE_") ||
			strings.HasPrefix(name, "GOOGLE_") || strings.HasPrefix(name, "CLOUDSDK_") ||
			name == "STORAGE_EMULATOR_HOST" {
			os.Unsetenv(name)
		}
	}
	dir, err := os.MkdirTemp("", "byob-test-env-")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	// Shared AWS files that do not exist, and no instance-metadata probe:
	// the ambient chain then finds no credentials, quickly and offline.
	os.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "aws-config"))
	os.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "aws-credentials"))
	os.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	return m.Run()
}
