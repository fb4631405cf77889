"""The seed article's asynchat echo example, ported to Python 3 bytes on
chatframe's modules (python/examples/echo), prints the seed's debug log.

    python3.11 python/tests/echo_seed_log.py

Runs asynchat_echo_main.py from examples/echo/testdata (it opens lorem.txt
there) and compares its log, line for line, with examples/echo/testdata/
echo_log.txt. Two things differ by nature and are masked on both sides: the
port the kernel chose, and the b prefix Python 3 puts on the repr of bytes
(the seed ran Python 2, whose str was bytes). Exit 1 with a diff otherwise.
"""

import difflib
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
TESTDATA = os.path.join(ROOT, "examples", "echo", "testdata")
MAIN = os.path.join(ROOT, "python", "examples", "echo", "asynchat_echo_main.py")


def mask(text):
    text = re.sub(r"\('127\.0\.0\.1', \d+\)", "('127.0.0.1', PORT)", text)
    return re.sub(r"(?<=[ (])b'", "'", text).splitlines()


def main():
    # The example runs from the test data folder: the package path must not be relative.
    env = dict(os.environ)
    paths = env.get("PYTHONPATH", "").split(os.pathsep)
    env["PYTHONPATH"] = os.pathsep.join(os.path.abspath(p) for p in paths if p)
    run = subprocess.run([sys.executable, MAIN], cwd=TESTDATA, capture_output=True, text=True,
                         timeout=30, env=env)
    if run.returncode != 0:
        print(run.stdout + run.stderr)
        return 1
    with open(os.path.join(TESTDATA, "echo_log.txt"), encoding="utf-8") as f:
        want = mask(f.read())
    got = mask(run.stderr)
    if got != want:
        print("\n".join(difflib.unified_diff(want, got, "seed log", "python port", lineterm="")))
        return 1
    print("the Python port's log equals the seed's (%d lines)" % len(got))
    return 0


if __name__ == "__main__":
    sys.exit(main())
