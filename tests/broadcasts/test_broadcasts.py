"""/broadcast: approved templates, filled in, to subscribed contacts, any time."""

from __future__ import annotations

import uuid

from msgboxx.accounts.models import ApiAccount
from msgboxx.templates import service as templates
from msgboxx.templates.models import TemplateStatus
from tests.support import Tenant, assert_problem, wait_for_status

TEXT = "Hi {{1}}, thanks for your interest in {{2}}. Shall we book a call?"


async def template(tenant: Tenant, *, status: TemplateStatus = TemplateStatus.approved) -> str:
    async with tenant.server.db.tx(write=True) as tx:
        account = await tx.session.get(ApiAccount, uuid.UUID(tenant.account_id))
        assert account is not None
        created = await templates.create(
            tx,
            account=account,
            name=f"follow_up_{uuid.uuid4().hex[:6]}",
            text=TEXT,
            example=None,
            status=status,
        )
        await tx.commit()
        return str(created.id)


async def test_send__filled_text_is_accepted_outside_the_window(tenant: Tenant) -> None:
    template_id = await template(tenant)
    contact_id = await tenant.contact(inbound=False)  # never wrote: window closed
    text = "Hi John, thanks for your interest in the msgboxx platform. Shall we book a call?"
    reply = await tenant.api.post(
        "/broadcast",
        json={
            "apiAccountId": tenant.account_id,
            "contactId": contact_id,
            "templateId": template_id,
            "message": text,
        },
    )
    assert reply.status_code == 201, reply.text
    body = reply.json()
    for field in ("broadcastId", "apiAccountId", "contactId", "messageId", "message", "status"):
        assert field in body
    assert body["message"] == text
    done = await wait_for_status(tenant.api, f"/broadcast/{body['broadcastId']}", "Read")
    assert done["messageId"] == body["messageId"]
    message = (await tenant.api.get(f"/message/{body['messageId']}")).json()
    assert message["status"] == "Read" and message["message"] == text


async def test_send__parameters_fill_the_template(tenant: Tenant) -> None:
    template_id = await template(tenant)
    contact_id = await tenant.contact(inbound=False)
    reply = await tenant.api.post(
        "/broadcast",
        json={
            "apiAccountId": tenant.account_id,
            "contactId": contact_id,
            "templateId": template_id,
            "parameters": ["John", "the msgboxx platform"],
        },
    )
    assert reply.status_code == 201, reply.text
    assert reply.json()["message"] == (
        "Hi John, thanks for your interest in the msgboxx platform. Shall we book a call?"
    )


async def test_send__text_that_does_not_match_is_422_showing_the_template(tenant: Tenant) -> None:
    template_id = await template(tenant)
    contact_id = await tenant.contact(inbound=False)
    base = {"apiAccountId": tenant.account_id, "contactId": contact_id, "templateId": template_id}
    for text in (
        "Hello there, anything at all",
        "Hi , thanks for your interest in x. Shall we book a call?",  # an empty placeholder
        "Hi John, thanks for your interest in x. Shall we book a call? PS",
    ):
        reply = await tenant.api.post("/broadcast", json={**base, "message": text})
        body = assert_problem(reply, 422)
        assert TEXT in body["detail"]
    wrong_count = await tenant.api.post("/broadcast", json={**base, "parameters": ["only one"]})
    assert assert_problem(wrong_count, 422)["errors"][0]["field"] == "parameters"
    neither = await tenant.api.post("/broadcast", json=base)
    assert_problem(neither, 422)


async def test_send__template_must_be_approved_and_of_that_account(
    tenant: Tenant, other_tenant: Tenant
) -> None:
    contact_id = await tenant.contact(inbound=False)
    for template_id in (
        await template(tenant, status=TemplateStatus.pending),
        await template(other_tenant),
        str(uuid.uuid4()),
    ):
        reply = await tenant.api.post(
            "/broadcast",
            json={
                "apiAccountId": tenant.account_id,
                "contactId": contact_id,
                "templateId": template_id,
                "parameters": ["a", "b"],
            },
        )
        assert assert_problem(reply, 422)["errors"][0]["field"] == "templateId"


async def test_send__unsubscribed_contacts_are_422(tenant: Tenant) -> None:
    template_id = await template(tenant)
    contact_id = await tenant.contact(inbound=False)
    await tenant.api.patch(f"/contact/{contact_id}", json={"status": "Unsubscribed"})
    reply = await tenant.api.post(
        "/broadcast",
        json={
            "apiAccountId": tenant.account_id,
            "contactId": contact_id,
            "templateId": template_id,
            "parameters": ["a", "b"],
        },
    )
    body = assert_problem(reply, 422)
    assert "unsubscribed" in body["detail"]


async def test_list__filters_and_tenancy(tenant: Tenant, other_tenant: Tenant) -> None:
    template_id = await template(tenant)
    first, second = await tenant.contact(inbound=False), await tenant.contact(inbound=False)
    ids = []
    for contact_id in (first, second, second):
        reply = await tenant.api.post(
            "/broadcast",
            json={
                "apiAccountId": tenant.account_id,
                "contactId": contact_id,
                "templateId": template_id,
                "parameters": ["a", "b"],
            },
        )
        ids.append(reply.json()["broadcastId"])
    everything = (await tenant.api.get("/broadcasts")).json()
    assert everything["paging"]["recordCount"] == 3
    assert [b["broadcastId"] for b in everything["items"]] == ids[::-1]
    by_contact = (await tenant.api.get(f"/broadcast?contactId={second}")).json()
    assert by_contact["paging"]["recordCount"] == 2
    by_inbox = (await tenant.api.get(f"/broadcast?inboxId={tenant.inbox_id}")).json()
    assert by_inbox["paging"]["recordCount"] == 3
    assert (await other_tenant.api.get("/broadcast")).json()["paging"]["recordCount"] == 0
    assert_problem(await other_tenant.api.get(f"/broadcast/{ids[0]}"), 404)
