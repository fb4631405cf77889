#!/usr/bin/env bash
# chatframe against CPython 3.11's asynchat on the same framing workloads.
#
#   bench/compare_cpython.sh [--quick] [--build DIR] [--reuse]
#
# Runs bench/cpython_framing.py (8 MiB streams; --quick: 1 MiB, one pass) and
# chatframe-bench-framing filtered to the chatframe rows (64 MiB streams,
# 3 repetitions, medians; --quick: min time 0.01 s), both at 64 KiB and
# 4 KiB reads, then prints the speed-up per workload. --reuse takes the
# chatframe rows from an existing bench/results/framing.json instead.
# Results: bench/results/cpython_framing.json, bench/results/framing-chatframe.json
# (-quick suffix in quick mode).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
build="${CHATFRAME_BENCH_BUILD:-$root/build-bench}"
quick=0 reuse=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --quick) quick=1 ;;
    --reuse) reuse=1 ;;
    --build) build="$2"; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
py="$(command -v python3.11 || true)"
if [[ -z "$py" ]] || ! "$py" -c 'import asynchat' 2>/dev/null; then
  echo "compare_cpython: python3.11 with asynchat is needed" >&2
  exit 1
fi
bin="$build/bin/chatframe-bench-framing"
[[ -x "$bin" ]] || { echo "no $bin: build chatframe-bench-framing first" >&2; exit 1; }
mkdir -p "$here/results"
sfx=""; [[ $quick -eq 1 ]] && sfx="-quick"
cpy="$here/results/cpython_framing$sfx.json"
cf="$here/results/framing-chatframe$sfx.json"
if [[ $quick -eq 1 ]]; then
  "$py" "$here/cpython_framing.py" --size-mib 1 --min-time 0 --out "$cpy"
else
  "$py" "$here/cpython_framing.py" --size-mib 8 --min-time 0.5 --out "$cpy"
fi
if [[ $reuse -eq 1 && -f "$here/results/framing$sfx.json" ]]; then
  cf="$here/results/framing$sfx.json"
elif [[ $quick -eq 1 ]]; then
  "$bin" --benchmark_filter='^chatframe/' --benchmark_min_time=0.01 \
    "--benchmark_out=$cf" --benchmark_out_format=json >/dev/null
else
  "$bin" --benchmark_filter='^chatframe/' --benchmark_repetitions=3 --benchmark_report_aggregates_only=true \
    "--benchmark_out=$cf" --benchmark_out_format=json >/dev/null
fi
echo
python3 - "$cf" "$cpy" <<'PY'
import json, sys
def load(path):
    rows = {}
    for b in json.load(open(path))["benchmarks"]:
        if b.get("error_occurred"):
            continue
        if b.get("run_type") == "aggregate" and b.get("aggregate_name") != "median":
            continue
        name = b.get("run_name", b["name"])
        rows.setdefault(name, b)
        if b.get("run_type") == "aggregate":
            rows[name] = b
    return rows
cf, cp = load(sys.argv[1]), load(sys.argv[2])
print(f"{'workload':<14}{'chunk':>7}{'chatframe MB/s':>16}{'CPython MB/s':>14}{'chatframe Mfr/s':>17}{'CPython Mfr/s':>15}{'speed-up':>10}")
print("-" * 93)
missing = 0
for name, p in cp.items():
    _, term, length, chunk = name.split("/")
    c = cf.get(f"chatframe/{term}/{length}/{chunk}")
    if c is None:
        missing += 1
        continue
    sp = c["bytes_per_second"] / p["bytes_per_second"]
    cfr = c.get("frames", 0) / 1e6
    pfr = p.get("frames", 0) / 1e6
    print(f"{term + '/' + length:<14}{chunk[6:]:>7}{c['bytes_per_second'] / 1e6:>16.0f}{p['bytes_per_second'] / 1e6:>14.1f}"
          f"{cfr:>17.1f}{pfr:>15.2f}{sp:>9.1f}x")
print("speed-up = chatframe MB/s / CPython MB/s (same workload, same read size; chatframe 64 MiB stream,")
print("CPython 8 MiB). none/-: CPython hands the received bytes object over without copying, chatframe a view.")
sys.exit(1 if missing else 0)
PY
