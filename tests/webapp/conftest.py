"""One real ``msgboxx serve`` for the web inbox's tests, a fresh team and browser per test."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.async_api import BrowserContext

from msgboxx.db import Database
from tests.browser import launched
from tests.processes import serving
from tests.webapp.support import SERVER_ENV, Team, new_team, store_of


@dataclass
class InboxServer:
    base_url: str
    db: Database
    data_dir: Path


@pytest.fixture(scope="package")
async def inbox_server(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[InboxServer]:
    data_dir = tmp_path_factory.mktemp("webapp") / "data"
    with serving(data_dir, **SERVER_ENV) as base_url:
        db = store_of(data_dir)
        try:
            yield InboxServer(base_url, db, data_dir)
        finally:
            await db.dispose()


@pytest.fixture
async def team(inbox_server: InboxServer) -> Team:
    return await new_team(inbox_server.db, inbox_server.base_url)


@pytest.fixture
async def browser(tmp_path: Path) -> AsyncIterator[BrowserContext]:
    async with launched(tmp_path / "profile", viewport={"width": 1280, "height": 900}) as context:
        yield context
