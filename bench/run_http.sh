#!/usr/bin/env bash
# chatframe-http against nginx serving the same 1 KiB file, measured with wrk.
#
#   bench/run_http.sh [--optional] [--quick] [--build DIR] [--duration S]
#
# Needs wrk and nginx (bench/setup_bench.sh installs them). Without them it
# says so and exits 1, or 0 with --optional. Both servers stay up for the
# whole run, each pinned to CPU 0 (nginx: one worker, generated config in a
# temp dir, 127.0.0.1 only, access_log off, keep-alive); wrk, on CPU 1, loads
# one then the other in each of --rounds rounds (default 5; --quick: 1), the
# order alternating: wrk -t1 -c16 -d<S>s --latency (default 5 s; --quick:
# 2 s), after one unrecorded 1 s wrk run against each (connections, page
# faults and caches warmed for both, as the echo load generator's warm-up
# does; without it, the first round's p99 was 1.6x the later rounds' in a run).
# A tail percentile from one run on a shared machine moves by 2x from
# run to run; the ratios of rounds run back to back, and their median, do
# not carry that drift. Prints each round, then the medians of requests/s,
# p50, p99 and of the per-round ratios; writes bench/results/http.json
# (http-quick.json).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
build="${CHATFRAME_BENCH_BUILD:-$root/build-bench}"
optional=0 quick=0 duration=5 rounds=5
while [[ $# -gt 0 ]]; do
  case "$1" in
    --optional) optional=1 ;;
    --quick) quick=1; duration=2; rounds=1 ;;
    --rounds) rounds="$2"; shift ;;
    --build) build="$2"; shift ;;
    --duration) duration="$2"; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
# shellcheck source=bench_lib.sh
source "$here/bench_lib.sh"
find_nginx
nginx_bin="$NGINX_BIN"
if ! command -v wrk >/dev/null || [[ -z "$nginx_bin" ]]; then
  echo "run_http: SKIPPED: wrk and/or nginx are missing (install them with bench/setup_bench.sh)"
  [[ $optional -eq 1 ]] && exit 0
  exit 1
fi
http_bin="$build/bin/chatframe-http"
[[ -x "$http_bin" ]] || { echo "no $http_bin: build it first (ninja -C $build chatframe-http)" >&2; exit 1; }
pin_server=() pin_client=()
if [[ "$(nproc)" -ge 2 ]] && command -v taskset >/dev/null; then
  pin_server=(taskset -c 0) pin_client=(taskset -c 1)
fi
tmp="$(mktemp -d)"
CF_PID="" NGINX_PID=""
stop_both() {
  SERVER_PID="$CF_PID"; stop_server; CF_PID=""
  SERVER_PID="$NGINX_PID"; stop_server; NGINX_PID=""  # TERM to nginx's master: its worker goes too
}
trap 'stop_both; rm -rf "$tmp"' EXIT
mkdir -p "$tmp/www" "$here/results"
chmod 755 "$tmp" "$tmp/www"  # nginx workers run as an unprivileged user
head -c 1024 /dev/zero | tr '\0' 'x' >"$tmp/www/file.txt"
out="$here/results/http.json"; [[ $quick -eq 1 ]] && out="$here/results/http-quick.json"

