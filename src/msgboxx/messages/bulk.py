"""Accepting many template messages at once: a campaign's batch, one statement for all.

Each message is the row :func:`msgboxx.messages.accepting.enqueue` writes
(``outbound_row``)
(Pending, due now, announced as ``message.created``); only the round trips
differ: the contacts are read in one query and the rows inserted in one
executemany, where one by one a 1,000-message batch took a thousand of each.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from msgboxx.conversations import service as conversations
from msgboxx.core.events import EventType
from msgboxx.db.tx import Tx, Work
from msgboxx.messages import store
from msgboxx.messages.accepting import Outbound, outbound_row
from msgboxx.messages.rows import MessageRow, Recipient
from msgboxx.messages.schemas import MessageOut


async def recipients_in_organisation(
    tx: Tx, *, org_id: uuid.UUID, contact_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, Recipient]:
    """The contacts (of the organisation's accounts) as a send needs them, by id."""
    if not contact_ids:
        return {}
    found = await store.recipients_in_organisation(tx, org_id=org_id, contact_ids=contact_ids)
    return {to.contact_id: to for to in found}


async def enqueue_templates(
    tx: Tx, sends: Sequence[tuple[Recipient, Outbound]], *, now: datetime
) -> list[MessageRow]:
    """Add filled-in templates as Pending and due now, in one statement; the caller commits."""
    rows = [
        outbound_row(to, content, now=now)
        for to, content in sends
        if content.template_id is not None and content.media is None
    ]
    if len(rows) != len(sends):
        raise ValueError("enqueue_templates takes filled-in templates without media")
    await store.add_outbound_many(tx, rows)
    if rows:
        await conversations.record_activity(
            tx,
            [
                conversations.Activity(row.contact_id, row.account_id, row.id, now, False)
                for row in rows
                if row.contact_id is not None
            ],
        )
        tx.leaves(Work.outbound)
    for (to, _content), row in zip(sends, rows, strict=True):
        if not to.subscribed:
            tx.unheard([to.account_id])
        tx.emit(
            account_id=to.account_id, event_type=EventType.message_created, data=MessageOut.of(row)
        )
    return rows
