"""chatframe.aio: asyncio framing on chatframe's C++ core.

Three ways to receive frames, all cut by the same core as chatframe.asynchat:

- FramedProtocol: an asyncio.Protocol; override frame_received(frame) for
  one call per frame, or frames_received(frames) for every frame one
  data_received() completes, as one list (the batch form).
- FrameReader (with open_connection() / start_server()): a stream reader in
  the manner of asyncio.StreamReader, with readuntil(), readexactly() and
  readline(), and read_frames() for the batch form. It stops the transport
  reading while more than twice its limit waits unread, and starts it again
  once the consumer has caught up, as asyncio's StreamReader does.
- splitter (from chatframe._core): the sans-IO splitter under both, for any
  other loop: feed(data) -> [frames], feed_each(data, callback),
  next_frame(data, start) -> (frame or None, end).

Frames are bytes objects without their terminator (with it from readuntil()
and readline(), as asyncio gives them). A terminator is a delimiter (bytes)
or a byte count (int). A frame longer than max_frame_size raises
FrameTooLarge (a ValueError) and drops the rest of the connection's input:
hostile input costs bounded memory.
"""

import asyncio
import collections

from chatframe._core import FrameTooLarge, splitter

__all__ = ["FrameReader", "FrameTooLarge", "FrameWriter", "FramedProtocol", "open_connection",
           "splitter", "start_server"]

_DEFAULT_LIMIT = 2 ** 16  # asyncio.streams' default


class FramedProtocol(asyncio.Protocol):
    """A Protocol that frames its input with chatframe's core.

    Subclass it and override frame_received(frame), called once per frame,
    or frames_received(frames), called once per data_received() with every
    frame it completed (the batch form, for a fixed terminator). The
    terminator and max_frame_size may be class attributes or arguments;
    set_terminator() from inside frame_received() applies to the rest of
    the data already received.
    """

    terminator = b"\n"
    max_frame_size = 1 << 20

    def __init__(self, terminator=None, *, max_frame_size=None):
        self._splitter = splitter(self.terminator if terminator is None else terminator,
                                  self.max_frame_size if max_frame_size is None else max_frame_size)
        self._batch = type(self).frames_received is not FramedProtocol.frames_received
        self.transport = None

    def set_terminator(self, terminator):
        self._splitter.terminator = terminator

    def get_terminator(self):
        return self._splitter.terminator

    def connection_made(self, transport):
        self.transport = transport

    def data_received(self, data):
        try:
            if self._batch:
                frames = self._splitter.feed(data)
                if frames:
                    self.frames_received(frames)
            else:
                self._splitter.feed_each(data, self.frame_received)
        except FrameTooLarge as exc:
            if self._batch and exc.frames:
                self.frames_received(exc.frames)
            self.frame_too_large(exc)

    def eof_received(self):
        rest = self._splitter.take_partial()
        if rest:
            self.partial_frame_received(rest)
        return False  # the transport closes itself

    def frame_received(self, frame):
        """One frame (bytes, without its terminator)."""
        raise NotImplementedError("override frame_received() or frames_received()")

    def frames_received(self, frames):
        """Every frame one data_received() completed, as a list."""
        for frame in frames:
            self.frame_received(frame)

    def partial_frame_received(self, rest):
        """The bytes of an unfinished frame at end of stream; dropped by default,
        as asynchat drops them."""

    def frame_too_large(self, exc):
        """A frame outgrew max_frame_size: exc.args == (size, limit). Closes by default."""
        if self.transport is not None:
            self.transport.close()


