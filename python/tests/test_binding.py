"""chatframe.asynchat's binding to the C++ core, test by test as its contract says.

Where CPython 3.11's asynchat is importable, `both()` runs the same channel
class on it and on chatframe's and the two event logs must be equal; the
explicit expectations keep each test meaningful without it (Python 3.12+).
"""

import dis
import errno
import gc
import socket
import sys
import unittest
import warnings
import weakref

from chatframe import asynchat, asyncore

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    try:
        import asynchat as cpython_asynchat
    except ImportError:  # Python 3.12+
        cpython_asynchat = None
if cpython_asynchat is asynchat:
    cpython_asynchat = None


class FakeSocket:
    """recv() hands out the queued chunks; send() takes at most `cap` bytes."""

    def __init__(self, chunks=(), cap=None):
        self.chunks = list(chunks)
        self.cap = cap
        self.sent = []
        self.recv_sizes = []

    def fileno(self):
        return 9999

    def setblocking(self, flag):
        pass

    def getpeername(self):
        return ("127.0.0.1", 1)

    def recv(self, n):
        self.recv_sizes.append(n)
        if not self.chunks:
            raise BlockingIOError(errno.EAGAIN, "would block")
        item = self.chunks.pop(0)
        if isinstance(item, BaseException):
            raise item
        return item

    def send(self, data):
        n = len(data) if self.cap is None else min(self.cap, len(data))
        self.sent.append(bytes(data[:n]))
        return n

    def close(self):
        pass


def channel_class(module, body=None):
    """A channel on `module`'s async_chat that logs its callbacks."""

    class Channel(module.async_chat):
        def __init__(self, sock, terminator=b"\n", **attrs):
            self.log = []
            module.async_chat.__init__(self, sock, map={})
            for k, v in attrs.items():
                setattr(self, k, v)
            if terminator is not Ellipsis:
                self.set_terminator(terminator)

        def collect_incoming_data(self, data):
            self.log.append(("collect", bytes(data)))

        def found_terminator(self):
            self.log.append(("found",))

    if body:
        for name, fn in body.items():
            setattr(Channel, name, fn)
    return Channel


def both(test, scenario, body=None):
    """Runs scenario(channel_class) on chatframe (and on CPython's asynchat
    when present); returns chatframe's result after checking they agree."""
    ours = scenario(channel_class(asynchat, body))
    if cpython_asynchat is not None:
        theirs = scenario(channel_class(cpython_asynchat, body))
        test.assertEqual(ours, theirs, "chatframe and CPython's asynchat differ")
    return ours


def read_all(ch):
    """handle_read() until the fake socket has nothing more; exceptions are logged."""
    while ch.socket.chunks:
        try:
            ch.handle_read()
        except Exception as e:  # noqa: BLE001 - the log records what CPython raises
            ch.log.append(("raised", type(e).__name__))


class SubclassingAndAttributes(unittest.TestCase):
    def test_async_chat_is_a_dispatcher_subclass(self):
        self.assertTrue(issubclass(asynchat.async_chat, asyncore.dispatcher))
        ch = channel_class(asynchat)(FakeSocket())
        self.assertIsInstance(ch, asyncore.dispatcher)

    def test_instances_take_attributes(self):
        ch = channel_class(asynchat)(FakeSocket())
        ch.anything = 42
        self.assertEqual(ch.__dict__["anything"], 42)

    def test_repr_names_the_classes_as_cpython_did(self):
        ch = asynchat.async_chat()
        self.assertTrue(repr(ch).startswith("<asynchat.async_chat at 0x"), repr(ch))

    def test_an_instance_attribute_overrides_initiate_send_for_push(self):
        # pyftpdlib assigns self.initiate_send = self.initiate_sendfile.
        ch = channel_class(asynchat)(FakeSocket())
        calls = []
        ch.initiate_send = lambda: calls.append("mine")
        ch.push(b"x\n")
        self.assertEqual(calls, ["mine"])
        self.assertEqual(ch.socket.sent, [])

    def test_a_subclass_overrides_handle_read_writable_initiate_send(self):
        class Mine(channel_class(asynchat)):
            def handle_read(self):
                self.log.append("my handle_read")
                asynchat.async_chat.handle_read(self)

            def writable(self):
                return "my writable"

            def initiate_send(self):
                self.log.append("my initiate_send")
                asynchat.async_chat.initiate_send(self)

        ch = Mine(FakeSocket([b"a\n"]))
        ch.handle_read()
        ch.push(b"out")
        self.assertEqual(ch.log, ["my handle_read", ("collect", b"a"), ("found",), "my initiate_send"])
        self.assertEqual(ch.socket.sent, [b"out"])
        self.assertEqual(ch.writable(), "my writable")

    def test_methods_looked_up_per_frame_see_a_callback_rebinding_them(self):
        def scenario(cls):
            class Switching(cls):
                def found_terminator(self):
                    self.log.append(("found",))
                    self.found_terminator = lambda: self.log.append(("found by the instance",))

            ch = Switching(FakeSocket([b"a\nb\nc\n"]))
            read_all(ch)
            return ch.log

        self.assertEqual(both(self, scenario), [
            ("collect", b"a"), ("found",), ("collect", b"b"), ("found by the instance",),
            ("collect", b"c"), ("found by the instance",)])


