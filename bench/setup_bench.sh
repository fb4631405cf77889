#!/usr/bin/env bash
# Installs what bench/run_http.sh compares against: wrk (the load generator)
# and nginx (the reference server); and pybind11, which only
# bench/python_binding_choice.sh builds with. Idempotent; needs root (apt-get).
# The project's main setup does not install these: only these comparisons
# need them, and bench/run_http.sh --optional skips cleanly without them.
#
# The Debian package may start an nginx service on port 80; the benchmark runs
# its own nginx from a generated config, so any service the install started is
# stopped again here.
set -euo pipefail
need=()
command -v wrk >/dev/null 2>&1 || need+=(wrk)
command -v nginx >/dev/null 2>&1 || [[ -x /usr/sbin/nginx ]] || need+=(nginx-light)
[[ -f /usr/include/pybind11/pybind11.h ]] || need+=(pybind11-dev python3-pybind11)
if [[ ${#need[@]} -gt 0 ]]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # nginx-light is gone from newer Debian releases; plain nginx is as good here.
  if ! apt-get install -y -qq "${need[@]}" >/dev/null; then
    need=("${need[@]/nginx-light/nginx}")
    apt-get install -y -qq "${need[@]}" >/dev/null
  fi
fi
# Leave no nginx service running (the package's postinst may start one).
if [[ -f /run/nginx.pid ]] || pgrep -x nginx >/dev/null 2>&1; then
  if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet nginx 2>/dev/null; then
    systemctl stop nginx || true
  fi
  if command -v service >/dev/null 2>&1; then service nginx stop >/dev/null 2>&1 || true; fi
  if [[ -f /run/nginx.pid ]]; then
    pid="$(cat /run/nginx.pid 2>/dev/null || true)"
    if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then kill -QUIT "$pid" || true; sleep 1; fi
  fi
fi
command -v wrk >/dev/null && { command -v nginx >/dev/null || [[ -x /usr/sbin/nginx ]]; } \
  && echo "setup_bench: wrk and nginx are installed" \
  || { echo "setup_bench: wrk or nginx still missing" >&2; exit 1; }
