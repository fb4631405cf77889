#!/usr/bin/env python3.11
"""The framing workloads of chatframe-bench-framing, through CPython 3.11's asynchat.

    python3.11 bench/cpython_framing.py [--size-mib 8] [--min-time 0.5]
                                        [--chunks 65536,4096] [--out FILE] [--filter SUBSTR]

Same streams as bench/framing_bench.cpp (same filler generator, line lengths
including the terminator, terminators, 4-byte little-endian length + body
records, the none terminator), but --size-mib long (default 8 MiB: CPython is
slow). Each stream is fed to asynchat.async_chat.handle_read() through a
scripted recv() that returns the pre-made chunks in turn (ac_in_buffer_size =
the chunk size), with collect_incoming_data() / found_terminator() that only
count — the same work as the C++ counting handlers. For records the handler
switches terminator between 4 and the body length in found_terminator().

Each workload is run whole passes until --min-time seconds have passed (at
least one); the best pass is reported. Output: JSON in Google Benchmark's
shape (benchmarks[].name = cpython/<term>/<len>/chunk:<bytes>,
bytes_per_second, frames = frames per second), so bench/ratio_table.py-like
tools can read it. Checks every pass frames what it should.
"""
import argparse
import json
import os
import platform
import sys
import time
import warnings

warnings.simplefilter("ignore", DeprecationWarning)
import asynchat  # noqa: E402

HEADER = 4
LINES = [(b"\n", "lf"), (b"\r\n", "crlf"), (b"\r\n\r\n", "crlf2")]
LENGTHS = [16, 128, 4096]
MASK = (1 << 64) - 1


def filler(n, state):
    """framing_bench.cpp's filler: printable, never '\\r' or '\\n'."""
    s = state[0]
    out = bytearray(n)
    for i in range(n):
        s = (s * 6364136223846793005 + 1442695040888963407) & MASK
        out[i] = 0x20 + (s >> 33) % 95
    state[0] = s
    return bytes(out)


def make_stream(kind, term, length, size):
    state = [0x9E3779B97F4A7C15]
    parts, frames, payload, total = [], 0, 0, 0
    if kind == "lines":
        # The filler is expensive in Python: make one period of lines and repeat it.
        period = [filler(length - len(term), state) + term for _ in range(64)]
        block = b"".join(period)
        reps = size // len(block)
        data = block * reps
        while len(data) + length <= size:
            data += period[(len(data) // length) % 64]
        frames = len(data) // length
        payload = frames * (length - len(term))
        return data, frames, payload
    if kind == "records":
        rec_period = [length.to_bytes(HEADER, "little") + filler(length, state) for _ in range(64)]
        block = b"".join(rec_period)
        data = block * (size // len(block))
        rec = HEADER + length
        while len(data) + rec <= size:
            data += rec_period[0]
        n = len(data) // rec
        return data, 2 * n, len(data)
    data = filler(65536, state) * (size // 65536)
    return data, 0, len(data)


class Chat(asynchat.async_chat):
    """async_chat with a scripted recv(): no socket at all."""

    def __init__(self, chunks, chunk_size):
        super().__init__(sock=None, map={})
        self.ac_in_buffer_size = chunk_size
        self.chunks = chunks
        self.i = 0
        self.frames = 0
        self.nbytes = 0

    def recv(self, buffer_size):  # asyncore.dispatcher.recv, scripted
        c = self.chunks[self.i]
        self.i += 1
        return c

    def collect_incoming_data(self, data):
        self.nbytes += len(data)

    def found_terminator(self):
        self.frames += 1


class RecordChat(Chat):
    def __init__(self, chunks, chunk_size):
        super().__init__(chunks, chunk_size)
        self.in_header = True
        self.header = b""
        self.set_terminator(HEADER)

    def collect_incoming_data(self, data):
        self.nbytes += len(data)
        if self.in_header:
            self.header += data

    def found_terminator(self):
        self.frames += 1
        if self.in_header:
            self.set_terminator(int.from_bytes(self.header[:HEADER], "little"))
            self.header = b""
            self.in_header = False
        else:
            self.set_terminator(HEADER)
            self.in_header = True


def run_pass(kind, term, chunks, chunk):
    if kind == "records":
        ch = RecordChat(chunks, chunk)
    else:
        ch = Chat(chunks, chunk)
        ch.set_terminator(term if kind == "lines" else None)
    n = len(chunks)
    t0 = time.perf_counter()
    for _ in range(n):
        ch.handle_read()
    t1 = time.perf_counter()
    return t1 - t0, ch.frames, ch.nbytes


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size-mib", type=float, default=8.0)
    ap.add_argument("--min-time", type=float, default=0.5)
    ap.add_argument("--chunks", default="65536,4096")
    ap.add_argument("--out", default=None)
    ap.add_argument("--filter", default="")
    args = ap.parse_args()
    size = int(args.size_mib * (1 << 20))
    chunk_sizes = [int(c) for c in args.chunks.split(",")]
    workloads = [("lines", t, n, length) for t, n in LINES for length in LENGTHS]
    workloads += [("records", None, "count", length) for length in LENGTHS]
    workloads += [("none", None, "none", None)]
    results = []
    for kind, term, tname, length in workloads:
        base = f"cpython/{tname}/{length if length else '-'}"
        if args.filter and not any(base.startswith(f) or f in base for f in args.filter.split(",")):
            continue
        data, want_frames, want_bytes = make_stream(kind, term, length, size)
        for chunk in chunk_sizes:
            chunks = [data[i:i + chunk] for i in range(0, len(data), chunk)]
            best, spent, passes = None, 0.0, 0
            while passes == 0 or spent < args.min_time:
                dt, frames, nbytes = run_pass(kind, term, chunks, chunk)
                if frames != want_frames or nbytes != want_bytes:
                    print(f"ERROR {base}/chunk:{chunk}: frames {frames} (want {want_frames}), "
                          f"bytes {nbytes} (want {want_bytes})", file=sys.stderr)
                    return 1
                best = dt if best is None else min(best, dt)
                spent += dt
                passes += 1
            name = f"{base}/chunk:{chunk}"
            r = {
                "name": name, "run_name": name, "run_type": "iteration",
                "iterations": passes, "real_time": best * 1e3, "time_unit": "ms",
                "bytes_per_second": len(data) / best, "frames": want_frames / best,
                "stream_bytes": len(data),
            }
            results.append(r)
            print(f"{name:<32} {r['bytes_per_second'] / 1e6:10.2f} MB/s {r['frames'] / 1e6:10.3f} Mframes/s"
                  f"  ({passes} pass{'es' if passes > 1 else ''}, best {best * 1e3:.1f} ms)", flush=True)
    doc = {
        "context": {
            "date": time.strftime("%Y-%m-%dT%H:%M:%S"),
            "python": sys.version.split()[0],
            "implementation": platform.python_implementation(),
            "num_cpus": os.cpu_count(),
            "stream_bytes": size,
        },
        "benchmarks": results,
    }
    if args.out:
        with open(args.out, "w") as f:
            json.dump(doc, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
