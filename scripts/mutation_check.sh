#!/usr/bin/env bash
# scripts/mutation_check.sh [--all-tests] [--fuzz SECONDS] [PATCH...] — proves
# that the oracles catch planted bugs. Each framing/tests/mutations/*.patch (or each PATCH
# named) plants one bug in framing/; its header names the test binaries to
# rebuild ("# build:") and the tests that must fail ("# expect-fail:",
# entries binary=gtest_filter, every one of them must fail). For each patch
# the script applies it, rebuilds those binaries in $BUILD (default
# build/release, configured by the release preset), runs the expected
# tests, and reverts the patch, whatever happens. With --all-tests it runs
# the named binaries whole and lists every test that failed (to write a new
# patch's header). A mutation that no expected test catches is a failure of
# this check. The binaries are rebuilt from the reverted sources at the end.
# TIMEOUT (default 120) bounds each test run; a timeout counts as a failure.
# With --fuzz SECONDS, a patch whose header names fuzz targets ("# fuzz:")
# also has each of them built in build/fuzz (the fuzz preset) and run for at
# most SECONDS from a scratch copy of its corpus: the oracle must fail
# (libFuzzer's crash report; the input is kept under /tmp).
#
# Not part of scripts/test.sh: a dozen rebuilds of the header-only engine's
# tests take several minutes on two cores. framing/tests/MUTATIONS.md has the
# table of mutations, the tests that fail and how fast.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root" || exit 1
build=${BUILD:-build/release}
limit=${TIMEOUT:-120}  # seconds per test binary
all_tests=0 fuzz_seconds=0
while [ $# -gt 0 ]; do
  case "$1" in
    --all-tests) all_tests=1; shift ;;
    --fuzz) fuzz_seconds=$2; shift 2 ;;
    *) break ;;
  esac
