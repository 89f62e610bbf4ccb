"""A thread as the inbox shows it, and its announcement to webhook subscribers."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from msgboxx.conversations import store
from msgboxx.conversations.models import ConversationStatus
from msgboxx.conversations.schemas import PREVIEW_CHARS, ConversationView, LastMessage
from msgboxx.core.events import EventType
from msgboxx.db import utcnow
from msgboxx.db.tx import Tx

# A module import: the messages domain calls this one as it writes, so neither may need
# the other's names while it is still being imported.
from msgboxx.messages import service as messages
from msgboxx.messages import window


def view_of(thread: store.Thread, *, now: datetime) -> ConversationView:
    """The view of one row of the page's query; a contact without messages has an empty one."""
    last = None
    if thread.last_message_id is not None and thread.message_at is not None:
        text = thread.message_text
        last = LastMessage(
            id=thread.last_message_id,
            direction=thread.message_direction,
            text=text[:PREVIEW_CHARS] if text is not None else None,
            kind=thread.message_kind or "text",
            status=thread.message_status,
            at=thread.message_at,
        )
    closes = window.closes_at(thread.last_inbound_at)
    return ConversationView(
        conversationId=messages.conversation_id(thread.inbox_id, thread.contact_id),
        contactId=thread.contact_id,
        inboxId=thread.inbox_id,
        accountId=thread.account_id,
        contactName=thread.contact_name,
        contactNumber=thread.mobile_number or thread.whatsapp_user_id,
        lastMessage=last,
        lastActivityAt=thread.last_activity_at,
        unreadCount=thread.unread_count or 0,
        windowOpenUntil=closes if window.is_open(thread.last_inbound_at, now=now) else None,
        status=ConversationStatus(thread.status or ConversationStatus.open),
        assigneeId=thread.assignee_id,
        assigneeEmail=thread.assignee_email,
    )


async def announce(
    tx: Tx, contact_ids: Sequence[uuid.UUID], *, event_type: EventType
) -> list[ConversationView]:
    """Emit ``event_type`` with each thread as it now stands (for writes found visible)."""
    now = utcnow()
    shown = [view_of(thread, now=now) for thread in await store.threads(tx, contact_ids)]
    for view in shown:
        tx.emit(account_id=view.accountId, event_type=event_type, data=view)
    return shown
