"""A customer's message of any kind, from the control's request to Meta's webhook shape.

``POST /control/inbound`` takes a ``type`` and that kind's fields in camelCase
(like msgboxx's API, and like the ``content`` msgboxx shows for the kind); this
module writes the ``messages`` item Meta would send, snake_case and all:
https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/messages
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

from pydantic import JsonValue

from msgboxx.channels.sandbox.graph.schemas import (
    FIELD_OF_KIND,
    MEDIA,
    Button,
    Card,
    InboundRequest,
    Interactive,
    Location,
    Media,
    Order,
    Reaction,
    Referral,
)


def message(body: InboundRequest, *, wamid: str) -> dict[str, Any]:
    """The ``messages`` item Meta sends for this request."""
    item: dict[str, Any] = {
        "from": body.from_.lstrip("+"),
        "id": wamid,
        "timestamp": str(int(time.time())),
        "type": body.type,
    }
    kind = body.type
    if kind == "text":
        item["text"] = {"body": body.text or ""}
    elif kind in MEDIA:
        item[kind] = _media(kind, body.media or Media(), caption=body.text)
    elif kind == "unsupported":
        item["errors"] = [
            {
                "code": 131051,
                "title": "Message type unknown",
                "message": "Message type unknown",
                "error_data": {"details": "Message type is currently not supported."},
            }
        ]
    elif kind in FIELD_OF_KIND:
        item[kind] = _BUILDERS[kind](getattr(body, FIELD_OF_KIND[kind]))
    if body.referral is not None:
        item["referral"] = _referral(body.referral)
    return item


def _some(**fields: Any) -> dict[str, Any]:
    """Meta leaves out what it has no value for (an absent field, an empty list)."""
    return {name: value for name, value in fields.items() if value is not None and value != []}


def _media(kind: str, media: Media, *, caption: str | None) -> dict[str, Any]:
    found = _some(
        id=media.id or uuid.uuid4().hex,
        mime_type=media.mimeType or "application/octet-stream",
        sha256=media.sha256,
        caption=(media.caption or caption) if kind not in ("audio", "sticker") else None,
        filename=media.filename if kind == "document" else None,
    )
    if kind == "audio":
        found["voice"] = bool(media.voice)
    if kind == "sticker":
        found["animated"] = bool(media.animated)
    return found


def _location(where: Location) -> dict[str, Any]:
    return where.model_dump(exclude_none=True)


def _contacts(cards: list[Card]) -> list[dict[str, Any]]:
    return [
        _some(
            name=_some(
                formatted_name=card.name, first_name=card.firstName, last_name=card.lastName
            ),
            phones=[_some(phone=p.phone, type=p.type, wa_id=p.waId) for p in card.phones],
            emails=[_some(email=e.email, type=e.type) for e in card.emails],
            org=card.org.model_dump(exclude_none=True) if card.org else None,
        )
        for card in cards
    ]


def _interactive(reply: Interactive) -> dict[str, Any]:
    if reply.type == "nfm_reply":
        response = reply.response
        raw = response if isinstance(response, str) else _json(response or {})
        flow = _some(name=reply.name or "flow", body=reply.body or "Sent", response_json=raw)
        return {"type": "nfm_reply", "nfm_reply": flow}
    row = _some(id=reply.id, title=reply.title, description=reply.description)
    return {"type": reply.type, reply.type: row}


def _json(value: JsonValue) -> str:
    return json.dumps(value, separators=(",", ":"))


def _button(button: Button) -> dict[str, Any]:
    return {"payload": button.payload or button.text, "text": button.text}


def _reaction(reaction: Reaction) -> dict[str, Any]:
    # Meta leaves the emoji out of a removal.
    return _some(message_id=reaction.messageId, emoji=reaction.emoji or None)


def _order(order: Order) -> dict[str, Any]:
    items = [
        {
            "product_retailer_id": item.productRetailerId,
            "quantity": item.quantity,
            "item_price": item.itemPrice,
            "currency": item.currency,
        }
        for item in order.productItems
    ]
    return _some(catalog_id=order.catalogId, text=order.text, product_items=items)


def _referral(referral: Referral) -> dict[str, Any]:
    return _some(
        source_url=referral.sourceUrl,
        source_type=referral.sourceType,
        source_id=referral.sourceId,
        headline=referral.headline,
        body=referral.body,
        media_type=referral.mediaType,
        image_url=referral.imageUrl,
        video_url=referral.videoUrl,
        thumbnail_url=referral.thumbnailUrl,
        ctwa_clid=referral.ctwaClid,
    )


_BUILDERS: dict[str, Any] = {
    "location": _location,
    "contacts": _contacts,
    "interactive": _interactive,
    "button": _button,
    "reaction": _reaction,
    "order": _order,
}
