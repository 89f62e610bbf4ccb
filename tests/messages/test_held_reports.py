"""A report that races the record of its message's id is applied when the id is.

The network may report a message before the dispatcher has committed the id it
got back; the report is then held. On PostgreSQL the two transactions run at
once, and each used to miss the other (the report saw no message, the record
saw no held report): the report waited for the sweep, and its webhook event
for that step never went out. Here each transaction is held open while the
other starts, in both orders, on both stores.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

from msgboxx import intake
from msgboxx.channels.base import StatusReport
from msgboxx.db import Database, utcnow
from msgboxx.messages import service as messages
from msgboxx.messages.models import Message
from msgboxx.messages.status import MessageStatus
from tests.support import Tenant
from tests.webhooks.receiver import Receiver

OWNER = "dispatcher-race"
# Long enough for the other transaction to reach the point where it must wait.
OVERLAP = 0.5


async def leased_message(tenant: Tenant) -> uuid.UUID:
    """An outbound message a dispatcher has claimed and not yet recorded (no provider id)."""
    contact_id = uuid.UUID(await tenant.contact())
    async with tenant.server.db.tx(write=True) as tx:
        message = Message(
            account_id=uuid.UUID(tenant.account_id),
            inbox_id=uuid.UUID(tenant.inbox_id),
            contact_id=contact_id,
            conversation_id=messages.conversation_id(uuid.UUID(tenant.inbox_id), contact_id),
            direction="Outbound",
            kind="text",
            text="raced",
            status="Pending",
            created_at=utcnow(),
            attempts=1,
            # Not due: the server's own dispatcher leaves it to this test.
            next_attempt_at=utcnow() + timedelta(days=1),
            lease_owner=OWNER,
            lease_until=utcnow() + timedelta(minutes=5),
        )
        tx.session.add(message)
        await tx.commit()
        return message.id


async def record_send(db: Database, message_id: uuid.UUID, wamid: str) -> None:
    async with db.tx(write=True) as tx:
        sent = messages.SendOutcome(message_id, provider_message_id=wamid)
        await messages.record_sends(tx, owner=OWNER, outcomes=[sent], at=utcnow())
        await tx.commit()


async def statuses_announced(receiver: Receiver, message_id: uuid.UUID) -> list[str]:
    """The statuses webhook subscribers were told of, once both Sent and Delivered came."""
    mine = []
    for _ in range(200):
        mine = [
            event["data"]["status"]
            for event in receiver.events()
            if event["type"] == "message.status" and event["data"]["messageId"] == str(message_id)
        ]
        if "Delivered" in mine:
            break
        await asyncio.sleep(0.05)
    return mine


async def listening(tenant: Tenant) -> Receiver:
    receiver = await Receiver().start()
    reply = await tenant.api.post(
        "/webhook", json={"targetUrl": receiver.url(), "events": ["message.status"]}
    )
    assert reply.status_code == 201, reply.text
    return receiver


async def test_held__a_report_held_while_the_send_is_recorded_is_applied_with_the_record(
    tenant: Tenant,
) -> None:
    receiver = await listening(tenant)
    message_id = await leased_message(tenant)
    wamid = f"wamid.race.{uuid.uuid4().hex}"
    delivered = StatusReport(wamid, MessageStatus.delivered, utcnow())
    try:
        async with tenant.server.db.tx(write=True) as report:
            held = await intake.apply(report, [delivered])
            assert held.statuses_applied == 0  # the id is not recorded yet: held
            recording = asyncio.create_task(record_send(tenant.server.db, message_id, wamid))
            await asyncio.sleep(OVERLAP)
            await report.commit()
        await recording
        body = (await tenant.api.get(f"/message/{message_id}")).json()
        assert body["status"] == "Delivered", body
        assert body["sentAt"] <= body["deliveredAt"]
        assert await statuses_announced(receiver, message_id) == ["Sent", "Delivered"]
    finally:
        await receiver.stop()


async def test_held__a_report_made_while_the_send_is_recorded_is_applied_after_it(
    tenant: Tenant,
) -> None:
    receiver = await listening(tenant)
    message_id = await leased_message(tenant)
    wamid = f"wamid.race.{uuid.uuid4().hex}"
    delivered = StatusReport(wamid, MessageStatus.delivered, utcnow())
    try:
        async with tenant.server.db.tx(write=True) as record:
            sent = messages.SendOutcome(message_id, provider_message_id=wamid)
            await messages.record_sends(record, owner=OWNER, outcomes=[sent], at=utcnow())
            reporting = asyncio.create_task(intake.apply_batch(tenant.server.db, [delivered]))
            await asyncio.sleep(OVERLAP)
            await record.commit()
        assert (await reporting).statuses_applied == 1
        body = (await tenant.api.get(f"/message/{message_id}")).json()
        assert body["status"] == "Delivered", body
        assert await statuses_announced(receiver, message_id) == ["Sent", "Delivered"]
    finally:
        await receiver.stop()
