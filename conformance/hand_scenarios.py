"""Hand-written conformance scenarios, each aimed at one asynchat.py quirk.

Written here in readable Python (bytes literals); gen_corpus.py turns them
into conformance/corpus/NAME.json.  Line numbers refer to CPython 3.11's
Lib/asynchat.py.
"""

_OMIT = object()


def term(t):
    """TERM in JSON form: bytes -> {"bytes"}, int -> {"count"}, None."""
    if t is None:
        return None
    if isinstance(t, int):
        return {"count": t}
    return {"bytes": bytes(t).hex()}


def push(b):
    return ["push", bytes(b).hex()]


def producer(b, bufsize):
    return ["push_producer", bytes(b).hex(), bufsize]


def set_term(t):
    return ["set_terminator", term(t)]


def out_size(n):
    return ["set_out_buffer_size", n]


COLLECTED = ["push_collected"]
CLOSE = ["close_when_done"]
DISCARD = ["discard_buffers"]


def S(terminator=_OMIT, recv=(), on_found=(), start=(), caps=(), eof=False,
      ib=None, ob=None, on_collect=()):
    sc = {}
    if ib is not None:
        sc["in_buffer_size"] = ib
    if ob is not None:
        sc["out_buffer_size"] = ob
    if terminator is not _OMIT:
        sc["terminator"] = term(terminator)
    if start:
        sc["start"] = list(start)
    sc["recv"] = [bytes(c).hex() for c in recv]
    if on_found:
        sc["on_found"] = [list(a) for a in on_found]
    if on_collect:
        sc["on_collect"] = [list(a) for a in on_collect]
    if caps:
        sc["send_caps"] = list(caps)
    if eof:
        sc["eof"] = True
    return sc


def split_every_point(data):
    """[[data[:i], data[i:]] for every inner split point i]."""
    return [(i, [data[:i], data[i:]]) for i in range(1, len(data))]


LOREM = (b"Lorem ipsum dolor sit amet, consectetuer adipiscing elit. Donec\n"
         b"egestas, enim et consectetuer ullamcorper, lectus ligula rutrum\n"
         b"leo, a elementum elit tortor eu quam.\n")
assert len(LOREM) == 166

ECHO_FOUND = [[set_term(166)], [COLLECTED, CLOSE]]

