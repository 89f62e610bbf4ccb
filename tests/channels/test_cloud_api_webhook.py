"""``/channels/whatsapp/webhook``: verification, signatures, and each report applied once."""

from __future__ import annotations

import json
import re
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from msgboxx.channels.cloud_api.router import PATH
from msgboxx.channels.cloud_api.webhook import sign
from msgboxx.db import utcnow
from msgboxx.messages import service as messages
from msgboxx.messages.models import Message
from tests.channels.conftest import APP_SECRET, CloudTenant, Graph
from tests.support import assert_problem, fresh_number, wait_for_status

TESTDATA = Path(__file__).parent / "testdata"


def payload(name: str, tenant: CloudTenant, *, customer: str, outbound: str = "") -> bytes:
    """A testdata body addressed to this tenant's number, customer and message."""
    run = uuid.uuid4().hex[:12]
    text = (TESTDATA / name).read_text().strip()
    text = text.replace("wamid.OUTBOUND", outbound or f"wamid.unknown.{run}")
    text = text.replace("wamid.HBgL", f"wamid.{run}.HBgL")
    text = text.replace("wamid.SEVERAL", f"wamid.{run}.SEVERAL")
    text = text.replace("106540352242922", tenant.phone_number_id)
    text = text.replace("102290129340398", tenant.waba_id)
    # Customer messages happened just now, so that they open the 24-hour window.
    now = int(time.time())
    text = re.sub(r'"timestamp":"1749416\d+"', f'"timestamp":"{now}"', text)
    # Statuses keep their order (sent 773 < delivered 774 < read 780 < failed 790).
    text = re.sub(
        r'"timestamp":"1750263(\d+)"', lambda m: f'"timestamp":"{now + int(m[1]) - 773}"', text
    )
    return text.replace("16505551234", customer.lstrip("+")).encode()


async def post(
    tenant: CloudTenant, raw: bytes, *, secret: str | None = APP_SECRET
) -> httpx.Response:
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers["X-Hub-Signature-256"] = sign(raw, app_secret=secret)
    async with tenant.server.client() as client:
        return await client.post(PATH, content=raw, headers=headers)


async def messages_of(tenant: CloudTenant, number: str) -> list[dict[str, Any]]:
    contacts = (await tenant.api.get("/contact", params={"mobileNumber": number})).json()
    if not contacts["items"]:
        return []
    contact_id = contacts["items"][0]["contactId"]
    reply = await tenant.api.get(
        "/message", params={"contactId": contact_id, "fromDate": "2020-01-01"}
    )
    return list(reply.json()["items"])


# --- Verification -----------------------------------------------------------


async def test_verify__right_token_answers_the_raw_challenge(cloud: CloudTenant) -> None:
    async with cloud.server.client() as client:
        reply = await client.get(
            PATH,
            params={
                "hub.mode": "subscribe",
                "hub.verify_token": cloud.verify_token,
                "hub.challenge": "1158201444",
            },
        )
    assert reply.status_code == 200
    assert reply.text == "1158201444"


@pytest.mark.parametrize(
    "params",
    [
        {"hub.mode": "subscribe", "hub.verify_token": "wrong", "hub.challenge": "1"},
        {"hub.mode": "unsubscribe", "hub.verify_token": "TOKEN", "hub.challenge": "1"},
        {"hub.challenge": "1"},
    ],
)
async def test_verify__anything_else_is_403(cloud: CloudTenant, params: dict[str, str]) -> None:
    params = {k: v.replace("TOKEN", cloud.verify_token) for k, v in params.items()}
    async with cloud.server.client() as client:
        reply = await client.get(PATH, params=params)
    assert_problem(reply, 403)


# --- Signatures and shapes --------------------------------------------------


@pytest.mark.parametrize("secret", [None, "someone-elses-secret"])
async def test_receive__unsigned_or_wrongly_signed_is_401_and_changes_nothing(
    cloud: CloudTenant, secret: str | None
) -> None:
    customer = fresh_number()
    reply = await post(cloud, payload("text.json", cloud, customer=customer), secret=secret)
    assert_problem(reply, 401)
    assert await messages_of(cloud, customer) == []


async def test_receive__signature_over_other_bytes_is_401(cloud: CloudTenant) -> None:
    customer = fresh_number()
    raw = payload("text.json", cloud, customer=customer)
    headers = {"X-Hub-Signature-256": sign(raw + b" ", app_secret=APP_SECRET)}
    async with cloud.server.client() as client:
        reply = await client.post(PATH, content=raw, headers=headers)
    assert_problem(reply, 401)
    assert await messages_of(cloud, customer) == []


