"""The queue is the message row: what a claim reads and leases (``dispatch.claims``).

What a claim may take is dispatch's rule; these are the messages' side of it,
each one prepared statement (``messages.queue_store``).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from msgboxx.db.tx import Tx
from msgboxx.messages import queue_store as store
from msgboxx.messages.queue_store import MEDIA_LANE as MEDIA_LANE
from msgboxx.messages.rows import Due


async def numbers_with_due(tx: Tx, *, now: datetime) -> list[uuid.UUID]:
    """Accounts (numbers) with a message due now and not leased, at most 50."""
    return await store.numbers_with_due(tx, now=now)


async def next_due_at(tx: Tx, *, now: datetime) -> datetime | None:
    """When the next queued message not due yet becomes due (scheduled, or a retry's wait)."""
    return await store.next_due_at(tx, now=now)


async def first_due(
    tx: Tx,
    *,
    account_id: uuid.UUID,
    lane: str,
    now: datetime,
    pair_deadline: datetime,
    limit: int,
) -> list[Due]:
    """The oldest due messages of one lane of a number that may go now, locked for the claim.

    Only the first message still queued to each contact (messages to one
    customer leave in order), and only to contacts whose pair-rate clock is at
    most ``pair_deadline``. Each as (id, contact id, that clock).
    """
    return await store.first_due(
        tx, account_id=account_id, lane=lane, now=now, pair_deadline=pair_deadline, limit=limit
    )


async def lease(tx: Tx, *, ids: list[uuid.UUID], until: datetime, owner: str) -> None:
    """Lease messages to ``owner`` until ``until``; each lease counts an attempt."""
    await store.lease(tx, ids=ids, until=until, owner=owner)


async def free_leases(tx: Tx, *, owner: str) -> int:
    """Free every lease ``owner`` holds, so its messages are due at once; how many."""
    return await store.free_leases(tx, owner=owner)
