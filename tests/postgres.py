"""PostgreSQL for tests: fail in CI when it is missing, skip on a laptop without it."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import asyncpg
import pytest

T = TypeVar("T")
DEFAULT_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"


def server_url() -> str:
    return os.environ.get("MSGBOXX_TEST_POSTGRES_URL", DEFAULT_URL)


def _dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


async def _reachable(url: str) -> str | None:
    try:
        connection = await asyncpg.connect(_dsn(url), timeout=5)
    except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
        return f"{type(exc).__name__}: {exc}"
    await connection.close()
    return None


def run(work: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to completion from sync code, on a loop of its own thread."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, work).result()


def require(url: str) -> None:
    """Fail (CI) or skip (elsewhere) unless PostgreSQL answers at ``url``."""
    problem = run(_reachable(url))
    if problem is None:
        return
    reason = f"PostgreSQL is not reachable at {url.split('@')[-1]}: {problem}"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(reason)
    pytest.skip(reason)


async def fresh_database(name: str) -> str:
    """A newly created, empty database on the test server; its URL.

    Its name starts with the test database's, so that checkouts testing side by side
    against one server (each with its own MSGBOXX_TEST_POSTGRES_URL) never share one.
    """
    base = server_url()
    name = f"{base.rsplit('/', 1)[-1]}_{name}"
    connection = await asyncpg.connect(_dsn(base))
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    return base.rsplit("/", 1)[0] + "/" + name


async def reset_schema(url: str) -> None:
    connection = await asyncpg.connect(_dsn(url))
    try:
        await connection.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
    finally:
        await connection.close()
