# Integration tests run against real storage servers on loopback, started by
# scripts/testservers.sh (versitygw for S3, Azurite for Azure Blob; GCS is
# faked in-process), and a browser test in headless Debian chromium, which
# the script installs with apt-get when missing. 'make unit' needs none of them.

SERVERS = bash scripts/testservers.sh

.PHONY: all test unit bench servers-install servers-start servers-stop chromium-install

all: test

# Vet, then all tests with the servers running; integration tests must not skip.
test:
	$(SERVERS) run -- sh -c 'go vet ./... && BYOB_INTEGRATION=required go test -count=1 ./...'

# Vet and tests without servers; integration tests skip.
unit:
	go vet ./... && go test ./...

# Benchmarks only, with the servers running.
bench:
	$(SERVERS) run -- go test -run '^$$' -bench . -benchmem ./...

servers-install:
	$(SERVERS) install

# Debian's chromium for the browser test (internal/browsertest); 'make test'
# and servers-install install it too.
chromium-install:
	$(SERVERS) chromium

# Start the servers for interactive work: then '. .tools/run/env'.
servers-start: servers-install
	$(SERVERS) start

servers-stop:
	$(SERVERS) stop
