"""Cancelling a scheduled message before it goes out (``POST /message/{id}/cancel``).

A cancelled message is ``Failed`` with the reason ``cancelled``: the contract's
statuses are the ones every client parses, and Failed already means "will not
be delivered". A message that is going out or has gone is a 409: it cannot be
called back.
"""

from __future__ import annotations

import functools
import uuid

from msgboxx.accounts import service as accounts
from msgboxx.auth.service import Principal
from msgboxx.core.errors import Conflict, NotFound
from msgboxx.db import utcnow
from msgboxx.db.tx import Tx
from msgboxx.messages import reports, shown, store
from msgboxx.messages.rows import changed
from msgboxx.messages.schemas import MessageOut
from msgboxx.messages.status import MessageStatus, status_changes

CANCELLED = "cancelled"


async def cancel(tx: Tx, principal: Principal, message_id: uuid.UUID) -> MessageOut:
    """Take a scheduled message off the queue as Failed ("cancelled"); the caller commits.

    Cancelling it again answers as the first time did. Only while no dispatcher
    holds it: the update re-checks that in the database (on PostgreSQL it waits
    for a claim in progress and then sees its lease), so a message is either
    cancelled or sent, never both.
    """
    row = await store.visible(
        tx,
        message_id=message_id,
        admin=principal.is_admin,
        visibility=accounts.visibility(principal),
    )
    if row is None:
        raise NotFound(f"message {message_id} was not found")
    if row.status == MessageStatus.failed and row.failure_reason == CANCELLED:
        return (await shown.views_of(tx, [row]))[0]
    if row.send_at is None:
        raise Conflict("only a scheduled message (sent with sendAt) can be cancelled")
    if row.status != MessageStatus.pending:
        raise Conflict(f"the message is {row.status}: it can no longer be cancelled")
    now = utcnow()
    changes = status_changes(
        functools.partial(getattr, row), MessageStatus.failed, at=now, failure_reason=CANCELLED
    )
    changes.update(lease_until=None, lease_owner=None)
    if not await store.cancel_queued(tx, message_id=row.id, now=now, changes=changes):
        raise Conflict("the message is being sent: it can no longer be cancelled")
    cancelled = changed(row, changes)
    media = await shown.media_of(tx, [cancelled])
    reports.announce(tx, cancelled, media)
    return shown.view_of(cancelled, media)
