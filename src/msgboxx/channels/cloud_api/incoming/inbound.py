"""Customers' messages in a ``messages`` change: who wrote, what, and number changes.

https://developers.facebook.com/docs/whatsapp/cloud-api/webhooks/components#messages-object
"""

from __future__ import annotations

from datetime import datetime

from msgboxx.channels.base import InboundText, NumberChange
from msgboxx.channels.cloud_api import errors, wire
from msgboxx.channels.cloud_api.incoming.items import (
    USER_ID,
    Parsed,
    Unreadable,
    phone,
    read,
    skip,
    timestamp,
    title,
)
from msgboxx.channels.cloud_api.incoming.media import media_of
from msgboxx.channels.cloud_api.incoming.statuses import status

_MEDIA = frozenset({"image", "video", "audio", "document", "sticker"})


def messages_change(value: wire.MessagesValue, *, to_number: str, into: Parsed) -> None:
    """The customers' messages and our messages' statuses of one ``messages`` change."""
    senders = [read(wire.WebhookContact, c, what="contact", into=into) for c in value.contacts]
    known = [sender for sender in senders if sender is not None]
    for raw in value.messages:
        message = read(wire.IncomingMessage, raw, what="message", into=into)
        if message is None:
            continue
        try:
            _message(message, known, to_number=to_number, into=into)
        except Unreadable as exc:
            skip(into, f"message {message.id}: {exc}")
    for raw in value.statuses:
        found = read(wire.Status, raw, what="status", into=into)
        if found is None:
            continue
        try:
            status(found, to_number=to_number, into=into)
        except Unreadable as exc:
            skip(into, f"status of {found.id}: {exc}")


def _message(
    message: wire.IncomingMessage,
    senders: list[wire.WebhookContact],
    *,
    to_number: str,
    into: Parsed,
) -> None:
    if message.group_id is not None:
        # Not a conversation with one customer: it must not open their window.
        skip(into, f"group message {message.id}")
        return
    number, user_id = _sender(message.from_, message.from_user_id)
    sender = _contact_of(senders, number=number, user_id=user_id)
    if sender is not None:  # the contacts array may know the other identifier
        if user_id is None and sender.user_id and USER_ID.fullmatch(sender.user_id):
            user_id = sender.user_id
        if number is None and sender.wa_id:
            number = phone(sender.wa_id)
    if number is None and user_id is None:
        raise Unreadable(f"sender {message.from_!r} is neither a number nor a user id")
    at = timestamp(message.timestamp)
    if message.type == "system":
        _system(message, number=number, to_number=to_number, at=at, into=into)
        return
    into.events.append(
        InboundText(
            to_number=to_number,
            from_number=number,
            provider_message_id=message.id,
            text=text_of(message),
            at=at,
            kind=message.type[:20],
            profile_name=sender.profile.name if sender and sender.profile else None,
            from_user_id=user_id,
            media=media_of(message),
        )
    )


def _contact_of(
    senders: list[wire.WebhookContact], *, number: str | None, user_id: str | None
) -> wire.WebhookContact | None:
    """The entry of the contacts array about this message's sender."""
    for sender in senders:
        if number is not None and sender.wa_id and phone(sender.wa_id) == number:
            return sender
        if user_id is not None and sender.user_id == user_id:
            return sender
    # A sender named nowhere in the message itself: the one contact, if only one.
    return senders[0] if len(senders) == 1 and number is None and user_id is None else None


def _sender(from_: str | None, user_id: str | None) -> tuple[str | None, str | None]:
    """The customer's number and user id; ``from`` may hold either, or neither."""
    if user_id is not None and not USER_ID.fullmatch(user_id):
        raise Unreadable(f"user id {user_id!r} is not a WhatsApp user id")
    if from_ is None:
        return None, user_id
    number = phone(from_)
    if number is not None:
        return number, user_id
    if USER_ID.fullmatch(from_) and user_id in (None, from_):
        return None, from_
    raise Unreadable(f"sender {from_!r} is neither a number nor a user id")


def _system(
    message: wire.IncomingMessage,
    *,
    number: str | None,
    to_number: str,
    at: datetime,
    into: Parsed,
) -> None:
    """A notice about the customer, not words of theirs: it is never stored as a message."""
    system = message.system
    if system is None or system.type != "user_changed_number":
        skip(into, f"system message {system.type if system else None}")
        return
    old = phone(system.wa_id) if system.wa_id else number
    new = phone(system.new_wa_id) if system.new_wa_id else None
    if old is None or new is None:
        raise Unreadable("a number change without both numbers")
    into.events.append(NumberChange(to_number=to_number, from_number=old, new_number=new, at=at))


def text_of(message: wire.IncomingMessage) -> str:
    """The text of a message; other types get a readable placeholder and are kept.

    A message WhatsApp could not pass on (``unsupported``) keeps Meta's code and
    title in its placeholder: ``[unsupported] 131051 Message type unknown``.
    """
    kind = message.type
    if message.errors:
        first = message.errors[0]
        return f"[{kind}] {errors.describe(first.code, title(first))}"
    if kind == "text" and message.text is not None:
        return message.text.body
    if kind == "button" and message.button and message.button.text:
        return message.button.text
    if kind == "interactive" and message.interactive:
        reply = message.interactive.button_reply or message.interactive.list_reply
        if reply and reply.title:
            return reply.title
    media: wire.MediaBody | None = getattr(message, kind, None) if kind in _MEDIA else None
    if media is not None and media.caption:
        return f"[{kind}] {media.caption}"
    if kind == "reaction" and message.reaction and message.reaction.emoji:
        return f"[reaction] {message.reaction.emoji}"
    if kind == "location" and message.location and message.location.name:
        return f"[location] {message.location.name}"
    return f"[{kind}]"
