"""Delivery: retries until the receiver is back, attempts on record, 410, timeouts, resends."""

from __future__ import annotations

import asyncio
import socket
import time
from typing import Any

import pytest

from msgboxx.webhooks.delivery import WebhookSender
from tests import support
from tests.support import Tenant, assert_problem
from tests.webhooks.receiver import Receiver, free_port, verify


async def subscribe(tenant: Tenant, url: str, events: list[str]) -> dict[str, Any]:
    reply = await tenant.api.post("/webhook", json={"targetUrl": url, "events": events})
    assert reply.status_code == 201, reply.text
    body: dict[str, Any] = reply.json()
    return body


async def deliveries(tenant: Tenant, hook_id: str) -> list[dict[str, Any]]:
    reply = await tenant.api.get(f"/webhook/{hook_id}/deliveries")
    assert reply.status_code == 200, reply.text
    items: list[dict[str, Any]] = reply.json()["items"]
    return items


async def eventually(check: Any, *, within: float = 10) -> Any:
    deadline = time.monotonic() + within
    while True:
        result = await check()
        if result or time.monotonic() > deadline:
            assert result, "condition never held"
            return result
        await asyncio.sleep(0.05)


async def test_delivery__receiver_down_gets_every_event_once_back(tenant: Tenant) -> None:
    receiver = Receiver(port=free_port())  # nothing listens there yet
    hook = await subscribe(tenant, receiver.url(), ["contact.created"])
    contact_ids = [await tenant.contact(inbound=False) for _ in range(3)]

    async def failed_attempts() -> bool:
        items = await deliveries(tenant, hook["webhookId"])
        return len(items) == 3 and len(items[-1]["attempts"]) >= 2

    await eventually(failed_attempts)
    items = await deliveries(tenant, hook["webhookId"])
    assert all(d["status"] == "Pending" for d in items)
    first = items[-1]["attempts"][0]
    assert first["statusCode"] is None and first["error"]
    # only the oldest is tried while the receiver is down: the order holds
    assert items[0]["attempts"] == [] and items[1]["attempts"] == []

    await receiver.start()
    try:
        got = await receiver.wait_for(lambda r: len(r) >= 3)
        await asyncio.sleep(0.3)  # nothing more is coming
        assert [verify(hook["secret"], r)["data"]["contactId"] for r in got] == contact_ids
        assert len({r.headers["webhook-id"] for r in got}) == 3
    finally:
        await receiver.stop()
    items = await deliveries(tenant, hook["webhookId"])
    assert all(d["status"] == "Delivered" and d["deliveredAt"] for d in items)
    assert items[-1]["attempts"][-1]["statusCode"] == 204


async def test_delivery__5xx_is_retried_and_every_attempt_is_listed(tenant: Tenant) -> None:
    answers = iter([503, 500, 200])

    async def flaky(_path: str) -> int:
        return next(answers, 200)

    receiver = await Receiver(behaviour=flaky).start()
    try:
        hook = await subscribe(tenant, receiver.url(), ["contact.created"])
        await tenant.contact(inbound=False)
        got = await receiver.wait_for(lambda r: len(r) >= 3)
    finally:
        await receiver.stop()
    assert len({r.headers["webhook-id"] for r in got}) == 1  # the same event, resent
    assert len({r.body for r in got}) == 1
    [delivery] = await deliveries(tenant, hook["webhookId"])
    assert delivery["status"] == "Delivered"
    assert [a["statusCode"] for a in delivery["attempts"]] == [503, 500, 200]
    assert delivery["attempts"][0]["error"] == "the receiver answered HTTP 503"
    assert delivery["attempts"][-1]["error"] is None
    assert all(isinstance(a["latencyMs"], int) for a in delivery["attempts"])
    assert delivery["event"]["type"] == "contact.created"
    assert delivery["eventId"] == got[0].headers["webhook-id"]


