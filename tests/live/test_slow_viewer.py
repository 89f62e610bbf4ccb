"""A viewer that stops reading holds up no one: it is dropped with a reset, commits go on."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from msgboxx.live import Feed, Reset
from tests.live.streams import LiveStream
from tests.support import Server, new_tenant, own_settings, running, wait_for_status

BUFFER = 100
MESSAGES = 40  # a created and three status changes each: 160 changes, past the buffer


@pytest.fixture
async def small_buffers(tmp_path: Path) -> AsyncIterator[Server]:
    settings = await own_settings(tmp_path / "data", database="live_slow", live_buffer=BUFFER)
    async with running(settings) as server:
        yield server


async def test_slow_viewer__is_reset_while_sends_and_other_viewers_go_on(
    small_buffers: Server,
) -> None:
    tenant = await new_tenant(small_buffers)
    feed: Feed = small_buffers.app.state.live
    try:
        contact_id = await tenant.contact()
        account = frozenset({uuid.UUID(tenant.account_id)})
        async with feed.subscribe(account) as never_read, LiveStream(tenant.api) as reader:
            sent = []
            for n in range(MESSAGES):
                reply = await tenant.api.post(
                    "/message",
                    json={
                        "apiAccountId": tenant.account_id,
                        "contactId": contact_id,
                        "message": f"Update {n}",
                    },
                )
                assert reply.status_code == 201, reply.text
                sent.append(reply.json()["messageId"])
            for message_id in sent:
                await wait_for_status(tenant.api, f"/message/{message_id}", "Read")
            # The reader that keeps up saw every change, and was never reset.
            seen = await reader.until(
                lambda e: e.kind == "message.status" and e.data["resourceId"] == sent[-1]
            )
            seen += await reader.until(
                lambda e: e.kind == "message.status" and e.data["resourceId"] == sent[-1]
            )
            seen += await reader.until(
                lambda e: e.kind == "message.status" and e.data["resourceId"] == sent[-1]
            )
            # What was queued for the one that stopped reading is dropped for the reset.
            items = [item async for item in never_read]
        assert items == [Reset("behind")]
        assert "reset" not in {e.kind for e in seen}
        created = [e.data["resourceId"] for e in seen if e.kind == "message.created"]
        assert created == sent
        statuses = [e.data["resourceId"] for e in seen if e.kind == "message.status"]
        assert sorted(statuses) == sorted(sent * 3)
        # The reader that went away is forgotten too (the server notices the client left).
        for _ in range(100):
            if feed.viewers == 0:
                break
            await asyncio.sleep(0.05)
        assert feed.viewers == 0
    finally:
        await tenant.api.aclose()