class AttributeAccessSpeed(unittest.TestCase):
    """A subclass's instances hold their attributes as a pure Python class's
    do, so the interpreter specializes self.x in its methods the same way
    (the drop-in's speed rests on it: the user's found_terminator() is most
    of a frame's time)."""

    @staticmethod
    def specialized(cls, make, run):
        """The attribute instructions of cls.touch() once it has run hot."""
        def touch(self):
            self.items = []
            return self.count

        cls.touch = touch
        obj = make(cls)
        obj.count = 0
        for _ in range(200):
            run(obj)
            obj.touch()
        return sorted({i.opname for i in dis.get_instructions(cls.touch, adaptive=True)
                       if "ATTR" in i.opname})

    def check_like_a_python_class(self, base, make, run):
        if sys.version_info >= (3, 13):
            self.skipTest("CPython 3.13 keeps attribute values inline only for classes whose "
                          "C base has no fields of its own: there self.x in a subclass of "
                          "chatframe's C types is not specialized (missing, not hidden)")
        plain = self.specialized(type("Plain", (asyncore.dispatcher,), {}), make, run)
        ours = self.specialized(type("Ours", (base,), {}), make, run)
        self.assertIn("LOAD_ATTR_INSTANCE_VALUE", plain)
        self.assertEqual(ours, plain)

    def test_an_async_chat_subclass_after_frames_on_the_fast_path(self):
        class Channel(asynchat.async_chat):
            def __init__(self):
                asynchat.async_chat.__init__(self, map={})
                self.set_terminator(b"\n")
                self.buf = []

            def recv(self, n):
                return b"ab\ncd\n"

            def collect_incoming_data(self, data):
                self.buf.append(data)

            def found_terminator(self):
                self.buf = []

        def run(obj):
            if isinstance(obj, Channel):
                obj.handle_read()

        self.check_like_a_python_class(Channel, lambda cls: cls(), run)

    def test_a_splitter_subclass(self):
        from chatframe import aio

        def make(cls):
            return cls(b"\n") if issubclass(cls, aio.splitter) else cls()

        self.check_like_a_python_class(aio.splitter, make, lambda obj: None)


class RunTimeBufferSizes(unittest.TestCase):
    def test_ac_in_buffer_size_changed_at_run_time_is_what_recv_is_asked_for(self):
        ch = channel_class(asynchat)(FakeSocket([b"a\n", b"b\n"]))
        ch.handle_read()
        ch.ac_in_buffer_size = 7
        ch.handle_read()
        self.assertEqual(ch.socket.recv_sizes, [65536, 7])

    def test_ac_out_buffer_size_cuts_pushes_when_pushed_and_slices_when_sent(self):
        def scenario(cls):
            ch = cls(FakeSocket(), ac_out_buffer_size=4)
            ch.push(b"abcdefghij")          # cut into abcd efgh ij now
            ch.ac_out_buffer_size = 3       # slices sent from now on
            for _ in range(6):
                ch.initiate_send()
            ch.push_with_producer(b"0123456")  # not cut, only sliced
            for _ in range(4):
                ch.initiate_send()
            return ch.socket.sent

        # push() sends at once, with the size of that moment.
        self.assertEqual(both(self, scenario), [b"abcd", b"efg", b"h", b"ij", b"012", b"345", b"6"])

    def test_a_class_attribute_in_the_subclass_is_used(self):
        class Small(channel_class(asynchat)):
            ac_in_buffer_size = 128

        ch = Small(FakeSocket([b"x"]))
        ch.handle_read()
        self.assertEqual(ch.socket.recv_sizes, [128])

    def test_an_out_buffer_size_below_one_is_refused(self):
        ch = channel_class(asynchat)(FakeSocket(), ac_out_buffer_size=0)
        with self.assertRaises(ValueError):
            ch.push(b"x")


