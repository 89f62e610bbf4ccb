"""The embedded store's connections, which run SQLite on the event loop's thread."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy import text

from msgboxx import wiring
from tests.support import test_settings


async def test_sqlite__a_write_is_visible_to_readers_once_committed_and_not_before(
    tmp_path: Path,
) -> None:
    db = wiring.open_database(test_settings(tmp_path, database_url=None))  # SQLite in either pass
    try:
        async with db.tx(write=True) as writer:
            await writer.session.execute(text("CREATE TABLE notes (body TEXT)"))
            await writer.commit()
            await writer.session.execute(text("INSERT INTO notes VALUES ('kept')"))
            async with db.tx(write=False) as reader:
                assert await reader.session.scalar(text("SELECT count(*) FROM notes")) == 0
            await writer.commit()
        async with db.tx(write=False) as reader:
            assert await reader.session.scalar(text("SELECT body FROM notes")) == "kept"
    finally:
        await db.dispose()


async def test_sqlite__a_connection_takes_another_isolation_level_without_hanging(
    tmp_path: Path,
) -> None:
    db = wiring.open_database(test_settings(tmp_path, database_url=None))  # SQLite in either pass
    try:
        async with db.write_engine.connect() as connection:
            autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
            answer = await asyncio.wait_for(autocommit.scalar(text("SELECT 1")), timeout=5)
            assert answer == 1
    finally:
        await db.dispose()
