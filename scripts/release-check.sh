#!/usr/bin/env bash
# Checks the release configuration and the composite action's installer:
#   1. `goreleaser check` (.goreleaser.yaml is valid for GoReleaser v2.15.1);
#   2. a snapshot release build: every binary and archive of a real release,
#      checksums.txt, no publishing (images and SBOMs need Docker buildx and
#      syft, which only the release workflow has);
#   3. run/install.sh against that local release directory: the binary with a
#      good checksum installs and runs; a tampered binary, or a checksums.txt
#      without its entry, is refused and nothing is installed;
#   4. action.yml and run/action.yml name the same release.
# scripts/test.sh runs this (times in BENCHMARKS.md).
set -euo pipefail
cd "$(dirname "$0")/.."

tmp=$(mktemp -d /tmp/stepgate-release.XXXXXX)
dist=$tmp/dist
trap 'rm -rf "$tmp"' EXIT
fail() { echo "release check FAILED: $*" >&2; exit 1; }

scripts/release-versions.sh

# Built once (go install caches the build like go run, and links once).
GOBIN="$tmp/bin" go install github.com/goreleaser/goreleaser/v2@v2.15.1
GORELEASER=("$tmp/bin/goreleaser")

# The configuration as is, plus what a release takes from its surroundings:
# the GitHub repository (there, from the origin remote; a CI clone has none
# on GitHub) and a temporary dist directory.
awk '{ print } /^release:$/ { print "  github: { owner: stepgate, name: stepgate }" }' .goreleaser.yaml >"$tmp/goreleaser.yaml"
echo "dist: $dist" >>"$tmp/goreleaser.yaml"

echo "goreleaser check"
"${GORELEASER[@]}" check -f "$tmp/goreleaser.yaml"

echo "goreleaser release --snapshot"
"${GORELEASER[@]}" release -f "$tmp/goreleaser.yaml" --snapshot --clean --skip=docker,sbom,sign >"$tmp/goreleaser.log" 2>&1 \
	|| { tail -n 30 "$tmp/goreleaser.log"; fail "snapshot build"; }
rel=$tmp/release
read -r version count < <(node scripts/release-dir.mjs "$dist" "$rel")
[ -s "$rel/checksums.txt" ] || fail "no checksums.txt"
for os in linux darwin windows; do
	for arch in amd64 arm64; do
		ext=""; [ $os = windows ] && ext=.exe
		[ -f "$rel/stepgate_${version#v}_${os}_${arch}$ext" ] || fail "no bare binary for $os/$arch"
		a="$rel/stepgate_${version#v}_${os}_${arch}"
		[ -f "$a.tar.gz" ] || [ -f "$a.zip" ] || fail "no archive for $os/$arch"
		grep -q " stepgate_${version#v}_${os}_${arch}$ext\$" "$rel/checksums.txt" || fail "checksums.txt lacks $os/$arch"
	done
done
bin=$rel/stepgate_${version#v}_linux_amd64
echo "snapshot $version: $count release files, $(grep -c . "$rel/checksums.txt") checksummed"

try_install() { # dir, base
	STEPGATE_VERSION=$version STEPGATE_RELEASE_URL="file://$2" STEPGATE_INSTALL_DIR="$1" \
		RUNNER_OS=Linux RUNNER_ARCH=X64 GITHUB_OUTPUT="" run/install.sh
}

echo "install.sh: good checksum"
path=$(try_install "$tmp/good" "$rel")
"$path" version | grep -qx "stepgate $version" || fail "the installed binary says $("$path" version)"

echo "install.sh: tampered binary"
mkdir -p "$tmp/bad"
cp "$rel/checksums.txt" "$tmp/bad/"
cp "$bin" "$tmp/bad/"
printf 'x' >>"$tmp/bad/$(basename "$bin")"
if try_install "$tmp/bad-install" "$tmp/bad" 2>"$tmp/err"; then fail "a tampered binary was installed"; fi
grep -q "checksum mismatch" "$tmp/err" || { cat "$tmp/err"; fail "no checksum mismatch message"; }
[ ! -e "$tmp/bad-install/stepgate" ] || fail "the tampered binary was left installed"

echo "install.sh: no checksum entry"
mkdir -p "$tmp/nosum"
cp "$bin" "$tmp/nosum/"
grep -v "$(basename "$bin")\$" "$rel/checksums.txt" >"$tmp/nosum/checksums.txt"
if try_install "$tmp/nosum-install" "$tmp/nosum" 2>"$tmp/err"; then fail "a binary without a checksum entry was installed"; fi
grep -q "no single entry" "$tmp/err" || { cat "$tmp/err"; fail "no missing-entry message"; }
echo "release check passed"