@pytest.mark.parametrize("file", ["truncated.json", "not_an_object.json"])
async def test_receive__malformed_body_is_400_and_changes_nothing(
    cloud: CloudTenant, file: str
) -> None:
    customer = fresh_number()
    reply = await post(cloud, payload(file, cloud, customer=customer))
    assert_problem(reply, 400)
    assert await messages_of(cloud, customer) == []


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"null",
        b'"text"',
        b"{}",
        b'{"object": "whatsapp_business_account"}',
        b'{"object": "whatsapp_business_account", "entry": [{"id": 1}]}',
        b'{"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [{}]}]}',
        b'{"object": "whatsapp_business_account", "entry": "x"}',
        b'{"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": '
        b'[{"field": "messages", "value": {"metadata": {"phone_number_id": 5}}}]}]}',
        b'{"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": '
        b'[{"field": "message_template_status_update", "value": {"event": 1}}]}]}',
        "\u00e9\u0000".encode(),
    ],
)
async def test_receive__odd_bodies_never_make_a_500(cloud: CloudTenant, raw: bytes) -> None:
    reply = await post(cloud, raw)
    assert reply.status_code in (200, 400), reply.text
    assert reply.headers["content-type"].startswith(
        ("application/json", "application/problem+json")
    )


@pytest.mark.parametrize("file", ["unknown_field.json", "not_whatsapp.json", "status_unknown.json"])
async def test_receive__shapes_we_do_not_use_are_200_and_ignored(
    cloud: CloudTenant, file: str
) -> None:
    reply = await post(cloud, payload(file, cloud, customer=fresh_number()))
    assert reply.status_code == 200, reply.text


async def test_receive__other_numbers_events_are_ignored(cloud: CloudTenant) -> None:
    reply = await post(cloud, (TESTDATA / "other_number.json").read_bytes())
    assert reply.status_code == 200
    assert reply.json()["inbound"] == 0


# --- Inbound messages ---------------------------------------------------------

INBOUND = [
    ("text.json", "text", "Does it come in another color?"),
    ("image.json", "image", "[image] This one"),
    ("audio.json", "audio", "[audio]"),
    ("button_reply.json", "interactive", "Change"),
    ("template_button.json", "button", "Yes, book it"),
    ("unknown_type.json", "unsupported", "[unsupported] 131051 Message type unknown"),
]


@pytest.mark.parametrize(("file", "kind", "text"), INBOUND, ids=[row[0] for row in INBOUND])
async def test_receive__inbound_is_stored_once_and_opens_the_window(
    cloud: CloudTenant, file: str, kind: str, text: str
) -> None:
    customer = fresh_number()
    raw = payload(file, cloud, customer=customer)
    first, repeat = await post(cloud, raw), await post(cloud, raw)
    assert (first.status_code, repeat.status_code) == (200, 200)
    assert (first.json()["inbound"], repeat.json()["inbound"]) == (1, 0)
    [stored] = await messages_of(cloud, customer)
    assert (stored["direction"], stored["status"], stored["message"]) == (
        "Inbound",
        "Received",
        text,
    )
    contact = (await cloud.api.get(f"/contact/{stored['contactId']}")).json()
    assert contact["name"] == "Sheena Nelson"
    reply = await cloud.api.post(
        "/message",
        json={"apiAccountId": cloud.account_id, "contactId": stored["contactId"], "message": "Hi!"},
    )
    assert reply.status_code == 201, reply.text


async def test_receive__several_entries_and_changes_in_one_request(cloud: CloudTenant) -> None:
    customer = fresh_number()
    reply = await post(cloud, payload("several.json", cloud, customer=customer))
    assert reply.status_code == 200
    assert sorted(m["message"] for m in await messages_of(cloud, customer)) == ["First", "Second"]


# --- Statuses -------------------------------------------------------------------


async def quiet_message(cloud: CloudTenant, graph: Graph) -> tuple[str, str, str]:
    """A message WhatsApp accepted whose reports we post ourselves: (path, wamid, customer)."""
    customer = fresh_number()
    contact_id = await cloud.customer_writes(graph, customer)
    await graph.control.post("/control/faults", json={"recipient": customer, "dropWebhooks": True})
    reply = await cloud.api.post(
        "/message",
        json={"apiAccountId": cloud.account_id, "contactId": contact_id, "message": "Hello"},
    )
    path = f"/message/{reply.json()['messageId']}"
    await wait_for_status(cloud.api, path, "Sent")
    async with cloud.server.db.tx(write=False) as tx:
        wamid = await tx.session.scalar(
            select(Message.provider_message_id).where(
                Message.id == uuid.UUID(reply.json()["messageId"])
            )
        )
    assert wamid is not None and wamid.startswith("wamid.")
    return path, wamid, customer


async def test_receive__statuses_only_move_forward_whatever_the_order(
    cloud: CloudTenant, graph: Graph, clean_faults: None
) -> None:
    path, wamid, customer = await quiet_message(cloud, graph)
    for file, expected in [
        ("status_delivered.json", "Delivered"),
        ("status_delivered.json", "Delivered"),  # a repeat
        ("status_read.json", "Read"),
        ("status_sent.json", "Read"),  # late
        ("status_delivered.json", "Read"),  # late and repeated
        ("status_failed.json", "Read"),  # too late to fail
    ]:
        reply = await post(cloud, payload(file, cloud, customer=customer, outbound=wamid))
        assert reply.status_code == 200
        body = (await cloud.api.get(path)).json()
        assert body["status"] == expected, file
    assert body["failureReason"] is None
    assert body["sentAt"] <= body["deliveredAt"] <= body["readAt"]


