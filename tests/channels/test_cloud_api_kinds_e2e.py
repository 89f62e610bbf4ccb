"""Every inbound kind end to end: a signed webhook in, ``type`` and ``content`` out.

Through the real webhook endpoint (bodies from ``testdata/``, signed as Meta
signs them) and through the Graph double's ``POST /control/inbound``; what a
client reads back is ``GET /message/{id}`` and the ``message.inbound`` event.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.channels.conftest import CloudTenant, Graph, connect
from tests.channels.test_cloud_api_kinds import KINDS, Kind
from tests.channels.test_cloud_api_webhook import messages_of, payload, post
from tests.support import Server, fresh_number, wait_until_sent
from tests.webhooks.receiver import Receiver, verify

# Reactions name a message of ours: they have tests of their own below.
PLAIN = [k for k in KINDS if k.kind != "reaction"]


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    live = await Receiver().start()
    try:
        yield live
    finally:
        await live.stop()


async def receive(cloud: CloudTenant, raw: bytes) -> dict[str, Any]:
    reply = await post(cloud, raw)
    assert reply.status_code == 200, reply.text
    answer: dict[str, Any] = reply.json()
    return answer


async def only_message(cloud: CloudTenant, customer: str) -> dict[str, Any]:
    """The customer's one message, as ``GET /message/{id}`` shows it."""
    [listed] = await messages_of(cloud, customer)
    reply = await cloud.api.get(f"/message/{listed['messageId']}")
    assert reply.status_code == 200, reply.text
    shown: dict[str, Any] = reply.json()
    # The list shows the same fields as the message itself; a media's status may
    # have moved on in between (its fetch runs in the background).
    moving = ("media",)
    assert {k: v for k, v in shown.items() if k not in moving} == {
        k: v for k, v in listed.items() if k not in moving
    }
    assert (shown.get("media") or {}).get("mediaId") == (listed.get("media") or {}).get("mediaId")
    return shown


def expect(shown: dict[str, Any], case: Kind) -> None:
    assert shown["message"] == case.text
    assert shown["direction"] == "Inbound"
    # ``type`` is shown for kinds the original API did not have; text keeps the old shape.
    assert shown.get("type") == (None if case.kind == "text" else case.kind)
    if case.media is None:
        assert shown.get("content") == case.content
        assert "media" not in shown
        return
    # A media message keeps its caption and file name with the message, and shows
    # its media (fetched in the background: pending, stored or failed by now).
    said = {"caption": case.media.caption, "filename": case.media.filename}
    kept = {key: value for key, value in said.items() if value is not None}
    assert shown.get("content") == ({**(case.content or {}), **kept} or None)
    assert shown["media"]["type"] == case.kind
    assert shown["media"]["url"] == f"/media/{shown['media']['mediaId']}"


@pytest.mark.parametrize("case", PLAIN, ids=[k.file for k in PLAIN])
async def test_receive__each_kind_shows_its_type_and_content(
    cloud: CloudTenant, case: Kind
) -> None:
    customer = fresh_number()
    answer = await receive(cloud, payload(case.file, cloud, customer=customer))
    assert answer["inbound"] == 1
    expect(await only_message(cloud, customer), case)


async def test_receive__the_inbound_event_carries_type_and_content(
    cloud: CloudTenant, receiver: Receiver
) -> None:
    hook = await cloud.api.post(
        "/webhook", json={"targetUrl": receiver.url(), "events": ["message.inbound"]}
    )
    assert hook.status_code == 201, hook.text
    customers = {case.file: fresh_number() for case in PLAIN}
    for case in PLAIN:
        await receive(cloud, payload(case.file, cloud, customer=customers[case.file]))
    got = await receiver.wait_for(lambda received: len(received) >= len(PLAIN))
    events = [verify(hook.json()["secret"], item) for item in got]
    by_id = {event["data"]["messageId"]: event["data"] for event in events}
    for case in PLAIN:
        shown = await only_message(cloud, customers[case.file])
        told = dict(by_id[shown["messageId"]])
        if case.media is None:
            assert told == shown, case.file
            continue
        # The event told of the media as the message arrived: pending, to be fetched.
        media = told.pop("media")
        assert media["status"] == "pending", case.file
        assert media["mediaId"] == shown["media"]["mediaId"], case.file
        assert told == {k: v for k, v in shown.items() if k != "media"}, case.file


# --- Reactions -----------------------------------------------------------------


async def our_message(cloud: CloudTenant, graph: Graph, customer: str) -> tuple[str, str]:
    """A message we sent the customer, Sent: our id and the wamid Meta gave it."""
    contact_id = await cloud.customer_writes(graph, customer)
    reply = await cloud.api.post(
        "/message",
        json={"apiAccountId": cloud.account_id, "contactId": contact_id, "message": "Your order"},
    )
    assert reply.status_code == 201, reply.text
    message_id = reply.json()["messageId"]
    # Handed to the double: Sent at least (its reports may take it on to Read at once).
    await wait_until_sent(cloud.api, f"/message/{message_id}")
    [sent] = [s for s in graph.double.sent if s["body"]["to"] == customer]
    return message_id, sent["id"]


def reaction(
    cloud: CloudTenant, *, customer: str, to: str, emoji: str | None, at: int | None = None
) -> tuple[bytes, str]:
    """A signed-ready reaction body (``emoji`` None: a removal) and its own wamid."""
    name = "reaction.json" if emoji is not None else "reaction_removed.json"
    body = json.loads(payload(name, cloud, customer=customer, outbound=to))
    [item] = body["entry"][0]["changes"][0]["value"]["messages"]
    item["id"] = f"wamid.{uuid.uuid4().hex}"
    if emoji is not None:
        item["reaction"]["emoji"] = emoji
    if at is not None:
        item["timestamp"] = str(at)
    return json.dumps(body).encode(), item["id"]


