"""The migrations build exactly the tables the models describe, and undo cleanly."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.ext.asyncio import create_async_engine

from msgboxx.db import migrate
from msgboxx.db.models import metadata
from tests import postgres


async def differences(url: str) -> list[object]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(
                lambda sync: compare_metadata(
                    MigrationContext.configure(sync, opts={"compare_type": True}), metadata
                )
            )
    finally:
        await engine.dispose()


async def check_migrations(url: str) -> None:
    """Upgrade from empty matches the models; the latest step goes down and up again."""
    await migrate.run(url)
    assert await differences(url) == []
    script = ScriptDirectory.from_config(migrate.config(url))
    head = script.get_revision("head")
    assert head is not None and isinstance(head.down_revision, str)
    await migrate.run(url, action="downgrade", revision=head.down_revision)
    await migrate.run(url)
    assert await differences(url) == []
    await migrate.run(url, action="downgrade", revision="0001")
    await migrate.run(url)
    assert await differences(url) == []


async def test_migrations__on_sqlite(tmp_path: Path) -> None:
    await check_migrations(f"sqlite+aiosqlite:///{tmp_path / 'schema.db'}")


@pytest.mark.skipif(
    "MSGBOXX_TEST_DATABASE_URL" in __import__("os").environ,
    reason="runs on a database of its own; already run in the SQLite pass",
)
async def test_migrations__on_postgresql(postgres_server: str) -> None:
    await check_migrations(await postgres.fresh_database("msgboxx_migrations"))
