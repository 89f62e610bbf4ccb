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

import random
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

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
    # When nothing could be taken because a number is at its rate: seconds until it may.
    retry_in: float | None = None


# Replies to customers go before template broadcasts on the same number.
LANES = ("text", "template")


def _due(now: datetime) -> ColumnElement[bool]:
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


async def claim_messages(
    session: AsyncSession,
    *,
    owner: str,
    now: datetime,
    lease: timedelta,
    limit: int,
    pacing: Pacing,
) -> Claim:
    """Lease due messages, number by number, within each number's and customer's rate."""
    accounts = list(
        await session.scalars(select(Message.account_id).where(_due(now)).distinct().limit(50))
    )
    random.shuffle(accounts)  # no number waits behind another's backlog
    claimed: list[uuid.UUID] = []
    retry_in: float | None = None
    for account_id in accounts:
        if len(claimed) >= limit:
            break
        tat = max(await _locked_tat(session, account_id, now), now)
        capacity = int((now + pacing.number_burst - tat).total_seconds() * pacing.number_rate)
        if capacity <= 0:
            wait = (tat - pacing.number_burst - now).total_seconds() + 1 / pacing.number_rate
            retry_in = wait if retry_in is None else min(retry_in, wait)
            continue
        rows: list[Any] = []
        for lane in LANES:  # replies take the number's slots before broadcasts do
            wanted = min(capacity, limit - len(claimed)) - len(rows)
            if wanted <= 0:
                break
            rows += await _first_due(
                session, account_id, lane, now=now, limit=wanted, pacing=pacing
            )
        if not rows:
            continue
        ids = [row.id for row in rows]
        await session.execute(
            update(Message)
            .where(Message.id.in_(ids))
            .values(lease_until=now + lease, lease_owner=owner, attempts=Message.attempts + 1)
            .execution_options(synchronize_session=False)
        )
        await session.execute(
            update(NumberPacing)
            .where(NumberPacing.account_id == account_id)
            .values(tat=tat + timedelta(seconds=len(ids) / pacing.number_rate))
        )
        await _advance_recipients(session, rows, now=now, interval=pacing.pair_interval)
        claimed.extend(ids)
    return Claim(claimed, None if claimed else retry_in)


async def _first_due(
    session: AsyncSession,
    account_id: uuid.UUID,
    lane: str,
    *,
    now: datetime,
    limit: int,
    pacing: Pacing,
) -> list[Any]:
    """The oldest due messages of one lane of one number that may go now."""
    result = await session.execute(
        select(Message.id, Message.contact_id, RecipientPacing.tat)
        .outerjoin(RecipientPacing, RecipientPacing.contact_id == Message.contact_id)
        .where(
            Message.account_id == account_id,
            Message.kind == lane,
            _due(now),
            _first_in_line(),
            or_(
                RecipientPacing.tat.is_(None),
                RecipientPacing.tat <= now + pacing.pair_tolerance,
            ),
        )
        .order_by(Message.next_attempt_at, Message.created_at)
        .limit(limit)
        .with_for_update(skip_locked=True, of=Message)
    )
    return list(result.all())


async def _locked_tat(session: AsyncSession, account_id: uuid.UUID, now: datetime) -> datetime:
    """The number's pacing row, locked until the claim commits (other workers wait)."""
    await session.execute(
        _insert(session)(NumberPacing)
        .values(account_id=account_id, tat=now)
        .on_conflict_do_nothing(index_elements=[NumberPacing.account_id])
    )
    tat = await session.scalar(
        select(NumberPacing.tat).where(NumberPacing.account_id == account_id).with_for_update()
    )
    return tat or now


async def _advance_recipients(
    session: AsyncSession, rows: Sequence[Any], *, now: datetime, interval: timedelta
) -> None:
    """Move each claimed contact's pair-rate clock on, in one statement."""
    if not interval:
        return
    values = [
        {"contact_id": row.contact_id, "tat": max(row.tat or now, now) + interval}
        for row in rows
        if row.contact_id is not None
    ]
    if not values:
        return
    stmt = _insert(session)(RecipientPacing).values(values)
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=[RecipientPacing.contact_id], set_={"tat": stmt.excluded.tat}
        )
    )


def _insert(session: AsyncSession) -> Any:
    """The dialect's INSERT, which knows ON CONFLICT on both SQLite and PostgreSQL."""
    return postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert


async def claim_template_submissions(
    session: AsyncSession, *, now: datetime, lease: timedelta, limit: int
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
    claimed = await session.scalars(
        update(Template)
        .where(Template.id.in_(due.scalar_subquery()))
        .values(submitted_at=now)
        .returning(Template.id)
        .execution_options(synchronize_session=False)
    )
    return list(claimed)
