"""chatframe.asyncore: the socket loop and dispatcher of CPython 3.11's asyncore.

A drop-in for the ``asyncore`` module that Python 3.12 removed (PEP 594):
the same names, the same calls in the same order, the same quirks, so that
``async_chat`` (chatframe.asynchat) and programs written for asyncore run
unchanged. Only standard modules that Python 3.12 and later still ship are
imported.

Everything here is plain Python: it is the event loop, not the framing.
Framing and the output queue live in chatframe's C++ core (chatframe.asynchat).

Module attributes that programs and CPython's own tests replace at run time
are looked up when used, as in CPython: ``socket`` (test_smtpd swaps in a
mock socket module), ``socket_map`` (close_all() and loop() read it when no
map is given).
"""

import os
import select
import socket
import sys
import time
import warnings
from errno import (EAGAIN, EALREADY, EBADF, ECONNABORTED, ECONNRESET, EINPROGRESS, EINVAL,
                   EISCONN, ENOTCONN, EPIPE, ESHUTDOWN, EWOULDBLOCK, errorcode)

# The errno values after which a socket is gone rather than busy: a send or
# recv that fails with one of them closes the channel instead of raising.
_DISCONNECTED = frozenset((ECONNRESET, ENOTCONN, ESHUTDOWN, ECONNABORTED, EPIPE, EBADF))

# The default map of file descriptor -> dispatcher, shared by every
# dispatcher created without a map of its own.
socket_map = {}


class ExitNow(Exception):
    """Raised by a handler to leave loop() at once (never passed to handle_error)."""


# Exceptions that the dispatch helpers let through instead of calling handle_error().
_reraised_exceptions = (ExitNow, KeyboardInterrupt, SystemExit)


def _strerror(err):
    """A readable name for an errno value, whatever the platform knows of it."""
    try:
        return os.strerror(err)
    except (ValueError, OverflowError, NameError):
        return errorcode.get(err, "Unknown error %s" % err)


def _dispatch(obj, *handlers):
    """Calls each handler of obj in turn; any exception but the re-raised
    ones goes to obj.handle_error()."""
    try:
        for name in handlers:
            getattr(obj, name)()
    except _reraised_exceptions:
        raise
    except:  # noqa: E722 - asyncore hands every other exception to the channel
        obj.handle_error()


def read(obj):
    """select() reported obj readable."""
    _dispatch(obj, "handle_read_event")


def write(obj):
    """select() reported obj writable."""
    _dispatch(obj, "handle_write_event")


def _exception(obj):
    """select() reported an exceptional condition on obj."""
    _dispatch(obj, "handle_expt_event")


def readwrite(obj, flags):
    """poll() reported the events `flags` on obj."""
    try:
        if flags & select.POLLIN:
            obj.handle_read_event()
        if flags & select.POLLOUT:
            obj.handle_write_event()
        if flags & select.POLLPRI:
            obj.handle_expt_event()
        if flags & (select.POLLHUP | select.POLLERR | select.POLLNVAL):
            obj.handle_close()
    except OSError as err:
        # A socket that went away closes quietly; any other OS error is the
        # channel's to handle.
        if err.errno in _DISCONNECTED:
            obj.handle_close()
        else:
            obj.handle_error()
    except _reraised_exceptions:
        raise
    except:  # noqa: E722
        obj.handle_error()


def poll(timeout=0.0, map=None):
    """One select() round over the map: reads, then writes, then exceptions."""
    if map is None:
        map = socket_map
    if not map:
        return
    readers, writers, errors = [], [], []
    for fd, obj in list(map.items()):
        wants_read = obj.readable()
        wants_write = obj.writable()
        if wants_read:
            readers.append(fd)
        # A listening socket is never asked for writability.
        if wants_write and not obj.accepting:
            writers.append(fd)
        if wants_read or wants_write:
            errors.append(fd)
    if not (readers or writers or errors):
        time.sleep(timeout)
        return
    readers, writers, errors = select.select(readers, writers, errors, timeout)
    # Each phase looks the descriptor up again: an earlier handler may have
    # closed a channel and removed it from the map.
    for ready, handler in ((readers, read), (writers, write), (errors, _exception)):
        for fd in ready:
            obj = map.get(fd)
            if obj is not None:
                handler(obj)


def poll2(timeout=0.0, map=None):
    """One poll() round over the map; events are dispatched per descriptor."""
    if map is None:
        map = socket_map
    if timeout is not None:
        timeout = int(timeout * 1000)  # poll() takes milliseconds
    pollster = select.poll()
    if not map:
        return
    for fd, obj in list(map.items()):
        events = 0
        if obj.readable():
            events |= select.POLLIN | select.POLLPRI
        if obj.writable() and not obj.accepting:
            events |= select.POLLOUT
        if events:
            pollster.register(fd, events)
    for fd, events in pollster.poll(timeout):
        obj = map.get(fd)
        if obj is not None:
            readwrite(obj, events)


poll3 = poll2  # the old name, kept as CPython keeps it


