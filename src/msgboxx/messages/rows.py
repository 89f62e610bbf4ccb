"""The typed rows of messages: what the hot paths read and write instead of ORM models.

A message is read and written whole as one :class:`MessageRow`, whose fields are
the table's columns in its order: a new column is added here (and to the model)
and every statement of ``messages.store`` carries it. ``tests/messages`` checks
that the two agree.

A ``NamedTuple`` rather than a frozen dataclass, immutable all the same: the
values a statement returns become the row for the price of one tuple, and a
status change's ``_replace`` costs a fifth of ``dataclasses.replace`` (measured;
a report batch does both for every message, and a frozen dataclass's
``__init__`` sets its 22 fields one call at a time).
"""

from __future__ import annotations

import operator
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple, cast


class MessageRow(NamedTuple):
    """A message as stored: every column of ``messages``, in the table's order."""

    id: uuid.UUID
    account_id: uuid.UUID
    inbox_id: uuid.UUID
    contact_id: uuid.UUID | None
    conversation_id: uuid.UUID
    direction: str
    kind: str
    text: str | None
    status: str
    template_id: uuid.UUID | None
    template_parameters: list[str] | None
    provider_message_id: str | None
    failure_reason: str | None
    created_at: datetime
    sent_at: datetime | None
    delivered_at: datetime | None
    read_at: datetime | None
    failed_at: datetime | None
    # The dispatch queue: due when next_attempt_at <= now and no live lease.
    attempts: int
    next_attempt_at: datetime | None
    lease_until: datetime | None
    lease_owner: str | None
    # Structured content (a location, a Flow reply, ...) and the media, if any.
    content: dict[str, Any] | None = None
    media_id: uuid.UUID | None = None
    # When a scheduled message is due (None: at once).
    send_at: datetime | None = None


COLUMNS: tuple[str, ...] = MessageRow._fields
# What a status change may set (messages.status.status_changes).
STATUS_COLUMNS = (
    "status",
    "sent_at",
    "delivered_at",
    "read_at",
    "failed_at",
    "failure_reason",
    "next_attempt_at",
)
# What recording a send sets: a status change, the provider's id, the lease given back.
RECORDED_COLUMNS = (*STATUS_COLUMNS, "provider_message_id", "lease_until", "lease_owner")


def values_of(*columns: str) -> Callable[[MessageRow], tuple[Any, ...]]:
    """A function from a row to the values of two or more ``columns``, by position (fastest)."""
    assert len(columns) > 1, "an itemgetter of one item returns the item, not a tuple"
    getter = operator.itemgetter(*(COLUMNS.index(column) for column in columns))
    return cast(Callable[[MessageRow], tuple[Any, ...]], getter)


def changed(row: MessageRow, changes: Mapping[str, Any]) -> MessageRow:
    """``row`` with ``changes`` (column: value) made; ``_replace`` without its name checks."""
    return MessageRow._make(map(changes.get, COLUMNS, row))


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


# A message a claim may take: its id, its contact, and the contact's pair-rate clock.
Due = tuple[uuid.UUID, uuid.UUID | None, datetime | None]
