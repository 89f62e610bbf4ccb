"""/webhook: subscribe, list, get, unsubscribe; tenancy, validation and the SSRF rule."""

from __future__ import annotations

import base64
import ipaddress
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests import support
from tests.support import Server, Tenant, assert_problem, new_tenant, running
from tests.webhooks.receiver import Receiver

EVENTS = ["message.status", "contact.created"]


async def test_subscribe__answers_201_with_the_secret_shown_once(
    tenant: Tenant, receiver: Receiver
) -> None:
    reply = await tenant.api.post("/webhook/", json={"targetUrl": receiver.url(), "events": EVENTS})
    assert reply.status_code == 201, reply.text
    body = reply.json()
    assert body["secret"].startswith("whsec_")
    assert len(base64.b64decode(body["secret"].removeprefix("whsec_"))) >= 24
    assert body["targetUrl"] == receiver.url()
    assert sorted(body["events"]) == sorted(EVENTS)
    assert body["apiAccountId"] is None
    hook_id = body["webhookId"]
    for path in (f"/webhook/{hook_id}", f"/webhooks/{hook_id}/"):
        shown = await tenant.api.get(path)
        assert shown.status_code == 200
        assert "secret" not in shown.json()
        assert shown.json()["webhookId"] == hook_id
    listed = (await tenant.api.get("/webhooks")).json()
    assert listed["paging"]["recordCount"] == 1
    assert [h["webhookId"] for h in listed["items"]] == [hook_id]


async def test_unsubscribe__is_204_then_404(tenant: Tenant, receiver: Receiver) -> None:
    reply = await tenant.api.post("/webhook", json={"targetUrl": receiver.url(), "events": EVENTS})
    hook_id = reply.json()["webhookId"]
    assert (await tenant.api.delete(f"/webhook/{hook_id}")).status_code == 204
    assert_problem(await tenant.api.get(f"/webhook/{hook_id}"), 404)
    assert_problem(await tenant.api.delete(f"/webhook/{hook_id}"), 404)
    await tenant.contact(inbound=False)
    assert (await tenant.api.get("/webhook")).json()["paging"]["recordCount"] == 0


async def test_subscribe__another_organisations_webhook_is_404(
    tenant: Tenant, other_tenant: Tenant, receiver: Receiver
) -> None:
    reply = await tenant.api.post("/webhook", json={"targetUrl": receiver.url(), "events": EVENTS})
    hook_id = reply.json()["webhookId"]
    for call in (
        other_tenant.api.get(f"/webhook/{hook_id}"),
        other_tenant.api.delete(f"/webhook/{hook_id}"),
        other_tenant.api.get(f"/webhook/{hook_id}/deliveries"),
        other_tenant.api.post(f"/webhook/{hook_id}/deliveries/{uuid.uuid4()}/retry"),
    ):
        assert_problem(await call, 404)
    assert (await other_tenant.api.get("/webhook")).json()["items"] == []
    foreign = await other_tenant.api.post(
        "/webhook",
        json={"targetUrl": receiver.url(), "events": EVENTS, "apiAccountId": tenant.account_id},
    )
    assert_problem(foreign, 404)


async def test_subscribe__agents_manage_only_their_accounts(
    tenant: Tenant, receiver: Receiver
) -> None:
    email, agent = await tenant.add_user(role="agent")
    try:
        org_wide = await agent.post(
            "/webhook", json={"targetUrl": receiver.url(), "events": EVENTS}
        )
        assert_problem(org_wide, 403)
        unseen = await agent.post(
            "/webhook",
            json={"targetUrl": receiver.url(), "events": EVENTS, "apiAccountId": tenant.account_id},
        )
        assert_problem(unseen, 404)
        await tenant.assign(email)
        mine = await agent.post(
            "/webhook",
            json={"targetUrl": receiver.url(), "events": EVENTS, "apiAccountId": tenant.account_id},
        )
        assert mine.status_code == 201, mine.text
        admins = await tenant.api.post(
            "/webhook", json={"targetUrl": receiver.url(), "events": EVENTS}
        )
        listed = (await agent.get("/webhook")).json()
        assert [h["webhookId"] for h in listed["items"]] == [mine.json()["webhookId"]]
        assert_problem(await agent.get(f"/webhook/{admins.json()['webhookId']}"), 404)
        # the admin sees both
        assert (await tenant.api.get("/webhook")).json()["paging"]["recordCount"] == 2
    finally:
        await agent.aclose()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"targetUrl": "ftp://example.com/hook", "events": EVENTS}, "targetUrl"),
        ({"targetUrl": "not a url", "events": EVENTS}, "targetUrl"),
        ({"targetUrl": "http://127.0.0.1:99999/x", "events": EVENTS}, "targetUrl"),
        ({"targetUrl": "http:///nohost", "events": EVENTS}, "targetUrl"),
        ({"targetUrl": "", "events": EVENTS}, "targetUrl"),
        ({"targetUrl": "http://127.0.0.1/x", "events": []}, "events"),
        ({"targetUrl": "http://127.0.0.1/x", "events": ["message.deleted"]}, "events.0"),
        ({"targetUrl": "http://127.0.0.1/x", "events": "message.status"}, "events"),
        ({"events": EVENTS}, "targetUrl"),
        (
            {"targetUrl": "http://127.0.0.1/x", "events": EVENTS, "apiAccountId": "x"},
            "apiAccountId",
        ),
    ],
)
async def test_subscribe__invalid_bodies_are_422_naming_the_field(
    tenant: Tenant, body: dict[str, object], field: str
) -> None:
    problem = assert_problem(await tenant.api.post("/webhook", json=body), 422)
    assert problem["errors"][0]["field"] == field


