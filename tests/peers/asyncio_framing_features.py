#!/usr/bin/env python3.11
"""What asyncio's StreamReader (Python 3.11 stdlib) offers for framing,
established by running it — the source of the asyncio column of the README's
comparison table. Each check asserts the behaviour the table states; if a
future Python changes it, this test fails and the table must change too."""

import asyncio
import sys


def reader_with(data, limit=2**16, eof=True):
    r = asyncio.StreamReader(limit=limit)
    r.feed_data(data)
    if eof:
        r.feed_eof()
    return r


async def main():
    # A delimiter, changeable per frame: each readuntil() names its separator.
    r = reader_with(b"a\nb\r\nc")
    assert await r.readuntil(b"\n") == b"a\n"
    assert await r.readuntil(b"\r\n") == b"b\r\n"

    # A byte count: readexactly().
    r = reader_with(b"0123456789")
    assert await r.readexactly(4) == b"0123"

    # Several delimiters at once: not in 3.11 (a tuple of separators is refused).
    r = reader_with(b"a\nb")
    try:
        await r.readuntil((b"\n", b"\r\n"))
        several = True
    except TypeError:
        several = False
    assert not several

    # A frame size limit enforced before the frame ends: LimitOverrunError once
    # the buffer holds more than `limit` bytes without the separator; the bytes
    # stay buffered, so the caller can resynchronise by consuming them.
    r = reader_with(b"x" * 100, limit=16, eof=False)
    try:
        await r.readuntil(b"\n")
        limited = False
    except asyncio.LimitOverrunError as e:
        limited = e.consumed > 16
    assert limited

    # End of stream inside a frame: readuntil() reports it as an error that
    # carries the partial bytes (IncompleteReadError.partial); readline()
    # delivers them as a last unterminated line.
    r = reader_with(b"tail")
    try:
        await r.readuntil(b"\n")
        assert False, "no error at EOF"
    except asyncio.IncompleteReadError as e:
        assert e.partial == b"tail"
    r = reader_with(b"tail")
    assert await r.readline() == b"tail"

    # Frames are returned as new bytes objects (copies of the buffer).
    r = reader_with(b"frame\n")
    assert type(await r.readuntil(b"\n")) is bytes

    print("asyncio StreamReader %s: delimiter per call, readexactly, no several delimiters, "
          "LimitOverrunError, EOF as IncompleteReadError(partial) or last line, frames copied"
          % sys.version.split()[0])


asyncio.run(main())
