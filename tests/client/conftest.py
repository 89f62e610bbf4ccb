"""A faulty proxy in front of the session's server, per test."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.client.proxy import FaultyProxy
from tests.support import Server


@pytest.fixture
async def proxy(server: Server) -> AsyncIterator[FaultyProxy]:
    live = await FaultyProxy(server.base_url).start()
    try:
        yield live
    finally:
        await live.stop()
