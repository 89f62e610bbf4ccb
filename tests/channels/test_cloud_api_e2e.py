"""msgboxx against the Cloud API double over real HTTP: sends, signed reports, faults."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.channels.conftest import ACCESS_TOKEN, CloudTenant, Graph
from tests.support import Server, assert_problem, fresh_number, wait_for_status

MSGBOXX = str(Path(sys.executable).with_name("msgboxx"))


async def send(cloud: CloudTenant, contact_id: str, text: str = "Hello") -> str:
    reply = await cloud.api.post(
        "/message",
        json={"apiAccountId": cloud.account_id, "contactId": contact_id, "message": text},
    )
    assert reply.status_code == 201, reply.text
    return f"/message/{reply.json()['messageId']}"


async def fault(graph: Graph, **fields: Any) -> None:
    reply = await graph.control.post("/control/faults", json=fields)
    assert reply.status_code == 204, reply.text


async def test_send__goes_pending_sent_delivered_read_by_signed_webhooks(
    cloud: CloudTenant, graph: Graph, clean_faults: None
) -> None:
    customer = fresh_number()
    contact_id = await cloud.customer_writes(graph, customer)
    path = await send(cloud, contact_id, "Your order has shipped")
    body = await wait_for_status(cloud.api, path, "Read")
    assert body["sentAt"] <= body["deliveredAt"] <= body["readAt"]
    [sent] = [s for s in graph.double.sent if s["body"]["to"] == customer]
    assert sent["phoneNumberId"] == cloud.phone_number_id
    assert sent["body"]["text"]["body"] == "Your order has shipped"
    # sent, delivered, read: each in a signed webhook we accepted, once
    assert sorted(accepted_statuses(graph, sent["id"])) == ["delivered", "read", "sent"]


def accepted_statuses(graph: Graph, wamid: str) -> list[str]:
    return [
        status["status"]
        for delivery in graph.double.deliveries
        if delivery["status"] == 200
        for entry in delivery["payload"]["entry"]
        for change in entry["changes"]
        for status in change["value"].get("statuses", [])
        if status["id"] == wamid
    ]


async def test_send__statuses_due_together_share_one_webhook_as_meta_batches_them(
    cloud: CloudTenant, graph: Graph, clean_faults: None
) -> None:
    customers = [fresh_number() for _ in range(6)]
    contacts = [await cloud.customer_writes(graph, c) for c in customers]
    paths = await asyncio.gather(*(send(cloud, c, "Batched") for c in contacts))
    for path in paths:
        await wait_for_status(cloud.api, path, "Read")
    wamids = {s["id"] for s in graph.double.sent if s["body"]["to"] in customers}
    carrying = [
        d
        for d in graph.double.deliveries
        if d["status"] == 200 and any(w in str(d["payload"]) for w in wamids)
    ]
    for wamid in wamids:
        assert sorted(accepted_statuses(graph, wamid)) == ["delivered", "read", "sent"]
    # 18 statuses went out in fewer webhooks, each holding only statuses.
    assert len(carrying) < 3 * len(wamids)
    assert all(
        set(change["value"]) == {"messaging_product", "metadata", "statuses"}
        for d in carrying
        for entry in d["payload"]["entry"]
        for change in entry["changes"]
    )


async def test_send__customer_message_by_webhook_opens_the_window(
    cloud: CloudTenant, graph: Graph
) -> None:
    customer = fresh_number()
    created = await cloud.api.post(
        "/contact", json={"mobileNumber": customer, "apiAccountId": cloud.account_id}
    )
    contact_id = created.json()["contactId"]
    closed = await cloud.api.post(
        "/message",
        json={"apiAccountId": cloud.account_id, "contactId": contact_id, "message": "Hi"},
    )
    assert_problem(closed, 422, slug="session-window-closed")
    assert await cloud.customer_writes(graph, customer, "Hello?") == contact_id
    await send(cloud, contact_id, "Hi")


async def test_send__duplicate_and_out_of_order_reports_end_in_read(
    cloud: CloudTenant, graph: Graph, clean_faults: None
) -> None:
    customer = fresh_number()
    contact_id = await cloud.customer_writes(graph, customer)
    await fault(graph, recipient=customer, duplicate=True, outOfOrder=True)
    body = await wait_for_status(cloud.api, await send(cloud, contact_id), "Read")
    assert body["sentAt"] and body["deliveredAt"] and body["readAt"]
    await asyncio.sleep(0.3)  # let the late copies arrive; nothing may move back
    assert (await cloud.api.get(f"/message/{body['messageId']}")).json()["status"] == "Read"


async def test_send__dropped_reports_leave_the_message_sent(
    cloud: CloudTenant, graph: Graph, clean_faults: None
) -> None:
    customer = fresh_number()
    contact_id = await cloud.customer_writes(graph, customer)
    await fault(graph, recipient=customer, dropWebhooks=True)
    body = await wait_for_status(cloud.api, await send(cloud, contact_id), "Sent")
    assert body["deliveredAt"] is None


PERMANENT = [
    (131026, "131026 Message undeliverable"),
    (131047, "131047 Re-engagement message"),
    (132001, "132001 Template does not exist"),
    (100, "100 Invalid parameter"),
    (131008, "131008 Required parameter is missing"),
    (131009, "131009 Parameter value is not valid"),
]


@pytest.mark.parametrize(("code", "reason"), PERMANENT)
async def test_send__permanent_error_fails_with_a_clear_reason(
    cloud: CloudTenant, graph: Graph, clean_faults: None, code: int, reason: str
) -> None:
    customer = fresh_number()
    contact_id = await cloud.customer_writes(graph, customer)
    await fault(graph, recipient=customer, errorCode=code)
    body = await wait_for_status(cloud.api, await send(cloud, contact_id), "Failed")
    assert body["failureReason"].startswith(reason), body["failureReason"]
    assert body["sentAt"] is None


@pytest.mark.parametrize(
    ("code", "status"), [(130429, 400), (131056, 400), (131000, 500), (2, 503)]
)
async def test_send__transient_error_is_retried_until_accepted(
    cloud: CloudTenant, graph: Graph, clean_faults: None, code: int, status: int
) -> None:
    customer = fresh_number()
    contact_id = await cloud.customer_writes(graph, customer)
    await fault(graph, recipient=customer, errorCode=code, httpStatus=status, times=1)
    body = await wait_for_status(cloud.api, await send(cloud, contact_id), "Read", timeout=20)
    assert body["failureReason"] is None
    assert len([s for s in graph.double.sent if s["body"]["to"] == customer]) == 1


async def test_send__timeout_is_retried(
    cloud: CloudTenant, graph: Graph, clean_faults: None
) -> None:
    customer = fresh_number()
    contact_id = await cloud.customer_writes(graph, customer)
    await fault(graph, recipient=customer, latency=2.5, times=1)  # msgboxx waits 2 s
    body = await wait_for_status(cloud.api, await send(cloud, contact_id), "Read", timeout=20)
    assert body["failureReason"] is None


async def test_send__failed_report_131050_unsubscribes_the_contact(
    cloud: CloudTenant, graph: Graph, clean_faults: None
) -> None:
    customer = fresh_number()
    contact_id = await cloud.customer_writes(graph, customer)
    await fault(graph, recipient=customer, failCode=131050)
    body = await wait_for_status(cloud.api, await send(cloud, contact_id), "Failed")
    assert body["failureReason"].startswith("131050 ")
    contact = (await cloud.api.get(f"/contact/{contact_id}")).json()
    assert contact["status"] == "Unsubscribed"


async def test_send__bad_token_fails_and_marks_the_channel_unhealthy_until_it_works(
    cloud: CloudTenant, graph: Graph, clean_faults: None
) -> None:
    customer = fresh_number()
    contact_id = await cloud.customer_writes(graph, customer)
    await fault(graph, phoneNumberId=cloud.phone_number_id, errorCode=190, httpStatus=401)
    body = await wait_for_status(cloud.api, await send(cloud, contact_id), "Failed")
    assert body["failureReason"].startswith("190 Access token has expired or is invalid")
    account = await _eventually_channel_status(cloud, "unhealthy")
    assert "190" in account["channelStatusReason"]
    async with cloud.server.client() as client:
        ready = await client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["database"] == "ok"
    assert ready.json()["channels"]["status"] == "degraded"
    await graph.control.delete("/control/faults")
    await wait_for_status(cloud.api, await send(cloud, contact_id), "Read")
    await _eventually_channel_status(cloud, "ok")


async def _eventually_channel_status(cloud: CloudTenant, wanted: str) -> dict[str, Any]:
    for _ in range(200):
        reply = await cloud.api.get(f"/apiaccount/{cloud.account_id}")
        [account] = reply.json()["items"]
        if account["channelStatus"] == wanted:
            return dict(account)
        await asyncio.sleep(0.02)
    raise AssertionError(f"channelStatus never became {wanted}: {account}")


async def test_account__secrets_are_never_returned(cloud: CloudTenant) -> None:
    listed = (await cloud.api.get("/apiaccount")).text
    detail = (await cloud.api.get(f"/apiaccount/{cloud.account_id}")).text
    for text in (listed, detail):
        assert ACCESS_TOKEN not in text and "test-app-secret" not in text
        assert cloud.verify_token not in text
    [account] = (await cloud.api.get(f"/apiaccount/{cloud.account_id}")).json()["items"]
    assert account["channel"] == "cloud_api"
    assert account["phoneNumberId"] == cloud.phone_number_id


async def test_account__cloud_api_without_credentials_is_422(cloud: CloudTenant) -> None:
    reply = await cloud.api.post(
        "/apiaccount",
        json={"phoneNumber": fresh_number(), "name": "Half", "channel": "cloud_api"},
    )
    body = assert_problem(reply, 422)
    assert {e["field"] for e in body["errors"]} >= {"phoneNumberId", "accessToken", "appSecret"}


async def test_template__created_is_submitted_and_approved_or_rejected_by_webhook(
    cloud: CloudTenant,
) -> None:
    good = await cloud.api.post(
        "/template",
        json={
            "apiAccountId": cloud.account_id,
            "name": "follow_up",
            "templateText": "Hi {{1}}, shall we book a call about {{2}} this week?",
        },
    )
    bad = await cloud.api.post(
        "/template",
        json={
            "apiAccountId": cloud.account_id,
            "name": "ends_badly",
            "templateText": "Your code is {{1}}",
        },
    )
    assert (good.status_code, bad.status_code) == (201, 201)
    await wait_for_status(cloud.api, f"/template/{good.json()['templateId']}", "Approved")
    rejected = await wait_for_status(cloud.api, f"/template/{bad.json()['templateId']}", "Rejected")
    assert rejected["rejectionReason"] == "REJECTED: INVALID_FORMAT"


async def test_broadcast__template_goes_to_read_through_the_cloud_api(
    cloud: CloudTenant, graph: Graph, clean_faults: None
) -> None:
    created = await cloud.api.post(
        "/template",
        json={
            "apiAccountId": cloud.account_id,
            "name": "shipping",
            "templateText": "Hello {{1}}, order {{2}} left our warehouse.",
            "language": "en_GB",
        },
    )
    template_id = created.json()["templateId"]
    await wait_for_status(cloud.api, f"/template/{template_id}", "Approved")
    customer = fresh_number()
    contact = await cloud.api.post(
        "/contact", json={"mobileNumber": customer, "apiAccountId": cloud.account_id}
    )
    reply = await cloud.api.post(
        "/broadcast",
        json={
            "apiAccountId": cloud.account_id,
            "contactId": contact.json()["contactId"],
            "templateId": template_id,
            "message": "Hello Ana, order A-17 left our warehouse.",
        },
    )
    assert reply.status_code == 201, reply.text
    await wait_for_status(cloud.api, f"/broadcast/{reply.json()['broadcastId']}", "Read")
    [sent] = [s for s in graph.double.sent if s["body"]["to"] == customer]
    assert sent["body"]["template"] == {
        "name": "shipping",
        "language": {"code": "en_GB"},
        "components": [
            {
                "type": "body",
                "parameters": [{"type": "text", "text": "Ana"}, {"type": "text", "text": "A-17"}],
            }
        ],
    }


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_template_sync__cli_imports_templates_and_webhooks_keep_them_current(
    cloud: CloudTenant, cloud_server: Server, graph: Graph
) -> None:
    """Templates made in WhatsApp Manager appear after ``msgboxx admin template sync``."""
    async with httpx.AsyncClient(base_url=graph.base_url) as meta:
        for n in range(3):
            made = await meta.post(
                f"/v21.0/{cloud.waba_id}/message_templates",
                headers={"Authorization": f"Bearer {ACCESS_TOKEN}"},
                json={
                    "name": f"manager_{n}",
                    "language": "en",
                    "category": "MARKETING",
                    "components": [{"type": "BODY", "text": f"Offer {n} for {{{{1}}}} today."}],
                },
            )
            assert made.status_code == 200, made.text
    await asyncio.sleep(0.2)  # the double reviews them
    settings = cloud_server.app.state.settings
    env = {
        **os.environ,
        "MSGBOXX_DATA_DIR": str(settings.data_dir),
        "MSGBOXX_GRAPH_BASE_URL": graph.base_url,
        "MSGBOXX_DATABASE_URL": settings.resolved_database_url,
    }
    done = await asyncio.to_thread(
        subprocess.run,
        [MSGBOXX, "admin", "template", "sync", "--account", cloud.account_id],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "created 3" in done.stdout
    listed = (await cloud.api.get("/template", params={"apiAccountId": cloud.account_id})).json()
    imported = {t["name"]: t for t in listed["items"]}
    assert imported["manager_1"]["status"] == "Approved"
    assert imported["manager_1"]["templateText"] == "Offer 1 for {{1}} today."
    assert imported["manager_1"]["category"] == "MARKETING"
    remote = next(t for t in graph.double.templates if t.name == "manager_1")
    changed = await graph.control.post(
        f"/control/templates/{remote.id}/event", json={"event": "DISABLED"}
    )
    assert changed.json()["webhookStatus"] == 200
    after = (await cloud.api.get(f"/template/{imported['manager_1']['templateId']}")).json()
    assert (after["status"], after["providerStatus"]) == ("Rejected", "DISABLED")


async def test_sandbox_serve__standalone_process_speaks_the_graph_api() -> None:
    port = _free_port()
    process = subprocess.Popen(  # noqa: ASYNC220 - started once, waited for below
        [MSGBOXX, "sandbox", "serve", "--port", str(port)],
        env={**os.environ, "MSGBOXX_SANDBOX_ACCESS_TOKEN": "tok"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            for _ in range(300):
                try:
                    refused = await client.post("/v21.0/123/messages", json={})
                    break
                except httpx.TransportError:
                    await asyncio.sleep(0.05)
            assert refused.status_code == 401
            assert refused.json()["error"]["code"] == 190
            reply = await client.post(
                "/v21.0/123/messages",
                headers={"Authorization": "Bearer tok"},
                json={
                    "messaging_product": "whatsapp",
                    "to": "+447902111123",
                    "type": "text",
                    "text": {"body": "hi"},
                },
            )
        assert reply.status_code == 200
        assert reply.json()["messages"][0]["id"].startswith("wamid.")
    finally:
        process.terminate()
        process.wait(timeout=10)


async def test_send__a_burst_is_sent_once_each_and_recorded_without_waiting_for_a_lease(
    cloud: CloudTenant, graph: Graph, clean_faults: None
) -> None:
    """Every send the network accepted is recorded, even one that ends while others are.

    A send that finished while the batch's previous outcomes were being written
    was once left unrecorded: it stayed Pending until its lease (60 s) expired,
    and was then sent a second time.
    """
    customers = [fresh_number() for _ in range(120)]
    contacts = [await cloud.customer_writes(graph, c) for c in customers]
    paths = await asyncio.gather(*(send(cloud, c, "Burst") for c in contacts))
    deadline = asyncio.get_running_loop().time() + 20  # well inside the 60 s lease
    for path in paths:
        while (body := (await cloud.api.get(path)).json())["sentAt"] is None:
            assert asyncio.get_running_loop().time() < deadline, f"never sent: {body}"
            await asyncio.sleep(0.05)
    sends = [s["body"]["to"] for s in graph.double.sent if s["body"]["to"] in customers]
    assert sorted(sends) == sorted(customers)


async def test_send__reports_are_stamped_apart_by_their_delays(
    cloud: CloudTenant, graph: Graph, clean_faults: None
) -> None:
    """Delivered a second after Sent and Read a second after that, as the delays say.

    The double once stamped all three with the second it accepted the send, so
    the message was Sent, Delivered and Read in the same millisecond.
    """
    config = graph.double.config
    delays = (config.sent_delay, config.delivered_delay, config.read_delay)
    spaced = {"sentDelay": 0.0, "deliveredDelay": 1.0, "readDelay": 2.0}
    assert (await graph.control.put("/control/config", json=spaced)).status_code == 204
    try:
        customer = fresh_number()
        contact_id = await cloud.customer_writes(graph, customer)
        path = await send(cloud, contact_id, "Spaced out")
        body = await wait_for_status(cloud.api, path, "Read")
    finally:
        config.sent_delay, config.delivered_delay, config.read_delay = delays
    [sent] = [s for s in graph.double.sent if s["body"]["to"] == customer]

    def stamps() -> dict[str, int]:
        return {
            status["status"]: int(status["timestamp"])
            for delivery in graph.double.deliveries
            for entry in delivery["payload"]["entry"]
            for change in entry["changes"]
            for status in change["value"].get("statuses", [])
            if status["id"] == sent["id"]
        }

    # The double notes a delivery once our answer is back, which can be after we show Read.
    deadline = asyncio.get_running_loop().time() + 10
    while len(stamps()) < 3 and asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(0.05)
    seen = stamps()
    assert seen["delivered"] - seen["sent"] == 1
    assert seen["read"] - seen["delivered"] == 1
    assert body["sentAt"] <= body["deliveredAt"] < body["readAt"]
