#!/usr/bin/env bash
# chatframe-http against nginx serving the same 1 KiB file, measured with wrk.
#
#   bench/run_http.sh [--optional] [--quick] [--build DIR] [--duration S]
#
# Needs wrk and nginx (bench/setup_bench.sh installs them). Without them it
# says so and exits 1, or 0 with --optional. Each server is pinned to CPU 0
# (nginx: one worker, generated config in a temp dir, 127.0.0.1 only,
# access_log off, keep-alive), wrk to CPU 1: wrk -t1 -c16 -d<S>s --latency
# (default 10 s; --quick: 2 s). Prints requests/s, p50/p99 for both and the
# ratio; writes bench/results/http.json (http-quick.json).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
build="${CHATFRAME_BENCH_BUILD:-$root/build-bench}"
optional=0 quick=0 duration=10
while [[ $# -gt 0 ]]; do
  case "$1" in
    --optional) optional=1 ;;
    --quick) quick=1; duration=2 ;;
    --build) build="$2"; shift ;;
    --duration) duration="$2"; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
nginx_bin="$(command -v nginx || true)"
[[ -z "$nginx_bin" && -x /usr/sbin/nginx ]] && nginx_bin=/usr/sbin/nginx
if ! command -v wrk >/dev/null || [[ -z "$nginx_bin" ]]; then
  echo "run_http: SKIPPED: wrk and/or nginx are missing (install them with bench/setup_bench.sh)"
  [[ $optional -eq 1 ]] && exit 0
  exit 1
fi
http_bin="$build/bin/chatframe-http"
[[ -x "$http_bin" ]] || { echo "no $http_bin: build it first (ninja -C $build chatframe-http)" >&2; exit 1; }
# shellcheck source=bench_lib.sh
source "$here/bench_lib.sh"
pin_server=() pin_client=()
if [[ "$(nproc)" -ge 2 ]] && command -v taskset >/dev/null; then
  pin_server=(taskset -c 0) pin_client=(taskset -c 1)
fi
tmp="$(mktemp -d)"
trap 'stop_server; rm -rf "$tmp"' EXIT
mkdir -p "$tmp/www" "$here/results"
chmod 755 "$tmp" "$tmp/www"  # nginx workers run as an unprivileged user
head -c 1024 /dev/zero | tr '\0' 'x' >"$tmp/www/file.txt"
out="$here/results/http.json"; [[ $quick -eq 1 ]] && out="$here/results/http-quick.json"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
check_body() {  # the server really serves the file
  local got
  got="$(python3 - "$1" <<'PY'
import sys, urllib.request
print(len(urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/file.txt", timeout=5).read()))
PY
)" || return 1
  [[ "$got" == 1024 ]]
}
run_wrk() {  # PORT LABEL
  "${pin_client[@]}" timeout $((duration + 30)) wrk -t1 -c16 "-d${duration}s" --latency \
    "http://127.0.0.1:$1/file.txt" >"$tmp/wrk-$2.txt"
  cat "$tmp/wrk-$2.txt" >&2
}

fail=0
# chatframe-http
if start_server "$tmp/cf.log" "${pin_server[@]}" "$http_bin" --root "$tmp/www" --port 0; then
  if check_body "$SERVER_PORT"; then run_wrk "$SERVER_PORT" chatframe || fail=1; else echo "chatframe-http: wrong body" >&2; fail=1; fi
  stop_server
else
  fail=1
fi
# nginx: one worker, foreground master, everything under the temp dir.
nport="$(free_port)"
chmod 644 "$tmp/www/file.txt"
mkdir -p "$tmp/nginx/logs"
cat >"$tmp/nginx/nginx.conf" <<CONF
worker_processes 1;
daemon off;
pid $tmp/nginx/nginx.pid;
error_log $tmp/nginx/logs/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $tmp/nginx/body;
  proxy_temp_path $tmp/nginx/proxy;
  fastcgi_temp_path $tmp/nginx/fastcgi;
  uwsgi_temp_path $tmp/nginx/uwsgi;
  scgi_temp_path $tmp/nginx/scgi;
  default_type text/plain;
  keepalive_requests 1000000;
  server {
    listen 127.0.0.1:$nport;
    root $tmp/www;
  }
}
CONF
"${pin_server[@]}" "$nginx_bin" -p "$tmp/nginx" -c "$tmp/nginx/nginx.conf" >"$tmp/nginx.log" 2>&1 &
SERVER_PID=$!
ok=0
for _ in $(seq 1 50); do
  if check_body "$nport" 2>/dev/null; then ok=1; break; fi
  kill -0 "$SERVER_PID" 2>/dev/null || break
  sleep 0.1
done
if [[ $ok -eq 1 ]]; then
  run_wrk "$nport" nginx || fail=1
else
  echo "nginx did not start:" >&2; cat "$tmp/nginx.log" "$tmp/nginx/logs/error.log" >&2 2>/dev/null || true; fail=1
fi
stop_server  # TERM to the master: fast shutdown, worker included

python3 - "$tmp/wrk-chatframe.txt" "$tmp/wrk-nginx.txt" "$out" "$duration" <<'PY'
import json, os, re, sys, time
def us(v, unit):
    return float(v) * {"us": 1, "ms": 1e3, "s": 1e6}[unit]
def parse(path):
    if not os.path.exists(path):
        return None
    t = open(path).read()
    r = {"requests_per_s": float(re.search(r"Requests/sec:\s*([\d.]+)", t).group(1))}
    for q in ("50", "99"):
        m = re.search(rf"^\s*{q}(?:\.000)?%\s+([\d.]+)(us|ms|s)\s*$", t, re.M)
        r[f"p{q}_us"] = us(*m.groups()) if m else None
    m = re.search(r"Non-2xx or 3xx responses:\s*(\d+)", t)
    r["non_2xx"] = int(m.group(1)) if m else 0
    m = re.search(r"Socket errors:.*", t)
    r["socket_errors"] = m.group(0) if m else ""
    return r
cf, ng = parse(sys.argv[1]), parse(sys.argv[2])
print(f"{'server':<16}{'requests/s':>12}{'p50 us':>10}{'p99 us':>10}")
print("-" * 48)
for name, r in (("chatframe-http", cf), ("nginx", ng)):
    if r:
        print(f"{name:<16}{r['requests_per_s']:>12.0f}{r['p50_us']:>10.0f}{r['p99_us']:>10.0f}"
              + (f"  non-2xx: {r['non_2xx']}" if r["non_2xx"] else "") + (f"  {r['socket_errors']}" if r["socket_errors"] else ""))
if cf and ng:
    print(f"chatframe/nginx: requests/s {cf['requests_per_s'] / ng['requests_per_s']:.2f}x, "
          f"p99 {cf['p99_us'] / ng['p99_us']:.2f}x (lower is better)")
print(f"wrk -t1 -c16 -d{sys.argv[4]}s --latency, GET of a 1 KiB file, keep-alive; server on CPU 0, wrk on CPU 1")
json.dump({"date": time.strftime("%Y-%m-%dT%H:%M:%S"), "chatframe_http": cf, "nginx": ng,
           "ratio_requests": cf["requests_per_s"] / ng["requests_per_s"] if cf and ng else None},
          open(sys.argv[3], "w"), indent=1)
sys.exit(0 if cf and ng and not cf["non_2xx"] and not ng["non_2xx"] else 1)
PY
[[ $? -eq 0 && $fail -eq 0 ]] || exit 1
echo "results: $out"
