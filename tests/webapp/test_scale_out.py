"""On PostgreSQL, the page shows what another API process accepted: the feed crosses processes."""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import BrowserContext, expect

from msgboxx import wiring
from msgboxx.db import migrate
from tests import postgres
from tests.processes import serving
from tests.support import fresh_number, test_settings
from tests.webapp.support import SERVER_ENV, Team, new_team, sign_in


@dataclasses.dataclass
class TwoServers:
    team: Team  # the agent browses the first process (which also sends)
    elsewhere: Team  # the same team, through the second (serve --no-dispatch)


@pytest.fixture
async def two_servers(postgres_server: str, tmp_path: Path) -> AsyncIterator[TwoServers]:
    url = await postgres.fresh_database("webapp_two")
    await migrate.run(url)
    env = {**SERVER_ENV, "MSGBOXX_DATABASE_URL": url, "MSGBOXX_SECRET_KEY": "s" * 40}
    with contextlib.ExitStack() as stack:
        first = stack.enter_context(serving(tmp_path / "one", **env))
        second = stack.enter_context(serving(tmp_path / "two", "--no-dispatch", **env))
        db = wiring.open_database(test_settings(tmp_path / "store", database_url=url))
        try:
            team = await new_team(db, first)
        finally:
            await db.dispose()
        yield TwoServers(team, dataclasses.replace(team, base_url=second))


async def test_postgres__a_message_accepted_by_another_process_appears_live(
    two_servers: TwoServers, browser: BrowserContext
) -> None:
    team, elsewhere = two_servers.team, two_servers.elsewhere
    number = fresh_number()
    contact = (await team.customer_writes("Hello", number=number))["contactId"]
    page = await browser.new_page()
    await sign_in(page, team.base_url, team.agent_email)
    await page.goto(team.conversation_url(contact))
    await expect(page.locator("body[data-live-state=open]")).to_have_count(1)
    await page.evaluate("window.__sameDocument = true")

    await elsewhere.customer_writes("Written to the other process", number=number)
    await expect(page.locator("#thread-items .bubble.in .text").last).to_have_text(
        "Written to the other process", timeout=5_000
    )
    assert await page.evaluate("window.__sameDocument === true")
