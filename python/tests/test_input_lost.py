"""Bytes lost for lack of memory (errc::input_lost) through the binding.

Run with failing_new's library preloaded (python/tests/CMakeLists.txt): a
callback makes the extension's C++ allocations fail and raises, so that the
unread rest of the chunk cannot be kept. The read raises MemoryError; later
reads raise RuntimeError and frame nothing, rather than join the bytes after
the gap to a frame they do not continue; discard_buffers() resumes framing.
"""
import ctypes
import sys
import unittest

from chatframe import aio, asynchat

from test_binding import FakeSocket

refuse_from = ctypes.CDLL(None).chatframe_test_refuse_from
refuse_from.argtypes = [ctypes.c_size_t]
REFUSE_NOTHING = ctypes.c_size_t(-1).value


class Starved(Exception):
    """What the callback raises once memory has run out."""


class Channel(asynchat.async_chat):
    def __init__(self, sock):
        self.frames = []
        self.line = b""
        self.starve_at = None  # raise, with no memory, at this frame
        asynchat.async_chat.__init__(self, sock, map={})
        self.set_terminator(b"\n")

    def collect_incoming_data(self, data):
        self.line += data

    def found_terminator(self):
        self.frames.append(self.line)
        self.line = b""
        if len(self.frames) == self.starve_at:
            refuse_from(16)  # the unread rest is more: keeping it fails
            raise Starved()


class InputLost(unittest.TestCase):
    def tearDown(self):
        refuse_from(REFUSE_NOTHING)

    def read(self, ch):
        try:
            ch.handle_read()
        finally:
            refuse_from(REFUSE_NOTHING)

    def test_an_async_chat_refuses_to_frame_across_the_gap_until_discard_buffers(self):
        rest = b"r" * 36 + b"\nend"
        sock = FakeSocket([b"one\n" + rest, b"next\n", b"next\n", b"after\n"])
        ch = Channel(sock)
        ch.starve_at = 1
        with self.assertRaises(MemoryError):
            self.read(ch)
        self.assertEqual(ch.frames, [b"one"])
        with self.assertRaisesRegex(RuntimeError, "40 bytes of an earlier read were lost"):
            self.read(ch)
        self.assertEqual(ch.frames, [b"one"])  # never b"endnext"
        ch.discard_buffers()
        self.read(ch)
        self.read(ch)
        self.assertEqual(ch.frames, [b"one", b"next", b"after"])

    def test_with_memory_the_same_throw_loses_nothing(self):
        class Raised(Channel):
            def found_terminator(self):
                self.frames.append(self.line)
                self.line = b""
                if len(self.frames) == 1:
                    raise Starved()

        sock = FakeSocket([b"one\n" + b"r" * 36 + b"\nend", b"next\n"])
        ch = Raised(sock)
        with self.assertRaises(Starved):
            self.read(ch)
        self.read(ch)
        self.assertEqual(ch.frames, [b"one", b"r" * 36, b"endnext"])

    def test_a_splitter_stops_for_good(self):
        s = aio.splitter(b"\n")
        seen = []

        def each(frame):
            seen.append(bytes(frame))
            if len(seen) == 1:
                refuse_from(16)
                raise Starved()

        chunk = b"one\n" + b"r" * 36 + b"\nend"
        with self.assertRaises(MemoryError):
            try:
                s.feed_each(chunk, each)
            finally:
                refuse_from(REFUSE_NOTHING)
        with self.assertRaisesRegex(RuntimeError, "lost for lack of memory"):
            s.feed(b"next\n")
        self.assertEqual(seen, [b"one"])


if __name__ == "__main__":
    sys.exit(unittest.main())
