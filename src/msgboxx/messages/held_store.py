"""Every statement on ``pending_status_reports``: reports that beat our record of their id.

The network may report a message before the dispatcher has committed the id it
got back for it; such a report waits here and is applied when the id is
recorded (``messages.reports``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, delete, select

from msgboxx.db import dialect
from msgboxx.db.prepared import Prepared
from msgboxx.db.tx import Tx
from msgboxx.messages.models import Message, PendingStatusReport

_HELD = cast(Table, PendingStatusReport.__table__)
_MESSAGES = cast(Table, Message.__table__)
_HOLD: dict[str, Prepared] = {}


async def hold(tx: Tx, reports: Sequence[Mapping[str, Any]]) -> None:
    """Keep early reports once each (a repeat is a no-op, also under concurrency).

    Each is ``provider_message_id``, ``status``, ``at``, ``failure_reason``,
    ``account_id`` and ``received_at``.
    """
    statement = _HOLD.get(tx.dialect)
    if statement is None:
        statement = Prepared(dialect.insert(tx, _HELD).on_conflict_do_nothing())
        _HOLD[tx.dialect] = statement
    await statement.execute_many(tx, reports)


# Every recorded batch of sends runs it, and almost always finds nothing.
_HELD_FOR = Prepared(
    select(
        _HELD.c.provider_message_id,
        _HELD.c.status,
        _HELD.c.at,
        _HELD.c.failure_reason,
        _HELD.c.account_id,
    ).where(_HELD.c.provider_message_id.in_(bindparam("ids", expanding=True)))
)
_FORGET_HELD = delete(_HELD).where(
    _HELD.c.provider_message_id == bindparam("pid"), _HELD.c.status == bindparam("held_status")
)


async def held_for(tx: Tx, provider_message_ids: list[str]) -> list[tuple[Any, ...]]:
    """Held reports on these ids: (provider id, status, at, failure reason, account id)."""
    return await _HELD_FOR.all(tx, {"ids": provider_message_ids})


async def forget_held(tx: Tx, held: Sequence[tuple[str, str]]) -> None:
    """Delete held reports, each named by (provider id, status)."""
    await tx.session.execute(_FORGET_HELD, [{"pid": p, "held_status": s} for p, s in held])


async def held_with_message(tx: Tx, *, limit: int) -> list[str]:
    """Provider ids of held reports whose message has the id now (a read of both tables)."""
    matched = await tx.session.scalars(
        select(_HELD.c.provider_message_id)
        .join(_MESSAGES, _MESSAGES.c.provider_message_id == _HELD.c.provider_message_id)
        .distinct()
        .limit(limit)
    )
    return list(matched)


async def forget_held_before(tx: Tx, received_before: datetime) -> None:
    await tx.session.execute(delete(_HELD).where(_HELD.c.received_at < received_before))
