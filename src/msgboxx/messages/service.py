"""The rules of messages: accepting, listing, status reports and inbound text."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Select, Table, bindparam, delete, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from msgboxx.accounts import service as accounts
from msgboxx.accounts.models import ApiAccount, Inbox
from msgboxx.auth.service import Principal
from msgboxx.contacts import service as contacts
from msgboxx.contacts.models import Contact
from msgboxx.core.errors import NotFound, Unprocessable
from msgboxx.core.events import EventType
from msgboxx.core.wire import PageRequest
from msgboxx.db import utcnow
from msgboxx.db.engine import wakes_other_processes
from msgboxx.db.paging import fetch_page
from msgboxx.db.prepared import Prepared
from msgboxx.db.tx import Tx, Work
from msgboxx.messages import window
from msgboxx.messages.models import Message, PendingStatusReport
from msgboxx.messages.schemas import SHOWN_COLUMNS, MessageFilters, MessageOut
from msgboxx.messages.status import RANK, MessageStatus, implied, may_move
from msgboxx.webhooks.listeners import subscribed

OUTBOUND = "Outbound"
INBOUND = "Inbound"
_CONVERSATIONS = uuid.UUID("6f1c3f0e-6a57-4d3e-9a43-0f3c5e2b8d11")
# Each status report sets the time it happened in one column.
_STATUS_TIME = {
    MessageStatus.sent: "sent_at",
    MessageStatus.delivered: "delivered_at",
    MessageStatus.read: "read_at",
    MessageStatus.failed: "failed_at",
}


def conversation_id(inbox_id: uuid.UUID, contact_id: uuid.UUID) -> uuid.UUID:
    """The thread between one inbox and one contact: derived, so always stable."""
    return uuid.uuid5(_CONVERSATIONS, f"{inbox_id}:{contact_id}")


@dataclass(frozen=True, slots=True)
class Recipient:
    """A visible contact, as much of it as sending needs, with the inbox it goes through."""

    contact_id: uuid.UUID
    account_id: uuid.UUID
    inbox_id: uuid.UUID
    last_inbound_at: datetime | None
    status: str
    # Whether any webhook subscription covers the account (see Tx.unheard).
    subscribed: bool


def _recipient_query(
    *, admin: bool
) -> Select[uuid.UUID, uuid.UUID, uuid.UUID, datetime | None, str, bool]:
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


# Built once: every accepted message runs it (see accounts.prebuilt_visible_account_ids).
_RECIPIENT = {admin: Prepared(_recipient_query(admin=admin)) for admin in (True, False)}


async def recipient(
    tx: Tx, principal: Principal, *, account_id: uuid.UUID, contact_id: uuid.UUID
) -> Recipient:
    """Load the contact (visible or 404) and check it belongs to the account (or 422)."""
    row = await _RECIPIENT[principal.is_admin].first(
        tx, {"contact_id": contact_id, **accounts.visibility(principal)}
    )
    if row is None:
        await accounts.get(tx, principal, account_id)  # 404 the account first if unseen
        raise NotFound(f"contact {contact_id} was not found")
    to = Recipient(*row)
    if to.account_id != account_id:
        await accounts.get(tx, principal, account_id)
        raise Unprocessable.for_field(
            "contactId", "this contact does not belong to the given API account"
        )
    return to


async def send_session(
    tx: Tx,
    principal: Principal,
    *,
    account_id: uuid.UUID,
    contact_id: uuid.UUID | None,
    mobile_number: str | None = None,
    text: str,
) -> MessageOut:
    """Accept a free-form message; only inside the contact's 24-hour window.

    The contact is named by its id, or by its number on the account: that costs
    a lookup more, so only a send that gives a number makes it.
    """
    if contact_id is None:
        assert mobile_number is not None  # the schema requires one of the two
        contact_id = await contacts.id_by_number(
            tx, principal, account_id=account_id, mobile_number=mobile_number
        )
    to = await recipient(tx, principal, account_id=account_id, contact_id=contact_id)
    now = utcnow()
    window.ensure_open(to.last_inbound_at, now=now)
    _row, accepted = await _insert_outbound(tx, to=to, content=Outbound(text), now=now)
    return accepted


# Every column, so a message inserted directly is completely known to the session.
_MESSAGES = cast(Table, Message.__table__)
_MESSAGE_COLUMNS = tuple(column.key for column in _MESSAGES.columns)
_INSERT_MESSAGE = {
    "sqlite": Prepared(insert(_MESSAGES), column_keys=_MESSAGE_COLUMNS),
    # Dispatchers may run in other processes (msgboxx worker).
    "postgresql": Prepared(wakes_other_processes(insert(_MESSAGES)), column_keys=_MESSAGE_COLUMNS),
}


@dataclass(frozen=True, slots=True)
class Outbound:
    """What an outbound message says: free text, or an approved template filled in."""

    text: str
    template_id: uuid.UUID | None = None
    template_parameters: list[str] | None = None


async def enqueue(tx: Tx, *, to: Recipient, content: Outbound, now: datetime) -> MessageOut:
    """Add an outbound message as Pending and due now; its API view. The caller commits.

    For callers that link the message to a record of their own (a broadcast),
    by the view's ``messageId``.
    """
    _row, accepted = await _insert_outbound(tx, to=to, content=content, now=now)
    return accepted


async def _insert_outbound(
    tx: Tx, *, to: Recipient, content: Outbound, now: datetime
) -> tuple[dict[str, Any], MessageOut]:
    """Insert an outbound message, Pending and due now; its row and its API view.

    The row is inserted directly rather than through the session's unit of work,
    and a session send makes no model of it at all: every accepted message takes
    this path, and the unit of work and the model's instrumented attributes cost
    more than the insert (``docs/benchmarks.md``).
    """
    values: dict[str, Any] = dict.fromkeys(_MESSAGE_COLUMNS)
    values.update(
        id=uuid.uuid4(),
        account_id=to.account_id,
        inbox_id=to.inbox_id,
        contact_id=to.contact_id,
        conversation_id=conversation_id(to.inbox_id, to.contact_id),
        direction=OUTBOUND,
        kind="template" if content.template_id else "text",
        text=content.text,
        status=MessageStatus.pending,
        template_id=content.template_id,
        template_parameters=content.template_parameters,
        created_at=now,
        attempts=0,
        next_attempt_at=now,
    )
    await _INSERT_MESSAGE[tx.session.get_bind().dialect.name].execute(tx, values)
    tx.leaves(Work.outbound)  # and dispatchers in this process
    accepted = MessageOut.of_row(values)
    if not to.subscribed:
        tx.unheard([to.account_id])
    tx.emit(
        account_id=to.account_id,
        event_type=EventType.message_created,
        data=accepted,
    )
    return values, accepted


def _visible_message_query(*, admin: bool) -> Select[*tuple[Any, ...]]:
    return select(*(_MESSAGES.c[column] for column in SHOWN_COLUMNS)).where(
        _MESSAGES.c.id == bindparam("message_id"),
        _MESSAGES.c.account_id.in_(accounts.prebuilt_visible_account_ids(admin=admin)),
    )


# Prepared once: clients that poll a message's status run it most of all reads.
_VISIBLE_MESSAGE = {admin: Prepared(_visible_message_query(admin=admin)) for admin in (True, False)}


async def get(tx: Tx, principal: Principal, message_id: uuid.UUID) -> MessageOut:
    """One message as the API shows it, or 404 (also when another tenant owns it)."""
    row = await _VISIBLE_MESSAGE[principal.is_admin].first(
        tx, {"message_id": message_id, **accounts.visibility(principal)}
    )
    if row is None:
        raise NotFound(f"message {message_id} was not found")
    return MessageOut.of_shown(row)


_VISIBLE_BY_PROVIDER_ID = {
    admin: Prepared(
        select(*(_MESSAGES.c[column] for column in SHOWN_COLUMNS)).where(
            _MESSAGES.c.provider_message_id == bindparam("provider_message_id"),
            _MESSAGES.c.account_id.in_(accounts.prebuilt_visible_account_ids(admin=admin)),
        )
    )
    for admin in (True, False)
}


async def get_by_provider_id(tx: Tx, principal: Principal, provider_message_id: str) -> MessageOut:
    """One message by the network's id (its ``wamid``), as the API shows it, or 404."""
    row = await _VISIBLE_BY_PROVIDER_ID[principal.is_admin].first(
        tx, {"provider_message_id": provider_message_id, **accounts.visibility(principal)}
    )
    if row is None:
        raise NotFound(f"no message has the provider id {provider_message_id}")
    return MessageOut.of_shown(row)


