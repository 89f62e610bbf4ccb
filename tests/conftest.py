"""Shared fixtures: one real server for the session, a fresh tenant per test."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from msgboxx.db import migrate
from tests import postgres
from tests.support import Server, Tenant, new_tenant, running, test_settings


@pytest.fixture(scope="session", autouse=True)
def test_database() -> None:
    """On a PostgreSQL run (MSGBOXX_TEST_DATABASE_URL), start from an empty schema."""
    url = os.environ.get("MSGBOXX_TEST_DATABASE_URL")
    if not url:
        return
    postgres.require(url)
    postgres.run(postgres.reset_schema(url))
    postgres.run(migrate.run(url))


@pytest.fixture(scope="session")
def postgres_server() -> str:
    """The PostgreSQL server that multi-process tests make their own databases on."""
    url = postgres.server_url()
    postgres.require(url)
    return url


@pytest.fixture(scope="session")
async def server(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Server]:
    async with running(test_settings(tmp_path_factory.mktemp("data"))) as live:
        yield live


@pytest.fixture
async def tenant(server: Server) -> AsyncIterator[Tenant]:
    created = await new_tenant(server)
    try:
        yield created
    finally:
        await created.api.aclose()


@pytest.fixture
async def other_tenant(server: Server) -> AsyncIterator[Tenant]:
    created = await new_tenant(server)
    try:
        yield created
    finally:
        await created.api.aclose()


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"
