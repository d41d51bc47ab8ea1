#!/usr/bin/env bash
# Container test (README "Testing"): runs the action's entrypoint in a
# container the way GitHub runs container actions, against a stand-in App
# on the host's loopback, and checks exit status, outputs and that nothing
# runs unless allowed.
#
# No image registry is reachable here, so the image is assembled from local
# parts: the static stepgate binary, a static busybox (Debian busybox-static)
# as /bin/sh and coreutils, and a static bash (Debian bash-static) when
# available, imported with `docker import`. (The release image is built from
# ./Dockerfile; see gate/action/README.md.)
#
# When no Docker engine answers, it starts a private dockerd (its own socket,
# data and exec root under a temp directory; no bridge, no iptables; stopped
# again at the end). With CI=true it first installs what is missing
# (docker.io, busybox-static, bash-static) with apt-get. Without a usable
# engine it prints "container test skipped: no Docker engine (why)" and exits
# 0 - except with CI=true, where a missing engine is a failure: a test that
# can silently skip in CI is not a test.
set -euo pipefail
cd "$(dirname "$0")/.."

STEP_TIMEOUT=${STEPGATE_CONTAINER_TIMEOUT:-90}
tmp=$(mktemp -d /tmp/stepgate-container.XXXXXX)
dockerd_pid="" stub_pid="" image="" name="stepgate-container-test-$$"
new_run_dirs=() # directories dockerd and containerd create at fixed paths
# under_tmp lists the processes whose command line names the temp directory:
# the private dockerd's containerd and its shims.
under_tmp() {
	local p
	for p in /proc/[0-9]*; do
		[ "${p#/proc/}" = "$$" ] && continue
		{ tr '\0' ' ' <"$p/cmdline"; } 2>/dev/null | grep -qF "$tmp/" && echo "${p#/proc/}"
	done
	return 0
}
cleanup() {
	set +e
	trap '' INT TERM # a second Ctrl-C must not cut the cleanup short
	timeout 30 docker rm -f "$name" >/dev/null 2>&1
	[ -n "$image" ] && timeout 30 docker image rm -f "$image" >/dev/null 2>&1
	[ -n "$stub_pid" ] && kill "$stub_pid" 2>/dev/null && wait "$stub_pid" 2>/dev/null
	if [ -n "$dockerd_pid" ]; then
		# Our own engine: whatever it still runs is ours.
		timeout 30 docker ps -aq | xargs -r timeout 30 docker rm -f >/dev/null 2>&1
		kill "$dockerd_pid" 2>/dev/null
		for _ in $(seq 1 150); do kill -0 "$dockerd_pid" 2>/dev/null || break; sleep 0.2; done
		if kill -0 "$dockerd_pid" 2>/dev/null; then
			echo "dockerd did not stop within 30s; killing it and what it started" >&2
			kill -9 "$dockerd_pid" 2>/dev/null
		fi
		wait "$dockerd_pid" 2>/dev/null
		for p in $(under_tmp); do kill -9 "$p" 2>/dev/null; done
		# dockerd leaves its network namespace mounted under the exec root.
		awk -v t="$tmp/" 'index($2, t) == 1 {print $2}' /proc/mounts 2>/dev/null | sort -r | while read -r m; do umount "$m"; done
		for d in "${new_run_dirs[@]}"; do rmdir "$d" 2>/dev/null; done # only if empty
	fi
	rm -rf "$tmp" 2>/dev/null
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

fail() { echo "container test FAILED: $*" >&2; exit 1; }
# no_engine: outside CI the test is skipped (loudly); with CI=true it fails.
no_engine() {
	[ "${CI:-}" = true ] && fail "no Docker engine: $* (CI=true: the container test must run in CI)"
	echo "container test skipped: no Docker engine ($*); with CI=true this is a failure"
	exit 0
}

engine_up() { timeout 10 docker info >/dev/null 2>&1; }

# start_dockerd runs a private engine: its own unix socket, data and exec
# root (no TCP listener), no bridge or iptables (the test uses --network
# host), vfs storage (works without overlayfs, e.g. nested in another
# container).
start_dockerd() {
	export DOCKER_HOST="unix://$tmp/docker.sock"
	mkdir -p "$tmp/docker-data" "$tmp/docker-exec"
	local d
	for d in /run/containerd/s /run/containerd /run/docker/plugins /run/docker; do
		[ -e "$d" ] || new_run_dirs+=("$d")
	done
	dockerd --host "$DOCKER_HOST" --data-root "$tmp/docker-data" --exec-root "$tmp/docker-exec" \
		--pidfile "$tmp/docker.pid" --bridge none --iptables=false --ip6tables=false --ip-masq=false \
		--storage-driver vfs >"$tmp/dockerd.log" 2>&1 &
	dockerd_pid=$!
	for _ in $(seq 1 60); do
		engine_up && return 0
		kill -0 "$dockerd_pid" 2>/dev/null || break
		sleep 0.5
	done
	echo "dockerd log (last lines):"; tail -n 5 "$tmp/dockerd.log" || true
	return 1
}

apt_install() { # apt_install PACKAGE... (waits up to a minute for another apt's lock)
	timeout 300 apt-get install -y --no-install-recommends -o DPkg::Lock::Timeout=60 "$@"
}

ensure_docker() {
	if command -v docker >/dev/null 2>&1 && engine_up; then return 0; fi
	if ! command -v dockerd >/dev/null 2>&1 || ! command -v docker >/dev/null 2>&1; then
		if [ "${CI:-}" = true ] && command -v apt-get >/dev/null 2>&1; then
			echo "no Docker engine; CI=true: installing docker.io busybox-static bash-static with apt-get"
			if ! apt_install docker.io busybox-static bash-static >"$tmp/apt.log" 2>&1 \
				&& ! { timeout 120 apt-get update >>"$tmp/apt.log" 2>&1 && apt_install docker.io busybox-static bash-static >>"$tmp/apt.log" 2>&1; }; then
				tail -n 3 "$tmp/apt.log"
				no_engine "dockerd or the docker client is not installed and apt-get install docker.io failed (see the lines above)"
			fi
		elif [ "${CI:-}" = true ]; then
			no_engine "dockerd or the docker client is not installed and there is no apt-get to install docker.io"
		else
			no_engine "docker info failed and dockerd or the docker client is not installed; install docker.io, or set CI=true to let this script apt-get install it"
		fi
	fi
	start_dockerd || no_engine "dockerd could not be started here (see the log lines above)"
}

ensure_docker
t_engine=$SECONDS
echo "docker engine: $(docker version --format '{{.Server.Version}}' 2>/dev/null || echo unknown) (ready after ${t_engine}s${dockerd_pid:+, private dockerd})"

# --- assemble the image -----------------------------------------------------
is_static() {
	[ -x "$1" ] || return 1
	local out; out=$(LC_ALL=C ldd "$1" 2>&1 || true)
	[[ $out == *"not a dynamic"* || $out == *"statically linked"* ]]
}
busybox=/bin/busybox
if ! is_static "$busybox" && [ "${CI:-}" = true ] && command -v apt-get >/dev/null 2>&1; then
	apt_install busybox-static >"$tmp/apt2.log" 2>&1 || true
fi
is_static "$busybox" || fail "no static busybox at /bin/busybox (apt-get install busybox-static)"

root="$tmp/rootfs"
mkdir -p "$root/bin" "$root/usr/local/bin" "$root/etc/ssl/certs" "$root/tmp" "$root/github/workspace" "$root/github/file_commands" "$root/root"
chmod 1777 "$root/tmp"
if [ -n "${STEPGATE_CONTAINER_BINARY:-}" ]; then # a prebuilt static binary
	cp "$STEPGATE_CONTAINER_BINARY" "$root/usr/local/bin/stepgate"
else
	echo "building the static stepgate binary"
	CGO_ENABLED=0 timeout 300 go build -trimpath -ldflags "-s -w" -o "$root/usr/local/bin/stepgate" ./cmd/stepgate
fi
cp "$busybox" "$root/bin/busybox"
for applet in $("$busybox" --list); do
	[ -e "$root/bin/$applet" ] || ln -s busybox "$root/bin/$applet"
done
shell=sh
if is_static /bin/bash-static; then
	rm -f "$root/bin/bash"; cp /bin/bash-static "$root/bin/bash"; shell=bash
fi
[ -f /etc/ssl/certs/ca-certificates.crt ] && cp /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/"
echo "root:x:0:0:root:/root:/bin/sh" >"$root/etc/passwd"
image="stepgate-container-test:$$"
tar -C "$root" -c . | timeout 120 docker import \
	--change 'ENTRYPOINT ["/usr/local/bin/stepgate", "action"]' \
	--change 'ENV PATH=/usr/local/bin:/usr/bin:/bin' - "$image" >/dev/null
t_image=$SECONDS
echo "image $image assembled (shell for the test: $shell) after $((t_image - t_engine))s"

# --- the stand-in App -------------------------------------------------------
timeout 300 go build -o "$tmp/stub" ./test/container/stub
"$tmp/stub" -url-file "$tmp/url" -log "$tmp/calls.jsonl" &
stub_pid=$!
for _ in $(seq 1 100); do [ -s "$tmp/url" ] && break; sleep 0.05; done
url=$(cat "$tmp/url")
echo "stand-in App at $url"

# gate runs the image like the runner does for a container action.
ws="$tmp/workspace" files="$tmp/file_commands"
mkdir -p "$ws" "$files"
gate() { # gate SERVER RUN
	: >"$files/output"
	set +e
	timeout "$STEP_TIMEOUT" docker run "${run_args[@]}" \
		--workdir /github/workspace \
		-v "$ws":/github/workspace -v "$files":/github/file_commands \
		-e GITHUB_ACTIONS=true -e CI=true -e GITHUB_WORKSPACE=/github/workspace \
		-e GITHUB_OUTPUT=/github/file_commands/output -e GITHUB_STEP_SUMMARY=/github/file_commands/summary \
		-e RUNNER_TEMP=/home/runner/work/_temp -e GITHUB_JOB=deploy -e GITHUB_ACTION=gate \
		-e GITHUB_SHA=0123456789abcdef0123456789abcdef01234567 -e GITHUB_EVENT_NAME=push \
		-e ACTIONS_ID_TOKEN_REQUEST_URL="$url/token" -e ACTIONS_ID_TOKEN_REQUEST_TOKEN=container-test \
		-e INPUT_SERVER="$1" -e INPUT_RUN="$2" -e INPUT_SHELL="$shell" -e INPUT_TIMEOUT=1m \
		-e INPUT_ENVIRONMENT=test -e INPUT_REASON="container test" \
		"$image" >"$tmp/gate.out" 2>&1
	code=$?
	set -e
	sed 's/^/    | /' "$tmp/gate.out"
}
run_args=(--rm --network host)
output() { awk -v k="$1" 'index($0, k"<<")==1 {d=substr($0, length(k)+3); getline; if ($0 != d) print $0; exit}' "$files/output"; }
runs() { if [ -f "$ws/marker" ]; then grep -c ran "$ws/marker" || true; else echo 0; fi; }

echo "1. allowed: runs once, exit status is the command's"
gate "$url" 'echo ran >> marker; id -u > uid; exit 4'
[ "$code" = 4 ] || fail "allowed: exit $code, want 4"
[ "$(runs)" = 1 ] || fail "allowed: ran $(runs) times, want 1"
[ "$(output status)" = allowed ] || fail "allowed: status output '$(output status)'"
[ "$(output exit-code)" = 4 ] || fail "allowed: exit-code output '$(output exit-code)'"
grep -q '"kind":"result"' "$tmp/calls.jsonl" || fail "allowed: no result reported"
[ -s "$files/summary" ] || fail "allowed: no job summary"

echo "2. rejected: nothing runs"
gate "$url" 'echo ran >> marker # stepgate-test-reject'
[ "$code" = 3 ] || fail "rejected: exit $code, want 3"
[ "$(runs)" = 1 ] || fail "rejected: the command ran"
[ "$(output status)" = rejected ] || fail "rejected: status output '$(output status)'"
grep -q '::error::' "$tmp/gate.out" || fail "rejected: no ::error:: line"

echo "3. App down (connection refused): fails closed after bounded retries"
gate "http://127.0.0.1:1" 'echo ran >> marker'
[ "$code" = 6 ] || fail "App down: exit $code, want 6"
[ "$(runs)" = 1 ] || fail "App down: the command ran"
grep -q 'cannot reach the stepgate App at http://127.0.0.1:1' "$tmp/gate.out" || fail "App down: message does not say why"

echo "4. cancelled workflow (docker stop: SIGTERM to the entrypoint) kills the running command"
rm -f "$ws/started"
run_args=(--network host --name "$name" -d)
gate "$url" 'touch started; sleep 60; echo ran >> marker'
for _ in $(seq 1 100); do [ -f "$ws/started" ] && break; sleep 0.1; done
[ -f "$ws/started" ] || { docker rm -f "$name" >/dev/null 2>&1; fail "cancel: the command never started"; }
start=$(date +%s)
timeout 30 docker stop -t 20 "$name" >/dev/null
code=$(timeout 10 docker wait "$name" || echo "unknown")
docker logs "$name" 2>&1 | sed 's/^/    | /'
docker rm -f "$name" >/dev/null 2>&1
[ $(( $(date +%s) - start )) -lt 15 ] || fail "cancel: the gate took too long to stop (docker had to SIGKILL it)"
[ "$code" = 143 ] || fail "cancel: exit $code, want 143 (the command's SIGTERM status)"
[ "$(runs)" = 1 ] || fail "cancel: the command went on after SIGTERM"

echo "container test passed in ${SECONDS}s (engine ${t_engine}s, image $((t_image - t_engine))s, stand-in and cases $((SECONDS - t_image))s)"
