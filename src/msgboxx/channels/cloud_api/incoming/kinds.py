"""What a customer's message holds, kind by kind: a readable text, its content, its media.

The text is what every client of the original API shows (``message``); the
content is the extension field ``content`` (camelCase, like the rest of our
API) with what the text cannot hold: a location's coordinates, a Flow's
answers, the message a reaction is about. Media is announced here and fetched
afterwards (:class:`~msgboxx.channels.base.InboundMedia`).
https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/messages
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from msgboxx.channels.base import InboundMedia
from msgboxx.channels.cloud_api import errors, wire
from msgboxx.channels.cloud_api.incoming.items import title
from msgboxx.channels.cloud_api.wire_kinds import ContactCard, Referral

MEDIA = frozenset({"image", "video", "audio", "document", "sticker"})

Content = dict[str, Any]


def _some(**fields: Any) -> Content:
    """The fields that were given: an absent field is left out, not shown as null."""
    return {name: value for name, value in fields.items() if value is not None and value != []}


def text_of(message: wire.IncomingMessage) -> str:
    """The text of a message; other kinds get a readable placeholder and are kept.

    A message WhatsApp could not pass on (``unsupported``) keeps Meta's code and
    title in its placeholder: ``[unsupported] 131051 Message type unknown``.
    """
    kind = message.type
    if message.errors:
        first = message.errors[0]
        return f"[{kind}] {errors.describe(first.code, title(first))}"
    if kind == "text" and message.text is not None:
        return message.text.body
    reader = _TEXTS.get(kind)
    said = reader(message) if reader is not None else None
    return said if said else f"[{kind}]"


def content_of(message: wire.IncomingMessage) -> Content | None:
    """The ``content`` of a message: its kind's fields, and the ad it came from, if any."""
    if message.errors:
        return None
    reader = _CONTENTS.get(message.type)
    found = reader(message) if reader is not None else None
    if message.referral is not None:
        found = {**(found or {}), "referral": _referral(message.referral)}
    return found or None


def media_of(message: wire.IncomingMessage) -> InboundMedia | None:
    """The media a message announces, to be fetched by its id; None without an id."""
    kind = message.type
    body: wire.MediaBody | None = getattr(message, kind, None) if kind in MEDIA else None
    if body is None or not body.id or message.errors:
        return None
    return InboundMedia(
        provider_media_id=body.id,
        kind=kind,
        mime_type=body.mime_type,
        sha256=body.sha256,
        filename=body.filename,
        caption=body.caption,
        voice=bool(body.voice),
        animated=bool(body.animated),
    )


# --- texts -------------------------------------------------------------------


def _media_text(message: wire.IncomingMessage) -> str | None:
    body: wire.MediaBody | None = getattr(message, message.type, None)
    if body is None:
        return None
    said = body.caption or (body.filename if message.type == "document" else None)
    return f"[{message.type}] {said}" if said else None


def _location_text(message: wire.IncomingMessage) -> str | None:
    where = message.location
    if where is None:
        return None
    named = ", ".join(part for part in (where.name, where.address) if part)
    if named:
        return f"[location] {named}"
    if where.latitude is not None and where.longitude is not None:
        return f"[location] {where.latitude}, {where.longitude}"
    return None


def _contacts_text(message: wire.IncomingMessage) -> str | None:
    cards = [_card_text(card) for card in message.contacts or []]
    shown = "; ".join(card for card in cards if card)
    return f"[contacts] {shown}" if shown else None


def _card_text(card: ContactCard) -> str:
    name = card.name.formatted_name if card.name else None
    phone = next((p.phone or p.wa_id for p in card.phones if p.phone or p.wa_id), None)
    return ", ".join(part for part in (name, phone) if part)


def _interactive_text(message: wire.IncomingMessage) -> str | None:
    body = message.interactive
    if body is None:
        return None
    reply = body.button_reply or body.list_reply
    if reply is not None:
        return reply.title
    if body.nfm_reply is not None:
        return body.nfm_reply.body or "[flow reply]"
    return None


def _button_text(message: wire.IncomingMessage) -> str | None:
    return message.button.text if message.button is not None else None


