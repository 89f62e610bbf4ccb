"""Idempotency-Key: a retried POST answers as the first did and sends nothing twice."""

from __future__ import annotations

import asyncio
import uuid

from sqlalchemy import func, select

from msgboxx.messages.models import Message
from tests.support import Tenant, assert_problem


async def outbound_count(tenant: Tenant, contact_id: str) -> int:
    async with tenant.server.db.tx(write=False) as tx:
        count = await tx.session.scalar(
            select(func.count())
            .select_from(Message)
            .where(Message.contact_id == uuid.UUID(contact_id), Message.direction == "Outbound")
        )
    return count or 0


async def test_same_key__replays_the_first_answer_and_sends_once(tenant: Tenant) -> None:
    contact_id = await tenant.contact()
    body = {"apiAccountId": tenant.account_id, "contactId": contact_id, "message": "Once"}
    headers = {"Idempotency-Key": "order-7781-confirmation"}
    first = await tenant.api.post("/message", json=body, headers=headers)
    again = await tenant.api.post("/message", json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers.get("idempotent-replayed") == "true"
    assert await outbound_count(tenant, contact_id) == 1


async def test_same_key__concurrent_retries_still_send_once(tenant: Tenant) -> None:
    contact_id = await tenant.contact()
    body = {"apiAccountId": tenant.account_id, "contactId": contact_id, "message": "Race"}
    headers = {"Idempotency-Key": str(uuid.uuid4())}
    replies = await asyncio.gather(
        *(tenant.api.post("/message", json=body, headers=headers) for _ in range(5))
    )
    assert {r.status_code for r in replies} == {201}
    assert len({r.json()["messageId"] for r in replies}) == 1
    assert await outbound_count(tenant, contact_id) == 1


async def test_same_key__with_a_different_body_is_422(tenant: Tenant) -> None:
    contact_id = await tenant.contact()
    headers = {"Idempotency-Key": "k-1"}
    base = {"apiAccountId": tenant.account_id, "contactId": contact_id}
    await tenant.api.post("/message", json={**base, "message": "one"}, headers=headers)
    reply = await tenant.api.post("/message", json={**base, "message": "two"}, headers=headers)
    assert_problem(reply, 422, slug="idempotency-key-reused")
    assert await outbound_count(tenant, contact_id) == 1


async def test_keys__belong_to_one_user(tenant: Tenant) -> None:
    contact_id = await tenant.contact()
    _, colleague = await tenant.add_user(role="admin")
    body = {"apiAccountId": tenant.account_id, "contactId": contact_id, "message": "Hi"}
    headers = {"Idempotency-Key": "shared-key"}
    async with colleague:
        mine = await tenant.api.post("/message", json=body, headers=headers)
        theirs = await colleague.post("/message", json=body, headers=headers)
    assert mine.json()["messageId"] != theirs.json()["messageId"]
    assert await outbound_count(tenant, contact_id) == 2


async def test_failed_requests__are_not_remembered(tenant: Tenant) -> None:
    contact_id = await tenant.contact(inbound=False)  # window closed: 422
    body = {"apiAccountId": tenant.account_id, "contactId": contact_id, "message": "Hi"}
    headers = {"Idempotency-Key": "retry-after-fix"}
    assert (await tenant.api.post("/message", json=body, headers=headers)).status_code == 422
    await tenant.api.post(
        "/sandbox/inbound",
        json={
            "from": (await tenant.api.get(f"/contact/{contact_id}")).json()["mobileNumber"],
            "to": tenant.phone_number,
            "text": "hello",
        },
    )
    assert (await tenant.api.post("/message", json=body, headers=headers)).status_code == 201


async def test_every_post__honours_the_key(tenant: Tenant) -> None:
    headers = {"Idempotency-Key": "new-contact-1"}
    body = {"mobileNumber": "+447902111123", "apiAccountId": tenant.account_id}
    first = await tenant.api.post("/contact", json=body, headers=headers)
    again = await tenant.api.post("/contact", json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    too_long = await tenant.api.post("/contact", json=body, headers={"Idempotency-Key": "x" * 256})
    assert_problem(too_long, 422)
