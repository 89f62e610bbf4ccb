"""Every statement on the broadcasts table.

A broadcast row links a template send's message; what the message says and
where it stands belong to the messages domain, asked through its service.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Select, select

from msgboxx.broadcasts.models import Broadcast
from msgboxx.core.wire import PageRequest
from msgboxx.db.paging import fetch_page
from msgboxx.db.tx import Tx


async def add(tx: Tx, broadcast: Broadcast) -> None:
    tx.session.add(broadcast)
    await tx.session.flush()


def _visible(visible: Select[uuid.UUID]) -> Select[Broadcast]:
    """Broadcasts of the accounts in ``visible`` (a subquery of account ids), newest first."""
    return (
        select(Broadcast)
        .where(Broadcast.account_id.in_(visible))
        .order_by(Broadcast.created_at.desc(), Broadcast.id.desc())
    )


async def get_visible(
    tx: Tx, *, visible: Select[uuid.UUID], broadcast_id: uuid.UUID
) -> Broadcast | None:
    return await tx.session.scalar(_visible(visible).where(Broadcast.id == broadcast_id))


async def page(
    tx: Tx,
    *,
    visible: Select[uuid.UUID],
    page: PageRequest,
    account_id: uuid.UUID | None,
    inbox_id: uuid.UUID | None,
    contact_id: uuid.UUID | None,
    created_from: datetime | None,
) -> tuple[list[Broadcast], int]:
    query = _visible(visible)
    if account_id is not None:
        query = query.where(Broadcast.account_id == account_id)
    if inbox_id is not None:
        query = query.where(Broadcast.inbox_id == inbox_id)
    if contact_id is not None:
        query = query.where(Broadcast.contact_id == contact_id)
    if created_from is not None:
        query = query.where(Broadcast.created_at >= created_from)
    return await fetch_page(tx, query, page)


async def of_messages(tx: Tx, message_ids: Sequence[uuid.UUID]) -> list[Broadcast]:
    if not message_ids:
        return []
    return list(
        await tx.session.scalars(select(Broadcast).where(Broadcast.message_id.in_(message_ids)))
    )
