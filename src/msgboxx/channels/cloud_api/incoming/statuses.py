"""Status updates of messages we sent: Meta's statuses mapped to ours by a table.

:data:`STATUSES` maps Meta's statuses to ours and :data:`IGNORED_STATUSES`
names the ones we knowingly skip; anything else is skipped and logged.
https://developers.facebook.com/docs/whatsapp/cloud-api/webhooks/components#statuses-object
"""

from __future__ import annotations

from msgboxx.channels.base import ConsentChange, StatusReport
from msgboxx.channels.cloud_api import errors, wire
from msgboxx.channels.cloud_api.incoming.items import Parsed, log, phone, timestamp, title
from msgboxx.contacts.status import ContactStatus
from msgboxx.messages.status import MessageStatus

STATUSES: dict[str, MessageStatus] = {
    "sent": MessageStatus.sent,
    "delivered": MessageStatus.delivered,
    "read": MessageStatus.read,
    "played": MessageStatus.read,  # a voice message was listened to: it was read
    "failed": MessageStatus.failed,
}
IGNORED_STATUSES = frozenset({"deleted", "warning", "accepted", "held_for_quality_assessment"})

# Meta fails a marketing message with this code when the customer stopped them.
_STOPPED_MARKETING = 131050


def status(found: wire.Status, *, to_number: str, into: Parsed) -> None:
    ours = STATUSES.get(found.status)
    if ours is None:
        if found.status not in IGNORED_STATUSES:
            log.warning("unknown WhatsApp status skipped", extra={"status": found.status})
        into.skipped.append(f"status {found.status}")
        return
    at = timestamp(found.timestamp)
    reason = None
    if ours is MessageStatus.failed:
        reason = failure_reason(found.errors)
        recipient = phone(found.recipient_id) if found.recipient_id else None
        if recipient and any(e.code == _STOPPED_MARKETING for e in found.errors):
            into.events.append(
                ConsentChange(
                    to_number=to_number,
                    from_number=recipient,
                    status=ContactStatus.unsubscribed,
                    at=at,
                )
            )
    into.events.append(StatusReport(found.id, ours, at, failure_reason=reason, to_number=to_number))


def failure_reason(found: list[wire.GraphError]) -> str:
    """``131026 Message undeliverable``: Meta's code, title and details of the first error."""
    if not found:
        return "failed (WhatsApp gave no reason)"
    first = found[0]
    return errors.describe(
        first.code, title(first), first.error_data.details if first.error_data else None
    )
