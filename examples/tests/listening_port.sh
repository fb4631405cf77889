# Sourced by the example tests (sh or bash). listening_port FILE prints the
# port a server wrote to FILE as "listening on 127.0.0.1:PORT" (every example
# server prints that line once it listens), waiting up to 5 s for it; prints
# nothing if it never came.
listening_port() {
  for _ in $(seq 1 100); do
    p=$(sed -n 's/^listening on 127\.0\.0\.1:\([0-9][0-9]*\)$/\1/p' "$1")
    [ -n "$p" ] && { echo "$p"; return 0; }
    sleep 0.05
  done
}
