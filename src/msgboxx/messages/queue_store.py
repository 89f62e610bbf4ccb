"""The statements of a claim on the queue, which is the message row (``dispatch.claims``).

Each is prepared once (``msgboxx.db.prepared``): a claim runs many times a
second under load, and on SQLite SQLAlchemy's execution around each statement
cost more than running it.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import cast

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    FromClause,
    Table,
    TextClause,
    and_,
    bindparam,
    exists,
    func,
    or_,
    select,
    text,
    update,
)

from msgboxx.db.prepared import Prepared
from msgboxx.db.tx import Tx
from msgboxx.dispatch.models import RecipientPacing
from msgboxx.messages.models import MEDIA_KINDS_SQL, Message
from msgboxx.messages.rows import Due

_MESSAGES = cast(Table, Message.__table__)
_m = _MESSAGES.c


def _due() -> ColumnElement[bool]:
    now: BindParameter[datetime] = bindparam("now")
    return and_(_m.next_attempt_at <= now, or_(_m.lease_until.is_(None), _m.lease_until < now))


def line_at(messages: FromClause) -> ColumnElement[datetime]:
    """A message's place in its contact's line: when it is due to go out first.

    A scheduled message's ``send_at``, any other's accept time: a message
    scheduled for tomorrow holds back none of today's, and scheduled ones keep
    their order among themselves by ``send_at``. The index
    ``ix_messages_contact_queue`` is on this very expression.
    """
    return func.coalesce(messages.c.send_at, messages.c.created_at)


def _first_in_line() -> ColumnElement[bool]:
    """No message earlier in line to the same contact is still queued: order is kept per contact."""
    earlier = _MESSAGES.alias("earlier")
    mine, theirs = line_at(_MESSAGES), line_at(earlier)
    return ~exists().where(
        earlier.c.contact_id == _m.contact_id,
        earlier.c.next_attempt_at.is_not(None),
        or_(theirs < mine, and_(theirs == mine, earlier.c.id < _m.id)),
    )


_NUMBERS_WITH_DUE = Prepared(select(_m.account_id).where(_due()).distinct().limit(50))
_PAIR_PACING = cast(Table, RecipientPacing.__table__)
_pair = _PAIR_PACING.c
# Session messages that carry media (their kind is the media's): a lane of their own,
# so that the text lane keeps its one-kind index range and its order.
MEDIA_LANE = "media"


def _first_due(lane: ColumnElement[bool] | TextClause) -> Prepared:
    return Prepared(
        select(_m.id, _m.contact_id, _pair.tat)
        .select_from(_MESSAGES)
        .outerjoin(_PAIR_PACING, _pair.contact_id == _m.contact_id)
        .where(
            _m.account_id == bindparam("account_id"),
            lane,
            _due(),
            _first_in_line(),
            or_(_pair.tat.is_(None), _pair.tat <= bindparam("pair_deadline")),
        )
        .order_by(_m.next_attempt_at, _m.created_at)
        .limit(bindparam("limit"))
        .with_for_update(skip_locked=True, of=_MESSAGES)
    )


_FIRST_DUE = _first_due(_m.kind == bindparam("lane"))
# The kinds as constants in the SQL, as the partial index ix_messages_account_media_due
# names them, so that both databases use it: it holds only media that is due, where
# the lane index would be read through every due template of the number (6 ms per
# claim behind a 10,000-message broadcast on PostgreSQL).
_FIRST_DUE_MEDIA = _first_due(text(f"messages.kind IN ({MEDIA_KINDS_SQL})"))
_LEASE = Prepared(
    update(_MESSAGES)
    .where(_m.id.in_(bindparam("ids", expanding=True)))
    .values(
        lease_until=bindparam("until"), lease_owner=bindparam("owner"), attempts=_m.attempts + 1
    )
)


_NEXT_DUE = Prepared(
    select(func.min(_m.next_attempt_at)).where(_m.next_attempt_at > bindparam("now"))
)


async def next_due_at(tx: Tx, *, now: datetime) -> datetime | None:
    """When the next message not yet due becomes due (a schedule or a retry); None if none."""
    found = await _NEXT_DUE.first(tx, {"now": now})
    return found[0] if found is not None else None


async def numbers_with_due(tx: Tx, *, now: datetime) -> list[uuid.UUID]:
    """Accounts (numbers) with messages due now, at most 50."""
    return [account_id for (account_id,) in await _NUMBERS_WITH_DUE.all(tx, {"now": now})]


async def first_due(
    tx: Tx,
    *,
    account_id: uuid.UUID,
    lane: str,
    now: datetime,
    pair_deadline: datetime,
    limit: int,
) -> list[Due]:
    """The oldest due messages of one lane of a number, first in line for their contact.

    Each as (id, contact id, the contact's pair-rate clock): only contacts whose
    clock is at most ``pair_deadline``, locked (PostgreSQL: other dispatchers
    skip them). This store's one read of a table of dispatch (``recipient_pacing``):
    the pair rate must filter before the limit, in the same statement.
    """
    params = {
        "account_id": account_id,
        "lane": lane,
        "now": now,
        "pair_deadline": pair_deadline,
        "limit": limit,
    }
    statement = _FIRST_DUE_MEDIA if lane == MEDIA_LANE else _FIRST_DUE
    return cast(list[Due], await statement.all(tx, params))


async def lease(tx: Tx, *, ids: list[uuid.UUID], until: datetime, owner: str) -> None:
    """Lease messages to ``owner`` until ``until``, counting an attempt each."""
    await _LEASE.execute(tx, {"ids": ids, "until": until, "owner": owner})


async def free_leases(tx: Tx, *, owner: str) -> int:
    """Free every lease ``owner`` holds on queued messages; how many there were."""
    result = await tx.session.execute(
        update(_MESSAGES)
        .where(_m.next_attempt_at.is_not(None), _m.lease_owner == owner)
        .values(lease_until=None, lease_owner=None)
    )
    return int(getattr(result, "rowcount", 0) or 0)
