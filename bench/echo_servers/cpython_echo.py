#!/usr/bin/env python3.11
"""A line echo server on CPython 3.11's asyncore/asynchat (the reference).

    python3.11 bench/echo_servers/cpython_echo.py [--port N] [--poll]

Terminator b"\\n"; each line is pushed back with its b"\\n" as one push(),
exactly as bench/echo_servers/chatframe_echo.cpp does. asyncore.loop uses
select() by default, poll() with --poll. Listens on 127.0.0.1 only, prints
"listening on 127.0.0.1:PORT", pins itself to CPU 0 (2+ CPUs), runs until
SIGINT/SIGTERM.
"""
import argparse
import os
import signal
import socket
import sys
import warnings

warnings.simplefilter("ignore", DeprecationWarning)
import asynchat  # noqa: E402
import asyncore  # noqa: E402


class EchoHandler(asynchat.async_chat):
    def __init__(self, sock, map_):
        super().__init__(sock, map=map_)
        self.set_terminator(b"\n")
        self.buf = []

    def collect_incoming_data(self, data):
        self.buf.append(data)

    def found_terminator(self):
        self.buf.append(b"\n")
        self.push(b"".join(self.buf))
        self.buf = []


class EchoServer(asyncore.dispatcher):
    def __init__(self, port, map_):
        super().__init__(map=map_)
        self.map_ = map_
        self.create_socket(socket.AF_INET, socket.SOCK_STREAM)
        self.set_reuse_addr()
        self.bind(("127.0.0.1", port))
        self.listen(128)

    def handle_accepted(self, sock, addr):
        EchoHandler(sock, self.map_)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--poll", action="store_true")
    args = ap.parse_args()
    if (os.cpu_count() or 1) >= 2:
        os.sched_setaffinity(0, {0})
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    signal.signal(signal.SIGINT, lambda *_: stop.append(1))
    map_ = {}
    server = EchoServer(args.port, map_)
    print(f"listening on 127.0.0.1:{server.socket.getsockname()[1]}", flush=True)
    while not stop and map_:
        asyncore.loop(timeout=0.2, use_poll=args.poll, map=map_, count=1)
    asyncore.close_all(map_)


if __name__ == "__main__":
    sys.exit(main())
