"""/contact: the original's shapes, phone numbers in any form, 409s, erasure."""

from __future__ import annotations

import asyncio
import uuid

from sqlalchemy import func, select

from msgboxx.messages.models import Message
from tests.support import Tenant, assert_problem, fresh_number

SEED_CONTACT = {
    "mobileNumber": "+447902111123",
    "name": "Test Customer",
    "status": "Subscribed",
    "email": "customer@somewhere.com",
}


async def test_create__the_documented_body_gives_201(tenant: Tenant) -> None:
    reply = await tenant.api.post(
        "/contact/", json={**SEED_CONTACT, "apiAccountId": tenant.account_id}
    )
    assert reply.status_code == 201, reply.text
    body = reply.json()
    assert set(body) == {
        "contactId",
        "mobileNumber",
        "name",
        "status",
        "email",
        "apiAccountId",
        "datetime",
        # Extensions, always present: an original client reads past fields it does not know.
        "tags",
        "attributes",
    }
    assert body["tags"] == [] and body["attributes"] == {}
    assert body["mobileNumber"] == "+447902111123"
    assert body["email"] == "customer@somewhere.com"
    fetched = (await tenant.api.get(f"/contact/{body['contactId']}")).json()
    assert fetched == body


async def test_create__same_number_twice_is_409_naming_the_contact(tenant: Tenant) -> None:
    first = await tenant.api.post(
        "/contact", json={"mobileNumber": "+447902111123", "apiAccountId": tenant.account_id}
    )
    second = await tenant.api.post(
        "/contact", json={"mobileNumber": "07902 111123", "apiAccountId": tenant.account_id}
    )
    body = assert_problem(second, 409)
    assert body["contactId"] == first.json()["contactId"]
    assert first.json()["contactId"] in body["detail"]


async def test_create__one_number_sent_at_once_twenty_times_is_one_201_and_409s(
    tenant: Tenant,
) -> None:
    number = fresh_number()
    replies = await asyncio.gather(
        *(
            tenant.api.post(
                "/contact", json={"mobileNumber": number, "apiAccountId": tenant.account_id}
            )
            for _ in range(20)
        )
    )
    statuses = sorted(reply.status_code for reply in replies)
    assert statuses == [201] + [409] * 19, [r.text for r in replies if r.status_code >= 500]
    (created,) = [reply.json() for reply in replies if reply.status_code == 201]
    for reply in replies:
        if reply.status_code == 409:
            assert assert_problem(reply, 409)["contactId"] == created["contactId"]
    listed = (await tenant.api.get("/contact", params={"mobileNumber": number})).json()
    assert listed["paging"]["recordCount"] == 1


async def test_filter__finds_a_number_written_any_reasonable_way(tenant: Tenant) -> None:
    number = fresh_number()
    created = await tenant.api.post(
        "/contact", json={"mobileNumber": number, "apiAccountId": tenant.account_id}
    )
    contact_id = created.json()["contactId"]
    digits = number[1:]
    spaced = f"+{digits[:2]} {digits[2:6]} {digits[6:]}"
    national = "0" + digits[2:]
    for form in (digits, spaced, number, national):
        reply = await tenant.api.get(
            "/contact", params={"apiAccountId": tenant.account_id, "mobileNumber": form}
        )
        body = reply.json()
        assert body["paging"]["recordCount"] == 1, form
        assert body["items"][0]["contactId"] == contact_id


async def test_invalid_numbers_are_422_naming_the_field(tenant: Tenant) -> None:
    reply = await tenant.api.post(
        "/contact", json={"mobileNumber": "not a number", "apiAccountId": tenant.account_id}
    )
    assert assert_problem(reply, 422)["errors"][0]["field"] == "mobileNumber"
    listed = await tenant.api.get("/contact", params={"mobileNumber": "+999"})
    assert assert_problem(listed, 422)["errors"][0]["field"] == "mobileNumber"


