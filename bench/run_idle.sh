#!/usr/bin/env bash
# Many idle keep-alive connections: chatframe-http (epoll) and nginx (one
# worker) in the same run, under the same load.
#
#   bench/run_idle.sh [--connections 50000] [--probes 2000] [--quick] [--optional] [--build DIR]
#
# For each server: chatframe-idle-client opens --connections connections from
# several 127.0.0.x source addresses (one address has ~28k ephemeral ports),
# makes one GET of a 1 KiB file on each and holds them idle; then it reads the
# server's RSS (nginx: master + worker) and times --probes requests, one after
# another, each on a new connection; and checks the server still holds every
# idle connection. Reported: RSS per held connection, p50/p99/max of a new
# client's request. Results: bench/results/idle.json (idle-quick.json).
#
# Limits: the script raises the descriptor limit (ulimit -n) to what the
# connections need. Without the privilege to raise the hard limit it runs as
# many connections as the hard limit allows (both servers the same number)
# and says so; the JSON keeps both figures. --quick: 1000 connections, 200
# probes (the CI smoke run). --optional: exit 0 when nginx is missing.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
build="${CHATFRAME_BENCH_BUILD:-$root/build-bench}"
connections=50000 probes=2000 quick=0 optional=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --connections) connections="$2"; shift ;;
    --probes) probes="$2"; shift ;;
    --quick) quick=1; connections=1000; probes=200 ;;
    --optional) optional=1 ;;
    --build) build="$2"; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
  shift
done

# shellcheck source=bench_lib.sh
source "$here/bench_lib.sh"
find_nginx
nginx_bin="$NGINX_BIN"
if [[ -z "$nginx_bin" ]]; then
  echo "run_idle: SKIPPED: nginx is missing (install it with bench/setup_bench.sh)"
  [[ $optional -eq 1 ]] && exit 0
  exit 1
fi
http_bin="$build/bin/chatframe-http"
client_bin="$build/bin/chatframe-idle-client"
for b in "$http_bin" "$client_bin"; do
  [[ -x "$b" ]] || { echo "no $b: build it first" >&2; exit 1; }
done

# Descriptors: the server holds one per connection, the client's workers
# (15,000 connections each) one each too.
requested=$connections
need=$((connections + 256))
hard=$(ulimit -Hn)
if [[ "$hard" != unlimited && "$hard" -lt "$need" ]]; then
  ulimit -Hn "$need" 2>/dev/null || true
  hard=$(ulimit -Hn)
fi
if [[ "$hard" != unlimited && "$hard" -lt "$need" ]]; then
  connections=$((hard - 256))
  echo "run_idle: the hard descriptor limit is $hard and cannot be raised here (CAP_SYS_RESOURCE):"
  echo "run_idle: running $connections connections instead of $requested, for both servers"
fi
ulimit -n "$hard"
sources=$((connections / 25000 + 2))

pin_server=() pin_client=()
if [[ "$(nproc)" -ge 2 ]] && command -v taskset >/dev/null; then
  pin_server=(taskset -c 0) pin_client=(taskset -c 1)
fi
tmp="$(mktemp -d)"
NGINX_PID=""
cleanup() {
  stop_server
  SERVER_PID="$NGINX_PID"; stop_server; NGINX_PID=""
  rm -rf "$tmp"
}
trap cleanup EXIT
mkdir -p "$tmp/www" "$here/results"
chmod 755 "$tmp" "$tmp/www"  # nginx's worker runs as an unprivileged user
head -c 1024 /dev/zero | tr '\0' 'x' >"$tmp/www/file.txt"
chmod 644 "$tmp/www/file.txt"
out="$here/results/idle.json"; [[ $quick -eq 1 ]] && out="$here/results/idle-quick.json"

hold() {  # NAME PORT PID... -> JSON on stdout
  local name="$1" port="$2"; shift 2
  local pids=()
  for p in "$@"; do pids+=(--pid "$p"); done
  "${pin_client[@]}" timeout 600 "$client_bin" --port "$port" --connections "$connections" \
    --sources "$sources" --probes "$probes" --path /file.txt "${pids[@]}" >"$tmp/$name.json" ||
    { echo "run_idle: $name: some connections or probes failed" >&2; cat "$tmp/$name.json" >&2; return 1; }
  cat "$tmp/$name.json"
}

fail=0
echo "run_idle: $connections idle keep-alive connections, $probes probes, $sources source addresses"
if start_server "$tmp/cf.log" "${pin_server[@]}" "$http_bin" --root "$tmp/www" --port 0 \
     --keepalive-timeout 600 --max-connections $((connections + 64)); then
  echo "chatframe-http: $(hold chatframe "$SERVER_PORT" "$SERVER_PID" || echo failed)" | tee "$tmp/cf.line"
  stop_server
else
  fail=1
fi

nport="$(free_port)"
# nginx drains idle keep-alive connections when fewer than 1/16 of its
# worker_connections are free: give it room so it holds all of them.
write_nginx_conf "$tmp/nginx" "$tmp/www" "$nport" $((2 * connections + 64)) \
  "worker_rlimit_nofile $hard;" "keepalive_timeout 600s;" " backlog=511"
"${pin_server[@]}" "$nginx_bin" -p "$tmp/nginx" -c "$tmp/nginx/nginx.conf" >"$tmp/nginx.log" 2>&1 &
NGINX_PID=$!
worker=""
for _ in $(seq 1 50); do
  worker="$(pgrep -P "$NGINX_PID" | head -n1 || true)"
  [[ -n "$worker" ]] && python3 -c "import socket; socket.create_connection(('127.0.0.1', $nport), 1)" 2>/dev/null && break
  sleep 0.1
done
if [[ -z "$worker" ]]; then
  echo "nginx did not start:" >&2; cat "$tmp/nginx.log" "$tmp/nginx/logs/error.log" >&2 2>/dev/null || true
  fail=1
else
  echo "nginx:          $(hold nginx "$nport" "$NGINX_PID" "$worker" || echo failed)" | tee "$tmp/ng.line"
fi
SERVER_PID="$NGINX_PID"; stop_server; NGINX_PID=""

python3 - "$tmp" "$out" "$requested" "$connections" "$hard" <<'PY' || fail=1
import json, sys, time
tmp, out, requested, ran, hard = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
res = {}
for name in ("chatframe", "nginx"):
    try:
        res[name] = json.load(open(f"{tmp}/{name}.json"))
    except Exception:
        res[name] = None
doc = {"date": time.strftime("%Y-%m-%d %H:%M"), "requested_connections": requested,
       "connections": ran, "nofile_hard_limit": hard, "servers": res}
cf, ng = res["chatframe"], res["nginx"]
if cf and ng:
    doc["rss_per_conn_ratio"] = cf["rss_per_conn_bytes"] / max(ng["rss_per_conn_bytes"], 1)
    doc["p99_ratio"] = cf["p99_us"] / max(ng["p99_us"], 1e-9)
    print(f"{ran} idle connections: RSS per connection {cf['rss_per_conn_bytes']:.0f} B (nginx "
          f"{ng['rss_per_conn_bytes']:.0f} B, {doc['rss_per_conn_ratio']:.2f}x); new client p99 "
          f"{cf['p99_us']/1000:.2f} ms (nginx {ng['p99_us']/1000:.2f} ms, {doc['p99_ratio']:.2f}x); "
          f"held after probing: {cf['alive_after']} / {ng['alive_after']}")
json.dump(doc, open(out, "w"), indent=1)
print(f"run_idle: results in {out}")
if not (cf and ng) or cf["failed"] or ng["failed"]:
    sys.exit(1)
PY
exit $fail
