"""db.errors: the transient conflicts of real databases are recognised, and only those."""

from __future__ import annotations

import asyncio
import os
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from msgboxx.db.errors import SQLITE_BUSY, transient_conflict
from tests import postgres

on_own_postgres = pytest.mark.skipif(
    "MSGBOXX_TEST_DATABASE_URL" in os.environ,
    reason="runs on a PostgreSQL database of its own; already run in the SQLite pass",
)


def _raised(work: object) -> BaseException:
    """What calling ``work`` raised (it must raise)."""
    assert callable(work)
    with pytest.raises(Exception) as caught:
        work()
    return caught.value


def test_sqlite__database_is_locked_is_a_conflict_bare_and_wrapped(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    holder = sqlite3.connect(path, timeout=0, isolation_level=None)
    holder.execute("CREATE TABLE t (id INTEGER PRIMARY KEY)")
    holder.execute("BEGIN IMMEDIATE")  # another process writing, as far as SQLite knows
    try:
        other = sqlite3.connect(path, timeout=0, isolation_level=None)
        bare = _raised(lambda: other.execute("INSERT INTO t VALUES (1)"))
        other.close()
        engine = create_engine(f"sqlite:///{path}", connect_args={"timeout": 0})
        with engine.connect() as connection:
            wrapped = _raised(lambda: connection.execute(text("INSERT INTO t VALUES (2)")))
        engine.dispose()
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert isinstance(bare, sqlite3.OperationalError) and "database is locked" in str(bare)
    assert isinstance(wrapped, DBAPIError)
    for error in (bare, wrapped):
        conflict = transient_conflict(error)
        assert conflict is not None and conflict.code == SQLITE_BUSY
        assert conflict.message == "database is locked"


def test_sqlite__other_errors_are_no_conflict(tmp_path: Path) -> None:
    connection = sqlite3.connect(tmp_path / "store.db")
    connection.execute("CREATE TABLE t (id INTEGER PRIMARY KEY)")
    connection.execute("INSERT INTO t VALUES (1)")
    missing = _raised(lambda: connection.execute("SELECT * FROM nowhere"))
    duplicate = _raised(lambda: connection.execute("INSERT INTO t VALUES (1)"))
    connection.close()
    assert isinstance(missing, sqlite3.OperationalError)
    assert transient_conflict(missing) is None
    assert transient_conflict(duplicate) is None
    assert transient_conflict(RuntimeError("database is locked")) is None  # not the database's


@pytest.fixture
async def engine(postgres_server: str) -> AsyncIterator[AsyncEngine]:
    url = await postgres.fresh_database("msgboxx_errors")
    made = create_async_engine(url)
    async with made.begin() as connection:
        await connection.execute(text("CREATE TABLE t (id int PRIMARY KEY, n int NOT NULL)"))
        await connection.execute(text("INSERT INTO t VALUES (1, 0), (2, 0)"))
    try:
        yield made
    finally:
        await made.dispose()


@on_own_postgres
async def test_postgres__the_loser_of_a_deadlock_is_a_40P01_conflict(engine: AsyncEngine) -> None:
    async with engine.connect() as first, engine.connect() as second:
        await first.execute(text("UPDATE t SET n = 1 WHERE id = 1"))
        await second.execute(text("UPDATE t SET n = 1 WHERE id = 2"))
        results = await asyncio.gather(
            first.execute(text("UPDATE t SET n = 2 WHERE id = 2")),
            second.execute(text("UPDATE t SET n = 2 WHERE id = 1")),
            return_exceptions=True,
        )
        errors = [r for r in results if isinstance(r, BaseException)]
        assert len(errors) == 1 and isinstance(errors[0], DBAPIError), results
        driver_error = errors[0].orig.__cause__  # type: ignore[union-attr]
        assert isinstance(driver_error, asyncpg.DeadlockDetectedError)
        for error in (errors[0], driver_error):
            conflict = transient_conflict(error)
            assert conflict is not None and conflict.code == "40P01"
            assert conflict.message.endswith("deadlock detected")


@on_own_postgres
async def test_postgres__a_serialization_failure_is_a_40001_conflict(engine: AsyncEngine) -> None:
    async with engine.connect() as first, engine.connect() as second:
        await first.execution_options(isolation_level="REPEATABLE READ")
        await first.execute(text("SELECT n FROM t WHERE id = 1"))  # takes its snapshot
        await second.execute(text("UPDATE t SET n = 5 WHERE id = 1"))
        await second.commit()
        error = await _raised_async(first.execute(text("UPDATE t SET n = 6 WHERE id = 1")))
    assert isinstance(error, DBAPIError)
    assert isinstance(error.orig.__cause__, asyncpg.SerializationError)  # type: ignore[union-attr]
    conflict = transient_conflict(error)
    assert conflict is not None and conflict.code == "40001"


@on_own_postgres
async def test_postgres__a_duplicate_is_no_conflict(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        error = await _raised_async(connection.execute(text("INSERT INTO t VALUES (1, 0)")))
    assert isinstance(error, IntegrityError)
    assert transient_conflict(error) is None


async def _raised_async(work: object) -> BaseException:
    """What awaiting ``work`` raised (it must raise)."""
    with pytest.raises(Exception) as caught:
        await work  # type: ignore[misc]
    return caught.value