async def test_delivery__successes_before_a_failure_stay_delivered_and_the_rest_wait(
    tenant: Tenant,
) -> None:
    """2xx attempts are written together; a failure writes them first and holds the line."""
    up = asyncio.Event()
    answered = 0

    async def two_then_down(_path: str) -> int:
        nonlocal answered
        answered += 1
        return 204 if answered <= 2 or up.is_set() else 503

    receiver = await Receiver(behaviour=two_then_down).start()
    try:
        hook = await subscribe(tenant, receiver.url(), ["contact.created"])
        contact_ids = [await tenant.contact(inbound=False) for _ in range(4)]
        await receiver.wait_for(lambda r: len(r) >= 4)  # the third tried at least twice
        oldest_first = list(reversed(await deliveries(tenant, hook["webhookId"])))
        assert [d["status"] for d in oldest_first] == [
            "Delivered",
            "Delivered",
            "Pending",
            "Pending",
        ]
        assert [[a["statusCode"] for a in d["attempts"]] for d in oldest_first[:2]] == [[204]] * 2
        assert {a["statusCode"] for a in oldest_first[2]["attempts"]} == {503}
        assert oldest_first[3]["attempts"] == []

        up.set()

        async def all_delivered() -> bool:
            items = await deliveries(tenant, hook["webhookId"])
            return all(d["status"] == "Delivered" for d in items)

        await eventually(all_delivered)
    finally:
        await receiver.stop()
    oldest_first = list(reversed(await deliveries(tenant, hook["webhookId"])))
    assert [d["event"]["data"]["contactId"] for d in oldest_first] == contact_ids
    assert oldest_first[2]["attempts"][-1]["statusCode"] == 204
    assert [a["statusCode"] for a in oldest_first[3]["attempts"]] == [204]
    got = [verify(hook["secret"], r)["data"]["contactId"] for r in receiver.received]
    assert got[:2] == contact_ids[:2] and got[-2:] == contact_ids[2:]  # in order


async def test_delivery__410_gone_unsubscribes(tenant: Tenant) -> None:
    async def gone(_path: str) -> int:
        return 410

    receiver = await Receiver(behaviour=gone).start()
    try:
        hook = await subscribe(tenant, receiver.url(), ["contact.created"])
        await tenant.contact(inbound=False)
        await receiver.wait_for(lambda r: len(r) >= 1)

        async def unsubscribed() -> bool:
            reply = await tenant.api.get(f"/webhook/{hook['webhookId']}")
            return reply.status_code == 404

        await eventually(unsubscribed)
        await tenant.contact(inbound=False)
        await asyncio.sleep(0.3)
        assert len(receiver.received) == 1
    finally:
        await receiver.stop()


async def test_delivery__a_receiver_that_times_out_does_not_delay_another(
    tenant: Tenant,
) -> None:
    async def by_path(path: str) -> int:
        if path == "/slow":
            await asyncio.sleep(3)  # longer than the 1 s timeout of the tests
        return 200

    receiver = await Receiver(behaviour=by_path).start()
    try:
        slow = await subscribe(tenant, receiver.url("/slow"), ["contact.created"])
        await subscribe(tenant, receiver.url("/fast"), ["contact.created"])
        started = time.monotonic()
        for _ in range(3):
            await tenant.contact(inbound=False)
        got = await receiver.wait_for(lambda r: len([x for x in r if x.path == "/fast"]) >= 3)
        fast = [r for r in got if r.path == "/fast"]
        assert fast[-1].at - started < 0.9  # while the slow receiver still hangs

        async def timed_out() -> bool:
            items = await deliveries(tenant, slow["webhookId"])
            attempts = [a for d in items for a in d["attempts"]]
            return bool(attempts)

        await eventually(timed_out)
        items = await deliveries(tenant, slow["webhookId"])
        attempt = next(a for d in items for a in d["attempts"])
        assert attempt["statusCode"] is None
        assert attempt["error"] == "no answer within 1s"
        assert 900 <= attempt["latencyMs"] < 2500
    finally:
        await receiver.stop()


async def test_delivery__retry_resends_a_delivered_event(
    tenant: Tenant, receiver: Receiver
) -> None:
    hook = await subscribe(tenant, receiver.url(), ["contact.created"])
    await tenant.contact(inbound=False)
    await receiver.wait_for(lambda r: len(r) >= 1)
    [delivery] = await deliveries(tenant, hook["webhookId"])
    path = f"/webhooks/{hook['webhookId']}/deliveries/{delivery['deliveryId']}/retry"
    reply = await tenant.api.post(path)
    assert reply.status_code == 202, reply.text
    assert reply.json()["status"] == "Pending"
    got = await receiver.wait_for(lambda r: len(r) >= 2)
    assert got[0].headers["webhook-id"] == got[1].headers["webhook-id"]
    assert got[0].body == got[1].body
    verify(hook["secret"], got[1])
    missing = f"/webhook/{hook['webhookId']}/deliveries/{hook['webhookId']}/retry"
    assert_problem(await tenant.api.post(missing), 404)


