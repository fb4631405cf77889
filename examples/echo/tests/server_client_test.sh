#!/bin/sh
# The two halves as separate processes: the client must get its copy back.
set -eu
bin=$1 input=$2
out=$(mktemp)
trap 'kill $pid 2>/dev/null || true; rm -f "$out"' EXIT
timeout --foreground 10 "$bin" server 0 > "$out" &
pid=$!
port=
for _ in $(seq 1 100); do
  port=$(sed -n 's/^listening on 127\.0\.0\.1:\([0-9][0-9]*\)$/\1/p' "$out")
  [ -n "$port" ] && break
  sleep 0.05
done
[ -n "$port" ] || { echo "server did not report its port"; exit 1; }
log=$(timeout 10 "$bin" client 127.0.0.1 "$port" "$input")
printf '%s\n' "$log"
printf '%s\n' "$log" | grep -q 'RECEIVED COPY OF MESSAGE'
wait $pid
