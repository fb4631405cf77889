#!/usr/bin/env python3
"""Every chatframe tool, run with bad arguments: each case checks the exit
status (0 after --help, 2 for a bad command line, 1 for a runtime error) and
that stderr names what was wrong.

    bad_arguments_test.py DATA_FILE NAME=PATH ...

NAME is a tool's target name, PATH its executable; the build passes every
tool it built. A tool given here without cases, or a case whose tool was not
given, fails the run, so a new tool cannot go untested by accident.
"""

import os
import re
import socket
import subprocess
import sys

HELP = ("--help",)


def cases(data, refused, in_use):
    """(tool, args, status, regex that stderr must match; for --help, stdout)."""
    r, u = str(refused), str(in_use)
    port_cases = lambda prefix, lo=0: [  # noqa: E731
        (prefix + ["99999"], 2, r"'99999' is out of range %d\.\.65535" % lo),
        (prefix + ["-1"], 2, r"'-1' is not a decimal number"),
        (prefix + ["8080x"], 2, r"'8080x' is not a decimal number"),
        (prefix + ["0x50"], 2, r"'0x50' is not a decimal number"),
    ]
    server_cases = lambda extra: [  # noqa: E731
        *[(args, st, rx) for args, st, rx in port_cases(["--port"])],
        (["--port"], 2, r"--port"),
        (["--port", "0", "--bogus"], 2, r"not expected: --bogus"),
        (["--port", "0", "junk"], 2, r"not expected: junk"),
        (["--port", u] + extra, 1, r"cannot listen on 127\.0\.0\.1:%s: Address already in use" % u),
    ]
    bench_suite = [(["--bogus"], 2, r"unrecognized command-line flag: --bogus")]
    embed_server = [
        *[(args, st, rx) for args, st, rx in port_cases(["--port"])],
        (["--max-connections", "-1"], 2, r"--max-connections: '-1' is not a decimal number"),
        (["--port", "0", "junk"], 2, r"not expected: junk"),
        (["--port", u], 1, r"(?im)^chatframe-embed-\w+: (bind|listen): Address already in use"),
    ]
    return {
        "chatframe-echo": [
            ([], 2, r"a command is required: demo, server or client"),
            (["bogus"], 2, r"not expected: bogus"),
            (["server"], 2, r"PORT is required"),
            *port_cases(["server"]),
            (["server", "0", "--bogus"], 2, r"not expected: --bogus"),
            (["server", "0", "junk"], 2, r"not expected: junk"),
            (["server", "0", "--backend", "bogus"], 2,
             r"--backend: 'bogus' is not a backend \(select, poll or epoll\)"),
            (["server", u], 1, r"cannot listen on 127\.0\.0\.1:%s: Address already in use" % u),
            (["demo", "/nonexistent/lorem.txt"], 2, r"File does not exist: /nonexistent/lorem\.txt"),
            (["demo", data, data], 2, r"not expected: " + re.escape(data)),
            (["client", "1.2.3", "7", data], 2, r"HOST: '1\.2\.3' is not a dotted IPv4 address"),
            (["client", "127.0.0.1", "0", data], 2, r"PORT: '0' is out of range 1\.\.65535"),
            (["client", "127.0.0.1", r, data], 1,
             r"cannot connect to 127\.0\.0\.1:%s: Connection refused" % r),
        ],
        "chatframe-http": [
            ([], 2, r"--root is required"),
            (["--root", "/"], 2, r"--port is required"),
            (["--root", "/nonexistent", "--port", "0"], 2, r"Directory does not exist: /nonexistent"),
            *port_cases(["--root", "/", "--port"]),
            (["--root", "/", "--port", "0", "junk"], 2, r"not expected: junk"),
            (["--root", "/", "--port", "0", "--bogus", "1"], 2, r"not expected: .*--bogus"),
            (["--root", "/", "--port", "0", "--max-head", "0"], 2, r"--max-head: '0' is out of range"),
            (["--root", "/", "--port", "0", "--max-body", "1k"], 2, r"--max-body: '1k' is not a decimal"),
            (["--root", "/", "--port", "0", "--backend", "kqueue"], 2, r"'kqueue' is not a backend"),
            (["--root", "/", "--port", "0", "--header-timeout", "1m"], 2,
             r"--header-timeout: '1m' is not a number"),
            (["--root", "/", "--port", "0", "--keepalive-timeout", "-5"], 2,
             r"--keepalive-timeout: '-5' is out of range"),
            (["--root", "/", "--port", "0", "--max-connections", "-1"], 2,
             r"--max-connections: '-1' is not a decimal number"),
            (["--root", "/", "--port", u], 1,
             r"cannot listen on 127\.0\.0\.1:%s: Address already in use" % u),
        ],
        "chatframe-replay": [
            ([], 2, r"a SCENARIO \(or --batch\) is required"),
            (["--level", "bogus", data], 2, r"--level: bogus not in \{exact,frame\}"),
            (["--send", "all", data], 2, r"--send: all not in \{single,gather\}"),
            ([data, data], 2, r"not expected: " + re.escape(data)),
            (["--bogus", data], 2, r"not expected: --bogus"),
            (["--batch", data], 2, r"--batch reads stdin: SCENARIO"),
            (["--batch", "--compare", data], 2, r"--compare excludes --batch|--batch excludes --compare"),
            (["/nonexistent.json"], 2, r"cannot read /nonexistent\.json: No such file or directory"),
            ([data], 2, r"invalid scenario"),  # lorem.txt is not JSON
        ],
        "chatframe-loadgen": [
            ([], 2, r"--port is required"),
            (["--port", "0"], 2, r"--port: '0' is out of range 1\.\.65535"),
            *port_cases(["--port"], 1),
            (["--port", "7", "--conns", "0"], 2, r"--conns: '0' is out of range"),
            (["--port", "7", "--duration", "nan"], 2, r"--duration: 'nan' is not a number"),
            (["--port", "7", "--duration", "5s"], 2, r"--duration: '5s' is not a number"),
            (["--port", "7", "--cpu", "-2"], 2, r"--cpu: '-2' is out of range -1\.\."),
            (["--port", "7", "--host", "example.org"], 2, r"'example\.org' is not a dotted IPv4"),
            (["--port", "7", "junk"], 2, r"not expected: junk"),
            (["--port", r, "--cpu", "-1", "--duration", "0.1", "--warmup", "0"], 1,
             r"cannot connect to 127\.0\.0\.1:%s: Connection refused" % r),
        ],
        "chatframe-length-echo": [
            ([], 2, r"a command is required: demo, server or client"),
            (["bogus"], 2, r"not expected: bogus"),
            (["demo", "junk"], 2, r"not expected: junk"),
            (["demo", "--backend", "kqueue"], 2,
             r"--backend: 'kqueue' is not a backend \(select, poll or epoll\)"),
            *port_cases(["server", "--port"]),
            (["server", "--port", "0", "--bogus"], 2, r"not expected: --bogus"),
            (["server", "--port", u], 1,
             r"cannot listen on 127\.0\.0\.1:%s: Address already in use" % u),
            (["client"], 2, r"--port is required"),
            (["client", "--port", "0"], 2, r"--port: '0' is out of range 1\.\.65535"),
            (["client", "--port", r], 1,
             r"cannot connect to 127\.0\.0\.1:%s: Connection refused" % r),
        ],
        "chatframe-echo-server": server_cases([]) + [
            (["--backend", "bogus"], 2, r"'bogus' is not a backend"),
            (["--idle-timeout", "nan"], 2, r"--idle-timeout: 'nan' is not a number"),
            (["--send-timeout", "-1"], 2, r"--send-timeout: '-1' is out of range"),
            (["--high-water", "10"], 2, r"--high-water: '10' is out of range"),
            (["--max-connections", "x"], 2, r"--max-connections: 'x' is not a decimal number"),
        ],
        "chatframe-idle-client": [
            ([], 2, r"--port is required"),
            *port_cases(["--port"], 1),
            (["--port", "7", "--connections", "0"], 2, r"--connections: '0' is out of range"),
            (["--port", "7", "--sources", "251"], 2, r"--sources: '251' is out of range"),
            (["--port", "7", "junk"], 2, r"not expected: junk"),
            (["--port", r], 1, r"cannot connect to 127\.0\.0\.1:%s: Connection refused" % r),
        ],
        "raw-epoll-echo": server_cases([]),
        "chatframe-embed-asio": embed_server,
        "chatframe-embed-libuv": embed_server,
        "chatframe-embed-libevent": embed_server,
        "chatframe-embed-io_uring": embed_server,
        "embed_echo_client": [
            ([], 2, r"HOST is required"),
            (["127.0.0.1"], 2, r"PORT is required"),
            (["127.0.0.1", "99999"], 2, r"PORT: '99999' is out of range 1\.\.65535"),
            (["127.0.0.1", r, "--timeout", "inf"], 2, r"--timeout: 'inf' is not a number"),
            (["127.0.0.1", r, "--connections", "0"], 2, r"--connections: '0' is out of range"),
            (["127.0.0.1", r, "junk"], 2, r"not expected: junk"),
            (["127.0.0.1", r, "--timeout", "1"], 1,
             r"cannot connect to 127\.0\.0\.1:%s: Connection refused" % r),
        ],
        "chatframe-bench-framing": bench_suite,
        "chatframe-bench-outbox": bench_suite,
        "chatframe-bench-extensions": bench_suite,
        "chatframe-bench-worst-case": bench_suite,
    }


