#!/usr/bin/env python3.11
"""Reader differential: mutated scenario texts through both scenario readers.

    python3.11 conformance/reader_differential.py --replay build/release/bin/chatframe-replay \
        [--count 20000] [--seed N]

The corpus scenarios' JSON texts are mutated -- bytes inserted, deleted and
copied, numbers and strings swapped for awkward values (integers beyond 64
bits and up to Python's digit limit, floats, negative zero, escapes) -- and
each mutant goes through chatframe-replay --batch and through
cpython_replay.py's reader. Both must refuse it, or both accept it and give
the same trace. Differences are printed (the first five) and fail the run.
"""

import argparse
import json
import os
import random
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import cpython_replay  # noqa: E402
import differential  # noqa: E402

CORPUS = os.path.join(HERE, "corpus")

# Pieces of JSON text that sit on the readers' edges.
TOKENS = ("0", "-", "1", "9" * 19, "9" * 20, "9" * 400, "9" * 4300, "9" * 4301,
          ".", "e", "E", "+", '"', "\\", "[", "]", "{", "}", ",", ":", " ",
          "null", "true", "NaN", "-Infinity", "\\u0000", "\\ud800", "\ufeff",
          '"on_collect":[[["set_terminator",{"count":3}]]]', '{"count":-1}')

# Values to put in place of a number or a string of a parsed scenario.
VALUES = (0, -1, 1, 2 ** 63 - 1, 2 ** 63, 2 ** 64, 2 ** 70, -2 ** 63,
          -2 ** 63 - 1, 10 ** 300, 10 ** 4299, 5.0, -0.0, 1e300, True, None,
          "", "61", "6", "6G", "\u00e9", [], {})


def mutate_text(rng, text):
    for _ in range(rng.randint(1, 3)):
        i = rng.randint(0, len(text))
        r = rng.random()
        if r < 0.4:
            text = text[:i] + rng.choice(TOKENS) + text[i:]
        elif r < 0.7:
            text = text[:i] + text[i + rng.randint(1, 3):]
        else:
            j = rng.randint(0, len(text))
            text = text[:i] + text[j:j + rng.randint(1, 10)] + text[i:]
    return text


def mutate_value(rng, text):
    doc = json.loads(text)
    slots = []

    def walk(node):
        items = node.items() if isinstance(node, dict) else enumerate(node)
        for k, v in list(items):
            if isinstance(v, (dict, list)):
                walk(v)
            if not isinstance(v, (dict, list)) or rng.random() < 0.1:
                slots.append((node, k))

    walk(doc)
    for _ in range(rng.randint(1, 2)):
        if slots:
            node, k = rng.choice(slots)
            node[k] = rng.choice(VALUES)
    return json.dumps(doc, separators=rng.choice(((",", ":"), (", ", ": "))))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--replay", required=True, help="path to chatframe-replay")
    ap.add_argument("--count", type=int, default=20000)
    ap.add_argument("--seed", type=int, default=None, help="default: time-based, printed")
    args = ap.parse_args()
    seed = args.seed if args.seed is not None else int(time.time() * 1000) % (1 << 31)
    print("reader differential: seed %d, %d mutants" % (seed, args.count), flush=True)
    rng = random.Random(seed)
    texts = []
    for name in sorted(os.listdir(CORPUS)):
        if name.endswith(".json"):
            with open(os.path.join(CORPUS, name), encoding="utf-8") as f:
                texts.append(f.read().strip())
    mutants = []
    while len(mutants) < args.count:
        text = rng.choice(texts)
        text = mutate_value(rng, text) if rng.random() < 0.5 else mutate_text(rng, text)
        if "\n" not in text and "\r" not in text:  # --batch reads one per line
            mutants.append(text)

    ours = differential.run_batch(args.replay, mutants)

    accepted = differences = 0
    for text, got in zip(mutants, ours):
        try:
            want = cpython_replay.replay(json.loads(text))
        except (ValueError, RecursionError, cpython_replay.ScenarioError):
            want = None  # json's ValueError covers its own errors and the digit limit
        refused = bool(got) and "invalid" in got[0]
        if want is None and refused:
            continue
        if want is not None and not refused and got == want:
            accepted += 1
            continue
        differences += 1
        if differences <= 5:
            print("DIFFERENCE: %s" % text[:300])
            print("  CPython:   %s" % ("refused" if want is None else json.dumps(want)[:300]))
            print("  chatframe: %s" % json.dumps(got)[:300])
    print("reader differential: %d mutants (%d accepted by both, the rest refused by both), "
          "%d differences (seed %d)" % (len(mutants), accepted, differences, seed))
    return 1 if differences else 0


if __name__ == "__main__":
    sys.exit(main())
