"""Tags and attributes on contacts: set, merged, removed, validated, filtered by, announced."""

from __future__ import annotations

from typing import Any

import httpx

from tests.support import Tenant, assert_problem, fresh_number
from tests.webhooks.receiver import Receiver


async def _create(tenant: Tenant, **fields: Any) -> dict[str, Any]:
    reply = await tenant.api.post(
        "/contact",
        json={"mobileNumber": fresh_number(), "apiAccountId": tenant.account_id, **fields},
    )
    assert reply.status_code == 201, reply.text
    body: dict[str, Any] = reply.json()
    return body


async def _patch(tenant: Tenant, contact_id: str, **fields: Any) -> httpx.Response:
    return await tenant.api.patch(f"/contact/{contact_id}", json=fields)


async def test_create__tags_and_attributes_are_kept_and_shown(tenant: Tenant) -> None:
    made = await _create(
        tenant,
        tags=[" VIP ", "newsletter", "vip"],
        attributes={"order": "A-17", "visits": 3, "member": True, "gone": None},
    )
    assert made["tags"] == ["newsletter", "vip"]
    assert made["attributes"] == {"order": "A-17", "visits": "3", "member": "true"}
    fetched = (await tenant.api.get(f"/contact/{made['contactId']}")).json()
    assert fetched == made


async def test_create__without_them_shows_empty_ones(tenant: Tenant) -> None:
    made = await _create(tenant)
    assert made["tags"] == [] and made["attributes"] == {}


async def test_patch__tags_replace_the_set(tenant: Tenant) -> None:
    made = await _create(tenant, tags=["a", "b"])
    reply = await _patch(tenant, made["contactId"], tags=["c", "B"])
    assert reply.status_code == 200, reply.text
    assert reply.json()["tags"] == ["b", "c"]
    assert (await tenant.api.get(f"/contact/{made['contactId']}")).json()["tags"] == ["b", "c"]
    cleared = await _patch(tenant, made["contactId"], tags=[])
    assert cleared.json()["tags"] == []
    untouched = await _patch(tenant, made["contactId"], name="Only the name")
    assert untouched.json()["tags"] == []


async def test_patch__attributes_merge_and_null_removes_a_key(tenant: Tenant) -> None:
    made = await _create(tenant, attributes={"order": "A-17", "city": "Leeds"})
    contact_id = made["contactId"]
    reply = await _patch(tenant, contact_id, attributes={"order": "A-18", "plan": "gold"})
    assert reply.json()["attributes"] == {"order": "A-18", "city": "Leeds", "plan": "gold"}
    reply = await _patch(tenant, contact_id, attributes={"city": None})
    assert reply.json()["attributes"] == {"order": "A-18", "plan": "gold"}
    reply = await _patch(tenant, contact_id, name="Renamed")
    assert reply.json()["attributes"] == {"order": "A-18", "plan": "gold"}
    reply = await _patch(tenant, contact_id, attributes=None)
    assert reply.json()["attributes"] == {}
    assert (await tenant.api.get(f"/contact/{contact_id}")).json()["attributes"] == {}


async def test_validation__each_rule_is_a_422_naming_the_field(tenant: Tenant) -> None:
    made = await _create(tenant)
    bad: list[tuple[str, Any]] = [
        ("tags", ["has space"]),
        ("tags", [""]),
        ("tags", ["x" * 65]),
        ("tags", [f"t{i}" for i in range(51)]),
        ("tags", "vip"),
        ("attributes", {"bad key": "x"}),
        ("attributes", {"k" * 65: "x"}),
        ("attributes", {"long": "x" * 1001}),
        ("attributes", {"nested": {"a": 1}}),
        ("attributes", {f"k{i}": "v" for i in range(101)}),
        ("attributes", ["not", "an", "object"]),
    ]
    for field, value in bad:
        reply = await _patch(tenant, made["contactId"], **{field: value})
        body = assert_problem(reply, 422)
        assert body["errors"][0]["field"].split(".")[0] == field, (field, value, body)
        reply = await tenant.api.post(
            "/contact",
            json={"mobileNumber": fresh_number(), "apiAccountId": tenant.account_id, field: value},
        )
        assert assert_problem(reply, 422)["errors"][0]["field"].split(".")[0] == field
    unchanged = (await tenant.api.get(f"/contact/{made['contactId']}")).json()
    assert unchanged["tags"] == [] and unchanged["attributes"] == {}


