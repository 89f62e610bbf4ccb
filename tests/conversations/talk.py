"""Both sides of a conversation through the real API, and the inbox's reads."""

from __future__ import annotations

from typing import Any

from msgboxx.auth import service as auth
from tests.support import Tenant


async def customer_writes(tenant: Tenant, number: str, text: str = "Hi", **extra: Any) -> str:
    """A customer's message through the sandbox, as WhatsApp would deliver it; its contact."""
    reply = await tenant.api.post(
        "/sandbox/inbound", json={"from": number, "to": tenant.phone_number, "text": text, **extra}
    )
    assert reply.status_code == 202, reply.text
    return str(reply.json()["contactId"])


async def we_write(tenant: Tenant, contact_id: str, text: str = "Hello") -> dict[str, Any]:
    reply = await tenant.api.post(
        "/message",
        json={"apiAccountId": tenant.account_id, "contactId": contact_id, "message": text},
    )
    assert reply.status_code == 201, reply.text
    body: dict[str, Any] = reply.json()
    return body


async def listed(tenant: Tenant, **params: Any) -> list[dict[str, Any]]:
    reply = await tenant.api.get(f"/inbox/{tenant.inbox_id}/conversations", params=params)
    assert reply.status_code == 200, reply.text
    items: list[dict[str, Any]] = reply.json()
    return items


async def conversation(tenant: Tenant, contact_id: str) -> dict[str, Any]:
    reply = await tenant.api.get(f"/contact/{contact_id}/conversation")
    assert reply.status_code == 200, reply.text
    body: dict[str, Any] = reply.json()
    return body


async def user_id(tenant: Tenant, email: str) -> str:
    async with tenant.server.db.tx(write=False) as tx:
        user = await auth.get_user_by_email(tx, email=email)
        assert user is not None
        return str(user.id)
