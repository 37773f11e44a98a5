#!/usr/bin/env bash
# testservers.sh - install, start and stop the real storage servers used by
# the integration tests, on loopback only.
#
#   scripts/testservers.sh install        build/install servers into .tools/
#   scripts/testservers.sh chromium       install only the browser
#   scripts/testservers.sh start          start them; writes .tools/run/env
#   scripts/testservers.sh stop           stop them; safe to repeat
#   scripts/testservers.sh run -- CMD...  install, start, run CMD with the
#                                         env exported, stop; exits with
#                                         CMD's status
#
# Servers:
#   versitygw v1.8.0  S3 gateway, posix backend   BYOB_TEST_S3_*
#   Azurite 3.37.0    Azure blob emulator          BYOB_TEST_AZURITE_*
# Fake GCS runs in-process inside the Go tests, not here.
# Browser:
#   Debian's chromium  headless, for the browser test  BYOB_TEST_CHROMIUM
#   (installed with apt-get when missing; 'run' exports its path)
#
# After 'start', '. .tools/run/env' exports the variables into a shell.
set -euo pipefail

readonly VERSITYGW_VERSION=v1.8.0
readonly AZURITE_VERSION=3.37.0

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
readonly ROOT
readonly TOOLS=$ROOT/.tools
readonly BIN=$TOOLS/bin
readonly RUN=$TOOLS/run
readonly VERSITYGW=$BIN/versitygw
readonly AZURITE_PKG=$TOOLS/node_modules/azurite
readonly AZURITE_MAIN=$AZURITE_PKG/dist/src/blob/main.js

# Test-only credentials. The S3 secret deliberately contains '/', '+' and
# '=' so that code building URLs or signatures must escape it properly.
readonly S3_ACCESS_KEY=byobtestak
readonly S3_SECRET_KEY='byob/test+secret=key'
# Azurite's well-known development account (public, documented by Microsoft).
readonly AZ_ACCOUNT=devstoreaccount1
readonly AZ_KEY='Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=='

readonly START_TIMEOUT=${BYOB_TESTSERVERS_TIMEOUT:-30} # seconds per server
readonly START_ATTEMPTS=5                               # ports tried per server

export PATH=/usr/local/go/bin:$PATH

log() { printf 'testservers: %s\n' "$*" >&2; }
die() {
	log "error: $*"
	exit 1
}

usage() {
	sed -n '2,21p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
	exit 2
}

# as_root runs a command as root, via sudo when needed and available.
as_root() {
	if [ "$(id -u)" -eq 0 ]; then
		"$@"
	elif command -v sudo >/dev/null 2>&1; then
		sudo "$@"
	else
		die "need root to run: $*"
	fi
}

# ---------------------------------------------------------------- install

versitygw_ok() {
	[ -x "$VERSITYGW" ] || return 1
	# 'versitygw --version' prints "git" for go-install builds, so ask the
	# Go build info instead: "mod github.com/versity/versitygw v1.8.0 ...".
	go version -m "$VERSITYGW" 2>/dev/null |
		awk '$1 == "mod" && $2 == "github.com/versity/versitygw" { print $3 }' |
		grep -qx -- "$VERSITYGW_VERSION"
}

install_versitygw() {
	command -v go >/dev/null 2>&1 || die "go not found (looked in PATH and /usr/local/go/bin)"
	if versitygw_ok; then
		log "versitygw $VERSITYGW_VERSION already installed"
		return
	fi
	log "building versitygw $VERSITYGW_VERSION (a cold build takes several minutes)..."
	mkdir -p "$BIN"
	GOBIN=$BIN GOFLAGS='' go install "github.com/versity/versitygw/cmd/versitygw@$VERSITYGW_VERSION"
	versitygw_ok || die "installed $VERSITYGW does not report version $VERSITYGW_VERSION"
}

azurite_ok() {
	[ -f "$AZURITE_PKG/package.json" ] && [ -f "$AZURITE_MAIN" ] || return 1
	[ "$(node -p 'require(process.argv[1]).version' "$AZURITE_PKG/package.json" 2>/dev/null)" = "$AZURITE_VERSION" ]
}

install_azurite() {
	if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
		log "node/npm not found; installing them with apt-get"
		as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q
		as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q nodejs npm
	fi
	local major
	major=$(node -p 'process.versions.node.split(".")[0]')
	if [ "$major" -lt 20 ]; then
		log "warning: node $(node --version) is old; Azurite $AZURITE_VERSION declares node >= 22 (20 is known to work)"
	fi
	if azurite_ok; then
		log "azurite $AZURITE_VERSION already installed"
		return
	fi
	log "installing azurite $AZURITE_VERSION with npm..."
	mkdir -p "$TOOLS"
	npm install --prefix "$TOOLS" --save-exact --no-audit --no-fund --loglevel=error \
		"azurite@$AZURITE_VERSION" >&2
	azurite_ok || die "installed azurite does not report version $AZURITE_VERSION"
}

