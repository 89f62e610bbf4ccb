"""/canned-reply: an organisation's ready answers; admins manage them, agents read them."""

from __future__ import annotations

import uuid

from tests.support import Tenant, assert_problem


async def test_canned__create_list_update_delete(tenant: Tenant) -> None:
    created = await tenant.api.post(
        "/canned-reply", json={"shortcut": "thanks", "body": "Thank you for writing!"}
    )
    assert created.status_code == 201, created.text
    reply = created.json()
    assert reply["shortcut"] == "thanks" and reply["body"] == "Thank you for writing!"
    await tenant.api.post("/canned-reply", json={"shortcut": "address", "body": "1 High St"})
    listed = (await tenant.api.get("/canned-reply")).json()
    assert [item["shortcut"] for item in listed] == ["address", "thanks"]

    changed = await tenant.api.patch(
        f"/canned-reply/{reply['cannedReplyId']}", json={"body": "Thanks a lot!"}
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["body"] == "Thanks a lot!"
    assert changed.json()["shortcut"] == "thanks"
    renamed = await tenant.api.patch(
        f"/canned-reply/{reply['cannedReplyId']}", json={"shortcut": "ty"}
    )
    assert renamed.json()["shortcut"] == "ty" and renamed.json()["body"] == "Thanks a lot!"

    gone = await tenant.api.delete(f"/canned-reply/{reply['cannedReplyId']}")
    assert gone.status_code == 204
    assert [item["shortcut"] for item in (await tenant.api.get("/canned-reply")).json()] == [
        "address"
    ]
    assert_problem(await tenant.api.delete(f"/canned-reply/{reply['cannedReplyId']}"), 404)


async def test_canned__a_shortcut_is_unique_per_organisation(
    tenant: Tenant, other_tenant: Tenant
) -> None:
    first = await tenant.api.post("/canned-reply", json={"shortcut": "hours", "body": "9-5"})
    assert first.status_code == 201
    assert_problem(
        await tenant.api.post("/canned-reply", json={"shortcut": "hours", "body": "again"}), 409
    )
    other = await tenant.api.post("/canned-reply", json={"shortcut": "late", "body": "9-9"})
    taken = await tenant.api.patch(
        f"/canned-reply/{other.json()['cannedReplyId']}", json={"shortcut": "hours"}
    )
    assert_problem(taken, 409)
    assert (await tenant.api.get("/canned-reply")).json()[1]["shortcut"] == "late"
    # Another organisation has its own shortcuts, and cannot see or touch ours.
    theirs = await other_tenant.api.post("/canned-reply", json={"shortcut": "hours", "body": "x"})
    assert theirs.status_code == 201
    assert [item["body"] for item in (await other_tenant.api.get("/canned-reply")).json()] == ["x"]
    ours = first.json()["cannedReplyId"]
    assert_problem(await other_tenant.api.patch(f"/canned-reply/{ours}", json={"body": "y"}), 404)
    assert_problem(await other_tenant.api.delete(f"/canned-reply/{ours}"), 404)
    assert_problem(await tenant.api.delete(f"/canned-reply/{uuid.uuid4()}"), 404)


async def test_canned__agents_read_but_may_not_write(tenant: Tenant) -> None:
    made = await tenant.api.post("/canned-reply", json={"shortcut": "hi", "body": "Hello!"})
    _email, agent = await tenant.add_user(role="agent")
    async with agent:
        seen = await agent.get("/canned-reply")
        assert [item["shortcut"] for item in seen.json()] == ["hi"]
        assert_problem(await agent.post("/canned-reply", json={"shortcut": "a", "body": "b"}), 403)
        path = f"/canned-reply/{made.json()['cannedReplyId']}"
        assert_problem(await agent.patch(path, json={"body": "changed"}), 403)
        assert_problem(await agent.delete(path), 403)
    assert (await tenant.api.get("/canned-reply")).json()[0]["body"] == "Hello!"


async def test_canned__shortcut_and_body_are_checked(tenant: Tenant) -> None:
    for shortcut in ["", "Has Caps", "spaces here", "x" * 41, "slash/"]:
        reply = await tenant.api.post("/canned-reply", json={"shortcut": shortcut, "body": "b"})
        assert_problem(reply, 422)
    assert_problem(await tenant.api.post("/canned-reply", json={"shortcut": "ok"}), 422)
    long = {"shortcut": "ok", "body": "x" * 4097}
    assert_problem(await tenant.api.post("/canned-reply", json=long), 422)
    fine = await tenant.api.post(
        "/canned-reply", json={"shortcut": "a-b_" + "c" * 36, "body": "x" * 4096}
    )
    assert fine.status_code == 201, fine.text