async def views(tx: Tx, message_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, MessageOut]:
    """Messages as the API shows them, by id: for a domain that shows one in its own view.

    No visibility filter: the caller shows only messages of records it found visible.
    """
    if not message_ids:
        return {}
    found = await tx.session.execute(
        select(*(_MESSAGES.c[column] for column in SHOWN_COLUMNS)).where(
            _MESSAGES.c.id.in_(message_ids)
        )
    )
    shown = [MessageOut.of_shown(row) for row in found]
    return {view.messageId: view for view in shown}


async def list_messages(
    tx: Tx, principal: Principal, page: PageRequest, filters: MessageFilters
) -> tuple[list[Message], int]:
    """Newest first; with neither date given, only the last 24 hours (the contract)."""
    start, end = filters.from_utc, filters.to_utc_exclusive
    if start is None and end is None:
        start = utcnow() - timedelta(hours=24)
    query = accounts.visible(
        principal,
        Message,
        equal={
            "account_id": filters.apiAccountId,
            "inbox_id": filters.inboxId,
            "contact_id": filters.contactId,
            "conversation_id": filters.conversationId,
            "status": filters.status,
            "direction": filters.direction,
        },
        created_from=start,
    )
    if end is not None:
        query = query.where(Message.created_at < end)
    return await fetch_page(tx, query, page)


