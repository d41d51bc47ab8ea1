#!/usr/bin/env bash
# Downloads the stepgate release binary for this runner's OS and
# architecture, checks it against the release's checksums.txt and installs
# it. Used by the composite action (run/action.yml) on Linux, macOS and
# Windows runners (Git Bash), GitHub-hosted or self-hosted, ARC included.
# Nothing is run unless the SHA-256 matches.
#
# Environment:
#   STEPGATE_VERSION      release tag, e.g. v1.2.3 (required)
#   STEPGATE_RELEASE_URL  base of the release assets; default
#                         https://github.com/$STEPGATE_REPOSITORY/releases/download/$STEPGATE_VERSION
#                         (a file:// URL of a local release directory works too)
#   STEPGATE_REPOSITORY   owner/name of the release (the action's repository)
#   STEPGATE_INSTALL_DIR  where to put the binary (default $RUNNER_TEMP/stepgate-$STEPGATE_VERSION)
#   RUNNER_OS, RUNNER_ARCH  set by the runner (Linux|macOS|Windows, X64|ARM64)
# Prints the installed binary's path on stdout and, in a step, writes it to
# $GITHUB_OUTPUT as path=….
set -euo pipefail

die() { echo "stepgate install: $*" >&2; exit 1; }

version=${STEPGATE_VERSION:-}
[[ $version =~ ^v[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$ ]] || die "STEPGATE_VERSION=\"$version\" is not a release tag like v1.2.3"

case "${RUNNER_OS:-$(uname -s)}" in
	Linux) os=linux ;;
	macOS | Darwin) os=darwin ;;
	Windows | MINGW* | MSYS* | CYGWIN*) os=windows ;;
	*) die "unsupported OS ${RUNNER_OS:-$(uname -s)} (releases exist for Linux, macOS and Windows)" ;;
esac
case "${RUNNER_ARCH:-$(uname -m)}" in
	X64 | x86_64 | amd64) arch=amd64 ;;
	ARM64 | arm64 | aarch64) arch=arm64 ;;
	*) die "unsupported architecture ${RUNNER_ARCH:-$(uname -m)} (releases exist for X64 and ARM64)" ;;
esac
ext=""
[ "$os" = windows ] && ext=.exe
asset="stepgate_${version#v}_${os}_${arch}${ext}"

base=${STEPGATE_RELEASE_URL:-}
if [ -z "$base" ]; then
	[ -n "${STEPGATE_REPOSITORY:-}" ] || die "set STEPGATE_REPOSITORY (owner/name) or STEPGATE_RELEASE_URL"
	base="https://github.com/${STEPGATE_REPOSITORY}/releases/download/${version}"
fi
dir=${STEPGATE_INSTALL_DIR:-${RUNNER_TEMP:-/tmp}/stepgate-${version}}
mkdir -p "$dir"
tmp=$(mktemp -d "${RUNNER_TEMP:-/tmp}/stepgate-dl.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

fetch() { curl -fsSL --proto '=https,file' --retry 3 --retry-delay 2 -o "$2" "$1" || die "downloading $1 failed"; }
fetch "$base/checksums.txt" "$tmp/checksums.txt"
fetch "$base/$asset" "$tmp/$asset"

# checksums.txt: "<sha256>  <name>" per line (GoReleaser's format).
want=$(awk -v n="$asset" '$2 == n || $2 == "*" n { print $1 }' "$tmp/checksums.txt")
[ "$(printf '%s\n' "$want" | grep -c .)" = 1 ] || die "checksums.txt of $version has no single entry for $asset"
[[ $want =~ ^[0-9a-f]{64}$ ]] || die "checksums.txt of $version has a malformed entry for $asset"
if command -v sha256sum >/dev/null 2>&1; then
	got=$(sha256sum "$tmp/$asset" | awk '{print $1}')
else
	got=$(shasum -a 256 "$tmp/$asset" | awk '{print $1}')
fi
[ "$got" = "$want" ] || die "checksum mismatch for $asset: checksums.txt says $want, the download is $got; refusing to install it"

bin="$dir/stepgate${ext}"
mv "$tmp/$asset" "$bin"
chmod 0755 "$bin"
echo "stepgate install: $asset verified (sha256 $got)" >&2
if [ -n "${GITHUB_OUTPUT:-}" ]; then echo "path=$bin" >>"$GITHUB_OUTPUT"; fi
echo "$bin"