done
patches=("$@")
[ "${#patches[@]}" -gt 0 ] || patches=(framing/tests/mutations/*.patch)
[ -f "$build/build.ninja" ] || cmake --preset release >/dev/null || exit 1

applied=""
revert() {
  if [ -n "$applied" ]; then
    git apply -R "$applied" || echo "COULD NOT REVERT $applied: restore framing/ by hand" >&2
    applied=""
  fi
}
trap 'revert; exit 130' INT TERM
trap revert EXIT

header() { sed -n "s/^# $1: //p" "$2" | head -1; }

escaped=()
all_built=()
all_fuzzed=()
for p in "${patches[@]}"; do
  name=$(basename "$p" .patch)
  read -r -a targets <<<"$(header build "$p")"
  read -r -a expect <<<"$(header expect-fail "$p")"
  if ! git apply --check "$p" 2>/dev/null; then
    echo "$name: does not apply (the code moved: update the patch)"
    escaped+=("$name (does not apply)")
    continue
  fi
  git apply "$p" && applied=$p
  all_built+=("${targets[@]}")
  if ! cmake --build "$build" -j2 --target "${targets[@]}" >"/tmp/mutation-$name.build.log" 2>&1; then
    echo "$name: caught at compile time (/tmp/mutation-$name.build.log)"
    revert
    continue
  fi
  runs=()
  if [ "$all_tests" = 1 ]; then
    for t in "${targets[@]}"; do runs+=("$t=*"); done
  else
    runs=("${expect[@]}")
  fi
  any_failed=0 all_failed=1
  for e in "${runs[@]}"; do
    bin=${e%%=*} filter=${e#*=}
    log="/tmp/mutation-$name.$bin.log"
    start=$(date +%s.%N)
    timeout "$limit" "$build/bin/$bin" --gtest_filter="$filter" >"$log" 2>&1
    rc=$?
    secs=$(echo "$(date +%s.%N) - $start" | bc)
    failed=$(sed -n 's/^\[  FAILED  \] \([A-Za-z0-9_./]*\) (\([0-9]* ms\)).*/\1 (\2)/p' "$log" | sort -u | tr '\n' ' ')
    if [ "$rc" = 0 ]; then
      all_failed=0
      printf '%s: %s passed (%.1f s)\n' "$name" "$bin=$filter" "$secs"
    else
      any_failed=1
      [ "$rc" = 124 ] && failed="(timed out after $limit s) $failed"
      printf '%s: %s failed in %.1f s: %s\n' "$name" "$bin" "$secs" "$failed"
    fi
  done
  fuzzers=()
  [ "$fuzz_seconds" -gt 0 ] && read -r -a fuzzers <<<"$(header fuzz "$p")"
  if [ "${#fuzzers[@]}" -gt 0 ]; then
    [ -f build/fuzz/build.ninja ] || cmake --preset fuzz >/dev/null
    if ! cmake --build build/fuzz -j2 --target "${fuzzers[@]}" >"/tmp/mutation-$name.fuzzbuild.log" 2>&1; then
      echo "$name: fuzz build failed (/tmp/mutation-$name.fuzzbuild.log)"
      all_failed=0
      fuzzers=()
    fi
    all_fuzzed+=("${fuzzers[@]}")
  fi
  for t in "${fuzzers[@]}"; do
    work="/tmp/mutation-$name.$t"
    rm -rf "$work" && mkdir -p "$work/corpus"
    cp fuzz/corpus/"$t"/* "$work/corpus/" 2>/dev/null
    # -timeout: a mutation that makes an input loop forever (13: a record of
    # no bytes never advances the run) is a failure found, reported in
    # seconds; libFuzzer's default waits 1200 s for one input.
    flags=(-max_total_time="$fuzz_seconds" -timeout=10 -artifact_prefix="$work/" -print_final_stats=1)
    [ -f "fuzz/$t.dict" ] && flags+=(-dict="fuzz/$t.dict")
    start=$(date +%s.%N)
    build/fuzz/bin/"$t" "${flags[@]}" "$work/corpus" >"$work.log" 2>&1
    rc=$?
    secs=$(echo "$(date +%s.%N) - $start" | bc)
    units=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work.log" | tail -1)
    # Caught only with a report: the oracle's, a sanitizer's or libFuzzer's
    # (a crash, a timeout, memory out). A run killed from outside, or dead
    # with no report, exits non-zero too, and says nothing of the mutation.
    why=$(grep -m1 -E 'violated|ERROR: ' "$work.log")
    if [ "$rc" = 0 ]; then
      all_failed=0
      printf '%s: fuzz %s passed %s s (%s runs)\n' "$name" "$t" "$fuzz_seconds" "$units"
    elif [ -z "$why" ]; then
      all_failed=0
      printf '%s: fuzz %s ended in %.1f s (exit %s) with no failure report: not counted (%s.log)\n' \
        "$name" "$t" "$secs" "$rc" "$work"
    else
      any_failed=1
      # libFuzzer's last status line before the report (not the stack's "#0").
      execs=$(grep -E '^#[0-9]+[[:space:]]+(INITED|NEW|REDUCE|pulse|RELOAD)' "$work.log" | tail -1 | grep -oE '^#[0-9]+')
      when="after about ${execs:-#0} execs"
      grep -q INITED "$work.log" || when="on an input of the committed corpus"
      printf '%s: fuzz %s failed in %.1f s, %s: %s\n' "$name" "$t" "$secs" "$when" "$why"
    fi
  done
  revert
  # Every expected test must fail; in --all-tests mode, any test.
  if [ "$all_tests" = 1 ]; then caught=$any_failed; else caught=$all_failed; fi
  [ "$caught" = 1 ] || escaped+=("$name")
done
trap - EXIT
if [ "${#all_built[@]}" -gt 0 ]; then
  mapfile -t rebuild < <(printf '%s\n' "${all_built[@]}" | sort -u)
  cmake --build "$build" -j2 --target "${rebuild[@]}" >/dev/null 2>&1 || echo "rebuild of the reverted sources failed"
fi
if [ "${#all_fuzzed[@]}" -gt 0 ]; then
  mapfile -t refuzz < <(printf '%s\n' "${all_fuzzed[@]}" | sort -u)
  cmake --build build/fuzz -j2 --target "${refuzz[@]}" >/dev/null 2>&1 || echo "rebuild of the fuzz targets failed"
fi
if [ -n "$(git status --porcelain -- framing/include framing/src)" ]; then
  echo "framing/ is not clean after the check: see git status"
  exit 1
fi
if [ "${#escaped[@]}" -gt 0 ]; then
  echo "NOT CAUGHT: ${escaped[*]}"
  exit 1
fi
echo "every mutation was caught"
