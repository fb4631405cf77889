#!/usr/bin/env python3.11
"""Replay a chatframe conformance scenario through CPython's real asynchat.

Usage:
    python3.11 conformance/cpython_replay.py SCENARIO.json
    python3.11 conformance/cpython_replay.py -          # scenario on stdin

Prints the trace as JSON lines (one event per line) on stdout.  An invalid
scenario produces a message on stderr and exit status 2.

Importable: ``replay(scenario_dict) -> list[dict]`` (raises ScenarioError
for an invalid scenario), ``format_trace(events) -> str``.

See conformance/README.md for the scenario and trace formats.
"""

import json
import re
import sys
import warnings

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import asynchat  # noqa: E402  (deprecated in 3.11, removed in 3.12)

if sys.version_info[:2] != (3, 11):  # pragma: no cover - environment guard
    sys.stderr.write("cpython_replay.py: warning: reference is CPython 3.11, "
                     "running %s\n" % sys.version.split()[0])

DEFAULT_BUFFER_SIZE = 65536

_TOP_KEYS = frozenset({"in_buffer_size", "out_buffer_size", "terminator",
                       "start", "recv", "on_found", "on_collect", "send_caps",
                       "eof"})
_HEX_RE = re.compile(r"(?:[0-9a-f]{2})*\Z")


class ScenarioError(ValueError):
    """The scenario does not follow the format."""


# ---------------------------------------------------------------------------
# validation / decoding
# ---------------------------------------------------------------------------

def _is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def _hex(v, where):
    if not isinstance(v, str) or not _HEX_RE.match(v):
        raise ScenarioError("%s: expected a lowercase hex string with an even "
                            "number of digits, got %s" % (where, _short(v)))
    return bytes.fromhex(v)


def _short(v):
    s = json.dumps(v)
    return s if len(s) <= 60 else s[:57] + "..."


def _terminator(v, where):
    """Decode a TERM value into what set_terminator() receives."""
    if v is None:
        return None
    if not isinstance(v, dict) or len(v) != 1:
        raise ScenarioError('%s: terminator must be null, {"bytes": HEX} or '
                            '{"count": N}, got %s' % (where, _short(v)))
    (key, val), = v.items()
    if key == "bytes":
        return _hex(val, where + ".bytes")
    if key == "count":
        if not _is_int(val):
            raise ScenarioError("%s.count: expected an integer, got %s"
                                % (where, _short(val)))
        return val  # a negative count is valid input: CPython raises
    raise ScenarioError("%s: unknown terminator kind %r" % (where, key))


def _positive_int(v, where):
    if not _is_int(v) or v < 1:
        raise ScenarioError("%s: expected an integer >= 1, got %s"
                            % (where, _short(v)))
    return v


def _nonnegative_int(v, where):
    if not _is_int(v) or v < 0:
        raise ScenarioError("%s: expected an integer >= 0, got %s"
                            % (where, _short(v)))
    return v


def _action(a, where):
    """Decode one action into a tuple (name, args...)."""
    if not isinstance(a, list) or not a or not isinstance(a[0], str):
        raise ScenarioError("%s: an action is a list starting with its name, "
                            "got %s" % (where, _short(a)))
    name, args = a[0], a[1:]

    def arity(n):
        if len(args) != n:
            raise ScenarioError("%s: %s takes %d argument(s), got %d"
                                % (where, name, n, len(args)))

    if name == "push":
        arity(1)
        return ("push", _hex(args[0], where + "[1]"))
    if name == "push_producer":
        arity(2)
        # BUFSIZE 0 is valid: simple_producer.more() then returns b'' at
        # once and the producer is dropped unsent (asynchat.py:285-292).
        return ("push_producer", _hex(args[0], where + "[1]"),
                _nonnegative_int(args[1], where + "[2]"))
    if name == "push_collected":
        arity(0)
        return ("push_collected",)
    if name == "set_terminator":
        arity(1)
        return ("set_terminator", _terminator(args[0], where + "[1]"))
    if name == "close_when_done":
        arity(0)
        return ("close_when_done",)
    if name == "discard_buffers":
        arity(0)
        return ("discard_buffers",)
    if name == "set_out_buffer_size":
        arity(1)
        return ("set_out_buffer_size", _positive_int(args[0], where + "[1]"))
    raise ScenarioError("%s: unknown action %r" % (where, name))


