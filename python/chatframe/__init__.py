"""chatframe for Python: CPython's asynchat and asyncore on chatframe's C++ core.

- chatframe.asynchat, chatframe.asyncore: drop-ins for the modules Python 3.12
  removed (``from chatframe import asynchat, asyncore``).
- chatframe.aio: asyncio protocols and a stream reader that frame with the
  same core.
"""

__version__ = "0.1.0"
