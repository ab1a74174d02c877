#!/usr/bin/env bash
# Installs the fonts and tools that internal/pdfform needs and that are
# missing, from Debian packages:
#   fonts-cns11643-sung  TW-Sung (全字庫正宋體): TW-Sung-98_1.ttf is the
#                        primary font of the printed forms; TW-Sung-Ext-B and
#                        TW-Sung-Plus are its fallbacks for CJK Ext-B and the
#                        CNS 11643 characters mapped to plane 15
#   poppler-utils        pdftotext, pdftoppm and pdfinfo, used by the tests
#
# Run as root on Debian (apt-get). Elsewhere it says what is missing and
# exits 0: the pdfform tests then skip with a message, unless
# MULTICERT_REQUIRE_PDFTOOLS is set, when they fail. MULTICERT_PDF_FONT may
# name other font files instead (see internal/pdfform/README.md).
#
# Usage: scripts/fonts/install.sh [--check]
#   --check  only report what is missing; exit 1 when something is
set -euo pipefail

font_dir=/usr/share/fonts/truetype/cns11643

packages=()
[ -f "$font_dir/TW-Sung-98_1.ttf" ] || packages+=(fonts-cns11643-sung)
{ command -v pdftotext && command -v pdftoppm && command -v pdfinfo; } >/dev/null 2>&1 || packages+=(poppler-utils)

if [ ${#packages[@]} -eq 0 ]; then
	exit 0
fi
if [ "${1:-}" = --check ]; then
	echo "scripts/fonts/install.sh: not installed: ${packages[*]}" >&2
	exit 1
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
	echo "scripts/fonts/install.sh: installing ${packages[*]}" >&2
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >/dev/null
	apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
else
	echo "scripts/fonts/install.sh: not installed: ${packages[*]}" >&2
	echo "  install them as root with: apt-get install ${packages[*]}" >&2
	echo "  (or point MULTICERT_PDF_FONT at TW-Sung-98_1.ttf); the pdfform tests that need them will skip" >&2
fi
