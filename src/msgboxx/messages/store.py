"""Every statement on ``messages``, but a claim's (``queue_store``) and an erasure's
(``erasure_store``).

The hot paths (an accept, a report batch, a batch of sends) run theirs as
:class:`~msgboxx.db.prepared.Prepared` statements on plain rows
(:class:`~msgboxx.messages.rows.MessageRow`): SQLAlchemy's execution path and
ORM models cost more than the statements (``docs/benchmarks.md``). Reports
held for a message not yet known are in ``held_store``.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Insert,
    Select,
    Table,
    Text,
    bindparam,
    func,
    insert,
    or_,
    select,
    text,
    update,
)
from sqlalchemy import cast as sql_cast

from msgboxx.accounts import service as accounts
from msgboxx.accounts.models import Inbox
from msgboxx.contacts.models import Contact
from msgboxx.db import dialect
from msgboxx.db.engine import wakes_other_processes
from msgboxx.db.prepared import Prepared
from msgboxx.db.tx import Tx
from msgboxx.messages.models import Message
from msgboxx.messages.rows import (
    COLUMNS,
    RECORDED_COLUMNS,
    STATUS_COLUMNS,
    MessageRow,
    Recipient,
    values_of,
)
from msgboxx.messages.schemas import OUTBOUND
from msgboxx.messages.status import MessageStatus
from msgboxx.webhooks.listeners import subscribed

_MESSAGES = cast(Table, Message.__table__)
_m = _MESSAGES.c
_ROW = tuple(_m[column] for column in COLUMNS)


def _recipient_query(*, admin: bool) -> Select[*tuple[Any, ...]]:
    return (
        select(
            Contact.id,
            Contact.account_id,
            Inbox.id,
            Contact.last_inbound_at,
            Contact.status,
            subscribed(Contact.account_id),
        )
        .join(Inbox, Inbox.account_id == Contact.account_id)
        .where(
            Contact.id == bindparam("contact_id"),
            Contact.account_id.in_(accounts.prebuilt_visible_account_ids(admin=admin)),
        )
    )


_RECIPIENT = {admin: Prepared(_recipient_query(admin=admin)) for admin in (True, False)}


async def recipient(
    tx: Tx, *, contact_id: uuid.UUID, admin: bool, visibility: Mapping[str, uuid.UUID]
) -> Recipient | None:
    """The contact, its account's inbox, and whether anyone listens: one query, not three.

    The one read of this store on other domains' tables (``contacts``,
    ``inboxes``, and the subscriptions through ``subscribed``). Every accepted
    message runs it first, so it must stay one statement: asking the contacts
    and accounts services separately would be two round trips more per accept
    on PostgreSQL, and two more statements' overhead on SQLite.
    """
    row = await _RECIPIENT[admin].first(tx, {"contact_id": contact_id, **visibility})
    return Recipient(*row) if row is not None else None


_INSERT = {
    "sqlite": Prepared(insert(_MESSAGES), column_keys=COLUMNS),
    # Dispatchers may run in other processes (msgboxx worker).
    "postgresql": Prepared(wakes_other_processes(insert(_MESSAGES)), column_keys=COLUMNS),
}


async def add_outbound(tx: Tx, row: MessageRow) -> None:
    """Insert a queued message, waking the dispatchers of other processes at commit."""
    await _INSERT[tx.dialect].execute(tx, row._asdict())


_INSERT_ONCE: dict[str, Insert] = {}


async def add_inbound(tx: Tx, row: MessageRow) -> bool:
    """Insert a received message; False, writing nothing, if its provider id is stored already.

    One statement, which also settles two deliveries of one message arriving at once.
    """
    statement = _INSERT_ONCE.get(tx.dialect)
    if statement is None:
        statement = _INSERT_ONCE[tx.dialect] = (
            dialect.insert(tx, _MESSAGES)
            .on_conflict_do_nothing(index_elements=[_m.provider_message_id])
            .returning(_m.id)
        )
    return (await tx.session.execute(statement, row._asdict())).first() is not None


def _visible_query(*, admin: bool) -> Select[*tuple[Any, ...]]:
    return select(*_ROW).where(
        _m.id == bindparam("message_id"),
        _m.account_id.in_(accounts.prebuilt_visible_account_ids(admin=admin)),
    )


# Clients that poll a message's status run it most of all reads.
_VISIBLE = {admin: Prepared(_visible_query(admin=admin)) for admin in (True, False)}
_BY_PROVIDER_ID = Prepared(
    select(*_ROW).where(_m.provider_message_id == bindparam("provider_message_id"))
)


async def visible(
    tx: Tx, *, message_id: uuid.UUID, admin: bool, visibility: Mapping[str, uuid.UUID]
) -> MessageRow | None:
    row = await _VISIBLE[admin].first(tx, {"message_id": message_id, **visibility})
    return MessageRow._make(row) if row is not None else None


async def by_provider_id(tx: Tx, provider_message_id: str) -> MessageRow | None:
    row = await _BY_PROVIDER_ID.first(tx, {"provider_message_id": provider_message_id})
    return MessageRow._make(row) if row is not None else None


async def by_ids(tx: Tx, message_ids: list[uuid.UUID]) -> list[MessageRow]:
    """Messages by id, whoever owns them: for a caller that found their records visible."""
    found = await tx.session.execute(select(*_ROW).where(_m.id.in_(message_ids)))
    return [MessageRow(*row) for row in found]


async def page(
    tx: Tx,
    *,
    visible_accounts: Select[uuid.UUID],
    equal: Mapping[str, object],
    created_from: datetime | None,
    created_before: datetime | None,
    offset: int,
    limit: int,
) -> tuple[list[MessageRow], int]:
    """Newest first, and how many match; ``equal``'s None values filter nothing."""
    where: list[ColumnElement[bool]] = [_m.account_id.in_(visible_accounts)]
    where += [_m[column] == value for column, value in equal.items() if value is not None]
    if created_from is not None:
        where.append(_m.created_at >= created_from)
    if created_before is not None:
        where.append(_m.created_at < created_before)
    total = await tx.session.scalar(select(func.count()).select_from(_MESSAGES).where(*where))
    if not total or offset >= total:
        return [], total or 0
    query = (
        select(*_ROW)
        .where(*where)
        .order_by(_m.created_at.desc(), _m.id.desc())
        .offset(offset)
        .limit(limit)
    )
    return [MessageRow._make(row) for row in await tx.session.execute(query)], total


