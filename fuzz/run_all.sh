#!/usr/bin/env bash
# fuzz/run_all.sh [SECONDS] — build the fuzz preset if needed, then run every
# libFuzzer target for SECONDS (default 10) each, with its .dict, its .options
# and a copy of its corpus in a scratch dir (build/fuzz/run/<target>, kept
# between runs so the corpus grows; fuzz/coverage.sh reads it). Prints per
# target: exec/s, cov/ft (libFuzzer's final stats) and crashes. Crash inputs
# are saved to fuzz/crashes/<target>/ with a one-line reproduce command.
# Extra libFuzzer flags: FUZZ_FLAGS="-jobs=2 ..."; ASAN_OPTIONS is passed through.
set -euo pipefail
seconds=${1:-10}
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
build=build/fuzz
[ -f "$build/build.ninja" ] || cmake --preset fuzz >/dev/null
cmake --build --preset fuzz -j2 >/dev/null

# Passes the .options keys (all but dict, given explicitly) as -key=value.
options_flags() {
  [ -f "fuzz/$1.options" ] || return 0
  sed -n 's/^[[:space:]]*\([a-z_]*\)[[:space:]]*=[[:space:]]*\(.*[^[:space:]]\)[[:space:]]*$/\1 \2/p' "fuzz/$1.options" |
    while read -r key value; do [ "$key" = dict ] || printf -- '-%s=%s\n' "$key" "$value"; done
}

printf '%-22s %10s %8s %8s %8s  %s\n' target exec/s cov ft crashes reproduce
failed=0
for src in fuzz/*.cc; do
  t=$(basename "$src" .cc)
  [ "$t" != standalone_main ] || continue  # the coverage driver, not a target
  bin="$build/bin/$t"
  if [ ! -x "$bin" ]; then printf '%-22s (not built: see fuzz/CMakeLists.txt)\n' "$t"; continue; fi
  run="$build/run/$t"
  mkdir -p "$run/corpus" "$run/artifacts"
  rm -f "$run/artifacts/"*
  [ -d "fuzz/corpus/$t" ] && cp -n "fuzz/corpus/$t/"* "$run/corpus/" 2>/dev/null || true
  flags=(-max_total_time="$seconds" -print_final_stats=1 -artifact_prefix="$run/artifacts/")
  [ -f "fuzz/$t.dict" ] && flags+=(-dict="fuzz/$t.dict")
  mapfile -t opts < <(options_flags "$t")
  # shellcheck disable=SC2086
  "$bin" "${flags[@]}" "${opts[@]}" ${FUZZ_FLAGS:-} "$run/corpus" >"$run/log" 2>&1 || true
  execs=$(sed -n 's/^stat::average_exec_per_sec:[[:space:]]*//p' "$run/log" | tail -1 || true)
  cov=$(grep -o 'cov: [0-9]*' "$run/log" | tail -1 | cut -d" " -f2 || true)
  ft=$(grep -o 'ft: [0-9]*' "$run/log" | tail -1 | cut -d" " -f2 || true)
  crashes=0 repro=""
  for a in "$run/artifacts/"*; do
    [ -f "$a" ] || continue
    crashes=$((crashes + 1))
    mkdir -p "fuzz/crashes/$t"
    cp "$a" "fuzz/crashes/$t/"
    cp "$run/log" "fuzz/crashes/$t/$(basename "$a").log"
    repro="$bin fuzz/crashes/$t/$(basename "$a")"
  done
  [ "$crashes" -eq 0 ] || failed=1
  printf '%-22s %10s %8s %8s %8s  %s\n' "$t" "${execs:-?}" "${cov:-?}" "${ft:-?}" "$crashes" "$repro"
  if [ "$crashes" -ne 0 ]; then
    grep -m3 -E 'violated|DIFFER|ERROR: |SUMMARY' "$run/log" | sed 's/^/    /' | cut -c1-200
  fi
done
exit "$failed"
