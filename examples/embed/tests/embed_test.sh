#!/bin/sh
# embed_test.sh SERVER CLIENT — end-to-end test of one chatframe-embed-* server.
#   1. --port 0 --max-connections 7: six concurrent random-chunked echo
#      connections, then the backpressure client (8 MiB sent while not
#      reading); the server must exit 0 by itself after the 7th connection,
#      and must have paused reading at least once.
#   2. SIGTERM: a second server must exit 0 promptly when signalled.
# Exit 77 (ctest: skipped) when the server reports that its event loop cannot
# run here (io_uring refused by the kernel).
set -u
server=$1 client=$2
dir=$(mktemp -d)
pid=
trap 'if [ -n "$pid" ]; then kill "$pid" 2>/dev/null; fi; rm -rf "$dir"' EXIT

# start_server ARGS...: starts it in the background, sets $pid and $port.
start_server() {
  : > "$dir/out"
  # --foreground: a SIGTERM sent to timeout reaches the server once, not twice.
  timeout --foreground 40 "$server" --port 0 "$@" > "$dir/out" 2> "$dir/err" &
  pid=$!
  port=
  for _ in $(seq 1 200); do
    port=$(sed -n 's/^listening on 127\.0\.0\.1:\([0-9][0-9]*\)$/\1/p' "$dir/out")
    [ -n "$port" ] && return 0
    if ! kill -0 "$pid" 2>/dev/null; then
      wait "$pid"; rc=$?; pid=
      cat "$dir/out" "$dir/err"
      [ "$rc" -eq 77 ] && { echo "SKIPPED: server exited 77"; exit 77; }
      echo "FAIL: server exited $rc before listening"; exit 1
    fi
    sleep 0.05
  done
  echo "FAIL: server did not report its port"; exit 1
}

start_server --max-connections 7
"$client" 127.0.0.1 "$port" --connections 6 --timeout 15 || { cat "$dir/err"; echo "FAIL: echo client"; exit 1; }
"$client" 127.0.0.1 "$port" --backpressure --timeout 15 || { cat "$dir/err"; echo "FAIL: backpressure client"; exit 1; }
wait "$pid"; rc=$?; pid=
cat "$dir/out"; cat "$dir/err" >&2
[ "$rc" -eq 0 ] || { echo "FAIL: server exited $rc after --max-connections"; exit 1; }
stats=$(grep '^stats:' "$dir/out") || { echo "FAIL: no stats line"; exit 1; }
pauses=$(printf '%s\n' "$stats" | sed 's/.*pauses=\([0-9]*\).*/\1/')
completed=$(printf '%s\n' "$stats" | sed 's/.*completed=\([0-9]*\).*/\1/')
peak=$(printf '%s\n' "$stats" | sed 's/.*peak_backlog=\([0-9]*\).*/\1/')
[ "$completed" -eq 7 ] || { echo "FAIL: completed=$completed, want 7"; exit 1; }
[ "$pauses" -ge 1 ] || { echo "FAIL: the server never stopped reading (backpressure)"; exit 1; }
# Bounded: 1 MiB plus what one read batch can add (io_uring: the buffer ring).
[ "$peak" -le 4194304 ] || { echo "FAIL: backlog reached $peak bytes"; exit 1; }

start_server
sleep 0.2
kill -TERM "$pid"
wait "$pid"; rc=$?; pid=
[ "$rc" -eq 0 ] || { cat "$dir/err"; echo "FAIL: server exited $rc on SIGTERM"; exit 1; }
echo "PASS"
