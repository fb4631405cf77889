#!/bin/sh
# The server and the client as separate processes on loopback: the client
# must get every reply back, in order; both stop by themselves.
set -eu
bin=$1
out=$(mktemp)
trap 'kill $pid 2>/dev/null || true; rm -f "$out"' EXIT
timeout --foreground 20 "$bin" server > "$out" &
pid=$!
port=
for _ in $(seq 1 100); do
  port=$(sed -n 's/^listening on 127\.0\.0\.1:\([0-9][0-9]*\)$/\1/p' "$out")
  [ -n "$port" ] && break
  sleep 0.05
done
[ -n "$port" ] || { echo "server did not report its port"; exit 1; }
log=$(timeout 20 "$bin" client --port "$port")
printf '%s\n' "$log"
printf '%s\n' "$log" | grep -q 'every reply came back, in order'
wait $pid
