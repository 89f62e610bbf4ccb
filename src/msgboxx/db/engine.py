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

from sqlalchemy import event, make_url, text
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import Session

from msgboxx.db import inline
from msgboxx.db.checkpoint import WalCheckpointer
from msgboxx.settings import Settings


def _sqlite_pragmas(synchronous: str) -> Any:
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA synchronous={synchronous}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        # 16 MiB of pages per connection (five of them): indexes keep the hot set
        # small, and the operating system caches the file beyond it.
        cursor.execute("PRAGMA cache_size=-16384")
        # Checkpoints run on a thread of their own (msgboxx.db.checkpoint), never in a commit.
        cursor.execute("PRAGMA wal_autocheckpoint=0")
        cursor.close()

    return on_connect


OUTBOUND_CHANNEL = "msgboxx_outbound"
# Flags a session sets in ``session.info`` when its commit leaves work for a
# background loop; each loop is woken only by the work it does.
OUTBOUND_QUEUED = "outbound_enqueued"
WEBHOOKS_QUEUED = "webhooks_enqueued"


def _notify_other_processes(session: Session) -> None:
    """Wake dispatchers in other processes: PostgreSQL delivers a NOTIFY at commit."""
    if session.info.get(OUTBOUND_QUEUED):
        session.execute(text("SELECT pg_notify(:channel, '')"), {"channel": OUTBOUND_CHANNEL})


class Database:
    """The engines of one process, and session factories for reads and writes."""

    def __init__(self, settings: Settings) -> None:
        url = settings.resolved_database_url
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        self.checkpointer: WalCheckpointer | None = None
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
            if path != ":memory:":
                self.checkpointer = WalCheckpointer(path)
                self.checkpointer.start()
        else:
            self.write_engine = create_async_engine(
                url, pool_size=10, max_overflow=10, pool_pre_ping=True
            )
            self.read_engine = self.write_engine
        self._on_commit: dict[str, list[Callable[[], None]]] = {}

        class WriteSession(Session):
            """A session whose commits can tell the dispatcher that work was queued."""

        event.listen(WriteSession, "after_commit", self._after_commit)
        if not self.is_sqlite:
            event.listen(WriteSession, "before_commit", _notify_other_processes)
        self.writer = async_sessionmaker(
            self.write_engine, expire_on_commit=False, sync_session_class=WriteSession
        )
        self.reader = async_sessionmaker(self.read_engine, expire_on_commit=False)

    def on_committed(self, flag: str, callback: Callable[[], None]) -> None:
        """Run ``callback`` after any commit whose session set ``flag`` in its info."""
        self._on_commit.setdefault(flag, []).append(callback)

    def _after_commit(self, session: Session) -> None:
        for flag, callbacks in self._on_commit.items():
            if session.info.pop(flag, False):
                for callback in callbacks:
                    callback()

    def engines(self) -> list[AsyncEngine]:
        return list({id(e): e for e in (self.write_engine, self.read_engine)}.values())

    def session(self, *, write: bool) -> AsyncSession:
        return (self.writer if write else self.reader)()

    async def dispose(self) -> None:
        if self.checkpointer is not None:
            self.checkpointer.stop()
        for engine in self.engines():
            await engine.dispose()
