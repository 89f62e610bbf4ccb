"""What a change announces: events any domain emits and the webhooks domain delivers.

The types live here, below every domain, so a domain announces a change to its
unit of work without knowing who listens (``Tx.emit``); the webhooks domain
turns the events of a committing transaction into deliveries.
"""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass
from datetime import datetime

from msgboxx.core.wire import ApiModel


class EventType(enum.StrEnum):
    message_created = "message.created"
    message_status = "message.status"
    message_inbound = "message.inbound"
    # A customer's media was fetched and stored, or the fetch gave up (media.status).
    message_media = "message.media"
    broadcast_status = "broadcast.status"
    contact_created = "contact.created"
    contact_updated = "contact.updated"
    # The shared inbox's teamwork: who has a conversation, open or resolved, private notes.
    conversation_assigned = "conversation.assigned"
    conversation_status = "conversation.status"
    conversation_note = "conversation.note"
    # A CSV import's summary: one event for the file, not one contact.created per row.
    contact_imported = "contact.imported"
    # A campaign changed status; and its counts, at most every few seconds and at the end.
    campaign_status = "campaign.status"
    campaign_progress = "campaign.progress"


@dataclass(frozen=True, slots=True)
class Event:
    """A change of one account, as the API showed the resource when it happened."""

    id: str
    account_id: uuid.UUID
    type: EventType
    data: ApiModel
    at: datetime
