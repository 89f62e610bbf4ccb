"""POST /campaign checks what a send will need; other tenants and unassigned agents see nothing."""

from __future__ import annotations

import uuid
from typing import Any

from msgboxx.templates.models import TemplateStatus
from tests.campaigns.support import contacts, create, template, wait_campaign
from tests.support import Tenant, assert_problem


def body(tenant: Tenant, template_id: str, **changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "name": "Spring sale",
        "apiAccountId": tenant.account_id,
        "templateId": template_id,
        "audience": {"tags": ["vip"]},
        "parameters": ["{{contact.name}}", "10%"],
    }
    return {**base, **changes}


def field_of(problem: dict[str, Any]) -> set[str]:
    return {error["field"] for error in problem["errors"]}


async def test_create__invalid_fields_are_422_naming_them(tenant: Tenant) -> None:
    template_id = await template(tenant)
    cases: list[tuple[dict[str, Any], str]] = [
        (body(tenant, template_id, audience={"tags": ["vip"], "all": True}), "audience"),
        (body(tenant, template_id, audience={}), "audience"),
        (body(tenant, template_id, audience={"all": False}), "audience"),
        (body(tenant, template_id, parameters=["{{contact.name}}"]), "parameters"),
        (body(tenant, template_id, parameters=["{{contact.age}}", "x"]), "parameters"),
        (body(tenant, template_id, sendAt="2020-01-01T00:00:00Z"), "sendAt"),
        (body(tenant, template_id, name="  "), "name"),
        (
            body(tenant, template_id, audience={"contactIds": [str(uuid.uuid4())]}),
            "audience.contactIds",
        ),
    ]
    for payload, field in cases:
        reply = await tenant.api.post("/campaign", json=payload)
        problem = assert_problem(reply, 422)
        assert field in field_of(problem), (payload, problem)


async def test_create__template_must_be_approved_and_of_the_account(
    tenant: Tenant, other_tenant: Tenant
) -> None:
    pending = await template(tenant, status=TemplateStatus.pending)
    foreign = await template(other_tenant)
    for template_id in (pending, foreign, str(uuid.uuid4())):
        reply = await tenant.api.post("/campaign", json=body(tenant, template_id))
        assert "templateId" in field_of(assert_problem(reply, 422))


async def test_tenancy__another_organisation_gets_404(tenant: Tenant, other_tenant: Tenant) -> None:
    template_id = await template(tenant)
    created = await create(tenant, template_id, sendAt="2099-01-01T00:00:00Z")
    campaign_id = created["campaignId"]
    for path in (f"/campaign/{campaign_id}", f"/campaign/{campaign_id}/messages"):
        assert_problem(await other_tenant.api.get(path), 404)
    for action in ("pause", "resume", "cancel"):
        assert_problem(await other_tenant.api.post(f"/campaign/{campaign_id}/{action}"), 404)
    listed = (await other_tenant.api.get("/campaign")).json()
    assert campaign_id not in {c["campaignId"] for c in listed["items"]}
    # Nor may it create one on this tenant's account.
    reply = await other_tenant.api.post("/campaign", json=body(tenant, template_id))
    assert_problem(reply, 404)


async def test_tenancy__agents_see_only_their_accounts(tenant: Tenant) -> None:
    template_id = await template(tenant)
    created = await create(tenant, template_id, sendAt="2099-01-01T00:00:00Z")
    email, agent = await tenant.add_user(role="agent")
    try:
        assert_problem(await agent.get(f"/campaign/{created['campaignId']}"), 404)
        assert (await agent.get("/campaign")).json()["paging"]["recordCount"] == 0
        await tenant.assign(email)
        reply = await agent.get(f"/campaign/{created['campaignId']}")
        assert reply.status_code == 200 and reply.json()["name"] == "December orders"
    finally:
        await agent.aclose()


async def test_list__paged_newest_first_with_status_filter(tenant: Tenant) -> None:
    template_id = await template(tenant)
    ids = [
        (await create(tenant, template_id, name=f"c{n}", sendAt="2099-01-01T00:00:00Z"))[
            "campaignId"
        ]
        for n in range(3)
    ]
    page = (await tenant.api.get("/campaign", params={"pageSize": 2})).json()
    assert page["paging"] == {"recordCount": 3, "page": 1, "pageSize": 2, "pageCount": 2}
    assert [c["campaignId"] for c in page["items"]] == ids[::-1][:2]
    await tenant.api.post(f"/campaign/{ids[0]}/cancel")
    cancelled = (await tenant.api.get("/campaign", params={"status": "cancelled"})).json()
    assert [c["campaignId"] for c in cancelled["items"]] == [ids[0]]


async def test_audience__by_tag_and_by_ids(tenant: Tenant) -> None:
    template_id = await template(tenant)
    vips = await contacts(tenant, 3, attributes={"order": "A"}, tags=["vip"])
    await contacts(tenant, 2, attributes={"order": "B"}, tags=["other"])
    by_tag = await create(tenant, template_id, audience={"tags": ["vip"]})
    by_ids = await create(tenant, template_id, audience={"contactIds": vips[:2]})
    tagged = await wait_campaign(tenant, by_tag["campaignId"], lambda b: b["status"] == "completed")
    chosen = await wait_campaign(tenant, by_ids["campaignId"], lambda b: b["status"] == "completed")
    assert tagged["counts"]["targeted"] == 3 and tagged["counts"]["queued"] == 3
    assert chosen["counts"]["targeted"] == 2 and chosen["counts"]["queued"] == 2
