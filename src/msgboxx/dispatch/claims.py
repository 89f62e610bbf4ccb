"""Claiming due work with a lease, so that a dead process's claims expire.

A claim sets ``lease_until`` and ``lease_owner`` on due rows. On PostgreSQL the
select uses ``FOR UPDATE SKIP LOCKED`` so that concurrent dispatchers take
disjoint rows without waiting on each other, and each number's pacing row is
locked for the length of the claim so that its rate is shared by all of them;
SQLite has one writer at a time, which gives the same exclusivity.

What a claim takes, in order: per number, no more than its throughput allows;
per contact, only the oldest message still queued (so messages leave in the
order they were accepted) and only within the pair rate; replies before
broadcasts.
"""

from __future__ import annotations

import functools
import math
import random
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Table,
    and_,
    bindparam,
    exists,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import aliased

from msgboxx.db.prepared import Prepared
from msgboxx.db.tx import Tx
from msgboxx.dispatch.models import NumberPacing, RecipientPacing
from msgboxx.messages.models import Message
from msgboxx.templates.models import Template, TemplateStatus


@dataclass(frozen=True, slots=True)
class Pacing:
    """The limits a claim respects, from settings."""

    number_rate: float
    number_burst: timedelta
    pair_interval: timedelta
    pair_burst: int

    @property
    def pair_tolerance(self) -> timedelta:
        return self.pair_interval * (self.pair_burst - 1)


@dataclass(frozen=True, slots=True)
class Claim:
    message_ids: list[uuid.UUID]
    # When a number with due messages is at its rate: seconds until it may send again.
    retry_in: float | None = None


@dataclass(frozen=True, slots=True)
class NumberSlots:
    """What a number's pacing clock allows at one moment.

    The clock is a GCRA "theoretical arrival time" (``tat``): a number at rest
    may send ``number_burst`` seconds' worth of its rate at once, and every
    message sent moves the clock on by one interval of the rate.
    """

    # The number's clock, never behind now (a number at rest has saved no more than its burst).
    tat: datetime
    # How many messages the number may send now.
    capacity: int
    # When it may send none: seconds until its next slot.
    retry_in: float | None = None


def number_slots(tat: datetime, *, now: datetime, pacing: Pacing) -> NumberSlots:
    """How many messages a number whose clock reads ``tat`` may send at ``now``."""
    tat = max(tat, now)
    # A burst holds at least one message, or a rate slower than one per burst
    # (2/s with the default 0.25 s) would never send at all; rounded up to whole
    # microseconds, as timedelta keeps them, so that one interval is one message.
    one = timedelta(microseconds=math.ceil(1_000_000 / pacing.number_rate))
    burst = max(pacing.number_burst, one)
    capacity = int((now + burst - tat).total_seconds() * pacing.number_rate)
    if capacity > 0:
        return NumberSlots(tat, capacity)
    wait = (tat - burst - now).total_seconds() + 1 / pacing.number_rate
    return NumberSlots(tat, capacity, retry_in=wait)


def tat_after(tat: datetime, taken: int, *, pacing: Pacing) -> datetime:
    """The number's clock once it has sent ``taken`` more messages: one interval each."""
    return tat + timedelta(seconds=taken / pacing.number_rate)


# Replies to customers go before template broadcasts on the same number.
LANES = ("text", "template")


def _due() -> ColumnElement[bool]:
    now: BindParameter[datetime] = bindparam("now")
    return and_(
        Message.next_attempt_at <= now,
        or_(Message.lease_until.is_(None), Message.lease_until < now),
    )


def _first_in_line() -> ColumnElement[bool]:
    """No earlier message to the same contact is still queued: order is kept per contact."""
    earlier = aliased(Message)
    return ~exists().where(
        earlier.contact_id == Message.contact_id,
        earlier.next_attempt_at.is_not(None),
        or_(
            earlier.created_at < Message.created_at,
            and_(earlier.created_at == Message.created_at, earlier.id < Message.id),
        ),
    )


# Every statement of a claim is prepared once (msgboxx.db.prepared): a claim runs
# many times a second under load, and on SQLite SQLAlchemy's ORM execution around
# each statement cost more than running it.
_NUMBERS_WITH_DUE = Prepared(select(Message.account_id).where(_due()).distinct().limit(50))
_FIRST_DUE = Prepared(
    select(Message.id, Message.contact_id, RecipientPacing.tat)
    .outerjoin(RecipientPacing, RecipientPacing.contact_id == Message.contact_id)
    .where(
        Message.account_id == bindparam("account_id"),
        Message.kind == bindparam("lane"),
        _due(),
        _first_in_line(),
        or_(RecipientPacing.tat.is_(None), RecipientPacing.tat <= bindparam("pair_deadline")),
    )
    .order_by(Message.next_attempt_at, Message.created_at)
    .limit(bindparam("limit"))
    .with_for_update(skip_locked=True, of=Message)
)
_LEASE = Prepared(
    update(Message)
    .where(Message.id.in_(bindparam("ids", expanding=True)))
    .values(
        lease_until=bindparam("until"),
        lease_owner=bindparam("owner"),
        attempts=Message.attempts + 1,
    )
    .execution_options(synchronize_session=False)
)
_NUMBER_TAT = Prepared(
    select(NumberPacing.tat).where(NumberPacing.account_id == bindparam("number")).with_for_update()
)
_MOVE_NUMBER_TAT = Prepared(
    update(NumberPacing)
    .where(NumberPacing.account_id == bindparam("number"))
    .values(tat=bindparam("moved_to"))
)


