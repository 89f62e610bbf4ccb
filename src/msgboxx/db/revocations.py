"""A count of access taken away, that every process on the host reads with one ``stat``.

Caches of who a caller is (``msgboxx.auth.principals``) must forget a disabled
user at once, in every process, the ``msgboxx admin`` command's included. On
the embedded default every process shares one host and one database file, so a
file beside it that grows by a byte after each such commit is a signal each
process can read per request for about a microsecond, where asking the
database would cost the lookup the cache saves. PostgreSQL's processes may be
on other hosts: there is no such signal, and callers are looked up every time.
"""

from __future__ import annotations

import os
from pathlib import Path


class Revocations:
    def __init__(self, path: Path) -> None:
        self.path = path
        # Held open: ``fstat`` of an open file skips the path walk of ``stat``.
        self._file = open(path, "ab")  # noqa: SIM115  (open for the process's life)

    @classmethod
    def beside(cls, database_path: str) -> Revocations | None:
        """The signal of an SQLite database file; None for one in memory (one process only)."""
        if database_path in ("", ":memory:"):
            return None
        return cls(Path(f"{database_path}-revocations"))

    def count(self) -> int:
        return os.fstat(self._file.fileno()).st_size

    def raise_count(self) -> None:
        """Called after the commit: a reader that saw the old count also sees the new rows."""
        self._file.write(b".")
        self._file.flush()  # the byte is in the file, for every process, before this returns

    def close(self) -> None:
        self._file.close()
