"""Turning a verified webhook body into channel events (parse everything first).

Status mapping is data: :data:`STATUSES` maps Meta's statuses to ours and
:data:`IGNORED_STATUSES` names the ones we knowingly skip; anything else is
skipped and logged. Template events work the same way. Nothing here touches the
database: :mod:`msgboxx.intake` writes the batch.

By concern: :mod:`.changes` (the body, and which reader each change goes to),
:mod:`.inbound` (customers' messages; :mod:`.kinds` reads each kind's text, content and
media), :mod:`.statuses` (our messages' statuses),
:mod:`.templates` (template verdicts), :mod:`.preferences` (marketing consent)
and :mod:`.items` (what reading any item shares).
"""

from msgboxx.channels.cloud_api.incoming.changes import (
    IGNORED_FIELDS,
    MalformedWebhook,
    parse,
    parse_body,
)
from msgboxx.channels.cloud_api.incoming.items import Parsed, phone, timestamp
from msgboxx.channels.cloud_api.incoming.kinds import content_of, media_of, text_of
from msgboxx.channels.cloud_api.incoming.preferences import PREFERENCES
from msgboxx.channels.cloud_api.incoming.statuses import (
    IGNORED_STATUSES,
    STATUSES,
    failure_reason,
)
from msgboxx.channels.cloud_api.incoming.templates import (
    IGNORED_TEMPLATE_EVENTS,
    TEMPLATE_EVENTS,
    remote_template,
)

__all__ = [
    "IGNORED_FIELDS",
    "IGNORED_STATUSES",
    "IGNORED_TEMPLATE_EVENTS",
    "PREFERENCES",
    "STATUSES",
    "TEMPLATE_EVENTS",
    "MalformedWebhook",
    "Parsed",
    "content_of",
    "failure_reason",
    "media_of",
    "parse",
    "parse_body",
    "phone",
    "remote_template",
    "text_of",
    "timestamp",
]
