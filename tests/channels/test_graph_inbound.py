"""The Graph double's `POST /control/inbound`: each kind in Meta's shape, as msgboxx reads it.

Over HTTP: the control request, the signed webhook the double delivers (its
body is checked against Meta's shape), and the message msgboxx then shows.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.channels.conftest import CloudTenant, Graph
from tests.channels.test_cloud_api_kinds_e2e import our_message, reactions_of
from tests.channels.test_cloud_api_webhook import messages_of
from tests.support import fresh_number


@dataclass(frozen=True)
class Case:
    name: str
    request: dict[str, Any]
    meta: dict[str, Any]  # the webhook's message item, beside from/id/timestamp
    text: str
    content: dict[str, Any] | None = None
    type: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


FLOW_ANSWERS = {"flow_token": "tok-1", "size": "M"}
CASES = [
    Case(
        "location",
        {"type": "location", "location": {"latitude": 51.5, "longitude": -0.12, "name": "Shop"}},
        {"type": "location", "location": {"latitude": 51.5, "longitude": -0.12, "name": "Shop"}},
        "[location] Shop",
        {"latitude": 51.5, "longitude": -0.12, "name": "Shop"},
    ),
    Case(
        "contacts",
        {
            "type": "contacts",
            "contacts": [
                {"name": "Ann Lee", "phones": [{"phone": "+1 555 0101", "waId": "15550101"}]}
            ],
        },
        {
            "type": "contacts",
            "contacts": [
                {
                    "name": {"formatted_name": "Ann Lee"},
                    "phones": [{"phone": "+1 555 0101", "wa_id": "15550101"}],
                }
            ],
        },
        "[contacts] Ann Lee, +1 555 0101",
        {
            "contacts": [
                {"name": "Ann Lee", "phones": [{"phone": "+1 555 0101", "waId": "15550101"}]}
            ]
        },
    ),
    Case(
        "button_reply",
        {"type": "interactive", "interactive": {"type": "button_reply", "id": "y", "title": "Yes"}},
        {
            "type": "interactive",
            "interactive": {"type": "button_reply", "button_reply": {"id": "y", "title": "Yes"}},
        },
        "Yes",
        {"interactive": "button_reply", "id": "y", "title": "Yes"},
    ),
    Case(
        "list_reply",
        {
            "type": "interactive",
            "interactive": {
                "type": "list_reply",
                "id": "r1",
                "title": "Red",
                "description": "Bright",
            },
        },
        {
            "type": "interactive",
            "interactive": {
                "type": "list_reply",
                "list_reply": {"id": "r1", "title": "Red", "description": "Bright"},
            },
        },
        "Red",
        {"interactive": "list_reply", "id": "r1", "title": "Red", "description": "Bright"},
    ),
    Case(
        "nfm_reply",
        {
            "type": "interactive",
            "interactive": {"type": "nfm_reply", "body": "Sent", "response": FLOW_ANSWERS},
        },
        {
            "type": "interactive",
            "interactive": {
                "type": "nfm_reply",
                "nfm_reply": {
                    "name": "flow",
                    "body": "Sent",
                    "response_json": json.dumps(FLOW_ANSWERS, separators=(",", ":")),
                },
            },
        },
        "Sent",
        {"interactive": "nfm_reply", "name": "flow", "body": "Sent", "response": FLOW_ANSWERS},
    ),
    Case(
        "button",
        {"type": "button", "button": {"text": "Stop promotions", "payload": "STOP_PROMO"}},
        {"type": "button", "button": {"text": "Stop promotions", "payload": "STOP_PROMO"}},
        "Stop promotions",
        {"text": "Stop promotions", "payload": "STOP_PROMO"},
    ),
    Case(
        "order",
        {
            "type": "order",
            "order": {
                "catalogId": "cat-1",
                "productItems": [
                    {
                        "productRetailerId": "sku-1",
                        "quantity": 2,
                        "itemPrice": 9.5,
                        "currency": "EUR",
                    }
                ],
            },
        },
        {
            "type": "order",
            "order": {
                "catalog_id": "cat-1",
                "product_items": [
                    {
                        "product_retailer_id": "sku-1",
                        "quantity": 2,
                        "item_price": 9.5,
                        "currency": "EUR",
                    }
                ],
            },
        },
        "[order] 2 items",
        {
            "catalogId": "cat-1",
            "productItems": [
                {"productRetailerId": "sku-1", "quantity": 2, "itemPrice": 9.5, "currency": "EUR"}
            ],
        },
    ),
    Case(
        "referral",
        {
            "text": "Is it in stock?",
            "referral": {"sourceUrl": "https://fb.me/x", "sourceId": "ad-7", "ctwaClid": "clid"},
        },
        {
            "type": "text",
            "text": {"body": "Is it in stock?"},
            "referral": {
                "source_url": "https://fb.me/x",
                "source_type": "ad",
                "source_id": "ad-7",
                "ctwa_clid": "clid",
            },
        },
        "Is it in stock?",
        {
            "referral": {
                "sourceUrl": "https://fb.me/x",
                "sourceType": "ad",
                "sourceId": "ad-7",
                "ctwaClid": "clid",
            }
        },
    ),
    Case(
        "image",
        {
            "type": "image",
            "media": {"id": "media-1", "mimeType": "image/png", "sha256": "abc=", "caption": "Hi"},
        },
        {
            "type": "image",
            "image": {"id": "media-1", "mime_type": "image/png", "sha256": "abc=", "caption": "Hi"},
        },
        "[image] Hi",
        # The caption and file name are kept with the message (its media shows them).
        {"caption": "Hi"},
    ),
    Case(
        "voice",
        {"type": "audio", "media": {"id": "media-2", "mimeType": "audio/ogg", "voice": True}},
        {"type": "audio", "audio": {"id": "media-2", "mime_type": "audio/ogg", "voice": True}},
        "[audio]",
    ),
    Case(
        "document",
        {
            "type": "document",
            "media": {"id": "media-3", "mimeType": "application/pdf", "filename": "a.pdf"},
        },
        {
            "type": "document",
            "document": {"id": "media-3", "mime_type": "application/pdf", "filename": "a.pdf"},
        },
        "[document] a.pdf",
        # The caption and file name are kept with the message (its media shows them).
        {"filename": "a.pdf"},
    ),
    Case(
        "sticker",
        {"type": "sticker", "media": {"id": "media-4", "mimeType": "image/webp", "animated": True}},
        {
            "type": "sticker",
            "sticker": {"id": "media-4", "mime_type": "image/webp", "animated": True},
        },
        "[sticker]",
    ),
    Case(
        "video with the old caption field",
        {"type": "video", "text": "Look", "media": {"id": "media-5", "mimeType": "video/mp4"}},
        {"type": "video", "video": {"id": "media-5", "mime_type": "video/mp4", "caption": "Look"}},
        "[video] Look",
        # The caption and file name are kept with the message (its media shows them).
        {"caption": "Look"},
    ),
    Case(
        "unsupported",
        {"type": "unsupported"},
        {"type": "unsupported"},
        "[unsupported] 131051 Message type unknown",
    ),
]


def delivered_item(graph: Graph, wamid: str) -> dict[str, Any]:
    """The message item of the webhook the double delivered (and msgboxx took) for ``wamid``."""
    for delivery in graph.double.deliveries:
        for entry in delivery["payload"]["entry"]:
            for change in entry["changes"]:
                for item in change["value"].get("messages", []):
                    if item["id"] == wamid:
                        assert delivery["status"] == 200
                        found: dict[str, Any] = item
                        return found
    raise AssertionError(f"no webhook carried {wamid}")


async def write_in(graph: Graph, cloud: CloudTenant, customer: str, **request: Any) -> str:
    reply = await graph.control.post(
        "/control/inbound",
        json={"phoneNumberId": cloud.phone_number_id, "from": customer, **request},
    )
    assert reply.status_code == 202, reply.text
    assert reply.json()["webhookStatus"] == 200
    wamid: str = reply.json()["id"]
    return wamid


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
async def test_control_inbound__sends_metas_shape_and_msgboxx_shows_it(
    graph: Graph, cloud: CloudTenant, case: Case
) -> None:
    customer = fresh_number()
    wamid = await write_in(graph, cloud, customer, **case.request)
    item = delivered_item(graph, wamid)
    assert item["from"] == customer.lstrip("+")
    assert item["timestamp"].isdigit()
    meta = {k: v for k, v in item.items() if k not in ("from", "id", "timestamp")}
    if case.name == "unsupported":
        assert meta.pop("errors")[0]["code"] == 131051
    assert meta == case.meta
    [shown] = await messages_of(cloud, customer)
    assert shown["message"] == case.text
    assert shown.get("content") == case.content
    kind = case.meta["type"]
    assert shown.get("type") == (None if kind == "text" else kind)


async def test_control_inbound__a_reaction_and_its_removal(
    graph: Graph, cloud: CloudTenant
) -> None:
    customer = fresh_number()
    message_id, wamid = await our_message(cloud, graph, customer)
    thumbs = await write_in(
        graph, cloud, customer, type="reaction", reaction={"messageId": wamid, "emoji": "👍"}
    )
    assert delivered_item(graph, thumbs)["reaction"] == {"message_id": wamid, "emoji": "👍"}
    removal = await write_in(graph, cloud, customer, type="reaction", reaction={"messageId": wamid})
    # Meta leaves the emoji out of a removal.
    assert delivered_item(graph, removal)["reaction"] == {"message_id": wamid}
    reactions = await reactions_of(cloud, customer)
    assert [r["content"].get("removed", False) for r in reactions] == [True, True]
    assert {r["content"]["messageId"] for r in reactions} == {message_id}


@pytest.mark.parametrize(
    "request_body",
    [
        {"type": "location"},  # a kind without its field
        {"type": "location", "location": {"latitude": 91, "longitude": 0}},
        {"type": "text", "media": {"id": "m"}},  # media on a kind that has none
        {"type": "order", "order": {"catalogId": "c", "productItems": []}},
        {"type": "reaction", "reaction": {"emoji": "👍"}},  # reacting to nothing
        {"type": "Not A Type"},
    ],
)
async def test_control_inbound__a_request_that_says_too_little_is_422(
    graph: Graph, request_body: dict[str, Any]
) -> None:
    number_id = uuid.uuid4().hex
    reply = await graph.control.post(
        "/control/inbound",
        json={"phoneNumberId": number_id, "from": "+447700900000", **request_body},
    )
    assert reply.status_code == 422, reply.text
    assert number_id not in str(list(graph.double.deliveries))  # nothing was sent