def _listened_by(by: str) -> Prepared:
    """Messages whose ``by`` is in ``ids``, each with whether anyone subscribed."""
    return Prepared(
        select(*_ROW, subscribed(Message.account_id)).where(
            _m[by].in_(bindparam("ids", expanding=True))
        )
    )


_REPORTED = _listened_by("provider_message_id")
_LEASED = _listened_by("id")


def _listened(found: list[tuple[Any, ...]]) -> list[tuple[MessageRow, bool]]:
    return [(MessageRow._make(values[:-1]), values[-1]) for values in found]


async def reported(tx: Tx, provider_message_ids: list[str]) -> list[tuple[MessageRow, bool]]:
    """The messages a batch of reports names, and whether anyone listens to each."""
    if not provider_message_ids:
        return []
    return _listened(await _REPORTED.all(tx, {"ids": provider_message_ids}))


async def leased(tx: Tx, message_ids: list[uuid.UUID]) -> list[tuple[MessageRow, bool]]:
    """The messages of a batch of sends, and whether anyone listens to each."""
    return _listened(await _LEASED.all(tx, {"ids": message_ids}))


def _update_by_id(columns: Sequence[str], *, locking: bool = False) -> Prepared:
    """Set ``columns`` of the message ``message_id`` (run with execute_many).

    ``locking``: also take the report lock ``lock_key`` (PostgreSQL; see
    :func:`lock_reports`) when it is given, as the row is written: no round trip
    of its own.
    """
    statement = update(_MESSAGES).where(_m.id == bindparam("message_id"))
    if locking:
        key = bindparam("lock_key", type_=BigInteger)
        statement = statement.where(
            or_(key.is_(None), sql_cast(func.pg_advisory_xact_lock(key), Text).is_not(None))
        )
    return Prepared(statement, column_keys=columns)


_SET_STATUS = _update_by_id(STATUS_COLUMNS)
_status_of = values_of(*STATUS_COLUMNS)
_recorded_of = values_of(*RECORDED_COLUMNS)
_SET_RECORDED = {
    "sqlite": _update_by_id(RECORDED_COLUMNS),
    "postgresql": _update_by_id(RECORDED_COLUMNS, locking=True),
}


async def set_statuses(tx: Tx, rows: Sequence[MessageRow]) -> None:
    """Write the status columns of each row, in one call."""
    await _SET_STATUS.execute_many(
        tx,
        [
            dict(zip(STATUS_COLUMNS, _status_of(row), strict=True), message_id=row.id)
            for row in rows
        ],
    )


