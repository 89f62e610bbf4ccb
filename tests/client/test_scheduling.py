"""The SDK's send_at on messages and broadcasts, and cancel: sync and async, real server."""

from __future__ import annotations

import asyncio
from datetime import UTC, timedelta

import pytest

from msgboxx.client import AsyncClient, Client, Conflict, ValidationFailed
from msgboxx.db import utcnow
from tests.broadcasts.test_broadcasts import template
from tests.support import PASSWORD, Tenant, wait_for_status


async def test_client__schedules_a_message_and_a_broadcast_and_cancels_one(
    tenant: Tenant,
) -> None:
    contact_id = await tenant.contact()
    template_id = await template(tenant)
    in_an_hour = (utcnow() + timedelta(hours=1)).replace(microsecond=0)

    def flow() -> None:
        with Client(
            tenant.server.base_url, username=tenant.admin_email, password=PASSWORD
        ) as client:
            message = client.messages.send(
                api_account_id=tenant.account_id,
                contact_id=contact_id,
                message="Your table is ready",
                send_at=in_an_hour,
            )
            assert message.status == "Pending" and message.send_at == in_an_hour
            broadcast = client.broadcasts.send(
                api_account_id=tenant.account_id,
                contact_id=contact_id,
                template_id=template_id,
                parameters=["Ann", "the spring sale"],
                # A naive time is read as UTC.
                send_at=in_an_hour.replace(tzinfo=None),
            )
            assert broadcast.status == "Pending" and broadcast.send_at == in_an_hour
            cancelled = client.messages.cancel(message.message_id)
            assert cancelled.status == "Failed" and cancelled.failure_reason == "cancelled"
            assert client.messages.get(broadcast.message_id).send_at == in_an_hour
            with pytest.raises(ValidationFailed) as past:
                client.messages.send(
                    api_account_id=tenant.account_id,
                    contact_id=contact_id,
                    message="Too late",
                    send_at=utcnow() - timedelta(minutes=5),
                )
            assert [error["field"] for error in past.value.errors] == ["sendAt"]

    await asyncio.to_thread(flow)


async def test_async_client__a_scheduled_message_goes_out_and_then_cannot_be_cancelled(
    tenant: Tenant,
) -> None:
    contact_id = await tenant.contact()
    async with AsyncClient(
        tenant.server.base_url, username=tenant.admin_email, password=PASSWORD
    ) as client:
        send_at = utcnow() + timedelta(seconds=4)  # signing in can take a second when busy
        message = await client.messages.send(
            api_account_id=tenant.account_id,
            contact_id=contact_id,
            message="See you at nine",
            send_at=send_at.astimezone(UTC),
        )
        assert message.status == "Pending"
        read = await wait_for_status(
            tenant.api, f"/message/{message.message_id}", "Read", timeout=20
        )
        assert read["sentAt"] >= read["sendAt"]
        with pytest.raises(Conflict):
            await client.messages.cancel(message.message_id)