async def test_validation__a_merge_past_100_attributes_is_a_422(tenant: Tenant) -> None:
    made = await _create(tenant, attributes={f"a{i}": "v" for i in range(60)})
    reply = await _patch(tenant, made["contactId"], attributes={f"b{i}": "v" for i in range(41)})
    assert assert_problem(reply, 422)["errors"][0]["field"] == "attributes"
    kept = (await tenant.api.get(f"/contact/{made['contactId']}")).json()["attributes"]
    assert len(kept) == 60
    reply = await _patch(tenant, made["contactId"], attributes={f"b{i}": "v" for i in range(40)})
    assert len(reply.json()["attributes"]) == 100


async def test_filter__by_tag_and_by_every_tag_given(tenant: Tenant) -> None:
    both = await _create(tenant, tags=["vip", "leeds"])
    vip = await _create(tenant, tags=["vip"])
    await _create(tenant, tags=["leeds"])
    await _create(tenant)

    async def ids(query: str) -> list[str]:
        body = (await tenant.api.get(f"/contact?{query}")).json()
        assert body["paging"]["recordCount"] == len(body["items"])
        return sorted(item["contactId"] for item in body["items"])

    assert await ids("tag=vip") == sorted([both["contactId"], vip["contactId"]])
    assert await ids("tag=VIP&tag=leeds") == [both["contactId"]]
    assert await ids("tag=nobody") == []
    paged = (await tenant.api.get("/contact?tag=vip&pageSize=1&page=2")).json()
    assert paged["paging"]["recordCount"] == 2 and len(paged["items"]) == 1
    listed = (await tenant.api.get("/contact?tag=vip")).json()["items"]
    assert {tuple(item["tags"]) for item in listed} == {("leeds", "vip"), ("vip",)}
    assert_problem(await tenant.api.get("/contact?tag=has%20space"), 422)


async def test_filter__another_organisations_tags_are_not_seen(
    tenant: Tenant, other_tenant: Tenant
) -> None:
    theirs = await _create(other_tenant, tags=["vip"])
    body = (await tenant.api.get("/contact?tag=vip")).json()
    assert theirs["contactId"] not in [item["contactId"] for item in body["items"]]
    assert_problem(await _patch(tenant, theirs["contactId"], tags=["mine"]), 404)
    assert_problem(await _patch(tenant, theirs["contactId"], attributes={"a": "b"}), 404)
    kept = (await other_tenant.api.get(f"/contact/{theirs['contactId']}")).json()
    assert kept["tags"] == ["vip"] and kept["attributes"] == {}


async def test_filter__an_agent_sees_only_assigned_accounts_tags(tenant: Tenant) -> None:
    await _create(tenant, tags=["vip"])
    email, agent = await tenant.add_user(role="agent")
    async with agent:
        assert (await agent.get("/contact?tag=vip")).json()["paging"]["recordCount"] == 0
        await tenant.assign(email)
        assert (await agent.get("/contact?tag=vip")).json()["paging"]["recordCount"] == 1


async def test_events__created_and_updated_carry_tags_and_attributes(tenant: Tenant) -> None:
    receiver = await Receiver().start()
    try:
        hook = await tenant.api.post(
            "/webhook",
            json={"targetUrl": receiver.url(), "events": ["contact.created", "contact.updated"]},
        )
        assert hook.status_code == 201, hook.text
        made = await _create(tenant, tags=["vip"], attributes={"order": "A-1"})
        await _patch(tenant, made["contactId"], tags=["vip", "leeds"], attributes={"city": "Leeds"})
        await _patch(tenant, made["contactId"], tags=["leeds", "vip"])  # no change: no event
        await _patch(tenant, made["contactId"], attributes={"order": None})
        got = await receiver.wait_for(lambda received: len(received) >= 3)
        shown = [
            (r.event["type"], r.event["data"]["tags"], r.event["data"]["attributes"]) for r in got
        ]
        assert shown == [
            ("contact.created", ["vip"], {"order": "A-1"}),
            ("contact.updated", ["leeds", "vip"], {"order": "A-1", "city": "Leeds"}),
            ("contact.updated", ["leeds", "vip"], {"city": "Leeds"}),
        ]
        final = (await tenant.api.get(f"/contact/{made['contactId']}")).json()
        assert got[-1].event["data"] == final
    finally:
        await receiver.stop()