def _actions(v, where):
    if not isinstance(v, list):
        raise ScenarioError("%s: expected a list of actions, got %s"
                            % (where, _short(v)))
    return [_action(a, "%s[%d]" % (where, i)) for i, a in enumerate(v)]


def parse_scenario(sc):
    """Validate a scenario dict; return a normalized, decoded form."""
    if not isinstance(sc, dict):
        raise ScenarioError("scenario: expected a JSON object")
    unknown = sorted(set(sc) - _TOP_KEYS)
    if unknown:
        raise ScenarioError("scenario: unknown field(s): %s" % ", ".join(unknown))
    p = {}
    p["in_buffer_size"] = _positive_int(
        sc.get("in_buffer_size", DEFAULT_BUFFER_SIZE), "in_buffer_size")
    p["out_buffer_size"] = _positive_int(
        sc.get("out_buffer_size", DEFAULT_BUFFER_SIZE), "out_buffer_size")
    p["terminator"] = _terminator(sc.get("terminator"), "terminator")
    p["start"] = _actions(sc.get("start", []), "start")

    recv = sc.get("recv", [])
    if not isinstance(recv, list):
        raise ScenarioError("recv: expected a list of hex strings")
    chunks = []
    for i, h in enumerate(recv):
        b = _hex(h, "recv[%d]" % i)
        # An empty chunk is a recv() that returned b'': end of stream, as
        # asyncore sees it (handle_close, then handle_read goes on framing).
        if len(b) > p["in_buffer_size"]:
            raise ScenarioError("recv[%d]: %d bytes exceed in_buffer_size %d"
                                % (i, len(b), p["in_buffer_size"]))
        chunks.append(b)
    p["recv"] = chunks

    on_found = sc.get("on_found", [])
    if not isinstance(on_found, list):
        raise ScenarioError("on_found: expected a list of action lists")
    p["on_found"] = [_actions(l, "on_found[%d]" % i)
                     for i, l in enumerate(on_found)]

    on_collect = sc.get("on_collect", [])
    if not isinstance(on_collect, list):
        raise ScenarioError("on_collect: expected a list of action lists")
    p["on_collect"] = [_actions(l, "on_collect[%d]" % i)
                       for i, l in enumerate(on_collect)]

    caps = sc.get("send_caps", [])
    if not isinstance(caps, list):
        raise ScenarioError("send_caps: expected a list of integers")
    for i, c in enumerate(caps):
        if not _is_int(c) or c < 0:
            raise ScenarioError("send_caps[%d]: expected an integer >= 0, "
                                "got %s" % (i, _short(c)))
    p["send_caps"] = list(caps)

    eof = sc.get("eof", False)
    if not isinstance(eof, bool):
        raise ScenarioError("eof: expected true or false, got %s" % _short(eof))
    p["eof"] = eof
    return p


# ---------------------------------------------------------------------------
# the channel under test
# ---------------------------------------------------------------------------

class _FakeSocket:
    """Just enough of a socket for asyncore.dispatcher."""

    __slots__ = ("chan", "next_recv", "caps", "cap_i", "blocked")

    def __init__(self, caps):
        self.chan = None
        self.next_recv = b""
        self.caps = caps
        self.cap_i = 0
        self.blocked = False

    def fileno(self):
        return 1000

    def setblocking(self, flag):
        pass

    def getpeername(self):
        return ("127.0.0.1", 1)

    def recv(self, n):
        data = self.next_recv
        self.next_recv = b""
        assert len(data) <= n
        return data

    def send(self, data):
        if not data:
            return 0          # untraced, consumes no cap, never "blocks"
        if self.cap_i < len(self.caps):
            cap = self.caps[self.cap_i]
            self.cap_i += 1
        else:
            cap = len(data)
        n = min(cap, len(data))
        self.chan._events.append({"send": bytes(data).hex(), "sent": n})
        if n == 0:
            self.blocked = True
        return n

    def close(self):
        pass