async def test_create__rejects_bad_status_and_email(tenant: Tenant) -> None:
    for extra in ({"status": "Whatever"}, {"email": "not-an-email"}):
        reply = await tenant.api.post(
            "/contact",
            json={"mobileNumber": fresh_number(), "apiAccountId": tenant.account_id, **extra},
        )
        field = next(iter(extra))
        assert assert_problem(reply, 422)["errors"][0]["field"] == field


async def test_list__pages_count_every_match_not_the_page(tenant: Tenant) -> None:
    for _ in range(5):
        await tenant.contact(inbound=False)
    reply = await tenant.api.get("/contacts?pageSize=2&page=2")
    body = reply.json()
    assert body["paging"] == {"recordCount": 5, "page": 2, "pageSize": 2, "pageCount": 3}
    assert len(body["items"]) == 2
    everything = (await tenant.api.get("/contact")).json()["items"]
    times = [item["datetime"] for item in everything]
    assert times == sorted(times, reverse=True)
    assert_problem(await tenant.api.get("/contact?pageSize=501"), 422)
    assert_problem(await tenant.api.get("/contact?page=0"), 422)


async def test_patch__changes_only_what_was_sent(tenant: Tenant) -> None:
    created = await tenant.api.post(
        "/contact", json={**SEED_CONTACT, "apiAccountId": tenant.account_id}
    )
    contact_id = created.json()["contactId"]
    reply = await tenant.api.patch(f"/contact/{contact_id}", json={"name": "Renamed"})
    assert reply.json()["name"] == "Renamed"
    assert reply.json()["email"] == "customer@somewhere.com"
    reply = await tenant.api.patch(
        f"/contact/{contact_id}", json={"status": "Unsubscribed", "email": None}
    )
    assert reply.json()["status"] == "Unsubscribed" and reply.json()["email"] is None
    assert (await tenant.api.get(f"/contact/{contact_id}")).json()["status"] == "Unsubscribed"


async def test_delete__erases_the_contact_and_its_words_but_keeps_counts(tenant: Tenant) -> None:
    contact_id = await tenant.contact()
    sent = await tenant.api.post(
        "/message",
        json={"apiAccountId": tenant.account_id, "contactId": contact_id, "message": "secret"},
    )
    assert sent.status_code == 201
    reply = await tenant.api.delete(f"/contact/{contact_id}")
    assert reply.status_code == 204
    assert_problem(await tenant.api.get(f"/contact/{contact_id}"), 404)
    message = (await tenant.api.get(f"/message/{sent.json()['messageId']}")).json()
    assert message["message"] is None and message["contactId"] is None
    async with tenant.server.db.tx(write=False) as tx:
        count = await tx.session.scalar(
            select(func.count())
            .select_from(Message)
            .where(Message.account_id == uuid.UUID(tenant.account_id))
        )
        texts = await tx.session.scalars(
            select(Message.text).where(Message.account_id == uuid.UUID(tenant.account_id))
        )
    assert count == 2  # the customer's "Hi" and our reply are still counted
    assert set(texts) == {None}


async def test_other_tenants_contacts_are_invisible(tenant: Tenant, other_tenant: Tenant) -> None:
    theirs = await other_tenant.contact()
    assert_problem(await tenant.api.get(f"/contact/{theirs}"), 404)
    assert_problem(await tenant.api.patch(f"/contact/{theirs}", json={"name": "x"}), 404)
    assert_problem(await tenant.api.delete(f"/contact/{theirs}"), 404)
    listed = (await tenant.api.get(f"/contact?apiAccountId={other_tenant.account_id}")).json()
    assert listed["paging"]["recordCount"] == 0
    reply = await tenant.api.post(
        "/contact", json={"mobileNumber": fresh_number(), "apiAccountId": other_tenant.account_id}
    )
    assert_problem(reply, 404)
    assert (await other_tenant.api.get(f"/contact/{theirs}")).status_code == 200
