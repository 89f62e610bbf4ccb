"""Status changes after the accept: the network's reports and the dispatcher's outcomes.

Both are applied to plain rows (:class:`~msgboxx.messages.rows.MessageRow`) under
one rule (``status.status_changes``): the network's webhooks and the sandbox
bring three reports for every message sent, and every message sent is recorded
once, so loading and flushing models had cost more than the statements. A
batch is one read and one call of UPDATEs (one round trip each on PostgreSQL).
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from msgboxx.accounts import service as accounts
from msgboxx.core.events import EventType
from msgboxx.db import utcnow
from msgboxx.db.tx import Tx
from msgboxx.messages import held_store, shown, store
from msgboxx.messages.rows import MessageRow, changed
from msgboxx.messages.status import RANK, MessageStatus, may_move, status_changes

if TYPE_CHECKING:
    from msgboxx.media.models import Media


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


def _moved(row: MessageRow, status: MessageStatus, at: datetime, reason: str | None) -> MessageRow:
    """``row`` moved to ``status``: the status and the times it implies."""
    current = functools.partial(getattr, row)
    return changed(row, status_changes(current, status, at=at, failure_reason=reason))


def announce(tx: Tx, row: MessageRow, media: Mapping[uuid.UUID, Media]) -> None:
    """Every transition is announced to webhook subscribers, in the same transaction."""
    snapshot = shown.view_of(row, media)
    tx.emit(account_id=row.account_id, event_type=EventType.message_status, data=snapshot)
    if row.template_id is not None:  # a template send is a broadcast
        tx.emit(account_id=row.account_id, event_type=EventType.broadcast_status, data=snapshot)


def _keyed(tx: Tx, found: list[tuple[MessageRow, bool]], key: str) -> dict[Any, MessageRow]:
    """Rows by ``key``; accounts no subscription covers are marked unheard.

    So the changes announced for them write nothing (see ``Tx.unheard``).
    """
    tx.unheard({row.account_id for row, listened in found if not listened})
    return {getattr(row, key): row for row, _listened in found}


async def apply_reports(tx: Tx, reports: Sequence[Report]) -> int:
    """Apply a batch of delivery reports in order; returns how many changed something.

    Repeated and late reports change nothing; one for an id not recorded yet is
    held until :func:`record_sends` records it (the network can report before
    our commit). The batch costs one query, and one UPDATE per message it
    changed, sent in one call. For a session that holds no model of these messages.
    """
    ids = list({report.provider_message_id for report in reports})
    rows = _keyed(tx, await store.reported(tx, ids), "provider_message_id")
    missing = [pid for pid in ids if pid not in rows]
    if missing:  # rare: the network was quicker than our record of the id
        rows.update(_keyed(tx, await store.lock_reports(tx, missing), "provider_message_id"))
    changed: dict[uuid.UUID, MessageRow] = {}
    held: list[Report] = []
    applied = 0
    media = await shown.media_of(tx, rows.values())
    for report in reports:
        message = rows.get(report.provider_message_id)
        if message is None:
            held.append(report)
            continue
        if report.account_id is not None and message.account_id != report.account_id:
            continue  # another account's message: not this reporter's to change
        if not may_move(MessageStatus(message.status), report.status):
            continue
        message = _moved(message, report.status, report.at, report.failure_reason)
        rows[report.provider_message_id] = changed[message.id] = message
        applied += 1
        announce(tx, message, media)
    if held:
        await _hold(tx, held)
    await store.set_statuses(tx, list(changed.values()))
    return applied


async def _hold(tx: Tx, reports: Sequence[Report]) -> None:
    """Keep early reports once each (a repeat of one is a no-op, also under concurrency)."""
    received_at = utcnow()
    await held_store.hold(
        tx,
        [
            {
                "provider_message_id": report.provider_message_id[:200],
                "status": report.status.value,
                "at": report.at,
                "failure_reason": report.failure_reason[:500] if report.failure_reason else None,
                "account_id": report.account_id,
                "received_at": received_at,
            }
            for report in reports
        ],
    )


async def record_sends(
    tx: Tx, *, owner: str, outcomes: Sequence[SendOutcome], at: datetime
) -> list[SendOutcome]:
    """Record what became of claimed sends, each only if ``owner`` still holds its lease.

    A send the network took gets its id and moves to Sent, and reports the
    network made before we recorded the id (held) are applied. Returns the
    outcomes recorded: one whose lease ran out belongs to the dispatcher that
    took it over. One read, and one UPDATE per message in one call.
    """
    rows = _keyed(tx, await store.leased(tx, [o.message_id for o in outcomes]), "id")
    recorded: list[SendOutcome] = []
    written: list[MessageRow] = []
    media = await shown.media_of(tx, rows.values())
    for outcome in outcomes:
        message = rows.get(outcome.message_id)
        if message is None or message.lease_owner != owner:
            continue  # the lease ran out and another dispatcher took the message over
        recorded.append(outcome)
        changes: dict[str, Any] = {"lease_until": None, "lease_owner": None}
        moved: MessageStatus | None = None
        if outcome.provider_message_id is not None:
            changes.update(provider_message_id=outcome.provider_message_id, next_attempt_at=None)
            if may_move(MessageStatus(message.status), MessageStatus.sent):
                moved = MessageStatus.sent
        elif outcome.failure_reason is not None:
            moved = MessageStatus.failed
        else:
            changes["next_attempt_at"] = outcome.retry_at
        if moved is not None:  # its times are all the move reads: one change of the row
            current = functools.partial(getattr, message)
            changes.update(
                status_changes(current, moved, at=at, failure_reason=outcome.failure_reason)
            )
        message = rows[message.id] = changed(message, changes)
        if moved is not None:
            announce(tx, message, media)
        written.append(message)
    await store.set_recorded(tx, written)
    sent = [o.provider_message_id for o in recorded if o.provider_message_id is not None]
    await _apply_held(tx, provider_message_ids=sent)
    return recorded


async def _apply_held(tx: Tx, *, provider_message_ids: list[str]) -> None:
    if not provider_message_ids:
        return
    found = await held_store.held_for(tx, provider_message_ids)
    held = [
        Report(pid, MessageStatus(status), at, reason, account_id)
        for pid, status, at, reason, account_id in found
    ]
    if not held:
        return
    # Lowest rank first so each step's time fills in; Failed (no rank) last.
    held.sort(key=lambda report: RANK.get(report.status, 99))
    await apply_reports(tx, held)
    await held_store.forget_held(tx, [(r.provider_message_id, r.status.value) for r in held])


async def apply_held_reports(tx: Tx, *, max_age: timedelta) -> int:
    """Apply held reports whose message now has its id; forget those older than ``max_age``.

    A safety net: with the report locks (``store.lock_reports``) no race leaves
    a report held once its id is recorded, so this finds nothing unless
    something else does (a hold written outside those rules, say).
    """
    ids = await held_store.held_with_message(tx, limit=1000)
    if ids:
        await _apply_held(tx, provider_message_ids=ids)
    await held_store.forget_held_before(tx, utcnow() - max_age)
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
    on_channel = [account.id for account in await accounts.on_channel(tx, channel=channel)]
    if not on_channel:
        return []
    found = await store.handed_off(
        tx,
        account_ids=on_channel,
        statuses=[MessageStatus.sent, MessageStatus.delivered],
        provider_prefix=provider_prefix,
        after=after,
        limit=limit,
    )
    return [
        HandedOff(id_, pid, MessageStatus(status), sent_at) for id_, pid, status, sent_at in found
    ]
