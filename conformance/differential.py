#!/usr/bin/env python3.11
"""Live differential test: fresh random scenarios through CPython 3.11's
asynchat and through chatframe-replay; any difference fails the run.

    python3.11 conformance/differential.py --replay build/release/bin/chatframe-replay \
        [--count 10000] [--seed N] [--profile NAME] [--save-dir conformance/corpus]

Each scenario is compared event for event with single sends (CPython's
initiate_send); those without send caps are also replayed with gathered sends
(outbox::gather) and compared at the frame level. The seed is printed first,
so a failing run can be repeated exactly. On a difference the scenario is
written to SAVE_DIR/diff-SEED-INDEX.json (with its CPython trace beside it, so
it becomes a corpus scenario) and the first differing event is shown.
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


def run_batch(replay_bin, lines, options=()):
    """Replays scenario texts, one per line, in one chatframe-replay --batch
    process; returns a trace (a list of events) per line. The output must be
    UTF-8 JSON lines."""
    text = "".join(line + "\n" for line in lines).encode("utf-8", "surrogatepass")
    proc = subprocess.run([replay_bin, "--batch", *options], input=text, capture_output=True, timeout=600)
    if proc.returncode != 0:
        raise SystemExit("chatframe-replay --batch failed (%d): %s" % (proc.returncode, proc.stderr.decode()))
    traces, current = [], []
    for line in proc.stdout.decode("utf-8").splitlines():
        event = json.loads(line)
        if "end" in event:
            traces.append(current)
            current = []
        else:
            current.append(event)
    if len(traces) != len(lines):
        raise SystemExit("chatframe-replay returned %d traces for %d scenarios" % (len(traces), len(lines)))
    return traces


def run_chatframe(replay_bin, scenarios, options=()):
    """run_batch() for scenario dicts."""
    return run_batch(replay_bin, [json.dumps(s, separators=(",", ":")) for s in scenarios], options)


def report(kind, seed, i, sc, want, got, save_dir):
    """Saves a differing scenario with CPython's trace; prints the first difference."""
    name = "diff-%d-%d" % (seed, i)
    os.makedirs(save_dir, exist_ok=True)
    with open(os.path.join(save_dir, name + ".json"), "w") as f:
        json.dump(sc, f, indent=1)
        f.write("\n")
    k = next((j for j in range(max(len(want), len(got)))
              if j >= len(want) or j >= len(got) or want[j] != got[j]), 0)
    print("DIFFERENCE (%s) in scenario %d (saved as %s.json): first at event %d" % (kind, i, name, k))
    print("  CPython:   %s" % (json.dumps(want[k]) if k < len(want) else "(end)"))
    print("  chatframe: %s" % (json.dumps(got[k]) if k < len(got) else "(end)"))
    return name


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
    # Gathered sends, at the frame level, for the scenarios without send caps
    # (caps apply per send() call, and gathering makes fewer calls).
    # The reference is the single sends' trace at the frame level, projected
    # by chatframe-replay itself (conformance::frame_level()); it is compared
    # only after the single sends matched CPython event for event, so it is
    # CPython's trace at the frame level.
    uncapped = [i for i, sc in enumerate(scenarios) if not sc.get("send_caps")]
    subset = [scenarios[i] for i in uncapped]
    gathered = dict(zip(uncapped, run_chatframe(args.replay, subset, ("--send", "gather", "--level", "frame"))))
    single_frames = dict(zip(uncapped, run_chatframe(args.replay, subset, ("--level", "frame"))))
    failures = 0
    for i, (sc, got) in enumerate(zip(scenarios, ours)):
        try:
            want = cpython_replay.replay(sc)
        except cpython_replay.ScenarioError as e:
            want = [{"invalid": str(e)}]
        invalid = want and "invalid" in want[0]
        if invalid and got and "invalid" in got[0]:
            continue
        if got != want:
            name = report("single sends", seed, i, sc, want, got, args.save_dir)
        elif i in gathered and not invalid and gathered[i] != single_frames[i]:
            name = report("gathered sends, frame level", seed, i, sc, single_frames[i], gathered[i],
                          args.save_dir)
        else:
            continue
        with open(os.path.join(args.save_dir, name + ".trace"), "w") as f:
            f.write(cpython_replay.format_trace(want))
        failures += 1
        if failures >= 10:
            print("stopping after 10 differences")
            break
    elapsed = time.time() - started
    print("differential: %d scenarios (%d also with gathered sends), %d differences, %.1f s (seed %d)"
          % (args.count, len(uncapped), failures, elapsed, seed))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
