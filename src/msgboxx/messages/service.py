"""The messages domain as other packages use it: accepting, reading, reports, the queue.

The rules live in small modules (``accepting``, ``reports``, ``inbound``,
``erasure``, ``queue``); this one is the face other domains import, and holds
the reads the API makes.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import timedelta

from msgboxx.accounts import service as accounts
from msgboxx.auth.service import Principal
from msgboxx.core.errors import NotFound
from msgboxx.core.wire import PageRequest
from msgboxx.db import utcnow
from msgboxx.db.tx import Tx
from msgboxx.messages import shown, store
from msgboxx.messages.accepting import (
    Outbound,
    UrlFetching,
    conversation_id,
    enqueue,
    recipient,
    send_session,
)
from msgboxx.messages.bulk import enqueue_templates, recipients_in_organisation
from msgboxx.messages.cancelling import cancel
from msgboxx.messages.erasure import erase_text_of_contact
from msgboxx.messages.inbound import announce_media, record_inbound, record_threads
from msgboxx.messages.queue import (
    MEDIA_LANE,
    first_due,
    free_leases,
    lease,
    next_due_at,
    numbers_with_due,
)
from msgboxx.messages.reach import (
    already_reached,
    queued_ahead,
    reached_outside_window,
    replied_count,
    status_counts,
)
from msgboxx.messages.reports import (
    HandedOff,
    Report,
    SendOutcome,
    apply_held_reports,
    apply_reports,
    awaiting_reports,
    record_sends,
)
from msgboxx.messages.rows import Due, MessageRow, Recipient
from msgboxx.messages.schedule import why_not_now
from msgboxx.messages.schemas import MessageFilters, MessageOut
from msgboxx.messages.status import status_changes

__all__ = [
    "MEDIA_LANE",
    "Due",
    "HandedOff",
    "MessageRow",
    "Outbound",
    "Recipient",
    "Report",
    "SendOutcome",
    "UrlFetching",
    "already_reached",
    "announce_media",
    "apply_held_reports",
    "apply_reports",
    "awaiting_reports",
    "by_provider_id",
    "cancel",
    "conversation_id",
    "enqueue",
    "enqueue_templates",
    "erase_text_of_contact",
    "first_due",
    "free_leases",
    "get",
    "lease",
    "list_messages",
    "next_due_at",
    "numbers_with_due",
    "queued_ahead",
    "reached_outside_window",
    "recipient",
    "recipients_in_organisation",
    "record_inbound",
    "record_sends",
    "record_threads",
    "replied_count",
    "send_session",
    "status_changes",
    "status_counts",
    "views",
    "why_not_now",
]


async def get(tx: Tx, principal: Principal, message_id: uuid.UUID) -> MessageOut:
    """One message as the API shows it, or 404 (also when another tenant owns it)."""
    row = await store.visible(
        tx,
        message_id=message_id,
        admin=principal.is_admin,
        visibility=accounts.visibility(principal),
    )
    if row is None:
        raise NotFound(f"message {message_id} was not found")
    return (await shown.views_of(tx, [row]))[0]


async def list_messages(
    tx: Tx, principal: Principal, page: PageRequest, filters: MessageFilters
) -> tuple[list[MessageOut], int]:
    """Newest first; with neither date given, only the last 24 hours (the contract)."""
    start, end = filters.from_utc, filters.to_utc_exclusive
    if start is None and end is None:
        start = utcnow() - timedelta(hours=24)
    rows, total = await store.page(
        tx,
        visible_accounts=accounts.visible_account_ids(principal),
        equal={
            "account_id": filters.apiAccountId,
            "inbox_id": filters.inboxId,
            "contact_id": filters.contactId,
            "conversation_id": filters.conversationId,
            "status": filters.status,
            "direction": filters.direction,
        },
        created_from=start,
        created_before=end,
        offset=page.offset,
        limit=page.pageSize,
    )
    return await shown.views_of(tx, rows), total


async def by_provider_id(tx: Tx, provider_message_id: str) -> MessageOut | None:
    """The message the network knows by ``provider_message_id``, as the API shows it."""
    row = await store.by_provider_id(tx, provider_message_id)
    return (await shown.views_of(tx, [row]))[0] if row is not None else None


async def views(tx: Tx, message_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, MessageOut]:
    """Messages as the API shows them, by id: for a domain that shows one in its own view.

    No visibility filter: the caller shows only messages of records it found visible.
    """
    if not message_ids:
        return {}
    rows = await store.by_ids(tx, list(message_ids))
    return {view.messageId: view for view in await shown.views_of(tx, rows)}