class Terminators(unittest.TestCase):
    @staticmethod
    def read_set_read(cls, chunks, first, then, more):
        """Reads `chunks` with terminator `first`, sets `then`, reads `more`."""
        ch = cls(FakeSocket(chunks), terminator=first)
        try:
            ch.get_terminator()
        except AttributeError:
            ch.log.append("no terminator")
        read_all(ch)
        ch.set_terminator(then)
        ch.socket.chunks.append(more)
        read_all(ch)
        return ch.log

    def test_get_terminator_before_any_set_raises_attribute_error_as_cpython(self):
        # The bytes read meanwhile are kept and framed once a terminator is set.
        log = both(self, lambda cls: self.read_set_read(cls, [b"abc", b"de"], Ellipsis, b"d", b"f"))
        self.assertEqual(log, [
            "no terminator", ("raised", "AttributeError"), ("raised", "AttributeError"),
            ("collect", b"abc"), ("found",), ("collect", b"ef")])

    def test_a_str_terminator_raises_type_error_when_used_and_keeps_the_bytes(self):
        log = both(self, lambda cls: self.read_set_read(cls, [b"ab\ncd", b"e\n"], "\n", b"\n", b""))
        self.assertEqual(log, [
            ("raised", "TypeError"), ("raised", "TypeError"), ("collect", b"ab"), ("found",),
            ("collect", b"cde"), ("found",)])

    def test_a_str_terminator_set_in_found_terminator_stops_the_chunk_there(self):
        def found(self):
            self.log.append(("found",))
            self.set_terminator("x")

        def scenario(cls):
            ch = cls(FakeSocket([b"a\nb\nc"]))
            read_all(ch)
            ch.set_terminator(b"\n")
            ch.socket.chunks.append(b"\n")
            read_all(ch)
            return ch.log

        self.assertEqual(both(self, scenario, {"found_terminator": found}), [
            ("collect", b"a"), ("found",), ("raised", "TypeError"), ("collect", b"b"), ("found",),
            ("raised", "TypeError")])

    def test_use_encoding_encodes_a_str_terminator(self):
        ch = channel_class(asynchat)(FakeSocket([b"a;b;"]), terminator="\n", use_encoding=1)
        ch.set_terminator(";")
        self.assertEqual(ch.get_terminator(), b";")
        ch.handle_read()
        self.assertEqual(ch.log, [("collect", b"a"), ("found",), ("collect", b"b"), ("found",)])

    def test_get_terminator_gives_back_the_object_set_and_the_count_left(self):
        def scenario(cls):
            ch = cls(FakeSocket([b"ab"]), terminator=True)
            out = [ch.get_terminator()]
            ch.set_terminator(5)
            ch.handle_read()
            out.append(ch.get_terminator())
            ch.set_terminator(2 ** 70)
            ch.socket.chunks.append(b"xyz")
            ch.handle_read()
            out.append(ch.get_terminator())
            for t in (None, b"", 0, bytearray(b"\r\n")):
                ch.set_terminator(t)
                out.append(ch.get_terminator())
            return [(type(v).__name__, v) for v in out]

        self.assertEqual(both(self, scenario), [
            ("bool", True), ("int", 3), ("int", 2 ** 70 - 3), ("NoneType", None), ("bytes", b""),
            ("int", 0), ("bytearray", bytearray(b"\r\n"))])

    def test_the_terminator_attribute_reads_and_assigns(self):
        ch = channel_class(asynchat)(FakeSocket([b"ab.cd"]))
        ch.terminator = b"."
        self.assertEqual(ch.terminator, b".")
        ch.handle_read()
        self.assertEqual(ch.log, [("collect", b"ab"), ("found",), ("collect", b"cd")])

    def test_a_negative_count_is_a_value_error(self):
        ch = channel_class(asynchat)(FakeSocket())
        with self.assertRaises(ValueError):
            ch.set_terminator(-1)
        self.assertEqual(ch.get_terminator(), b"\n")


