#!/usr/bin/env bash
# Every benchmark of bench/, one after the other, with their tables.
#
#   bench/run_all.sh [--quick] [--build DIR]
#
#   1. framing: chatframe vs memchr ceiling, careless, Boost.Asio  (run_bench.sh)
#   2. outbox:  offer()/consume() vs gather()/consume()           (chatframe-bench-outbox)
#      worst case: a 1 MiB delimiter's near misses in tiny chunks (chatframe-bench-worst-case)
#   3. CPython: the framing workloads through asynchat            (compare_cpython.sh)
#   4. echo:    chatframe reactor vs raw epoll vs CPython         (run_echo.sh)
#   5. HTTP:    chatframe-http vs nginx with wrk, if installed    (run_http.sh --optional)
#   6. embeddings: the same echo load on Asio, libuv, libevent, io_uring and the reactor (run_embed.sh)
#   7. python:  chatframe's Python package vs asynchat and asyncio (python_bench.py), if built
#   8. idle:    50,000 idle keep-alive connections, chatframe-http vs nginx (run_idle.sh --optional;
#               --quick: 1,000)
#   9. plot:    bench/results/framing.svg                         (plot.py)
#
# Builds the benchmark targets first in DIR (default build-bench; configure it
# with the cmake line that run_bench.sh prints). --quick is a smoke run
# (< 2 minutes) whose figures mean little; it and the full run exit 1 if any
# step failed. Results: bench/results/*.json (*-quick.json) and the SVG.
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
build="${CHATFRAME_BENCH_BUILD:-$root/build-bench}"
quick=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --quick) quick=1 ;;
    --build) build="$2"; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
export CHATFRAME_BENCH_BUILD="$build"
targets=(chatframe-bench-framing chatframe-bench-outbox chatframe-bench-worst-case chatframe-loadgen chatframe-echo-server raw-epoll-echo chatframe-http chatframe-idle-client chatframe-embed-asio chatframe-embed-libuv chatframe-embed-libevent chatframe-embed-io_uring)
if [[ ! -f "$build/build.ninja" ]]; then
  echo "run_all: configure $build first:" >&2
  echo "  cmake -S $root -B $build -G Ninja -DCMAKE_BUILD_TYPE=Release -DCHATFRAME_BUILD_TESTS=OFF" >&2
  exit 1
fi
# The Python module, where the build has it (CHATFRAME_BUILD_PYTHON).
python_module=0
# (grep reads all of ninja's list: with -q it would stop early and pipefail see SIGPIPE.)
if ninja -C "$build" -t targets all 2>/dev/null | grep '^chatframe_python:' >/dev/null; then
  python_module=1
  targets+=(chatframe_python)
fi
ninja -C "$build" -j2 "${targets[@]}" >/dev/null || { echo "run_all: build failed" >&2; exit 1; }
mkdir -p "$here/results"
q=(); sfx=""
[[ $quick -eq 1 ]] && { q=(--quick); sfx="-quick"; }
failed=()
start=$SECONDS
step() {  # NAME CMD...
  local name="$1"; shift
  echo
  echo "=== $name ($(date +%H:%M:%S)) ==="
  if ! "$@"; then failed+=("$name"); echo "=== $name FAILED ===" >&2; fi
}

step framing "$here/run_bench.sh" "${q[@]}"
outbox_flags=(--benchmark_repetitions=3 --benchmark_report_aggregates_only=true)
[[ $quick -eq 1 ]] && outbox_flags=(--benchmark_min_time=0.01)
outbox() {
  "$build/bin/chatframe-bench-outbox" "${outbox_flags[@]}" "--benchmark_out=$here/results/outbox$sfx.json" \
    --benchmark_out_format=json >/dev/null && python3 "$here/outbox_table.py" "$here/results/outbox$sfx.json"
}
step outbox outbox
# The time at n and 2n bytes (BM_near_misses) and their ratio in one run (BM_growth).
worst_case() {
  "$build/bin/chatframe-bench-worst-case" "${outbox_flags[@]}" \
    "--benchmark_out=$here/results/worst_case$sfx.json" --benchmark_out_format=json
}
step worst-case worst_case
if [[ $quick -eq 1 ]]; then
  step cpython "$here/compare_cpython.sh" --quick
else
  step cpython "$here/compare_cpython.sh" --reuse  # chatframe rows from step 1
fi
step echo "$here/run_echo.sh" "${q[@]}"
step embeddings "$here/run_embed.sh" "${q[@]}"
step http "$here/run_http.sh" --optional "${q[@]}"
if [[ $python_module -eq 1 ]]; then
  step python env PYTHONPATH="$build/python" "${CHATFRAME_PYTHON:-python3.11}" "$here/python_bench.py" \
    "${q[@]}" --json "$here/results/python$sfx.json"
fi
step idle "$here/run_idle.sh" --optional "${q[@]}"
if [[ $quick -eq 1 ]]; then
  step plot python3 "$here/plot.py" --framing "$here/results/framing-quick.json" \
    --cpython "$here/results/cpython_framing-quick.json" --chunk 4096 --out "$here/results/framing-quick.svg"
else
  step plot python3 "$here/plot.py"
fi
echo
echo "run_all: $((SECONDS - start)) s on $(lscpu | sed -n 's/^Model name: *//p' | head -n1), $(nproc) CPUs"
if [[ ${#failed[@]} -gt 0 ]]; then
  echo "run_all: FAILED: ${failed[*]}" >&2
  exit 1
fi
echo "run_all: every step ran; results in $here/results"
