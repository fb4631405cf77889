#!/bin/sh
# Runs `chatframe-echo demo FILE` and compares its log with the seed's,
# masking the port number (the OS chooses it).
set -eu
bin=$1 input=$2 expected=$3 backend=${4:-select}
mask() { sed -E "s/\('127\.0\.0\.1', [0-9]+\)/('127.0.0.1', PORT)/"; }
actual=$(timeout 10 "$bin" demo "$input" --backend "$backend" | mask)
want=$(mask < "$expected")
if [ "$actual" != "$want" ]; then
  echo "log differs from $expected (backend $backend):"
  printf '%s\n' "$want" > "${TMPDIR:-/tmp}/echo_want.$$"
  printf '%s\n' "$actual" > "${TMPDIR:-/tmp}/echo_got.$$"
  diff "${TMPDIR:-/tmp}/echo_want.$$" "${TMPDIR:-/tmp}/echo_got.$$" || true
  rm -f "${TMPDIR:-/tmp}/echo_want.$$" "${TMPDIR:-/tmp}/echo_got.$$"
  exit 1
fi
echo "log matches ($backend)"