def loop(timeout=30.0, use_poll=False, map=None, count=None):
    """Runs rounds of select() (or poll() with use_poll) until the map is
    empty, or for at most `count` rounds."""
    if map is None:
        map = socket_map
    one_round = poll2 if use_poll and hasattr(select, "poll") else poll
    while map and (count is None or count > 0):
        one_round(timeout, map)
        if count is not None:
            count -= 1


def _module_and_name(cls):
    """How a class is named in repr(): chatframe's own classes under the
    module name CPython gave them, so log lines read as they did."""
    module = cls.__module__
    if module.startswith("chatframe."):
        module = module[len("chatframe."):]
    return "%s.%s" % (module, cls.__qualname__)


class dispatcher:
    """A socket wrapped for the loop: override the handle_*() methods."""

    debug = False
    connected = False
    accepting = False
    connecting = False
    closing = False
    addr = None
    ignore_log_types = frozenset({"warning"})

    def __init__(self, sock=None, map=None):
        self._map = socket_map if map is None else map
        self._fileno = None
        if not sock:
            self.socket = None
            return
        # A socket handed over may come from blocking code.
        sock.setblocking(False)
        self.set_socket(sock, map)
        self.connected = True
        try:
            self.addr = sock.getpeername()
        except OSError as err:
            if err.errno not in (ENOTCONN, EINVAL):
                # Broken in a way nobody can fix here: keep it out of the map.
                self.del_channel(map)
                raise
            # Not connected (yet): a listening or unconnected socket.
            self.connected = False

    def __repr__(self):
        words = [_module_and_name(self.__class__)]
        if self.accepting and self.addr:
            words.append("listening")
        elif self.connected:
            words.append("connected")
        if self.addr is not None:
            try:
                words.append("%s:%d" % self.addr)
            except TypeError:
                words.append(repr(self.addr))
        return "<%s at %#x>" % (" ".join(words), id(self))

    # --- the map ------------------------------------------------------------

    def add_channel(self, map=None):
        (self._map if map is None else map)[self._fileno] = self

    def del_channel(self, map=None):
        if map is None:
            map = self._map
        map.pop(self._fileno, None)
        self._fileno = None

    # --- the socket ---------------------------------------------------------

    def create_socket(self, family=socket.AF_INET, type=socket.SOCK_STREAM):
        self.family_and_type = family, type
        sock = socket.socket(family, type)
        sock.setblocking(False)
        self.set_socket(sock)

    def set_socket(self, sock, map=None):
        self.socket = sock
        self._fileno = sock.fileno()
        self.add_channel(map)

    def set_reuse_addr(self):
        """Sets SO_REUSEADDR where the platform allows it."""
        try:
            level, option = socket.SOL_SOCKET, socket.SO_REUSEADDR
            self.socket.setsockopt(level, option, self.socket.getsockopt(level, option) | 1)
        except OSError:
            pass

    # What the loop asks before each round.
    def readable(self):
        return True

    def writable(self):
        return True

    def listen(self, num):
        self.accepting = True
        if os.name == "nt" and num > 5:
            num = 5
        return self.socket.listen(num)

    def bind(self, addr):
        self.addr = addr
        return self.socket.bind(addr)

    def connect(self, address):
        self.connected = False
        self.connecting = True
        err = self.socket.connect_ex(address)
        in_progress = err in (EINPROGRESS, EALREADY, EWOULDBLOCK) or (
            err == EINVAL and os.name == "nt")
        if in_progress:
            self.addr = address
        elif err in (0, EISCONN):
            self.addr = address
            self.handle_connect_event()
        else:
            raise OSError(err, errorcode[err])

    def accept(self):
        """(socket, address), or None when nobody was waiting after all."""
        try:
            conn, addr = self.socket.accept()
        except TypeError:
            return None
        except OSError as err:
            if err.errno in (EWOULDBLOCK, ECONNABORTED, EAGAIN):
                return None
            raise
        return conn, addr

    def send(self, data):
        """Bytes sent; 0 when the socket would block or the peer went away
        (which closes the channel)."""
        try:
            return self.socket.send(data)
        except OSError as err:
            if err.errno == EWOULDBLOCK:
                return 0
            if err.errno in _DISCONNECTED:
                self.handle_close()
                return 0
            raise

    def recv(self, buffer_size):
        """Bytes received; b'' at end of stream or when the peer went away
        (either closes the channel through handle_close())."""
        try:
            data = self.socket.recv(buffer_size)
        except OSError as err:
            if err.errno not in _DISCONNECTED:
                raise
            data = b""
        if not data:
            self.handle_close()
            return b""
        return data

    def close(self):
        self.connected = False
        self.accepting = False
        self.connecting = False
        self.del_channel()
        if self.socket is None:
            return
        try:
            self.socket.close()
        except OSError as err:
            if err.errno not in (ENOTCONN, EBADF):
                raise

    # --- logging ------------------------------------------------------------

    def log(self, message):
        sys.stderr.write("log: %s\n" % str(message))

    def log_info(self, message, type="info"):
        if type not in self.ignore_log_types:
            print("%s: %s" % (type, message))

    # --- what the loop calls --------------------------------------------------

    def handle_read_event(self):
        if self.accepting:
            # A listening socket's readability is a connection to accept.
            self.handle_accept()
            return
        if not self.connected and self.connecting:
            self.handle_connect_event()
        self.handle_read()

    def handle_connect_event(self):
        err = self.socket.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        if err != 0:
            raise OSError(err, _strerror(err))
        self.handle_connect()
        self.connected = True
        self.connecting = False

    def handle_write_event(self):
        if self.accepting:
            return  # a listening socket is not written to: ignore the event
        if not self.connected and self.connecting:
            self.handle_connect_event()
        self.handle_write()

    def handle_expt_event(self):
        # An error pending on the socket closes it, as a read of b'' would;
        # otherwise this is out-of-band data.
        if self.socket.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) != 0:
            self.handle_close()
        else:
            self.handle_expt()

    def handle_error(self):
        nil, t, v, tbinfo = compact_traceback()
        try:
            self_repr = repr(self)
        except:  # noqa: E722 - a broken __repr__ must not hide the error being reported
            self_repr = "<__repr__(self) failed for object at %0x>" % id(self)
        self.log_info("uncaptured python exception, closing channel %s (%s:%s %s)"
                      % (self_repr, t, v, tbinfo), "error")
        self.handle_close()

    # --- the handlers a subclass overrides ------------------------------------

    def handle_expt(self):
        self.log_info("unhandled incoming priority event", "warning")

    def handle_read(self):
        self.log_info("unhandled read event", "warning")

    def handle_write(self):
        self.log_info("unhandled write event", "warning")

    def handle_connect(self):
        self.log_info("unhandled connect event", "warning")

    def handle_accept(self):
        pair = self.accept()
        if pair is not None:
            self.handle_accepted(*pair)

    def handle_accepted(self, sock, addr):
        sock.close()
        self.log_info("unhandled accepted event", "warning")

    def handle_close(self):
        self.log_info("unhandled close event", "warning")
        self.close()