class FrameReader:
    """A stream reader whose reads are framed by chatframe's core.

    readuntil(), readexactly() and readline() behave as asyncio.StreamReader's
    (readuntil() and readline() return the separator too); read_frames()
    returns every frame available with the reader's own terminator, at least
    one, without terminators ([] at end of stream). `limit` bounds a
    readuntil() frame (LimitOverrunError, after which the reader is unusable:
    the bytes were dropped) and paces the transport: reading pauses while
    more than 2 * limit bytes wait, and resumes at limit or less.
    """

    def __init__(self, limit=_DEFAULT_LIMIT, *, terminator=b"\n", loop=None):
        if limit <= 0:
            raise ValueError("limit must be positive")
        self._limit = limit
        self._loop = loop  # else the running loop, when a read has to wait
        self._splitter = splitter(terminator, limit)
        self._terminator = terminator
        self._chunks = collections.deque()  # (bytes, start) received and not framed yet
        self._unframed = 0
        self._eof = False
        self._exception = None
        self._waiter = None
        self._transport = None
        self._paused = False
        self.pauses = 0  # how many times the transport was paused (for tests and metrics)

    # --- what the protocol calls ---------------------------------------------

    def set_transport(self, transport):
        self._transport = transport

    def feed_data(self, data):
        if not data:
            return
        self._chunks.append((data, 0))
        self._unframed += len(data)
        self._wake()
        if self._transport is not None and not self._paused and self.buffered > 2 * self._limit:
            try:
                self._transport.pause_reading()
            except NotImplementedError:
                self._transport = None  # a transport that cannot pause
            else:
                self._paused = True
                self.pauses += 1

    def feed_eof(self):
        self._eof = True
        self._wake()

    def set_exception(self, exc):
        self._exception = exc
        waiter, self._waiter = self._waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_exception(exc)

    def exception(self):
        return self._exception

    def at_eof(self):
        return self._eof and not self._chunks and self._splitter.buffered == 0

    @property
    def buffered(self):
        """Bytes received and not yet read."""
        return self._unframed + self._splitter.buffered

    @property
    def terminator(self):
        """What read_frames() frames by."""
        return self._terminator

    @terminator.setter
    def terminator(self, value):
        self._terminator = value

    # --- reads -------------------------------------------------------------

    async def readuntil(self, separator=b"\n"):
        if not separator:
            raise ValueError("Separator should be at least one-byte string")
        self._splitter.terminator = separator
        try:
            return await self._next_frame(True)
        except FrameTooLarge as exc:
            raise asyncio.LimitOverrunError(
                "Separator is not found, and chunk exceed the limit", exc.args[0]) from exc

    async def readline(self):
        try:
            return await self.readuntil(b"\n")
        except asyncio.IncompleteReadError as exc:
            return exc.partial

    async def readexactly(self, n):
        if n < 0:
            raise ValueError("readexactly size can not be less than zero")
        if n == 0:
            return b""
        # The caller chose n: the limit is for frames whose end the peer decides.
        self._splitter.max_frame_size = max(self._limit, n)
        try:
            self._splitter.terminator = n
            return await self._next_frame(False, expected=n)
        finally:
            self._splitter.max_frame_size = self._limit

    async def read_frames(self):
        """Every frame available now (at least one; waits for one), without
        terminators; [] at end of stream (the unfinished rest is dropped)."""
        self._splitter.terminator = self._terminator
        while True:
            self._raise_if_failed()
            frames = []
            while self._chunks:
                data, start = self._chunks.popleft()
                self._unframed -= len(data) - start
                frames += self._splitter.feed(data if start == 0 else memoryview(data)[start:])
            if frames:
                self._resume_if_caught_up()
                return frames
            if self._eof:
                self._splitter.take_partial()
                return []
            await self._wait()

    # --- inside ------------------------------------------------------------

    async def _next_frame(self, with_delimiter, expected=None):
        while True:
            self._raise_if_failed()
            while self._chunks:
                data, start = self._chunks[0]
                frame, end = self._splitter.next_frame(data, start, with_delimiter)
                self._unframed -= end - start
                if end == len(data):
                    self._chunks.popleft()
                else:
                    self._chunks[0] = (data, end)
                if frame is not None:
                    self._resume_if_caught_up()
                    return frame
            self._resume_if_caught_up()
            if self._eof:
                raise asyncio.IncompleteReadError(self._splitter.take_partial(), expected)
            await self._wait()

    def _raise_if_failed(self):
        if self._exception is not None:
            raise self._exception

    async def _wait(self):
        if self._waiter is not None:
            raise RuntimeError("another coroutine is already waiting for data")
        loop = self._loop if self._loop is not None else asyncio.get_running_loop()
        self._waiter = loop.create_future()
        try:
            await self._waiter
        finally:
            self._waiter = None

    def _wake(self):
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def _resume_if_caught_up(self):
        if self._paused and self.buffered <= self._limit:
            self._paused = False
            self._transport.resume_reading()