# chromium_path prints the path of the browser the browser test drives.
chromium_path() { command -v chromium 2>/dev/null; }

# install_chromium installs Debian's chromium when it is missing. It is the
# distribution's build (no test tool downloads its own browser: this
# machine's network reaches only the package registries). Recommends are
# skipped: they pull in upower, udev and printer tools a headless browser
# never uses; fontconfig already brings a font (DejaVu) for screenshots.
install_chromium() {
	if chromium_path >/dev/null; then
		log "chromium already installed: $(chromium_path)"
		return
	fi
	log "chromium not found; installing Debian's chromium with apt-get (takes a minute or two)..."
	as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q >&2
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium >&2
	chromium_path >/dev/null || die "apt-get installed chromium, but it is not on PATH"
}

cmd_install() {
	mkdir -p "$TOOLS"
	# Serialise concurrent installs (e.g. two 'make test' in one checkout).
	if command -v flock >/dev/null 2>&1; then
		exec 9>"$TOOLS/.install.lock"
		flock 9
	fi
	install_versitygw
	install_azurite
	install_chromium
	if command -v flock >/dev/null 2>&1; then
		exec 9>&-
	fi
}

# ---------------------------------------------------------------- start/stop

# port_busy reports whether something accepts TCP connections on 127.0.0.1:$1.
port_busy() {
	(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# pick_port prints a random loopback port that nothing listens on, below the
# Linux ephemeral range so outgoing connections are unlikely to take it.
pick_port() {
	local p
	for _ in $(seq 1 100); do
		p=$((20000 + RANDOM % 12000))
		if ! port_busy "$p"; then
			echo "$p"
			return
		fi
	done
	die "no free loopback port found"
}

# alive reports whether PID $1 runs. Zombies count as dead: orphaned servers
# are re-parented to PID 1, which may be slow to reap them.
alive() {
	[ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null || return 1
	local state
	state=$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null) || return 0
	[ "${state%% *}" != Z ]
}

# marker_of prints a string that the command line of server $1 contains.
marker_of() {
	case $1 in
	versitygw) echo "$VERSITYGW" ;;
	azurite) echo "$AZURITE_MAIN" ;;
	esac
}

# our_pid reports whether PID $1 is alive and its command line contains $2,
# so a stale PID file never makes us kill an unrelated, recycled PID.
our_pid() {
	alive "$1" || return 1
	tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null | grep -qF -- "$2"
}

tail_log() {
	log "---- last lines of $1 ----"
	tail -n 25 "$1" >&2 2>/dev/null || true
	log "----"
}

# launch NAME LOGFILE CMD... starts CMD detached from our stdio and sets PID.
launch() {
	local name=$1 logf=$2
	shift 2
	(cd "$RUN" && exec "$@" </dev/null >"$logf" 2>&1) &
	PID=$!
	echo "$PID" >"$RUN/$name.pid"
}

# wait_ready NAME PID PORT LOGFILE: 0 when the port accepts connections,
# 1 when the process died (e.g. port taken), dies on timeout.
wait_ready() {
	local name=$1 pid=$2 port=$3 logf=$4 deadline=$((SECONDS + START_TIMEOUT))
	while [ "$SECONDS" -lt "$deadline" ]; do
		if ! alive "$pid"; then
			return 1
		fi
		if port_busy "$port"; then
			# Make sure it is our server that answers, not a port thief.
			sleep 0.2
			alive "$pid" && return 0
			return 1
		fi
		sleep 0.2
	done
	tail_log "$logf"
	stop_pid "$name" "$pid" "$(marker_of "$name")"
	die "$name did not accept connections on 127.0.0.1:$port within ${START_TIMEOUT}s (log: $logf)"
}

# start_server NAME CMD... starts server NAME running CMD, in which @PORT@
# is replaced by the chosen port. Sets PORT. Retries on another port when the
# server exits during start-up (most likely a port race).
start_server() {
	local name=$1 logf="$RUN/$1.log" attempt arg
	shift
	local -a argv
	for attempt in $(seq 1 "$START_ATTEMPTS"); do
		PORT=$(pick_port)
		argv=()
		for arg in "$@"; do argv+=("${arg//@PORT@/$PORT}"); done
		launch "$name" "$logf" "${argv[@]}"
		if wait_ready "$name" "$PID" "$PORT" "$logf"; then
			log "$name listening on 127.0.0.1:$PORT (pid $PID, log $logf)"
			return
		fi
		log "$name exited during start-up on port $PORT (attempt $attempt/$START_ATTEMPTS)"
		wait "$PID" 2>/dev/null || true
		cp "$logf" "$logf.failed" 2>/dev/null || true
	done
	tail_log "$logf.failed"
	die "$name failed to start after $START_ATTEMPTS attempts (log: $logf.failed)"
}