async def test_receive__failed_status_carries_metas_code_and_title(
    cloud: CloudTenant, graph: Graph, clean_faults: None
) -> None:
    path, wamid, customer = await quiet_message(cloud, graph)
    await post(cloud, payload("status_failed.json", cloud, customer=customer, outbound=wamid))
    body = (await cloud.api.get(path)).json()
    assert body["status"] == "Failed"
    assert body["failureReason"] == "131026 Message undeliverable"
    assert body["failedAt"] is not None


async def test_receive__report_before_the_id_is_recorded_is_kept_and_applied(
    cloud: CloudTenant, graph: Graph
) -> None:
    customer = fresh_number()
    contact_id = await cloud.customer_writes(graph, customer)
    wamid = f"wamid.early.{uuid.uuid4().hex}"
    for file in ("status_read.json", "status_sent.json", "status_read.json"):
        reply = await post(cloud, payload(file, cloud, customer=customer, outbound=wamid))
        assert reply.status_code == 200
    # The message exists but the dispatcher has not recorded the id yet.
    outbound_id = await record_a_send_now(cloud, contact_id=contact_id, wamid=wamid)
    body = (await cloud.api.get(f"/message/{outbound_id}")).json()
    assert body["status"] == "Read"
    assert body["readAt"] is not None


async def record_a_send_now(cloud: CloudTenant, *, contact_id: str, wamid: str) -> uuid.UUID:
    """An outbound message to the contact, its send recorded under ``wamid`` only now.

    As when the network's reports beat our record of the id they name.
    """
    async with cloud.server.db.tx(write=True) as tx:
        inbound = (
            await tx.session.scalars(
                select(Message).where(Message.contact_id == uuid.UUID(contact_id))
            )
        ).one()
        outbound = Message(
            account_id=inbound.account_id,
            inbox_id=inbound.inbox_id,
            contact_id=inbound.contact_id,
            conversation_id=inbound.conversation_id,
            direction="Outbound",
            kind="text",
            text="raced",
            status="Pending",
            created_at=utcnow(),
            attempts=1,
            next_attempt_at=utcnow() + timedelta(days=1),
            lease_owner="dispatcher-1",
            lease_until=utcnow() + timedelta(minutes=1),
        )
        tx.session.add(outbound)
        await tx.session.flush()
        sent = messages.SendOutcome(outbound.id, provider_message_id=wamid)
        await messages.record_sends(tx, owner="dispatcher-1", outcomes=[sent], at=utcnow())
        await tx.commit()
        return outbound.id


# --- Consent and templates ---------------------------------------------------------


async def test_receive__user_preferences_stop_and_resume_set_the_contact_status(
    cloud: CloudTenant, graph: Graph
) -> None:
    customer = fresh_number()
    contact_id = await cloud.customer_writes(graph, customer)
    for file, status in [
        ("user_preferences_stop.json", "Unsubscribed"),
        ("user_preferences_stop.json", "Unsubscribed"),
        ("user_preferences_resume.json", "Subscribed"),
    ]:
        reply = await post(cloud, payload(file, cloud, customer=customer))
        assert reply.status_code == 200
        assert (await cloud.api.get(f"/contact/{contact_id}")).json()["status"] == status


async def test_receive__template_status_update_sets_status_and_reason(
    cloud: CloudTenant, graph: Graph
) -> None:
    created = await cloud.api.post(
        "/template",
        json={
            "apiAccountId": cloud.account_id,
            "name": f"order_update_{uuid.uuid4().hex[:6]}",
            "templateText": "Hi {{1}}, your order {{2}} is on its way.",
            "templateExample": "Hi Pablo, your order 860198 is on its way.",
        },
    )
    assert created.status_code == 201, created.text
    path = f"/template/{created.json()['templateId']}"
    approved = await wait_for_status(cloud.api, path, "Approved")
    assert approved["providerStatus"] == "APPROVED"
    [stored] = [t for t in graph.double.templates if t.name == approved["name"]]
    raw = payload("template_paused.json", cloud, customer=fresh_number())
    raw = raw.replace(b"806312974732579", stored.id.encode()).replace(
        b'"order_update"', json.dumps(approved["name"]).encode()
    )
    assert (await post(cloud, raw)).status_code == 200
    paused = (await cloud.api.get(path)).json()
    assert (paused["status"], paused["providerStatus"]) == ("Rejected", "PAUSED")
    contact_id = await cloud.customer_writes(graph, fresh_number())
    refused = await cloud.api.post(
        "/broadcast",
        json={
            "apiAccountId": cloud.account_id,
            "contactId": contact_id,
            "templateId": approved["templateId"],
            "parameters": ["Pablo", "860198"],
        },
    )
    assert_problem(refused, 422)
