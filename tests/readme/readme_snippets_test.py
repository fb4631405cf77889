#!/usr/bin/env python3
"""The README's C++ examples compile as written.

    readme_snippets_test.py README CXX -I<dir>...

Each ```cpp block of README is one translation unit, compiled as it stands
(-std=c++20 -Wall -Wextra -Werror, chatframe's include directories): its
#includes, and the functions it leaves to the reader declared in it and marked
"yours" (declared, not defined: the block is compiled, not linked). A block
that fails prints the compiler's message with the block's first README line.
"""

import os
import re
import subprocess
import sys
import tempfile


def blocks(text):
    """(first line number, code) of every ```cpp block."""
    out = []
    for m in re.finditer(r"^```cpp\n(.*?)^```$", text, re.M | re.S):
        out.append((text.count("\n", 0, m.start()) + 2, m.group(1)))
    return out


def main():
    readme, cxx, includes = sys.argv[1], sys.argv[2], sys.argv[3:]
    with open(readme) as f:
        found = blocks(f.read())
    if not found:
        print("FAIL: no ```cpp block in %s" % readme)
        return 1
    failures = 0
    with tempfile.TemporaryDirectory() as tmp:
        for line, code in found:
            src = os.path.join(tmp, "readme_line_%d.cpp" % line)
            with open(src, "w") as f:
                f.write('#line %d "README.md"\n' % line)
                f.write(code)
            p = subprocess.run([cxx, "-std=c++20", "-Wall", "-Wextra", "-Werror", *includes,
                                "-c", src, "-o", os.devnull], capture_output=True, text=True)
            if p.returncode != 0:
                failures += 1
                print("FAIL: the block at README.md:%d does not compile:\n%s" % (line, p.stderr))
            else:
                print("ok: README.md:%d (%d lines)" % (line, code.count("\n")))
    print("%d C++ blocks, %d failures" % (len(found), failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
