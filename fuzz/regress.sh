#!/usr/bin/env bash
# fuzz/regress.sh [SECONDS] — for CI. Builds the fuzz preset, replays every
# target over its committed corpus (fuzz/corpus/<target>/) and its regression
# inputs (fuzz/regressions/<target>/, if any), then fuzzes each target briefly
# (SECONDS, default 5) from a scratch copy of its corpus. Exits non-zero if
# any input crashes or violates an oracle.
set -uo pipefail
seconds=${1:-5}
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
build=build/fuzz
{ [ -f "$build/build.ninja" ] || cmake --preset fuzz >/dev/null; } && cmake --build --preset fuzz -j2 >/dev/null || exit 1
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
failed=()
for src in fuzz/*.cc; do
  t=$(basename "$src" .cc)
  [ "$t" != standalone_main ] || continue  # the coverage driver, not a target
  bin="$build/bin/$t"
  [ -x "$bin" ] || { echo "skip $t (not built)"; continue; }
  inputs=()
  for d in "fuzz/corpus/$t" "fuzz/regressions/$t"; do
    [ -d "$d" ] && while IFS= read -r -d '' f; do inputs+=("$f"); done < <(find "$d" -type f -print0)
  done
  if [ "${#inputs[@]}" -gt 0 ]; then
    if "$bin" "${inputs[@]}" >"$scratch/$t.replay.log" 2>&1; then
      echo "replay $t: ${#inputs[@]} inputs ok"
    else
      echo "replay $t: FAILED"; grep -m3 -E 'Running:|violated|DIFFER|ERROR: ' "$scratch/$t.replay.log" | tail -3
      failed+=("$t (replay)")
    fi
  fi
  mkdir -p "$scratch/$t/corpus"
  [ -d "fuzz/corpus/$t" ] && cp "fuzz/corpus/$t/"* "$scratch/$t/corpus/"
  flags=(-max_total_time="$seconds" -artifact_prefix="$scratch/$t/")
  [ -f "fuzz/$t.dict" ] && flags+=(-dict="fuzz/$t.dict")
  if "$bin" "${flags[@]}" "$scratch/$t/corpus" >"$scratch/$t.fuzz.log" 2>&1; then
    echo "fuzz $t: ${seconds}s ok"
  else
    echo "fuzz $t: FAILED"; grep -m3 -E 'violated|DIFFER|ERROR: ' "$scratch/$t.fuzz.log"
    for a in "$scratch/$t/"crash-* "$scratch/$t/"timeout-* "$scratch/$t/"oom-* "$scratch/$t/"leak-*; do
      [ -f "$a" ] || continue
      mkdir -p "fuzz/crashes/$t" && cp "$a" "fuzz/crashes/$t/"
      echo "  reproduce: $bin fuzz/crashes/$t/$(basename "$a")"
    done
    failed+=("$t (fuzz)")
  fi
done
if [ "${#failed[@]}" -gt 0 ]; then
  echo "FAILED: ${failed[*]}"
  exit 1
fi
echo "all fuzz targets passed"
