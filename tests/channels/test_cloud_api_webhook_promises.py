"""What the webhook intake promises with real-shaped bodies: tenancy, odd text, races, shapes."""

from __future__ import annotations

import asyncio
import json
import re
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.channels.conftest import CloudTenant, Graph, connect
from tests.channels.test_cloud_api_webhook import (
    messages_of,
    payload,
    post,
    quiet_message,
    record_a_send_now,
)
from tests.support import Server, Tenant, fresh_number, wait_for_status

ORG_B_SECRET = "org-b-chose-this-secret"


@pytest.fixture
async def org_b(cloud_server: Server) -> AsyncIterator[CloudTenant]:
    """Another organisation, with its own number and an app secret of its choosing."""
    tenant = await connect(cloud_server, app_secret=ORG_B_SECRET)
    try:
        yield tenant
    finally:
        await tenant.api.aclose()


async def contacts_of(tenant: CloudTenant) -> list[dict[str, Any]]:
    reply = await tenant.api.get(
        "/contact", params={"apiAccountId": tenant.account_id, "fromDate": "2020-01-01"}
    )
    assert reply.status_code == 200, reply.text
    return list(reply.json()["items"])


async def all_messages(tenant: CloudTenant, contact_id: str) -> list[dict[str, Any]]:
    reply = await tenant.api.get(
        "/message", params={"contactId": contact_id, "fromDate": "2020-01-01"}
    )
    return list(reply.json()["items"])


# --- 1. Nothing signed by one organisation touches another's ------------------------


@pytest.mark.parametrize("file", ["status_failed.json", "status_failed_unsubscribed.json"])
async def test_tenancy__another_orgs_failed_status_leaves_our_message_and_contact_alone(
    cloud: CloudTenant, org_b: CloudTenant, graph: Graph, clean_faults: None, file: str
) -> None:
    path, wamid, customer = await quiet_message(cloud, graph)
    # Signed with B's secret: once naming B's own number, once naming A's.
    for named in (org_b, cloud):
        raw = payload(file, named, customer=customer, outbound=wamid)
        reply = await post(org_b, raw, secret=ORG_B_SECRET)
        assert reply.status_code == 200, reply.text
    body = (await cloud.api.get(path)).json()
    assert (body["status"], body["failureReason"], body["failedAt"]) == ("Sent", None, None)
    [contact] = (await cloud.api.get("/contact", params={"mobileNumber": customer})).json()["items"]
    assert contact["status"] == "Subscribed"
    # Our own report still applies.
    await post(cloud, payload(file, cloud, customer=customer, outbound=wamid))
    assert (await cloud.api.get(path)).json()["status"] == "Failed"


async def test_tenancy__another_orgs_report_held_before_our_send_is_never_applied(
    cloud: CloudTenant, org_b: CloudTenant, graph: Graph
) -> None:
    customer = fresh_number()
    contact_id = await cloud.customer_writes(graph, customer)
    wamid = f"wamid.early.{uuid.uuid4().hex}"
    raw = payload("status_failed.json", org_b, customer=customer, outbound=wamid)
    assert (await post(org_b, raw, secret=ORG_B_SECRET)).status_code == 200
    # Our dispatcher records the id only now (the network reported first).
    outbound_id = await record_a_send_now(cloud, contact_id=contact_id, wamid=wamid)
    body = (await cloud.api.get(f"/message/{outbound_id}")).json()
    assert (body["status"], body["failureReason"]) == ("Sent", None)


