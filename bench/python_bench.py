#!/usr/bin/env python3.11
"""Python-level framing speed: chatframe's Python package against what a
Python program would use instead, as ratios measured in one run.

    PYTHONPATH=build/release/python python3.11 bench/python_bench.py \
        [--size-mib 1] [--rounds 21] [--json FILE] [--quick]

Streams of '\\n'-terminated lines of 16 B, 128 B and 4 KiB (the terminator
included), read in 64 KiB chunks, framed from memory (no sockets: the
kernel's share is the same on both sides and not what is measured). The
chunks of at most 1 MiB of lines are fed over and over, so they are in cache
as a chunk recv() just wrote would be; a pass frames --size-mib of lines and
at least 8192.

- drop-in: chatframe.asynchat.async_chat against CPython 3.11's
  asynchat.async_chat, the same subclass on both: collect_incoming_data()
  appends the data to a list, found_terminator() joins it into the line and
  counts it (the common asynchat subclass, whose collect_incoming_data()
  chatframe does not need to call). handle_read() is called once per chunk,
  through a recv() that returns the next chunk.
- drop-in, collect called: the same with a collect_incoming_data() body the
  fast path does not recognize (it reads self.buf into a local first), so
  Python is called twice per frame on both sides.
- batch: chatframe.aio's splitter.feed(chunk), which returns every line the
  chunk completes as one list of bytes objects, against
  asyncio.StreamReader.readuntil(b'\\n') awaited once per line after
  feed_data(chunk), inside a running event loop: the lines each hands to
  Python per second, the caller counting them (per list, per line).
- batch, lines touched: the same, with the caller's Python code looking at
  each line of the list (adding its length) - what every consumer adds
  to both sides, so the ratio is the API's plus that common cost.
- each: splitter.feed_each(chunk, callback), one Python call per line, against
  the same readuntil loop.

Paired: each round runs both sides over the same chunks, in alternating
order, timing every chunk. The ratio printed is of the sums of each chunk's
median time over the rounds (and, in brackets, of its fastest): the machine
is shared, and a preemption or a neighbour's burst lands on one chunk of one
round, which the median leaves out, where a whole pass's time would carry
it. Every pass checks that it framed every line.
"""

import argparse
import asyncio
import json
import os
import platform
import statistics
import sys
import time
import warnings

from chatframe import aio
from chatframe import asynchat as chatframe_asynchat

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import asynchat as cpython_asynchat  # noqa: E402 - the reference (CPython 3.11)

CHUNK = 65536
LENGTHS = (16, 128, 4096)