async def _hold(tx: Tx, report: Report) -> None:
    """Keep an early report once (a repeat of it is a no-op, also under concurrency)."""
    dialect = tx.session.get_bind().dialect.name
    values = {
        "provider_message_id": report.provider_message_id[:200],
        "status": report.status.value,
        "at": report.at,
        "failure_reason": report.failure_reason[:500] if report.failure_reason else None,
        "account_id": report.account_id,
        "received_at": utcnow(),
    }
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    await tx.session.execute(insert(PendingStatusReport).values(**values).on_conflict_do_nothing())


def status_changes(
    current: Callable[[str], Any],
    status: MessageStatus,
    *,
    at: datetime,
    failure_reason: str | None = None,
) -> dict[str, Any]:
    """The columns a move to ``status`` sets, given the message's ``current`` values.

    The status, and the times it implies (Read also means Sent and Delivered);
    Failed also sets the reason and takes the message off the queue.
    """
    changes: dict[str, Any] = {"status": status}

    def value(column: str) -> Any:
        return changes[column] if column in changes else current(column)

    for step in implied(status):
        column = _STATUS_TIME[step]
        if value(column) is None:
            changes[column] = at
    # Networks report whole seconds while we stamp Sent to the millisecond: keep
    # sentAt <= deliveredAt <= readAt, and sentAt <= failedAt, so the times
    # never run backwards.
    previous: datetime | None = None
    for column in ("sent_at", "delivered_at", "read_at"):
        time = value(column)
        if time is not None and previous is not None and time < previous:
            changes[column] = time = previous
        previous = time if time is not None else previous
    sent, failed = value("sent_at"), value("failed_at")
    if sent is not None and failed is not None and failed < sent:
        changes["failed_at"] = sent
    if status is MessageStatus.failed:
        changes["failure_reason"] = (failure_reason or "failed")[:500]
        changes["next_attempt_at"] = None
    return changes


def _announce(tx: Tx, snapshot: MessageOut, *, template_id: uuid.UUID | None) -> None:
    """Every transition is announced to webhook subscribers, in the same transaction."""
    tx.emit(
        account_id=snapshot.apiAccountId,
        event_type=EventType.message_status,
        data=snapshot,
    )
    if template_id is not None:  # a template send is a broadcast
        tx.emit(
            account_id=snapshot.apiAccountId,
            event_type=EventType.broadcast_status,
            data=snapshot,
        )


