"""Scheduled messages with several real workers on one PostgreSQL.

Exactly once, and on time: the workers poll only once a minute, so a message
that reaches the network within a second of its sendAt went because a worker
heard of it (NOTIFY at the accept's commit), read the earliest due time and
woke for it; one started after the accept finds it on start.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from msgboxx import wiring
from msgboxx.contacts.models import Contact
from msgboxx.db import Database, utcnow
from msgboxx.db.engine import OUTBOUND_CHANNEL
from msgboxx.messages import service as messages
from msgboxx.messages.models import Message
from tests import postgres
from tests.dispatch.fleet import Fleet, Number, new_number, queue, wait_until_sent

pytestmark = pytest.mark.skipif(
    "MSGBOXX_TEST_DATABASE_URL" in os.environ,
    reason="runs its own PostgreSQL databases; already run in the SQLite pass",
)

IDLE = {"MSGBOXX_DISPATCH_POLL_INTERVAL": "60", "MSGBOXX_NUMBER_THROUGHPUT": "1000"}


@pytest.fixture
async def fleet(postgres_server: str, tmp_path: Path) -> AsyncIterator[tuple[Fleet, Database]]:
    from msgboxx.db import migrate

    url = await postgres.fresh_database("msgboxx_scheduled_fleet")
    await migrate.run(url)
    crew = Fleet(url=url, workdir=tmp_path)
    db = wiring.open_database(crew.settings())
    try:
        yield crew, db
    finally:
        crew.stop_all()
        await db.dispose()


async def customers(db: Database, number: Number, count: int) -> list[uuid.UUID]:
    """Contacts of ``number`` who wrote just now (their window is open)."""
    first = await queue(db, number, contacts=count)
    async with db.tx(write=True) as tx:
        contact_ids = list(
            await tx.session.scalars(select(Message.contact_id).where(Message.id.in_(first)))
        )
        await tx.session.execute(
            update(Contact).where(Contact.id.in_(contact_ids)).values(last_inbound_at=utcnow())
        )
        # The first messages were queued in bulk, with no wake-up: wake the idle workers
        # as an accept does (its insert's pg_notify), or they wait out their minute.
        await tx.session.execute(select(func.pg_notify(OUTBOUND_CHANNEL, "")))
        await tx.commit()
    return [contact_id for contact_id in contact_ids if contact_id is not None]


async def schedule(
    db: Database, number: Number, contact_ids: list[uuid.UUID], send_at: datetime
) -> list[uuid.UUID]:
    """Accept a scheduled message to each contact as POST /message does, in one commit."""
    async with db.tx(write=True) as tx:
        ids = []
        for contact_id in contact_ids:
            to = messages.Recipient(
                contact_id, number.account_id, number.inbox_id, utcnow(), "Subscribed", False
            )
            row = await messages.enqueue(
                tx, to=to, content=messages.Outbound("see you"), now=utcnow(), send_at=send_at
            )
            ids.append(row.id)
        await tx.commit()
    return ids


def assert_on_time(crew: Fleet, ids: list[uuid.UUID], send_at: datetime) -> None:
    sends = crew.sends_per_message()
    assert {str(i) for i in ids} <= set(sends), "a scheduled message never went out"
    assert {sends[str(i)] for i in ids} == {1}, "a scheduled message went out twice"
    wanted = {str(i) for i in ids}
    times = [h.at for h in crew.hand_offs() if h.message_id in wanted]
    assert send_at.timestamp() <= min(times), "a message went out before its sendAt"
    assert max(times) < send_at.timestamp() + 1.0, "a message went out over a second late"


async def test_scheduled__two_workers_send_each_once_within_a_second_of_send_at(
    fleet: tuple[Fleet, Database],
) -> None:
    crew, db = fleet
    number = await new_number(db)
    for _ in range(2):
        crew.start_worker(**IDLE)
    await asyncio.to_thread(crew.wait_until_running, 2)
    contact_ids = await customers(db, number, 200)
    await wait_until_sent(db, timeout=60)
    await asyncio.sleep(1)  # both idle, listening, a minute from their next poll
    send_at = utcnow() + timedelta(seconds=5)
    ids = await schedule(db, number, contact_ids, send_at)
    # Just before sendAt nothing has gone (accepting 200 may itself take seconds on a
    # loaded machine; the hand-off times below check "never before sendAt" in any case).
    early = (send_at - utcnow()).total_seconds() - 0.3
    if early > 0:
        await asyncio.sleep(early)
        assert not {str(i) for i in ids} & set(crew.sends_per_message()), "sent before sendAt"
    await wait_until_sent(db, timeout=15, ids=ids)
    assert_on_time(crew, ids, send_at)


async def test_scheduled__a_worker_started_after_the_accept_sends_on_time(
    fleet: tuple[Fleet, Database],
) -> None:
    crew, db = fleet
    number = await new_number(db)
    crew.start_worker(**IDLE)
    contact_ids = await customers(db, number, 20)
    await wait_until_sent(db, timeout=60)
    crew.stop_all()  # nobody listens when the messages are accepted
    crew.workers.clear()  # stopped, as meant: not to be counted as exited
    send_at = utcnow() + timedelta(seconds=20)  # a start can take seconds on a loaded machine
    ids = await schedule(db, number, contact_ids, send_at)
    crew.start_worker(**IDLE)
    await asyncio.to_thread(crew.wait_until_running, 1)
    assert utcnow() < send_at, "the worker took longer to start than the schedule"
    await wait_until_sent(db, timeout=20, ids=ids)
    assert_on_time(crew, ids, send_at)