class CallbackExceptions(unittest.TestCase):
    def test_an_exception_in_found_terminator_keeps_the_rest_of_the_chunk(self):
        def found(self):
            self.log.append(("found",))
            if len(self.log) == 2:
                raise KeyError("once")

        def scenario(cls):
            ch = cls(FakeSocket([b"a\nb\nc", b"\n"]))
            read_all(ch)
            return ch.log

        self.assertEqual(both(self, scenario, {"found_terminator": found}), [
            ("collect", b"a"), ("found",), ("raised", "KeyError"), ("collect", b"b"), ("found",),
            ("collect", b"c"), ("found",)])

    def test_an_exception_in_collect_incoming_data_keeps_its_bytes(self):
        def collect(self, data):
            self.log.append(("collect", bytes(data)))
            if data == b"b":
                self.failed_once = getattr(self, "failed_once", 0) + 1
                if self.failed_once == 1:
                    raise KeyError("once")

        def scenario(cls):
            ch = cls(FakeSocket([b"a\nb\nc\n", b""]))
            read_all(ch)
            return ch.log

        log = both(self, scenario, {"collect_incoming_data": collect})
        self.assertEqual(log[:4], [("collect", b"a"), ("found",), ("collect", b"b"), ("raised", "KeyError")])
        self.assertEqual(log[4:6], [("collect", b"b"), ("found",)])

    def test_recv_oserror_calls_handle_error_with_the_exception_being_handled(self):
        seen = []

        class Ch(channel_class(asynchat)):
            def handle_error(self):
                seen.append(sys.exc_info()[1])

        err = ConnectionRefusedError(errno.ECONNREFUSED, "refused")
        ch = Ch(FakeSocket([err]))
        ch.handle_read()
        self.assertEqual(seen, [err])

    def test_blocking_io_error_in_recv_is_ignored(self):
        class Ch(channel_class(asynchat)):
            def handle_error(self):
                raise AssertionError("handle_error called")

        Ch(FakeSocket()).handle_read()

    def test_send_oserror_calls_handle_error(self):
        seen = []

        class Broken(FakeSocket):
            def send(self, data):
                raise OSError(errno.EIO, "io")

        class Ch(channel_class(asynchat)):
            def handle_error(self):
                seen.append(type(sys.exc_info()[1]).__name__)

        Ch(Broken()).push(b"x")
        self.assertEqual(seen, ["OSError"])

    def test_handle_read_from_a_callback_refuses_before_reading(self):
        class Ch(channel_class(asynchat)):
            def found_terminator(self):
                try:
                    self.handle_read()
                except RuntimeError:
                    self.log.append("refused")

        ch = Ch(FakeSocket([b"a\n", b"never read"]))
        ch.handle_read()
        self.assertEqual(ch.log, [("collect", b"a"), "refused"])
        self.assertEqual(ch.socket.chunks, [b"never read"])


