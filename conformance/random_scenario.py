"""Random chatframe conformance scenarios.

``random_scenario(rng)`` returns one scenario dict (see README.md) drawn
only from ``rng`` (a ``random.Random``), so a seed fully determines it.
Scenarios are small (input streams < 2 KiB, usually a few hundred bytes)
so that generating and replaying one is cheap.

``PROFILES`` names the emphasis a scenario can have; pass ``profile=`` to
pick one, otherwise it is drawn from ``rng`` as well.
"""

import random

PROFILES = ("framing", "split", "program", "output", "lifecycle",
            "smallbuf", "mixed", "collect")

ALPHABETS = (b"a", b"ab", b"abc", b"ab\r\n", b"\r\nx", b"\r\n", b"\n ",
             b"xyz\n", b"a\x00\xff")

# Terminators that overlap themselves or are otherwise interesting.
STRING_TERMINATORS = (b"aab", b"aa", b"aba", b"abab", b"\r\n", b"\r\n\r\n",
                      b"\n", b"a", b"b", b"x", b"\x00", b"ab", b"ba",
                      b"aaa", b"abaab", b"\r\n.\r\n", b"\xff\x00")

MAX_STREAM = 2000


def _rand_bytes(rng, alphabet, n):
    return bytes(rng.choice(alphabet) for _ in range(n))


def _string_terminator(rng, alphabet):
    r = rng.random()
    if r < 0.75:
        return rng.choice(STRING_TERMINATORS)
    if r < 0.9:  # built from the stream's alphabet so it occurs by chance
        return _rand_bytes(rng, alphabet, rng.randint(1, 4))
    return _rand_bytes(rng, alphabet, rng.randint(5, 12))  # long


def _term_value(rng, alphabet, allow_negative=False):
    """A TERM in scenario JSON form."""
    r = rng.random()
    if r < 0.55:
        return {"bytes": _string_terminator(rng, alphabet).hex()}
    if r < 0.80:
        return {"count": rng.choice((1, 1, 2, 3, 4, 5, 7, 10, 16, 33, 100))}
    if r < 0.87:
        return {"count": 0}
    if r < 0.93:
        return {"bytes": ""}
    if allow_negative and r < 0.95:
        return {"count": -rng.randint(1, 3)}
    return None


def _stream(rng, alphabet, terms, size):
    """A byte stream over `alphabet` with terminators sprinkled in."""
    out = bytearray()
    while len(out) < size:
        if terms and rng.random() < 0.3:
            t = rng.choice(terms)
            if rng.random() < 0.2 and len(t) > 1:  # a near miss
                t = t[:rng.randint(1, len(t) - 1)]
            out += t
        else:
            out += _rand_bytes(rng, alphabet, rng.randint(0, 6))
    return bytes(out[:size])


def _chunk(rng, data, in_size, mode):
    chunks = []
    i = 0
    n = len(data)
    while i < n:
        if mode == "ones":
            k = 1
        elif mode == "small":
            k = rng.randint(1, 4)
        elif mode == "whole":
            k = n - i
        else:
            k = rng.randint(1, 64)
        k = min(k, in_size, n - i)
        chunks.append(data[i:i + k])
        i += k
    return chunks


def _chunk_at_terminators(rng, data, terms, in_size):
    """Chunk so that boundaries fall inside terminator occurrences."""
    cuts = set()
    for t in terms:
        if len(t) < 2:
            continue
        start = 0
        while True:
            j = data.find(t, start)
            if j < 0:
                break
            if rng.random() < 0.7:
                cuts.add(j + rng.randint(1, len(t) - 1))
            start = j + 1
    for _ in range(rng.randint(0, 4)):
        if data:
            cuts.add(rng.randint(1, len(data)))
    cuts = sorted(c for c in cuts if 0 < c < len(data))
    chunks = []
    prev = 0
    for c in cuts + [len(data)]:
        while c - prev > in_size:
            chunks.append(data[prev:prev + in_size])
            prev += in_size
        if c > prev:
            chunks.append(data[prev:c])
            prev = c
    return chunks


def _action(rng, alphabet, p):
    """One random action (JSON form); p: dict of weights for the profile."""
    names = list(p)
    name = rng.choices(names, weights=[p[k] for k in names])[0]
    if name == "push":
        return ["push", _rand_bytes(rng, alphabet, rng.choice(
            (0, 1, 2, 3, 5, 8, 13, 20, 40))).hex()]
    if name == "push_producer":
        data = _rand_bytes(rng, alphabet, rng.choice((0, 1, 4, 9, 17, 30)))
        return ["push_producer", data.hex(), rng.choice((1, 2, 3, 5, 8, 64))]
    if name == "set_terminator":
        return ["set_terminator", _term_value(rng, alphabet,
                                              allow_negative=True)]
    if name == "set_out_buffer_size":
        return ["set_out_buffer_size", rng.choice((1, 2, 3, 4, 5, 7, 8, 100))]
    return [name]  # push_collected, close_when_done, discard_buffers


