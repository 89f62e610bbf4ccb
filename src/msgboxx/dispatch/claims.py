"""Claiming due work with a lease, so that a dead process's claims expire.

A claim sets ``lease_until`` and ``lease_owner`` on due rows in one statement. On
PostgreSQL the inner select uses ``FOR UPDATE SKIP LOCKED`` so that concurrent
dispatchers take disjoint rows without waiting on each other; SQLite has one
writer at a time, which gives the same exclusivity.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from msgboxx.messages.models import Message
from msgboxx.templates.models import Template, TemplateStatus


async def claim_messages(
    session: AsyncSession, *, owner: str, now: datetime, lease: timedelta, limit: int
) -> list[uuid.UUID]:
    due = (
        select(Message.id)
        .where(
            Message.next_attempt_at <= now,
            or_(Message.lease_until.is_(None), Message.lease_until < now),
        )
        .order_by(Message.next_attempt_at, Message.created_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    claimed = await session.scalars(
        update(Message)
        .where(Message.id.in_(due.scalar_subquery()))
        .values(lease_until=now + lease, lease_owner=owner, attempts=Message.attempts + 1)
        .returning(Message.id)
        .execution_options(synchronize_session=False)
    )
    return list(claimed)


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
