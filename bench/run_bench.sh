#!/usr/bin/env bash
# Runs chatframe-bench-framing and prints chatframe's throughput against the
# memchr/memcpy ceilings and the careless std::string baseline.
#
#   bench/run_bench.sh [--quick] [--build DIR] [extra google-benchmark flags...]
#
# --quick: a smoke run (min time 0.01 s, 4 KiB chunks only) that checks every
# benchmark runs and frames what it should; its figures mean little.
# A full run takes about 3 minutes (3 repetitions, medians).
# Results: bench/results/framing.json (bench/results/framing-quick.json for --quick).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
build="${CHATFRAME_BENCH_BUILD:-$root/build-bench}"
quick=0
extra=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --quick) quick=1 ;;
    --build) build="$2"; shift ;;
    *) extra+=("$1") ;;
  esac
  shift
done
bin="$build/bin/chatframe-bench-framing"
if [[ ! -x "$bin" ]]; then
  echo "no $bin; build it first:" >&2
  echo "  cmake -S $root -B $build -G Ninja -DCMAKE_BUILD_TYPE=Release -DCHATFRAME_BUILD_TESTS=OFF && ninja -C $build -j2 chatframe-bench-framing" >&2
  exit 1
fi
mkdir -p "$here/results"
out="$here/results/framing.json"
# The machine is shared and noisy: three repetitions, medians reported.
flags=(--benchmark_repetitions=3 --benchmark_report_aggregates_only=true)
if [[ $quick -eq 1 ]]; then
  flags=()
  out="$here/results/framing-quick.json"
  flags+=(--benchmark_min_time=0.01 '--benchmark_filter=chunk:4096')
fi
"$bin" "--benchmark_out=$out" --benchmark_out_format=json "${flags[@]}" "${extra[@]}"
echo
python3 "$here/ratio_table.py" "$out"
