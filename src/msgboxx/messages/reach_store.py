"""The statements behind a campaign's view of messages: reach, the queue ahead, outcomes.

Business-initiated reach (templates to customers whose window was closed) is
what WhatsApp's messaging tier caps; it is read from the messages themselves,
so broadcasts and campaigns count alike and nothing has to be kept in step.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, cast

from sqlalchemy import ColumnElement, Interval, Select, Table, and_, exists, func, literal, select

from msgboxx.db.tx import Tx
from msgboxx.messages.models import Message
from msgboxx.messages.schemas import INBOUND, OUTBOUND
from msgboxx.messages.status import MessageStatus
from msgboxx.messages.window import WINDOW

_MESSAGES = cast(Table, Message.__table__)
_m = _MESSAGES.c


def _day_before(tx: Tx, at: ColumnElement[Any]) -> ColumnElement[Any]:
    """``at`` less 24 hours, in SQL: SQLite keeps timestamps as text, PostgreSQL as times."""
    if tx.dialect == "sqlite":
        return func.strftime("%Y-%m-%d %H:%M:%f", at, "-1 day")
    return at - literal(WINDOW, type_=Interval())


def _outside_window(tx: Tx, accounts: Select[uuid.UUID], since: datetime) -> list[Any]:
    """Template messages of these accounts since ``since`` sent while the contact's window
    was closed: no message from the contact in the 24 hours before.
    """
    inbound = _MESSAGES.alias("inbound")
    return [
        _m.account_id.in_(accounts),
        _m.created_at >= since,
        _m.direction == OUTBOUND,
        _m.template_id.is_not(None),
        _m.status != MessageStatus.failed,
        ~exists().where(
            inbound.c.contact_id == _m.contact_id,
            inbound.c.direction == INBOUND,
            inbound.c.created_at <= _m.created_at,
            inbound.c.created_at >= _day_before(tx, _m.created_at),
        ),
    ]


async def reached_count(tx: Tx, *, accounts: Select[uuid.UUID], since: datetime) -> int:
    found = await tx.session.scalar(
        select(func.count(func.distinct(_m.contact_id))).where(
            *_outside_window(tx, accounts, since)
        )
    )
    return int(found or 0)


async def reached_among(
    tx: Tx, *, accounts: Select[uuid.UUID], since: datetime, contact_ids: list[uuid.UUID]
) -> set[uuid.UUID]:
    found = await tx.session.scalars(
        select(_m.contact_id)
        .where(*_outside_window(tx, accounts, since), _m.contact_id.in_(contact_ids))
        .distinct()
    )
    return {contact_id for contact_id in found if contact_id is not None}


async def queued_ahead(tx: Tx, *, account_id: uuid.UUID, due_by: datetime) -> int:
    """Outbound messages of a number still to send, due by ``due_by`` (the partial due index)."""
    found = await tx.session.scalar(
        select(func.count()).where(
            _m.account_id == account_id,
            _m.next_attempt_at.is_not(None),
            _m.next_attempt_at <= due_by,
        )
    )
    return int(found or 0)


async def status_counts(tx: Tx, message_ids: Select[uuid.UUID]) -> dict[str, int]:
    found = await tx.session.execute(
        select(_m.status, func.count()).where(_m.id.in_(message_ids)).group_by(_m.status)
    )
    return {status: int(count) for status, count in found}


async def replied_count(tx: Tx, message_ids: Select[uuid.UUID]) -> int:
    """Of these outbound messages, how many the contact has written after (on the same number).

    A contact belongs to one number, so the contact and the time alone find the
    reply: the condition matches ``ix_messages_contact_created`` exactly, and no
    planner (PostgreSQL's with statistics taken while the campaign's table was
    small included) is tempted to walk the whole number's messages per message.
    """
    inbound = _MESSAGES.alias("inbound")
    found = await tx.session.scalar(
        select(func.count()).where(
            _m.id.in_(message_ids),
            exists().where(
                and_(
                    inbound.c.contact_id == _m.contact_id,
                    inbound.c.direction == INBOUND,
                    inbound.c.created_at > _m.created_at,
                )
            ),
        )
    )
    return int(found or 0)