def make_stream(length, size):
    """Lines of `length` bytes, '\\n' included, with varied printable filler."""
    period = bytearray()
    for i in range(64):
        body = bytes(0x21 + (i * 7 + j * 13) % 94 for j in range(length - 1))
        period += body + b"\n"
    data = bytes(period) * max(1, size // len(period))
    return data, len(data) // length


def chunked(data):
    return [data[i:i + CHUNK] for i in range(0, len(data), CHUNK)]


def line_channel(module, recognized=True):
    class Lines(module.async_chat):
        def __init__(self, chunks):
            module.async_chat.__init__(self, sock=None, map={})
            self.chunks = iter(chunks)
            self.buf = []
            self.lines = 0
            self.set_terminator(b"\n")

        def recv(self, buffer_size):
            return next(self.chunks)

        if recognized:
            def collect_incoming_data(self, data):
                self.buf.append(data)
        else:
            def collect_incoming_data(self, data):
                buf = self.buf  # the same, in a body the fast path does not recognize
                buf.append(data)

        def found_terminator(self):
            line = b"".join(self.buf)
            self.buf = []
            self.lines += 1

    return Lines


CHATFRAME_LINES = line_channel(chatframe_asynchat)
CPYTHON_LINES = line_channel(cpython_asynchat)
CHATFRAME_LINES_CALLED = line_channel(chatframe_asynchat, recognized=False)
CPYTHON_LINES_CALLED = line_channel(cpython_asynchat, recognized=False)


# Each side returns (the time it spent on each chunk, the lines it framed).
clock = time.perf_counter_ns


def drop_in(cls, chunks):
    ch = cls(chunks)
    times = []
    for _ in range(len(chunks)):
        t0 = clock()
        ch.handle_read()
        times.append(clock() - t0)
    return times, ch.lines


def batch(chunks):
    """The frames handed to Python, counted per chunk."""
    sp = aio.splitter(b"\n")
    lines = 0
    times = []
    for chunk in chunks:
        t0 = clock()
        lines += len(sp.feed(chunk))
        times.append(clock() - t0)
    return times, lines


def batch_touched(chunks):
    """The same, with Python code looking at each frame."""
    sp = aio.splitter(b"\n")
    total = lines = 0
    times = []
    for chunk in chunks:
        t0 = clock()
        for line in sp.feed(chunk):
            total += len(line)
            lines += 1
        times.append(clock() - t0)
    return times, lines


def each(chunks):
    sp = aio.splitter(b"\n")
    seen = [0, 0]

    def frame(line):
        seen[0] += len(line)
        seen[1] += 1

    times = []
    for chunk in chunks:
        t0 = clock()
        sp.feed_each(chunk, frame)
        times.append(clock() - t0)
    return times, seen[1]


def readuntil(chunks, ends, touch=False):
    """StreamReader.readuntil once per line; ends[i] = lines complete after chunk i.
    touch: the caller looks at each line (adds its length), as batch_touched does."""

    async def consume():
        reader = asyncio.StreamReader(limit=1 << 20)
        total = lines = 0
        times = []
        for chunk, complete in zip(chunks, ends):
            t0 = clock()
            reader.feed_data(chunk)
            if touch:
                while lines < complete:
                    line = await reader.readuntil(b"\n")
                    total += len(line)
                    lines += 1
            else:
                while lines < complete:
                    await reader.readuntil(b"\n")
                    lines += 1
            times.append(clock() - t0)
        return times, lines

    return asyncio.run(consume())


def paired(rounds, ours, theirs, want):
    """theirs/ours, from each chunk's median time over the rounds (and from
    its fastest), the two sides alternating round by round: a preemption hits
    one chunk of one round, which the median and the minimum leave out."""
    samples = {ours: [], theirs: []}
    for r in range(rounds):
        for side in ((ours, theirs) if r % 2 == 0 else (theirs, ours)):
            times, lines = side()
            if lines != want:
                raise SystemExit("%s framed %d lines, not %d" % (side.__name__, lines, want))
            samples[side].append(times)

    def total(side, pick):
        return sum(pick(chunk) for chunk in zip(*samples[side])) / 1e9

    return (total(theirs, statistics.median) / total(ours, statistics.median),
            total(theirs, min) / total(ours, min), total(ours, statistics.median))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size-mib", type=float, default=1.0)
    ap.add_argument("--rounds", type=int, default=21)
    ap.add_argument("--json", help="also write the results here")
    ap.add_argument("--quick", action="store_true", help="smoke run: 64 KiB streams, 2 rounds")
    args = ap.parse_args()
    size = int(args.size_mib * (1 << 20))
    rounds = args.rounds
    if args.quick:
        size, rounds = 1 << 16, 2

    print("python %s, %s; %.1f MiB streams, 64 KiB chunks, %d paired rounds"
          % (platform.python_version(), platform.machine(), size / (1 << 20), rounds))
    print("%-34s %8s %8s %12s %18s" % ("workload", "line", "ratio", "(fastest)", "chatframe lines/s"))
    results = []
    for length in LENGTHS:
        # The chunks of one stream of at most 1 MiB, in cache as a chunk
        # recv() just wrote would be, read over and over: at least --size-mib
        # and 8192 lines a pass, so the 4 KiB pass is not a few microseconds.
        data, want = make_stream(length, min(size, 1 << 20))
        reps = 1 if args.quick else max(1, max(size, 8192 * length) // len(data))
        chunks = chunked(data) * reps
        want *= reps
        ends, seen = [], 0
        for c in chunks:
            seen += c.count(b"\n")
            ends.append(seen)

        def ours_drop_in():
            return drop_in(CHATFRAME_LINES, chunks)

        def cpython_drop_in():
            return drop_in(CPYTHON_LINES, chunks)

        def ours_called():
            return drop_in(CHATFRAME_LINES_CALLED, chunks)

        def cpython_called():
            return drop_in(CPYTHON_LINES_CALLED, chunks)

        def ours_batch():
            return batch(chunks)

        def ours_batch_touched():
            return batch_touched(chunks)

        def ours_each():
            return each(chunks)

        def stream_reader():
            return readuntil(chunks, ends)

        def stream_reader_touched():
            return readuntil(chunks, ends, touch=True)

        for name, ours, theirs in (("drop-in async_chat vs asynchat", ours_drop_in, cpython_drop_in),
                                   ("drop-in, collect called", ours_called, cpython_called),
                                   ("batch feed() vs readuntil", ours_batch, stream_reader),
                                   ("batch, lines touched, vs readuntil", ours_batch_touched,
                                    stream_reader_touched),
                                   ("feed_each() vs readuntil", ours_each, stream_reader)):
            ratio, fastest, t_ours = paired(rounds, ours, theirs, want)
            results.append({"workload": name, "line_bytes": length, "ratio": ratio, "ratio_fastest": fastest,
                            "chatframe_lines_per_s": want / t_ours, "lines": want, "rounds": rounds})
            print("%-34s %7dB %7.1fx %11.1fx %18.0f" % (name, length, ratio, fastest, want / t_ours), flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"python": platform.python_version(), "size_bytes": size, "chunk_bytes": CHUNK,
                       "time": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "results": results},
                      f, indent=1)
            f.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
