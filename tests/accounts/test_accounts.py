"""/apiaccount and /inboxes: shapes, visibility, spellings of paths."""

from __future__ import annotations

import asyncio

from tests.support import Tenant, assert_problem, fresh_number


async def test_list__is_the_original_envelope(tenant: Tenant) -> None:
    body = (await tenant.api.get("/apiaccount")).json()
    assert body["paging"]["recordCount"] == 1
    (item,) = body["items"]
    assert {"apiAccountId", "phoneNumber", "name", "datetime"} <= set(item)
    assert item["channel"] == "sandbox"  # an extension: which network the number is on
    assert item["phoneNumber"] == tenant.phone_number


async def test_get__answers_an_envelope_holding_the_one_account(tenant: Tenant) -> None:
    body = (await tenant.api.get(f"/apiaccount/{tenant.account_id}")).json()
    assert body["paging"]["recordCount"] == 1
    assert body["items"][0]["apiAccountId"] == tenant.account_id


async def test_every_spelling_of_the_path_is_served(tenant: Tenant) -> None:
    for path in ("/apiaccount", "/apiaccount/", "/apiaccounts", "/apiaccounts/"):
        reply = await tenant.api.get(path)
        assert reply.status_code == 200, path
    for path in ("/inboxes", "/inbox", "/inboxes/", f"/inbox/{tenant.inbox_id}/"):
        assert (await tenant.api.get(path)).status_code == 200, path


async def test_create__admin_connects_a_number_and_gets_its_inbox(tenant: Tenant) -> None:
    number = fresh_number()
    reply = await tenant.api.post("/apiaccount", json={"phoneNumber": number, "name": "Support"})
    assert reply.status_code == 201, reply.text
    account = reply.json()
    assert account["phoneNumber"] == number
    inboxes = (await tenant.api.get(f"/inboxes?apiAccountId={account['apiAccountId']}")).json()
    assert inboxes["paging"]["recordCount"] == 1
    assert inboxes["items"][0]["apiAccountId"] == account["apiAccountId"]
    duplicate = await tenant.api.post(
        "/apiaccount", json={"phoneNumber": number[1:], "name": "Again"}
    )
    assert_problem(duplicate, 409)


async def test_create__one_number_sent_at_once_twenty_times_is_one_201_and_409s(
    tenant: Tenant,
) -> None:
    number = fresh_number()
    replies = await asyncio.gather(
        *(
            tenant.api.post("/apiaccount", json={"phoneNumber": number, "name": "Support"})
            for _ in range(20)
        )
    )
    statuses = sorted(reply.status_code for reply in replies)
    assert statuses == [201] + [409] * 19, [r.text for r in replies if r.status_code >= 500]
    for reply in replies:
        if reply.status_code == 409:
            assert_problem(reply, 409)
    listed = (await tenant.api.get("/apiaccount")).json()
    assert [a["phoneNumber"] for a in listed["items"]].count(number) == 1


async def test_create__invalid_number_is_422_naming_the_field(tenant: Tenant) -> None:
    reply = await tenant.api.post("/apiaccount", json={"phoneNumber": "12", "name": "Bad"})
    body = assert_problem(reply, 422)
    assert body["errors"][0]["field"] == "phoneNumber"


async def test_create__agents_may_not(tenant: Tenant) -> None:
    _, agent = await tenant.add_user(role="agent")
    async with agent:
        reply = await agent.post("/apiaccount", json={"phoneNumber": fresh_number(), "name": "X"})
    assert_problem(reply, 403)


async def test_agent__sees_only_assigned_accounts(tenant: Tenant) -> None:
    email, agent = await tenant.add_user(role="agent")
    async with agent:
        assert (await agent.get("/apiaccount")).json()["paging"]["recordCount"] == 0
        assert_problem(await agent.get(f"/apiaccount/{tenant.account_id}"), 404)
        await tenant.assign(email)
        listed = (await agent.get("/apiaccount")).json()
        assert [a["apiAccountId"] for a in listed["items"]] == [tenant.account_id]


async def test_other_tenants_accounts_and_inboxes_are_404(
    tenant: Tenant, other_tenant: Tenant
) -> None:
    assert_problem(await tenant.api.get(f"/apiaccount/{other_tenant.account_id}"), 404)
    assert_problem(await tenant.api.get(f"/inbox/{other_tenant.inbox_id}"), 404)
    listed = (await tenant.api.get(f"/inboxes?apiAccountId={other_tenant.account_id}")).json()
    assert listed["items"] == [] and listed["paging"]["recordCount"] == 0
