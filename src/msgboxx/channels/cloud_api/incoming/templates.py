"""Template verdicts, from a webhook or from the list WhatsApp Manager keeps: a table again.

:data:`TEMPLATE_EVENTS` maps Meta's template statuses to ours and
:data:`IGNORED_TEMPLATE_EVENTS` names those we knowingly skip.
https://developers.facebook.com/docs/whatsapp/business-management-api/webhooks/components
"""

from __future__ import annotations

from msgboxx.channels.base import RemoteTemplate, TemplateStatusUpdate
from msgboxx.channels.cloud_api import wire
from msgboxx.channels.cloud_api.incoming.items import Parsed, log
from msgboxx.templates.status import TemplateStatus

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


def template_change(value: wire.TemplateStatusValue, *, waba_id: str, into: Parsed) -> None:
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
