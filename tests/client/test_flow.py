"""The original documentation's flow, through the SDK against the real server."""

from __future__ import annotations

import asyncio
import time
import uuid

import pytest

from msgboxx.client import AsyncClient, Client, Message, NotFound, ValidationFailed
from tests.support import PASSWORD, Tenant, fresh_number


def _send_as_documented(client: Client, number: str) -> Message:
    account = next(client.apiaccounts.list())
    contact = client.contacts.find(api_account_id=account.api_account_id, mobile_number=number)
    assert contact is not None
    return client.messages.send(
        api_account_id=account.api_account_id,
        contact_id=contact.contact_id,
        message="Hi John, that sounds good progress, keep me informed please.",
    )


def _wait_until_read(client: Client, message: Message) -> Message:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        current = client.messages.get(message.message_id)
        if current.status == "Read":
            return current
        time.sleep(0.05)
    raise AssertionError(f"never Read: {current}")


async def test_client__sends_the_documented_message_and_sees_it_read(tenant: Tenant) -> None:
    number = fresh_number()
    await tenant.contact(number=number)
    local = "0" + number.removeprefix("+44")  # any usual form finds the contact

    def flow() -> tuple[Message, Message, list[Message]]:
        with Client(
            tenant.server.base_url, username=tenant.admin_email, password=PASSWORD
        ) as client:
            sent = _send_as_documented(client, local)
            read = _wait_until_read(client, sent)
            listed = list(client.messages.list(direction="Outbound"))
            return sent, read, listed

    sent, read, listed = await asyncio.to_thread(flow)
    assert sent.status in ("Pending", "Sent")
    assert str(sent.api_account_id) == tenant.account_id
    assert read.status == "Read" and read.read_at is not None and read.sent_at is not None
    assert [m.message_id for m in listed] == [sent.message_id]


async def test_async_client__sends_a_message_and_a_template(tenant: Tenant) -> None:
    number = fresh_number()
    async with AsyncClient(
        tenant.server.base_url, username=tenant.admin_email, password=PASSWORD
    ) as client:
        arrived = await client.sandbox.inbound(
            from_number=number, to_number=tenant.phone_number, text="Hello?"
        )
        assert arrived.direction == "Inbound" and arrived.status == "Received"
        accounts = [a async for a in client.apiaccounts.list()]
        assert [str(a.api_account_id) for a in accounts] == [tenant.account_id]
        contact = await client.contacts.find(api_account_id=tenant.account_id, mobile_number=number)
        assert contact is not None and contact.mobile_number == number
        sent = await client.messages.send(
            api_account_id=tenant.account_id, contact_id=contact.contact_id, message="Hi!"
        )
        assert (await client.messages.get(sent.message_id)).message == "Hi!"
        account = await client.apiaccounts.get(tenant.account_id)
        assert account.phone_number == tenant.phone_number


async def test_client__errors_are_typed_problems(tenant: Tenant) -> None:
    async with AsyncClient(
        tenant.server.base_url, username=tenant.admin_email, password=PASSWORD
    ) as client:
        with pytest.raises(NotFound) as missing:
            await client.messages.get(uuid.uuid4())
        assert missing.value.status == 404
        with pytest.raises(ValidationFailed) as invalid:
            await client.contacts.create(api_account_id=tenant.account_id, mobile_number="12")
        assert invalid.value.status == 422
        assert [e["field"] for e in invalid.value.errors] == ["mobileNumber"]