@dataclass(frozen=True, slots=True)
class Report:
    """A delivery report from the network, as applying it needs it.

    It touches only a message of ``account_id`` (the account the network
    reported to); None is for a channel's reports on ids it made itself.
    """

    provider_message_id: str
    status: MessageStatus
    at: datetime
    failure_reason: str | None = None
    account_id: uuid.UUID | None = None


# What a status report may change, and (with them) what applying one reads of a
# message: the API's view and the rules' inputs.
_STATUS_COLUMNS = (
    "status",
    "sent_at",
    "delivered_at",
    "read_at",
    "failed_at",
    "failure_reason",
    "next_attempt_at",
)
_REPORTED_COLUMNS = (
    "id",
    "account_id",
    "contact_id",
    "inbox_id",
    "conversation_id",
    "direction",
    "text",
    "template_id",
    "provider_message_id",
    "created_at",
    *_STATUS_COLUMNS,
)


def _read_listened(columns: Sequence[str], *, by: str) -> Prepared:
    """Messages whose ``by`` is in ``ids``: ``columns``, then whether anyone subscribed."""
    return Prepared(
        select(
            *(_MESSAGES.c[column] for column in columns),
            subscribed(Message.account_id),
        ).where(_MESSAGES.c[by].in_(bindparam("ids", expanding=True)))
    )


def _update_by_id(columns: Sequence[str]) -> Prepared:
    """Set ``columns`` of the message ``message_id`` (run with execute_many)."""
    return Prepared(
        update(_MESSAGES).where(_MESSAGES.c.id == bindparam("message_id")), column_keys=columns
    )


_REPORTED = _read_listened(_REPORTED_COLUMNS, by="provider_message_id")
_SET_STATUS = _update_by_id(_STATUS_COLUMNS)


def _rows_by(
    tx: Tx, found: Sequence[Sequence[Any]], columns: Sequence[str], *, key: str
) -> dict[Any, dict[str, Any]]:
    """Messages read with their ``columns`` and a last "anyone subscribed?" flag, by ``key``.

    Accounts no subscription covers are marked unheard (see ``Tx.unheard``)
    so the changes announced for them write nothing.
    """
    rows: dict[Any, dict[str, Any]] = {}
    unheard = set()
    for *values, listened in found:
        row = dict(zip(columns, values, strict=True))
        rows[row[key]] = row
        if not listened:
            unheard.add(row["account_id"])
    tx.unheard(unheard)
    return rows


async def apply_reports(tx: Tx, reports: Sequence[Report]) -> int:
    """Apply a batch of delivery reports in order; returns how many changed something.

    Repeated and late reports change nothing; one for an id not recorded yet is
    held until :func:`record_sends` records it (the network can report before
    our commit). On plain rows: the network's webhooks and the sandbox bring
    three reports for every message sent, and loading and flushing models cost
    more than the statements. The batch costs one query, and one UPDATE per
    message it changed, sent in one call (one round trip on PostgreSQL). For a
    session that holds no model of these messages.
    """
    ids = list({report.provider_message_id for report in reports})
    found = await _REPORTED.all(tx, {"ids": ids}) if ids else []
    rows = _rows_by(tx, found, _REPORTED_COLUMNS, key="provider_message_id")
    changed: dict[uuid.UUID, dict[str, Any]] = {}
    applied = 0
    for report in reports:
        message = rows.get(report.provider_message_id)
        if message is None:
            await _hold(tx, report)
            continue
        if report.account_id is not None and message["account_id"] != report.account_id:
            continue  # another account's message: not this reporter's to change
        if not may_move(MessageStatus(message["status"]), report.status):
            continue
        message.update(
            status_changes(
                message.__getitem__,
                report.status,
                at=report.at,
                failure_reason=report.failure_reason,
            )
        )
        changed[message["id"]] = message
        applied += 1
        _announce(tx, MessageOut.of_row(message), template_id=message["template_id"])
    await _SET_STATUS.execute_many(
        tx,
        [
            {"message_id": message["id"], **{c: message[c] for c in _STATUS_COLUMNS}}
            for message in changed.values()
        ],
    )
    return applied