async def reactions_of(cloud: CloudTenant, customer: str) -> list[dict[str, Any]]:
    found = [m for m in await messages_of(cloud, customer) if m.get("type") == "reaction"]
    return sorted(found, key=lambda m: (m["dateTime"], m["message"]))


async def test_reaction__names_our_message_and_metas(cloud: CloudTenant, graph: Graph) -> None:
    customer = fresh_number()
    message_id, wamid = await our_message(cloud, graph, customer)
    raw, _ = reaction(cloud, customer=customer, to=wamid, emoji="\N{THUMBS UP SIGN}")
    assert (await receive(cloud, raw))["inbound"] == 1
    [shown] = await reactions_of(cloud, customer)
    assert shown["message"] == "[reaction] \N{THUMBS UP SIGN}"
    assert shown["content"] == {
        "emoji": "\N{THUMBS UP SIGN}",
        "messageId": message_id,
        "providerMessageId": wamid,
    }


async def test_reaction__a_new_one_replaces_and_a_removal_removes(
    cloud: CloudTenant, graph: Graph
) -> None:
    customer = fresh_number()
    message_id, wamid = await our_message(cloud, graph, customer)
    now = int(time.time())
    first, _ = reaction(cloud, customer=customer, to=wamid, emoji="\N{THUMBS UP SIGN}", at=now - 3)
    second, _ = reaction(
        cloud, customer=customer, to=wamid, emoji="\N{HEAVY BLACK HEART}", at=now - 2
    )
    await receive(cloud, first)
    await receive(cloud, second)
    thumbs, heart = await reactions_of(cloud, customer)
    assert heart["content"]["emoji"] == "\N{HEAVY BLACK HEART}"
    assert "removed" not in heart["content"]
    assert thumbs["content"] == {
        "emoji": "\N{THUMBS UP SIGN}",
        "messageId": message_id,
        "providerMessageId": wamid,
        "removed": True,
    }

    removal, _ = reaction(cloud, customer=customer, to=wamid, emoji=None, at=now - 1)
    assert (await receive(cloud, removal))["inbound"] == 1
    *_, heart, gone = await reactions_of(cloud, customer)
    assert heart["content"]["removed"] is True
    assert gone["message"] == "[reaction removed]"
    assert gone["content"] == {
        "emoji": None,
        "messageId": message_id,
        "providerMessageId": wamid,
        "removed": True,
    }
    # Delivered again, or with nothing left to remove: a no-op, and a 200.
    assert (await receive(cloud, removal))["inbound"] == 0
    again, _ = reaction(cloud, customer=customer, to=wamid, emoji=None, at=now)
    answer = await receive(cloud, again)
    assert (answer["inbound"], answer["ignored"]) == (0, 1)
    assert len(await reactions_of(cloud, customer)) == 3


async def test_reaction__removal_of_an_unknown_reaction_is_a_no_op(cloud: CloudTenant) -> None:
    customer = fresh_number()
    raw, _ = reaction(cloud, customer=customer, to="wamid.nobody.knows", emoji=None)
    answer = await receive(cloud, raw)
    assert (answer["inbound"], answer["ignored"]) == (0, 1)
    assert await reactions_of(cloud, customer) == []


async def test_reaction__one_delivered_late_does_not_undo_a_newer_one(
    cloud: CloudTenant, graph: Graph
) -> None:
    customer = fresh_number()
    _, wamid = await our_message(cloud, graph, customer)
    now = int(time.time())
    newer, _ = reaction(cloud, customer=customer, to=wamid, emoji="\N{HEAVY BLACK HEART}", at=now)
    older, _ = reaction(cloud, customer=customer, to=wamid, emoji="\N{THUMBS UP SIGN}", at=now - 5)
    await receive(cloud, newer)
    await receive(cloud, older)
    late, heart = await reactions_of(cloud, customer)
    assert late["content"]["emoji"] == "\N{THUMBS UP SIGN}"
    assert late["content"]["removed"] is True
    assert "removed" not in heart["content"]


async def test_reaction__to_another_accounts_message_names_only_metas_id(
    cloud: CloudTenant, graph: Graph, cloud_server: Server
) -> None:
    other = await connect(cloud_server)
    try:
        _, wamid = await our_message(other, graph, fresh_number())
    finally:
        await other.api.aclose()
    customer = fresh_number()
    raw, _ = reaction(cloud, customer=customer, to=wamid, emoji="\N{THUMBS UP SIGN}")
    await receive(cloud, raw)
    [shown] = await reactions_of(cloud, customer)
    assert shown["content"] == {"emoji": "\N{THUMBS UP SIGN}", "providerMessageId": wamid}


async def test_erasure__blanks_the_content_with_the_words(cloud: CloudTenant) -> None:
    customer = fresh_number()
    await receive(cloud, payload("location.json", cloud, customer=customer))
    shown = await only_message(cloud, customer)
    assert shown["content"]["latitude"] == 37.483307
    reply = await cloud.api.delete(f"/contact/{shown['contactId']}")
    assert reply.status_code == 204, reply.text
    erased = (await cloud.api.get(f"/message/{shown['messageId']}")).json()
    assert erased["message"] is None
    assert "content" not in erased
    assert erased["type"] == "location"  # the kind is a count, not the customer's words