_WEIGHTS = {
    "framing": {"push_collected": 4, "set_terminator": 1, "push": 1},
    "split": {"push_collected": 3, "push": 1},
    "program": {"set_terminator": 10, "push_collected": 3, "push": 1,
                "discard_buffers": 0.3, "close_when_done": 0.2},
    "output": {"push": 5, "push_collected": 4, "push_producer": 3,
               "set_out_buffer_size": 2, "close_when_done": 0.5,
               "set_terminator": 1},
    "lifecycle": {"push": 3, "push_collected": 2, "close_when_done": 2,
                  "discard_buffers": 2, "set_terminator": 1,
                  "push_producer": 1},
    "smallbuf": {"push_collected": 3, "set_terminator": 2, "push": 1},
    "mixed": {"push": 3, "push_collected": 3, "push_producer": 2,
              "set_terminator": 3, "set_out_buffer_size": 1,
              "close_when_done": 0.5, "discard_buffers": 0.5},
    # Actions inside collect_incoming_data too (on_collect), mostly
    # terminator changes while counts run short of chunks.
    "collect": {"set_terminator": 8, "push_collected": 2, "push": 1,
                "discard_buffers": 0.4, "close_when_done": 0.2},
}


def random_scenario(rng, profile=None):
    """Return one random scenario dict drawn from `rng`."""
    if profile is None:
        profile = rng.choice(PROFILES)
    weights = _WEIGHTS[profile]
    alphabet = rng.choice(ALPHABETS)
    sc = {}

    # buffer sizes
    in_size = 65536
    if profile == "smallbuf" or rng.random() < 0.1:
        in_size = rng.choice((1, 1, 2, 3, 4, 5, 8, 16))
        sc["in_buffer_size"] = in_size
    if profile == "output" or rng.random() < 0.3:
        sc["out_buffer_size"] = rng.choice((1, 2, 3, 4, 5, 6, 7, 8, 16, 64))
    elif rng.random() < 0.1:
        sc["out_buffer_size"] = 65536

    # terminator
    term = _term_value(rng, alphabet, allow_negative=rng.random() < 0.05)
    if profile in ("framing", "split") and rng.random() < 0.85:
        term = {"bytes": _string_terminator(rng, alphabet).hex()}
    if profile == "collect" and rng.random() < 0.5:
        term = {"count": rng.choice((2, 3, 5, 7, 10, 16, 33, 100))}
    if term is not None or rng.random() < 0.5:
        sc["terminator"] = term

    # input stream
    terms = [bytes.fromhex(term["bytes"])] if term and "bytes" in term else []
    terms += [rng.choice(STRING_TERMINATORS) for _ in range(rng.randint(0, 2))]
    terms = [t for t in terms if t]
    r = rng.random()
    if r < 0.05:
        size = 0
    elif r < 0.9:
        size = rng.randint(1, 120)
    else:
        size = rng.randint(120, MAX_STREAM - 1)
    data = _stream(rng, alphabet, terms, size)
    if profile == "split":
        chunks = _chunk_at_terminators(rng, data, terms, in_size)
    else:
        mode = rng.choice(("ones", "small", "random", "random", "whole"))
        if mode == "ones" and len(data) > 300:
            mode = "small"
        chunks = _chunk(rng, data, in_size, mode)
    sc["recv"] = [c.hex() for c in chunks]

    # actions
    if rng.random() < (0.5 if profile in ("output", "lifecycle") else 0.2):
        sc["start"] = [_action(rng, alphabet, weights)
                       for _ in range(rng.randint(1, 3))]
    n_found = rng.choice((0, 1, 2, 3, 5, 8, 12))
    on_found = []
    for _ in range(n_found):
        k = rng.choice((0, 1, 1, 1, 2, 3))
        on_found.append([_action(rng, alphabet, weights) for _ in range(k)])
    if on_found:
        sc["on_found"] = on_found

    # sending
    if profile in ("output", "lifecycle", "mixed") or rng.random() < 0.3:
        caps = [rng.choice((0, 0, 1, 1, 2, 3, 5, 8, 100))
                for _ in range(rng.randint(0, 20))]
        if caps:
            sc["send_caps"] = caps

    if not data or rng.random() < (0.6 if profile == "lifecycle" else 0.35):
        sc["eof"] = True  # (an empty stream always ends, so traces are non-empty)
    elif rng.random() < 0.05:
        sc["eof"] = False

    # Rarer inputs, drawn last so the draws above stay as they were: a recv()
    # that returns b'' mid-list (asyncore's end of stream), and a producer
    # with buffer size 0 (CPython drops it unsent).
    if sc["recv"] and rng.random() < 0.05:
        sc["recv"].insert(rng.randint(0, len(sc["recv"])), "")
    if rng.random() < 0.1:
        for acts in [sc.get("start", [])] + sc.get("on_found", []):
            for a in acts:
                if a[0] == "push_producer" and rng.random() < 0.5:
                    a[2] = 0
    if profile == "collect":
        on_collect = []
        for _ in range(rng.randint(1, 12)):
            k = rng.choice((0, 0, 1, 1, 1, 2))
            on_collect.append([_action(rng, alphabet, weights)
                               for _ in range(k)])
        sc["on_collect"] = on_collect
    return sc


if __name__ == "__main__":  # print one scenario for a seed
    import json
    import sys
    seed = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    print(json.dumps(random_scenario(random.Random(seed))))