def main():
    data = os.path.abspath(sys.argv[1])
    tools = dict(arg.split("=", 1) for arg in sys.argv[2:])
    # A port with a socket bound but not listening (connecting to it is
    # refused) and one listening (binding it again fails), held for the run.
    refused = socket.socket()
    refused.bind(("127.0.0.1", 0))
    in_use = socket.socket()
    in_use.bind(("127.0.0.1", 0))
    in_use.listen()
    table = cases(data, refused.getsockname()[1], in_use.getsockname()[1])
    failures = []
    untested = sorted(set(tools) - set(table))
    if untested:
        failures.append("tools without cases: %s" % ", ".join(untested))
    checked = 0
    for name, path in sorted(tools.items()):
        runs = [(HELP, 0, r"Usage|usage|benchmark \[")] + table.get(name, [])
        for args, status, pattern in runs:
            try:
                p = subprocess.run([path, *args], capture_output=True, text=True, timeout=20,
                                   stdin=subprocess.DEVNULL)
            except subprocess.TimeoutExpired:
                failures.append("%s %s: still running after 20 s" % (name, " ".join(args)))
                continue
            checked += 1
            text = p.stdout if args == HELP else p.stderr
            if name == "chatframe-embed-io_uring" and p.returncode == 77:
                continue  # io_uring refused by this kernel: the server said so and skipped
            if p.returncode != status or not re.search(pattern, text):
                failures.append("%s %s: exit %d (want %d), %s:\n%s" % (
                    name, " ".join(args), p.returncode, status,
                    "stdout" if args == HELP else "stderr", text.strip() or "(empty)"))
            # A usage error points to --help (not Google Benchmark's, nor
            # chatframe-replay's status 2 for an input it cannot read).
            elif status == 2 and "--help" not in text and not name.startswith("chatframe-bench-") \
                    and not re.search(r"cannot read|invalid scenario", text):
                failures.append("%s %s: a usage error without a pointer to --help" % (name, " ".join(args)))
    for f in failures:
        print("FAIL:", f)
    print("%d tools, %d cases run, %d failures" % (len(tools), checked, len(failures)))
    print("tools:", ", ".join(sorted(tools)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
