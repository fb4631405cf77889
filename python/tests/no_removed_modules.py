"""chatframe imports no module that Python 3.12 or later removed.

    python3.11 python/tests/no_removed_modules.py

Run here on 3.11, where those modules still exist, so a finder placed first
on sys.meta_path refuses them: asynchat, asyncore, smtpd, imp and distutils
(gone in 3.12) and the rest of PEP 594's list (gone in 3.13). With it in
place the test imports every chatframe module and runs each once (an
async_chat echo over a socketpair, an asyncio round trip); any attempt to
import a refused module fails the run, and none may appear in sys.modules.
"""

import importlib.abc
import sys

REMOVED = frozenset((
    # Python 3.12
    "asynchat", "asyncore", "smtpd", "imp", "distutils",
    # Python 3.13 (PEP 594)
    "aifc", "audioop", "cgi", "cgitb", "chunk", "crypt", "imghdr", "mailcap", "msilib", "nis",
    "nntplib", "ossaudiodev", "pipes", "sndhdr", "spwd", "sunau", "telnetlib", "uu", "xdrlib",
    "lib2to3",
))
attempts = []


class RefuseRemoved(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in REMOVED:
            attempts.append(name)
            raise ImportError("%s was removed from Python 3.12+" % name)
        return None


sys.meta_path.insert(0, RefuseRemoved())
for name in REMOVED:
    sys.modules.pop(name, None)

import asyncio  # noqa: E402
import socket  # noqa: E402

import chatframe  # noqa: E402
import chatframe._core  # noqa: E402
from chatframe import aio, asynchat, asyncore  # noqa: E402


class Echo(asynchat.async_chat):
    def __init__(self, sock, socket_map):
        asynchat.async_chat.__init__(self, sock, map=socket_map)
        self.set_terminator(b"\r\n")
        self.buf = []

    def collect_incoming_data(self, data):
        self.buf.append(data)

    def found_terminator(self):
        self.push(b"".join(self.buf) + b"\r\n")
        self.buf = []


def echo_once():
    a, b = socket.socketpair()
    socket_map = {}
    Echo(a, socket_map)
    b.sendall(b"ping\r\n")
    asyncore.loop(timeout=0.1, map=socket_map, count=5)
    b.settimeout(5)
    assert b.recv(100) == b"ping\r\n"
    asyncore.close_all(socket_map)
    b.close()


async def aio_once():
    async def handle(reader, writer):
        writer.write(await reader.readuntil(b"\n"))
        await writer.drain()
        writer.close()

    server = await aio.start_server(handle, "127.0.0.1", 0)
    reader, writer = await aio.open_connection("127.0.0.1", server.sockets[0].getsockname()[1])
    writer.write(b"pong\n")
    assert await reader.readline() == b"pong\n"
    writer.close()
    server.close()
    await server.wait_closed()


def main():
    echo_once()
    asyncio.run(asyncio.wait_for(aio_once(), 30))
    loaded = sorted(n for n in sys.modules if n.split(".")[0] in REMOVED)
    if attempts or loaded:
        print("imported removed modules: attempts %s, loaded %s" % (attempts, loaded))
        return 1
    print("chatframe %s (%s): no module removed in Python 3.12+ imported or used"
          % (chatframe.__version__, chatframe._core.__file__))
    return 0


if __name__ == "__main__":
    sys.exit(main())
