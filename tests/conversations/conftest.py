"""A live webhook receiver per test; the Cloud API double for webhooks of several messages."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.channels.conftest import cloud, cloud_server, graph
from tests.webhooks.receiver import Receiver

__all__ = ["cloud", "cloud_server", "graph", "receiver"]


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    live = await Receiver().start()
    try:
        yield live
    finally:
        await live.stop()