class Producers(unittest.TestCase):
    def test_a_python_producer_is_asked_piece_by_piece(self):
        def scenario(cls):
            ch = cls(FakeSocket(cap=3))
            ch.push_with_producer(asynchat.simple_producer(b"abcdefg", buffer_size=5))
            ch.push(b"Z")
            ch.close_when_done()
            while ch.producer_fifo and ch.connected:
                ch.initiate_send()
            return ch.socket.sent, ch.connected

        self.assertEqual(both(self, scenario), ([b"abc", b"de", b"fg", b"Z"], False))

    def test_an_exception_in_more_propagates_and_the_producer_stays(self):
        class Flaky:
            def __init__(self):
                self.calls = 0

            def more(self):
                self.calls += 1
                if self.calls == 1:
                    raise KeyError("not yet")
                return b"ok" if self.calls == 2 else b""

        def scenario(cls):
            ch = cls(FakeSocket())
            out = []
            try:
                ch.push_with_producer(Flaky())
            except KeyError:
                out.append("raised")
            ch.initiate_send()
            ch.initiate_send()
            return out, ch.socket.sent, bool(ch.producer_fifo)

        self.assertEqual(both(self, scenario), (["raised"], [b"ok"], False))

    def test_more_returning_a_bytearray_is_copied_when_produced(self):
        buf = bytearray(b"first")

        class P:
            def __init__(self):
                self.done = False

            def more(self):
                if self.done:
                    return b""
                self.done = True
                return buf

        ch = channel_class(asynchat)(FakeSocket(cap=2))
        ch.push_with_producer(P())
        buf[:] = b"XXXXX"
        while ch.producer_fifo:
            ch.initiate_send()
        self.assertEqual(b"".join(ch.socket.sent), b"first")

    def test_a_producer_referring_to_its_channel_is_collected(self):
        class Cyclic:
            def __init__(self, ch):
                self.ch = ch

            def more(self):
                return b"never asked"

        class Blocked(FakeSocket):
            def send(self, data):
                return 0

        ch = channel_class(asynchat)(Blocked())
        producer = Cyclic(ch)
        ch.connected = False  # nothing is sent: the producer stays queued
        ch.push_with_producer(producer)
        watch = weakref.ref(producer)
        del ch, producer
        gc.collect()
        self.assertIsNone(watch())

    def test_queued_objects_are_released_when_sent_or_discarded(self):
        class P:
            def __init__(self):
                self.pieces = [b"x" * 100, b"y"]

            def more(self):
                return self.pieces.pop(0) if self.pieces else b""

        ch = channel_class(asynchat)(FakeSocket())
        p = P()
        before = sys.getrefcount(p)
        ch.push_with_producer(p)
        self.assertEqual(sys.getrefcount(p), before + 1)
        for _ in range(5):
            ch.initiate_send()
        self.assertEqual(sys.getrefcount(p), before)
        ch.connected = False
        ch.push_with_producer(p)
        ch.discard_buffers()
        self.assertEqual(sys.getrefcount(p), before)

    def test_a_producer_whose_del_pushes_does_not_corrupt_the_queue(self):
        class Pushy:
            def __init__(self, ch):
                self.ch = weakref.proxy(ch)

            def more(self):
                return b""

            def __del__(self):
                self.ch.push(b"from __del__")

        ch = channel_class(asynchat)(FakeSocket())
        ch.push_with_producer(Pushy(ch))
        ch.initiate_send()
        self.assertEqual(ch.socket.sent, [b"from __del__"])

    def test_push_refuses_what_cpython_refuses(self):
        ch = channel_class(asynchat)(FakeSocket())
        for bad in (10, "text", None):
            with self.assertRaises(TypeError):
                ch.push(bad)
        ch.push(bytearray(b"a"))
        ch.push(memoryview(b"b"))
        self.assertEqual(ch.socket.sent, [b"a", b"b"])


class ProducerFifo(unittest.TestCase):
    def test_truth_length_append_clear_and_assignment(self):
        ch = channel_class(asynchat)(FakeSocket())
        ch.connected = False
        fifo = ch.producer_fifo
        self.assertFalse(fifo)
        self.assertEqual(len(fifo), 0)
        fifo.append(b"abc")
        fifo.append(None)
        self.assertTrue(ch.producer_fifo)
        self.assertEqual(len(ch.producer_fifo), 1)
        ch.producer_fifo.clear()
        self.assertFalse(ch.producer_fifo)
        ch.producer_fifo = [b"x", None]
        ch.connected = True
        closed = []
        ch.handle_close = lambda: closed.append(True)
        ch.initiate_send()
        ch.initiate_send()
        self.assertEqual((ch.socket.sent, closed), ([b"x"], [True]))

    def test_writable_is_queued_output_or_not_connected(self):
        ch = channel_class(asynchat)(FakeSocket())
        self.assertFalse(ch.writable())
        ch.connected = False
        self.assertTrue(ch.writable())
        ch.connected = True
        ch.producer_fifo.append(b"x")
        self.assertTrue(ch.writable())


