"""GET /inbox/{inboxId}/conversations: the inbox as agents work it, newest activity first."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import update

from msgboxx.accounts import service as accounts
from msgboxx.contacts.models import Contact
from msgboxx.db import utcnow
from msgboxx.messages.accepting import conversation_id
from tests.conversations.talk import conversation, customer_writes, listed, user_id, we_write
from tests.support import Tenant, assert_problem, fresh_number


def _at(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


async def test_list__latest_activity_first_with_the_last_message(tenant: Tenant) -> None:
    first = await customer_writes(tenant, fresh_number(), "first customer")
    second = await customer_writes(tenant, fresh_number(), "second customer")
    third = await customer_writes(tenant, fresh_number(), "third customer")
    reply = await we_write(tenant, first, "An answer to the first, now the latest")

    items = await listed(tenant)
    assert [item["contactId"] for item in items] == [first, third, second]
    top = items[0]
    assert top["lastMessage"]["id"] == reply["messageId"]
    assert top["lastMessage"]["direction"] == "Outbound"
    assert top["lastMessage"]["text"] == "An answer to the first, now the latest"
    assert top["lastMessage"]["kind"] == "text"
    assert top["lastMessage"]["status"] in {"Pending", "Sent", "Delivered", "Read"}
    assert top["inboxId"] == tenant.inbox_id
    assert top["accountId"] == tenant.account_id
    assert top["conversationId"] == str(
        conversation_id(uuid.UUID(tenant.inbox_id), uuid.UUID(first))
    )
    assert top["unreadCount"] == 1  # the customer's message; ours does not count
    assert top["status"] == "open"
    assert top["assigneeId"] is None and top["assigneeEmail"] is None
    assert _at(top["lastActivityAt"]) == _at(top["lastMessage"]["at"])
    assert items[1]["lastMessage"]["text"] == "third customer"
    assert items[1]["lastMessage"]["direction"] == "Inbound"


async def test_list__a_long_message_shows_its_first_120_characters(tenant: Tenant) -> None:
    words = "".join(str(i % 10) for i in range(300))
    await customer_writes(tenant, fresh_number(), words)
    [item] = await listed(tenant)
    assert item["lastMessage"]["text"] == words[:120]


async def test_list__pages_on_with_before(tenant: Tenant) -> None:
    contacts = [await customer_writes(tenant, fresh_number(), f"m{i}") for i in range(5)]
    page_one = await listed(tenant, pageSize=2)
    assert [item["contactId"] for item in page_one] == contacts[::-1][:2]
    page_two = await listed(tenant, pageSize=2, before=page_one[-1]["lastActivityAt"])
    assert [item["contactId"] for item in page_two] == contacts[::-1][2:4]
    page_three = await listed(tenant, pageSize=2, before=page_two[-1]["lastActivityAt"])
    assert [item["contactId"] for item in page_three] == contacts[:1]


async def test_list__unread_filter_shows_only_threads_with_unread_messages(
    tenant: Tenant,
) -> None:
    unread = await customer_writes(tenant, fresh_number())
    read = await customer_writes(tenant, fresh_number())
    marked = await tenant.api.post(f"/contact/{read}/conversation/read")
    assert marked.status_code == 200, marked.text
    assert [item["contactId"] for item in await listed(tenant, show="unread")] == [unread]
    assert {item["contactId"] for item in await listed(tenant, show="all")} == {unread, read}


async def test_list__window_open_filter_leaves_out_closed_windows(tenant: Tenant) -> None:
    open_now = await customer_writes(tenant, fresh_number())
    closed = await customer_writes(tenant, fresh_number())
    async with tenant.server.db.tx(write=True) as tx:
        await tx.session.execute(
            update(Contact)
            .where(Contact.id == uuid.UUID(closed))
            .values(last_inbound_at=utcnow() - timedelta(hours=25))
        )
        await tx.commit()
    assert [item["contactId"] for item in await listed(tenant, show="window_open")] == [open_now]
    shown = {item["contactId"]: item for item in await listed(tenant)}
    assert shown[closed]["windowOpenUntil"] is None
    until = _at(shown[open_now]["windowOpenUntil"])
    assert timedelta(hours=23, minutes=59) < until - utcnow() <= timedelta(hours=24)


async def test_list__assignee_and_status_filters(tenant: Tenant) -> None:
    mine = await customer_writes(tenant, fresh_number())
    queued = await customer_writes(tenant, fresh_number())
    resolved = await customer_writes(tenant, fresh_number())
    me = await user_id(tenant, tenant.admin_email)
    assigned = await tenant.api.post(
        f"/contact/{mine}/conversation/assign", json={"assigneeId": me}
    )
    assert assigned.status_code == 200, assigned.text
    assert assigned.json()["assigneeEmail"] == tenant.admin_email
    done = await tenant.api.post(f"/contact/{resolved}/conversation/resolve")
    assert done.status_code == 200 and done.json()["status"] == "resolved"

    ids = lambda items: {item["contactId"] for item in items}  # noqa: E731
    assert ids(await listed(tenant, assignee="mine")) == {mine}
    assert ids(await listed(tenant, assignee="unassigned")) == {queued, resolved}
    assert ids(await listed(tenant, assignee="all")) == {mine, queued, resolved}
    assert ids(await listed(tenant, status="resolved")) == {resolved}
    assert ids(await listed(tenant, status="open")) == {mine, queued}
    assert ids(await listed(tenant, status="open", assignee="unassigned")) == {queued}


async def test_search__by_name_in_any_case_or_by_digits_of_the_number(tenant: Tenant) -> None:
    ada_number = fresh_number()
    ada = await customer_writes(tenant, ada_number, name="Ada Lovelace")
    grace = await customer_writes(tenant, fresh_number(), name="Grace Hopper")
    ids = lambda items: [item["contactId"] for item in items]  # noqa: E731
    assert ids(await listed(tenant, q="lovelace")) == [ada]
    assert ids(await listed(tenant, q="GRACE")) == [grace]
    digits = ada_number[-6:]
    assert ids(await listed(tenant, q=digits)) == [ada]
    spaced = f"{digits[:3]} {digits[3:]}"  # as people type numbers
    assert ids(await listed(tenant, q=spaced)) == [ada]
    assert ids(await listed(tenant, q="nobody by this name")) == []
    assert ids(await listed(tenant, q="50%_")) == []  # wildcards are plain characters
    [shown] = await listed(tenant, q="Ada")
    assert shown["contactName"] == "Ada Lovelace"
    assert shown["contactNumber"] == ada_number


async def test_list__another_inbox_of_the_organisation_is_not_mixed_in(tenant: Tenant) -> None:
    ours = await customer_writes(tenant, fresh_number())
    async with tenant.server.db.tx(write=True) as tx:
        _account, inbox = await accounts.create(
            tx, org_id=tenant.org_id, phone_number=fresh_number(), name="Second shop"
        )
        await tx.commit()
    assert [item["contactId"] for item in await listed(tenant)] == [ours]
    other = await tenant.api.get(f"/inbox/{inbox.id}/conversations")
    assert other.status_code == 200 and other.json() == []


async def test_list__an_agent_sees_only_assigned_inboxes(tenant: Tenant) -> None:
    contact = await customer_writes(tenant, fresh_number())
    email, agent = await tenant.add_user(role="agent")
    async with agent:
        unassigned = await agent.get(f"/inbox/{tenant.inbox_id}/conversations")
        assert_problem(unassigned, 404)
        assert_problem(await agent.get(f"/contact/{contact}/conversation"), 404)
        await tenant.assign(email)
        seen = await agent.get(f"/inbox/{tenant.inbox_id}/conversations")
        assert seen.status_code == 200
        assert [item["contactId"] for item in seen.json()] == [contact]


async def test_list__another_organisations_inbox_is_404(
    tenant: Tenant, other_tenant: Tenant
) -> None:
    await customer_writes(other_tenant, fresh_number())
    assert_problem(await tenant.api.get(f"/inbox/{other_tenant.inbox_id}/conversations"), 404)
    assert_problem(await tenant.api.get(f"/inbox/{uuid.uuid4()}/conversations"), 404)


async def test_list__bad_filters_are_422(tenant: Tenant) -> None:
    path = f"/inbox/{tenant.inbox_id}/conversations"
    assert_problem(await tenant.api.get(path, params={"show": "everything"}), 422)
    assert_problem(await tenant.api.get(path, params={"assignee": "yours"}), 422)
    assert_problem(await tenant.api.get(path, params={"pageSize": 0}), 422)
    assert_problem(await tenant.api.get(path, params={"before": "yesterday"}), 422)


async def test_get__a_contact_nobody_wrote_to_has_an_empty_conversation(tenant: Tenant) -> None:
    created = await tenant.api.post(
        "/contact", json={"mobileNumber": fresh_number(), "apiAccountId": tenant.account_id}
    )
    contact = created.json()["contactId"]
    shown = await conversation(tenant, contact)
    assert shown["contactId"] == contact
    assert shown["lastMessage"] is None
    assert shown["lastActivityAt"] is None
    assert shown["unreadCount"] == 0
    assert shown["windowOpenUntil"] is None
    assert shown["status"] == "open"
    assert await listed(tenant) == []  # not a thread in the inbox until someone writes
