"""Keeping each thread's state current as its messages are written.

Every message accepted or received upserts its contact's conversation in the
same transaction: the inbox lists threads by last activity and shows what is
unread without counting messages. These run on the hot paths (``POST
/message``, intake batches), so a transaction writes all of its threads in one
prepared statement (an executemany for several); only a batch of customer
messages to several threads asks in a second which of them it reopened.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any, NamedTuple

from msgboxx.conversations import store, views
from msgboxx.conversations.models import ConversationStatus
from msgboxx.core.events import EventType
from msgboxx.db.tx import Tx


class Activity(NamedTuple):
    """A message written in a contact's thread."""

    contact_id: uuid.UUID
    account_id: uuid.UUID
    message_id: uuid.UUID
    at: datetime
    # A customer's message: unread until an agent reads it, and it reopens a resolved thread.
    inbound: bool


def _thread_values(activities: Sequence[Activity], now: datetime) -> list[dict[str, Any]]:
    """One row per contact: its newest message, and how many of them are the customer's.

    A multi-row upsert may touch each row once, so a batch's messages to one
    contact are folded together first.
    """
    threads: dict[uuid.UUID, dict[str, Any]] = {}
    for activity in activities:
        thread = threads.get(activity.contact_id)
        if thread is None:
            threads[activity.contact_id] = {
                "contact_id": activity.contact_id,
                "account_id": activity.account_id,
                "status": ConversationStatus.open.value,
                "assignee_id": None,
                "last_activity_at": activity.at,
                "last_message_id": activity.message_id,
                "unread_count": int(activity.inbound),
                "last_read_at": None,
                "resolved_at": None,
                "updated_at": now,
            }
            continue
        thread["unread_count"] += int(activity.inbound)
        if activity.at >= thread["last_activity_at"]:
            thread["last_activity_at"] = activity.at
            thread["last_message_id"] = activity.message_id
    return list(threads.values())


async def record(tx: Tx, activities: Sequence[Activity], *, now: datetime) -> None:
    """Write the threads these messages touch.

    A customer's message reopens a resolved thread: ``conversation.status``
    announces it (rare, so only then is the thread read again for the event).
    """
    if not activities:
        return
    rows = _thread_values(activities, now)
    if not any(activity.inbound for activity in activities):
        await store.touch(tx, rows)
        return
    if len(rows) == 1:  # a webhook's usual load: the upsert says whether it reopened
        if not await store.touch_reopens(tx, rows[0]):
            return
        reopened = await store.clear_reopened(tx, [rows[0]["contact_id"]])
    else:  # an executemany returns nothing: one statement more asks
        await store.touch(tx, rows)
        reopened = await store.clear_reopened(tx, [row["contact_id"] for row in rows])
    if reopened:
        await views.announce(tx, reopened, event_type=EventType.conversation_status)
