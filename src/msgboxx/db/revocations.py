"""A count of access taken away, that every process on the host reads without a system call.

Caches of who a caller is (``msgboxx.auth.principals``) must forget a disabled
user at once, in every process, the ``msgboxx admin`` command's included. On
the embedded default every process shares one host and one database file, so
a counter in a small file beside it, mapped into each process's memory and
moved after each such commit, is a signal each process reads per request for
the price of a memory read, where asking the database would cost the lookup
the cache saves. (A ``stat`` per request worked too, but each system call
lets go of the interpreter's lock, and on a busy host taking it back can wait.)
PostgreSQL's processes may be on other hosts: there is no such signal, and
callers are looked up every time.

Two processes moving the count at once may both write the same next value;
that still differs from what every reader saw before either change, which is
all a reader asks.
"""

from __future__ import annotations

import mmap
import os
import struct
from pathlib import Path

_COUNT = struct.Struct("<Q")


class Revocations:
    def __init__(self, path: Path) -> None:
        self.path = path
        descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            if os.fstat(descriptor).st_size < _COUNT.size:
                os.ftruncate(descriptor, _COUNT.size)  # zeros: a count of 0
            self._shared = mmap.mmap(descriptor, _COUNT.size)
        finally:
            os.close(descriptor)  # the mapping keeps the file

    @classmethod
    def beside(cls, database_path: str) -> Revocations | None:
        """The signal of an SQLite database file; None for one in memory (one process only)."""
        if database_path in ("", ":memory:"):
            return None
        return cls(Path(f"{database_path}-revocations"))

    def count(self) -> int:
        value: int = _COUNT.unpack_from(self._shared)[0]
        return value

    def raise_count(self) -> None:
        """Called after the commit: a reader that saw the old count also sees the new rows."""
        _COUNT.pack_into(self._shared, 0, self.count() + 1)

    def close(self) -> None:
        self._shared.close()