async def test_subscribe__malformed_ids_are_not_500(tenant: Tenant) -> None:
    for path in ("/webhook/nope", "/webhook/nope/deliveries"):
        reply = await tenant.api.get(path)
        assert reply.status_code in (404, 422)
    reply = await tenant.api.post("/webhook/nope/deliveries/also-nope/retry")
    assert reply.status_code in (404, 422)


@pytest.fixture(scope="module")
async def strict_server(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Server]:
    """A server as deployed: private addresses are not allowed as webhook targets."""
    settings = support.test_settings(
        Path(tmp_path_factory.mktemp("strict")), webhook_allow_private=False
    )
    async with running(settings) as live:
        yield live


PRIVATE_TARGETS = [
    "http://127.0.0.1:8000/hook",
    "http://localhost/hook",
    "https://[::1]/hook",
    "http://[::ffff:127.0.0.1]/hook",
    "http://10.1.2.3/hook",
    "http://192.168.0.10/hook",
    "http://172.16.0.1/hook",
    "http://169.254.169.254/latest/meta-data/",
    "http://[fd00:ec2::254]/",
    "http://0.0.0.0/",
    "http://100.64.0.1/",
]


async def test_subscribe__private_targets_are_refused(strict_server: Server) -> None:
    tenant = await new_tenant(strict_server)
    try:
        for url in PRIVATE_TARGETS:
            reply = await tenant.api.post("/webhook", json={"targetUrl": url, "events": EVENTS})
            problem = assert_problem(reply, 422)
            assert problem["errors"][0]["field"] == "targetUrl", url
            assert "public" in problem["detail"]
        assert (await tenant.api.get("/webhook")).json()["items"] == []
    finally:
        await tenant.api.aclose()


# IPv6 addresses that lead to a loopback or metadata IPv4 address all the same.
EMBEDDED_PRIVATE_TARGETS = [
    "http://[::127.0.0.1]/",  # IPv4-compatible
    "http://[::ffff:169.254.169.254]/",  # IPv4-mapped
    "http://[64:ff9b::7f00:1]/",  # NAT64, well-known prefix
    "http://[64:ff9b::a9fe:a9fe]/",
    "http://[64:ff9b:1::a9fe:a9fe]/",  # NAT64, local-use prefix
    "http://[2002:7f00:1::]/",  # 6to4
    "http://[2002:a9fe:a9fe::]/",
    "http://[2001:0:4136:e378:8000:63bf:80ff:fffe]/",  # Teredo, client 127.0.0.1
]


@pytest.mark.parametrize("url", EMBEDDED_PRIVATE_TARGETS)
async def test_subscribe__ipv6_forms_of_private_addresses_are_refused(
    strict_server: Server, url: str
) -> None:
    tenant = await new_tenant(strict_server)
    try:
        reply = await tenant.api.post("/webhook", json={"targetUrl": url, "events": EVENTS})
        problem = assert_problem(reply, 422)
        assert problem["errors"][0]["field"] == "targetUrl"
        address = ipaddress.ip_address(url.split("[")[1].split("]")[0])
        assert f"resolves to {address}," in problem["detail"]
        assert (await tenant.api.get("/webhook")).json()["items"] == []
    finally:
        await tenant.api.aclose()


async def test_subscribe__ipv6_forms_of_public_addresses_are_accepted(
    strict_server: Server,
) -> None:
    tenant = await new_tenant(strict_server)
    try:
        for url in ("http://[2002:808:808::]/hook", "http://[64:ff9b::808:808]/hook"):
            reply = await tenant.api.post("/webhook", json={"targetUrl": url, "events": EVENTS})
            assert reply.status_code == 201, reply.text
    finally:
        await tenant.api.aclose()


async def test_subscribe__beyond_the_organisations_cap_is_422(
    data_dir: Path, receiver: Receiver
) -> None:
    """Every event is written once per subscription: an organisation has a bounded number."""
    async with running(support.test_settings(data_dir, webhook_max_subscriptions=3)) as live:
        tenant = await new_tenant(live)
        other = await new_tenant(live)
        try:
            hooks = []
            for n in range(3):
                reply = await tenant.api.post(
                    "/webhook", json={"targetUrl": receiver.url(f"/{n}"), "events": EVENTS}
                )
                assert reply.status_code == 201, reply.text
                hooks.append(reply.json()["webhookId"])
            over = await tenant.api.post(
                "/webhook", json={"targetUrl": receiver.url("/3"), "events": EVENTS}
            )
            problem = assert_problem(over, 422)
            assert "3 webhook subscriptions" in problem["detail"]
            assert (await tenant.api.get("/webhook")).json()["paging"]["recordCount"] == 3
            # The cap is the organisation's: another one is not affected ...
            reply = await other.api.post(
                "/webhook", json={"targetUrl": receiver.url("/other"), "events": EVENTS}
            )
            assert reply.status_code == 201, reply.text
            # ... and a deleted subscription makes room again.
            assert (await tenant.api.delete(f"/webhook/{hooks[0]}")).status_code == 204
            again = await tenant.api.post(
                "/webhook", json={"targetUrl": receiver.url("/3"), "events": EVENTS}
            )
            assert again.status_code == 201, again.text
        finally:
            await tenant.api.aclose()
            await other.api.aclose()
