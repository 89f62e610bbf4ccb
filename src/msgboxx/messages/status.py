"""The order of message statuses and what a move sets: every status change consults it."""

from __future__ import annotations

import enum
from collections.abc import Callable
from datetime import datetime
from typing import Any


class MessageStatus(enum.StrEnum):
    pending = "Pending"
    sent = "Sent"
    delivered = "Delivered"
    read = "Read"
    failed = "Failed"
    received = "Received"


# Outbound statuses only ever move up this ladder.
RANK: dict[MessageStatus, int] = {
    MessageStatus.pending: 0,
    MessageStatus.sent: 1,
    MessageStatus.delivered: 2,
    MessageStatus.read: 3,
}

# Failed is terminal, and only reachable before the handset has the message.
FAILABLE = frozenset({MessageStatus.pending, MessageStatus.sent})


def may_move(current: MessageStatus, new: MessageStatus) -> bool:
    """Whether a report of ``new`` changes a message that is ``current``.

    Repeated and late reports answer False, so applying them changes nothing.
    """
    if new is MessageStatus.failed:
        return current in FAILABLE
    if current not in RANK or new not in RANK:
        return False
    return RANK[new] > RANK[current]


def implied(new: MessageStatus) -> list[MessageStatus]:
    """The statuses a report implies: Read means it was also Sent and Delivered."""
    if new not in RANK:
        return [new]
    return [status for status, rank in RANK.items() if 0 < rank <= RANK[new]]


# Each step of a message's life sets the time it happened in one column.
STATUS_TIME = {
    MessageStatus.sent: "sent_at",
    MessageStatus.delivered: "delivered_at",
    MessageStatus.read: "read_at",
    MessageStatus.failed: "failed_at",
}


def status_changes(
    current: Callable[[str], Any],
    status: MessageStatus,
    *,
    at: datetime,
    failure_reason: str | None = None,
) -> dict[str, Any]:
    """The columns a move to ``status`` sets, given the message's ``current`` values.

    The status, and the times it implies (Read also means Sent and Delivered);
    Failed also sets the reason and takes the message off the queue. Shared by
    the network's reports and the dispatcher's outcomes, so both keep one order.
    """
    changes: dict[str, Any] = {"status": status}

    def value(column: str) -> Any:
        return changes[column] if column in changes else current(column)

    for step in implied(status):
        column = STATUS_TIME[step]
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
