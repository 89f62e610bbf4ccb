"""Subscriptions, and ``emit``: the one way a change becomes an outgoing event.

``emit`` only remembers the event on the session (no I/O on the request path).
Just before that session commits, the remembered events are matched against
subscriptions and written to the delivery outbox in the same transaction: an
event exists exactly when the change that caused it does, and a rolled-back
change leaves no event behind. The database fans each event out to its
subscriptions (one INSERT ... SELECT), so a commit's cost in Python does not
grow with the number of subscriptions.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from typing import cast as cast_type

import orjson
from sqlalchemy import (
    ColumnElement,
    Insert,
    String,
    Table,
    Text,
    and_,
    bindparam,
    cast,
    event,
    exists,
    func,
    insert,
    literal_column,
    or_,
    select,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute, Session, aliased

from msgboxx.accounts import service as accounts
from msgboxx.accounts.models import ApiAccount
from msgboxx.auth import service as auth
from msgboxx.auth.service import Principal
from msgboxx.broadcasts.models import Broadcast
from msgboxx.broadcasts.schemas import BroadcastOut
from msgboxx.core.errors import Forbidden, NotFound, Unprocessable
from msgboxx.core.wire import ApiModel, PageRequest, format_timestamp
from msgboxx.db import UTCDateTime, utcnow
from msgboxx.db.engine import WEBHOOKS_QUEUED
from msgboxx.db.paging import fetch_page
from msgboxx.messages.schemas import MessageOut
from msgboxx.webhooks import signing, targets
from msgboxx.webhooks.models import (
    DeliveryStatus,
    EventType,
    WebhookDelivery,
    WebhookSubscription,
)

_PENDING = "webhook_events"
_LAST_AT = "webhook_last_at"
_UNHEARD = "webhook_unheard_accounts"


@dataclass(frozen=True, slots=True)
class _Event:
    id: str
    account_id: uuid.UUID
    type: EventType
    data: ApiModel
    at: datetime


def emit(
    session: AsyncSession | Session,
    *,
    account_id: uuid.UUID,
    event_type: EventType,
    data: ApiModel,
) -> None:
    """Record that something happened; it is delivered if and when the session commits.

    ``data`` is the resource as the API shows it, taken now, so each transition
    reports the state it produced. ``broadcast.status`` takes the message; its
    broadcast is looked up at commit, and only when someone subscribed to it.
    """
    info = session.info
    if account_id in info.get(_UNHEARD, ()):
        return  # this transaction read that no one listens to the account
    at = utcnow()
    last: datetime | None = info.get(_LAST_AT)
    if last is not None and at <= last:
        at = last + timedelta(microseconds=1)  # events of one transaction keep their order
    info[_LAST_AT] = at
    info.setdefault(_PENDING, []).append(
        _Event("evt_" + uuid.uuid4().hex, account_id, event_type, data, at)
    )


def _covers(account: type[ApiAccount]) -> ColumnElement[bool]:
    """A subscription covers its organisation's accounts, or the one it names."""
    return and_(
        WebhookSubscription.org_id == account.org_id,
        or_(
            WebhookSubscription.account_id.is_(None),
            WebhookSubscription.account_id == account.id,
        ),
    )


# The different event lists of the subscriptions covering some accounts: which
# events anyone wants, in at most one row per account and list (there are few event
# types), however many subscriptions there are. Built once, because every accepted
# message and status report runs it (building it cost more than running it).
_EVENT_LISTS_OF_ACCOUNTS = (
    select(ApiAccount.id, cast(WebhookSubscription.events, Text))
    .distinct()
    .join(WebhookSubscription, _covers(ApiAccount))
    .where(ApiAccount.id.in_(bindparam("account_ids", expanding=True)))
)


