# Helpers shared by bench/run_echo.sh and bench/run_http.sh (sourced).
#
# start_server LOGFILE CMD...: starts CMD in the background (its own process
# group is not needed: every server here is one process, or nginx's master
# which takes its worker with it), waits at most 10 s for "listening on
# 127.0.0.1:PORT" in LOGFILE, sets SERVER_PID and SERVER_PORT.
# stop_server: TERM, then KILL after 3 s, of SERVER_PID only.
# find_nginx: sets NGINX_BIN (empty when nginx is not installed).
# free_port: prints a free port on 127.0.0.1.
# write_nginx_conf DIR ROOT PORT WORKER_CONNECTIONS [TOP_LINES] [HTTP_LINES] [LISTEN_OPTIONS]:
# DIR/nginx.conf for one worker in the foreground serving ROOT on
# 127.0.0.1:PORT, every file it writes under DIR (run: nginx -p DIR -c DIR/nginx.conf).
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
find_nginx() {
  NGINX_BIN="$(command -v nginx || true)"
  if [[ -z "$NGINX_BIN" && -x /usr/sbin/nginx ]]; then NGINX_BIN=/usr/sbin/nginx; fi
  return 0
}
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
write_nginx_conf() {
  local dir="$1" root="$2" port="$3" conns="$4" top="${5:-}" http="${6:-}" listen="${7:-}"
  mkdir -p "$dir/logs"
  cat >"$dir/nginx.conf" <<CONF
worker_processes 1;
$top
daemon off;
pid $dir/nginx.pid;
error_log $dir/logs/error.log warn;
events { worker_connections $conns; }
http {
  access_log off;
  client_body_temp_path $dir/body;
  proxy_temp_path $dir/proxy;
  fastcgi_temp_path $dir/fastcgi;
  uwsgi_temp_path $dir/uwsgi;
  scgi_temp_path $dir/scgi;
  default_type text/plain;
  keepalive_requests 1000000;
  $http
  server {
    listen 127.0.0.1:$port$listen;
    root $root;
  }
}
CONF
}
