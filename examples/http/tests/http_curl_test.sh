#!/usr/bin/env bash
# Drives chatframe-http with curl over loopback: GET, HEAD, POST echo, 404,
# traversal, 400 (raw malformed request), 413 (head and body), keep-alive
# with two URLs in one curl call, and pipelining. Every step has a timeout.
set -euo pipefail
. "$(dirname "$0")/../../tests/listening_port.sh"
bin=$1 backend=${2:-epoll}
tmp=$(mktemp -d)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$tmp"; }
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }
# has [-i] PATTERN TEXT: grep TEXT from a here-string, never from a pipe. With
# pipefail, `echo "$x" | grep -q` fails at random: bash's echo writes line by
# line, grep -q exits at its first match, and echo's next line dies of SIGPIPE.
has() {
  local flags=-q
  if [ "$1" = -i ]; then flags=-qi; shift; fi
  grep "$flags" -- "$1" <<<"$2"
}

mkdir -p "$tmp/root/sub"
printf '<h1>hello</h1>\n' > "$tmp/root/index.html"
printf 'plain text\n' > "$tmp/root/sub/a.txt"
printf 'secret\n' > "$tmp/secret.txt"
head -c 100000 /dev/urandom > "$tmp/root/big.bin"

# Created before the server starts: the port poll below reads it, and under
# `set -e` a poll that ran before the background shell opened it would abort.
: > "$tmp/out"
# --foreground: the TERM sent below reaches the server once. Without it, timeout
# also signals its process group, and a second TERM that lands during
# LeakSanitizer's exit-time check (ASan builds) deadlocks the server.
timeout --foreground 50 "$bin" --root "$tmp/root" --port 0 --max-head 1024 --max-body 4096 --backend "$backend" > "$tmp/out" 2>"$tmp/err" &
pid=$!
port=$(listening_port "$tmp/out")
[ -n "$port" ] || fail "no port reported"
base="http://127.0.0.1:$port"
c() { curl -sS --max-time 5 "$@"; }

# GET: body and content-type
[ "$(c "$base/sub/a.txt")" = "plain text" ] || fail "GET body"
[ "$(c -o /dev/null -w '%{content_type}' "$base/sub/a.txt")" = "text/plain; charset=utf-8" ] || fail "GET type"
[ "$(c "$base/")" = "<h1>hello</h1>" ] || fail "GET index"
c -o "$tmp/big.out" "$base/big.bin"
cmp -s "$tmp/big.out" "$tmp/root/big.bin" || fail "GET big file"
echo "ok GET"

# HEAD: headers, no body
out=$(c -I "$base/sub/a.txt")
has '^HTTP/1.1 200' "$out" || fail "HEAD status: $out"
has -i '^Content-Length: 11' "$out" || fail "HEAD length: $out"
echo "ok HEAD"

# POST echo (small, and larger than curl's Expect: 100-continue threshold)
[ "$(c --data-binary 'ping=pong' "$base/echo")" = "ping=pong" ] || fail "POST echo"
head -c 3000 /dev/urandom | base64 -w0 | head -c 3000 > "$tmp/post"
c --data-binary @"$tmp/post" -H 'Expect: 100-continue' -o "$tmp/post.out" "$base/echo"
cmp -s "$tmp/post" "$tmp/post.out" || fail "POST 3000 echo"
echo "ok POST"

# 404, and traversal above the root
[ "$(c -o /dev/null -w '%{http_code}' "$base/missing")" = 404 ] || fail "404"
[ "$(c --path-as-is -o /dev/null -w '%{http_code}' "$base/../secret.txt")" = 404 ] || fail "traversal"
[ "$(c --path-as-is -o /dev/null -w '%{http_code}' "$base/sub/%2e%2e/%2e%2e/secret.txt")" = 404 ] || fail "encoded traversal"
echo "ok 404"

# 400: a raw malformed request
raw() {  # raw REQUEST-BYTES -> response
  exec 3<>"/dev/tcp/127.0.0.1/$port"
  printf "$1" >&3
  timeout 5 cat <&3 || true
  exec 3<&- 3>&-
}
resp=$(raw 'GARBAGE\r\n\r\n')
has '^HTTP/1.1 400' "${resp%%$'\n'*}" || fail "400 garbage: $resp"
resp=$(raw 'GET / HTTP/1.1\r\nBad Header\r\n\r\n')
has '^HTTP/1.1 400' "${resp%%$'\n'*}" || fail "400 header: $resp"
echo "ok 400"

# 413: head over --max-head, body over --max-body
big=$(head -c 2000 /dev/zero | tr '\0' 'x')
[ "$(c -o /dev/null -w '%{http_code}' -H "X-Big: $big" "$base/")" = 413 ] || fail "413 head"
head -c 5000 /dev/zero > "$tmp/toobig"
[ "$(c -o /dev/null -w '%{http_code}' --data-binary @"$tmp/toobig" "$base/echo")" = 413 ] || fail "413 body"
echo "ok 413"

# keep-alive: two URLs, one connection
c -v "$base/sub/a.txt" "$base/index.html" > "$tmp/ka.out" 2> "$tmp/ka.err"
grep -q 'Re-using existing connection\|Reusing existing connection' "$tmp/ka.err" || fail "keep-alive reuse"
[ "$(cat "$tmp/ka.out")" = "$(printf 'plain text\n<h1>hello</h1>')" ] || fail "keep-alive bodies"
echo "ok keep-alive"

# Connection: close honoured
verbose=$(c -v -H 'Connection: close' "$base/sub/a.txt" 2>&1 >/dev/null)
has -i '< Connection: close' "$verbose" || fail "Connection: close: $verbose"
echo "ok Connection: close"

# pipelining: three requests in one write, three responses in order
resp=$(raw 'GET /sub/a.txt HTTP/1.1\r\nHost: x\r\n\r\nPOST /e HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabcGET /index.html HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
[ "$(grep -o 'HTTP/1.1 200 OK' <<<"$resp" | wc -l)" = 3 ] || fail "pipelining: $resp"
has '^abcHTTP/1.1 200' "$resp" && has '<h1>hello</h1>' "${resp##*$'\n'}" || fail "pipelining bodies: $resp"
echo "ok pipelining"

kill -TERM "$pid"
wait "$pid" || fail "server exit status $?"
pid=
echo "all http checks passed ($backend)"
