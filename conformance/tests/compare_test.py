#!/usr/bin/env python3
"""chatframe-replay --compare compares every field of every event.

    compare_test.py REPLAY CORPUS_DIR

For corpus scenarios whose golden traces together hold every kind of event,
the golden trace compares equal (exit 0) at both levels; then each field of
each event is changed in turn (a byte of recv/collect/send data, a send's
"sent", found's and close's value, an error's name), and every such trace
must compare unequal (exit 1, "traces differ at event K" naming the changed
event). Malformed lines (an unknown key, a missing "sent", two kinds in one
line) are refused (exit 2, the line number named).
"""

import json
import os
import subprocess
import sys
import tempfile

SCENARIOS = ["close-when-done-blocked-then-eof", "collect-sets-negative-count-value-error",
             "echo-exchange-seed"]


def run(replay, scenario, trace_lines, level="exact"):
    with tempfile.NamedTemporaryFile("w", suffix=".trace", delete=False) as f:
        f.write("".join(json.dumps(e, separators=(",", ":")) + "\n" for e in trace_lines))
    try:
        p = subprocess.run([replay, scenario, "--compare", f.name, "--level", level],
                           capture_output=True, text=True, timeout=30)
    finally:
        os.unlink(f.name)
    return p.returncode, p.stdout + p.stderr


def mutants(events):
    """(index, description, changed events) for each field of each event."""
    for i, e in enumerate(events):
        for key, v in e.items():
            m = [dict(x) for x in events]
            if isinstance(v, int):
                m[i][key] = v + 1
            elif key == "error":
                m[i][key] = v + "X"
            elif v:  # hex bytes: change the first byte
                m[i][key] = ("00" if v[:2] != "00" else "01") + v[2:]
            else:
                m[i][key] = "00"
            yield i, "%s of event %d" % (key, i), m


def main():
    replay, corpus = sys.argv[1], sys.argv[2]
    failures, checked, kinds = [], 0, set()
    for name in SCENARIOS:
        scenario = os.path.join(corpus, name + ".json")
        with open(os.path.join(corpus, name + ".trace")) as f:
            events = [json.loads(line) for line in f if line.strip()]
        kinds.update(k for e in events for k in e)
        for level in ("exact", "frame"):
            rc, out = run(replay, scenario, events, level)
            if rc != 0:
                failures.append("%s: the golden trace compares unequal at level %s: %s" % (name, level, out))
        for i, what, m in mutants(events):
            rc, out = run(replay, scenario, m)
            checked += 1
            if rc != 1 or "traces differ at event %d" % i not in out:
                failures.append("%s, %s changed: exit %d, %s" % (name, what, rc, out.strip()))
        for bad in ({"found": 1, "extra": 1}, {"send": "00"}, {"found": 1, "close": 1},
                    {"recv": "00", "sent": 1}, {"found": "1"}, {}):
            rc, out = run(replay, scenario, events[:1] + [bad])
            checked += 1
            if rc != 2 or "line 2: not a trace event" not in out:
                failures.append("%s, malformed %s: exit %d, %s" % (name, bad, rc, out.strip()))
    missing = {"recv", "collect", "found", "send", "sent", "close", "error"} - kinds
    if missing:
        failures.append("the scenarios hold no %s field" % ", ".join(sorted(missing)))
    for f in failures:
        print("FAIL:", f)
    print("%d changed or malformed traces checked, %d failures" % (checked, len(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
