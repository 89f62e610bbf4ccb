"""Every event type reaches a real receiver, signed, with the API's own resource shapes."""

from __future__ import annotations

import asyncio
import re
import uuid
from typing import Any

from msgboxx.accounts.models import ApiAccount
from msgboxx.templates import service as templates
from msgboxx.templates.models import TemplateStatus
from tests.support import Tenant, fresh_number, wait_for_status
from tests.webhooks.receiver import Received, Receiver, verify

EVENT_ID = re.compile(r"^evt_[0-9a-f]{32}$")
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
ALL_EVENTS = [
    "message.created",
    "message.status",
    "message.inbound",
    "broadcast.status",
    "contact.created",
    "contact.updated",
]


async def subscribe(tenant: Tenant, url: str, events: list[str], **extra: Any) -> dict[str, Any]:
    reply = await tenant.api.post("/webhook", json={"targetUrl": url, "events": events, **extra})
    assert reply.status_code == 201, reply.text
    body: dict[str, Any] = reply.json()
    return body


def of_type(received: list[Received], kind: str) -> list[dict[str, Any]]:
    return [r.event for r in received if r.event["type"] == kind]


async def approved_template(tenant: Tenant) -> str:
    async with tenant.server.db.tx(write=True) as tx:
        account = await tx.session.get(ApiAccount, uuid.UUID(tenant.account_id))
        assert account is not None
        template = await templates.create(
            tx,
            account=account,
            name=f"follow_up_{uuid.uuid4().hex[:8]}",
            text="Hi {{1}}, your order is ready.",
            example="Hi John, your order is ready.",
            status=TemplateStatus.approved,
        )
        await tx.commit()
        return str(template.id)


async def test_events__every_type_arrives_signed_with_the_api_shapes(
    tenant: Tenant, receiver: Receiver
) -> None:
    hook = await subscribe(tenant, receiver.url(), ALL_EVENTS)
    number = fresh_number()
    contact_id = await tenant.contact(number=number)  # contact.created + message.inbound
    sent = await tenant.api.post(
        "/message",
        json={"apiAccountId": tenant.account_id, "contactId": contact_id, "message": "Hello"},
    )
    message_id = sent.json()["messageId"]
    await wait_for_status(tenant.api, f"/message/{message_id}", "Read")
    template_id = await approved_template(tenant)
    broadcast = await tenant.api.post(
        "/broadcast",
        json={
            "apiAccountId": tenant.account_id,
            "contactId": contact_id,
            "templateId": template_id,
            "parameters": ["John"],
        },
    )
    assert broadcast.status_code == 201, broadcast.text
    broadcast_id = broadcast.json()["broadcastId"]
    await wait_for_status(tenant.api, f"/broadcast/{broadcast_id}", "Read")
    await tenant.api.patch(f"/contact/{contact_id}", json={"name": "John"})
    stop = await tenant.api.post(
        "/sandbox/inbound", json={"from": number, "to": tenant.phone_number, "text": "STOP"}
    )
    assert stop.status_code == 202

    def complete(got: list[Received]) -> bool:
        statuses = [e["data"]["status"] for e in of_type(got, "broadcast.status")]
        updates = [e["data"]["status"] for e in of_type(got, "contact.updated")]
        return "Read" in statuses and "Unsubscribed" in updates

    got = await receiver.wait_for(complete)
    for item in got:
        event = verify(hook["secret"], item)
        assert EVENT_ID.match(event["id"])
        assert TIMESTAMP.match(event["timestamp"])
        assert event["type"] in ALL_EVENTS
    assert {r.event["type"] for r in got} == set(ALL_EVENTS)

    created = of_type(got, "contact.created")
    assert [e["data"]["contactId"] for e in created] == [contact_id]
    inbound = of_type(got, "message.inbound")
    assert [e["data"]["message"] for e in inbound] == ["Hi", "STOP"]
    assert all(e["data"]["status"] == "Received" for e in inbound)

    ours = [e for e in of_type(got, "message.status") if e["data"]["messageId"] == message_id]
    assert [e["data"]["status"] for e in ours] == ["Sent", "Delivered", "Read"]
    final = (await tenant.api.get(f"/message/{message_id}")).json()
    assert ours[-1]["data"] == final  # the same shape and values the API answers
    news = of_type(got, "message.created")
    assert news[0]["data"]["messageId"] == message_id
    assert news[0]["data"]["status"] == "Pending"

    flow = [e["data"]["status"] for e in of_type(got, "broadcast.status")]
    assert flow == ["Sent", "Delivered", "Read"]
    assert (
        of_type(got, "broadcast.status")[-1]["data"]
        == (await tenant.api.get(f"/broadcast/{broadcast_id}")).json()
    )

    updates = of_type(got, "contact.updated")
    assert [(e["data"]["name"], e["data"]["status"]) for e in updates] == [
        ("John", "Subscribed"),
        ("John", "Unsubscribed"),
    ]
    stamps = [r.event["timestamp"] for r in got]
    assert stamps == sorted(stamps)  # in the order they happened


async def test_events__only_the_subscribed_types_are_sent(
    tenant: Tenant, receiver: Receiver
) -> None:
    await subscribe(tenant, receiver.url(), ["contact.created"])
    await tenant.contact()
    await tenant.contact(inbound=False)
    got = await receiver.wait_for(lambda r: len(r) >= 2)
    assert [r.event["type"] for r in got] == ["contact.created", "contact.created"]