class dispatcher_with_send(dispatcher):
    """A dispatcher whose send() buffers what the socket does not take yet."""

    def __init__(self, sock=None, map=None):
        dispatcher.__init__(self, sock, map)
        self.out_buffer = b""

    def initiate_send(self):
        sent = dispatcher.send(self, self.out_buffer[:65536])
        self.out_buffer = self.out_buffer[sent:]

    def handle_write(self):
        self.initiate_send()

    def writable(self):
        return (not self.connected) or len(self.out_buffer)

    def send(self, data):
        if self.debug:
            self.log_info("sending %s" % repr(data))
        self.out_buffer = self.out_buffer + data
        self.initiate_send()


def compact_traceback():
    """((file, function, line), type, value, '[file|function|line] ...') of
    the exception being handled, innermost frame first in the tuple."""
    t, v, tb = sys.exc_info()
    if not tb:
        raise AssertionError("traceback does not exist")
    frames = []
    while tb is not None:
        code = tb.tb_frame.f_code
        frames.append((code.co_filename, code.co_name, str(tb.tb_lineno)))
        tb = tb.tb_next
    info = " ".join("[%s|%s|%s]" % frame for frame in frames)
    return frames[-1], t, v, info


def close_all(map=None, ignore_all=False):
    """Closes every channel in the map and empties it."""
    if map is None:
        map = socket_map
    for channel in list(map.values()):
        try:
            channel.close()
        except OSError as err:
            if err.errno != EBADF and not ignore_all:
                raise
        except _reraised_exceptions:
            raise
        except:  # noqa: E722
            if not ignore_all:
                raise
    map.clear()


if os.name == "posix":
    class file_wrapper:
        """A file descriptor that answers the few socket calls asyncore makes.
        It owns a duplicate of the descriptor it is given."""

        def __init__(self, fd):
            self.fd = os.dup(fd)

        def __del__(self):
            if self.fd >= 0:
                warnings.warn("unclosed file %r" % self, ResourceWarning, source=self)
            self.close()

        def recv(self, *args):
            return os.read(self.fd, *args)

        def send(self, *args):
            return os.write(self.fd, *args)

        read = recv
        write = send

        def getsockopt(self, level, optname, buflen=None):
            if level == socket.SOL_SOCKET and optname == socket.SO_ERROR and not buflen:
                return 0
            raise NotImplementedError("Only asyncore specific behaviour implemented.")

        def close(self):
            if self.fd < 0:
                return
            fd, self.fd = self.fd, -1
            os.close(fd)

        def fileno(self):
            return self.fd

    class file_dispatcher(dispatcher):
        """A dispatcher over a file descriptor (a pipe, a terminal)."""

        def __init__(self, fd, map=None):
            dispatcher.__init__(self, None, map)
            self.connected = True
            try:
                fd = fd.fileno()
            except AttributeError:
                pass  # already a descriptor
            self.set_file(fd)
            os.set_blocking(fd, False)

        def set_file(self, fd):
            self.socket = file_wrapper(fd)
            self._fileno = self.socket.fileno()
            self.add_channel()
