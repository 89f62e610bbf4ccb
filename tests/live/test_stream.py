"""``GET /live`` on the session's server: what a viewer of an account sees, and only that."""

from __future__ import annotations

import uuid

from msgboxx.accounts import service as accounts
from tests.live.streams import Event, LiveStream
from tests.support import Tenant, assert_problem, fresh_number, wait_for_status


def _of(resource: str) -> object:
    return lambda event: event.data["resourceId"] == resource


async def _send(tenant: Tenant, contact_id: str, text: str = "Your order has shipped") -> str:
    reply = await tenant.api.post(
        "/message",
        json={"apiAccountId": tenant.account_id, "contactId": contact_id, "message": text},
    )
    assert reply.status_code == 201, reply.text
    return str(reply.json()["messageId"])


async def _customer_writes(tenant: Tenant, text: str = "Where is my order?") -> dict[str, str]:
    reply = await tenant.api.post(
        "/sandbox/inbound", json={"from": fresh_number(), "to": tenant.phone_number, "text": text}
    )
    assert reply.status_code == 202, reply.text
    body: dict[str, str] = reply.json()
    return body


async def test_stream__is_an_event_stream_a_browser_reconnects_to_within_a_second(
    tenant: Tenant,
) -> None:
    async with LiveStream(tenant.api) as stream:
        assert stream.response.headers["content-type"].startswith("text/event-stream")
        assert stream.response.headers["cache-control"] == "no-cache"
        assert stream.response.headers["x-accel-buffering"] == "no"
        assert stream.retry == 1000


async def test_inbound__a_customers_message_arrives_as_message_inbound(tenant: Tenant) -> None:
    async with LiveStream(tenant.api) as stream:
        message = await _customer_writes(tenant)
        events = await stream.until(lambda e: e.kind == "message.inbound")
    # A new customer: the contact is created, then the message is recorded.
    assert [e.kind for e in events] == ["contact.created", "message.inbound"]
    created, inbound = events
    assert created.data["resourceId"] == created.data["contactId"] == message["contactId"]
    assert inbound.data["accountId"] == tenant.account_id
    assert inbound.data["contactId"] == message["contactId"]
    assert inbound.data["resourceId"] == message["messageId"]
    assert inbound.data["kind"] == "message.inbound"
    assert inbound.data["at"].endswith("Z")
    assert [e.id for e in events] == [1, 2]


async def test_send__created_then_each_status_up_to_read_arrive_in_order(tenant: Tenant) -> None:
    contact_id = await tenant.contact()
    async with LiveStream(tenant.api) as stream:
        message_id = await _send(tenant, contact_id)
        events = await stream.until(lambda e: e.kind == "message.status", timeout=10)
        events += await stream.until(lambda e: e.kind == "message.status", timeout=10)
        events += await stream.until(lambda e: e.kind == "message.status", timeout=10)
        after = await wait_for_status(tenant.api, f"/message/{message_id}", "Read")
    # Sent, Delivered, Read: one event for each step, after the accept's own.
    assert [e.kind for e in events] == ["message.created"] + ["message.status"] * 3
    assert all(e.data["resourceId"] == message_id for e in events)
    assert all(e.data["contactId"] == contact_id for e in events)
    assert [e.id for e in events] == sorted(e.id for e in events)
    assert events[-1].data["at"] >= events[0].data["at"]
    assert after["readAt"] is not None


async def test_tenancy__another_organisations_changes_never_arrive(
    tenant: Tenant, other_tenant: Tenant
) -> None:
    async with LiveStream(tenant.api) as stream:
        theirs = await _customer_writes(other_tenant)
        ours = await _customer_writes(tenant)  # committed after theirs, in this one process
        events = await stream.until(_of(ours["messageId"]))
    assert {e.data["accountId"] for e in events} == {tenant.account_id}
    assert theirs["contactId"] not in {e.data["contactId"] for e in events}


async def test_tenancy__an_agent_sees_only_the_accounts_assigned_to_it(tenant: Tenant) -> None:
    email, agent = await tenant.add_user(role="agent")
    async with tenant.server.db.tx(write=True) as tx:
        second, _inbox = await accounts.create(
            tx, org_id=tenant.org_id, phone_number=fresh_number(), name="Second shop"
        )
        await tx.commit()
    await tenant.assign(email)  # to the first account, not the second
    try:
        async with LiveStream(agent) as agents, LiveStream(tenant.api) as admins:
            reply = await tenant.api.post(
                "/sandbox/inbound",
                json={"from": fresh_number(), "to": second.phone_number, "text": "Hello?"},
            )
            assert reply.status_code == 202, reply.text
            elsewhere = reply.json()["messageId"]
            ours = await _customer_writes(tenant)
            seen = await agents.until(_of(ours["messageId"]))
            # The admin sees both accounts' changes, in the order they were committed.
            admin_seen = await admins.until(_of(ours["messageId"]))
        assert {e.data["accountId"] for e in seen} == {tenant.account_id}
        assert elsewhere not in {e.data["resourceId"] for e in seen}
        assert elsewhere in {e.data["resourceId"] for e in admin_seen}
    finally:
        await agent.aclose()


async def test_account_filter__only_that_accounts_changes(tenant: Tenant) -> None:
    async with tenant.server.db.tx(write=True) as tx:
        second, _inbox = await accounts.create(
            tx, org_id=tenant.org_id, phone_number=fresh_number(), name="Second shop"
        )
        await tx.commit()
    async with LiveStream(tenant.api, accountId=str(second.id)) as stream:
        ours = await _customer_writes(tenant)  # the first account's
        reply = await tenant.api.post(
            "/sandbox/inbound",
            json={"from": fresh_number(), "to": second.phone_number, "text": "Hello?"},
        )
        theirs = reply.json()["messageId"]
        events: list[Event] = await stream.until(_of(theirs))
    assert {e.data["accountId"] for e in events} == {str(second.id)}
    assert ours["messageId"] not in {e.data["resourceId"] for e in events}


async def test_account_filter__an_account_not_visible_is_404(
    tenant: Tenant, other_tenant: Tenant
) -> None:
    _email, agent = await tenant.add_user(role="agent")  # assigned to nothing
    try:
        for client, account in (
            (tenant.api, other_tenant.account_id),
            (tenant.api, str(uuid.uuid4())),
            (agent, tenant.account_id),
        ):
            reply = await client.get("/live", params={"accountId": account})
            assert_problem(reply, 404)
    finally:
        await agent.aclose()


async def test_auth__without_a_token_is_401(tenant: Tenant) -> None:
    async with tenant.server.client() as anonymous:
        assert_problem(await anonymous.get("/live"), 401)
