"""Turning a verified webhook body into channel events (parse everything first).

Status mapping is data: :data:`STATUSES` maps Meta's statuses to ours and
:data:`IGNORED_STATUSES` names the ones we knowingly skip; anything else is
skipped and logged. Template events work the same way. Nothing here touches the
database: :mod:`msgboxx.intake` writes the batch.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from pydantic import ValidationError

from msgboxx.channels.base import (
    ChannelEvent,
    ConsentChange,
    InboundText,
    RemoteTemplate,
    StatusReport,
    TemplateStatusUpdate,
)
from msgboxx.channels.cloud_api import errors, wire
from msgboxx.contacts.models import ContactStatus
from msgboxx.messages.status import MessageStatus
from msgboxx.templates.models import TemplateStatus

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
    """The body is not a webhook we can read; Meta should see a 400."""


@dataclass(slots=True)
class Parsed:
    """Events to write, and a note of everything skipped (for the log and the answer)."""

    events: list[ChannelEvent] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def parse_body(raw: bytes) -> wire.WebhookBody:
    try:
        return wire.WebhookBody.model_validate_json(raw)
    except ValidationError as exc:
        raise MalformedWebhook(f"not a WhatsApp webhook: {exc.error_count()} problems") from None


def parse(body: wire.WebhookBody, *, numbers: Mapping[str, str], wabas: frozenset[str]) -> Parsed:
    """Every change of every entry as events, for the numbers and accounts given.

    ``numbers`` maps a Cloud API phone-number id to our E.164 number and ``wabas``
    holds business account ids: changes for others are skipped (they are not
    ours, or were not signed with their app's secret).
    """
    parsed = Parsed()
    if body.object != "whatsapp_business_account":
        parsed.skipped.append(f"object {body.object}")
        return parsed
    for entry in body.entry:
        for change in entry.changes:
            _parse_change(change, waba_id=entry.id, numbers=numbers, wabas=wabas, into=parsed)
    return parsed


def _parse_change(
    change: wire.Change,
    *,
    waba_id: str,
    numbers: Mapping[str, str],
    wabas: frozenset[str],
    into: Parsed,
) -> None:
    try:
        if change.field == "messages":
            value = wire.MessagesValue.model_validate(change.value)
            ours = numbers.get(value.metadata.phone_number_id)
            if ours is None:
                into.skipped.append(f"phone number id {value.metadata.phone_number_id}")
                return
            _messages(value, to_number=ours, into=into)
        elif change.field == "user_preferences":
            prefs = wire.UserPreferencesValue.model_validate(change.value)
            ours = numbers.get(prefs.metadata.phone_number_id)
            if ours is None:
                into.skipped.append(f"phone number id {prefs.metadata.phone_number_id}")
                return
            _preferences(prefs, to_number=ours, into=into)
        elif change.field == "message_template_status_update":
            template = wire.TemplateStatusValue.model_validate(change.value)
            if waba_id not in wabas:
                into.skipped.append(f"business account {waba_id}")
                return
            _template(template, waba_id=waba_id, into=into)
        else:
            into.skipped.append(f"field {change.field}")
    except ValidationError as exc:
        raise MalformedWebhook(
            f"a {change.field!r} change has {exc.error_count()} problems"
        ) from None


def _messages(value: wire.MessagesValue, *, to_number: str, into: Parsed) -> None:
    names = {c.wa_id: c.profile.name for c in value.contacts if c.profile}
    for message in value.messages:
        into.events.append(
            InboundText(
                to_number=to_number,
                from_number=e164(message.from_),
                provider_message_id=message.id,
                text=text_of(message),
                at=timestamp(message.timestamp),
                kind=message.type[:20],
                profile_name=names.get(message.from_),
            )
        )
    for status in value.statuses:
        ours = STATUSES.get(status.status)
        if ours is None:
            if status.status not in IGNORED_STATUSES:
                log.warning("unknown WhatsApp status skipped", extra={"status": status.status})
            into.skipped.append(f"status {status.status}")
            continue
        reason = None
        if ours is MessageStatus.failed:
            reason = failure_reason(status.errors)
            if status.recipient_id and any(e.code == 131050 for e in status.errors):
                into.events.append(
                    ConsentChange(
                        to_number=to_number,
                        from_number=e164(status.recipient_id),
                        status=ContactStatus.unsubscribed,
                        at=timestamp(status.timestamp),
                    )
                )
        into.events.append(
            StatusReport(status.id, ours, timestamp(status.timestamp), failure_reason=reason)
        )


def _preferences(value: wire.UserPreferencesValue, *, to_number: str, into: Parsed) -> None:
    for preference in value.user_preferences:
        wanted = PREFERENCES.get(preference.value.lower())
        if wanted is None:
            into.skipped.append(f"user preference {preference.value}")
            continue
        at = timestamp(preference.timestamp) if preference.timestamp else datetime.now(UTC)
        into.events.append(
            ConsentChange(
                to_number=to_number, from_number=e164(preference.wa_id), status=wanted, at=at
            )
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
    """``131026 Message undeliverable``: Meta's code and title of the first error."""
    if not found:
        return "failed (WhatsApp gave no reason)"
    first = found[0]
    title = first.title or first.message
    if title is None:
        title = errors.classify(first.code, http_status=400).meaning
    return f"{first.code} {title}" if first.code is not None else title


def text_of(message: wire.IncomingMessage) -> str:
    """The text of a message; other types get a readable placeholder and are kept."""
    kind = message.type
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
        raise MalformedWebhook(f"invalid timestamp {value!r}") from None


def e164(wa_id: str) -> str:
    """WhatsApp ids are the number without the ``+``."""
    digits = wa_id.strip()
    return digits if digits.startswith("+") else f"+{digits}"
