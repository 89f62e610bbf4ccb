"""SQLite connections that run their statements on the event loop's own thread.

aiosqlite runs every statement on a helper thread and wakes the event loop when
it is done: each statement costs a trip through the loop's queue and a handover
of the GIL. On the single writer connection that trip was the bottleneck: a
request held the writer across four or five of them, and under load each waited
behind every other ready task, so the writer sat idle most of the time it was
held and every write queued behind it.

SQLite statements on a local file are short (microseconds for the indexed
lookups and inserts the API makes; in WAL mode with ``synchronous=NORMAL`` a
commit does not wait for the disk), so they run where they are asked for. A
write transaction then never spans a turn of the event loop: it begins and
commits between two turns, and writes stop queueing behind each other. Reads run
the same way, because a thread hop cost more than the lookups it carried.

The price: while a statement runs, nothing else in the process does. Every query
the API makes is bounded by an index and a page size (``docs/benchmarks.md``
shows them at 10k and millions of messages); and a statement waits on a lock
only while another process writes to the same file (``busy_timeout``), which the
embedded default never does. PostgreSQL, for heavier use, keeps asyncpg.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Generator
from functools import partial
from typing import Any

import aiosqlite


class _RunAtOnce:
    """Stands in for aiosqlite's queue to its thread, which SQLAlchemy's
    isolation-level setter writes to directly: with no thread to read it, the
    setter would wait forever."""

    def put_nowait(self, item: tuple[asyncio.Future[Any] | None, Callable[[], Any]]) -> None:
        future, function = item
        try:
            result = function()
        except BaseException as exc:  # handed to the waiting caller, as aiosqlite does
            if future is not None:
                future.set_exception(exc)
        else:
            if future is not None:
                future.set_result(result)


class InlineConnection(aiosqlite.Connection):
    """aiosqlite's interface, with each call run at once on the calling thread."""

    def __init__(self, connector: Callable[[], sqlite3.Connection]) -> None:
        super().__init__(connector, iter_chunk_size=64)
        self._tx = _RunAtOnce()  # type: ignore[assignment]

    @property
    def sqlite(self) -> sqlite3.Connection:
        """The connection itself, for the statements of :mod:`msgboxx.db.prepared`."""
        if not self._running or self._connection is None:
            raise ValueError("Connection closed")
        return self._connection

    async def _execute(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        if not self._running or not self._connection:
            raise ValueError("Connection closed")
        return fn(*args, **kwargs)

    async def _connect(self) -> InlineConnection:
        if self._connection is None:
            self._connection = self._connector()
        return self

    def __await__(self) -> Generator[Any, None, InlineConnection]:
        return self._connect().__await__()

    def stop(self) -> None:
        """Close the connection; there is no helper thread to stop."""
        self._running = False
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    async def close(self) -> None:
        self.stop()


def connector(path: str) -> Callable[[], Any]:
    """An ``async_creator`` for SQLAlchemy: opens ``path`` as an inline connection."""

    async def create() -> InlineConnection:
        # The pool may close a connection from the garbage collector's thread.
        return await InlineConnection(partial(sqlite3.connect, path, check_same_thread=False))

    return create
