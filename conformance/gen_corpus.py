#!/usr/bin/env python3.11
"""Write the conformance corpus: conformance/corpus/NAME.json + NAME.trace.

    python3.11 conformance/gen_corpus.py               # scenarios + traces
    python3.11 conformance/gen_corpus.py --traces-only # traces only
    python3.11 conformance/gen_corpus.py --check       # verify, write nothing

Without flags: writes the hand-written scenarios (hand_scenarios.py) and the
generated ones (gen-PROFILE-NNN, from fixed seeds, deterministic), removes
stale gen-* files, then writes the CPython trace of every *.json in the
corpus directory (including any added by hand).  --traces-only rewrites only
the traces of the existing scenario files.  --check replays every scenario
and exits 1 if a trace file is missing or differs.
"""

import json
import os
import random
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from cpython_replay import (ScenarioError, format_trace, load_scenario,  # noqa: E402
                            replay)
from hand_scenarios import SCENARIOS as HAND  # noqa: E402
from random_scenario import PROFILES, random_scenario  # noqa: E402

CORPUS = os.path.join(HERE, "corpus")
PER_PROFILE = 88          # 8 profiles -> 704 generated scenarios
SEED_BASE = 0x5eed0000    # seed of gen-PROFILE-NNN: SEED_BASE + 1000*p + NNN


def generated():
    for p, profile in enumerate(PROFILES):
        for i in range(PER_PROFILE):
            rng = random.Random(SEED_BASE + 1000 * p + i)
            yield "gen-%s-%03d" % (profile, i), random_scenario(rng, profile)


def dump_scenario(sc):
    return json.dumps(sc, separators=(",", ":")) + "\n"


def write(path, text):
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)


def write_scenarios():
    os.makedirs(CORPUS, exist_ok=True)
    wanted = {}
    for name, sc in list(HAND.items()) + list(generated()):
        if name in wanted:
            raise SystemExit("duplicate scenario name %s" % name)
        wanted[name] = sc
    for fn in os.listdir(CORPUS):
        stem, ext = os.path.splitext(fn)
        if stem.startswith("gen-") and stem not in wanted and \
                ext in (".json", ".trace"):
            os.remove(os.path.join(CORPUS, fn))
    for name, sc in wanted.items():
        write(os.path.join(CORPUS, name + ".json"), dump_scenario(sc))
    return len(wanted)


def scenario_names():
    return sorted(fn[:-5] for fn in os.listdir(CORPUS) if fn.endswith(".json"))


def traces(check):
    bad = 0
    names = scenario_names()
    for name in names:
        path = os.path.join(CORPUS, name + ".json")
        try:
            text = format_trace(replay(load_scenario(path)))
        except ScenarioError as e:
            sys.stderr.write("%s: invalid scenario: %s\n" % (path, e))
            bad += 1
            continue
        tpath = os.path.join(CORPUS, name + ".trace")
        if check:
            try:
                with open(tpath, encoding="utf-8") as f:
                    old = f.read()
            except OSError:
                old = None
            if old != text:
                sys.stderr.write("%s: trace %s\n" % (
                    name, "missing" if old is None else "differs"))
                bad += 1
        else:
            write(tpath, text)
    if not check:  # drop traces whose scenario is gone
        for fn in os.listdir(CORPUS):
            if fn.endswith(".trace") and fn[:-6] not in names:
                os.remove(os.path.join(CORPUS, fn))
    return len(names), bad


def main(argv):
    flags = set(argv)
    if not flags <= {"--traces-only", "--check"} or len(flags) > 1:
        sys.stderr.write(__doc__)
        return 2
    if not flags:
        write_scenarios()
    n, bad = traces(check="--check" in flags)
    verb = "checked" if "--check" in flags else "wrote traces for"
    print("%s %d scenarios in %s, %d problem(s)"
          % (verb, n, os.path.relpath(CORPUS), bad))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
