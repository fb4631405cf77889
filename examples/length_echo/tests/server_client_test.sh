#!/bin/sh
# The server and the client as separate processes on loopback: the client
# must get every reply back, in order; both stop by themselves.
set -eu
. "$(dirname "$0")/../../tests/listening_port.sh"
bin=$1
out=$(mktemp)
trap 'kill $pid 2>/dev/null || true; rm -f "$out"' EXIT
timeout --foreground 20 "$bin" server > "$out" &
pid=$!
port=$(listening_port "$out")
[ -n "$port" ] || { echo "server did not report its port"; exit 1; }
log=$(timeout 20 "$bin" client --port "$port")
printf '%s\n' "$log"
printf '%s\n' "$log" | grep -q 'every reply came back, in order'
wait $pid