async def test_events__account_subscription_hears_only_that_account(
    tenant: Tenant, receiver: Receiver
) -> None:
    second = await tenant.api.post("/apiaccount", json={"phoneNumber": fresh_number(), "name": "B"})
    assert second.status_code == 201, second.text
    await subscribe(tenant, receiver.url("/a"), ["contact.created"], apiAccountId=tenant.account_id)
    await subscribe(tenant, receiver.url("/all"), ["contact.created"])
    other_account = second.json()["apiAccountId"]
    reply = await tenant.api.post(
        "/contact", json={"mobileNumber": fresh_number(), "apiAccountId": other_account}
    )
    assert reply.status_code == 201
    mine = await tenant.contact(inbound=False)
    await receiver.wait_for(lambda r: len(r) >= 3)
    assert [e["data"]["contactId"] for e in receiver.events("/a")] == [mine]
    assert len(receiver.events("/all")) == 2


async def test_events__another_organisation_hears_nothing(
    tenant: Tenant, other_tenant: Tenant, receiver: Receiver
) -> None:
    await subscribe(other_tenant, receiver.url("/other"), ALL_EVENTS)
    await subscribe(tenant, receiver.url("/mine"), ["contact.created"])
    await tenant.contact(inbound=False)
    await receiver.wait_for(lambda r: len(r) >= 1)
    await other_tenant.contact(inbound=False)
    await receiver.wait_for(lambda r: len(r) >= 2)
    assert len(receiver.events("/mine")) == 1
    assert [e["type"] for e in receiver.events("/other")] == ["contact.created"]


async def test_events__a_message_accepted_for_a_subscribed_account_is_announced(
    tenant: Tenant, receiver: Receiver
) -> None:
    second = await tenant.api.post("/apiaccount", json={"phoneNumber": fresh_number(), "name": "B"})
    assert second.status_code == 201, second.text
    other_account = second.json()["apiAccountId"]
    await subscribe(tenant, receiver.url("/b"), ["message.created"], apiAccountId=other_account)
    contact_id = await tenant.contact()
    quiet = await tenant.api.post(
        "/message",
        json={"apiAccountId": tenant.account_id, "contactId": contact_id, "message": "Hello"},
    )
    assert quiet.status_code == 201, quiet.text
    await wait_for_status(tenant.api, f"/message/{quiet.json()['messageId']}", "Read")
    await subscribe(
        tenant,
        receiver.url("/a"),
        ["message.created", "message.status"],
        apiAccountId=tenant.account_id,
    )
    heard = await tenant.api.post(
        "/message",
        json={"apiAccountId": tenant.account_id, "contactId": contact_id, "message": "Again"},
    )
    assert heard.status_code == 201, heard.text
    got = await receiver.wait_for(lambda r: len(r) >= 4)
    # Only the message accepted once its own account had a subscriber, from its
    # creation to every report the network sent about it.
    assert [(r.event["type"], r.event["data"]["messageId"]) for r in got] == [
        ("message.created", heard.json()["messageId"])
    ] + [("message.status", heard.json()["messageId"])] * 3
    assert [r.event["data"]["status"] for r in got] == ["Pending", "Sent", "Delivered", "Read"]
    assert receiver.events("/b") == []


async def test_events__every_subscriber_gets_each_event_it_asked_for_once(
    tenant: Tenant, receiver: Receiver
) -> None:
    """Many subscriptions: each event is delivered once to each that wants it, none to others."""
    everything = await subscribe(tenant, receiver.url("/all"), ALL_EVENTS)
    created = [
        await subscribe(tenant, receiver.url(f"/created/{n}"), ["message.created"])
        for n in range(20)
    ]
    of_account = await subscribe(
        tenant,
        receiver.url("/account"),
        ["contact.created", "message.created"],
        apiAccountId=tenant.account_id,
    )
    unrelated = await subscribe(tenant, receiver.url("/updated"), ["contact.updated"])
    contact_id = await tenant.contact()  # contact.created + message.inbound
    sent = await tenant.api.post(
        "/message",
        json={"apiAccountId": tenant.account_id, "contactId": contact_id, "message": "Hello"},
    )
    assert sent.status_code == 201, sent.text

    async def delivered(hook: dict[str, Any]) -> list[dict[str, Any]]:
        reply = await tenant.api.get(f"/webhook/{hook['webhookId']}/deliveries")
        items: list[dict[str, Any]] = reply.json()["items"]
        return items

    async def types_of(hook: dict[str, Any]) -> list[str]:
        return sorted(item["type"] for item in await delivered(hook))

    for hook in created:
        assert await types_of(hook) == ["message.created"]
    assert await types_of(of_account) == ["contact.created", "message.created"]
    assert await types_of(unrelated) == []
    assert {"contact.created", "message.inbound", "message.created"} <= set(
        await types_of(everything)
    )
    [message_created] = [
        item for item in await delivered(everything) if item["type"] == "message.created"
    ]
    same_event = {(await delivered(hook))[0]["eventId"] for hook in created}
    assert same_event == {message_created["eventId"]}
    deliveries = [item for hook in created for item in await delivered(hook)]
    assert len({item["deliveryId"] for item in deliveries}) == 20
    assert {uuid.UUID(item["deliveryId"]).version for item in deliveries} == {4}
    await receiver_gets(receiver, [f"/created/{n}" for n in range(20)] + ["/account", "/all"])


async def receiver_gets(receiver: Receiver, paths: list[str], *, within: float = 15) -> None:
    """Wait until the receiver had message.created at each path, exactly once."""
    deadline = asyncio.get_running_loop().time() + within
    while True:
        got = [r.path for r in receiver.received if r.event["type"] == "message.created"]
        if sorted(got) == sorted(paths) or asyncio.get_running_loop().time() > deadline:
            break
        await asyncio.sleep(0.05)
    assert sorted(got) == sorted(paths)
