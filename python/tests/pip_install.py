"""`pip install` of chatframe, offline, into a fresh venv, from Debian's packages alone.

    python3.11 python/tests/pip_install.py

Copies what the sdist holds (pyproject.toml, setup.py, MANIFEST.in, the
package, python/src, framing/) into a temporary folder, so nothing is built
inside the checkout; makes a venv with --system-site-packages (Debian's
Python is externally managed, PEP 668: a venv is where a user installs, and
it sees Debian's setuptools and wheel); runs
`pip install --no-build-isolation --no-index` there (no network, no PyPI);
then, from another folder, imports the installed package and checks that it
is the venv's copy and that it frames and echoes.
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

CHECK = r"""
import socket, sys
import chatframe, chatframe._core
from chatframe import aio, asynchat, asyncore
assert chatframe._core.__file__.startswith(sys.prefix), chatframe._core.__file__
assert aio.splitter(b"\n").feed(b"a\nb\nc") == [b"a", b"b"]

class Upper(asynchat.async_chat):
    def __init__(self, sock, socket_map):
        asynchat.async_chat.__init__(self, sock, map=socket_map)
        self.set_terminator(b"\n")
        self.buf = []
    def collect_incoming_data(self, data):
        self.buf.append(data)
    def found_terminator(self):
        self.push(b"".join(self.buf).upper() + b"\n")
        self.buf = []

a, b = socket.socketpair()
socket_map = {}
Upper(a, socket_map)
b.sendall(b"installed\n")
asyncore.loop(timeout=0.1, map=socket_map, count=5)
b.settimeout(5)
assert b.recv(100) == b"INSTALLED\n"
print("installed and working:", chatframe._core.__file__)
"""


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
        run([python, "-c", CHECK], cwd=tmp, env=env)
    return 0


if __name__ == "__main__":
    sys.exit(main())
