"""Read marks, assignment, resolve and reopen, private notes: the rules and their tenancy."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

from msgboxx.accounts import service as accounts
from msgboxx.auth import service as auth
from tests.conversations.talk import conversation, customer_writes, listed, user_id, we_write
from tests.support import (
    Tenant,
    assert_problem,
    fresh_number,
    new_tenant,
    own_settings,
    running,
    wait_for_status,
)


async def test_unread__counts_customer_messages_until_read(tenant: Tenant) -> None:
    number = fresh_number()
    contact = await customer_writes(tenant, number, "one")
    await customer_writes(tenant, number, "two")
    await we_write(tenant, contact, "our answer does not count")
    await customer_writes(tenant, number, "three")
    assert (await conversation(tenant, contact))["unreadCount"] == 3

    read = await tenant.api.post(f"/contact/{contact}/conversation/read")
    assert read.status_code == 200, read.text
    assert read.json()["unreadCount"] == 0
    assert (await conversation(tenant, contact))["unreadCount"] == 0
    await customer_writes(tenant, number, "four")
    assert (await conversation(tenant, contact))["unreadCount"] == 1


async def test_resolve__a_customer_message_reopens_the_conversation(tenant: Tenant) -> None:
    number = fresh_number()
    contact = await customer_writes(tenant, number)
    resolved = await tenant.api.post(f"/contact/{contact}/conversation/resolve")
    assert resolved.status_code == 200 and resolved.json()["status"] == "resolved"
    await we_write(tenant, contact, "our own message leaves it resolved")
    assert (await conversation(tenant, contact))["status"] == "resolved"

    await customer_writes(tenant, number, "one more question")
    shown = await conversation(tenant, contact)
    assert shown["status"] == "open"
    assert shown["lastMessage"]["text"] == "one more question"
    # And resolving it again works as the first time.
    again = await tenant.api.post(f"/contact/{contact}/conversation/resolve")
    assert again.json()["status"] == "resolved"
    reopened = await tenant.api.post(f"/contact/{contact}/conversation/reopen")
    assert reopened.status_code == 200 and reopened.json()["status"] == "open"


async def test_assign__admins_and_the_accounts_agents_may_take_it(tenant: Tenant) -> None:
    contact = await customer_writes(tenant, fresh_number())
    agent_email, agent = await tenant.add_user(role="agent")
    await tenant.assign(agent_email)
    agent_id = await user_id(tenant, agent_email)
    path = f"/contact/{contact}/conversation/assign"

    given = await tenant.api.post(path, json={"assigneeId": agent_id})
    assert given.status_code == 200, given.text
    assert given.json()["assigneeId"] == agent_id
    assert given.json()["assigneeEmail"] == agent_email
    async with agent:
        mine = await agent.get(
            f"/inbox/{tenant.inbox_id}/conversations", params={"assignee": "mine"}
        )
        assert [item["contactId"] for item in mine.json()] == [contact]
        # An agent may pass it on to an admin.
        admin_id = await user_id(tenant, tenant.admin_email)
        passed = await agent.post(path, json={"assigneeId": admin_id})
        assert passed.status_code == 200 and passed.json()["assigneeId"] == admin_id
    queued = await tenant.api.post(path, json={"assigneeId": None})
    assert queued.status_code == 200
    assert queued.json()["assigneeId"] is None and queued.json()["assigneeEmail"] is None


async def test_assign__only_users_who_may_see_the_account_are_422_otherwise(
    tenant: Tenant, other_tenant: Tenant
) -> None:
    contact = await customer_writes(tenant, fresh_number())
    path = f"/contact/{contact}/conversation/assign"
    stranger = await user_id(other_tenant, other_tenant.admin_email)
    assert_problem(await tenant.api.post(path, json={"assigneeId": stranger}), 422)
    assert_problem(await tenant.api.post(path, json={"assigneeId": str(uuid.uuid4())}), 422)

    # An agent of the same organisation, assigned to another of its accounts only.
    agent_email, agent = await tenant.add_user(role="agent")
    await agent.aclose()
    async with tenant.server.db.tx(write=True) as tx:
        elsewhere, _inbox = await accounts.create(
            tx, org_id=tenant.org_id, phone_number=fresh_number(), name="Second shop"
        )
        user = await auth.get_user_by_email(tx, email=agent_email)
        assert user is not None
        await accounts.assign_agent(tx, account_id=elsewhere.id, user_id=user.id)
        await tx.commit()
    body = assert_problem(await tenant.api.post(path, json={"assigneeId": str(user.id)}), 422)
    assert body["errors"][0]["field"] == "assigneeId"

    # A disabled admin of the organisation.
    admin_email, admin = await tenant.add_user(role="admin")
    await admin.aclose()
    async with tenant.server.db.tx(write=True) as tx:
        await auth.set_disabled(tx, email=admin_email, disabled=True)
        await tx.commit()
    disabled = await user_id(tenant, admin_email)
    assert_problem(await tenant.api.post(path, json={"assigneeId": disabled}), 422)
    assert (await conversation(tenant, contact))["assigneeId"] is None


async def test_notes__kept_in_order_without_touching_unread(tenant: Tenant) -> None:
    contact = await customer_writes(tenant, fresh_number())
    first = await tenant.api.post(f"/contact/{contact}/notes", json={"body": "Called them"})
    assert first.status_code == 201, first.text
    second = await tenant.api.post(f"/contact/{contact}/notes", json={"body": "Refund sent"})
    notes = (await tenant.api.get(f"/contact/{contact}/notes")).json()
    assert [note["body"] for note in notes] == ["Called them", "Refund sent"]
    assert notes[0] == first.json() and notes[1] == second.json()
    assert notes[0]["authorId"] == await user_id(tenant, tenant.admin_email)
    assert notes[0]["contactId"] == contact
    shown = await conversation(tenant, contact)
    assert shown["unreadCount"] == 1
    assert shown["lastMessage"]["text"] == "Hi"  # a note is not a message of the thread
    assert_problem(await tenant.api.post(f"/contact/{contact}/notes", json={"body": ""}), 422)
    too_long = {"body": "x" * 4097}
    assert_problem(await tenant.api.post(f"/contact/{contact}/notes", json=too_long), 422)


async def test_notes__a_contact_nobody_wrote_to_can_have_notes_and_an_assignee(
    tenant: Tenant,
) -> None:
    created = await tenant.api.post(
        "/contact", json={"mobileNumber": fresh_number(), "apiAccountId": tenant.account_id}
    )
    contact = created.json()["contactId"]
    noted = await tenant.api.post(f"/contact/{contact}/notes", json={"body": "VIP, call first"})
    assert noted.status_code == 201
    me = await user_id(tenant, tenant.admin_email)
    taken = await tenant.api.post(
        f"/contact/{contact}/conversation/assign", json={"assigneeId": me}
    )
    assert taken.status_code == 200 and taken.json()["assigneeId"] == me
    assert taken.json()["lastMessage"] is None


async def test_notes__never_reach_the_channel(tmp_path: Path) -> None:
    log = tmp_path / "handed-off.log"
    settings = await own_settings(
        tmp_path / "data", database="conversation_notes", sandbox_hand_off_log=log
    )
    async with running(settings) as server:
        tenant = await new_tenant(server)
        async with tenant.api:
            contact = await customer_writes(tenant, fresh_number())
            sent = await we_write(tenant, contact, "a message the network gets")
            await wait_for_status(tenant.api, f"/message/{sent['messageId']}", "Read")
            note = await tenant.api.post(
                f"/contact/{contact}/notes", json={"body": "private: never send this"}
            )
            assert note.status_code == 201
            await asyncio.sleep(0.5)  # ten of the dispatcher's polls
            handed = log.read_text().splitlines()
            assert [line.split()[0] for line in handed] == [sent["messageId"]]
            listed_messages = await tenant.api.get("/message", params={"contactId": contact})
            texts = [item["message"] for item in listed_messages.json()["items"]]
            assert "private: never send this" not in texts
            assert len(texts) == 2


async def test_tenancy__another_organisations_contact_is_404_everywhere(
    tenant: Tenant, other_tenant: Tenant
) -> None:
    theirs = await customer_writes(other_tenant, fresh_number())
    me = await user_id(tenant, tenant.admin_email)
    for method, path, body in [
        ("GET", f"/contact/{theirs}/conversation", None),
        ("POST", f"/contact/{theirs}/conversation/read", None),
        ("POST", f"/contact/{theirs}/conversation/assign", {"assigneeId": me}),
        ("POST", f"/contact/{theirs}/conversation/resolve", None),
        ("POST", f"/contact/{theirs}/conversation/reopen", None),
        ("GET", f"/contact/{theirs}/notes", None),
        ("POST", f"/contact/{theirs}/notes", {"body": "peeking"}),
        ("GET", f"/contact/{uuid.uuid4()}/conversation", None),
    ]:
        reply = await tenant.api.request(method, path, json=body)
        assert_problem(reply, 404)
    shown = await conversation(other_tenant, theirs)
    assert shown["status"] == "open" and shown["unreadCount"] == 1
    assert shown["assigneeId"] is None
    assert (await other_tenant.api.get(f"/contact/{theirs}/notes")).json() == []
    assert [item["contactId"] for item in await listed(other_tenant)] == [theirs]


async def test_writes__an_idempotency_key_replays_the_first_answer(tenant: Tenant) -> None:
    contact = await customer_writes(tenant, fresh_number())
    headers = {"Idempotency-Key": f"note-{uuid.uuid4()}"}
    first = await tenant.api.post(
        f"/contact/{contact}/notes", json={"body": "once"}, headers=headers
    )
    again = await tenant.api.post(
        f"/contact/{contact}/notes", json={"body": "once"}, headers=headers
    )
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert len((await tenant.api.get(f"/contact/{contact}/notes")).json()) == 1
