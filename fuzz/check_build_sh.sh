#!/usr/bin/env bash
# fuzz/check_build_sh.sh [SECONDS] — for CI: runs .clusterfuzzlite/build.sh the
# way this Debian machine can (no Docker, no CFLAGS, Debian's libFuzzer), then
# checks that every expected file is in $OUT and runs each built fuzzer for
# SECONDS (default 3) over its unpacked seed corpus with its options and dict.
set -euo pipefail
seconds=${1:-3}
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
env -u CFLAGS -u CXXFLAGS CC=clang CXX=clang++ LIB_FUZZING_ENGINE=-fsanitize=fuzzer \
  OUT="$tmp/out" WORK="$tmp/work" .clusterfuzzlite/build.sh
status=0
for t in framer multi_framer frame_assembler length_field outbox scenario; do
  for f in "$t" "$t.options" "$t.dict" "${t}_seed_corpus.zip"; do
    [ -e "$tmp/out/$f" ] || { echo "missing \$OUT/$f"; status=1; }
  done
done
for bin in "$tmp"/out/*; do
  [ -f "$bin" ] && [ -x "$bin" ] || continue
  t=$(basename "$bin")
  mkdir -p "$tmp/run/$t"
  [ -f "$tmp/out/${t}_seed_corpus.zip" ] && unzip -q -o "$tmp/out/${t}_seed_corpus.zip" -d "$tmp/run/$t"
  flags=(-max_total_time="$seconds" -artifact_prefix="$tmp/run/")
  [ -f "$tmp/out/$t.dict" ] && flags+=(-dict="$tmp/out/$t.dict")
  if (cd "$tmp/out" && "$bin" "${flags[@]}" "$tmp/run/$t") >"$tmp/$t.log" 2>&1; then
    echo "ok   $t ($(grep -o 'exec/s: [0-9]*' "$tmp/$t.log" | tail -1 || true))"
  else
    echo "FAIL $t"; grep -m3 -E 'violated|DIFFER|ERROR: ' "$tmp/$t.log" || tail -5 "$tmp/$t.log"
    status=1
  fi
done
exit "$status"
