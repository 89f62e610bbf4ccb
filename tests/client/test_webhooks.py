"""verify_webhook on a delivery the server really sent."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from msgboxx.client import AsyncClient, WebhookVerificationError, verify_webhook
from tests.support import PASSWORD, Tenant, fresh_number
from tests.webhooks.receiver import Receiver


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    live = await Receiver().start()
    try:
        yield live
    finally:
        await live.stop()


async def test_verify_webhook__accepts_a_real_delivery_and_refuses_a_forged_one(
    tenant: Tenant, receiver: Receiver
) -> None:
    async with AsyncClient(
        tenant.server.base_url, username=tenant.admin_email, password=PASSWORD
    ) as client:
        hook = await client.webhooks.subscribe(
            target_url=receiver.url(), events=["contact.created"]
        )
        contact = await client.contacts.create(
            api_account_id=tenant.account_id, mobile_number=fresh_number(), name="Ann"
        )
        (delivered,) = await receiver.wait_for(lambda got: len(got) == 1)
        event = verify_webhook(delivered.headers, delivered.body, hook.secret)
        assert event.type == "contact.created"
        assert event.id == delivered.headers["webhook-id"]
        assert event.data["contactId"] == str(contact.contact_id)
        with pytest.raises(WebhookVerificationError):
            verify_webhook(delivered.headers, delivered.body.replace(b"Ann", b"Bob"), hook.secret)
        with pytest.raises(WebhookVerificationError):
            verify_webhook(delivered.headers, delivered.body, "whsec_" + "A" * 32)
        with pytest.raises(WebhookVerificationError):
            verify_webhook({}, delivered.body, hook.secret)
        await client.webhooks.delete(hook.webhook_id)
        assert [w async for w in client.webhooks.list()] == []