class _FrameReaderProtocol(asyncio.Protocol):
    """Feeds a FrameReader; flow control for its FrameWriter."""

    def __init__(self, reader, client_connected_cb=None, loop=None):
        self._reader = reader
        self._client_connected_cb = client_connected_cb
        self._loop = loop if loop is not None else asyncio.get_running_loop()
        self._paused = False
        self._drain_waiters = collections.deque()
        self._connection_lost = False
        self._closed = self._loop.create_future()
        self._task = None

    def connection_made(self, transport):
        self._transport = transport
        self._reader.set_transport(transport)
        if self._client_connected_cb is not None:
            writer = FrameWriter(transport, self, self._reader, self._loop)
            result = self._client_connected_cb(self._reader, writer)
            if asyncio.iscoroutine(result):
                self._task = self._loop.create_task(result)

    def data_received(self, data):
        self._reader.feed_data(data)

    def eof_received(self):
        self._reader.feed_eof()
        return True  # keep the transport open for writing; the writer closes it

    def connection_lost(self, exc):
        self._connection_lost = True
        if exc is None:
            self._reader.feed_eof()
        else:
            self._reader.set_exception(exc)
        if not self._closed.done():
            self._closed.set_result(None)
        for waiter in self._drain_waiters:
            if not waiter.done():
                waiter.set_exception(exc if exc is not None else ConnectionResetError("Connection lost"))
        self._drain_waiters.clear()

    def pause_writing(self):
        self._paused = True

    def resume_writing(self):
        self._paused = False
        for waiter in self._drain_waiters:
            if not waiter.done():
                waiter.set_result(None)
        self._drain_waiters.clear()

    async def _drain(self):
        if self._connection_lost:
            raise ConnectionResetError("Connection lost")
        if not self._paused:
            return
        waiter = self._loop.create_future()
        self._drain_waiters.append(waiter)
        await waiter


class FrameWriter:
    """The writing half, as asyncio.StreamWriter: write(), drain(), close()."""

    def __init__(self, transport, protocol, reader, loop):
        self._transport = transport
        self._protocol = protocol
        self._reader = reader
        self._loop = loop

    @property
    def transport(self):
        return self._transport

    def write(self, data):
        self._transport.write(data)

    def writelines(self, data):
        self._transport.writelines(data)

    def write_eof(self):
        return self._transport.write_eof()

    def can_write_eof(self):
        return self._transport.can_write_eof()

    def get_extra_info(self, name, default=None):
        return self._transport.get_extra_info(name, default)

    async def drain(self):
        exc = self._reader.exception()
        if exc is not None:
            raise exc
        if self._transport.is_closing():
            await asyncio.sleep(0)  # let connection_lost() run, as asyncio does
        await self._protocol._drain()

    def close(self):
        self._transport.close()

    def is_closing(self):
        return self._transport.is_closing()

    async def wait_closed(self):
        await self._protocol._closed


async def open_connection(host=None, port=None, *, limit=_DEFAULT_LIMIT, terminator=b"\n", **kwds):
    """(FrameReader, FrameWriter) for a new TCP connection, as asyncio.open_connection()."""
    loop = asyncio.get_running_loop()
    reader = FrameReader(limit, terminator=terminator, loop=loop)
    transport, protocol = await loop.create_connection(
        lambda: _FrameReaderProtocol(reader, loop=loop), host, port, **kwds)
    return reader, FrameWriter(transport, protocol, reader, loop)


async def start_server(client_connected_cb, host=None, port=None, *, limit=_DEFAULT_LIMIT,
                       terminator=b"\n", **kwds):
    """A server calling client_connected_cb(reader, writer) per connection, as
    asyncio.start_server()."""
    loop = asyncio.get_running_loop()

    def factory():
        return _FrameReaderProtocol(FrameReader(limit, terminator=terminator, loop=loop),
                                    client_connected_cb, loop=loop)

    return await loop.create_server(factory, host, port, **kwds)
