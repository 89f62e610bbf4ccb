"""Debian's Chromium driven by Playwright (which downloads no browser of its own).

Shared by every browser test: /docs offline and the agents' web inbox.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from playwright.async_api import BrowserContext, async_playwright

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium() -> str:
    """Debian's Chromium (``make test`` installs it); fail in CI, skip elsewhere, without it."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    reason = "Chromium is not installed (apt-get install chromium)"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(reason)
    pytest.skip(reason)


@asynccontextmanager
async def launched(profile: Path, **options: object) -> AsyncIterator[BrowserContext]:
    """A browser with a new, empty profile in ``profile``; ``options`` are the context's."""
    executable = chromium()
    async with async_playwright() as playwright:
        context = await playwright.chromium.launch_persistent_context(
            str(profile),
            executable_path=executable,
            headless=True,
            args=CHROMIUM_FLAGS,
            **options,  # type: ignore[arg-type]
        )
        try:
            yield context
        finally:
            await context.close()
