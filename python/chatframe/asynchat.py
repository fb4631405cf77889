"""chatframe.asynchat: CPython 3.11's asynchat API, framed by chatframe's C++ core.

A drop-in for the ``asynchat`` module that Python 3.12 removed (PEP 594).
``async_chat`` is a subclass of chatframe.asyncore's ``dispatcher``, as
CPython's is of asyncore's; its input framing (set_terminator, handle_read)
and its producer FIFO (push, push_with_producer, close_when_done,
initiate_send) run in C++ (chatframe._core.chat) and call back into Python
exactly where CPython's asynchat.py does: collect_incoming_data(),
found_terminator(), recv(), send(), handle_close(), handle_error() and
initiate_send() are looked up on the instance at every call, so subclasses
and instance attributes override them as they would in CPython, and
attributes such as ac_in_buffer_size, ac_out_buffer_size and connected are
read when used.

Differences from CPython 3.11 (each one where CPython's behaviour would be a
bug to copy or cannot be observed through a socket; README, "Python"):

- push() copies its bytes: a bytearray changed after push() is sent as it was.
- An empty item reached in the queue is skipped without calling send(b'').
- Items pushed after the close marker was reached are never sent, even if
  handle_close() left the channel open.
- get_terminator() is not consulted by handle_read(): assign the terminator
  with set_terminator() or the terminator attribute.
- ac_in_buffer reads as the input held back between reads (CPython's
  attribute while handle_read() is not running); assigning it replaces that
  input, to be framed by the next handle_read().
- len(producer_fifo) is 0 when nothing is queued and 1 otherwise (its truth
  value is CPython's); the fifo supports append() and clear().
- handle_read() called from inside collect_incoming_data() or
  found_terminator() of the same channel raises RuntimeError.
- A producer that is a str, and an ac_out_buffer_size below 1, raise at once
  (CPython fails later in send(), or loops).
"""

import collections
import dis
import sys

from chatframe import _core, asyncore
from chatframe._core import chat as _chat_core

__all__ = ["async_chat", "fifo", "find_prefix_at_end", "simple_producer"]


class async_chat(_chat_core, asyncore.dispatcher):
    """An asyncore dispatcher that frames its input by a terminator and queues
    its output: subclass it and define collect_incoming_data() and
    found_terminator()."""

    # Overridable defaults, read when used (a class or an instance may
    # change them at any time).
    ac_in_buffer_size = 65536
    ac_out_buffer_size = 65536

    # A str terminator is encoded with `encoding` only if use_encoding is true.
    use_encoding = 0
    encoding = "latin-1"

    def __init__(self, sock=None, map=None):
        self._reset_buffers()
        # What _collect_incoming_data() gathers and _get_data() joins.
        self.incoming = []
        asyncore.dispatcher.__init__(self, sock, map)

    def collect_incoming_data(self, data):
        raise NotImplementedError("must be implemented in subclass")

    def _collect_incoming_data(self, data):
        self.incoming.append(data)

    def _get_data(self):
        data = b"".join(self.incoming)
        del self.incoming[:]
        return data

    def found_terminator(self):
        raise NotImplementedError("must be implemented in subclass")

    def handle_write(self):
        self.initiate_send()

    def handle_close(self):
        self.close()

    def readable(self):
        # Always: framing never refuses input (see CPython's comment on why
        # a fuller predicate would break set_terminator's promise).
        return 1


class simple_producer:
    """Hands out `data` in pieces of at most `buffer_size` bytes."""

    def __init__(self, data, buffer_size=512):
        self.data = data
        self.buffer_size = buffer_size

    def more(self):
        if len(self.data) <= self.buffer_size:
            piece, self.data = self.data, b""
        else:
            piece, self.data = self.data[:self.buffer_size], self.data[self.buffer_size:]
        return piece


class fifo:
    """The FIFO of Python 2's asynchat (gone from CPython 3): push(), pop(),
    first() and is_empty() over a deque."""

    def __init__(self, list=None):
        self.list = collections.deque(list or ())

    def __len__(self):
        return len(self.list)

    def is_empty(self):
        return not self.list

    def first(self):
        return self.list[0]

    def push(self, data):
        self.list.append(data)

    def pop(self):
        """(1, first item), removing it, or (0, None) when empty."""
        if not self.list:
            return (0, None)
        return (1, self.list.popleft())


def find_prefix_at_end(haystack, needle):
    """The length of the longest proper prefix of `needle` that ends
    `haystack` (0 if none); for bytes or str alike."""
    for length in range(min(len(needle) - 1, len(haystack)), 0, -1):
        if haystack.endswith(needle[:length]):
            return length
    return 0


# --- the fast path for append-only collect_incoming_data() -------------------
#
# handle_read() does not call a collect_incoming_data() whose whole body is
# `self.X.append(data)`: it appends the bytes to self.X itself, looked up as
# the call would look it up (chatframe/_core, appended_attr()). That saves a
# Python call per frame, and nothing else can tell, except tools that watch
# calls: while a tracer, a profiler or a sys.monitoring tool is on, every
# call is made.

# Instructions that do nothing here, in the versions that have them.
_IGNORED_OPS = frozenset(("RESUME", "NOP", "CACHE", "PRECALL", "EXTENDED_ARG"))
# CO_VARARGS, CO_VARKEYWORDS, CO_GENERATOR, CO_COROUTINE, CO_ASYNC_GENERATOR.
_NOT_PLAIN = 0x04 | 0x08 | 0x20 | 0x80 | 0x200
_append_targets = {}  # code object -> attribute name, or None


def _append_target(function):
    """X if `function` is exactly `def f(self, data): self.X.append(data)`
    (a docstring allowed), else None."""
    code = getattr(function, "__code__", None)
    if code is None:
        return None
    try:
        return _append_targets[code]
    except KeyError:
        pass
    target = None
    plain = code.co_flags & _NOT_PLAIN == 0
    if plain and code.co_argcount == 2 and not code.co_kwonlyargcount and not code.co_freevars \
            and not code.co_cellvars and code.co_nlocals == 2:
        me, data = code.co_varnames[:2]
        ops = [(i.opname, i.argval) for i in dis.get_instructions(code) if i.opname not in _IGNORED_OPS]
        # 3.11: LOAD_METHOD append ... LOAD_CONST None, RETURN_VALUE;
        # 3.12+: LOAD_ATTR append ... RETURN_CONST None.
        body = [op if op[0] != "LOAD_METHOD" else ("LOAD_ATTR", op[1]) for op in ops]
        if body[-2:] == [("LOAD_CONST", None), ("RETURN_VALUE", None)]:
            body = body[:-2] + [("RETURN_CONST", None)]
        if len(body) == 7 and body[0] == ("LOAD_FAST", me) and body[1][0] == "LOAD_ATTR" \
                and body[2] == ("LOAD_ATTR", "append") and body[3] == ("LOAD_FAST", data) \
                and body[4] == ("CALL", 1) and body[5][0] == "POP_TOP" and body[6] == ("RETURN_CONST", None) \
                and isinstance(body[1][1], str):
            target = body[1][1]
    _append_targets[code] = target
    return target


def _monitoring_active():
    """True while any sys.monitoring tool (Python 3.12+) is registered."""
    monitoring = getattr(sys, "monitoring", None)
    return monitoring is not None and any(monitoring.get_tool(i) is not None for i in range(6))


_core._set_fast_collect_hooks(_append_target, _monitoring_active)