@functools.cache
def _upserts(dialect: str) -> tuple[Prepared, Prepared]:
    """The pacing rows' INSERT ... ON CONFLICT statements, in the dialect's own form."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    number_row = (
        insert(NumberPacing)
        .values(account_id=bindparam("number"), tat=bindparam("now"))
        .on_conflict_do_nothing(index_elements=[NumberPacing.account_id])
    )
    recipients = insert(cast(Table, RecipientPacing.__table__))
    recipient_rows = recipients.on_conflict_do_update(
        index_elements=[RecipientPacing.contact_id], set_={"tat": recipients.excluded.tat}
    )
    return Prepared(number_row), Prepared(recipient_rows)


async def claim_messages(
    tx: Tx,
    *,
    owner: str,
    now: datetime,
    lease: timedelta,
    limit: int,
    pacing: Pacing,
) -> Claim:
    """Lease due messages, number by number, within each number's and customer's rate."""
    accounts = [account_id for (account_id,) in await _NUMBERS_WITH_DUE.all(tx, {"now": now})]
    random.shuffle(accounts)  # no number waits behind another's backlog
    claimed: list[uuid.UUID] = []
    retry_in: float | None = None
    for account_id in accounts:
        if len(claimed) >= limit:
            break
        slots = number_slots(await _locked_tat(tx, account_id, now), now=now, pacing=pacing)
        capacity = slots.capacity
        if slots.retry_in is not None:
            retry_in = slots.retry_in if retry_in is None else min(retry_in, slots.retry_in)
            continue
        rows: list[Any] = []
        for lane in LANES:  # replies take the number's slots before broadcasts do
            wanted = min(capacity, limit - len(claimed)) - len(rows)
            if wanted <= 0:
                break
            rows += await _first_due(tx, account_id, lane, now=now, limit=wanted, pacing=pacing)
        if not rows:
            continue
        ids = [message_id for message_id, _contact_id, _tat in rows]
        await _LEASE.execute(tx, {"ids": ids, "until": now + lease, "owner": owner})
        await _MOVE_NUMBER_TAT.execute(
            tx,
            {
                "number": account_id,
                "moved_to": tat_after(slots.tat, len(ids), pacing=pacing),
            },
        )
        await _advance_recipients(tx, rows, now=now, interval=pacing.pair_interval)
        claimed.extend(ids)
    return Claim(claimed, retry_in)


async def _first_due(
    tx: Tx,
    account_id: uuid.UUID,
    lane: str,
    *,
    now: datetime,
    limit: int,
    pacing: Pacing,
) -> list[Any]:
    """The oldest due messages of one lane of one number that may go now."""
    return await _FIRST_DUE.all(
        tx,
        {
            "account_id": account_id,
            "lane": lane,
            "now": now,
            "pair_deadline": now + pacing.pair_tolerance,
            "limit": limit,
        },
    )


async def _locked_tat(tx: Tx, account_id: uuid.UUID, now: datetime) -> datetime:
    """The number's pacing row, locked until the claim commits (other workers wait)."""
    number_row, _ = _upserts(tx.session.get_bind().dialect.name)
    await number_row.execute(tx, {"number": account_id, "now": now})
    found = await _NUMBER_TAT.first(tx, {"number": account_id})
    tat: datetime | None = found[0] if found is not None else None
    return tat or now


async def _advance_recipients(
    tx: Tx, rows: Sequence[Any], *, now: datetime, interval: timedelta
) -> None:
    """Move each claimed contact's pair-rate clock on, in one statement."""
    if not interval:
        return
    values = [
        {"contact_id": contact_id, "tat": max(tat or now, now) + interval}
        for _message_id, contact_id, tat in rows
        if contact_id is not None
    ]
    if not values:
        return
    _, recipient_rows = _upserts(tx.session.get_bind().dialect.name)
    await recipient_rows.execute_many(tx, values)


async def claim_template_submissions(
    tx: Tx, *, now: datetime, lease: timedelta, limit: int
) -> list[uuid.UUID]:
    """Pending templates not yet handed to the channel, or whose hand-off died."""
    due = (
        select(Template.id)
        .where(
            Template.status == TemplateStatus.pending,
            Template.provider_template_id.is_(None),
            or_(Template.submitted_at.is_(None), Template.submitted_at < now - lease),
        )
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    claimed = await tx.session.scalars(
        update(Template)
        .where(Template.id.in_(due.scalar_subquery()))
        .values(submitted_at=now)
        .returning(Template.id)
        .execution_options(synchronize_session=False)
    )
    return list(claimed)


async def take_back(tx: Tx, *, owner: str) -> int:
    """Free the claims an earlier holder of ``owner`` left behind, so they are due at once.

    Only for an owner name this process holds exclusively (``dispatch.identity``),
    before its first claim: every lease under the name is then a dead process's.
    """
    result = await tx.session.execute(
        update(Message)
        .where(Message.next_attempt_at.is_not(None), Message.lease_owner == owner)
        .values(lease_until=None, lease_owner=None)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)
