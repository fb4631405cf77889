"""The conformance corpus and the live differential, through chatframe.asynchat.

    python3.11 python/tests/conformance_replay.py corpus [--corpus DIR]
    python3.11 python/tests/conformance_replay.py live [--count N] [--seed S] [--profile P]

The scenario driver is conformance/cpython_replay.py itself, unmodified: it
is loaded once with ``asynchat`` resolved to chatframe.asynchat. `corpus`
replays every corpus scenario through it and compares each trace, event for
event, with the CPython trace beside the scenario. `live` draws fresh random
scenarios (conformance/random_scenario.py) and replays each through a second
copy of the driver on CPython's own asynchat, in the same process, comparing
the two traces. Exit 1 on any difference, after printing the first few.
"""

import argparse
import importlib.util
import json
import os
import random
import sys
import time
import warnings

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
CONFORMANCE = os.path.join(ROOT, "conformance")
sys.path.insert(0, CONFORMANCE)

import chatframe.asynchat  # noqa: E402
import random_scenario  # noqa: E402


def load_driver(asynchat_module, tag):
    """A fresh copy of cpython_replay.py whose `import asynchat` gets asynchat_module."""
    saved = sys.modules.get("asynchat")
    sys.modules["asynchat"] = asynchat_module
    try:
        spec = importlib.util.spec_from_file_location(
            "cpython_replay_" + tag, os.path.join(CONFORMANCE, "cpython_replay.py"))
        driver = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(driver)
    finally:
        if saved is None:
            sys.modules.pop("asynchat", None)
        else:
            sys.modules["asynchat"] = saved
    if driver.asynchat is not asynchat_module:
        raise SystemExit("the driver did not pick up %r" % asynchat_module)
    return driver


def traced(driver, scenario):
    try:
        return driver.replay(scenario)
    except driver.ScenarioError as e:
        return [{"invalid": str(e)}]


def first_difference(want, got):
    for i in range(max(len(want), len(got))):
        if i >= len(want) or i >= len(got) or want[i] != got[i]:
            return i
    return None


def show(name, want, got):
    k = first_difference(want, got)
    print("DIFFERENCE in %s at event %d" % (name, k))
    print("  CPython:   %s" % (json.dumps(want[k]) if k < len(want) else "(end)"))
    print("  chatframe: %s" % (json.dumps(got[k]) if k < len(got) else "(end)"))


def run_corpus(args):
    ours = load_driver(chatframe.asynchat, "chatframe")
    names = sorted(f[:-5] for f in os.listdir(args.corpus) if f.endswith(".json"))
    failures = 0
    for name in names:
        with open(os.path.join(args.corpus, name + ".json"), encoding="utf-8") as f:
            scenario = json.load(f)
        with open(os.path.join(args.corpus, name + ".trace"), encoding="utf-8") as f:
            want = [json.loads(line) for line in f if line.strip()]
        got = traced(ours, scenario)
        if got != want:
            failures += 1
            if failures <= 5:
                show(name, want, got)
    print("corpus through chatframe.asynchat: %d scenarios, %d differ" % (len(names), failures))
    return 1 if failures else 0


def run_live(args):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import asynchat as cpython_asynchat  # the reference (CPython 3.11)
    if cpython_asynchat is chatframe.asynchat:
        raise SystemExit("asynchat is shadowed: the live differential needs CPython's own")
    reference = load_driver(cpython_asynchat, "cpython")
    ours = load_driver(chatframe.asynchat, "chatframe")
    seed = args.seed if args.seed is not None else int(time.time() * 1000) % (1 << 31)
    print("live differential through chatframe.asynchat: seed %d, %d scenarios" % (seed, args.count),
          flush=True)
    master = random.Random(seed)
    failures = 0
    started = time.time()
    for i in range(args.count):
        scenario = random_scenario.random_scenario(random.Random(master.getrandbits(64)), args.profile)
        want = traced(reference, scenario)
        got = traced(ours, scenario)
        if got != want:
            failures += 1
            if failures <= 5:
                show("scenario %d (seed %d): %s" % (i, seed, json.dumps(scenario)), want, got)
    print("live differential: %d scenarios, %d differ, %.1f s (seed %d)"
          % (args.count, failures, time.time() - started, seed))
    return 1 if failures else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="command", required=True)
    c = sub.add_parser("corpus")
    c.add_argument("--corpus", default=os.path.join(CONFORMANCE, "corpus"))
    live = sub.add_parser("live")
    live.add_argument("--count", type=int, default=10000)
    live.add_argument("--seed", type=int, default=None)
    live.add_argument("--profile", choices=random_scenario.PROFILES, default=None)
    args = ap.parse_args()
    return run_corpus(args) if args.command == "corpus" else run_live(args)


if __name__ == "__main__":
    sys.exit(main())