def _reaction_text(message: wire.IncomingMessage) -> str | None:
    if message.reaction is None:
        return None
    emoji = message.reaction.emoji
    return f"[reaction] {emoji}" if emoji else "[reaction removed]"


def _order_text(message: wire.IncomingMessage) -> str | None:
    order = message.order
    if order is None:
        return None
    if order.text:
        return f"[order] {order.text}"
    count = sum(item.quantity or 0 for item in order.product_items)
    return f"[order] {count} item{'' if count == 1 else 's'}"


_Reader = Callable[[wire.IncomingMessage], Any]
_TEXTS: dict[str, _Reader] = {
    **dict.fromkeys(MEDIA, _media_text),
    "location": _location_text,
    "contacts": _contacts_text,
    "interactive": _interactive_text,
    "button": _button_text,
    "reaction": _reaction_text,
    "order": _order_text,
}


# --- contents ----------------------------------------------------------------


def _location(message: wire.IncomingMessage) -> Content | None:
    where = message.location
    if where is None:
        return None
    return _some(
        latitude=where.latitude,
        longitude=where.longitude,
        name=where.name,
        address=where.address,
        url=where.url,
    )


def _contacts(message: wire.IncomingMessage) -> Content | None:
    if not message.contacts:
        return None
    return {"contacts": [_card(card) for card in message.contacts]}


def _card(card: ContactCard) -> Content:
    name, org = card.name, card.org
    return _some(
        name=name.formatted_name if name else None,
        firstName=name.first_name if name else None,
        lastName=name.last_name if name else None,
        phones=[_some(phone=p.phone, type=p.type, waId=p.wa_id) for p in card.phones],
        emails=[_some(email=e.email, type=e.type) for e in card.emails],
        org=_some(company=org.company, department=org.department, title=org.title) or None
        if org
        else None,
    )


def _interactive(message: wire.IncomingMessage) -> Content | None:
    body = message.interactive
    if body is None:
        return None
    for kind, reply in (("button_reply", body.button_reply), ("list_reply", body.list_reply)):
        if reply is not None:
            return _some(
                interactive=kind, id=reply.id, title=reply.title, description=reply.description
            )
    flow = body.nfm_reply
    if flow is not None:
        return _some(
            interactive="nfm_reply",
            name=flow.name,
            body=flow.body,
            response=_json_or_raw(flow.response_json),
        )
    return _some(interactive=body.type)


def _json_or_raw(raw: str | None) -> Any:
    """A Flow's answers as the object they encode; the string itself if it is not JSON."""
    if raw is None:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def _button(message: wire.IncomingMessage) -> Content | None:
    button = message.button
    return _some(text=button.text, payload=button.payload) if button is not None else None


def _reaction(message: wire.IncomingMessage) -> Content | None:
    """Meta's id of the message reacted to; the messages domain adds ours (``messageId``).

    A removed reaction comes without an emoji (or an empty one): ``removed`` says so.
    """
    reaction = message.reaction
    if reaction is None:
        return None
    found: Content = {"emoji": reaction.emoji or None, "providerMessageId": reaction.message_id}
    if not reaction.emoji:
        found["removed"] = True
    return found


def _order(message: wire.IncomingMessage) -> Content | None:
    order = message.order
    if order is None:
        return None
    items = [
        _some(
            productRetailerId=item.product_retailer_id,
            quantity=item.quantity,
            itemPrice=item.item_price,
            currency=item.currency,
        )
        for item in order.product_items
    ]
    return _some(catalogId=order.catalog_id, productItems=items, text=order.text)


def _referral(referral: Referral) -> Content:
    welcome = referral.welcome_message.text if referral.welcome_message else None
    return _some(
        sourceUrl=referral.source_url,
        sourceType=referral.source_type,
        sourceId=referral.source_id,
        headline=referral.headline,
        body=referral.body,
        mediaType=referral.media_type,
        imageUrl=referral.image_url,
        videoUrl=referral.video_url,
        thumbnailUrl=referral.thumbnail_url,
        ctwaClid=referral.ctwa_clid,
        welcomeMessage=welcome,
    )


_CONTENTS: dict[str, _Reader] = {
    "location": _location,
    "contacts": _contacts,
    "interactive": _interactive,
    "button": _button,
    "reaction": _reaction,
    "order": _order,
}
