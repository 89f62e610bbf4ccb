"""The webhook outbox: a committing transaction's events become delivery rows.

A service announces a change with ``Tx.emit`` (no I/O on the request path).
Just before the unit of work commits, :func:`write` matches its events against
subscriptions and writes the deliveries in the same transaction: an event
exists exactly when the change that caused it does, and a rolled-back change
leaves no event behind. The database fans each event out to its subscriptions
(one INSERT ... SELECT), so a commit's cost in Python does not grow with the
number of subscriptions. :func:`msgboxx.wiring.open_database` hands ``write``
to every unit of work.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any, cast

import orjson
from sqlalchemy import (
    ColumnElement,
    Insert,
    String,
    Table,
    Text,
    bindparam,
    exists,
    func,
    insert,
    literal_column,
    select,
)
from sqlalchemy import cast as sql_cast
from sqlalchemy.dialects.postgresql import JSONB

from msgboxx.accounts.models import ApiAccount
from msgboxx.broadcasts import service as broadcasts
from msgboxx.core.events import Event, EventType
from msgboxx.core.wire import ApiModel, format_timestamp
from msgboxx.db import UTCDateTime
from msgboxx.db.tx import Tx, Work
from msgboxx.messages.schemas import MessageOut
from msgboxx.webhooks.listeners import covers
from msgboxx.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookSubscription

# The different event lists of the subscriptions covering some accounts: which
# events anyone wants, in at most one row per account and list (there are few event
# types), however many subscriptions there are. Built once, because every accepted
# message and status report runs it (building it cost more than running it).
_EVENT_LISTS_OF_ACCOUNTS = (
    select(ApiAccount.id, sql_cast(WebhookSubscription.events, Text))
    .distinct()
    .join(WebhookSubscription, covers(ApiAccount))
    .where(ApiAccount.id.in_(bindparam("account_ids", expanding=True)))
)


def _wants_event(dialect: str) -> ColumnElement[bool]:
    """Whether a subscription's event list holds the ``event_type`` parameter."""
    if dialect == "postgresql":
        holds: ColumnElement[bool] = sql_cast(WebhookSubscription.events, JSONB).has_key(
            bindparam("event_type", type_=String)
        )
        return holds
    listed = func.json_each(WebhookSubscription.events).table_valued("value")
    return exists().select_from(listed).where(listed.c.value == bindparam("event_type"))


def _new_delivery_id(dialect: str) -> ColumnElement[Any]:
    """A random (version 4) UUID made by the database, as the id column stores it."""
    if dialect == "postgresql":
        return func.gen_random_uuid()
    # SQLite keeps a UUID as 32 hex digits; the 13th is the version, the 17th the variant.
    return literal_column(
        "lower(hex(randomblob(6)) || '4' || substr(hex(randomblob(2)), 2)"
        " || substr('89ab', 1 + abs(random()) % 4, 1) || substr(hex(randomblob(2)), 2)"
        " || hex(randomblob(6)))"
    )


# The table, not the class: an INSERT ... SELECT run for many events at once
# (executemany) is not one of the ORM's bulk inserts.
_DELIVERIES = cast(Table, WebhookDelivery.__table__)


@functools.cache
def _fan_out(dialect: str) -> Insert:
    """One event's delivery rows, one per subscription that wants it, made by the database."""
    fanned = (
        select(
            _new_delivery_id(dialect),
            WebhookSubscription.id,
            bindparam("event_id", type_=String),
            bindparam("event_type", type_=String),
            bindparam("body", type_=Text),
            literal_column(f"'{DeliveryStatus.pending.value}'"),
            literal_column("0"),
            bindparam("created_at", type_=UTCDateTime),
        )
        .select_from(ApiAccount)
        .join(WebhookSubscription, covers(ApiAccount))
        .where(ApiAccount.id == bindparam("account_id"), _wants_event(dialect))
    )
    columns = ["id", "subscription_id", "event_id", "event_type", "body", "status"]
    return insert(_DELIVERIES).from_select([*columns, "attempt_count", "created_at"], fanned)


async def write(tx: Tx, events: Sequence[Event]) -> None:
    """Turn a committing unit of work's events into delivery rows, in its transaction."""
    session = tx.session
    lists = (
        await session.execute(
            _EVENT_LISTS_OF_ACCOUNTS, {"account_ids": list({e.account_id for e in events})}
        )
    ).all()
    wanted = {(account_id, name) for account_id, names in lists for name in orjson.loads(names)}
    matched = [e for e in events if (e.account_id, e.type) in wanted]
    if not matched:
        return
    rows = []
    for item, data in zip(matched, await _with_broadcasts(tx, matched), strict=True):
        body = orjson.dumps(
            {
                "id": item.id,
                "type": item.type.value,
                "timestamp": format_timestamp(item.at),
                "data": data.model_dump(mode="json"),
            }
        ).decode()
        rows.append(
            {
                "account_id": item.account_id,
                "event_id": item.id,
                "event_type": item.type.value,
                "body": body,
                "created_at": item.at,
            }
        )
    await session.execute(_fan_out(tx.dialect), rows)
    tx.leaves(Work.webhooks)


async def _with_broadcasts(tx: Tx, events: list[Event]) -> list[ApiModel]:
    """Each event's data; a ``broadcast.status`` shows its broadcast, with the message as it was."""
    announced = [
        e.data
        for e in events
        if e.type is EventType.broadcast_status and isinstance(e.data, MessageOut)
    ]
    if not announced:
        return [e.data for e in events]
    shown = iter(await broadcasts.shown_with(tx, announced))
    data: list[ApiModel] = []
    for e in events:
        if e.type is EventType.broadcast_status and isinstance(e.data, MessageOut):
            data.append(next(shown) or e.data)
        else:
            data.append(e.data)
    return data