@dataclass(frozen=True, slots=True)
class SendOutcome:
    """What became of one claimed send, as the dispatcher decided it."""

    message_id: uuid.UUID
    # The network took it, under this id.
    provider_message_id: str | None = None
    # It did not, and it is tried again at this time.
    retry_at: datetime | None = None
    # It did not and never will: the message fails with this reason.
    failure_reason: str | None = None


# What recording a send reads of a message: what it may change (with the
# lease), the API's view, and who holds the lease.
_LEASED_COLUMNS = (*_REPORTED_COLUMNS, "lease_owner")
_RECORDED_COLUMNS = (*_STATUS_COLUMNS, "provider_message_id", "lease_until", "lease_owner")
_LEASED = _read_listened(_LEASED_COLUMNS, by="id")
_SET_RECORDED = _update_by_id(_RECORDED_COLUMNS)


async def record_sends(
    tx: Tx, *, owner: str, outcomes: Sequence[SendOutcome], at: datetime
) -> list[SendOutcome]:
    """Record what became of claimed sends, each only if ``owner`` still holds its lease.

    A send the network took gets its id and moves to Sent, and reports the
    network made before we recorded the id (held) are applied. Returns the
    outcomes recorded: one whose lease ran out belongs to the dispatcher that
    took it over. On rows, like :func:`apply_reports`: every message sent passes
    here once, and models cost more than the statements (one read, and one
    UPDATE per message sent in one call).
    """
    found = await _LEASED.all(tx, {"ids": [outcome.message_id for outcome in outcomes]})
    rows = _rows_by(tx, found, _LEASED_COLUMNS, key="id")
    recorded: list[SendOutcome] = []
    for outcome in outcomes:
        message = rows.get(outcome.message_id)
        if message is None or message["lease_owner"] != owner:
            continue  # the lease ran out and another dispatcher took the message over
        recorded.append(outcome)
        message.update(lease_until=None, lease_owner=None)
        moved: MessageStatus | None = None
        if outcome.provider_message_id is not None:
            message.update(provider_message_id=outcome.provider_message_id, next_attempt_at=None)
            if may_move(MessageStatus(message["status"]), MessageStatus.sent):
                moved = MessageStatus.sent
        elif outcome.failure_reason is not None:
            moved = MessageStatus.failed
        else:
            message["next_attempt_at"] = outcome.retry_at
        if moved is not None:
            message.update(
                status_changes(
                    message.__getitem__, moved, at=at, failure_reason=outcome.failure_reason
                )
            )
            _announce(tx, MessageOut.of_row(message), template_id=message["template_id"])
    await _SET_RECORDED.execute_many(
        tx,
        [
            {"message_id": o.message_id, **{c: rows[o.message_id][c] for c in _RECORDED_COLUMNS}}
            for o in recorded
        ],
    )
    sent = [o.provider_message_id for o in recorded if o.provider_message_id is not None]
    await _apply_held(tx, provider_message_ids=sent)
    return recorded


async def apply_held_reports(tx: Tx, *, max_age: timedelta) -> int:
    """Apply held reports whose message now has its id; forget those older than ``max_age``.

    The sweep closes the one gap :func:`record_sends` leaves on PostgreSQL:
    a report held by a transaction that committed while the id was being recorded.
    """
    matched = await tx.session.scalars(
        select(PendingStatusReport.provider_message_id)
        .join(Message, Message.provider_message_id == PendingStatusReport.provider_message_id)
        .distinct()
        .limit(1000)
    )
    ids = list(matched)
    if ids:
        await _apply_held(tx, provider_message_ids=ids)
    await tx.session.execute(
        delete(PendingStatusReport).where(PendingStatusReport.received_at < utcnow() - max_age)
    )
    return len(ids)