def _wants_event(dialect: str) -> ColumnElement[bool]:
    """Whether a subscription's event list holds the ``event_type`` parameter."""
    if dialect == "postgresql":
        holds: ColumnElement[bool] = cast(WebhookSubscription.events, JSONB).has_key(
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
_DELIVERIES = cast_type(Table, WebhookDelivery.__table__)


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
        .join(WebhookSubscription, _covers(ApiAccount))
        .where(ApiAccount.id == bindparam("account_id"), _wants_event(dialect))
    )
    columns = ["id", "subscription_id", "event_id", "event_type", "body", "status"]
    return insert(_DELIVERIES).from_select([*columns, "attempt_count", "created_at"], fanned)


def subscribed(account_id: InstrumentedAttribute[uuid.UUID]) -> ColumnElement[bool]:
    """Whether any subscription may want the account's events, as a column.

    For the queries of the hot paths, which load the account's rows anyway (the
    recipient of an accepted message, the messages a status report names, a
    batch of sends): what they read of it goes to :func:`unheard`.
    """
    account = aliased(ApiAccount)
    return exists().where(account.id == account_id, _covers(account))


def unheard(session: AsyncSession | Session, account_ids: Iterable[uuid.UUID]) -> None:
    """This transaction read (with :func:`subscribed`) that no one listens to these
    accounts: their events are dropped at ``emit``, and a commit with nothing
    else to announce makes no subscription lookup, one statement of four on the
    accept path. The read and the commit are one transaction, so a subscription
    is heard from the first change committed after it, as with the lookup.
    """
    session.info.setdefault(_UNHEARD, set()).update(account_ids)


@event.listens_for(Session, "before_commit")
def _write_outbox(session: Session) -> None:
    """Turn the session's events into delivery rows, inside the committing transaction."""
    pending: list[_Event] | None = session.info.pop(_PENDING, None)
    session.info.pop(_LAST_AT, None)
    session.info.pop(_UNHEARD, None)
    if not pending:
        return
    lists = session.execute(
        _EVENT_LISTS_OF_ACCOUNTS, {"account_ids": list({e.account_id for e in pending})}
    ).all()
    wanted = {(account_id, name) for account_id, names in lists for name in orjson.loads(names)}
    matched = [e for e in pending if (e.account_id, e.type) in wanted]
    if not matched:
        return
    broadcasts = _broadcasts_of(session, matched)
    rows = []
    for item in matched:
        data = item.data
        if item.type is EventType.broadcast_status:
            data = _broadcast_view(broadcasts, data)
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
    session.execute(_fan_out(session.get_bind().dialect.name), rows)
    session.info[WEBHOOKS_QUEUED] = True


@event.listens_for(Session, "after_rollback")
def _forget_events(session: Session) -> None:
    """A change that did not happen announces nothing."""
    session.info.pop(_PENDING, None)
    session.info.pop(_LAST_AT, None)
    session.info.pop(_UNHEARD, None)


def _broadcasts_of(session: Session, events: list[_Event]) -> dict[uuid.UUID, Broadcast]:
    message_ids = [
        e.data.messageId
        for e in events
        if e.type is EventType.broadcast_status and isinstance(e.data, MessageOut)
    ]
    if not message_ids:
        return {}
    found = session.scalars(select(Broadcast).where(Broadcast.message_id.in_(message_ids)))
    return {b.message_id: b for b in found}


def _broadcast_view(broadcasts: dict[uuid.UUID, Broadcast], data: ApiModel) -> ApiModel:
    """The broadcast as the API shows it, with the message as it was at the event."""
    if not isinstance(data, MessageOut) or data.messageId not in broadcasts:
        return data
    view = BroadcastOut.of(broadcasts[data.messageId])
    return view.model_copy(update={"status": data.status, "message": data.message})


# --- subscriptions -------------------------------------------------------------


def _visible(principal: Principal) -> Any:
    """Admins manage every subscription of their organisation; agents those of their accounts."""
    condition = WebhookSubscription.org_id == principal.org_id
    if principal.is_admin:
        return condition
    return and_(
        condition, WebhookSubscription.account_id.in_(accounts.visible_account_ids(principal))
    )