SCENARIOS = {
    # ---- string terminator framing (handle_read lines 159-191)
    "held-back-prefix-joined-with-next-chunk": S(
        b"ab", [b"xa", b"cy", b"zab"], [[COLLECTED]]),
    "held-back-crlf-completed-by-next-chunk": S(
        b"\r\n", [b"abc\r", b"\ndef\r\n"], [[COLLECTED], [COLLECTED]]),
    "empty-collect-skipped-terminator-at-index-0": S(
        b"\n", [b"\n\nabc\n\n"], [[COLLECTED]] * 4),
    "whole-buffer-is-prefix-nothing-collected": S(
        b"\r\n.\r\n", [b"\r\n.", b"\r", b"\nrest"]),
    "longest-prefix-held-back": S(
        b"abab", [b"xxaba", b"b"]),
    "prefix-search-starts-at-len-minus-1": S(
        b"aaaa", [b"zaaa", b"a", b"aaa", b"aaaa"]),
    "leftmost-match-with-overlapping-terminator": S(
        b"aa", [b"aaa", b"aaaa", b"a"]),
    "several-terminators-in-one-chunk": S(
        b";", [b"a;bb;;ccc;d"], [[COLLECTED]] * 5),
    "terminator-at-end-of-chunk": S(b"\n", [b"abc\n"]),
    "terminator-longer-than-chunks": S(
        b"ENDOFMSG", [bytes([c]) for c in b"hiENDOFMSyENDOFMSG!"]),
    "near-miss-prefix-then-mismatch": S(
        b"\r\n\r\n", [b"a\r\n\r", b"x\r\n", b"\r\n"]),
    "held-back-bytes-dropped-at-eof": S(
        b"\r\n", [b"abc\r"], eof=True),
    "held-back-partial-long-terminator-dropped-at-eof": S(
        b"--boundary", [b"data--bound"], eof=True),
    "none-terminator-collects-each-chunk": S(
        None, [b"abc", b"\n", b"def"], eof=True),
    "default-terminator-is-none": S(recv=[b"abc", b"def"]),
    "empty-bytes-terminator-acts-as-none": S(b"", [b"a\nb", b"c"]),
    "count-zero-terminator-collects-all-no-found": S(0, [b"abc", b"de"]),
    "binary-terminator-nul-ff": S(
        b"\x00\xff", [b"\x00\x00\xff\xff\x00", b"\xff"], [[COLLECTED]] * 2),

    # ---- numeric terminator (lines 147-158)
    "count-leaves-zero-later-data-collected-no-found": S(
        3, [b"abcdefg", b"hij"]),
    "count-decrements-across-reads": S(5, [b"ab", b"cd", b"efg"]),
    "count-exactly-one-chunk": S(4, [b"abcd", b"efgh"]),
    "count-one-per-byte": S(
        1, [b"abc"], [[set_term(1)], [set_term(1)], [set_term(1)]]),
    "count-pending-at-eof": S(10, [b"abc"], eof=True),

    # ---- terminator changes inside found_terminator
    "found-string-to-count": S(
        b"\n", [b"LEN 3\nabcdef\n"], [[set_term(3)], [set_term(b"\n")]]),
    "found-count-to-string": S(
        2, [b"ab:cd:e"], [[set_term(b":")], [], [set_term(b":")]]),
    "found-string-to-none": S(
        b"\n", [b"a\nbc\nd", b"e\n"], [[set_term(None)]]),
    "found-count-to-none": S(2, [b"abcd", b"e"], [[set_term(None)]]),
    "found-sets-count-0": S(
        b"|", [b"a|bcd|e", b"f|"], [[set_term(0)]]),
    "found-sets-empty-bytes": S(
        b"|", [b"a|bcd|e", b"f|"], [[set_term(b"")]]),
    "found-sets-longer-terminator-then-holds-prefix": S(
        b"\n", [b"x\nab\r\n\r", b"\n"], [[set_term(b"\r\n\r\n")]]),
    "found-sets-same-terminator-again": S(
        b",", [b"a,b,c"], [[set_term(b",")], [set_term(b",")]]),
    "count-found-then-count-rest-of-held-string": S(
        b"\r\n", [b"a\r\nbc\r"], [[set_term(2)]], eof=True),
    "found-negative-count-raises-value-error": S(
        b"\n", [b"a\nb\nc\n"], [[push(b"x")], [set_term(-1), push(b"y")]]),
    "negative-initial-count-raises-value-error": S(-5, [b"abc"]),
    "start-overrides-terminator-before-first-read": S(
        b"\n", [b"ab\ncd"], start=[set_term(3)]),
    "start-negative-count-error": S(
        b"\n", [b"ab\n"], start=[push(b"hi"), set_term(-1)]),

    # ---- discard_buffers (lines 271-275)
    "discard-in-found-drops-rest-of-chunk": S(
        b"\n", [b"a\nb\nc\n", b"d\n"], [[DISCARD], [COLLECTED]]),
    "discard-in-found-drops-output-queue": S(
        b"\n", [b"a\n", b"b\n"], [[DISCARD, push(b"new")]],
        start=[push(b"hello")], caps=[0, 0]),
    "discard-drops-close-marker": S(
        b"\n", [b"a\n", b"b\n", b"c\n"],
        [[push(b"bye"), CLOSE, DISCARD], [push(b"still-open")]],
        caps=[0]),
    "discard-in-count-found": S(3, [b"abcdef", b"gh"], [[DISCARD]]),

    # ---- integers beyond 64 bits: Python's are exact, and a count or size
    # that large is never reached
    "count-beyond-64-bits-never-completes": S(
        2 ** 70, [b"abc", b"def"], eof=True),
    "collect-sets-count-beyond-64-bits": S(
        10, [b"abc", b"defghijklmnop"], on_collect=[[set_term(2 ** 64 + 5)]]),
    "negative-count-beyond-64-bits-value-error": S(b"\n", [b"a\n"],
                                                   [[set_term(-2 ** 70)]]),
    "buffer-sizes-and-caps-beyond-64-bits": S(
        b"\n", [b"ab\ncd\n"],
        [[COLLECTED, producer(b"xyz", 2 ** 80), out_size(2 ** 65)]],
        caps=[2 ** 64, 2 ** 70], ib=2 ** 66, ob=2 ** 64),

    # ---- set_terminator inside collect_incoming_data (the step under way
    # keeps its terminator; line 153 counts down whatever was set)
    "collect-sets-delimiter-old-length-consumed": S(
        b"\r\n", [b"ab\r\ncdXef"], on_collect=[[set_term(b"X")]]),
    "collect-sets-count-during-partial-count": S(
        10, [b"abc", b"defg"], on_collect=[[set_term(5)]]),
    "collect-sets-count-equal-to-bytes-collected": S(
        10, [b"abc", b"xyz"], on_collect=[[set_term(3)]]),
    "collect-sets-smaller-count-goes-negative": S(
        10, [b"abcde", b"vwxyz"], [[COLLECTED]],
        on_collect=[[set_term(2)]]),
    "collect-sets-count-zero-negative-longer-than-buffer": S(
        10, [b"ab", b"x", b"yz"], [[COLLECTED]],
        on_collect=[[set_term(0)]]),
    "collect-sets-count-negative-then-found-sets-delimiter": S(
        10, [b"abcd", b"uvwxzy"], [[set_term(b"z")], [COLLECTED]],
        on_collect=[[set_term(1)]]),
    "collect-sets-delimiter-during-partial-count-type-error": S(
        10, [b"abc", b"x\ny"], on_collect=[[set_term(b"\n")]]),
    "collect-sets-none-during-partial-count-type-error": S(
        10, [b"abc", b"x\ny"], on_collect=[[set_term(None)]]),
    "collect-sets-delimiter-at-eof-type-error": S(
        b"\r\n", [b"ab\r"], on_collect=[[set_term(5)], [set_term(b"\n")]],
        eof=True),
    "collect-sets-count-in-completed-count-ignored": S(
        4, [b"ab", b"cdefg"], on_collect=[[], [set_term(1)]]),
    "collect-sets-negative-count-value-error": S(
        b"\n", [b"ab\ncd\n"], on_collect=[[set_term(-1)]]),
    "collect-sets-count-before-held-prefix": S(
        b"\r\n", [b"ab\r", b"xyz\r\n"], [[COLLECTED]],
        on_collect=[[set_term(3)]]),
    "collect-discards-during-partial-count": S(
        10, [b"abc", b"defghijklm"], [[COLLECTED]],
        on_collect=[[DISCARD]]),
    "collect-pushes-collected-and-closes": S(
        b"\n", [b"ab\ncd\n"], on_collect=[[COLLECTED, CLOSE]]),
    "discard-in-start-drops-start-pushes": S(
        b"\n", [b"x\n"], [[COLLECTED]], start=[push(b"a"), DISCARD,
                                              push(b"b")]),
    "discard-then-push-collected-keeps-accumulator": S(
        b"\n", [b"ab", b"c\nd\n"], [[DISCARD, COLLECTED]]),

    # ---- output queue: push / initiate_send (lines 199-269)
    "empty-push-sends-empty-untraced": S(
        b"\n", [b"a\n"], [[push(b""), push(b"ab"), push(b"")]]),
    "push-collected-of-empty-line-is-empty-push": S(
        b"\n", [b"\n\nx\n"], [[COLLECTED], [COLLECTED], [COLLECTED]]),
    "push-larger-than-out-buffer-split-at-push": S(
        start=[push(b"0123456789")], ob=4, caps=[3, 3, 3, 3]),
    "set-out-buffer-size-after-push-slices-head": S(
        start=[push(b"0123456789"), out_size(3)]),
    "set-out-buffer-size-before-push-splits": S(
        start=[out_size(3), push(b"0123456789"), out_size(100)]),
    "split-items-not-merged-after-growing-out-buffer": S(
        start=[push(b"abcdefg"), out_size(100), push(b"hi")], ob=3),
    "out-buffer-size-one": S(start=[push(b"abc")], ob=1, caps=[1, 0, 1]),
    "producer-bufsize-larger-than-out-buffer": S(
        start=[producer(b"abcdefghijklmnopqrstuvwxy", 10)], ob=4),
    "producer-bufsize-smaller-than-out-buffer": S(
        start=[producer(b"abcdefghijklmnopqrstuvwxy", 3)], ob=8),
    "producer-data-requeued-at-head-partial-sends": S(
        start=[producer(b"abcdefgh", 5), push(b"XY")], caps=[2, 0, 1, 1, 0]),
    "producer-before-push-is-exhausted-first": S(
        start=[push(b"1"), producer(b"ab", 1), push(b"2")]),
    "producer-empty-data-is-dropped": S(
        start=[producer(b"", 4), push(b"z")]),
    "producer-pushed-in-found": S(
        b"\n", [b"go\n"], [[producer(b"0123456789", 4), COLLECTED]], ob=3),
    "partial-sends-and-would-block": S(
        start=[push(b"abcdefgh")], caps=[2, 0, 1, 0, 0, 3]),
    "zero-cap-blocks-until-next-read": S(
        b"\n", [b"a\n", b"b\n", b"c\n"], [[COLLECTED]] * 3,
        caps=[0, 0, 1, 0]),
    "cap-larger-than-data": S(start=[push(b"abc")], caps=[50]),
    "push-collected-echo-lines": S(
        b"\r\n", [b"hello\r", b"\nworld\r\n"], [[COLLECTED], [COLLECTED]]),

    # ---- close_when_done (lines 227-239) and EOF
    "close-when-done-with-pending-data": S(
        b"\n", [b"q\n"], [[push(b"bye"), CLOSE]], caps=[1, 1]),
    "close-when-done-then-push-never-sent": S(
        b"\n", [b"q\n"], [[push(b"a"), CLOSE, push(b"never")]]),
    "close-when-done-stops-reading": S(
        b"\n", [b"a\nb\n", b"c\n"], [[CLOSE]]),
    "close-when-done-in-start": S(b"\n", [b"a\n"], start=[CLOSE]),
    "close-when-done-twice": S(
        b"\n", [b"a\n"], [[push(b"x"), CLOSE, CLOSE]], caps=[0]),
    "close-when-done-blocked-then-eof": S(
        b"\n", [b"a\n"], [[push(b"x"), CLOSE]], caps=[0], eof=True),
    "eof-drops-pending-output": S(
        b"\n", [b"a\n"], [[push(b"reply")]], caps=[0], eof=True),
    "eof-with-empty-buffer": S(b"\n", [b"a\n"], eof=True),
    "eof-without-any-data": S(b"\n", eof=True),
    "eof-after-close-is-not-read": S(
        b"\n", [b"a\n"], [[CLOSE]], eof=True),

    # ---- small in_buffer_size
    "in-buffer-size-one": S(b"ab", [b"x", b"a", b"b", b"a", b"a", b"b"],
                            ib=1),
    "in-buffer-size-three-count": S(
        4, [b"abc", b"def", b"ghi"], [[set_term(4)]], ib=3),

    # ---- protocol-like exchanges
    "echo-exchange-seed": S(
        b"\n", [b"ECHO 166\n", LOREM[:128], LOREM[128:]], ECHO_FOUND,
        ib=128, ob=128),
    "echo-exchange-seed-one-read": S(
        b"\n", [b"ECHO 166\n" + LOREM[:119], LOREM[119:]], ECHO_FOUND,
        ib=128, ob=128, caps=[7, 0, 100]),
    "http-request-head": S(
        b"\r\n\r\n", [b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"],
        [[COLLECTED]]),
    "http-request-head-bytewise": S(
        b"\r\n\r\n", [bytes([c]) for c in b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"],
        [[COLLECTED]]),
    "http-post-content-length-then-none": S(
        b"\r\n\r\n",
        [b"POST / HTTP/1.1\r\nContent-Length: 5\r\n\r", b"\nhel",
         b"lo", b"extra"],
        [[set_term(5)], [COLLECTED, set_term(None)]]),
    "smtp-data-dot-terminator": S(
        b"\r\n",
        [b"DATA\r\nline1\r\n.\r", b"\nQUIT\r\n"],
        [[set_term(b"\r\n.\r\n"), push(b"354\r\n")],
         [set_term(b"\r\n"), push(b"250\r\n")],
         [push(b"221\r\n"), CLOSE]]),
}

# Self-overlapping terminators split at every point of a small stream.
for _name, _t, _data in (("aab", b"aab", b"xaaabyaab"),
                         ("abab", b"abab", b"ababababz"),
                         ("crlfcrlf", b"\r\n\r\n", b"a\r\n\r\r\n\r\nb"),
                         ("aba", b"aba", b"abababa")):
    for _i, _chunks in split_every_point(_data):
        SCENARIOS["overlap-%s-split-at-%d" % (_name, _i)] = S(
            _t, _chunks, [[COLLECTED]] * 4, eof=True)
