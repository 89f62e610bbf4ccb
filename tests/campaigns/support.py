"""Campaign test helpers: templates, contacts written in bulk, waiting on a campaign."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Sequence
from typing import Any

from msgboxx.accounts.models import ApiAccount
from msgboxx.campaigns.models import Campaign
from msgboxx.contacts.models import Contact, ContactTag
from msgboxx.db import utcnow
from msgboxx.templates import service as templates
from msgboxx.templates.models import TemplateStatus
from tests.support import Tenant, fresh_number

TEXT = "Hi {{1}}, your order {{2}} is on its way."


async def template(
    tenant: Tenant, *, text: str = TEXT, status: TemplateStatus = TemplateStatus.approved
) -> str:
    async with tenant.server.db.tx(write=True) as tx:
        account = await tx.session.get(ApiAccount, uuid.UUID(tenant.account_id))
        assert account is not None
        created = await templates.create(
            tx,
            account=account,
            name=f"order_{uuid.uuid4().hex[:8]}",
            text=text,
            example=None,
            status=status,
        )
        await tx.commit()
        return str(created.id)


async def contacts(
    tenant: Tenant,
    count: int,
    *,
    name: str | None = "Ada",
    attributes: dict[str, Any] | None = None,
    tags: Sequence[str] = (),
    status: str = "Subscribed",
) -> list[str]:
    """``count`` contacts of the tenant's account, written directly (as an import would);
    they never wrote, so their window is closed.
    """
    account_id = uuid.UUID(tenant.account_id)
    made = [
        Contact(
            id=uuid.uuid4(),
            account_id=account_id,
            mobile_number=fresh_number(),
            name=name,
            status=status,
            attributes=attributes,
        )
        for _ in range(count)
    ]
    async with tenant.server.db.tx(write=True) as tx:
        tx.session.add_all(made)
        await tx.session.flush()
        tx.session.add_all(
            ContactTag(contact_id=c.id, account_id=account_id, tag=tag)
            for c in made
            for tag in tags
        )
        await tx.commit()
    return [str(c.id) for c in made]


async def customers_who_wrote(
    tenant: Tenant, count: int, *, attributes: dict[str, Any] | None = None
) -> list[str]:
    """Contacts who just wrote to the number (their window is open), with ``attributes``."""
    made = [await tenant.contact() for _ in range(count)]
    async with tenant.server.db.tx(write=True) as tx:
        for contact_id in made:
            found = await tx.session.get(Contact, uuid.UUID(contact_id))
            assert found is not None
            found.name, found.attributes = "Ada", attributes
        await tx.commit()
    return made


async def create(tenant: Tenant, template_id: str, **body: Any) -> dict[str, Any]:
    payload = {
        "name": "December orders",
        "apiAccountId": tenant.account_id,
        "templateId": template_id,
        "audience": {"all": True},
        "parameters": ["{{contact.name}}", "{{attributes.order}}"],
        **body,
    }
    reply = await tenant.api.post("/campaign", json=payload)
    assert reply.status_code == 201, reply.text
    created: dict[str, Any] = reply.json()
    return created


async def wait_campaign(
    tenant: Tenant,
    campaign_id: str,
    check: Callable[[dict[str, Any]], bool],
    *,
    timeout: float = 30,
) -> dict[str, Any]:
    """Poll ``GET /campaign/{id}`` until ``check`` holds (or fail with the last answer)."""
    deadline = asyncio.get_running_loop().time() + timeout
    body: dict[str, Any] = {}
    while asyncio.get_running_loop().time() < deadline:
        reply = await tenant.api.get(f"/campaign/{campaign_id}")
        assert reply.status_code == 200, reply.text
        body = reply.json()
        if check(body):
            return body
        await asyncio.sleep(0.05)
    raise AssertionError(f"campaign {campaign_id} never got there; last: {body}")


async def all_messages(tenant: Tenant, campaign_id: str) -> list[dict[str, Any]]:
    """Every message of the campaign, through ``GET /campaign/{id}/messages``, page by page."""
    found: list[dict[str, Any]] = []
    page = 1
    while True:
        reply = await tenant.api.get(
            f"/campaign/{campaign_id}/messages", params={"page": page, "pageSize": 500}
        )
        assert reply.status_code == 200, reply.text
        body = reply.json()
        found += body["items"]
        if page >= body["paging"]["pageCount"]:
            return found
        page += 1


async def bring_forward(tenant: Tenant, campaign_id: str) -> None:
    """Make a scheduled campaign due now (its sendAt was far ahead), as time passing would."""
    async with tenant.server.db.tx(write=True) as tx:
        found = await tx.session.get(Campaign, uuid.UUID(campaign_id))
        assert found is not None
        found.send_at = utcnow()
        await tx.commit()
