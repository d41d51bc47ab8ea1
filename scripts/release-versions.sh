#!/usr/bin/env bash
# Usage: scripts/release-versions.sh vX.Y.Z
# A release commit names its own version in both actions: action.yml runs
# the image docker://ghcr.io/OWNER/stepgate:vX.Y.Z and run/action.yml
# downloads release vX.Y.Z. The release workflow runs this before
# publishing, so a tag can never point at actions that run another
# version. Without an argument it checks that the two agree.
set -euo pipefail
cd "$(dirname "$0")/.."
image=$(sed -n 's|^ *image: *docker://ghcr\.io/[^/]*/stepgate:\(v[^ "]*\).*|\1|p' action.yml)
binary=$(awk '/^  version:/ {f=1} f && /default:/ {print $2; exit}' run/action.yml)
[ -n "$image" ] || { echo "action.yml: no image: docker://ghcr.io/OWNER/stepgate:vX.Y.Z line" >&2; exit 1; }
[ -n "$binary" ] || { echo "run/action.yml: no default for input version" >&2; exit 1; }
if [ "$image" != "$binary" ]; then
	echo "action.yml runs $image but run/action.yml downloads $binary; make them the same release" >&2
	exit 1
fi
if [ $# -gt 0 ] && [ "$1" != "$image" ]; then
	echo "tag $1, but action.yml and run/action.yml name $image: bump both (and CHANGELOG.md) in the release commit" >&2
	exit 1
fi
grep -q "^## \[${image#v}\]" CHANGELOG.md || [ $# -eq 0 ] || { echo "CHANGELOG.md has no \"## [${image#v}]\" section" >&2; exit 1; }
echo "release version $image: action.yml and run/action.yml agree"
