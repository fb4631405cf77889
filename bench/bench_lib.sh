# Helpers shared by bench/run_echo.sh and bench/run_http.sh (sourced).
#
# start_server LOGFILE CMD...: starts CMD in the background (its own process
# group is not needed: every server here is one process, or nginx's master
# which takes its worker with it), waits at most 10 s for "listening on
# 127.0.0.1:PORT" in LOGFILE, sets SERVER_PID and SERVER_PORT.
# stop_server: TERM, then KILL after 3 s, of SERVER_PID only.
SERVER_PID=""
SERVER_PORT=""
start_server() {
  local log="$1"; shift
  : >"$log"
  "$@" >"$log" 2>&1 &
  SERVER_PID=$!
  SERVER_PORT=""
  local i
  for i in $(seq 1 100); do
    SERVER_PORT="$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9][0-9]*\).*/\1/p' "$log" | head -n1)"
    [[ -n "$SERVER_PORT" ]] && return 0
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.1
  done
  echo "server did not start: $*" >&2
  cat "$log" >&2
  stop_server
  return 1
}
stop_server() {
  [[ -z "$SERVER_PID" ]] && return 0
  if kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    local i
    for i in $(seq 1 30); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$SERVER_PID" 2>/dev/null && kill -KILL "$SERVER_PID" 2>/dev/null || true
  fi
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=""
}
