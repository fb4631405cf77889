"""chatframe.aio: the splitter against a reference model, and the protocol and
stream reader over real asyncio connections on loopback."""

import asyncio
import random
import unittest

from chatframe import aio


def reference_frames(stream, program):
    """The frames a terminator program cuts from the whole stream: obviously
    right by reading. program(i) is the terminator of frame i (bytes or int)."""
    frames, pos, i = [], 0, 0
    while True:
        term = program(i)
        if isinstance(term, int):
            if len(stream) - pos < term:
                return frames, stream[pos:]
            frames.append(stream[pos:pos + term])
            pos += term
        else:
            end = stream.find(term, pos)
            if end < 0:
                return frames, stream[pos:]
            frames.append(stream[pos:end])
            pos = end + len(term)
        i += 1


def random_chunks(rng, data):
    chunks, pos = [], 0
    while pos < len(data):
        n = rng.choice((1, 1, 2, 3, 5, 8, 64, 1000))
        chunks.append(data[pos:pos + n])
        pos += n
    return chunks


def random_case(rng):
    alphabet = rng.choice((b"ab\n", b"a\r\n", b"xyz\r\n.", b"\x00\xff"))
    data = bytes(rng.choice(alphabet) for _ in range(rng.randint(0, 400)))
    choices = [b"\n", b"\r\n", b"\r\n.\r\n", b"ab", b"aab", b"\x00", 1, 2, 3, 7, 20]
    terms = [rng.choice(choices) for _ in range(64)]
    return data, lambda i: terms[i % len(terms)]


class SplitterAgainstReference(unittest.TestCase):
    """Every way of feeding gives the reference's frames, at any chunking."""

    def check(self, seed, feed, fixed=False):
        """300 random cases: feed(rng, splitter, program, chunks) returns the
        frames; they and what is left must be the reference's."""
        rng = random.Random(seed)
        for _ in range(300):
            data, program = random_case(rng)
            if fixed:
                term = rng.choice((b"\n", b"\r\n", b"ab", 3))
                program = lambda i, term=term: term  # noqa: E731
            want, rest = reference_frames(data, program)
            sp = aio.splitter(program(0))
            self.assertEqual(feed(rng, sp, program, random_chunks(rng, data)), want)
            self.assertEqual(sp.take_partial(), rest)

    def test_batch_feed_with_a_fixed_terminator(self):
        def feed(rng, sp, program, chunks):
            return [f for chunk in chunks for f in sp.feed(chunk)]

        self.check(1, feed, fixed=True)

    def test_feed_each_with_the_terminator_changed_in_the_callback(self):
        def feed(rng, sp, program, chunks):
            got = []

            def frame(f):
                got.append(f)
                sp.terminator = program(len(got))

            for chunk in chunks:
                sp.feed_each(chunk, frame)
            return got

        self.check(2, feed)

    def test_next_frame_with_the_terminator_set_before_each_read(self):
        def feed(rng, sp, program, chunks):
            got = []
            for chunk in chunks:
                start = 0
                while True:
                    term = program(len(got))
                    sp.terminator = term
                    keep = rng.random() < 0.5  # asyncio's readuntil() keeps the delimiter
                    frame, start = sp.next_frame(chunk, start, keep)
                    if frame is None:
                        break
                    if keep and isinstance(term, bytes):
                        self.assertTrue(frame.endswith(term))
                        frame = frame[:-len(term)]
                    got.append(frame)
            return got

        self.check(3, feed)

    def test_next_frame_with_the_terminator_changed_between_any_two_reads(self):
        # A stream reader's next read may want another terminator while a frame
        # is half read (a readuntil() timed out, then readexactly()): the bytes
        # not in a frame yet are framed by the terminator of the read that
        # looks at them. Reference: the first match in what has arrived so far.
        rng = random.Random(4)
        choices = [b"\n", b"\r\n", b"ab", b"aab", 1, 2, 5]
        for _ in range(300):
            data, _ = random_case(rng)
            sp = aio.splitter(b"\n")
            term, pos, arrived = b"\n", 0, 0
            for chunk in random_chunks(rng, data):
                arrived += len(chunk)
                start = 0
                while True:
                    if rng.random() < 0.3:
                        term = rng.choice(choices)
                    sp.terminator = term
                    frame, start = sp.next_frame(chunk, start)
                    if isinstance(term, int):
                        end = pos + term if arrived - pos >= term else -1
                    else:
                        end = data.find(term, pos, arrived)
                    if end < 0:
                        self.assertIsNone(frame)
                        break
                    self.assertEqual(frame, data[pos:end])
                    pos = end + (0 if isinstance(term, int) else len(term))
            self.assertEqual(sp.take_partial(), data[pos:])

    def test_a_terminator_changed_mid_frame_reframes_the_bytes_not_in_a_frame(self):
        sp = aio.splitter(b"\r\n")
        self.assertEqual(sp.next_frame(b"ab\r", 0), (None, 3))
        sp.terminator = 2
        self.assertEqual(sp.next_frame(b"\ncd", 0), (b"ab", 0))
        self.assertEqual(sp.next_frame(b"\ncd", 0), (b"\r\n", 1))
        self.assertEqual(sp.next_frame(b"\ncd", 1), (b"cd", 3))

    def test_next_frame_can_keep_the_delimiter(self):
        sp = aio.splitter(b"\r\n")
        self.assertEqual(sp.next_frame(b"ab\r", 0, True), (None, 3))
        self.assertEqual(sp.next_frame(b"\nx", 0, True), (b"ab\r\n", 1))


