"""Copying SQLite's write-ahead log back into the database, on a thread of its own.

By default SQLite checkpoints inside whichever commit takes the log past 1,000
pages: that commit writes every logged page back into the database file and
waits for two fsyncs. Every commit of the embedded default runs on the event
loop's thread (:mod:`msgboxx.db.inline`), so one accept in about a hundred
stalled the whole process for ~5 ms, and those checkpoints were close to half of
all the time commits took on the accept path (``docs/benchmarks.md``).

Here no connection checkpoints itself (``wal_autocheckpoint=0``). This thread
does, with its own connection, in passive mode: it never blocks the writer or a
reader, and the copying and fsyncs wait on the disk without holding the GIL.
Under steady writing a passive checkpoint never quite catches up, and SQLite
only starts the log again from the top once one has; so when the log grows past
a bound, a restart checkpoint holds new writes back for the moment it takes to
copy the little that is left, and the log begins again. Durability is
unchanged: a commit is in the log, which is what ``synchronous=NORMAL``
promised before.
"""

from __future__ import annotations

import logging
import sqlite3
import threading

log = logging.getLogger(__name__)

INTERVAL_SECONDS = 0.1
# About 40 MB of log with 4 KiB pages: a few seconds of the heaviest writing.
RESTART_AFTER_PAGES = 10_000


class WalCheckpointer:
    """Keeps one SQLite file's write-ahead log short, from a daemon thread."""

    def __init__(
        self,
        path: str,
        *,
        interval: float = INTERVAL_SECONDS,
        restart_after_pages: int = RESTART_AFTER_PAGES,
    ) -> None:
        self.path = path
        self.interval = interval
        self.restart_after_pages = restart_after_pages
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="sqlite-checkpoint", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop and wait; the last connection to close checkpoints what is left."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def _run(self) -> None:
        # No busy timeout: a restart that would have to wait for the writer or a
        # reader gives up at once and is tried again next turn. Waiting would hold
        # the write lock while readers finish, and the readers and the writer of
        # the embedded default share one thread: the process would stall.
        connection = sqlite3.connect(
            self.path, timeout=0, isolation_level=None, check_same_thread=False
        )
        try:
            while not self._stopping.wait(self.interval):
                self.checkpoint(connection)
        finally:
            connection.close()

    def checkpoint(self, connection: sqlite3.Connection) -> tuple[int, int, int]:
        """One passive checkpoint, or a restart when the log has grown past the bound.

        Returns SQLite's answer: (busy, pages in the log, pages copied back).
        """
        try:
            busy, logged, copied = connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
            if logged >= self.restart_after_pages:
                busy, logged, copied = connection.execute(
                    "PRAGMA wal_checkpoint(RESTART)"
                ).fetchone()
        except sqlite3.Error as exc:  # a locked or vanished file: the next turn tries again
            log.warning("sqlite checkpoint failed: %s", exc)
            return (1, 0, 0)
        return (busy, logged, copied)
