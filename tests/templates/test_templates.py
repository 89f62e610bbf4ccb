"""/template: reading, and admin creation with the channel's verdict."""

from __future__ import annotations

import asyncio

from tests.support import Tenant, assert_problem, wait_for_status

TEXT = "Hello {{1}}, your order {{2}} is on its way."


async def create(tenant: Tenant, **fields: object) -> dict[str, object]:
    body = {"apiAccountId": tenant.account_id, "name": "order_update", "templateText": TEXT}
    reply = await tenant.api.post("/template", json={**body, **fields})
    assert reply.status_code == 201, reply.text
    result: dict[str, object] = reply.json()
    return result


async def test_create__starts_pending_and_the_channel_approves_it(tenant: Tenant) -> None:
    created = await create(tenant, templateExample="Hello Ann, your order 42 is on its way.")
    assert created["status"] == "Pending"
    assert created["templateText"] == TEXT
    approved = await wait_for_status(tenant.api, f"/template/{created['templateId']}", "Approved")
    assert approved["templateExample"] == "Hello Ann, your order 42 is on its way."
    listed = (await tenant.api.get("/templates")).json()
    assert [t["templateId"] for t in listed["items"]] == [created["templateId"]]


async def test_create__a_body_ending_in_a_placeholder_is_rejected(tenant: Tenant) -> None:
    created = await create(tenant, name="bad_shape", templateText="Your code is {{1}}")
    rejected = await wait_for_status(tenant.api, f"/template/{created['templateId']}", "Rejected")
    assert "placeholder" in str(rejected["rejectionReason"])


async def test_create__validates_name_text_and_numbering(tenant: Tenant) -> None:
    base = {"apiAccountId": tenant.account_id, "templateText": TEXT}
    cases = [
        ({"name": "Has Spaces"}, "name"),
        ({"name": "ok_name", "templateText": "x" * 1025}, "templateText"),
        ({"name": "ok_name", "templateText": "Hi {{1}} and {{3}} there"}, "templateText"),
        ({"name": "ok_name", "category": "SPAM"}, "category"),
    ]
    for fields, field in cases:
        reply = await tenant.api.post("/template", json={**base, **fields})
        assert assert_problem(reply, 422)["errors"][0]["field"] == field, fields


async def test_create__same_name_and_language_is_409(tenant: Tenant) -> None:
    await create(tenant)
    reply = await tenant.api.post(
        "/template",
        json={"apiAccountId": tenant.account_id, "name": "order_update", "templateText": TEXT},
    )
    assert_problem(reply, 409)


async def test_create__one_name_sent_at_once_twenty_times_is_one_201_and_409s(
    tenant: Tenant,
) -> None:
    body = {"apiAccountId": tenant.account_id, "name": "order_update", "templateText": TEXT}
    replies = await asyncio.gather(*(tenant.api.post("/template", json=body) for _ in range(20)))
    statuses = sorted(reply.status_code for reply in replies)
    assert statuses == [201] + [409] * 19, [r.text for r in replies if r.status_code >= 500]
    (created,) = [reply.json() for reply in replies if reply.status_code == 201]
    for reply in replies:
        if reply.status_code == 409:
            assert assert_problem(reply, 409)["templateId"] == created["templateId"]
    assert (await tenant.api.get("/template")).json()["paging"]["recordCount"] == 1


async def test_create__is_for_admins_only(tenant: Tenant) -> None:
    _, agent = await tenant.add_user(role="agent")
    async with agent:
        reply = await agent.post(
            "/template",
            json={"apiAccountId": tenant.account_id, "name": "nope", "templateText": TEXT},
        )
    assert_problem(reply, 403)


async def test_other_tenants_templates_are_404(tenant: Tenant, other_tenant: Tenant) -> None:
    theirs = await create(other_tenant)
    assert_problem(await tenant.api.get(f"/template/{theirs['templateId']}"), 404)
    reply = await tenant.api.post(
        "/template",
        json={"apiAccountId": other_tenant.account_id, "name": "mine", "templateText": TEXT},
    )
    assert_problem(reply, 404)