async def test_tenancy__another_org_naming_our_business_account_cannot_pause_our_template(
    cloud: CloudTenant, cloud_server: Server, graph: Graph, clean_faults: None
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
    [stored] = [t for t in graph.double.templates if t.name == approved["name"]]
    intruder = await connect(cloud_server, app_secret=ORG_B_SECRET, waba_id=cloud.waba_id)
    try:
        raw = payload("template_paused.json", intruder, customer=fresh_number())
        raw = raw.replace(b"806312974732579", stored.id.encode()).replace(
            b'"order_update"', json.dumps(approved["name"]).encode()
        )
        assert (await post(intruder, raw, secret=ORG_B_SECRET)).status_code == 200
    finally:
        await intruder.api.aclose()
    assert (await cloud.api.get(path)).json()["status"] == "Approved"


# --- 2. NUL characters from WhatsApp ---------------------------------------------------


async def test_nul__text_with_nul_is_stored_without_it(cloud: CloudTenant) -> None:
    customer = fresh_number()
    raw = payload("nul.json", cloud, customer=customer)
    first, repeat = await post(cloud, raw), await post(cloud, raw)
    assert (first.status_code, repeat.status_code) == (200, 200), first.text
    assert (first.json()["inbound"], repeat.json()["inbound"]) == (2, 0)
    stored = await messages_of(cloud, customer)
    assert sorted(m["message"] for m in stored) == ["Hello there", "[image] Look"]
    contact = (await cloud.api.get(f"/contact/{stored[0]['contactId']}")).json()
    assert contact["name"] == "Sheena Nelson"


# --- 3. Concurrent messages from one new customer -------------------------------------


async def test_concurrency__twenty_messages_from_one_new_number_make_one_contact(
    cloud: CloudTenant,
) -> None:
    customer = fresh_number()
    bodies = [
        payload("text.json", cloud, customer=customer).replace(
            b"Does it come in another color?", f"Message {n}".encode()
        )
        for n in range(20)
    ]
    replies = await asyncio.gather(*(post(cloud, raw) for raw in bodies))
    assert [r.status_code for r in replies] == [200] * 20, [r.text for r in replies]
    [contact] = await contacts_of(cloud)
    assert contact["mobileNumber"] == customer
    stored = await all_messages(cloud, contact["contactId"])
    assert sorted(m["message"] for m in stored) == sorted(f"Message {n}" for n in range(20))


async def test_concurrency__the_contact_race_needs_no_retry_of_the_batch(tenant: Tenant) -> None:
    """The same contact rule serves ``/sandbox/inbound``, which writes once, without retry."""
    customer = fresh_number()

    async def writes(n: int) -> int:
        reply = await tenant.api.post(
            "/sandbox/inbound",
            json={"from": customer, "to": tenant.phone_number, "text": f"Message {n}"},
        )
        return reply.status_code

    assert await asyncio.gather(*(writes(n) for n in range(20))) == [202] * 20
    found = (await tenant.api.get("/contact", params={"mobileNumber": customer})).json()
    assert len(found["items"]) == 1


# --- 4. Real shapes ------------------------------------------------------------------


async def test_shapes__what_we_cannot_read_is_skipped_and_the_rest_stored(
    cloud: CloudTenant, graph: Graph, clean_faults: None
) -> None:
    path, wamid, customer = await quiet_message(cloud, graph)
    reply = await post(
        cloud, payload("partly_unreadable.json", cloud, customer=customer, outbound=wamid)
    )
    assert reply.status_code == 200, reply.text
    texts = sorted(
        m["message"] for m in await messages_of(cloud, customer) if m["direction"] == "Inbound"
    )
    assert texts == ["Also kept", "From a later entry", "Hi", "Kept"]
    assert (await cloud.api.get(path)).json()["status"] == "Delivered"


@pytest.mark.parametrize("file", ["invalid_timestamp.json", "missing_metadata.json"])
async def test_shapes__a_body_of_only_unreadable_items_is_200_and_changes_nothing(
    cloud: CloudTenant, file: str
) -> None:
    customer = fresh_number()
    reply = await post(cloud, payload(file, cloud, customer=customer))
    assert reply.status_code == 200, reply.text
    assert await messages_of(cloud, customer) == []


BSUID = "US.13491208655302741918"


async def test_shapes__a_user_known_by_user_id_only_is_a_contact_without_number(
    cloud: CloudTenant,
) -> None:
    customer = fresh_number()
    reply = await post(cloud, payload("username_only.json", cloud, customer=customer))
    assert (reply.status_code, reply.json()["inbound"]) == (200, 1), reply.text
    [contact] = await contacts_of(cloud)
    assert (contact["mobileNumber"], contact["whatsappUserId"], contact["name"]) == (
        None,
        BSUID,
        "Sheena Nelson",
    )
    [stored] = await all_messages(cloud, contact["contactId"])
    assert stored["message"] == "Hi, it's me"
    # A later message with both: the same contact, now with its number.
    reply = await post(cloud, payload("username_with_number.json", cloud, customer=customer))
    assert (reply.status_code, reply.json()["inbound"]) == (200, 1), reply.text
    [contact] = await contacts_of(cloud)
    assert (contact["mobileNumber"], contact["whatsappUserId"]) == (customer, BSUID)
    assert len(await all_messages(cloud, contact["contactId"])) == 2
    # Existing clients still create contacts by number only.
    refused = await cloud.api.post("/contact", json={"apiAccountId": cloud.account_id})
    assert refused.status_code == 422


async def test_shapes__a_reply_to_a_user_known_by_user_id_only_fails_saying_why(
    cloud: CloudTenant,
) -> None:
    """Sending to a user id is not built yet: the reason must not say the contact was erased."""
    reply = await post(cloud, payload("username_only.json", cloud, customer=fresh_number()))
    assert (reply.status_code, reply.json()["inbound"]) == (200, 1), reply.text
    [contact] = await contacts_of(cloud)
    sent = await cloud.api.post(
        "/message",
        json={
            "apiAccountId": cloud.account_id,
            "contactId": contact["contactId"],
            "message": "Thanks, we will look into it.",
        },
    )
    assert sent.status_code == 201, sent.text
    failed = await wait_for_status(cloud.api, f"/message/{sent.json()['messageId']}", "Failed")
    assert "no phone number" in failed["failureReason"]
    assert "erased" not in failed["failureReason"]


@pytest.mark.parametrize("file", ["group.json", "bad_sender.json"])
async def test_shapes__group_and_non_numeric_senders_are_skipped(
    cloud: CloudTenant, file: str
) -> None:
    reply = await post(cloud, payload(file, cloud, customer=fresh_number()))
    assert (reply.status_code, reply.json()["inbound"]) == (200, 0), reply.text
    assert await contacts_of(cloud) == []


async def test_shapes__a_changed_number_moves_the_contact_and_is_no_message(
    cloud: CloudTenant,
) -> None:
    customer, new_number = fresh_number(), fresh_number()
    assert (await post(cloud, payload("text.json", cloud, customer=customer))).status_code == 200
    raw = payload("system_changed_number.json", cloud, customer=customer)
    raw = raw.replace(b"16505550000", new_number.lstrip("+").encode())
    assert (await post(cloud, raw)).status_code == 200
    [contact] = await contacts_of(cloud)
    assert contact["mobileNumber"] == new_number
    [stored] = await all_messages(cloud, contact["contactId"])
    assert stored["message"] == "Does it come in another color?"


async def test_status__failed_reported_before_our_sent_time_keeps_the_order(
    cloud: CloudTenant, graph: Graph, clean_faults: None
) -> None:
    path, wamid, customer = await quiet_message(cloud, graph)
    raw = payload("status_failed.json", cloud, customer=customer, outbound=wamid)
    earlier = int(time.time()) - 3600
    raw = re.sub(rb'"timestamp":"\d+"', f'"timestamp":"{earlier}"'.encode(), raw)
    assert (await post(cloud, raw)).status_code == 200
    body = (await cloud.api.get(path)).json()
    assert body["status"] == "Failed"
    assert body["sentAt"] <= body["failedAt"]
