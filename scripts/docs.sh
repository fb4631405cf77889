#!/usr/bin/env bash
# Builds the HTML reference (Doxyfile: framing/include, reactor/include,
# README.md as main page) into build/docs/html. Fails on any Doxygen warning.
#
#   bash scripts/docs.sh
set -euo pipefail
cd "$(dirname "$0")/.."
command -v doxygen >/dev/null || { echo "docs: doxygen not found" >&2; exit 2; }
mkdir -p build/docs
log=build/docs/doxygen-warnings.log
# WARN_AS_ERROR = FAIL_ON_WARNINGS makes doxygen exit non-zero; the log is
# also checked, for doxygen versions that do not know that value.
if ! doxygen Doxyfile 2> "$log"; then
  cat "$log" >&2
  echo "docs: doxygen failed" >&2
  exit 1
fi
if [ -s "$log" ]; then
  cat "$log" >&2
  echo "docs: $(wc -l < "$log") warning line(s)" >&2
  exit 1
fi
echo "docs: build/docs/html/index.html (no warnings)"
