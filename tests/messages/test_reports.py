"""Status reports and inbound messages from the channel: applied once, only forward."""

from __future__ import annotations

import uuid
from datetime import timedelta

from msgboxx import intake
from msgboxx.channels.base import InboundText, StatusReport
from msgboxx.db import utcnow
from msgboxx.messages.models import Message
from msgboxx.messages.status import MessageStatus
from tests.support import Server, Tenant, fresh_number, wait_for_status


async def sent_message(tenant: Tenant) -> tuple[str, str]:
    """A message that has reached Read through the sandbox, and its provider id."""
    contact_id = await tenant.contact()
    reply = await tenant.api.post(
        "/message",
        json={"apiAccountId": tenant.account_id, "contactId": contact_id, "message": "Hi"},
    )
    message_id = reply.json()["messageId"]
    await wait_for_status(tenant.api, f"/message/{message_id}", "Read")
    async with tenant.server.db.tx(write=False) as tx:
        message = await tx.session.get(Message, uuid.UUID(message_id))
        assert message is not None and message.provider_message_id
        return message_id, message.provider_message_id


async def back_to_sent(tenant: Tenant, message_id: str) -> None:
    """The message as it was before the network reported it delivered and read."""
    async with tenant.server.db.tx(write=True) as tx:
        message = await tx.session.get(Message, uuid.UUID(message_id))
        assert message is not None
        message.status, message.delivered_at, message.read_at = "Sent", None, None
        await tx.commit()


async def report(server: Server, *events: StatusReport | InboundText) -> intake.IntakeResult:
    return await intake.apply_batch(server.db, events)


async def test_status__late_and_repeated_reports_change_nothing(tenant: Tenant) -> None:
    message_id, wamid = await sent_message(tenant)
    before = (await tenant.api.get(f"/message/{message_id}")).json()
    result = await report(
        tenant.server,
        StatusReport(wamid, MessageStatus.delivered, utcnow()),
        StatusReport(wamid, MessageStatus.sent, utcnow()),
        StatusReport(wamid, MessageStatus.read, utcnow()),
        StatusReport(wamid, MessageStatus.failed, utcnow(), "too late"),
    )
    assert result.statuses_applied == 0 and result.ignored == 4
    assert (await tenant.api.get(f"/message/{message_id}")).json() == before


async def test_status__read_first_implies_sent_and_delivered(tenant: Tenant) -> None:
    message_id, wamid = await sent_message(tenant)
    await back_to_sent(tenant, message_id)
    read_at = utcnow()
    await report(tenant.server, StatusReport(wamid, MessageStatus.read, read_at))
    await report(tenant.server, StatusReport(wamid, MessageStatus.delivered, utcnow()))
    body = (await tenant.api.get(f"/message/{message_id}")).json()
    assert body["status"] == "Read"
    assert body["deliveredAt"] == body["readAt"]


async def test_status__failed_carries_its_reason_and_is_final(tenant: Tenant) -> None:
    message_id, wamid = await sent_message(tenant)
    await back_to_sent(tenant, message_id)
    await report(
        tenant.server,
        StatusReport(wamid, MessageStatus.failed, utcnow(), "131026 Message undeliverable"),
    )
    await report(tenant.server, StatusReport(wamid, MessageStatus.delivered, utcnow()))
    body = (await tenant.api.get(f"/message/{message_id}")).json()
    assert body["status"] == "Failed"
    assert body["failureReason"] == "131026 Message undeliverable"
    assert body["failedAt"] is not None and body["deliveredAt"] is None