class SplitterLimits(unittest.TestCase):
    def test_a_frame_over_the_limit_raises_with_the_frames_before_it(self):
        sp = aio.splitter(b"\n", max_frame_size=4)
        with self.assertRaises(aio.FrameTooLarge) as caught:
            sp.feed(b"ab\ncd\nefghij\nk\n")
        self.assertEqual(caught.exception.frames, [b"ab", b"cd"])
        self.assertEqual(caught.exception.args, (6, 4))  # the bytes it had when cut
        self.assertTrue(sp.failed)
        with self.assertRaises(RuntimeError):
            sp.feed(b"x\n")

    def test_the_limit_holds_while_the_frame_is_still_arriving(self):
        sp = aio.splitter(b"\n", max_frame_size=1000)
        with self.assertRaises(aio.FrameTooLarge):
            for _ in range(100):
                sp.feed(b"x" * 100)
        self.assertLessEqual(sp.buffered, 1000)

    def test_a_count_over_the_limit_is_refused_before_any_byte(self):
        sp = aio.splitter(b"\n", max_frame_size=10)
        with self.assertRaises(aio.FrameTooLarge):
            sp.terminator = 11
        with self.assertRaises(ValueError):
            sp.terminator = 0
        with self.assertRaises(ValueError):
            sp.terminator = b""

    def test_feed_from_inside_a_callback_is_refused(self):
        sp = aio.splitter(b"\n")
        errors = []

        def frame(f):
            try:
                sp.feed(b"more\n")
            except RuntimeError as e:
                errors.append(e)

        sp.feed_each(b"a\n", frame)
        self.assertEqual(len(errors), 1)


def run(coro):
    return asyncio.run(asyncio.wait_for(coro, 30))


def over_loopback(serve, client, connect=asyncio.open_connection):
    """Starts a server with serve(host, port) (a create_server or start_server
    call), runs client(reader, writer) against it, closes both; returns what
    client returned."""

    async def main():
        server = await serve("127.0.0.1", 0)
        reader, writer = await connect("127.0.0.1", server.sockets[0].getsockname()[1])
        try:
            return await client(reader, writer)
        finally:
            writer.close()
            server.close()
            await server.wait_closed()

    return run(main())


def protocol_server(factory):
    return lambda host, port: asyncio.get_running_loop().create_server(factory, host, port)


def reader_server(handle, **kwargs):
    return lambda host, port: aio.start_server(handle, host, port, **kwargs)


class Lines(aio.FramedProtocol):
    """Echo server side: a line "SIZE n" switches to a counted body of n bytes."""

    def __init__(self, log):
        super().__init__(b"\r\n")
        self.log = log
        self.body = False

    def frame_received(self, frame):
        self.log.append(frame)
        if self.body:
            self.body = False
            self.set_terminator(b"\r\n")
            self.transport.write(b"BODY %d\r\n" % len(frame))
        elif frame.startswith(b"SIZE "):
            self.body = True
            self.set_terminator(int(frame[5:]))
        else:
            self.transport.write(frame.upper() + b"\r\n")


class BatchLines(aio.FramedProtocol):
    def __init__(self, batches):
        super().__init__(b"\n")
        self.batches = batches

    def frames_received(self, frames):
        self.batches.append(frames)
        self.transport.write(b"".join(f + b"\n" for f in frames))


