"""The order of message statuses: the one table every status change consults."""

from __future__ import annotations

import enum


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
