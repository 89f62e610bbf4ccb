"""Turning a verified webhook body into channel events (parse everything first).

Status mapping is data: :data:`STATUSES` maps Meta's statuses to ours and
:data:`IGNORED_STATUSES` names the ones we knowingly skip; anything else is
skipped and logged. Template events work the same way. Nothing here touches the
database: :mod:`msgboxx.intake` writes the batch.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

import orjson
from pydantic import ValidationError

from msgboxx.channels.base import (
    ChannelEvent,
    ConsentChange,
    InboundText,
    NumberChange,
    RemoteTemplate,
    StatusReport,
    TemplateStatusUpdate,
)
from msgboxx.channels.cloud_api import errors, wire
from msgboxx.contacts.status import ContactStatus
from msgboxx.messages.status import MessageStatus
from msgboxx.templates.status import TemplateStatus

log = logging.getLogger(__name__)

STATUSES: dict[str, MessageStatus] = {
    "sent": MessageStatus.sent,
    "delivered": MessageStatus.delivered,
    "read": MessageStatus.read,
    "played": MessageStatus.read,  # a voice message was listened to: it was read
    "failed": MessageStatus.failed,
}
IGNORED_STATUSES = frozenset({"deleted", "warning", "accepted", "held_for_quality_assessment"})

TEMPLATE_EVENTS: dict[str, TemplateStatus] = {
    "APPROVED": TemplateStatus.approved,
    "REINSTATED": TemplateStatus.approved,
    "UNARCHIVED": TemplateStatus.approved,
    "PENDING": TemplateStatus.pending,
    "IN_APPEAL": TemplateStatus.pending,
    "REJECTED": TemplateStatus.rejected,
    # Not sendable any more; the raw status is kept beside ours (providerStatus).
    "PAUSED": TemplateStatus.rejected,
    "DISABLED": TemplateStatus.rejected,
    "ARCHIVED": TemplateStatus.rejected,
    "PENDING_DELETION": TemplateStatus.rejected,
    "DELETED": TemplateStatus.rejected,
    "LIMIT_EXCEEDED": TemplateStatus.rejected,
    "LOCKED": TemplateStatus.rejected,
}
IGNORED_TEMPLATE_EVENTS = frozenset({"FLAGGED"})  # a quality warning: still sendable

PREFERENCES: dict[str, ContactStatus] = {
    "stop": ContactStatus.unsubscribed,
    "resume": ContactStatus.subscribed,
}

# Fields of the messages webhook we do not act on (they are not errors).
IGNORED_FIELDS = frozenset(
    {
        "account_update",
        "account_alerts",
        "account_review_update",
        "business_capability_update",
        "phone_number_name_update",
        "phone_number_quality_update",
        "template_category_update",
        "message_template_quality_update",
        "security",
        "history",
        "smb_message_echoes",
        "smb_app_state_sync",
    }
)


class MalformedWebhook(Exception):
    """The body is not JSON at all; Meta should see a 400.

    Anything less is read item by item: a message, status or change we cannot
    read is skipped and logged, and the rest of the body is stored (a 400 would
    make Meta redeliver the whole body for days and then drop all of it).
    """


class _Unreadable(Exception):
    """One item of a body we cannot read: it is skipped, the others are not."""


@dataclass(slots=True)
class Parsed:
    """Events to write, and a note of everything skipped (for the log and the answer)."""

    events: list[ChannelEvent] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


# Phone numbers arrive as digits (``16505551234``); a WhatsApp user id (BSUID)
# is a country code, a period and up to 128 letters and digits (``US.1234``,
# ``US.ENT.118157``) and is kept exactly as received.
_NUMBER = re.compile(r"\+?[0-9]{6,15}")
_USER_ID = re.compile(r"[A-Z]{2}(\.ENT)?\.[A-Za-z0-9]{1,128}")


def parse_body(raw: bytes) -> dict[str, Any]:
    """The body as a JSON object; anything else cannot be a webhook (400)."""
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise MalformedWebhook("the body is not JSON") from None
    if not isinstance(body, dict):
        raise MalformedWebhook("the body is not a JSON object")
    return body


def parse(body: Mapping[str, Any], *, numbers: Mapping[str, str], wabas: frozenset[str]) -> Parsed:
    """Every change of every entry as events, for the numbers and accounts given.

    ``numbers`` maps a Cloud API phone-number id to our E.164 number and ``wabas``
    holds business account ids: changes for others are skipped (they are not
    ours, or were not signed with their app's secret).
    """
    parsed = Parsed()
    envelope = _read(wire.WebhookBody, body, what="body", into=parsed)
    if envelope is None:
        return parsed
    if envelope.object != "whatsapp_business_account":
        parsed.skipped.append(f"object {envelope.object}")
        return parsed
    for raw_entry in envelope.entry:
        entry = _read(wire.Entry, raw_entry, what="entry", into=parsed)
        for raw_change in entry.changes if entry else []:
            change = _read(wire.Change, raw_change, what="change", into=parsed)
            if entry is not None and change is not None:
                _parse_change(change, waba_id=entry.id, numbers=numbers, wabas=wabas, into=parsed)
    return parsed


_Item = TypeVar("_Item", bound=wire.Wire)


def _read(kind: type[_Item], raw: object, *, what: str, into: Parsed) -> _Item | None:
    """One item of the body, or None (skipped and logged) if we cannot read it."""
    try:
        return kind.model_validate(raw)
    except ValidationError as exc:
        _skip(into, f"{what} we cannot read ({exc.error_count()} problems)")
        return None


def _skip(into: Parsed, note: str) -> None:
    log.warning("webhook item skipped: %s", note)
    into.skipped.append(note)


def _parse_change(
    change: wire.Change,
    *,
    waba_id: str,
    numbers: Mapping[str, str],
    wabas: frozenset[str],
    into: Parsed,
) -> None:
    if change.field == "messages":
        value = _read(wire.MessagesValue, change.value, what="messages change", into=into)
        if value is None:
            return
        ours = numbers.get(value.metadata.phone_number_id)
        if ours is None:
            into.skipped.append(f"phone number id {value.metadata.phone_number_id}")
            return
        _messages(value, to_number=ours, into=into)
    elif change.field == "user_preferences":
        prefs = _read(wire.UserPreferencesValue, change.value, what="preferences", into=into)
        if prefs is None:
            return
        ours = numbers.get(prefs.metadata.phone_number_id)
        if ours is None:
            into.skipped.append(f"phone number id {prefs.metadata.phone_number_id}")
            return
        _preferences(prefs, to_number=ours, into=into)
    elif change.field == "message_template_status_update":
        template = _read(wire.TemplateStatusValue, change.value, what="template", into=into)
        if template is None:
            return
        if waba_id not in wabas:
            into.skipped.append(f"business account {waba_id}")
            return
        _template(template, waba_id=waba_id, into=into)
    else:
        into.skipped.append(f"field {change.field}")


def _messages(value: wire.MessagesValue, *, to_number: str, into: Parsed) -> None:
    senders = [_read(wire.WebhookContact, c, what="contact", into=into) for c in value.contacts]
    known = [sender for sender in senders if sender is not None]
    for raw in value.messages:
        message = _read(wire.IncomingMessage, raw, what="message", into=into)
        if message is None:
            continue
        try:
            _message(message, known, to_number=to_number, into=into)
        except _Unreadable as exc:
            _skip(into, f"message {message.id}: {exc}")
    for raw in value.statuses:
        status = _read(wire.Status, raw, what="status", into=into)
        if status is None:
            continue
        try:
            _status(status, to_number=to_number, into=into)
        except _Unreadable as exc:
            _skip(into, f"status of {status.id}: {exc}")


def _message(
    message: wire.IncomingMessage,
    senders: list[wire.WebhookContact],
    *,
    to_number: str,
    into: Parsed,
) -> None:
    if message.group_id is not None:
        # Not a conversation with one customer: it must not open their window.
        _skip(into, f"group message {message.id}")
        return
    number, user_id = _sender(message.from_, message.from_user_id)
    sender = _contact_of(senders, number=number, user_id=user_id)
    if sender is not None:  # the contacts array may know the other identifier
        if user_id is None and sender.user_id and _USER_ID.fullmatch(sender.user_id):
            user_id = sender.user_id
        if number is None and sender.wa_id:
            number = phone(sender.wa_id)
    if number is None and user_id is None:
        raise _Unreadable(f"sender {message.from_!r} is neither a number nor a user id")
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
    if user_id is not None and not _USER_ID.fullmatch(user_id):
        raise _Unreadable(f"user id {user_id!r} is not a WhatsApp user id")
    if from_ is None:
        return None, user_id
    number = phone(from_)
    if number is not None:
        return number, user_id
    if _USER_ID.fullmatch(from_) and user_id in (None, from_):
        return None, from_
    raise _Unreadable(f"sender {from_!r} is neither a number nor a user id")


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
        _skip(into, f"system message {system.type if system else None}")
        return
    old = phone(system.wa_id) if system.wa_id else number
    new = phone(system.new_wa_id) if system.new_wa_id else None
    if old is None or new is None:
        raise _Unreadable("a number change without both numbers")
    into.events.append(NumberChange(to_number=to_number, from_number=old, new_number=new, at=at))


def _status(status: wire.Status, *, to_number: str, into: Parsed) -> None:
    ours = STATUSES.get(status.status)
    if ours is None:
        if status.status not in IGNORED_STATUSES:
            log.warning("unknown WhatsApp status skipped", extra={"status": status.status})
        into.skipped.append(f"status {status.status}")
        return
    at = timestamp(status.timestamp)
    reason = None
    if ours is MessageStatus.failed:
        reason = failure_reason(status.errors)
        recipient = phone(status.recipient_id) if status.recipient_id else None
        if recipient and any(e.code == 131050 for e in status.errors):
            into.events.append(
                ConsentChange(
                    to_number=to_number,
                    from_number=recipient,
                    status=ContactStatus.unsubscribed,
                    at=at,
                )
            )
    into.events.append(
        StatusReport(status.id, ours, at, failure_reason=reason, to_number=to_number)
    )


def _preferences(value: wire.UserPreferencesValue, *, to_number: str, into: Parsed) -> None:
    for raw in value.user_preferences:
        preference = _read(wire.UserPreference, raw, what="user preference", into=into)
        if preference is None:
            continue
        wanted = PREFERENCES.get(preference.value.lower())
        number = phone(preference.wa_id)
        if wanted is None or number is None:
            into.skipped.append(f"user preference {preference.value} of {preference.wa_id}")
            continue
        try:
            at = timestamp(preference.timestamp) if preference.timestamp else datetime.now(UTC)
        except _Unreadable as exc:
            _skip(into, f"user preference: {exc}")
            continue
        into.events.append(
            ConsentChange(to_number=to_number, from_number=number, status=wanted, at=at)
        )


def _template(value: wire.TemplateStatusValue, *, waba_id: str, into: Parsed) -> None:
    event = value.event.upper()
    ours = TEMPLATE_EVENTS.get(event)
    if ours is None:
        if event not in IGNORED_TEMPLATE_EVENTS:
            log.warning("unknown template event skipped", extra={"event": event})
        into.skipped.append(f"template event {event}")
        return
    reason = None
    if ours is TemplateStatus.rejected:
        detail = value.reason if value.reason and value.reason != "NONE" else None
        reason = f"{event}: {detail}" if detail else event
    # A template belongs to the WABA, not to one number: intake finds it by its id.
    into.events.append(
        TemplateStatusUpdate(
            waba_id=waba_id,
            provider_template_id=str(value.message_template_id),
            name=value.message_template_name,
            language=value.message_template_language,
            status=ours,
            provider_status=event,
            reason=reason,
        )
    )


def remote_template(info: wire.TemplateInfo) -> RemoteTemplate | None:
    """A listed template in our terms; None for shapes we cannot send (named parameters)."""
    if (info.parameter_format or "POSITIONAL").upper() == "NAMED":
        return None
    body = next((c.text for c in info.components if c.type.upper() == "BODY" and c.text), None)
    if body is None:
        return None
    status = info.status.upper()
    ours = TEMPLATE_EVENTS.get(status, TemplateStatus.rejected)
    reason = None
    if ours is TemplateStatus.rejected:
        detail = info.rejected_reason if info.rejected_reason not in (None, "NONE") else None
        reason = f"{status}: {detail}" if detail else status
    return RemoteTemplate(
        provider_template_id=info.id,
        name=info.name,
        language=info.language,
        category=info.category.upper(),
        status=ours,
        provider_status=status,
        text=body,
        reason=reason,
    )


def failure_reason(found: list[wire.GraphError]) -> str:
    """``131026 Message undeliverable``: Meta's code, title and details of the first error."""
    if not found:
        return "failed (WhatsApp gave no reason)"
    first = found[0]
    return errors.describe(
        first.code, _title(first), first.error_data.details if first.error_data else None
    )


def _title(error: wire.GraphError) -> str:
    title = error.title or error.message
    return title if title else errors.classify(error.code, http_status=400).meaning


def text_of(message: wire.IncomingMessage) -> str:
    """The text of a message; other types get a readable placeholder and are kept.

    A message WhatsApp could not pass on (``unsupported``) keeps Meta's code and
    title in its placeholder: ``[unsupported] 131051 Message type unknown``.
    """
    kind = message.type
    if message.errors:
        first = message.errors[0]
        return f"[{kind}] {errors.describe(first.code, _title(first))}"
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


_MEDIA = frozenset({"image", "video", "audio", "document", "sticker"})


def timestamp(value: str | int) -> datetime:
    """Meta's Unix seconds as an aware datetime."""
    try:
        return datetime.fromtimestamp(int(value), tz=UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        raise _Unreadable(f"invalid timestamp {value!r}") from None


def phone(wa_id: str) -> str | None:
    """A WhatsApp id that is a phone number in E.164 (they come without the ``+``), or None."""
    digits = wa_id.strip()
    if not _NUMBER.fullmatch(digits):
        return None
    return digits if digits.startswith("+") else f"+{digits}"
