"""POST /message: the 24-hour window, validation, the 201, and the life to Read."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

from sqlalchemy import select, update

from msgboxx.contacts.models import Contact
from msgboxx.db import utcnow
from msgboxx.messages.models import Message
from tests.support import Tenant, assert_problem, fresh_number, wait_for_status

TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
SEED_TEXT = "Hi John, that sounds good progress, kepp me informed please. "


async def test_send__open_window_answers_201_with_the_contract_fields(tenant: Tenant) -> None:
    contact_id = await tenant.contact()
    reply = await tenant.api.post(
        "/message",
        json={"apiAccountId": tenant.account_id, "contactId": contact_id, "message": SEED_TEXT},
    )
    assert reply.status_code == 201, reply.text
    body = reply.json()
    assert body["apiAccountId"] == tenant.account_id
    assert body["contactId"] == contact_id
    assert body["message"] == SEED_TEXT
    assert body["status"] in {"Pending", "Sent"}
    assert TIMESTAMP.match(body["dateTime"])
    assert uuid.UUID(body["messageId"]).version == 4
    assert body["direction"] == "Outbound"
    assert body["inboxId"] == tenant.inbox_id
    for extension in ("conversationId", "sentAt", "deliveredAt", "readAt", "failedAt"):
        assert extension in body
    assert body["failureReason"] is None


async def test_send__is_committed_before_the_201(tenant: Tenant) -> None:
    contact_id = await tenant.contact()
    reply = await tenant.api.post(
        "/message",
        json={"apiAccountId": tenant.account_id, "contactId": contact_id, "message": "Hello"},
    )
    message_id = uuid.UUID(reply.json()["messageId"])
    async with tenant.server.db.tx(write=False) as tx:
        stored = await tx.session.get(Message, message_id)
    assert stored is not None
    assert stored.text == "Hello"


async def test_send__goes_pending_sent_delivered_read(tenant: Tenant) -> None:
    contact_id = await tenant.contact()
    reply = await tenant.api.post(
        "/message",
        json={"apiAccountId": tenant.account_id, "contactId": contact_id, "message": "Hello"},
    )
    path = f"/message/{reply.json()['messageId']}"
    body = await wait_for_status(tenant.api, path, "Read")
    assert body["sentAt"] <= body["deliveredAt"] <= body["readAt"]
    assert all(TIMESTAMP.match(body[k]) for k in ("sentAt", "deliveredAt", "readAt"))


async def test_send__never_opened_window_is_422_pointing_at_broadcast(tenant: Tenant) -> None:
    contact_id = await tenant.contact(inbound=False)
    reply = await tenant.api.post(
        "/message",
        json={"apiAccountId": tenant.account_id, "contactId": contact_id, "message": "Hello"},
    )
    body = assert_problem(reply, 422, slug="session-window-closed")
    assert "/broadcast" in body["detail"]


async def test_send__window_closed_24_hours_after_last_inbound(tenant: Tenant) -> None:
    contact_id = await tenant.contact()
    last_inbound = utcnow() - timedelta(hours=24, seconds=5)
    async with tenant.server.db.tx(write=True) as tx:
        await tx.session.execute(
            update(Contact)
            .where(Contact.id == uuid.UUID(contact_id))
            .values(last_inbound_at=last_inbound)
        )
        await tx.commit()
    reply = await tenant.api.post(
        "/message",
        json={"apiAccountId": tenant.account_id, "contactId": contact_id, "message": "Hello"},
    )
    body = assert_problem(reply, 422, slug="session-window-closed")
    closed_at = (last_inbound + timedelta(hours=24)).strftime("%Y-%m-%dT%H:%M:%S")
    assert closed_at in body["detail"]
    assert "template" in body["detail"]


async def test_send__window_still_open_just_inside_24_hours(tenant: Tenant) -> None:
    contact_id = await tenant.contact()
    async with tenant.server.db.tx(write=True) as tx:
        await tx.session.execute(
            update(Contact)
            .where(Contact.id == uuid.UUID(contact_id))
            .values(last_inbound_at=utcnow() - timedelta(hours=23, minutes=59))
        )
        await tx.commit()
    reply = await tenant.api.post(
        "/message",
        json={"apiAccountId": tenant.account_id, "contactId": contact_id, "message": "Hello"},
    )
    assert reply.status_code == 201, reply.text


async def test_send__a_new_inbound_message_reopens_the_window(tenant: Tenant) -> None:
    number = "+447902111123"
    contact_id = await tenant.contact(number=number)
    async with tenant.server.db.tx(write=True) as tx:
        await tx.session.execute(
            update(Contact)
            .where(Contact.id == uuid.UUID(contact_id))
            .values(last_inbound_at=utcnow() - timedelta(days=3))
        )
        await tx.commit()
    payload = {"apiAccountId": tenant.account_id, "contactId": contact_id, "message": "Hello"}
    assert (await tenant.api.post("/message", json=payload)).status_code == 422
    await tenant.contact(number=number)  # the customer writes again
    assert (await tenant.api.post("/message", json=payload)).status_code == 201


async def test_send__contact_of_another_account_is_422(tenant: Tenant) -> None:
    contact_id = await tenant.contact()
    second = await tenant.api.post(
        "/apiaccount", json={"phoneNumber": "+12025550143", "name": "US"}
    )
    if second.status_code == 409:  # the number is taken by an earlier run on PostgreSQL
        second = await tenant.api.post(
            "/apiaccount", json={"phoneNumber": "+1 415 555 0123", "name": "US"}
        )
    assert second.status_code == 201, second.text
    reply = await tenant.api.post(
        "/message",
        json={
            "apiAccountId": second.json()["apiAccountId"],
            "contactId": contact_id,
            "message": "Hello",
        },
    )
    body = assert_problem(reply, 422)
    assert body["errors"][0]["field"] == "contactId"


async def test_send__text_length_limits(tenant: Tenant) -> None:
    contact_id = await tenant.contact()
    base = {"apiAccountId": tenant.account_id, "contactId": contact_id}
    for text in ("", "   ", "x" * 4097):
        reply = await tenant.api.post("/message", json={**base, "message": text})
        body = assert_problem(reply, 422)
        assert body["errors"][0]["field"] == "message"
    reply = await tenant.api.post("/message", json={**base, "message": "x" * 4096})
    assert reply.status_code == 201


async def test_send__bad_bodies_are_4xx_problems_and_write_nothing(tenant: Tenant) -> None:
    contact_id = await tenant.contact()
    bad = [
        (b"{not json", 400),
        (b"[]", 422),
        (b'{"apiAccountId": "nope", "contactId": "x", "message": "hi"}', 422),
        (b'{"contactId": "' + contact_id.encode() + b'", "message": "hi"}', 422),
        (b'{"apiAccountId": 5, "contactId": null, "message": 7}', 422),
    ]
    for raw, status in bad:
        reply = await tenant.api.post(
            "/message", content=raw, headers={"Content-Type": "application/json"}
        )
        assert_problem(reply, status)
    async with tenant.server.db.tx(write=False) as tx:
        outbound = await tx.session.scalars(
            select(Message).where(
                Message.contact_id == uuid.UUID(contact_id), Message.direction == "Outbound"
            )
        )
        assert list(outbound) == []


async def test_send__field_names_match_case_insensitively(tenant: Tenant) -> None:
    contact_id = await tenant.contact()
    reply = await tenant.api.post(
        "/message/",
        json={"apiAccountid": tenant.account_id, "CONTACTID": contact_id, "Message": "Hello"},
    )
    assert reply.status_code == 201, reply.text
    assert reply.json()["contactId"] == contact_id


async def test_send__to_a_contact_named_by_its_number_in_any_usual_form(tenant: Tenant) -> None:
    number = fresh_number()  # +44790...
    contact_id = await tenant.contact(number=number)
    for given in (number, number[1:], "0" + number[3:7] + " " + number[7:]):
        reply = await tenant.api.post(
            "/message",
            json={"apiAccountId": tenant.account_id, "mobileNumber": given, "message": "Hello"},
        )
        assert reply.status_code == 201, (given, reply.text)
        assert reply.json()["contactId"] == contact_id
    listed = await tenant.api.get("/message", params={"contactId": contact_id})
    assert listed.json()["paging"]["recordCount"] == 4  # the inbound one and three sent


async def test_send__a_number_that_is_no_contact_of_the_account_is_404(
    tenant: Tenant, other_tenant: Tenant
) -> None:
    theirs = fresh_number()
    await other_tenant.contact(number=theirs)
    for number in (fresh_number(), theirs):
        reply = await tenant.api.post(
            "/message",
            json={"apiAccountId": tenant.account_id, "mobileNumber": number, "message": "Hi"},
        )
        assert_problem(reply, 404)
    reply = await tenant.api.post(
        "/message",
        json={"apiAccountId": other_tenant.account_id, "mobileNumber": theirs, "message": "Hi"},
    )
    assert_problem(reply, 404)  # another tenant's account is unknown, not forbidden


async def test_send__exactly_one_of_contact_id_and_number_is_required(tenant: Tenant) -> None:
    number = fresh_number()
    contact_id = await tenant.contact(number=number)
    for recipient in ({}, {"contactId": contact_id, "mobileNumber": number}):
        reply = await tenant.api.post(
            "/message", json={"apiAccountId": tenant.account_id, "message": "Hi", **recipient}
        )
        body = assert_problem(reply, 422)
        assert body["errors"][0]["field"] == "contactId", body
    invalid = await tenant.api.post(
        "/message",
        json={"apiAccountId": tenant.account_id, "mobileNumber": "12", "message": "Hi"},
    )
    assert assert_problem(invalid, 422)["errors"][0]["field"] == "mobileNumber"


async def test_send__unknown_contact_is_404(tenant: Tenant) -> None:
    reply = await tenant.api.post(
        "/message",
        json={"apiAccountId": tenant.account_id, "contactId": str(uuid.uuid4()), "message": "x"},
    )
    assert_problem(reply, 404)


async def test_read__a_message_is_seen_by_its_tenant_and_assigned_agents_only(
    tenant: Tenant, other_tenant: Tenant
) -> None:
    contact_id = await tenant.contact()
    sent = await tenant.api.post(
        "/message",
        json={"apiAccountId": tenant.account_id, "contactId": contact_id, "message": "Hello"},
    )
    assert sent.status_code == 201, sent.text
    path = f"/message/{sent.json()['messageId']}"
    read = await tenant.api.get(path)
    assert read.status_code == 200
    moving = ("status", "sentAt", "deliveredAt", "readAt")  # the sandbox is sending it
    assert {k: v for k, v in read.json().items() if k not in moving} == {
        k: v for k, v in sent.json().items() if k not in moving
    }
    assert_problem(await other_tenant.api.get(path), 404)
    email, agent = await tenant.add_user(role="agent")
    async with agent:
        assert_problem(await agent.get(path), 404)  # not assigned to the account
        await tenant.assign(email)
        assert (await agent.get(path)).json()["messageId"] == sent.json()["messageId"]
