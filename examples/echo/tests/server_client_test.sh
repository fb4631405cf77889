#!/bin/sh
# The two halves as separate processes: every client must get its copy back.
#   1. `server 0` serves two clients in turn, then exits 0 on SIGTERM.
#   2. `server 0 --once` (the seed's server) exits 0 by itself after one client.
set -eu
. "$(dirname "$0")/../../tests/listening_port.sh"
bin=$1 input=$2
out=$(mktemp)
pid=
trap '[ -z "$pid" ] || kill "$pid" 2>/dev/null || true; rm -f "$out"' EXIT

# start ARGS...: starts the server in the background, sets $pid and $port.
start() {
  : > "$out"
  timeout --foreground 10 "$bin" server 0 "$@" > "$out" &
  pid=$!
  port=$(listening_port "$out")
  [ -n "$port" ] && return 0
  echo "server did not report its port"; exit 1
}
echo_once() {
  log=$(timeout 10 "$bin" client 127.0.0.1 "$port" "$input")
  printf '%s\n' "$log" | grep -q 'RECEIVED COPY OF MESSAGE' || { printf '%s\n' "$log"; exit 1; }
}

start
echo_once
echo_once
kill -TERM "$pid"
rc=0; wait "$pid" || rc=$?; pid=
[ "$rc" -eq 0 ] || { echo "server exited $rc on SIGTERM"; exit 1; }
echo "ok: two clients served, then SIGTERM"

start --once
echo_once
rc=0; wait "$pid" || rc=$?; pid=
[ "$rc" -eq 0 ] || { echo "--once server exited $rc"; exit 1; }
echo "ok: --once served one client and exited"