class FramedProtocolOverLoopback(unittest.TestCase):
    def test_per_frame_callbacks_with_a_terminator_switch(self):
        log = []

        body = bytes(range(256)) * 400  # crosses many reads, holds \r\n

        async def client(reader, writer):
            writer.write(b"hello\r\nSIZE %d\r\n" % len(body))
            for i in range(0, len(body), 1000):
                writer.write(body[i:i + 1000])
                await writer.drain()
            writer.write(b"bye\r")
            await asyncio.sleep(0.05)
            writer.write(b"\n")
            return [await reader.readuntil(b"\r\n") for _ in range(3)]

        replies = over_loopback(protocol_server(lambda: Lines(log)), client)
        self.assertEqual(replies, [b"HELLO\r\n", b"BODY %d\r\n" % len(body), b"BYE\r\n"])
        self.assertEqual(log, [b"hello", b"SIZE %d" % len(body), body, b"bye"])

    def test_batch_form_hands_over_every_frame_of_a_read(self):
        batches = []
        lines = [b"line %d" % i for i in range(5000)]

        async def client(reader, writer):
            writer.write(b"".join(line + b"\n" for line in lines))
            return [await reader.readline() for _ in lines]

        echoed = over_loopback(protocol_server(lambda: BatchLines(batches)), client)
        self.assertEqual(echoed, [line + b"\n" for line in lines])
        self.assertEqual([f for batch in batches for f in batch], lines)
        self.assertLess(len(batches), len(lines) / 10)  # many frames per call

    def test_a_frame_over_the_limit_closes_the_connection(self):
        closed = []

        class Small(aio.FramedProtocol):
            max_frame_size = 100

            def frame_received(self, frame):
                pass

            def frame_too_large(self, exc):
                closed.append(exc.args)
                super().frame_too_large(exc)

        async def client(reader, writer):
            writer.write(b"x" * 10000)
            return await reader.read()  # EOF: the server closed

        self.assertEqual(over_loopback(protocol_server(Small), client), b"")
        self.assertEqual(closed[0][1], 100)


class FrameReaderOverLoopback(unittest.TestCase):
    def test_reads_as_asyncio_stream_reader(self):
        async def handle(reader, writer):
            got = [await reader.readuntil(b"\r\n"), await reader.readexactly(5), await reader.readline()]
            frames = await reader.read_frames()
            try:
                await reader.readexactly(10)
            except asyncio.IncompleteReadError as e:
                got.append(("incomplete", e.partial, e.expected))
            got.append(("frames", frames))
            writer.write(repr(got).encode() + b"\n")
            await writer.drain()
            writer.close()

        async def client(reader, writer):
            for piece in (b"GET /\r", b"\nHELLOwor", b"ld\nx\ny\n", b"tail"):
                writer.write(piece)
                await writer.drain()
                await asyncio.sleep(0.02)
            writer.write_eof()
            return await reader.readline()

        reply = over_loopback(reader_server(handle), client, aio.open_connection)
        self.assertEqual(eval(reply.strip()), [
            b"GET /\r\n", b"HELLO", b"world\n", ("incomplete", b"tail", 10), ("frames", [b"x", b"y"])])

    def test_readuntil_past_the_limit_is_a_limit_overrun(self):
        async def handle(reader, writer):
            try:
                await reader.readuntil(b"\n")
            except asyncio.LimitOverrunError:
                writer.write(b"overrun\n")
            await writer.drain()
            writer.close()

        async def client(reader, writer):
            writer.write(b"z" * 5000)
            return await reader.read_frames()

        reply = over_loopback(reader_server(handle, limit=1000), client, aio.open_connection)
        self.assertEqual(reply, [b"overrun"])

    def test_backpressure_pauses_reading_while_the_consumer_lags(self):
        limit = 16 * 1024
        lines = 300000
        seen = {}

        async def handle(reader, writer):
            count, peak = 0, 0
            while True:
                frames = await reader.read_frames()
                if not frames:
                    break
                for line in frames:
                    if line != b"%d" % count:
                        seen["bad line"] = (count, line)
                    count += 1
                peak = max(peak, reader.buffered)
                await asyncio.sleep(0.002)  # a consumer slower than the network
                peak = max(peak, reader.buffered)
            seen.update(count=count, peak=peak, pauses=reader.pauses)
            writer.write(b"done")
            await writer.drain()
            writer.close()

        async def client(reader, writer):
            data = b"".join(b"%d\n" % i for i in range(lines))
            for i in range(0, len(data), 65536):
                writer.write(data[i:i + 65536])
                await writer.drain()
            writer.write_eof()
            return await reader.read()

        self.assertEqual(over_loopback(reader_server(handle, limit=limit), client), b"done")
        print("backpressure: %(count)d lines, %(pauses)d pauses, at most %(peak)d bytes waiting" % seen)
        self.assertNotIn("bad line", seen)
        self.assertEqual(seen["count"], lines)
        self.assertGreater(seen["pauses"], 0)
        # At most twice the limit waits, plus what one read adds.
        self.assertLessEqual(seen["peak"], 2 * limit + 256 * 1024)


if __name__ == "__main__":
    unittest.main()