check_body() {  # the server really serves the file
  local got
  got="$(python3 - "$1" <<'PY'
import sys, urllib.request
print(len(urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/file.txt", timeout=5).read()))
PY
)" || return 1
  [[ "$got" == 1024 ]]
}
run_wrk() {  # PORT OUTFILE
  "${pin_client[@]}" timeout $((duration + 30)) wrk -t1 -c16 "-d${duration}s" --latency \
    "http://127.0.0.1:$1/file.txt" >"$2"
}

fail=0
# chatframe-http
cport=""
if start_server "$tmp/cf.log" "${pin_server[@]}" "$http_bin" --root "$tmp/www" --port 0; then
  CF_PID="$SERVER_PID"; SERVER_PID=""
  if check_body "$SERVER_PORT"; then cport="$SERVER_PORT"; else echo "chatframe-http: wrong body" >&2; fail=1; fi
else
  fail=1
fi
# nginx: one worker, foreground master, everything under the temp dir.
nport="$(free_port)"
chmod 644 "$tmp/www/file.txt"
write_nginx_conf "$tmp/nginx" "$tmp/www" "$nport" 1024
"${pin_server[@]}" "$nginx_bin" -p "$tmp/nginx" -c "$tmp/nginx/nginx.conf" >"$tmp/nginx.log" 2>&1 &
NGINX_PID=$!
ok=0
for _ in $(seq 1 50); do
  if check_body "$nport" 2>/dev/null; then ok=1; break; fi
  kill -0 "$NGINX_PID" 2>/dev/null || break
  sleep 0.1
done
if [[ $ok -ne 1 ]]; then
  echo "nginx did not start:" >&2; cat "$tmp/nginx.log" "$tmp/nginx/logs/error.log" >&2 2>/dev/null || true; fail=1
fi

# Rounds: wrk against one server, then the other, the order alternating.
if [[ -n "$cport" && $ok -eq 1 ]]; then
  for port in "$cport" "$nport"; do
    "${pin_client[@]}" timeout 30 wrk -t1 -c16 -d1s "http://127.0.0.1:$port/file.txt" >/dev/null ||
      { echo "run_http: warm-up wrk against port $port failed" >&2; fail=1; }
  done
  for ((round = 0; round < rounds; ++round)); do
    order=(chatframe nginx); (( round % 2 == 1 )) && order=(nginx chatframe)
    for who in "${order[@]}"; do
      port="$cport"; [[ "$who" == nginx ]] && port="$nport"
      run_wrk "$port" "$tmp/wrk-$who-$round.txt" || { echo "run_http: wrk against $who failed" >&2; fail=1; }
    done
  done
fi
stop_both

python3 - "$tmp" "$rounds" "$out" "$duration" <<'PY'
import json, os, re, statistics, sys, time
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
tmp, nrounds = sys.argv[1], int(sys.argv[2])
rounds = []
print(f"{'round':<7}{'server':<16}{'requests/s':>12}{'p50 us':>10}{'p99 us':>10}")
print("-" * 55)
bad = False
for i in range(nrounds):
    cf, ng = parse(f"{tmp}/wrk-chatframe-{i}.txt"), parse(f"{tmp}/wrk-nginx-{i}.txt")
    for name, r in (("chatframe-http", cf), ("nginx", ng)):
        if r:
            bad |= bool(r["non_2xx"])
            print(f"{i:<7}{name:<16}{r['requests_per_s']:>12.0f}{r['p50_us']:>10.0f}{r['p99_us']:>10.0f}"
                  + (f"  non-2xx: {r['non_2xx']}" if r["non_2xx"] else "") + (f"  {r['socket_errors']}" if r["socket_errors"] else ""))
    if cf and ng:
        rounds.append({"chatframe_http": cf, "nginx": ng,
                       "ratio_requests": cf["requests_per_s"] / ng["requests_per_s"],
                       "ratio_p99": cf["p99_us"] / ng["p99_us"] if cf["p99_us"] and ng["p99_us"] else None})
med = statistics.median
summary = None
if rounds:
    rr = [r["ratio_requests"] for r in rounds]
    rp = [r["ratio_p99"] for r in rounds if r["ratio_p99"]]
    summary = {"rounds": len(rounds), "median_ratio_requests": med(rr), "min_ratio_requests": min(rr),
               "max_ratio_requests": max(rr), "median_ratio_p99": med(rp) if rp else None,
               "min_ratio_p99": min(rp) if rp else None, "max_ratio_p99": max(rp) if rp else None}
    for who in ("chatframe_http", "nginx"):
        summary[who] = {k: med([r[who][k] for r in rounds]) for k in ("requests_per_s", "p50_us", "p99_us")}
    print()
    print(f"medians of {len(rounds)} rounds:")
    for who, label in (("chatframe_http", "chatframe-http"), ("nginx", "nginx")):
        m = summary[who]
        print(f"  {label:<16}{m['requests_per_s']:>12.0f} requests/s  p50 {m['p50_us']:.0f} us  p99 {m['p99_us']:.0f} us")
    print(f"chatframe/nginx per round: requests/s median {summary['median_ratio_requests']:.2f}x "
          f"(min {min(rr):.2f}x, max {max(rr):.2f}x)"
          + (f"; p99 median {summary['median_ratio_p99']:.2f}x (min {min(rp):.2f}x, max {max(rp):.2f}x; lower is better)"
             if rp else ""))
print(f"wrk -t1 -c16 -d{sys.argv[4]}s --latency, GET of a 1 KiB file, keep-alive; servers on CPU 0, wrk on CPU 1")
json.dump({"date": time.strftime("%Y-%m-%dT%H:%M:%S"), "rounds": rounds, "summary": summary,
           "chatframe_http": summary["chatframe_http"] if summary else None,
           "nginx": summary["nginx"] if summary else None,
           "ratio_requests": summary["median_ratio_requests"] if summary else None},
          open(sys.argv[3], "w"), indent=1)
sys.exit(0 if rounds and len(rounds) == nrounds and not bad else 1)
PY
[[ $? -eq 0 && $fail -eq 0 ]] || exit 1
echo "results: $out"
