"""Shared fixtures: one real server for the session, a fresh tenant per test."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.support import Server, Tenant, new_tenant, running, test_settings


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
