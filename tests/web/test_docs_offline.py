"""/docs and /redoc in a real browser, on a machine that reaches nothing but this server.

Debian's Chromium, driven by Playwright (which downloads no browser of its own):
every request the page makes is recorded and must go to the server's own host.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.async_api import BrowserContext, Request

from tests.browser import launched
from tests.support import Server


@pytest.fixture
async def browser(tmp_path: Path) -> AsyncIterator[BrowserContext]:
    async with launched(tmp_path / "profile") as context:
        yield context


@dataclass
class Traffic:
    """Every request the pages asked for, and those the browser refused to send."""

    asked: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)

    def elsewhere(self, server: Server) -> list[str]:
        """Requests sent anywhere but this server (inline data never leaves the page)."""
        own = urlsplit(server.base_url).netloc
        return [
            url
            for url in self.asked
            if urlsplit(url).scheme not in ("data", "blob")
            and urlsplit(url).netloc != own
            and url not in self.refused
        ]


def record_requests(context: BrowserContext) -> Traffic:
    traffic = Traffic()
    context.on("request", lambda request: traffic.asked.append(request.url))

    def failed(request: Request) -> None:
        # Chromium reports a request its page's policy refused as "csp": never sent.
        if request.failure in ("csp", "net::ERR_BLOCKED_BY_CSP"):
            traffic.refused.append(request.url)

    context.on("requestfailed", failed)
    return traffic


async def test_docs__swagger_ui_lists_the_operations_from_this_server_alone(
    server: Server, browser: BrowserContext
) -> None:
    seen = record_requests(browser)
    page = await browser.new_page()
    reply = await page.goto(f"{server.base_url}/docs")
    assert reply is not None and reply.status == 200
    operation = page.locator(".opblock-summary-operation-id", has_text="sendMessage")
    await operation.first.wait_for(state="visible", timeout=60_000)
    assert await page.locator(".opblock").count() >= 25
    await page.get_by_text("Authorize").first.wait_for(state="visible")
    assert f"{server.base_url}/openapi.json" in seen.asked
    assert seen.elsewhere(server) == []


async def test_docs__redoc_shows_the_operations_from_this_server_alone(
    server: Server, browser: BrowserContext, tmp_path: Path
) -> None:
    seen = record_requests(browser)
    page = await browser.new_page()
    reply = await page.goto(f"{server.base_url}/redoc")
    assert reply is not None and reply.status == 200
    heading = page.locator("h2", has_text="Send Message")
    await heading.first.wait_for(state="visible", timeout=60_000)
    await page.screenshot(path=str(tmp_path / "redoc.png"))
    assert f"{server.base_url}/openapi.json" in seen.asked
    assert seen.elsewhere(server) == []
