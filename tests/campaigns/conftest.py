"""A live webhook receiver for the campaign events' tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.webhooks.receiver import Receiver


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    live = await Receiver().start()
    try:
        yield live
    finally:
        await live.stop()
