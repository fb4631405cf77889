#!/usr/bin/env python3.11
"""Live differential test: fresh random scenarios through CPython 3.11's
asynchat and through chatframe-replay; any difference fails the run.

    python3.11 conformance/differential.py --replay build/release/bin/chatframe-replay \
        [--count 10000] [--seed N] [--profile NAME] [--save-dir conformance/corpus]

The seed is printed first, so a failing run can be repeated exactly. On a
difference the scenario is written to SAVE_DIR/diff-SEED-INDEX.json (with its
CPython trace beside it, so it becomes a corpus scenario) and the first
differing event is shown.
"""

import argparse
import json
import os
import random
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cpython_replay  # noqa: E402
import random_scenario  # noqa: E402


def run_chatframe(replay_bin, scenarios):
    """Replays scenarios in one chatframe-replay --batch process."""
    text = "".join(json.dumps(s, separators=(",", ":")) + "\n" for s in scenarios)
    proc = subprocess.run([replay_bin, "--batch"], input=text.encode(), capture_output=True, timeout=600)
    if proc.returncode != 0:
        raise SystemExit("chatframe-replay --batch failed (%d): %s" % (proc.returncode, proc.stderr.decode()))
    traces, current = [], []
    for line in proc.stdout.decode().splitlines():
        obj = json.loads(line)
        if "end" in obj:
            traces.append(current)
            current = []
        else:
            current.append(obj)
    return traces


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--replay", required=True, help="path to chatframe-replay")
    ap.add_argument("--count", type=int, default=10000)
    ap.add_argument("--seed", type=int, default=None, help="default: time-based, printed")
    ap.add_argument("--profile", choices=random_scenario.PROFILES, default=None,
                    help="generate only this profile (default: each scenario draws one)")
    ap.add_argument("--save-dir", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus"))
    args = ap.parse_args()
    seed = args.seed if args.seed is not None else int(time.time() * 1000) % (1 << 31)
    print("differential: seed %d, %d scenarios" % (seed, args.count), flush=True)

    master = random.Random(seed)
    scenarios = [random_scenario.random_scenario(random.Random(master.getrandbits(64)), args.profile)
                 for _ in range(args.count)]
    started = time.time()
    ours = run_chatframe(args.replay, scenarios)
    if len(ours) != len(scenarios):
        raise SystemExit("chatframe-replay returned %d traces for %d scenarios" % (len(ours), len(scenarios)))
    failures = 0
    for i, (sc, got) in enumerate(zip(scenarios, ours)):
        try:
            want = cpython_replay.replay(sc)
        except cpython_replay.ScenarioError as e:
            want = [{"invalid": str(e)}]
        if got == want or (want and "invalid" in want[0] and got and "invalid" in got[0]):
            continue
        failures += 1
        name = "diff-%d-%d" % (seed, i)
        os.makedirs(args.save_dir, exist_ok=True)
        with open(os.path.join(args.save_dir, name + ".json"), "w") as f:
            json.dump(sc, f, indent=1)
            f.write("\n")
        with open(os.path.join(args.save_dir, name + ".trace"), "w") as f:
            f.write(cpython_replay.format_trace(want))
        k = next((j for j in range(max(len(want), len(got)))
                  if j >= len(want) or j >= len(got) or want[j] != got[j]), 0)
        print("DIFFERENCE in scenario %d (saved as %s.json): first at event %d" % (i, name, k))
        print("  CPython:   %s" % (json.dumps(want[k]) if k < len(want) else "(end)"))
        print("  chatframe: %s" % (json.dumps(got[k]) if k < len(got) else "(end)"))
        if failures >= 10:
            print("stopping after 10 differences")
            break
    elapsed = time.time() - started
    print("differential: %d scenarios, %d differences, %.1f s (seed %d)" % (args.count, failures, elapsed, seed))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
