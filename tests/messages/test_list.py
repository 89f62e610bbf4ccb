"""GET /message: the last 24 hours by default, filters, newest first."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import update

from msgboxx.db import utcnow
from msgboxx.messages.models import Message
from tests.support import Tenant, assert_problem


async def send(tenant: Tenant, contact_id: str, text: str) -> str:
    reply = await tenant.api.post(
        "/message",
        json={"apiAccountId": tenant.account_id, "contactId": contact_id, "message": text},
    )
    assert reply.status_code == 201, reply.text
    return str(reply.json()["messageId"])


async def test_list__without_dates_only_the_last_24_hours(tenant: Tenant) -> None:
    contact_id = await tenant.contact()
    old = await send(tenant, contact_id, "old")
    new = await send(tenant, contact_id, "new")
    async with tenant.server.db.tx(write=True) as tx:
        await tx.session.execute(
            update(Message)
            .where(Message.id == uuid.UUID(old))
            .values(created_at=utcnow() - timedelta(hours=25))
        )
        await tx.commit()
    recent = (await tenant.api.get(f"/message?contactId={contact_id}&direction=Outbound")).json()
    assert [m["messageId"] for m in recent["items"]] == [new]
    since = (utcnow() - timedelta(days=2)).date().isoformat()
    dated = await tenant.api.get(
        f"/message?contactId={contact_id}&direction=Outbound&fromDate={since}"
    )
    assert [m["messageId"] for m in dated.json()["items"]] == [new, old]
    until = (utcnow() - timedelta(hours=24)).isoformat()
    older = await tenant.api.get("/message", params={"contactId": contact_id, "toDate": until})
    assert [m["messageId"] for m in older.json()["items"]] == [old]


async def test_list__filters_combine(tenant: Tenant) -> None:
    first, second = await tenant.contact(), await tenant.contact()
    await send(tenant, first, "one")
    await send(tenant, second, "two")
    by_contact = (await tenant.api.get(f"/message?contactId={second}")).json()
    assert {m["message"] for m in by_contact["items"]} == {"two", "Hi"}
    outbound = (
        await tenant.api.get(f"/message?inboxId={tenant.inbox_id}&direction=Outbound")
    ).json()
    assert [m["message"] for m in outbound["items"]] == ["two", "one"]
    received = (await tenant.api.get("/message?status=Received")).json()
    assert received["paging"]["recordCount"] == 2


async def test_list__bad_filters_are_422(tenant: Tenant) -> None:
    for query in (
        "fromDate=yesterday",
        "fromDate=2024-02-01&toDate=2024-01-01",
        "status=Lost",
        "direction=Sideways",
        "contactId=42",
    ):
        assert_problem(await tenant.api.get(f"/message?{query}"), 422)


async def test_list__a_bare_to_date_includes_that_whole_day(tenant: Tenant) -> None:
    contact_id = await tenant.contact()
    sent = await send(tenant, contact_id, "today")
    today = utcnow().date().isoformat()
    listed = await tenant.api.get(
        "/message", params={"contactId": contact_id, "fromDate": today, "toDate": today}
    )
    assert sent in [m["messageId"] for m in listed.json()["items"]]
    yesterday = (utcnow() - timedelta(days=1)).date().isoformat()
    before = await tenant.api.get(
        "/message", params={"contactId": contact_id, "fromDate": yesterday, "toDate": yesterday}
    )
    assert before.json()["items"] == []