class _Chan(asynchat.async_chat):
    """async_chat whose callbacks trace and run scenario actions.

    initiate_send() only does something while the driver drains; push(),
    push_with_producer() (which call initiate_send immediately in CPython)
    therefore only enqueue when called from callbacks or `start`.
    """

    def __init__(self, sock, chan_map, events, on_found, on_collect):
        self._events = events
        self._on_found = on_found
        self._found_count = 0
        self._on_collect = on_collect
        self._collect_count = 0
        self._acc = []
        self._draining = False
        self._close_traced = False
        sock.chan = self
        asynchat.async_chat.__init__(self, sock, map=chan_map)

    # -- suppression of sending outside drain
    def initiate_send(self):
        if self._draining:
            asynchat.async_chat.initiate_send(self)

    # -- tracing
    def close(self):
        if not self._close_traced:
            self._close_traced = True
            self._events.append({"close": 1})
        asynchat.async_chat.close(self)

    def collect_incoming_data(self, data):
        self._events.append({"collect": bytes(data).hex()})
        self._acc.append(bytes(data))
        k = self._collect_count
        self._collect_count += 1
        if k < len(self._on_collect):
            self.run_actions(self._on_collect[k])

    def found_terminator(self):
        self._events.append({"found": 1})
        k = self._found_count
        self._found_count += 1
        if k < len(self._on_found):
            self.run_actions(self._on_found[k])
        self._acc.clear()

    # -- actions
    def run_actions(self, actions):
        for act in actions:
            name = act[0]
            if name == "push":
                self.push(act[1])
            elif name == "push_producer":
                self.push_with_producer(asynchat.simple_producer(act[1], act[2]))
            elif name == "push_collected":
                self.push(b"".join(self._acc))
            elif name == "set_terminator":
                self.set_terminator(act[1])
            elif name == "close_when_done":
                self.close_when_done()
            elif name == "discard_buffers":
                self.discard_buffers()
            elif name == "set_out_buffer_size":
                self.ac_out_buffer_size = act[1]
            else:  # pragma: no cover - parse_scenario rejects these
                raise AssertionError(name)


def _drain(ch, sock):
    while ch.producer_fifo and ch.connected:
        sock.blocked = False
        ch._draining = True
        try:
            ch.initiate_send()
        finally:
            ch._draining = False
        if sock.blocked:
            break


def replay(scenario):
    """Replay a scenario dict through asynchat.async_chat; return the trace.

    Raises ScenarioError if the scenario is invalid.
    """
    p = parse_scenario(scenario)
    events = []
    sock = _FakeSocket(p["send_caps"])
    try:
        ch = _Chan(sock, {}, events, p["on_found"], p["on_collect"])
        ch.ac_in_buffer_size = p["in_buffer_size"]
        ch.ac_out_buffer_size = p["out_buffer_size"]
        ch.set_terminator(p["terminator"])
        ch.run_actions(p["start"])
        _drain(ch, sock)
        for chunk in p["recv"]:
            if not ch.connected:
                break
            events.append({"recv": chunk.hex()})
            sock.next_recv = chunk
            ch.handle_read()
            _drain(ch, sock)
        if p["eof"] and ch.connected:
            sock.next_recv = b""
            ch.handle_read()
        while ch.producer_fifo and ch.connected:
            _drain(ch, sock)
    except ScenarioError:
        raise
    except Exception as e:  # CPython raised: a valid trace ends here
        events.append({"error": type(e).__name__})
    return events


def format_trace(events):
    """The trace as text: one compact JSON object per line."""
    return "".join(json.dumps(e, separators=(",", ":")) + "\n" for e in events)


def load_scenario(path):
    """Read a scenario file ('-' = stdin); raises ScenarioError on bad JSON."""
    try:
        if path == "-":
            text = sys.stdin.read()
        else:
            with open(path, encoding="utf-8") as f:
                text = f.read()
    except OSError as e:
        raise ScenarioError("%s: %s" % (path, e.strerror or e))
    except UnicodeDecodeError as e:
        raise ScenarioError("%s: not UTF-8 text (%s)" % (path, e.reason))
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as e:
        raise ScenarioError("%s: invalid JSON: %s" % (path, e))


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1 or argv[0] in ("-h", "--help"):
        sys.stderr.write("usage: python3.11 conformance/cpython_replay.py "
                         "SCENARIO.json|-\n")
        return 2
    try:
        events = replay(load_scenario(argv[0]))
    except ScenarioError as e:
        sys.stderr.write("cpython_replay.py: invalid scenario: %s\n" % e)
        return 2
    sys.stdout.write(format_trace(events))
    return 0


if __name__ == "__main__":
    sys.exit(main())
