"""Retries through a real faulty proxy: the same Idempotency-Key, nothing sent twice."""

from __future__ import annotations

import asyncio

import pytest

from msgboxx.client import AsyncClient, Client, ConnectionFailed, RetryPolicy, ServerError
from tests.client.proxy import Fault, FaultyProxy, Seen
from tests.support import PASSWORD, Tenant

QUICK = RetryPolicy(backoff_base=0.05, backoff_max=0.2)


def first_post_to(path: str, fault: Fault) -> object:
    done: list[bool] = []

    def decide(seen: Seen) -> Fault:
        if seen.method == "POST" and seen.target == path and not done:
            done.append(True)
            return fault
        return None

    return decide


async def outbound_count(tenant: Tenant, contact: str) -> int:
    listed = await tenant.api.get("/message", params={"contactId": contact})
    return int(listed.json()["paging"]["recordCount"])


@pytest.mark.parametrize("fault", ["503", "drop"])
async def test_send__retried_with_the_same_key_is_sent_once(
    tenant: Tenant, proxy: FaultyProxy, fault: Fault
) -> None:
    contact = await tenant.contact()
    proxy.fault = first_post_to("/message", fault)  # type: ignore[assignment]

    def send() -> str:
        with Client(proxy.url, username=tenant.admin_email, password=PASSWORD, retry=QUICK) as c:
            sent = c.messages.send(
                api_account_id=tenant.account_id, contact_id=contact, message="Order 7 ready"
            )
            return str(sent.message_id)

    message_id = await asyncio.to_thread(send)
    attempts = proxy.requests("POST", "/message")
    assert len(attempts) == 2
    keys = {a.headers["idempotency-key"] for a in attempts}
    assert len(keys) == 1 and keys != {""}
    assert await outbound_count(tenant, contact) == 2  # the inbound "Hi" and one send
    listed = await tenant.api.get(
        "/message", params={"contactId": contact, "direction": "Outbound"}
    )
    assert [m["messageId"] for m in listed.json()["items"]] == [message_id]


async def test_send__waits_as_long_as_retry_after_says(tenant: Tenant, proxy: FaultyProxy) -> None:
    contact = await tenant.contact()
    proxy.fault = first_post_to("/message", "429")  # type: ignore[assignment]
    async with AsyncClient(
        proxy.url, username=tenant.admin_email, password=PASSWORD, retry=QUICK
    ) as client:
        await client.messages.send(
            api_account_id=tenant.account_id, contact_id=contact, message="Later"
        )
    first, second = proxy.requests("POST", "/message")
    assert first.status == 429 and second.status == 201
    assert second.at - first.at >= 0.95  # Retry-After: 1, not the 0.05 s backoff


async def test_send__gives_up_after_the_retries(tenant: Tenant, proxy: FaultyProxy) -> None:
    proxy.fault = lambda seen: "503" if seen.target == "/message" else None
    async with AsyncClient(
        proxy.url, username=tenant.admin_email, password=PASSWORD, retry=QUICK
    ) as client:
        with pytest.raises(ServerError) as failed:
            await client.messages.send(
                api_account_id=tenant.account_id, contact_id=tenant.account_id, message="x"
            )
    assert failed.value.status == 503
    assert len(proxy.requests("POST", "/message")) == 1 + QUICK.max_retries


async def test_client__unreachable_server_is_a_connection_error() -> None:
    from tests.processes import free_port

    async with AsyncClient(
        f"http://127.0.0.1:{free_port()}", username="a@example.com", password="x", retry=QUICK
    ) as client:
        with pytest.raises(ConnectionFailed):
            await client.messages.get("00000000-0000-0000-0000-000000000000")
