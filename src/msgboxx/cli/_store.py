"""Admin commands run on the server's store, and never make a new one by mistake.

Run from another folder, the default data folder (``./.msgboxx``) would be a new,
empty SQLite database: every command would succeed on it and the server would
never see the result. So a store that does not exist yet is refused unless the
user asks for it (``msgboxx migrate`` or ``msgboxx admin --create``), and the
store used is named on stderr.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

import typer
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, OperationalError, ProgrammingError
from sqlalchemy.ext.asyncio import create_async_engine

from msgboxx import wiring
from msgboxx.cli._app import fail
from msgboxx.core.errors import ProblemError
from msgboxx.db import Database
from msgboxx.db import migrate as migrations
from msgboxx.settings import Settings

T = TypeVar("T")

# Set by ``msgboxx admin --create``.
create_if_missing = False


def describe(settings: Settings) -> str:
    """The store in words a user can check: the SQLite file, or the URL without password."""
    if settings.is_sqlite:
        return f"SQLite {sqlite_path(settings)}"
    return make_url(settings.resolved_database_url).render_as_string(hide_password=True)


def sqlite_path(settings: Settings) -> Path:
    database = make_url(settings.resolved_database_url).database or ""
    return Path(database).resolve()


async def _has_schema(url: str) -> bool:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT version_num FROM alembic_version"))
        return True
    except ProgrammingError:
        return False
    finally:
        await engine.dispose()


async def _prepare(settings: Settings) -> None:
    url = settings.resolved_database_url
    if create_if_missing:
        await migrations.run(url)
        return
    if settings.is_sqlite:
        if not sqlite_path(settings).exists():
            raise fail(
                f"no msgboxx store at {sqlite_path(settings)}: set MSGBOXX_DATA_DIR to the "
                "server's data folder (or run `msgboxx migrate`, or `msgboxx admin --create "
                "...`, to start a new store there)"
            )
        await migrations.run(url)  # as the embedded server does on start-up
    elif not await _has_schema(url):
        raise fail(
            f"no msgboxx schema in {describe(settings)}: set MSGBOXX_DATABASE_URL (or "
            "MSGBOXX_DATA_DIR) to the server's store, or run `msgboxx migrate` to create it"
        )


def run(work: Callable[[Database], Awaitable[T]]) -> T:
    """Run one admin action on the configured store; errors as one line."""
    settings = Settings()

    async def main() -> T:
        await _prepare(settings)
        db = wiring.open_database(settings)
        try:
            return await work(db)
        finally:
            await db.dispose()

    try:
        result = asyncio.run(main())
    except ProblemError as exc:
        raise fail(f"{exc.detail} (store: {describe(settings)})") from None
    except (ProgrammingError, OperationalError) as exc:
        raise fail(f"database error: {exc.orig}; has `msgboxx migrate` been run?") from None
    except (DBAPIError, OSError) as exc:
        raise fail(f"cannot use the database {describe(settings)}: {exc}") from None
    typer.echo(f"store: {describe(settings)}", err=True)
    return result
