"""Back-pressure: while sending is behind, accepts wait for it (core.backpressure).

First the rule on its own, on a real event loop; then what a client sees from
a real server whose sending is slow: on the embedded default a flood of accepts
is answered at the pace of sending, so the queue stays bounded, and every
message is still accepted and sent. On PostgreSQL, where other processes may
send too, accepts do not wait for this process's dispatcher.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest

from msgboxx.core.backpressure import Backpressure
from msgboxx.db import migrate
from msgboxx.settings import Settings
from tests import postgres
from tests.support import new_tenant, running, test_settings, wait_until_sent


async def finished(tasks: list[asyncio.Task[None]]) -> int:
    await asyncio.sleep(0.05)  # every waiter has looked
    return sum(task.done() for task in tasks)


async def test_accept_turn__goes_ahead_at_once_while_sending_keeps_up() -> None:
    pressure = Backpressure(max_wait=30)
    pressure.claimed(40, behind=False)  # a claim that emptied the queue
    await asyncio.wait_for(pressure.accept_turn(), timeout=1)
    assert not pressure.behind


async def test_accept_turn__while_behind_each_claim_lets_as_many_through_as_it_took() -> None:
    pressure = Backpressure(max_wait=30)
    pressure.claimed(2, behind=True)
    waiting = [asyncio.create_task(pressure.accept_turn()) for _ in range(5)]
    assert await finished(waiting) == 2
    pressure.claimed(2, behind=True)
    assert await finished(waiting) == 4
    pressure.claimed(1, behind=False)  # the queue is empty: no one waits any more
    assert await finished(waiting) == 5


async def test_accept_turn__a_dispatcher_that_stops_releases_every_waiter() -> None:
    pressure = Backpressure(max_wait=30)
    pressure.claimed(0, behind=True)  # behind, with every send slot taken
    waiting = [asyncio.create_task(pressure.accept_turn()) for _ in range(3)]
    assert await finished(waiting) == 0
    pressure.release()
    assert await finished(waiting) == 3


async def test_accept_turn__waits_no_longer_than_max_wait_for_a_claim() -> None:
    pressure = Backpressure(max_wait=0.2)
    pressure.claimed(0, behind=True)
    waiting = [asyncio.create_task(pressure.accept_turn()) for _ in range(3)]
    assert await finished(waiting) == 0
    await asyncio.wait_for(asyncio.gather(*waiting), timeout=5)


async def test_accept_turn__zero_max_wait_never_waits() -> None:
    pressure = Backpressure(max_wait=0)
    pressure.claimed(0, behind=True)
    await asyncio.wait_for(pressure.accept_turn(), timeout=1)


async def pending(api: httpx.AsyncClient, account_id: str) -> int:
    reply = await api.get(
        "/message",
        params={"apiAccountId": account_id, "status": "Pending", "direction": "Outbound"},
    )
    assert reply.status_code == 200, reply.text
    return int(reply.json()["paging"]["recordCount"])


async def slow_sending(tmp_path: Path, store: str) -> Settings:
    """A server whose sending carries 4 messages per 0.25 s, on SQLite or a fresh PostgreSQL."""
    url = None  # the data folder's SQLite file, whatever store the suite runs on
    if store == "postgres":
        postgres.require(postgres.server_url())
        url = await postgres.fresh_database("backpressure")
        await migrate.run(url)
    return test_settings(
        tmp_path,
        database_url=url,
        dispatch_batch_size=4,
        dispatch_max_in_flight=4,
        sandbox_send_latency=0.25,
        accept_wait_for_sending_seconds=30,
    )


@pytest.mark.parametrize("store", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def test_a_flood_of_accepts_waits_for_sending_where_one_process_sends(
    tmp_path: Path, store: str
) -> None:
    settings = await slow_sending(tmp_path, store)
    # 24 clients offer 120 messages, each sending its next as soon as answered.
    clients, messages = 24, 120
    async with running(settings) as server:
        tenant = await new_tenant(server)
        contacts = [await tenant.contact() for _ in range(messages)]
        queue = list(contacts)
        largest_queue = 0
        message_ids: list[str] = []

        async def client() -> None:
            while queue:
                contact_id = queue.pop()
                reply = await tenant.api.post(
                    "/message",
                    json={
                        "apiAccountId": tenant.account_id,
                        "contactId": contact_id,
                        "message": "Your order is on its way",
                    },
                )
                assert reply.status_code == 201, reply.text
                message_ids.append(reply.json()["messageId"])

        async def watch() -> None:
            nonlocal largest_queue
            while True:
                largest_queue = max(largest_queue, await pending(tenant.api, tenant.account_id))
                await asyncio.sleep(0.05)

        watcher = asyncio.create_task(watch())
        try:
            await asyncio.gather(*(client() for _ in range(clients)))
        finally:
            watcher.cancel()
        assert len(message_ids) == messages
        paced = clients + 3 * settings.dispatch_batch_size
        if store == "sqlite":
            # Paced by sending, the queue held what the clients had in flight and a
            # few claims; accepted as fast as offered, it would have held nearly all.
            assert largest_queue <= paced, largest_queue
        else:
            # Other processes may send for this database: accepts take no one's pace.
            assert largest_queue > paced, largest_queue
        for message_id in message_ids:
            await wait_until_sent(tenant.api, f"/message/{message_id}")
