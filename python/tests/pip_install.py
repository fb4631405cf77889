"""`pip install` of chatframe, offline, into a fresh venv, from Debian's packages alone.

    python3.11 python/tests/pip_install.py

Copies what the sdist holds (pyproject.toml, setup.py, MANIFEST.in, the
package, python/src, framing/) into a temporary folder, so nothing is built
inside the checkout; makes a venv with --system-site-packages (Debian's
Python is externally managed, PEP 668: a venv is where a user installs, and
it sees Debian's setuptools and wheel); runs
`pip install --no-build-isolation --no-index` there (no network, no PyPI);
then, from another folder and without the build's PYTHONPATH, runs
no_removed_modules.py, which imports the installed package, uses each of its
modules once (an async_chat echo, an asyncio round trip) and prints where
chatframe._core was loaded from: the venv's copy.
"""

import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SOURCES = ["pyproject.toml", "setup.py", "MANIFEST.in", "LICENSE", "README.md",
           "python/chatframe", "python/src", "framing/include", "framing/src"]

def run(cmd, **kwargs):
    print("+", " ".join(cmd), flush=True)
    subprocess.run(cmd, check=True, timeout=900, **kwargs)


def main():
    with tempfile.TemporaryDirectory(prefix="chatframe-pip-") as tmp:
        src = os.path.join(tmp, "src")
        for item in SOURCES:
            origin, copy = os.path.join(ROOT, item), os.path.join(src, item)
            if os.path.isdir(origin):
                shutil.copytree(origin, copy, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
            else:
                os.makedirs(os.path.dirname(copy), exist_ok=True)
                shutil.copy2(origin, copy)
        venv = os.path.join(tmp, "venv")
        run([sys.executable, "-m", "venv", "--system-site-packages", venv])
        python = os.path.join(venv, "bin", "python")
        env = dict(os.environ, PIP_DISABLE_PIP_VERSION_CHECK="1", PIP_NO_INPUT="1")
        env.pop("PYTHONPATH", None)  # the installed package, not the build's
        run([python, "-m", "pip", "install", "--no-build-isolation", "--no-index", "--no-cache-dir", src],
            env=env)
        check = subprocess.run([python, os.path.join(HERE, "no_removed_modules.py")], cwd=tmp, env=env,
                               capture_output=True, text=True, timeout=120)
        print(check.stdout + check.stderr)
        if check.returncode != 0 or os.path.join(venv, "lib") not in check.stdout:
            print("pip_install: the installed package did not run from the venv")
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