async def create(
    session: AsyncSession,
    principal: Principal,
    *,
    target_url: str,
    events: list[EventType],
    account_id: uuid.UUID | None,
    allow_private: bool,
    max_subscriptions: int,
) -> WebhookSubscription:
    """Subscribe a URL to events of the organisation, or of one account.

    An organisation has at most ``max_subscriptions``: each one is written to at
    every event of its accounts.
    """
    targets.parse(target_url)
    if account_id is not None:
        await accounts.get(session, principal, account_id)
    elif not principal.is_admin:
        raise Forbidden("an agent must name the apiAccountId whose events it subscribes to")
    await auth.lock_organisation(session, org_id=principal.org_id)  # counted, then added
    count = await session.scalar(
        select(func.count())
        .select_from(WebhookSubscription)
        .where(WebhookSubscription.org_id == principal.org_id)
    )
    if count is not None and count >= max_subscriptions:
        raise Unprocessable(
            f"the organisation has {count} webhook subscriptions, the most it may have; "
            "delete one to add another"
        )
    await targets.check(target_url, allow_private=allow_private)
    subscription = WebhookSubscription(
        org_id=principal.org_id,
        account_id=account_id,
        target_url=target_url,
        events=sorted({e.value for e in events}),
        secret=signing.new_secret(),
        created_at=utcnow(),
    )
    session.add(subscription)
    await session.flush()
    return subscription


async def get(
    session: AsyncSession, principal: Principal, webhook_id: uuid.UUID
) -> WebhookSubscription:
    subscription = await session.scalar(
        select(WebhookSubscription).where(WebhookSubscription.id == webhook_id, _visible(principal))
    )
    if subscription is None:
        raise NotFound(f"webhook {webhook_id} was not found")
    return subscription


async def list_subscriptions(
    session: AsyncSession,
    principal: Principal,
    page: PageRequest,
    *,
    account_id: uuid.UUID | None = None,
    created_from: datetime | None = None,
) -> tuple[list[WebhookSubscription], int]:
    conditions: list[Any] = [_visible(principal)]
    if account_id is not None:
        conditions.append(WebhookSubscription.account_id == account_id)
    if created_from is not None:
        conditions.append(WebhookSubscription.created_at >= created_from)
    query = (
        select(WebhookSubscription)
        .where(*conditions)
        .order_by(WebhookSubscription.created_at.desc(), WebhookSubscription.id.desc())
    )
    return await fetch_page(session, query, page)


async def delete(session: AsyncSession, principal: Principal, webhook_id: uuid.UUID) -> None:
    """Unsubscribe; undelivered events of this subscription go with it."""
    await session.delete(await get(session, principal, webhook_id))
    await session.flush()


async def list_deliveries(
    session: AsyncSession,
    principal: Principal,
    page: PageRequest,
    *,
    webhook_id: uuid.UUID,
    status: DeliveryStatus | None = None,
) -> tuple[list[WebhookDelivery], int]:
    """Newest first, each with every attempt made."""
    subscription = await get(session, principal, webhook_id)
    conditions: list[Any] = [WebhookDelivery.subscription_id == subscription.id]
    if status is not None:
        conditions.append(WebhookDelivery.status == status)
    query = (
        select(WebhookDelivery)
        .where(*conditions)
        .order_by(WebhookDelivery.created_at.desc(), WebhookDelivery.id.desc())
    )
    return await fetch_page(session, query, page)


async def retry(
    session: AsyncSession, principal: Principal, *, webhook_id: uuid.UUID, delivery_id: uuid.UUID
) -> WebhookDelivery:
    """Send a delivery again now, whatever became of it before."""
    subscription = await get(session, principal, webhook_id)
    delivery = await session.scalar(
        select(WebhookDelivery).where(
            WebhookDelivery.id == delivery_id,
            WebhookDelivery.subscription_id == subscription.id,
        )
    )
    if delivery is None:
        raise NotFound(f"delivery {delivery_id} of webhook {webhook_id} was not found")
    delivery.status = DeliveryStatus.pending
    delivery.delivered_at = None
    subscription.retry_at = None
    session.info[WEBHOOKS_QUEUED] = True
    await session.flush()
    return delivery
