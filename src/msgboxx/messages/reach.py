"""What campaigns ask of messages: reach outside the window, the queue ahead, outcomes.

For WhatsApp's messaging tier (unique customers reached outside their window
per moving 24 hours, across an organisation's numbers), for pacing a campaign
behind its number's queue, and for a campaign's live counts.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Select

from msgboxx.db.tx import Tx
from msgboxx.messages import reach_store


async def reached_outside_window(tx: Tx, *, accounts: Select[uuid.UUID], since: datetime) -> int:
    """Distinct contacts these accounts sent a template to since ``since``, window closed."""
    return await reach_store.reached_count(tx, accounts=accounts, since=since)


async def already_reached(
    tx: Tx, *, accounts: Select[uuid.UUID], since: datetime, contact_ids: list[uuid.UUID]
) -> set[uuid.UUID]:
    """Which of ``contact_ids`` are among them already (reaching them again costs no room)."""
    if not contact_ids:
        return set()
    return await reach_store.reached_among(
        tx, accounts=accounts, since=since, contact_ids=contact_ids
    )


async def queued_ahead(tx: Tx, *, account_id: uuid.UUID, due_by: datetime) -> int:
    """Messages a number still has to send that are due by ``due_by``."""
    return await reach_store.queued_ahead(tx, account_id=account_id, due_by=due_by)


async def status_counts(tx: Tx, message_ids: Select[uuid.UUID]) -> dict[str, int]:
    """How many of these messages stand at each status."""
    return await reach_store.status_counts(tx, message_ids)


async def replied_count(tx: Tx, message_ids: Select[uuid.UUID]) -> int:
    """How many of these messages' contacts wrote back after them."""
    return await reach_store.replied_count(tx, message_ids)