async def test_delivery__private_address_is_refused_at_send_time(
    tenant: Tenant, receiver: Receiver
) -> None:
    """A name that resolved to a public address may point somewhere private later."""
    settings = support.test_settings(tenant.server.app.state.settings.data_dir)
    strict = settings.model_copy(update={"webhook_allow_private": False})
    sender = WebhookSender(tenant.server.db, strict)
    attempt = await sender.attempt(receiver.url(), secret="whsec_c2VjcmV0", event_id="e", body="{}")
    assert attempt.status_code is None
    assert attempt.error is not None and attempt.error.startswith("refused:")
    assert receiver.received == []


def _rebinding_name(monkeypatch: pytest.MonkeyPatch, name: str, *answers: str) -> list[str]:
    """Make ``name`` resolve to each of ``answers`` in turn (the last one from then on).

    DNS is the edge these tests cannot control, so the resolver is replaced where
    every lookup of this process goes (the check's and any HTTP client's); the
    connection itself stays real. Returns the answers given, in order.
    """
    real = socket.getaddrinfo
    given: list[str] = []

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if (host.decode() if isinstance(host, bytes) else host) != name:
            return real(host, port, *args, **kwargs)
        address = answers[min(len(given), len(answers) - 1)]
        given.append(address)
        return real(address, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return given


async def test_delivery__a_name_rebound_to_loopback_after_the_check_is_not_reached(
    tenant: Tenant, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Public when checked, loopback when connecting: the request goes where was checked."""
    given = _rebinding_name(monkeypatch, "rebind.example", "93.184.215.14", "127.0.0.1")
    settings = support.test_settings(tenant.server.app.state.settings.data_dir)
    strict = settings.model_copy(update={"webhook_allow_private": False})
    sender = WebhookSender(tenant.server.db, strict)
    try:
        attempt = await sender.attempt(
            f"http://rebind.example:{receiver.port}/hook",
            secret="whsec_c2VjcmV0",
            event_id="e",
            body="{}",
        )
    finally:
        await sender.aclose()
    assert receiver.received == []
    assert attempt.status_code is None and attempt.error is not None
    assert given == ["93.184.215.14"]  # resolved once, for the check


async def test_delivery__a_pinned_connection_keeps_the_host_name(
    tenant: Tenant, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The receiver sees the name it was given in Host, not the address connected to."""
    _rebinding_name(monkeypatch, "hooks.example", "127.0.0.1")
    sender = WebhookSender(tenant.server.db, tenant.server.app.state.settings)
    try:
        attempt = await sender.attempt(
            f"http://hooks.example:{receiver.port}/hook",
            secret="whsec_c2VjcmV0",
            event_id="e",
            body="{}",
        )
    finally:
        await sender.aclose()
    assert attempt.ok, attempt
    [request] = receiver.received
    assert request.headers["host"] == f"hooks.example:{receiver.port}"


async def test_delivery__a_proxy_named_in_the_environment_is_not_used(
    tenant: Tenant, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A proxy would resolve the name again itself, undoing the check of its address."""
    proxy = await Receiver().start()
    try:
        for name in ("HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
            monkeypatch.setenv(name, f"http://127.0.0.1:{proxy.port}")
        for name in ("NO_PROXY", "no_proxy"):
            monkeypatch.delenv(name, raising=False)
        _rebinding_name(monkeypatch, "hooks.example", "127.0.0.1")
        sender = WebhookSender(tenant.server.db, tenant.server.app.state.settings)
        try:
            attempt = await sender.attempt(
                f"http://hooks.example:{receiver.port}/hook",
                secret="whsec_c2VjcmV0",
                event_id="e",
                body="{}",
            )
        finally:
            await sender.aclose()
    finally:
        await proxy.stop()
    assert attempt.ok, attempt
    assert proxy.received == []
    assert [r.path for r in receiver.received] == ["/hook"]