class InputBuffer(unittest.TestCase):
    def test_ac_in_buffer_holds_the_start_of_a_delimiter_between_reads(self):
        def scenario(cls):
            ch = cls(FakeSocket([b"ab\r"]), terminator=b"\r\n")
            ch.handle_read()
            return ch.ac_in_buffer, ch.log

        self.assertEqual(both(self, scenario), (b"\r", [("collect", b"ab")]))

    def test_assigning_ac_in_buffer_replaces_the_input_kept(self):
        ch = channel_class(asynchat)(FakeSocket([b"ab\r", b"\nz\n"]), terminator=b"\r\n")
        ch.handle_read()
        ch.ac_in_buffer = b"q"
        ch.handle_read()
        self.assertEqual(ch.log, [("collect", b"ab"), ("collect", b"q\nz\n")])

    def test_discard_buffers_in_a_callback_drops_the_rest_of_the_chunk(self):
        def found(self):
            self.log.append(("found",))
            self.discard_buffers()

        def scenario(cls):
            ch = cls(FakeSocket([b"a\nb\n", b"c\n"]))
            ch.incoming.append(b"dropped too")
            read_all(ch)
            return ch.log, ch.incoming

        self.assertEqual(both(self, scenario, {"found_terminator": found}),
                         ([("collect", b"a"), ("found",), ("collect", b"c"), ("found",)], []))

    def test_collect_helpers_join_what_was_collected(self):
        ch = asynchat.async_chat()
        ch._collect_incoming_data(b"ab")
        ch._collect_incoming_data(b"cd")
        self.assertEqual(ch._get_data(), b"abcd")
        self.assertEqual(ch.incoming, [])

    def test_base_callbacks_raise_not_implemented(self):
        ch = asynchat.async_chat()
        with self.assertRaises(NotImplementedError):
            ch.collect_incoming_data(b"")
        with self.assertRaises(NotImplementedError):
            ch.found_terminator()


class FastCollectPath(unittest.TestCase):
    """A collect_incoming_data() that only appends is not called, its effect is
    produced in C++; nothing but call-watching tools may tell the difference."""

    class Appending(asynchat.async_chat):
        def __init__(self, sock):
            asynchat.async_chat.__init__(self, sock, map={})
            self.set_terminator(b"\n")
            self.buf = []
            self.lines = []

        def collect_incoming_data(self, data):
            self.buf.append(data)

        def found_terminator(self):
            self.lines.append(b"".join(self.buf))
            self.buf = []

    def test_the_recognized_bodies(self):
        class C:
            def plain(self, data):
                self.buf.append(data)

            def documented(self, data):
                "Keeps the data."
                self.buf.append(data)

            def returns(self, data):
                self.buf.append(data)
                return 1

            def other_argument(self, data):
                self.buf.append(self)

            def nested(self, data):
                self.a.b.append(data)

            def global_list(self, data):
                collected.append(data)  # noqa: F821

            def starred(self, *data):
                self.buf.append(data)

        self.assertEqual([asynchat._append_target(f) for f in (
            C.plain, C.documented, C.returns, C.other_argument, C.nested, C.global_list, C.starred,
            asynchat.async_chat._collect_incoming_data, len)],
            ["buf", "buf", None, None, None, None, None, "incoming", None])

    def test_a_list_subclass_append_is_called(self):
        calls = []

        class Counting(list):
            def append(self, item):
                calls.append(item)
                super().append(item)

        ch = self.Appending(FakeSocket([b"ab\ncd\n"]))
        ch.buf = Counting()
        ch.handle_read()
        self.assertEqual((calls, ch.lines), ([b"ab"], [b"ab", b"cd"]))

    def test_an_instance_attribute_is_called_instead(self):
        ch = self.Appending(FakeSocket([b"ab\ncd\n"]))
        seen = []
        ch.collect_incoming_data = seen.append
        ch.handle_read()
        self.assertEqual((seen, ch.lines), ([b"ab", b"cd"], [b"", b""]))

    def test_a_descriptor_of_that_name_is_asked_once_per_frame(self):
        # Not a plain function: the fast path must not look at it, or the
        # property's getter would run twice for each frame (once there, once
        # for the call CPython makes).
        def scenario(module):
            gets = []

            class Described(module.async_chat):
                def __init__(self):
                    module.async_chat.__init__(self, map={})
                    self.set_terminator(b"\n")
                    self.buf = []

                def recv(self, n):
                    return b"ab\ncd\n"

                @property
                def collect_incoming_data(self):
                    gets.append(len(self.buf))
                    return self.buf.append

                def found_terminator(self):
                    gets.append(b"".join(self.buf))
                    self.buf = []

            Described().handle_read()
            return gets

        ours = scenario(asynchat)
        if cpython_asynchat is not None:
            self.assertEqual(ours, scenario(cpython_asynchat), "chatframe and CPython's asynchat differ")
        self.assertEqual(ours, [0, b"ab", 0, b"cd"])

    def test_a_function_replaced_in_the_class_is_seen_at_the_next_frame(self):
        class Mine(self.Appending):
            pass

        def switch_in_found(self):
            self.lines.append(b"".join(self.buf))
            self.buf = []
            Mine.collect_incoming_data = lambda self, data: self.buf.append(data.upper())

        Mine.found_terminator = switch_in_found
        ch = Mine(FakeSocket([b"ab\ncd\nef\n"]))
        ch.handle_read()
        self.assertEqual(ch.lines, [b"ab", b"CD", b"EF"])

    def test_a_code_object_swapped_is_seen(self):
        class Mine(self.Appending):
            def collect_incoming_data(self, data):
                self.buf.append(data)

        def doubled(self, data):
            self.buf.append(data * 2)

        ch = Mine(FakeSocket([b"ab\n", b"cd\n"]))
        ch.handle_read()
        Mine.collect_incoming_data.__code__ = doubled.__code__
        ch.handle_read()
        self.assertEqual(ch.lines, [b"ab", b"cdcd"])

    def test_a_tracer_sees_every_call(self):
        calls = []

        def tracer(frame, event, arg):
            if event == "call" and frame.f_code.co_name == "collect_incoming_data":
                calls.append(frame.f_locals["data"])
            return None

        ch = self.Appending(FakeSocket([b"ab\ncd\n"]))
        sys.settrace(tracer)
        try:
            ch.handle_read()
        finally:
            sys.settrace(None)
        self.assertEqual((calls, ch.lines), ([b"ab", b"cd"], [b"ab", b"cd"]))