async def test_inbound__creates_the_contact_and_threads_the_conversation(tenant: Tenant) -> None:
    number = fresh_number()
    reply = await tenant.api.post(
        "/sandbox/inbound",
        json={"from": number, "to": tenant.phone_number, "text": "Hello?", "name": "Ana"},
    )
    assert reply.status_code == 202, reply.text
    inbound = reply.json()
    assert inbound["direction"] == "Inbound" and inbound["status"] == "Received"
    contact = (await tenant.api.get(f"/contact/{inbound['contactId']}")).json()
    assert contact["mobileNumber"] == number
    assert contact["name"] == "Ana" and contact["status"] == "Subscribed"
    sent = await tenant.api.post(
        "/message",
        json={
            "apiAccountId": tenant.account_id,
            "contactId": inbound["contactId"],
            "message": "Hi Ana",
        },
    )
    assert sent.json()["conversationId"] == inbound["conversationId"]
    thread = (await tenant.api.get(f"/message?conversationId={inbound['conversationId']}")).json()
    assert [m["message"] for m in thread["items"]] == ["Hi Ana", "Hello?"]
    assert thread["paging"]["recordCount"] == 2


async def test_inbound__the_same_provider_message_twice_is_stored_once(tenant: Tenant) -> None:
    number = fresh_number()
    event = InboundText(tenant.phone_number, number, f"wamid.{uuid.uuid4().hex}", "Hi", utcnow())
    first = await report(tenant.server, event)
    again = await report(tenant.server, event, event)
    assert first.inbound_stored == 1 and again.inbound_stored == 0
    listed = (await tenant.api.get("/message?direction=Inbound")).json()
    assert listed["paging"]["recordCount"] == 1


async def test_inbound__stop_and_start_set_consent(tenant: Tenant) -> None:
    number = fresh_number()

    async def say(text: str) -> str:
        reply = await tenant.api.post(
            "/sandbox/inbound", json={"from": number, "to": tenant.phone_number, "text": text}
        )
        return str(reply.json()["contactId"])

    contact_id = await say("Hello")
    for stop in ("STOP", " stop. ", "Unsubscribe"):
        await say(stop)
        contact = (await tenant.api.get(f"/contact/{contact_id}")).json()
        assert contact["status"] == "Unsubscribed", stop
        await say("START")
        assert (await tenant.api.get(f"/contact/{contact_id}")).json()["status"] == "Subscribed"
    await say("please stop calling me at work")  # a sentence, not the keyword
    assert (await tenant.api.get(f"/contact/{contact_id}")).json()["status"] == "Subscribed"


async def test_inbound__to_a_number_of_another_tenant_is_404(
    tenant: Tenant, other_tenant: Tenant
) -> None:
    reply = await tenant.api.post(
        "/sandbox/inbound",
        json={"from": fresh_number(), "to": other_tenant.phone_number, "text": "Hi"},
    )
    assert reply.status_code == 404
    assert (await other_tenant.api.get("/contact")).json()["paging"]["recordCount"] == 0


async def test_inbound__an_old_provider_timestamp_does_not_shorten_the_window(
    tenant: Tenant,
) -> None:
    number = fresh_number()
    contact_id = await tenant.contact(number=number)
    late = InboundText(
        tenant.phone_number,
        number,
        f"wamid.{uuid.uuid4().hex}",
        "old",
        utcnow() - timedelta(days=2),
    )
    await report(tenant.server, late)
    reply = await tenant.api.post(
        "/message",
        json={"apiAccountId": tenant.account_id, "contactId": contact_id, "message": "Still open"},
    )
    assert reply.status_code == 201


async def test_status__a_batch_larger_than_one_transaction_is_applied_whole_and_in_order(
    tenant: Tenant,
) -> None:
    message_id, wamid = await sent_message(tenant)
    await back_to_sent(tenant, message_id)
    size = intake.EVENTS_PER_TRANSACTION * 2 + 50
    events = [StatusReport(wamid, MessageStatus.sent, utcnow()) for _ in range(size)]
    # In the third transaction: Delivered, then Read; then late reports again.
    events[-20] = StatusReport(wamid, MessageStatus.delivered, utcnow() + timedelta(seconds=1))
    events[-10] = StatusReport(wamid, MessageStatus.read, utcnow() + timedelta(seconds=2))
    result = await report(tenant.server, *events)
    assert result.statuses_applied == 2 and result.ignored == size - 2
    body = (await tenant.api.get(f"/message/{message_id}")).json()
    assert body["status"] == "Read" and body["deliveredAt"] < body["readAt"]
