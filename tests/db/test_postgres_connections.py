"""PostgreSQL connections: what survives the server closing them, and what reads cost."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy import text

from msgboxx import wiring
from msgboxx.db import Database
from tests import postgres
from tests.support import test_settings

pytestmark = pytest.mark.skipif(
    "MSGBOXX_TEST_DATABASE_URL" in os.environ,
    reason="runs on a PostgreSQL database of its own; already run in the SQLite pass",
)


@pytest.fixture
async def db(postgres_server: str, tmp_path: Path) -> AsyncIterator[Database]:
    url = await postgres.fresh_database("msgboxx_connections")
    database = wiring.open_database(test_settings(tmp_path, database_url=url))
    try:
        yield database
    finally:
        await database.dispose()


async def _terminate_every_connection_to(db: Database) -> int:
    """What a server restart or an administrator does to the pool's connections."""
    name = db.url.rsplit("/", 1)[-1]
    admin = await asyncpg.connect(postgres.server_url().replace("+asyncpg", ""))
    try:
        ended = await admin.fetchval(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = $1 AND pid <> pg_backend_pid()",
            name,
        )
    finally:
        await admin.close()
    await asyncio.sleep(0.3)  # the server closes the sockets; the loop reads that
    return int(ended)


async def test_postgres__sessions_work_again_after_the_server_closed_every_connection(
    db: Database,
) -> None:
    for write in (True, False):  # fill the pool with more than one connection
        async with db.tx(write=write) as first, db.tx(write=write) as second:
            assert await first.session.scalar(text("SELECT 1")) == 1
            assert await second.session.scalar(text("SELECT 1")) == 1
    assert await _terminate_every_connection_to(db) >= 2
    for write in (True, False, True):
        async with db.tx(write=write) as tx:
            assert await tx.session.scalar(text("SELECT 2")) == 2


async def test_postgres__a_read_session_holds_no_transaction_open_between_statements(
    db: Database,
) -> None:
    """Reads run as single statements: no ``idle in transaction`` between them."""
    async with db.tx(write=False) as reader:
        first = await reader.session.scalar(text("SELECT now()"))
        await asyncio.sleep(0.05)
        second = await reader.session.scalar(text("SELECT now()"))
        assert second > first, "both statements ran in one transaction"
    async with db.tx(write=True) as writer:
        first = await writer.session.scalar(text("SELECT now()"))
        await asyncio.sleep(0.05)
        assert await writer.session.scalar(text("SELECT now()")) == first