# shell_quote prints $1 quoted for POSIX sh.
shell_quote() { printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"; }

cmd_start() {
	[ -x "$VERSITYGW" ] || die "$VERSITYGW missing; run '$0 install' first"
	[ -f "$AZURITE_MAIN" ] || die "$AZURITE_MAIN missing; run '$0 install' first"
	if [ -d "$RUN" ]; then
		local name
		for name in versitygw azurite; do
			[ -f "$RUN/$name.pid" ] || continue
			if our_pid "$(cat "$RUN/$name.pid")" "$(marker_of "$name")"; then
				die "servers already running (see $RUN); run '$0 stop' first"
			fi
		done
		log "removing stale $RUN"
		rm -rf "$RUN"
	fi
	mkdir -p "$RUN/s3/data" "$RUN/s3/versions"
	# If start-up fails half-way, do not leave a server behind; keep the
	# logs for inspection (the next start or stop removes them).
	trap 'rc=$?; if [ "$rc" -ne 0 ]; then kill_servers; rm -f "$RUN/env"; fi' EXIT

	# Global flags must precede the 'posix' subcommand.
	start_server versitygw "$VERSITYGW" \
		--access "$S3_ACCESS_KEY" --secret "$S3_SECRET_KEY" \
		--port 127.0.0.1:@PORT@ --quiet \
		posix --versioning-dir "$RUN/s3/versions" "$RUN/s3/data"
	local s3_port=$PORT

	# Run main.js directly (not the azurite-blob wrapper) so that the PID is
	# the server's. --inMemoryPersistence cannot be combined with --location;
	# the working directory is $RUN in case anything is written anyway.
	start_server azurite node "$AZURITE_MAIN" \
		--loose --skipApiVersionCheck --disableTelemetry --inMemoryPersistence \
		--blobHost 127.0.0.1 --blobPort @PORT@
	local az_port=$PORT

	{
		echo "# Written by scripts/testservers.sh start; source it with '. $RUN/env'."
		echo "export BYOB_TEST_S3_ENDPOINT=$(shell_quote "127.0.0.1:$s3_port")"
		echo "export BYOB_TEST_S3_ACCESS_KEY=$(shell_quote "$S3_ACCESS_KEY")"
		echo "export BYOB_TEST_S3_SECRET_KEY=$(shell_quote "$S3_SECRET_KEY")"
		echo "export BYOB_TEST_AZURITE_ENDPOINT=$(shell_quote "http://127.0.0.1:$az_port")"
		echo "export BYOB_TEST_AZURITE_ACCOUNT=$(shell_quote "$AZ_ACCOUNT")"
		echo "export BYOB_TEST_AZURITE_KEY=$(shell_quote "$AZ_KEY")"
		if chromium_path >/dev/null; then
			echo "export BYOB_TEST_CHROMIUM=$(shell_quote "$(chromium_path)")"
		fi
	} >"$RUN/env.tmp"
	mv "$RUN/env.tmp" "$RUN/env"
	trap - EXIT
	log "servers started; environment in $RUN/env"
}

# stop_pid NAME PID MARKER: TERM, wait up to 10 s, then KILL.
stop_pid() {
	local name=$1 pid=$2 marker=$3
	our_pid "$pid" "$marker" || return 0
	kill -TERM "$pid" 2>/dev/null || true
	for _ in $(seq 1 50); do
		alive "$pid" || break
		sleep 0.2
	done
	if alive "$pid"; then
		log "$name (pid $pid) ignored SIGTERM; killing"
		kill -KILL "$pid" 2>/dev/null || true
		for _ in $(seq 1 25); do
			alive "$pid" || break
			sleep 0.2
		done
	fi
	# Reap it if it is our own child (start failing half-way).
	wait "$pid" 2>/dev/null || true
	alive "$pid" && log "warning: $name (pid $pid) still running"
	return 0
}

# kill_servers stops the servers named by PID files in $RUN.
kill_servers() {
	local name pid
	for name in versitygw azurite; do
		[ -f "$RUN/$name.pid" ] || continue
		pid=$(cat "$RUN/$name.pid" 2>/dev/null || true)
		stop_pid "$name" "$pid" "$(marker_of "$name")"
		rm -f "$RUN/$name.pid"
	done
}

cmd_stop() {
	kill_servers
	rm -rf "$RUN"
}

# cmd_run runs CMD in the foreground, so it keeps the terminal and Ctrl-C
# reaches it directly. A SIGTERM sent to this script alone is acted on once
# CMD exits (bash defers traps while a foreground child runs); either way the
# servers are stopped on exit.
cmd_run() {
	[ "${1:-}" = "--" ] && shift
	[ $# -gt 0 ] || usage
	cmd_install
	trap 'cmd_stop' EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	cmd_start
	# cmd_start resets the EXIT trap on success; arm it again.
	trap 'cmd_stop' EXIT
	# shellcheck source=/dev/null
	. "$RUN/env"
	local rc=0
	"$@" || rc=$?
	exit "$rc"
}

case ${1:-} in
install) cmd_install ;;
chromium) install_chromium ;;
start) cmd_start ;;
stop) cmd_stop ;;
run)
	shift
	cmd_run "$@"
	;;
*) usage ;;
esac
