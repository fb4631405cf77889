#!/usr/bin/env bash
# Builds the HTML reference (Doxyfile: framing/include, reactor/include,
# README.md as main page) into OUT_DIR/html (default build/docs/html). Fails on
# any Doxygen warning, an undocumented public declaration included
# (EXTRACT_ALL=NO, WARN_IF_UNDOCUMENTED=YES).
#
#   bash scripts/docs.sh [OUT_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
command -v doxygen >/dev/null || { echo "docs: doxygen not found" >&2; exit 2; }
out=${1:-build/docs}
mkdir -p "$out"
log=$out/doxygen-warnings.log
# WARN_AS_ERROR = FAIL_ON_WARNINGS makes doxygen exit non-zero; the log is
# also checked, for doxygen versions that do not know that value.
if ! { cat Doxyfile; echo "OUTPUT_DIRECTORY = $out"; } | doxygen - 2> "$log"; then
  cat "$log" >&2
  echo "docs: doxygen failed" >&2
  exit 1
fi
if [ -s "$log" ]; then
  cat "$log" >&2
  echo "docs: $(wc -l < "$log") warning line(s)" >&2
  exit 1
fi
# The README's plot is copied beside the main page (IMAGE_PATH) and shown.
if [ ! -s "$out/html/framing.svg" ] || ! grep -q '"framing.svg"' "$out/html/index.html"; then
  echo "docs: the README's plot is not in the generated pages (IMAGE_PATH)" >&2
  exit 1
fi
echo "docs: $out/html/index.html (no warnings)"
