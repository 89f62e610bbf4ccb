"""Engines and sessions for SQLite (embedded) and PostgreSQL (scale-out).

On SQLite every write goes through one connection: SQLite admits one writer at
a time anyway, and funnelling writes through one connection turns lock contention
into an orderly queue in the event loop instead of ``database is locked`` errors.
Reads use a small pool of their own, which WAL lets run beside the writer. Every
SQLite connection runs its statements on the event loop's thread (see
:mod:`msgboxx.db.inline` for why).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Insert, event, exc, func, make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    async_sessionmaker,
    create_async_engine,
)

from msgboxx.db import inline
from msgboxx.db.checkpoint import WalCheckpointer
from msgboxx.db.revocations import Revocations
from msgboxx.db.tx import Announce, Outbox, Tx, Work
from msgboxx.settings import Settings


def _sqlite_pragmas(synchronous: str) -> Any:
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA synchronous={synchronous}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        # 8 MiB of pages per connection (five of them). The accept path's hot set
        # fits; beyond it the operating system caches the file. At 16 MiB the
        # writer's cache kept filling for minutes as the store grew (RSS +9 MiB
        # after warm-up) for no measurable CPU saved (docs/benchmarks.md, memory).
        cursor.execute("PRAGMA cache_size=-8192")
        # Checkpoints run on a thread of their own (msgboxx.db.checkpoint), never in a commit.
        cursor.execute("PRAGMA wal_autocheckpoint=0")
        cursor.close()

    return on_connect


OUTBOUND_CHANNEL = "msgboxx_outbound"


def wakes_other_processes(statement: Insert) -> Insert:
    """``statement`` that also wakes dispatchers in other processes (PostgreSQL).

    NOTIFY is transactional: delivered at commit, dropped on a rollback, and
    repeats within one transaction arrive as one. Riding on the statement that
    queues the work (as its ``RETURNING``) it costs no round trip of its own; as a
    statement of its own it was one more for every accepted message.
    """
    return statement.returning(func.pg_notify(OUTBOUND_CHANNEL, ""))


def _replace_closed_connection(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
    """Hand out no connection the server has closed (a restart, a terminated backend).

    asyncpg sees the server close its socket as soon as the event loop reads it,
    so a local check finds what ``pool_pre_ping`` found, without the round trip
    the ping cost every session; the pool then connects afresh.
    """
    if dbapi_connection.driver_connection.is_closed():
        raise exc.DisconnectionError("the server closed this connection")


class Database:
    """The engines of one process, and units of work on them.

    ``outbox`` writes a committing transaction's events (the webhooks domain
    gives it: :func:`msgboxx.wiring.open_database`); without one, a commit that
    announces anything fails rather than drop its events. ``announce`` is told
    every committed change, for live viewers (:mod:`msgboxx.live` gives it).
    """

    def __init__(
        self,
        settings: Settings,
        *,
        outbox: Outbox | None = None,
        announce: Announce | None = None,
    ) -> None:
        url = settings.resolved_database_url
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        self.checkpointer: WalCheckpointer | None = None
        self.revocations: Revocations | None = None
        if self.is_sqlite:
            settings.data_dir.mkdir(parents=True, exist_ok=True)
            synchronous = settings.sqlite_synchronous.upper()
            if synchronous not in {"OFF", "NORMAL", "FULL", "EXTRA"}:
                raise ValueError(f"MSGBOXX_SQLITE_SYNCHRONOUS: unknown value {synchronous!r}")
            path = make_url(url).database or ":memory:"
            self.write_engine = create_async_engine(
                url, pool_size=1, max_overflow=0, async_creator=inline.connector(path)
            )
            self.read_engine = create_async_engine(
                url, pool_size=4, max_overflow=0, async_creator=inline.connector(path)
            )
            for engine in (self.write_engine, self.read_engine):
                event.listen(engine.sync_engine, "connect", _sqlite_pragmas(synchronous))
            self.revocations = Revocations.beside(path)
            if path != ":memory:":
                self.checkpointer = WalCheckpointer(path)
                self.checkpointer.start()
        else:
            self.write_engine = create_async_engine(url, pool_size=10, max_overflow=10)
            event.listen(self.write_engine.sync_engine, "checkout", _replace_closed_connection)
            # Reads run without BEGIN and ROLLBACK, two round trips of four for a
            # lookup; under READ COMMITTED each statement sees its own snapshot
            # either way. Same pool: the setting is a flag on the connection.
            self.read_engine = self.write_engine.execution_options(isolation_level="AUTOCOMMIT")
        self._outbox = outbox
        self._announce = announce
        self._wakes: dict[Work, list[Callable[[], None]]] = {}
        self.writer = async_sessionmaker(self.write_engine, expire_on_commit=False)
        self.reader = async_sessionmaker(self.read_engine, expire_on_commit=False)

    def on_committed(self, work: Work, callback: Callable[[], None]) -> None:
        """Run ``callback`` after any commit that left ``work`` (``Tx.leaves``)."""
        self._wakes.setdefault(work, []).append(callback)

    def _wake(self, work: Work) -> None:
        for callback in self._wakes.get(work, ()):
            callback()

    def engines(self) -> list[AsyncEngine]:
        if not self.is_sqlite:
            return [self.write_engine]  # the reader shares its pool
        return [self.write_engine, self.read_engine]

    def tx(self, *, write: bool) -> Tx:
        """A unit of work on the writer, or on a reader for a read."""
        session = (self.writer if write else self.reader)()
        return Tx(
            session,
            outbox=self._outbox,
            wake=self._wake,
            announce=self._announce,
            revocations=self.revocations,
        )

    async def dispose(self) -> None:
        if self.checkpointer is not None:
            self.checkpointer.stop()
        if self.revocations is not None:
            self.revocations.close()
        for engine in self.engines():
            await engine.dispose()