class Helpers(unittest.TestCase):
    def test_find_prefix_at_end(self):
        for haystack, needle, want in (("qwerty\r", "\r\n", 1), ("qwertydkjf", "\r\n", 0),
                                       (b"ab\r\n.", b"\r\n.\r\n", 3), (b"", b"\r\n", 0),
                                       (b"xaa", b"aab", 2)):
            self.assertEqual(asynchat.find_prefix_at_end(haystack, needle), want)
            if cpython_asynchat:
                self.assertEqual(cpython_asynchat.find_prefix_at_end(haystack, needle), want)

    def test_simple_producer_pieces(self):
        p = asynchat.simple_producer(b"abcdefg", buffer_size=3)
        self.assertEqual([p.more() for _ in range(4)], [b"abc", b"def", b"g", b""])

    def test_fifo(self):
        f = asynchat.fifo([1])
        f.push(2)
        self.assertEqual((len(f), f.first(), f.pop(), f.pop(), f.pop(), f.is_empty()),
                         (2, 1, (1, 1), (1, 2), (0, None), True))


class RealSockets(unittest.TestCase):
    def test_lines_echoed_over_a_socketpair(self):
        a, b = socket.socketpair()
        self.addCleanup(a.close)
        self.addCleanup(b.close)
        local = {}

        class Lines(asynchat.async_chat):
            def __init__(self, sock):
                asynchat.async_chat.__init__(self, sock, map=local)
                self.set_terminator(b"\r\n")
                self.lines, self.buf = [], []

            def collect_incoming_data(self, data):
                self.buf.append(data)

            def found_terminator(self):
                line = b"".join(self.buf)
                self.buf = []
                self.lines.append(line)
                self.push(line.upper() + b"\r\n")

        ch = Lines(a)
        b.sendall(b"one\r\ntw")
        asyncore.loop(timeout=0.1, map=local, count=5)
        b.sendall(b"o\r\n")
        asyncore.loop(timeout=0.1, map=local, count=5)
        b.settimeout(5)
        got = b""
        while got.count(b"\r\n") < 2:
            got += b.recv(100)
        self.assertEqual((ch.lines, got), ([b"one", b"two"], b"ONE\r\nTWO\r\n"))


if __name__ == "__main__":
    unittest.main()