async def set_recorded(tx: Tx, rows: Sequence[MessageRow]) -> None:
    """Write what recording sends changed of each row, in one call.

    On PostgreSQL each row with a provider id also takes its report lock, in
    the lock's order (:func:`lock_reports`), before ``held_store.held_for`` looks.
    """
    changes: list[dict[str, Any]] = [
        dict(zip(RECORDED_COLUMNS, _recorded_of(row), strict=True), message_id=row.id)
        for row in rows
    ]
    if tx.dialect == "postgresql":
        for values in changes:
            pid = values["provider_message_id"]
            values["lock_key"] = _lock_key(pid) if pid is not None else None
        changes.sort(key=lambda values: (values["lock_key"] is not None, values["lock_key"] or 0))
    await _SET_RECORDED[tx.dialect].execute_many(tx, changes)


def _lock_key(provider_message_id: str) -> int:
    """The advisory lock of one provider id: 64 bits of its hash, the same in every process."""
    digest = hashlib.blake2b(provider_message_id.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


_LOCK = text("SELECT pg_advisory_xact_lock(k) FROM unnest(CAST(:keys AS BIGINT[])) AS k")


async def lock_reports(
    tx: Tx, provider_message_ids: Sequence[str]
) -> list[tuple[MessageRow, bool]]:
    """Lock reports' ids before holding them, and read their messages again (PostgreSQL).

    A report and the record of its message's id could pass each other: the
    report read no message (the record was not committed yet) and the record
    looked for held reports before the hold was committed, so the report waited
    for the sweep. Both take the id's lock until they commit (the record in
    :func:`set_recorded`), so whichever comes second sees what the first wrote:
    the record finds the held report, or this read finds the recorded id and
    the report is applied, not held. Not on SQLite: one writer at a time leaves
    nothing to race, and no statement is run.
    """
    if tx.dialect != "postgresql" or not provider_message_ids:
        return []
    keys = sorted({_lock_key(pid) for pid in provider_message_ids})  # one order: no deadlock
    await tx.session.execute(_LOCK, {"keys": keys})
    return await reported(tx, list(provider_message_ids))


async def handed_off(
    tx: Tx,
    *,
    account_ids: Sequence[uuid.UUID],
    statuses: Sequence[str],
    provider_prefix: str,
    after: uuid.UUID | None,
    limit: int,
) -> list[tuple[uuid.UUID, str, str, datetime]]:
    """Outbound messages in ``statuses`` under ``provider_prefix``: (id, provider id, status, sent).

    By id, ``limit`` after ``after``.
    """
    query = (
        select(
            _m.id,
            _m.provider_message_id,
            _m.status,
            _m.sent_at,
        )
        .where(
            _m.account_id.in_(account_ids),
            _m.direction == OUTBOUND,
            _m.status.in_(statuses),
            _m.provider_message_id.startswith(provider_prefix, autoescape=True),
            _m.sent_at.is_not(None),
        )
        .order_by(_m.id)
        .limit(limit)
    )
    if after is not None:
        query = query.where(_m.id > after)
    return [(id_, pid, status, sent) for id_, pid, status, sent in await tx.session.execute(query)]


async def cancel_queued(
    tx: Tx, *, message_id: uuid.UUID, now: datetime, changes: Mapping[str, Any]
) -> bool:
    """Write ``changes`` to a scheduled message still Pending and not held by a live lease.

    False, writing nothing, when it is no longer so: the check and the write are one.
    """
    result = await tx.session.execute(
        update(_MESSAGES)
        .where(
            _m.id == message_id,
            _m.status == MessageStatus.pending,
            _m.send_at.is_not(None),
            _m.next_attempt_at.is_not(None),
            or_(_m.lease_until.is_(None), _m.lease_until < now),
        )
        .values(**changes)
    )
    return bool(getattr(result, "rowcount", 0))


async def recipients_in_organisation(
    tx: Tx, *, org_id: uuid.UUID, contact_ids: Sequence[uuid.UUID]
) -> list[Recipient]:
    """:func:`recipient` for many contacts of one organisation in one query (a campaign's
    batch): each contact with its account's inbox and whether anyone listens.
    """
    found = await tx.session.execute(
        select(
            Contact.id,
            Contact.account_id,
            Inbox.id,
            Contact.last_inbound_at,
            Contact.status,
            subscribed(Contact.account_id),
        )
        .join(Inbox, Inbox.account_id == Contact.account_id)
        .where(
            Contact.id.in_(list(contact_ids)),
            Contact.account_id.in_(accounts.organisation_account_ids(org_id)),
        )
    )
    return [Recipient(*row) for row in found]


async def add_outbound_many(tx: Tx, rows: Sequence[MessageRow]) -> None:
    """Insert queued messages in one executemany; the first also wakes other processes'
    dispatchers at commit (one NOTIFY is enough for the lot).
    """
    if not rows:
        return
    await add_outbound(tx, rows[0])
    if len(rows) > 1:
        await _INSERT["sqlite"].execute_many(tx, [row._asdict() for row in rows[1:]])
