#!/usr/bin/env bash
# The same client load against each event-loop embedding of the core and the
# built-in reactor: 100-byte '\n' lines, chatframe-loadgen with N connections
# (16 in flight each), server pinned to CPU 0, client to CPU 1, 127.0.0.1 only.
# Prints lines/s, p99 round trip and the server's peak RSS (VmHWM), and writes
# bench/results/embed.json.
#
#   bench/run_embed.sh [--quick] [--build DIR] [--duration S] [--conns N]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
build="${CHATFRAME_BENCH_BUILD:-$root/build/release}"
duration=5
conns=16
out="$here/results/embed.json"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --quick) duration=1; out="$here/results/embed-quick.json" ;;
    --build) build="$2"; shift ;;
    --duration) duration="$2"; shift ;;
    --conns) conns="$2"; shift ;;
    *) echo "usage: $0 [--quick] [--build DIR] [--duration S] [--conns N]" >&2; exit 2 ;;
  esac
  shift
done
bin="$build/bin"
# shellcheck source=bench/bench_lib.sh
source "$here/bench_lib.sh"
trap stop_server EXIT
pin=()
[[ "$(nproc)" -ge 2 ]] && pin=(taskset -c 0)

servers=(
  "reactor epoll (coalesce, nodelay)|chatframe-echo-server --backend epoll --coalesce --nodelay"
  "Boost.Asio|chatframe-embed-asio"
  "libuv|chatframe-embed-libuv"
  "libevent|chatframe-embed-libevent"
  "io_uring|chatframe-embed-io_uring"
  "raw epoll (no framing; ceiling)|raw-epoll-echo"
)
mkdir -p "$here/results"
tmp=$(mktemp -d)
rows=()
printf '%-34s %12s %10s %12s\n' server lines/s "p99 us" "peak RSS kB"
for entry in "${servers[@]}"; do
  name="${entry%%|*}"
  read -r -a cmd <<<"${entry#*|}"
  exe="$bin/${cmd[0]}"
  if [[ ! -x "$exe" ]]; then
    echo "run_embed: $exe missing: build the benchmarks and examples first" >&2
    exit 1
  fi
  if ! start_server "$tmp/server.log" "${pin[@]}" "$exe" "${cmd[@]:1}" --port 0; then
    if grep -q "skipping" "$tmp/server.log"; then  # io_uring refused by this kernel
      printf '%-34s %s\n' "$name" "skipped: $(head -n1 "$tmp/server.log")"
      rows+=("{\"server\":\"$name\",\"skipped\":true}")
      continue
    fi
    exit 1
  fi
  result=$("$bin/chatframe-loadgen" --port "$SERVER_PORT" --conns "$conns" --duration "$duration")
  rss=$(awk '/VmHWM/ {print $2}' "/proc/$SERVER_PID/status")
  stop_server
  python3 - "$name" "$rss" "$result" <<'PY'
import json, sys
name, rss, r = sys.argv[1], int(sys.argv[2]), json.loads(sys.argv[3])
if r.get("errors"):
    sys.exit("run_embed: %s: %d errors" % (name, r["errors"]))
print("%-34s %12.0f %10.0f %12d" % (name, r["lines_per_s"], r["p99_us"], rss))
PY
  rows+=("{\"server\":\"$name\",\"peak_rss_kb\":$rss,\"result\":$result}")
done
rm -rf "$tmp"
{
  printf '{"date":"%s","cpu":"%s","conns":%s,"duration":%s,"runs":[' "$(date -Is)" \
    "$(lscpu | sed -n 's/^Model name: *//p' | head -n1)" "$conns" "$duration"
  (IFS=,; printf '%s' "${rows[*]}")
  printf ']}\n'
} >"$out"
echo "results: $out"