@dataclass(frozen=True, slots=True)
class HandedOff:
    """A message a channel handed off that the network has not yet reported Read."""

    id: uuid.UUID
    provider_message_id: str
    status: MessageStatus
    # When the network took it (its Sent time, recorded as the hand-off returned).
    handed_off_at: datetime


async def awaiting_reports(
    tx: Tx,
    *,
    channel: str,
    provider_prefix: str,
    after: uuid.UUID | None = None,
    limit: int = 1000,
) -> list[HandedOff]:
    """Messages of ``channel``'s accounts handed off under ``provider_prefix``, Sent or Delivered.

    What an in-process network still owes reports for: its timers die with the
    process, and a restarted one picks these up (``SandboxChannel.resume``).
    Ordered by id, ``limit`` at a time after ``after``, so a long outage does not
    become one huge read.
    """
    query = (
        select(Message.id, Message.provider_message_id, Message.status, Message.sent_at)
        .join(ApiAccount, ApiAccount.id == Message.account_id)
        .where(
            ApiAccount.channel == channel,
            Message.direction == OUTBOUND,
            Message.status.in_([MessageStatus.sent, MessageStatus.delivered]),
            Message.provider_message_id.startswith(provider_prefix, autoescape=True),
            Message.sent_at.is_not(None),
        )
        .order_by(Message.id)
        .limit(limit)
    )
    if after is not None:
        query = query.where(Message.id > after)
    return [
        HandedOff(message_id, provider_id, MessageStatus(status), sent_at)
        for message_id, provider_id, status, sent_at in await tx.session.execute(query)
        if provider_id is not None and sent_at is not None  # both filtered on; for the types
    ]


_HELD = cast(Table, PendingStatusReport.__table__)
# Prepared once: every recorded batch of sends runs it, and almost always finds nothing.
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


async def _apply_held(tx: Tx, *, provider_message_ids: list[str]) -> None:
    if not provider_message_ids:
        return
    held = [
        Report(pid, MessageStatus(status), at, reason, account_id)
        for pid, status, at, reason, account_id in await _HELD_FOR.all(
            tx, {"ids": provider_message_ids}
        )
    ]
    if not held:
        return
    # Lowest rank first so each step's time fills in; Failed (no rank) last.
    held.sort(key=lambda report: RANK.get(report.status, 99))
    await apply_reports(tx, held)
    await tx.session.execute(
        _FORGET_HELD,
        [
            {"pid": report.provider_message_id, "held_status": report.status.value}
            for report in held
        ],
    )


async def record_inbound(
    tx: Tx,
    *,
    account: ApiAccount,
    inbox_id: uuid.UUID,
    contact: Contact,
    provider_message_id: str,
    text: str,
    kind: str,
    at: datetime,
) -> Message | None:
    """Store a customer's message and extend the window; None for a repeat."""
    duplicate = await tx.session.scalar(
        select(Message.id).where(Message.provider_message_id == provider_message_id)
    )
    if duplicate is not None:
        return None
    if contact.last_inbound_at is None or contact.last_inbound_at < at:
        contact.last_inbound_at = at
    message = Message(
        account_id=account.id,
        inbox_id=inbox_id,
        contact_id=contact.id,
        conversation_id=conversation_id(inbox_id, contact.id),
        direction=INBOUND,
        kind=kind,
        text=text,
        status=MessageStatus.received,
        provider_message_id=provider_message_id,
        created_at=at,
    )
    tx.session.add(message)
    await tx.session.flush()
    tx.emit(
        account_id=account.id,
        event_type=EventType.message_inbound,
        data=MessageOut.of(message),
    )
    return message


async def erase_text_of_contact(tx: Tx, *, contact_id: uuid.UUID) -> None:
    """Right to erasure: the words go, the counts stay, and nothing more is sent."""
    await tx.session.execute(
        update(Message)
        .where(Message.contact_id == contact_id, Message.status == MessageStatus.pending)
        .values(
            status=MessageStatus.failed,
            failed_at=utcnow(),
            failure_reason="the contact was erased before this message was sent",
            next_attempt_at=None,
        )
    )
    await tx.session.execute(
        update(Message).where(Message.contact_id == contact_id).values(text=None)
    )
